"""``pyaudit check-policy FILE``: check a policy and print its rules as they
would be put in force (patterns, canonical conditions with the variables
substituted, the options of each action), without putting anything in
force.  A policy with problems prints one line per problem on standard
error, ``FILE:LINE: KEY: MESSAGE``, and exits with status 2.
"""

HELP = "check a policy file and print its rules, without enforcing them"

LEVEL_NAMES = {50: "CRITICAL", 40: "ERROR", 30: "WARNING", 20: "INFO",
               10: "DEBUG"}


def add_arguments(parser):
    parser.add_argument("file", metavar="FILE", help="the policy (TOML)")
    parser.add_argument("--var", action="append", default=[],
                        metavar="NAME=VALUE",
                        help="a value for ${NAME} in the policy (e.g. "
                             "CWD=/srv/app, to check it as a process "
                             "started there would read it); repeatable")


def _variables(values, parser):
    variables = {}
    for value in values:
        name, equals, text = value.partition("=")
        if not equals:
            parser.error("--var %r: give NAME=VALUE" % (value,))
        variables[name] = text
    try:
        from .._policy.variables import check_names
        check_names(variables)
    except (TypeError, ValueError) as exc:
        parser.error("--var: %s" % (exc,))
    return variables


def _options(rule):
    shown = []
    for name, value in rule.options.items():
        if name == "level":
            value = LEVEL_NAMES.get(value, value)
        shown.append("%s %s" % (name, value))
    return ", ".join(shown)


def describe(spec):
    """The lines printed for a checked policy."""
    from .. import _catalog
    from .._policy.check import rule_label
    lines = ["%s: policy %r, %d rule%s" % (
        spec.source, spec.name, len(spec.rules),
        "" if len(spec.rules) == 1 else "s")]
    notes = []
    for rule in spec.rules:
        lines.append("%s (line %s): %s %s" % (
            rule_label(rule.index, rule.name), rule.line, rule.action,
            ", ".join(rule.patterns)))
        if rule.where is not None:
            lines.append("    where %s" % rule.where)
        if rule.options:
            lines.append("    %s" % _options(rule))
        notes += ["note: %s: %s" % (rule_label(rule.index, rule.name),
                                    message)
                  for message in _catalog.unknown_pattern_messages(
                      rule.patterns)]
    if spec.variables:
        lines.append("variables: %s" % ", ".join(
            "%s=%s" % item for item in sorted(spec.variables.items())))
    return lines + notes


def run(args, parser):
    import sys
    from .._errors import PolicyError
    from .._policy import check
    variables = _variables(args.var, parser)
    try:
        spec = check.load_text(check.read_file(args.file), args.file,
                               variables)
    except PolicyError as exc:
        for problem in exc.problems:
            sys.stderr.write("%s\n" % (problem,))
        return 2
    sys.stdout.write("\n".join(describe(spec)) + "\n")
    return 0
