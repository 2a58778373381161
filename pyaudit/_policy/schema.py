"""The policy file's schema: every key, stated once.

docs/policies.md shows the same tables (a test holds them to these), the
checker (pyaudit._policy.check) reads them for what each key takes, and
``pyaudit check-policy`` for what it prints.

A policy is a TOML document:

    name = "..."            optional, top-level
    own_events = [...]      optional, top-level
    [output]                optional: defaults for the rules' output
    [[rule]]                one or more
"""

# action -> (subscription kind, what happens to a matching event)
ACTIONS = {
    "deny": ("deny", "refused: the operation raises pyaudit.Denied"),
    "warn": ("watch", "logged as what would be denied, and let through"),
    "log": ("watch", "logged, and let through"),
    "record": ("record", "kept in a bounded buffer, to drain from the "
                         "Policy object"),
    "count": ("count", "counted per event name, read from the Policy "
                       "object"),
}

# logging's standard levels, named without importing logging.
LEVELS = {"CRITICAL": 50, "ERROR": 40, "WARNING": 30, "INFO": 20,
          "DEBUG": 10}
MAX_STACK = 64
ONE_LINE = "a non-empty string on one line"
MAX_CAPACITY = 2 ** 30


class Key:
    """One key: its name, what it takes (for messages and the docs), its
    default (None: none) and, for rule keys, the actions it serves."""

    __slots__ = ("name", "takes", "default", "actions", "meaning")

    def __init__(self, name, takes, meaning, default=None, actions=None):
        self.name = name
        self.takes = takes
        self.meaning = meaning
        self.default = default
        self.actions = actions      # None: every action


TOP_KEYS = (
    Key("name", ONE_LINE, "the policy's name, shown by check-policy and in "
        "every log record (default: the file name)"),
    Key("own_events", "a string of comma-separated patterns or an array "
        "of them", "events your own code raises with sys.audit(): rules "
        "may name them although no CPython raises them"),
    Key("output", "a table", "defaults for the rules' output (below)"),
    Key("rule", "an array of tables ([[rule]])", "the rules, at least one"),
)

OUTPUT_KEYS = (
    Key("logger", ONE_LINE, "the logging logger of log and warn rules",
        "pyaudit.policy"),
    Key("log_level", "a level name (%s) or an integer >= 0"
        % ", ".join(LEVELS), "the level of log rules' records", "INFO"),
    Key("warn_level", "a level name (%s) or an integer >= 0"
        % ", ".join(LEVELS), "the level of warn rules' records", "WARNING"),
    Key("stack", "an integer 0-%d" % MAX_STACK, "Python frames of the "
        "code that raised the event, innermost first: in log and warn "
        "records, and kept by record rules", 1),
    Key("capacity", "an integer 1-%d" % MAX_CAPACITY, "events a record "
        "rule keeps before it drops", 65536),
)

RULE_KEYS = (
    Key("action", "one of %s" % ", ".join(ACTIONS), "what happens to a "
        "matching event (required)"),
    Key("events", "a string of comma-separated patterns or an array of "
        "them", "pyaudit patterns: 'open', 'socket.*', '!os.listdir' "
        "(required)"),
    Key("where", "an inline table of conditions, or an array of them",
        "conditions on the event's arguments, the keys of pyaudit.Where "
        "(docs/rules.md); strings may use variables"),
    Key("name", ONE_LINE, "the rule's name in messages and log records "
        "(default: rule N)"),
    Key("interpreters", "'own' or 'all'", "whose events: this "
        "interpreter's, or every interpreter's (native backend)", "own",
        actions=("deny", "record", "count")),
    Key("logger", ONE_LINE, "overrides output.logger",
        actions=("log", "warn")),
    Key("level", "a level name (%s) or an integer >= 0" % ", ".join(LEVELS),
        "overrides output.log_level or output.warn_level",
        actions=("log", "warn")),
    Key("stack", "an integer 0-%d" % MAX_STACK, "overrides output.stack",
        actions=("log", "warn", "record")),
    Key("capacity", "an integer 1-%d" % MAX_CAPACITY,
        "overrides output.capacity", actions=("record",)),
)
REQUIRED_RULE_KEYS = ("action", "events")

TOP_BY_NAME = {key.name: key for key in TOP_KEYS}
OUTPUT_BY_NAME = {key.name: key for key in OUTPUT_KEYS}
RULE_BY_NAME = {key.name: key for key in RULE_KEYS}


def allowed(keys):
    """"allowed: a, b, c" for a tuple of keys."""
    return "allowed: " + ", ".join(key.name for key in keys)
