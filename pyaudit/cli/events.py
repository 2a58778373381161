"""``pyaudit events [PATTERNS ... | --defaults] [--json] [--all-platforms]``:
list audit events.

Lists the events the running Python raises on this platform, according to
pyaudit's events catalog (``--all-platforms``: on any platform),
optionally only those matching the patterns (the syntax of
``pyaudit.Filter``; several arguments add up, as do commas in one).  Text
output is one event a line: name, argument names, the platforms that raise
it ("any" or e.g. "windows") and documentation link, in aligned columns.
``--json`` prints a JSON list of catalog entries instead (see
``pyaudit.describe``).  ``--defaults`` lists the events that ``pyaudit run``
reports when no ``-e`` says otherwise.

A bad pattern is an error (exit status 2).  A pattern that matches no
known event is reported on stderr as one line, and the command still
lists what the other patterns match.
"""

import json
import sys

from .. import Filter, _catalog, _patterns

HELP = "list the audit events this Python raises on this platform"


def add_arguments(parser):
    parser.add_argument(
        "patterns", nargs="*", metavar="PATTERN",
        help="only events matching these patterns, e.g. 'socket.*' or "
             "'os.*,!os.listdir' (default: every event)")
    parser.add_argument("--json", action="store_true",
                        help="print a JSON list of entries instead of text")
    parser.add_argument("--all-platforms", action="store_true",
                        help="also the events only other platforms raise "
                             "(Windows-only ones on Linux, ...)")
    parser.add_argument("--defaults", action="store_true",
                        help="the events 'pyaudit run' reports by default "
                             "(its patterns are in 'pyaudit run --help')")


ARGS_WIDTH = 40     # longer argument lists push that row's link right


def format_text(entries):
    """Aligned lines: name, (argument names), platforms, documentation
    link."""
    rows = [(entry["name"], "(%s)" % ", ".join(entry["args"]),
             ",".join(entry["platforms"] or [_catalog.ANY_PLATFORM]),
             entry["doc"] or "(undocumented)") for entry in entries]
    if not rows:
        return ""
    name_width = max(len(row[0]) for row in rows)
    args_width = min(ARGS_WIDTH, max(len(row[1]) for row in rows))
    platforms_width = max(len(row[2]) for row in rows)
    return "".join("%-*s  %-*s  %-*s  %s\n" % (
        name_width, name, args_width, args, platforms_width, platforms, doc)
        for name, args, platforms, doc in rows)


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
            items.extend(_patterns.split(argument)[0])
        matcher = Filter(items or "*")
    except (TypeError, ValueError) as exc:
        parser.error(str(exc))
    platform = _catalog.ANY_PLATFORM if args.all_platforms else None
    warning = _catalog.UnknownEventWarning.__name__
    if not args.defaults:   # they cover several versions of Python
        for message in _catalog.unknown_pattern_messages(
                matcher.patterns, platform=platform):
            print("%s: %s: %s" % (parser.prog, warning, message),
                  file=sys.stderr)
    known = _catalog.known_events(platform=platform)
    entries = [known[name] for name in sorted(known)
               if matcher.matches(name)]
    text = format_json(entries) if args.json else format_text(entries)
    try:
        sys.stdout.write(text)
        sys.stdout.flush()
    except BrokenPipeError:     # e.g. piped into head: not an error
        sys.stdout = None
    return 0
