"""``pyaudit.Where``: conditions on an event's arguments, and the one
function that turns any ``where=`` value into rule text.

A Where is checked when it is made (by the Python reference,
``pyaudit._rules``, imported then: it is not needed to subscribe without
rules) and holds its conditions normalised; its text is the canonical
rule text, which is what the backends compile.
"""

import os

LIST_KINDS = (list, tuple, set, frozenset)
WHERE_ALLOWED = "a pyaudit.Where, a list or tuple of them, rule text " \
    "(str) or None"


def _sorted(values):
    """A set's values in a fixed order (by type, then value)."""
    return sorted(values, key=lambda v: (type(v).__name__, v))


def _entries(values, paths):
    if not isinstance(values, LIST_KINDS):
        return values       # the check names the wrong type
    values = _sorted(values) if isinstance(values, (set, frozenset)) \
        else list(values)
    if paths:
        values = [os.fspath(v) if isinstance(v, os.PathLike) else v
                  for v in values]
    return values


def _port(entry):
    from . import _rules
    if not isinstance(entry, range):
        return entry
    if entry.step != 1 or not entry:
        raise ValueError("ports: %r is not a port range; %s"
                         % (entry, _rules.PORT_ALLOWED))
    if len(entry) == 1:
        return entry.start
    return "%d-%d" % (entry.start, entry[-1])


def _args(table):
    if not isinstance(table, dict):
        return table
    converted = {}
    for key, value in table.items():
        if isinstance(key, bool) or not isinstance(key, (int, str)):
            raise TypeError("args keys must be argument names (str) or "
                            "positions (int), not %s" % type(key).__name__)
        if isinstance(key, int) and key < 0:
            raise ValueError("args: position %d must be a decimal number "
                             "0-255 without leading zeros" % key)
        if isinstance(value, LIST_KINDS):
            value = _entries(value, False)
        converted[str(key)] = value
    return converted


def _model(conditions):
    """Keyword conditions as a model table (TOML types)."""
    from . import _rules
    table = {}
    for name, value in conditions.items():
        if name in ("paths_under", "paths_outside", "programs",
                    "programs_outside"):
            value = _entries(value, True)
        elif name in _rules.LIST_CONDITIONS:
            value = _entries(value, False)
        elif name == "ports" and isinstance(value, LIST_KINDS):
            value = [_port(entry) for entry in _entries(value, False)]
        elif name == "args":
            value = _args(value)
        table[name] = value
    return table


class Where:
    """Conditions on an event's arguments, all of which must hold.

    ``Where(writing=True, paths_outside=["/srv/app"])``; see docs/rules.md
    for every condition.  Give a list of Where objects where any of them
    may match.  ``str(where)`` is its canonical rule text.
    """

    __slots__ = ("_table",)

    def __init__(self, **conditions):
        from . import _rules
        [self._table] = _rules.check([_model(conditions)])

    @property
    def text(self):
        """The canonical rule text, e.g. ``{writing = true}``."""
        from . import _rules
        return _rules.render([self._table])

    def __str__(self):
        return self.text

    def __repr__(self):
        return "pyaudit.Where(%s)" % ", ".join(
            "%s=%r" % item for item in self._table.items())

    def __eq__(self, other):
        if not isinstance(other, Where):
            return NotImplemented
        return self.text == other.text

    def __hash__(self):
        return hash(self.text)


def where_model(where):
    """The checked model of a ``where=`` value, or None for None."""
    from . import _rules
    if where is None:
        return None
    if isinstance(where, Where):
        return [where._table]
    if isinstance(where, str):
        return _rules.check(_rules.parse(where))
    if isinstance(where, (list, tuple)) and all(
            isinstance(w, Where) for w in where):
        if not where:
            raise ValueError("where has no alternatives: an empty %s "
                             "matches nothing; give at least one "
                             "pyaudit.Where" % type(where).__name__)
        return [w._table for w in where]
    raise TypeError("where must be %s, not %s"
                    % (WHERE_ALLOWED, type(where).__name__))


def where_text(where):
    """The canonical rule text of a ``where=`` value, or None for None.
    Rule text given as a str is read by the reference parser first, so
    that every spelling of the same rules lists as one text and a text
    that is not TOML fails alike on both backends."""
    if where is None:
        return None
    from . import _rules
    return _rules.render(where_model(where))
