"""pytest plugin: the ``audit`` fixture, the ``audit_deny`` marker and the
``--audit-deny`` option.

Installing pyaudit registers this module through the ``pytest11`` entry
point (named ``pyaudit``, see ``pyaudit._pytest_entry``), so it is loaded
in every pytest session.  Audit hooks can never be removed, so it stays
inert until used: nothing is subscribed, and so pyaudit's hook is not
installed, unless a test requests the fixture, a test carries the marker,
or ``--audit-deny``/``audit_deny`` is set.  Without the entry point (a
checkout), load it with ``-p pyaudit.pytest_plugin`` (harmless when it is
installed too); disable it with ``-p no:pyaudit``.

* ``audit`` fixture: ``audit.watch``, ``audit.record``, ``audit.count`` and
  ``audit.deny`` return the usual pyaudit objects, closed when the test ends.
* ``@pytest.mark.audit_deny(*patterns)``: matching events are denied while
  the test function runs (the call phase; its fixtures are not covered), and
  the test fails if any was attempted, even when the code under test caught
  the ``pyaudit.Denied`` (a ``PermissionError``, so an ``OSError``).
* ``--audit-deny=PATTERNS`` (repeatable; added to the ``audit_deny`` ini
  lines): the same for every test, covering its setup, call and teardown; the
  terminal summary lists what was denied.
"""

import contextlib
import linecache
import os
import reprlib
import sys
import warnings

import _pytest
import pluggy
import pytest

import pyaudit
from pyaudit import _catalog
from pyaudit._api import DEFAULT_CAPACITY

MARKER = "audit_deny"
MAX_DETAILED = 20       # attempts kept with a stack, per test phase
MAX_SHOWN = 5           # attempts described in a failure message
MAX_FRAMES = 6          # frames shown per attempt

# Frames in these packages are not the code under test.
_SKIPPED_DIRS = tuple(os.path.dirname(module.__file__) + os.sep
                      for module in (pyaudit, pytest, _pytest, pluggy))
_PLUGGY_DIR = _SKIPPED_DIRS[-1]

_repr = reprlib.Repr()
_repr.maxstring = 100
_repr.maxother = 160       # a socket's repr, say
_repr.maxtuple = _repr.maxlist = _repr.maxdict = 6


# -- pyaudit's advisory check of pattern names -------------------------------
#
# Subscribing warns (pyaudit.UnknownEventWarning) about a pattern that names
# no event this Python raises, blaming the subscribing line.  The plugin
# subscribes on the user's behalf, so it subscribes quietly and warns itself,
# once, where the patterns were written.

def _unknown_events(items):
    """pyaudit's UnknownEventWarnings for ``items``, as a list."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _catalog.check_patterns(items)
    return [w.message for w in caught]


@contextlib.contextmanager
def _quietly():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
        yield


# -- the ``audit`` fixture --------------------------------------------------

class Audit:
    """pyaudit's subscribing functions; every subscription made through
    them is closed when the test ends (see ``pyaudit.watch`` and friends)."""

    def __init__(self):
        self._subscriptions = []

    def _keep(self, subscribe, *args):
        with _quietly():
            subscription = subscribe(*args)
        self._subscriptions.append(subscription)
        for warning in _unknown_events(subscription.patterns):
            warnings.warn(warning, stacklevel=3)    # the test's line
        return subscription

    def watch(self, patterns, callback):
        """``pyaudit.watch``: call ``callback(name, args)`` per event."""
        return self._keep(pyaudit.watch, patterns, callback)

    def record(self, patterns, capacity=DEFAULT_CAPACITY):
        """``pyaudit.record``: a ``Recorder`` to ``drain()``."""
        return self._keep(pyaudit.record, patterns, capacity)

    def count(self, patterns):
        """``pyaudit.count``: a ``Counter`` with ``counts()``."""
        return self._keep(pyaudit.count, patterns)

    def deny(self, patterns):
        """``pyaudit.deny``: matching events raise ``pyaudit.Denied``."""
        return self._keep(pyaudit.deny, patterns)

    def close(self):
        """Close every subscription made through this object, newest first."""
        while self._subscriptions:
            self._subscriptions.pop().close()


@pytest.fixture
def audit():
    """pyaudit for one test: ``audit.watch/record/count/deny(patterns, ...)``
    return the usual pyaudit objects and are closed when the test ends."""
    fixture = Audit()
    try:
        yield fixture
    finally:
        fixture.close()


# -- denying: the marker and the option -------------------------------------

def _frames():
    """The caller's stack as (filename, lineno, function), innermost first:
    pyaudit's, pytest's and pluggy's own frames left out, and nothing beyond
    the first pluggy frame (what called the test or fixture)."""
    frames = []
    frame = sys._getframe()
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if filename.startswith(_PLUGGY_DIR):
            break
        if not filename.startswith(_SKIPPED_DIRS):
            frames.append((filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    return frames


class _Attempt:
    """One denied event: its name, a short repr of its args and its stack."""

    __slots__ = ("name", "args", "frames")

    def __init__(self, name, args):
        self.name = name
        try:
            self.args = _repr.repr(args)
        except Exception as exc:
            self.args = "(<repr failed: %s>)" % type(exc).__name__
        try:
            self.frames = _frames()
        except Exception:
            self.frames = []

    def key(self):
        return (self.name, tuple(self.frames))

    def describe(self, rootdir, times):
        """Lines naming the event and where it was raised, outermost frame
        first (the test or fixture, then the code it called)."""
        lines = ["%s %s%s" % (self.name, self.args,
                              "" if times == 1 else "  (x%d)" % times)]
        frames = self.frames[::-1]
        if len(frames) > MAX_FRAMES:
            frames = frames[:2] + [None] + frames[-(MAX_FRAMES - 2):]
        for frame in frames:
            if frame is None:
                lines.append("  ...")
                continue
            filename, lineno, function = frame
            lines.append("  %s:%d in %s" % (_shorten(filename, rootdir),
                                            lineno, function))
            source = linecache.getline(filename, lineno).strip()
            if source:
                lines.append("      " + source)
        if not self.frames:
            lines.append("  (no Python frame outside pyaudit and pytest)")
        return lines


def _shorten(filename, rootdir):
    if rootdir and filename.startswith(rootdir + os.sep):
        return filename[len(rootdir) + 1:]
    return filename


class _PhaseDenial:
    """Denies ``patterns`` during one phase of one test and keeps what was
    attempted: exact counts (``pyaudit.count``, which sees every attempt)
    and, for the first few, a stack (``pyaudit.watch``, which runs before
    the ``pyaudit.deny`` that refuses the event)."""

    def __init__(self, patterns, sources):
        self.patterns = patterns
        self.sources = sources
        self.attempts = []
        self.counts = {}
        self._subscriptions = []
        try:
            with _quietly():    # checked once, at configure or setup
                self._counter = self._subscribe(pyaudit.count(patterns))
                self._subscribe(pyaudit.watch(patterns, self._attempted))
                self._subscribe(pyaudit.deny(patterns))
        except BaseException:
            self.close()
            raise

    def _subscribe(self, subscription):
        self._subscriptions.append(subscription)
        return subscription

    def _attempted(self, name, args):
        if len(self.attempts) < MAX_DETAILED:
            self.attempts.append(_Attempt(name, args))

    def close(self):
        for subscription in self._subscriptions:
            subscription.close()
        if self._subscriptions:
            self.counts = self._counter.counts()

    @property
    def total(self):
        return sum(self.counts.values())

    def describe(self, when, rootdir):
        """The failure message: what was denied, by what, and where."""
        counts = sorted(self.counts.items())
        lines = ["pyaudit: audit events denied during %s by %s: %s" % (
            when, " and ".join(self.sources),
            ", ".join("%s x%d" % count for count in counts))]
        groups = {}     # same event from the same place: shown once
        for attempt in self.attempts:
            groups.setdefault(attempt.key(), [attempt, 0])[1] += 1
        shown = list(groups.values())[:MAX_SHOWN]
        for attempt, times in shown:
            lines.extend(attempt.describe(rootdir, times))
        hidden = self.total - sum(times for _, times in shown)
        if hidden:
            lines.append("(%d more not shown)" % hidden)
        return "\n".join(lines)


def _split(values, source):
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


def _marker_patterns(item, check=False):
    """The pattern items of every ``audit_deny`` marker on ``item`` (from
    the function, class and module), or () without one.  With ``check``,
    warn about names that no event of this Python has, blaming the test."""
    items = ()
    for mark in item.iter_markers(MARKER):
        source = "@pytest.mark.%s(%s)" % (
            MARKER, ", ".join(_repr.repr(arg) for arg in mark.args))
        if mark.kwargs:
            raise TypeError("%s: takes only patterns, not keyword arguments "
                            "%s" % (source, ", ".join(sorted(mark.kwargs))))
        if not mark.args:
            raise ValueError("%s: give at least one pattern" % (source,))
        marked = _split(mark.args, source)
        items += marked
        if check:
            path, lineno, _ = item.reportinfo()
            for warning in _unknown_events(marked):
                warnings.warn_explicit(
                    pyaudit.UnknownEventWarning("%s: %s" % (source, warning)),
                    None, str(path), (lineno or 0) + 1)
    return items


class DenyPlugin:
    """The hooks behind the marker and the option (registered always; they
    subscribe only for a marked test or when the option is set)."""

    def __init__(self, config, patterns, label):
        self.patterns = patterns            # from the option and ini
        self.label = label                  # where they were given
        self.rootdir = str(getattr(config, "rootpath", None) or
                           config.rootdir)
        self.denied = []                    # (nodeid, when, {event: n})
        self._guards = {}                   # (nodeid, when) -> _PhaseDenial

    @contextlib.contextmanager
    def _guarding(self, item, when):
        patterns, sources = self.patterns, []
        if patterns:
            sources.append(self.label)
        if when == "call":
            marked = _marker_patterns(item)     # checked at setup
            if marked:
                patterns += marked
                sources.append("@pytest.mark.%s(%r)"
                               % (MARKER, ",".join(marked)))
        if not patterns:
            yield
            return
        guard = _PhaseDenial(patterns, sources)
        try:
            yield
        finally:
            guard.close()
            if guard.total:
                self._guards[item.nodeid, when] = guard

    # The phases' innermost wrappers: denial covers the fixtures (setup,
    # teardown) or the test function (call), not pytest's own work.

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_setup(self, item):
        try:    # a bad marker errors the test before its fixtures run
            _marker_patterns(item, check=True)
            error = None
        except (TypeError, ValueError) as exc:
            error = str(exc)
        if error is not None:
            pytest.fail(error, pytrace=False)
        with self._guarding(item, "setup"):
            yield

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_call(self, item):
        with self._guarding(item, "call"):
            yield

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_teardown(self, item):
        with self._guarding(item, "teardown"):
            yield

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        """Fail a phase that attempted a denied event, however it ended."""
        outcome = yield
        guard = self._guards.pop((item.nodeid, call.when), None)
        if guard is None:
            return
        self.denied.append((item.nodeid, call.when, guard.counts))
        report = outcome.get_result()
        message = guard.describe(
            "the test" if call.when == "call" else call.when, self.rootdir)
        if report.failed or hasattr(report, "wasxfail"):
            report.sections.append(("pyaudit: denied audit events", message))
        else:   # passed, or skipped after catching the Denied
            report.outcome = "failed"
            report.longrepr = message

    def pytest_report_header(self, config):
        if self.patterns:
            return "pyaudit: denying %s in every test" % ",".join(
                self.patterns)
        return None

    def pytest_terminal_summary(self, terminalreporter):
        if not self.denied:
            return
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "pyaudit: denied audit events")
        write("%6s  %-28s %s" % ("count", "event", "test"))
        for nodeid, when, counts in self.denied:
            where = nodeid if when == "call" else "%s (%s)" % (nodeid, when)
            for name, n in sorted(counts.items()):
                write("%6d  %-28s %s" % (n, name, where))


# -- configuration ----------------------------------------------------------

def pytest_addoption(parser):
    group = parser.getgroup("pyaudit", "pyaudit audit events")
    group.addoption(
        "--audit-deny", action="append", default=[], metavar="PATTERNS",
        help="deny audit events matching PATTERNS (comma-separated pyaudit "
             "patterns, e.g. 'socket.*,subprocess.*') in every test's setup, "
             "call and teardown; a test that attempts one fails.  "
             "Repeatable; added to the audit_deny ini lines.")
    parser.addini(
        "audit_deny", type="linelist", default=[],
        help="pyaudit patterns to deny in every test, as --audit-deny.")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "%s(*patterns): deny audit events matching the pyaudit patterns "
        "while the test function runs; the test fails if one was attempted, "
        "even if the code caught the pyaudit.Denied." % MARKER)
    patterns, labels = (), []
    for values, source in ((config.getini("audit_deny"), "audit_deny (ini)"),
                           (config.getoption("audit_deny"), "--audit-deny")):
        try:
            items = _split(values, source)
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(str(exc)) from None
        for warning in _unknown_events(items):
            config.issue_config_time_warning(pyaudit.UnknownEventWarning(
                "%s: %s" % (source, warning)), stacklevel=2)
        if items:
            patterns += items
            labels.append("%s=%s" % (source.split()[0], ",".join(items)))
    config.pluginmanager.register(
        DenyPlugin(config, patterns, " and ".join(labels)), "pyaudit-deny")
