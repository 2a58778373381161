"""``python -m pyaudit events [PATTERNS ... | --defaults] [--json]``: list
audit events.

Lists the events the running Python raises, according to pyaudit's events
catalog, optionally only those matching the patterns (the syntax of
``pyaudit.Filter``; several arguments add up, as do commas in one).  Text
output is one event a line: name, argument names and documentation link,
in aligned columns.  ``--json`` prints a JSON list of catalog entries
instead (see ``pyaudit.describe``).  ``--defaults`` lists the events that
``pyaudit run`` reports when no ``-e`` says otherwise.

A bad pattern is an error (exit status 2).  A pattern that matches no
known event is reported on stderr as one line, and the command still
lists what the other patterns match.
"""

import json
import sys

from .. import Filter, _catalog, _patterns

HELP = "list the audit events this Python raises"


def add_arguments(parser):
    parser.add_argument(
        "patterns", nargs="*", metavar="PATTERN",
        help="only events matching these patterns, e.g. 'socket.*' or "
             "'os.*,!os.listdir' (default: every event)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of entries instead of text")
    parser.add_argument("--defaults", action="store_true",
                        help="the events 'pyaudit run' reports by default "
                             "(its patterns are in 'pyaudit run --help')")


ARGS_WIDTH = 40     # longer argument lists push that row's link right


def format_text(entries):
    """Aligned lines: name, (argument names), documentation link."""
    rows = [(entry["name"], "(%s)" % ", ".join(entry["args"]),
             entry["doc"] or "(undocumented)") for entry in entries]
    if not rows:
        return ""
    name_width = max(len(row[0]) for row in rows)
    args_width = min(ARGS_WIDTH, max(len(row[1]) for row in rows))
    return "".join("%-*s  %-*s  %s\n" % (name_width, name, args_width, args,
                                         doc)
                   for name, args, doc in rows)


def format_json(entries):
    """A JSON list of the entries, one entry a line."""
    if not entries:
        return "[]\n"
    return "[\n%s\n]\n" % ",\n".join(json.dumps(entry) for entry in entries)


def run(args, parser):
    items = []
    if args.defaults:
        if args.patterns:
            parser.error("give PATTERNS or --defaults, not both")
        from .._trace.defaults import DEFAULT_EVENTS
        items = list(DEFAULT_EVENTS)
    try:
        for argument in args.patterns:
            items.extend(_patterns.split(argument))
        matcher = Filter(items or "*")
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    warning = _catalog.UnknownEventWarning.__name__
    if not args.defaults:   # they cover several versions of Python
        for message in _catalog.unknown_pattern_messages(matcher.patterns):
            print("%s: %s: %s" % (parser.prog, warning, message),
                  file=sys.stderr)
    known = _catalog.known_events()
    entries = [known[name] for name in sorted(known)
               if matcher.matches(name)]
    text = format_json(entries) if args.json else format_text(entries)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:     # e.g. piped into head: not an error
        sys.stdout = None
    return 0
