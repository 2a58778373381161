"""Which pyaudit patterns the pytest plugin applies, and where they came
from: pattern values from options, ini lines and markers, checked by
pyaudit, and pyaudit's warnings about names this Python never raises,
issued where the patterns were written.
"""

import contextlib
import reprlib
import warnings

import pyaudit
from pyaudit import _catalog

DENY_MARKER = "audit_deny"
ALLOW_MARKER = "audit_allow"

# Short reprs, for pattern arguments in messages and event arguments in
# failure reports.
short = reprlib.Repr()
short.maxstring = 100
short.maxother = 160       # a socket's repr, say
short.maxtuple = short.maxlist = short.maxdict = 6


# -- pyaudit's advisory check of pattern names -------------------------------
#
# Subscribing warns (pyaudit.UnknownEventWarning) about a pattern that names
# no event this Python raises, blaming the subscribing line.  The plugin
# subscribes on the user's behalf, so it subscribes quietly and warns itself,
# once, where the patterns were written.

def unknown_events(items):
    """pyaudit's UnknownEventWarnings for ``items``, as a list."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _catalog.check_patterns(items)
    return [w.message for w in caught]


@contextlib.contextmanager
def quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
        yield


def split(values, source):
    """The pattern items of several pattern values (each a str of
    comma-separated items or an iterable), checked by pyaudit; a ValueError
    or TypeError names ``source``."""
    items = []
    for value in values:
        try:
            items.extend(pyaudit.Filter(value).patterns)
        except (TypeError, ValueError) as exc:
            raise type(exc)("%s: %s" % (source, exc)) from None
    return tuple(items)


def marker_label(marker, items):
    """How failure messages name the patterns of ``marker``."""
    return "@pytest.mark.%s(%r)" % (marker, ",".join(items))


def marker_patterns(item, marker, check=False):
    """The pattern items of every ``marker`` (DENY_MARKER or ALLOW_MARKER)
    on ``item`` (from the function, class and module), or () without one.
    With ``check``, warn about names that no event of this Python has,
    blaming the test."""
    items = ()
    for mark in item.iter_markers(marker):
        source = "@pytest.mark.%s(%s)" % (
            marker, ", ".join(short.repr(arg) for arg in mark.args))
        if mark.kwargs:
            raise TypeError("%s: takes only patterns, not keyword arguments "
                            "%s" % (source, ", ".join(sorted(mark.kwargs))))
        if not mark.args:
            raise ValueError("%s: give at least one pattern" % (source,))
        marked = split(mark.args, source)
        excluded = [pattern for pattern in marked if pattern.startswith("!")]
        if marker == ALLOW_MARKER and excluded:
            raise ValueError("%s: give the patterns to allow, not exclusions "
                             "such as %r" % (source, excluded[0]))
        items += marked
        if check:
            path, lineno, _ = item.reportinfo()
            for warning in unknown_events(marked):
                warnings.warn_explicit(
                    pyaudit.UnknownEventWarning("%s: %s" % (source, warning)),
                    None, str(path), (lineno or 0) + 1)
    return items
