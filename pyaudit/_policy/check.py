"""Reading and checking a policy: from its text to a ``Spec`` of compiled
rules, or a ``PolicyError`` listing every problem found, each with the
file, the line and the key.  Nothing here subscribes: a Spec is applied
by pyaudit._policy.policy, and ``pyaudit check-policy`` only prints it.

Patterns are checked by pyaudit's reference parser and rules by the
rules engine's reference checks (pyaudit._patterns, pyaudit._rules),
key by key so that each problem names its key; then the backend in use
compiles each rule as a ``Filter``, the check it will make when the
rule subscribes.
"""

import collections
import difflib
import os
import sys

from .. import _catalog, _patterns, _rules
from .._errors import PolicyError, PolicyProblem
from . import schema
from .lines import Lines
from .variables import Resolver

TEXT_SOURCE = "<text>"

Rule = collections.namedtuple(
    "Rule", "index name action patterns where conditions line options")
Rule.__doc__ = """A checked rule: ``index`` (1 for the first [[rule]]),
``name`` (None when not given), ``action``, ``patterns`` (the pattern
items), ``where`` (canonical rule text or None), ``conditions`` (the same
as a tuple of pyaudit.Where, what subscribing takes without parsing text
again, or None), ``line`` and ``options`` (a dict of the keys that apply
to its action, defaults filled in)."""

Spec = collections.namedtuple("Spec", "name source rules output variables")
Spec.__doc__ = """A checked policy, not in force: ``name``, ``source``
(the file, or a label), ``rules`` (a tuple of Rule), ``output`` (the
[output] table, defaults filled in) and ``variables`` (the built-in
variables it read, name -> value)."""


def rule_label(index, name):
    """How messages name a rule: 'rule 2' or 'rule 2 ("no writes")'."""
    return "rule %d" % index if name is None else 'rule %d ("%s")' % (
        index, name)


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
        return tomllib
    import tomli
    return tomli


def _syntax_line(message, text):
    """(line, message without it) of tomllib's "... (at line 3, column
    8)" or "... (at end of document)"; line None if it says neither."""
    if message.endswith("(at end of document)"):
        return (text.count("\n") + (not text.endswith("\n")),
                message[:-len("(at end of document)")].rstrip())
    marker = "(at line "
    start = message.rfind(marker)
    if start < 0:
        return None, message
    digits = message[start + len(marker):].split(",")[0].split(")")[0]
    return ((int(digits) if digits.isdigit() else None),
            message[:start].rstrip())


def parse(text, source):
    """(document, Lines) of a policy text; PolicyError if it is not
    TOML."""
    toml = _toml()
    try:
        document = toml.loads(text)
    except toml.TOMLDecodeError as exc:
        line, message = _syntax_line(str(exc), text)
        raise PolicyError([PolicyProblem(
            source, line, None, "not valid TOML: %s" % message)]) from None
    return document, Lines(text)


def read_file(path):
    """The text of a policy file; PolicyError when it cannot be read."""
    try:
        with open(path, "rb") as file:
            data = file.read()
    except OSError as exc:
        raise PolicyError([PolicyProblem(
            path, None, None, "cannot read the policy: %s"
            % (exc.strerror or exc,))]) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PolicyError([PolicyProblem(
            path, data.count(b"\n", 0, exc.start) + 1, None,
            "not UTF-8 text, as TOML must be")]) from None


def _type_name(value):
    return _rules.toml_type(value)


class _Problems(Exception):
    """Stops checking one key; its problem is already recorded."""


class _Checker:
    def __init__(self, source, lines, resolver, filter_type):
        self.source = source
        self.lines = lines
        self.resolver = resolver
        self.filter_type = filter_type
        self.problems = []
        self.own = ((), ())         # own_events: items, parsed
        self.rule_labels = {}       # index -> label, for named rules

    def problem(self, path, message):
        line = self.lines.line_of(path) if self.lines is not None else None
        self.problems.append(PolicyProblem(self.source, line,
                                           self.key_label(path), message))

    def fail(self, path, message):
        self.problem(path, message)
        raise _Problems()

    def key_label(self, path):
        if not path:
            return None
        if path[0] == "rule" and len(path) >= 2 and isinstance(path[1], int):
            label = self.rule_labels.get(path[1], rule_label(path[1] + 1,
                                                             None))
            rest = ".".join(p for p in path[2:] if isinstance(p, str))
            return label if not rest else "%s, %s" % (label, rest)
        return ".".join(p for p in path if isinstance(p, str))

    # -- values ----------------------------------------------------------

    def unknown_keys(self, path, table, keys):
        known = {key.name for key in keys}
        for name in table:
            if name not in known:
                close = difflib.get_close_matches(name, sorted(known), n=1)
                hint = "; did you mean %r?" % close[0] if close else ""
                self.problem(path + (name,), "unknown key %r%s; %s"
                             % (name, hint, schema.allowed(keys)))

    def string(self, path, value):
        if not isinstance(value, str) or not value:
            self.fail(path, "must be a non-empty string, not %s"
                      % ("an empty string" if value == ""
                         else _type_name(value)))
        if not value.isprintable():
            self.fail(path, "must be printable text on one line, not %r"
                      % (value,))
        return value

    def integer(self, path, value, low, high):
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, "must be an integer %d-%d, not %s"
                      % (low, high, _type_name(value)))
        if not low <= value <= high:
            self.fail(path, "must be an integer %d-%d, not %d"
                      % (low, high, value))
        return value

    def level(self, path, value):
        if isinstance(value, str) and value in schema.LEVELS:
            return schema.LEVELS[value]
        if isinstance(value, int) and not isinstance(value, bool) \
                and value >= 0:
            return value
        hint = ""
        if isinstance(value, str) and value.upper() in schema.LEVELS:
            hint = " (did you mean %r?)" % value.upper()
        self.fail(path, "must be a level name (%s) or an integer >= 0, "
                  "not %r%s" % (", ".join(schema.LEVELS), value, hint))

    def choice(self, path, value, choices):
        if not isinstance(value, str) or value not in choices:
            self.fail(path, "must be one of %s, not %r"
                      % (", ".join(repr(c) for c in choices), value))
        return value

    def patterns(self, path, value):
        """(items, parsed) of a str or an array of str."""
        if isinstance(value, list) and not all(
                isinstance(item, str) for item in value):
            self.fail(path, "must be a string of comma-separated patterns "
                      "or an array of strings, not an array holding %s"
                      % _type_name(next(item for item in value
                                        if not isinstance(item, str))))
        if not isinstance(value, (str, list)):
            self.fail(path, "must be a string of comma-separated patterns "
                      "or an array of strings, not %s" % _type_name(value))
        try:
            return _patterns.split(value)
        except (TypeError, ValueError) as exc:
            self.fail(path, str(exc))

    # -- the parts of a policy -------------------------------------------

    def own_events(self, value):
        self.own = self.patterns(("own_events",), value)

    def _own_covers(self, kind, text):
        for excluded, own_kind, own_text in self.own[1]:
            if excluded:
                continue
            if own_kind == "all" or own_kind == kind == "exact" and \
                    own_text == text or own_kind == "prefix" and \
                    text.startswith(own_text):
                return True
        return False

    def known_events(self, path, items, parsed):
        """A problem for each item naming no event of any CPython the
        catalog knows and not declared in own_events."""
        names = _catalog.catalog_events()
        versions = _catalog.catalog_versions()
        for item, (excluded, kind, text) in zip(items, parsed):
            if excluded or kind == "all" or self._own_covers(kind, text):
                continue
            if kind == "exact":
                if text in names:
                    continue
                close = difflib.get_close_matches(text, sorted(names), n=3)
            else:
                if any(name.startswith(text) for name in names):
                    continue
                prefixes = sorted({name[:i + 1] for name in names
                                   for i, c in enumerate(name) if c == "."})
                close = [p + "*" for p in difflib.get_close_matches(
                    text, prefixes, n=3)]
            hint = "; did you mean %s?" % " or ".join(
                repr(c) for c in close) if close else ""
            self.problem(path, "%r names no audit event of CPython %s-%s%s "
                         "(list events your own code raises in own_events)"
                         % (item, versions[0], versions[-1], hint))

    def output(self, value):
        output = {key.name: key.default for key in schema.OUTPUT_KEYS}
        for name in ("log_level", "warn_level"):
            output[name] = schema.LEVELS[output[name]]
        if value is None:
            return output
        path = ("output",)
        if not isinstance(value, dict):
            self.problem(path, "must be a table ([output]), not %s"
                         % _type_name(value))
            return output
        self.unknown_keys(path, value, schema.OUTPUT_KEYS)
        checks = {
            "logger": self.string,
            "log_level": self.level, "warn_level": self.level,
            "stack": lambda p, v: self.integer(p, v, 0, schema.MAX_STACK),
            "capacity": lambda p, v: self.integer(p, v, 1,
                                                  schema.MAX_CAPACITY),
        }
        for name, check in checks.items():
            if name in value:
                try:
                    output[name] = check(path + (name,), value[name])
                except _Problems:
                    pass
        return output

    def where(self, path, value, items):
        """(canonical rule text, tuple of pyaudit.Where) of a rule's
        ``where``."""
        alternatives = value if isinstance(value, list) else [value]
        if not isinstance(value, (dict, list)) or not alternatives:
            self.fail(path, "must be an inline table of conditions or an "
                      "array of them, not %s" % (
                          "an empty array" if value == []
                          else _type_name(value)))
        model = []
        failed = False
        for position, table in enumerate(alternatives):
            at = path + (position,) if isinstance(value, list) else path
            if not isinstance(table, dict) or not table:
                self.problem(at, "each alternative must be an inline table "
                             "with at least one condition, not %s" % (
                                 "an empty table" if table == {}
                                 else _type_name(table)))
                failed = True
                continue
            checked = {}
            for condition, raw in table.items():
                try:
                    single = [{condition: self.resolver.substitute_all(raw)}]
                    [part] = _rules.check(single)
                    _rules.check_supported([part], items)
                except (TypeError, ValueError) as exc:
                    self.problem(at + (condition,), str(exc))
                    failed = True
                    continue
                checked.update(part)
            model.append(checked)
        if failed:
            raise _Problems()
        from .._where import Where
        conditions = tuple(Where(**table) for table in model)
        try:
            self.filter_type(items, where=conditions)
        except (TypeError, ValueError) as exc:
            self.fail(path, str(exc))
        return _rules.render(_rules.check(model)), conditions

    def rule(self, index, table, output):
        path = ("rule", index)
        if not isinstance(table, dict):
            self.problem(path, "must be a table ([[rule]]), not %s"
                         % _type_name(table))
            return None
        name = table.get("name")
        if isinstance(name, str) and name and name.isprintable():
            self.rule_labels[index] = rule_label(index + 1, name)
        problems = len(self.problems)
        self.unknown_keys(path, table, schema.RULE_KEYS)
        for required in schema.REQUIRED_RULE_KEYS:
            if required not in table:
                self.problem(path, "has no %r key (required)" % required)
        values = {}
        for key in schema.RULE_KEYS:
            if key.name not in table:
                continue
            try:
                values[key.name] = self.rule_value(path + (key.name,),
                                                   table[key.name], values)
            except _Problems:
                pass
        action = values.get("action")
        if action is None:
            return None
        options = {}
        for key in schema.RULE_KEYS:
            if key.actions is None or action not in key.actions:
                if key.actions is not None and key.name in table:
                    self.problem(path + (key.name,), "%r is for %s rules, "
                                 "not %s rules" % (key.name,
                                                   ", ".join(key.actions),
                                                   action))
                continue
            if key.name in values:
                options[key.name] = values[key.name]
            elif key.name == "level":
                options["level"] = output["%s_level" % action]
            elif key.name in output:
                options[key.name] = output[key.name]
            else:
                options[key.name] = key.default
        if len(self.problems) > problems:
            return None
        where, conditions = values.get("where", (None, None))
        return Rule(index + 1, name, action, values["patterns"], where,
                    conditions, self.lines.line_of(path)
                    if self.lines is not None else None, options)

    def rule_value(self, path, value, values):
        name = path[-1]
        if name == "action":
            return self.choice(path, value, tuple(schema.ACTIONS))
        if name == "events":
            items, parsed = self.patterns(path, value)
            values["patterns"] = items
            count = len(self.problems)
            self.known_events(path, items, parsed)
            if len(self.problems) > count:
                raise _Problems()
            return items
        if name == "where":
            if "patterns" not in values:
                raise _Problems()       # the events' problem is reported
            return self.where(path, value, values["patterns"])
        if name == "interpreters":
            return self.choice(path, value, ("own", "all"))
        if name == "level":
            return self.level(path, value)
        if name == "stack":
            return self.integer(path, value, 0, schema.MAX_STACK)
        if name == "capacity":
            return self.integer(path, value, 1, schema.MAX_CAPACITY)
        return self.string(path, value)     # name, logger

    def document(self, document):
        self.unknown_keys((), document, schema.TOP_KEYS)
        name = None
        if "name" in document:
            try:
                name = self.string(("name",), document["name"])
            except _Problems:
                pass
        if "own_events" in document:
            try:
                self.own_events(document["own_events"])
            except _Problems:
                pass
        output = self.output(document.get("output"))
        tables = document.get("rule")
        if tables is None or tables == []:
            self.problem(("rule",), "the policy has no rules: add at least "
                         "one [[rule]] table")
            tables = []
        elif not isinstance(tables, list):
            self.problem(("rule",), "must be an array of tables "
                         "([[rule]]), not %s" % _type_name(tables))
            tables = []
        rules = [self.rule(index, table, output)
                 for index, table in enumerate(tables)]
        return name, output, tuple(rules)


def check(document, source, lines=None, variables=None, filter_type=None):
    """The Spec of a parsed policy document; PolicyError listing every
    problem.  ``variables``: values for ${NAME} (see variables.py);
    ``filter_type``: the backend's Filter (default: pyaudit.Filter)."""
    if filter_type is None:
        from .. import Filter as filter_type
    resolver = Resolver(variables)
    checker = _Checker(source, lines, resolver, filter_type)
    name, output, rules = checker.document(document)
    if checker.problems:
        raise PolicyError(sorted(checker.problems, key=lambda p: (
            p.line is None, p.line or 0)))
    if name is None:
        name = source
    return Spec(name, source, rules, output, dict(resolver.resolved))


def load_text(text, source, variables=None, filter_type=None):
    """The Spec of policy text read from ``source``."""
    document, lines = parse(text, source)
    return check(document, source, lines, variables, filter_type)


def load(path_or_text, variables=None, filter_type=None):
    """The Spec of a policy file (a path: a PathLike, or a str without a
    newline) or text (a str with a newline)."""
    if isinstance(path_or_text, os.PathLike) or (
            isinstance(path_or_text, str) and "\n" not in path_or_text):
        source = os.fspath(path_or_text)
        if not isinstance(source, str):
            raise TypeError("a policy path must be a str path, not %s"
                            % type(source).__name__)
        return load_text(read_file(source), source, variables, filter_type)
    if isinstance(path_or_text, str):
        return load_text(path_or_text, TEXT_SOURCE, variables, filter_type)
    raise TypeError("load_policy() takes a path (str or os.PathLike) or "
                    "policy text (a str with a newline), not %s"
                    % type(path_or_text).__name__)
