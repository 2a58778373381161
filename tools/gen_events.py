"""Generate the events catalog: pyaudit/events.json and csrc/event_roles.h.

Usage: python tools/gen_events.py [SOURCE] [--roles FILE] [--output FILE]
                                  [--header FILE] [--check]

SOURCE is the full research file (default: data/audit-events.json, the
project's copy of the shared survey: 206 events, CPython 3.8-3.15, with
evidence and provenance); --roles is the hand-written table of argument
roles (default: data/event-roles.json).  The package needs only a little
of the survey, so the output keeps, per event:

    name             as CPython raises it
    args             argument names, in order (the newest version's)
    versions         the minor versions that raise it, e.g. ["3.8", ...]
    doc              docs page and anchor relative to
                     https://docs.python.org/3/, or null when undocumented
    args_by_version  only where a version raises different arguments
    doc_name         only where the docs spell the event differently
    note             only where the source has notes: their first sentence
    platforms        only for events some platforms never raise: where they
                     can be raised, e.g. ["windows"] (event_platforms())
    roles            only where the roles table has the event: which
                     arguments are paths, hosts, programs, ... (see
                     data/event-roles.json)

The header is the same catalog as a static C table for the native rules
(csrc/rules.c): every event's argument names and roles, as positions,
sorted by name.  Both outputs are deterministic: events sorted by name,
keys in a fixed order, one event per line.  --check compares instead of
writing and exits 1 when either file is stale.
"""

import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_SOURCE = os.path.join(ROOT, "data", "audit-events.json")
DEFAULT_ROLES = os.path.join(ROOT, "data", "event-roles.json")
DEFAULT_OUTPUT = os.path.join(ROOT, "pyaudit", "events.json")
DEFAULT_HEADER = os.path.join(ROOT, "csrc", "event_roles.h")
FORMAT = 1

# doc_args_by_version lists the argument names each version's docs give.
# Only for these events do the raised arguments really differ by version
# (the source's notes say so, code- and runtime-verified):
ARGS_CHANGED = frozenset(["shutil.rmtree"])   # (path) until 3.10
# For these the docs renamed an argument or omitted one the code always
# passed; the raised arguments did not change, so the newest names apply to
# every version:
DOCS_ONLY_DIFFER = frozenset([
    "ctypes.string_at", "ctypes.wstring_at", "open", "sys._getframe"])

# The source gives the built-in functions page as "builtins/functions.html";
# the docs have it at "library/functions.html" (Doc/library/functions.rst).
DOC_PATH_FIXES = (("builtins/functions.html", "library/functions.html"),)

# -- platforms ----------------------------------------------------------------
# Which platforms can raise an event: "windows", or "unix" (every POSIX
# system) or, narrower, "linux", "macos", "bsd".  Most events are raised
# everywhere and get no "platforms" key.  The source says where an event is
# raised (raised_in) and, in its notes, "Windows only"; a few source files
# are built on one family of platforms only:
PLATFORM_SOURCES = {
    "PC/": ["windows"],                         # winreg, msvcrt
    "Modules/_winapi.c": ["windows"],
    "Modules/fcntlmodule.c": ["unix"],
    "Modules/resource.c": ["unix"],
    "Modules/syslogmodule.c": ["unix"],
    "Lib/pty.py": ["unix"],
}
# Events the source cannot place, which win over PLATFORM_SOURCES: raised
# in files built everywhere (posixmodule.c, socketmodule.c, ...) by
# functions CPython compiles only on some platforms (each checked against
# the docs' "Availability" and against what CPython on Linux has), one
# narrower than its file (prlimit), and events without raised_in.
PLATFORM_EVENTS = {
    "os.add_dll_directory": ["windows"],
    "os.listdrives": ["windows"],
    "os.listmounts": ["windows"],
    "os.listvolumes": ["windows"],
    "os.spawn": ["windows"],    # elsewhere os.spawn* is os.fork + os.exec
    "os.startfile": ["windows"],
    "ctypes.get_last_error": ["windows"],
    "ctypes.set_last_error": ["windows"],
    "winreg.DeleteTree": ["windows"],
    "os.chown": ["unix"],
    "os.fork": ["unix"],
    "os.forkpty": ["unix"],
    "os.killpg": ["unix"],
    "os.lockf": ["unix"],
    "os.posix_spawn": ["unix"],
    "os._clearenv": ["unix"],   # clearenv(3): Windows has none
    "_posixsubprocess.fork_exec": ["unix"],
    "signal.pthread_kill": ["unix"],
    "socket.sendmsg": ["unix"],
    "socket.sethostname": ["unix"],
    "os.getxattr": ["linux"],   # CPython's xattr functions are Linux-only
    "os.listxattr": ["linux"],
    "os.removexattr": ["linux"],
    "os.setxattr": ["linux"],
    "os.chflags": ["bsd", "macos"],
    "resource.prlimit": ["linux"],
}


def event_platforms(event):
    """The platforms that can raise ``event`` (a sorted list), or None for
    every platform."""
    name = event["name"]
    windows_note = "Windows only" in (event.get("notes") or "")
    by_source = None
    for path in event.get("raised_in") or ():
        found = [platforms for source, platforms in PLATFORM_SOURCES.items()
                 if path.startswith(source)]
        if not found or (by_source is not None and found[0] != by_source):
            by_source = None    # a file built everywhere: not restricted
            break
        by_source = found[0]
    platforms = PLATFORM_EVENTS.get(name) or by_source
    if windows_note and platforms is None:
        platforms = ["windows"]
    if windows_note and platforms != ["windows"]:
        raise SourceError("%s: the notes say Windows only, but the platform "
                          "tables say %r" % (name, platforms))
    return sorted(platforms) if platforms else None


VERSION_RE = re.compile(r"3\.(\d+)\Z")
FIRST_SENTENCE_RE = re.compile(r"(.*?[.!?])(?=\s+[A-Z(']|\Z)", re.S)


class SourceError(Exception):
    """The source file does not have the expected shape."""


def load(path):
    """Read the source file as JSON."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def _version_key(version):
    match = VERSION_RE.match(version) if isinstance(version, str) else None
    if not match:
        raise SourceError("version %r is not of the form '3.X'" % (version,))
    return int(match.group(1))


def _str_list(event, key):
    value = event.get(key)
    if not isinstance(value, list) or not all(
            isinstance(item, str) and item for item in value):
        raise SourceError("%s: %r must be a list of non-empty str, not %r"
                          % (event.get("name"), key, value))
    return value


def _doc(event):
    doc = event.get("doc")
    if doc is None:
        return None
    if not isinstance(doc, str) or not doc or "://" in doc \
            or doc.startswith("/"):
        raise SourceError("%s: doc %r is not a path relative to the docs "
                          "root" % (event["name"], doc))
    for wrong, right in DOC_PATH_FIXES:
        if doc.startswith(wrong):
            doc = right + doc[len(wrong):]
    return doc


def _note(event):
    notes = event.get("notes")
    if not notes:
        return None
    notes = " ".join(notes.split())
    return FIRST_SENTENCE_RE.match(notes).group(1)


def _args_by_version(event, versions):
    by_version = event.get("doc_args_by_version")
    name = event["name"]
    if not by_version or name in DOCS_ONLY_DIFFER:
        return None
    if name not in ARGS_CHANGED:
        raise SourceError(
            "%s: the docs give different arguments by version; decide "
            "whether the raised arguments changed (ARGS_CHANGED) or only "
            "the docs (DOCS_ONLY_DIFFER)" % name)
    different = {}
    for version in versions:
        args = by_version.get(version)
        if args is not None and args != event["args"]:
            different[version] = list(args)
    return different or None


def build_event(event, all_versions):
    """The compact entry for one source event."""
    name = event.get("name")
    if not isinstance(name, str) or not name or name != name.strip():
        raise SourceError("bad event name %r" % (name,))
    args = _str_list(event, "args")
    if len(set(args)) != len(args):
        raise SourceError("%s: repeated argument name in %r" % (name, args))
    versions = sorted(_str_list(event, "versions"), key=_version_key)
    if not versions:
        raise SourceError("%s: no versions" % name)
    unknown = [v for v in versions if v not in all_versions]
    if unknown:
        raise SourceError("%s: versions %r are not among %r"
                          % (name, unknown, all_versions))
    entry = {"name": name, "args": args, "versions": versions,
             "doc": _doc(event)}
    by_version = _args_by_version(event, versions)
    if by_version:
        entry["args_by_version"] = by_version
    doc_name = event.get("doc_name")
    if doc_name and doc_name != name:
        entry["doc_name"] = doc_name
    note = _note(event)
    if note:
        entry["note"] = note
    platforms = event_platforms(event)
    if platforms:
        entry["platforms"] = platforms
    return entry


# The roles an event's arguments can have (data/event-roles.json).  Each
# names arguments of the event; the C table stores their positions.
ROLE_ARGUMENTS = ("open_mode", "open_flags", "address", "host", "port",
                  "url", "program", "argv", "module")
ROLE_KEYS = ("paths", "dir_fds", "writes") + ROLE_ARGUMENTS + (
    "program_shape",)
PROGRAM_SHAPES = ("path", "command", "argv", "list")
MAX_PATHS = 2       # csrc/roles.h: pyaudit_event_roles.paths


def _check_roles(name, roles, args):
    """Raise SourceError unless ``roles`` fit the event's ``args``."""
    def need_arg(arg):
        if arg not in args:
            raise SourceError("roles of %s: %r is not one of its arguments "
                              "%r" % (name, arg, args))
    unknown = sorted(set(roles) - set(ROLE_KEYS))
    if unknown or not isinstance(roles, dict):
        raise SourceError("roles of %s: unknown keys %r; allowed: %s"
                          % (name, unknown, ", ".join(ROLE_KEYS)))
    paths = roles.get("paths", [])
    if not isinstance(paths, list) or not 0 < len(paths) <= MAX_PATHS \
            and "paths" in roles:
        raise SourceError("roles of %s: paths must list 1 to %d arguments"
                          % (name, MAX_PATHS))
    for arg in paths:
        need_arg(arg)
    for path, dir_fd in roles.get("dir_fds", {}).items():
        if path not in paths:
            raise SourceError("roles of %s: dir_fds names %r, which is not "
                              "in paths" % (name, path))
        need_arg(dir_fd)
    if roles.get("writes", True) is not True:
        raise SourceError("roles of %s: writes is true or left out" % name)
    for key in ROLE_ARGUMENTS:
        if key in roles:
            need_arg(roles[key])
    if ("program" in roles) != ("program_shape" in roles) or \
            roles.get("program_shape", "path") not in PROGRAM_SHAPES:
        raise SourceError("roles of %s: program needs a program_shape, one "
                          "of %s" % (name, ", ".join(PROGRAM_SHAPES)))


def attach_roles(entries, roles):
    """Add each event's roles (checked) to its catalog entry."""
    try:
        table = roles["events"]
    except (KeyError, TypeError):
        raise SourceError("the roles file must be an object with "
                          "'events'") from None
    by_name = {entry["name"]: entry for entry in entries}
    for name in sorted(table):
        if name not in by_name:
            raise SourceError("roles for %r, which the catalog does not "
                              "know" % name)
        _check_roles(name, table[name], by_name[name]["args"])
        by_name[name]["roles"] = {key: table[name][key] for key in ROLE_KEYS
                                  if key in table[name]}


def build(data, roles=None):
    """The catalog (a dict) for the source data and the roles table (both
    dicts; roles None: no roles)."""
    try:
        all_versions = sorted(data["generated_for_versions"],
                              key=_version_key)
        events = data["events"]
    except (KeyError, TypeError):
        raise SourceError("expected an object with 'generated_for_versions' "
                          "and 'events'") from None
    entries = sorted((build_event(event, all_versions) for event in events),
                     key=lambda entry: entry["name"])
    names = [entry["name"] for entry in entries]
    repeated = sorted(set(n for n in names if names.count(n) > 1))
    if repeated:
        raise SourceError("events listed more than once: %s"
                          % ", ".join(repeated))
    if data.get("count") not in (None, len(entries)):
        raise SourceError("the source says count=%r but lists %d events"
                          % (data["count"], len(entries)))
    if roles is not None:
        attach_roles(entries, roles)
    return {"format": FORMAT, "versions": all_versions, "events": entries}


def render(catalog):
    """The catalog as text: one line per event, deterministic."""
    lines = ["{",
             '"format": %s,' % json.dumps(catalog["format"]),
             '"versions": %s,' % json.dumps(catalog["versions"]),
             '"events": [']
    events = [json.dumps(entry, ensure_ascii=True)
              for entry in catalog["events"]]
    lines.append(",\n".join(events))
    lines += ["]", "}", ""]
    return "\n".join(lines)


HEADER_START = """\
/* event_roles.h: generated by tools/gen_events.py from data/audit-events.json
 * and data/event-roles.json; do not edit.  Every catalog event, sorted by
 * name, with its argument names (the newest version's, NUL-separated) and
 * the positions of its argument roles (-1: none).  Fields in the order of
 * pyaudit_event_roles (roles.h):
 *   name, name length, args, nargs, writes, paths, dir_fds, open_mode,
 *   open_flags, address, host, port, url, program, program_shape, module
 */
#define PYAUDIT_EVENT_COUNT %d

static const pyaudit_event_roles pyaudit_event_roles_table[] = {
"""


def _c_string(text):
    """A C string literal for ASCII text (json's escapes are C's too)."""
    if not text.isascii():
        raise SourceError("%r is not ASCII" % text)
    return json.dumps(text)


def _header_line(entry):
    args = entry["args"]
    roles = entry.get("roles", {})

    def position(key):
        return args.index(roles[key]) if key in roles else -1

    paths = [args.index(arg) for arg in roles.get("paths", [])]
    dir_fds = [args.index(roles["dir_fds"][arg])
               if arg in roles.get("dir_fds", {}) else -1
               for arg in roles.get("paths", [])]
    paths += [-1] * (MAX_PATHS - len(paths))
    dir_fds += [-1] * (MAX_PATHS - len(dir_fds))
    shape = roles.get("program_shape")
    fields = [
        _c_string(entry["name"]), str(len(entry["name"])),
        ' "\\0" '.join(_c_string(arg) for arg in args) or '""',
        str(len(args)), "1" if roles.get("writes") else "0",
        "{%d, %d}" % tuple(paths), "{%d, %d}" % tuple(dir_fds),
    ] + [str(position(key)) for key in
         ("open_mode", "open_flags", "address", "host", "port", "url",
          "program")] + [
        "PYAUDIT_PROGRAM_" + (shape or "none").upper(),
        str(position("module")),
    ]
    return "    {%s}," % ", ".join(fields)


def render_header(catalog):
    """The C table of every event's argument names and roles."""
    events = catalog["events"]
    lines = [(HEADER_START % len(events)).rstrip("\n")]
    lines += [_header_line(entry) for entry in events]
    lines += ["};", ""]
    return "\n".join(lines)


def generate_all(source=DEFAULT_SOURCE, roles=DEFAULT_ROLES):
    """(events.json text, event_roles.h text) for the two source files."""
    catalog = build(load(source), load(roles))
    return render(catalog), render_header(catalog)


def generate(source=DEFAULT_SOURCE, roles=DEFAULT_ROLES):
    """The text of events.json for the source and roles files."""
    return generate_all(source, roles)[0]


def _stale(path, text):
    """Whether the file at ``path`` differs from ``text``."""
    try:
        with open(path, encoding="utf-8", newline="") as f:
            return f.read() != text
    except OSError:
        return True


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="gen_events.py",
        description="Generate pyaudit/events.json and csrc/event_roles.h "
                    "from audit-events.json and event-roles.json.")
    parser.add_argument("source", nargs="?", default=DEFAULT_SOURCE,
                        help="the full events data (default: %(default)s)")
    parser.add_argument("--roles", default=DEFAULT_ROLES,
                        help="the argument roles (default: %(default)s)")
    parser.add_argument("--output", default=DEFAULT_OUTPUT,
                        help="where to write (default: %(default)s)")
    parser.add_argument("--header", default=DEFAULT_HEADER,
                        help="where to write the C table "
                             "(default: %(default)s)")
    parser.add_argument("--check", action="store_true",
                        help="only check that the outputs are up to date")
    args = parser.parse_args(argv)
    try:
        outputs = zip((args.output, args.header),
                      generate_all(args.source, args.roles))
    except (OSError, ValueError, SourceError) as exc:
        parser.exit(2, "gen_events.py: error: %s\n" % (exc,))
    outputs = list(outputs)
    if args.check:
        stale = [path for path, text in outputs if _stale(path, text)]
        for path in stale:
            print("%s is out of date; run tools/gen_events.py" % path,
                  file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs:
        with open(path, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
    print("wrote %d events to %s and %s"
          % (outputs[0][1].count('{"name"'), args.output, args.header))
    return 0


if __name__ == "__main__":
    sys.exit(main())
