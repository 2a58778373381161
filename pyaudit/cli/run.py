"""``pyaudit run``: run a Python program as ``python`` would, reporting its
audit events and those of the Python processes it starts.

    pyaudit run [OPTIONS] (SCRIPT [ARGS] | -m MODULE [ARGS] | -c CODE [ARGS])

Everything after SCRIPT, ``-m MODULE`` or ``-c CODE`` belongs to the
program.  See ``--help`` and docs/run.md.

This module is imported before the program runs, and the program should
find the interpreter as plain ``python`` leaves it: it parses its command
line without argparse and imports nothing that the tracer does not need
(see pyaudit._trace).
"""

import os
import stat
import sys

from .._errors import InstallError
from .._trace import config as configs, output as outputs, session
from .._trace.defaults import (DEFAULT_EVENTS, DEFAULT_GROUPS,  # noqa: F401
                               opens_for_writing)
from .._trace.tracer import Tracer, per_process_path, read_command
from .._trace.values import REPR_LIMIT

HELP = "run a Python program, reporting its audit events"
USAGE = ("%s [OPTIONS] (SCRIPT [ARGS] | -m MODULE [ARGS] | "
         "-c CODE [ARGS])")
DEFAULT_MAX_ARG_LEN = REPR_LIMIT

# (flags, metavar or None for a switch, help), as --help shows them.
OPTIONS = (
    (("-e", "--events"), "PATTERNS",
     "the events to report, in pyaudit's pattern syntax ('socket.*', "
     "'open', '!os.listdir'). Repeat to add more; '+PATTERNS' adds them to "
     "the default set below (and '+!PATTERN' removes from it). Exclusions "
     "apply to the whole selection."),
    (("-o", "--output"), "FILE",
     "write the events of every process to FILE (replaced at start), "
     "instead of standard error"),
    (("--per-process",), None,
     "with -o FILE: each process writes its own FILE.<pid> (FILE.* must "
     "not exist yet)"),
    (("--format",), "{jsonl,text}",
     "jsonl: one JSON object per line; text: aligned lines, coloured on a "
     "terminal unless NO_COLOR is set (default: text on a terminal, jsonl "
     "otherwise)"),
    (("--max-arg-len",), "N",
     "text: show at most N characters of each argument, then how many "
     "were cut (default %d; 0: everything)" % DEFAULT_MAX_ARG_LEN),
    (("--no-follow",), None,
     "report this process only, not the Python processes it starts"),
    (("--summary",), None,
     "at exit, print a table of the events per name and per process, and "
     "their top callers, on standard error (without -o, instead of the "
     "event lines)"),
    (("--policy",), "FILE",
     "put the policy in FILE in force, sealed, in this process and every "
     "Python process it starts (followed or not); repeatable. Denied "
     "events are reported, marked, and counted in --summary's denied "
     "column (see docs/policies.md)"),
    (("--deny",), "PATTERNS",
     "deny the events matching PATTERNS, as a one-rule policy would; "
     "repeatable"),
    (("-h", "--help"), None, "show this help and exit"),
)
_TAKES_VALUE = {flag: metavar is not None for flags, metavar, _ in OPTIONS
                for flag in flags}


class UsageError(Exception):
    """A bad command line: one line on stderr, exit status 2."""


class BadPolicy(Exception):
    """A policy of --policy or --deny that cannot be put in force: one line
    per problem on stderr, exit status 2."""


class Options:
    """The parsed command line."""

    def __init__(self):
        self.events = []            # the -e values, in order
        self.output = None
        self.per_process = False
        self.format = None
        self.max_arg_len = DEFAULT_MAX_ARG_LEN
        self.follow = True
        self.summary = False
        self.policies = []          # PYAUDIT_POLICY entries, in order
        self.help = False
        self.kind = None            # "command", "module" or "script"
        self.target = None
        self.args = []


def _set(options, flag, value):
    if flag in ("-e", "--events"):
        options.events.append(value)
    elif flag in ("-o", "--output"):
        options.output = value
    elif flag == "--format":
        if value not in configs.FORMATS:
            raise UsageError("--format must be one of %s, not %r"
                             % (", ".join(configs.FORMATS), value))
        options.format = value
    elif flag == "--max-arg-len":
        if not (value.isascii() and value.isdigit()):
            raise UsageError("--max-arg-len must be a number of characters "
                             "(0 for no limit), not %r" % (value,))
        options.max_arg_len = int(value)
    elif flag == "--per-process":
        options.per_process = True
    elif flag == "--no-follow":
        options.follow = False
    elif flag == "--summary":
        options.summary = True
    elif flag in ("--policy", "--deny"):
        options.policies.append(_policy_entry(flag, value))
    else:
        options.help = True


def _policy_entry(flag, value):
    """The PYAUDIT_POLICY entry of --policy FILE or --deny PATTERNS."""
    if not value:
        raise UsageError("%s needs a %s" % (flag, "FILE" if flag ==
                                            "--policy" else "pattern"))
    entry = "deny=" + value if flag == "--deny" else os.path.abspath(value)
    if os.pathsep in entry:
        raise UsageError("%s %r: a %r cannot be passed on to child "
                         "processes (PYAUDIT_POLICY separates its entries "
                         "with it)" % (flag, value if flag == "--deny"
                                       else entry, os.pathsep))
    return entry


def parse(argv):
    """Options from the command line (python's rules: the first SCRIPT,
    -m MODULE or -c CODE ends pyaudit's options)."""
    options = Options()
    index = 0
    while index < len(argv):
        arg = argv[index]
        index += 1
        if arg == "--" or not arg.startswith("-") or arg == "-":
            if arg == "--":
                if index == len(argv):
                    break
                arg, index = argv[index], index + 1
            if arg == "-":
                raise UsageError("reading the program from standard input "
                                 "('-') is not supported: give a SCRIPT, -m "
                                 "MODULE or -c CODE")
            options.kind, options.target = "script", arg
            options.args = argv[index:]
            return options
        if arg[:2] in ("-m", "-c"):
            target = arg[2:]
            if not target:
                if index == len(argv):
                    raise UsageError("-m needs a MODULE" if arg == "-m"
                                     else "-c needs CODE")
                target, index = argv[index], index + 1
            options.kind = "module" if arg[1] == "m" else "command"
            options.target, options.args = target, argv[index:]
            return options
        if arg.startswith("--"):
            flag, equals, value = arg.partition("=")
        elif arg[:2] in ("-e", "-o") and len(arg) > 2:
            flag, equals, value = arg[:2], "=", arg[2:]
        else:
            flag, equals, value = arg, "", ""
        if flag not in _TAKES_VALUE:
            raise UsageError("unknown option %r" % (arg,))
        if _TAKES_VALUE[flag]:
            if not equals:
                if index == len(argv):
                    raise UsageError("%s needs a value" % flag)
                value, index = argv[index], index + 1
        elif equals:
            raise UsageError("%s takes no value" % flag)
        _set(options, flag, value)
    if not options.help:
        raise UsageError("give what to run: SCRIPT, -m MODULE or -c CODE")
    return options


def help_text(prog):
    lines = ["usage: " + USAGE % prog, "", HELP[0].upper() + HELP[1:] +
             ", and those of the Python processes it starts (see "
             "docs/run.md).", "", "options:"]
    for flags, metavar, text in OPTIONS:
        name = ", ".join("%s %s" % (flag, metavar) if metavar else flag
                         for flag in flags)
        lines.append("  " + name)
        lines += _wrap(text, "      ")
    lines += ["", "default events (with them, 'open' is reported only when "
              "it opens for writing):"]
    for group, patterns in DEFAULT_GROUPS:
        lines.append("  %s:" % group)
        lines += _wrap(", ".join(patterns), "      ")
    return "\n".join(lines) + "\n"


def _wrap(text, indent, width=79):
    lines, line = [], indent
    for word in text.split(" "):
        if len(line) + len(word) > width and line.strip():
            lines.append(line.rstrip())
            line = indent
        line += word + " "
    return lines + [line.rstrip()]


# -- what to report ----------------------------------------------------------

def selection(values):
    """(pattern items, items the user gave, writes_only) from the -e
    values; see --help."""
    if not values:
        return DEFAULT_EVENTS, (), True
    from .. import _core    # its Filter: pyaudit.Filter without the API
    given, use_defaults = [], False
    for value in values:
        text = value
        if text.startswith("+"):
            use_defaults, text = True, text[1:]
        try:
            given += _core.Filter(text, None).items
        except (TypeError, ValueError) as exc:
            raise UsageError("bad -e %r: %s" % (value, exc))
    items = list(DEFAULT_EVENTS) if use_defaults else []
    items += [item for item in given if item not in items]
    writes_only = use_defaults and not _core.Filter(given, None).matches(
        "open", ())
    return tuple(items), tuple(given), writes_only


def warn_unknown_patterns(items, prog):
    """One line on stderr per pattern naming no event this Python raises.

    Looking them up reads the events catalog, which imports json and
    difflib: done in a forked child, so that the program still imports
    them itself (and ``-e import`` shows it)."""
    if not items:
        return
    try:
        pid = os.fork()
    except (AttributeError, OSError):    # no fork here: look in process
        _print_unknown_patterns(items, prog)
        return
    if pid:
        os.waitpid(pid, 0)
        return
    try:
        _print_unknown_patterns(items, prog)
    finally:
        os._exit(0)


def _print_unknown_patterns(items, prog):
    try:
        from .. import _catalog
        for message in _catalog.unknown_pattern_messages(items):
            os.write(2, ("%s: warning: %s\n" % (prog, message)).encode(
                "utf-8", "backslashreplace"))
    except Exception:
        pass                # advisory: never stop the run


def why_children_are_not_reached():
    """Why Python processes started from here would not run pyaudit's
    start-up file, or None when they would."""
    from .. import _autostart
    site = sys.modules.get("site")
    if site is None or not hasattr(site, "getsitepackages"):
        return "this Python runs without the site module"
    directories = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        directories.append(site.getusersitepackages())
    if _autostart.installed_in(directories):
        return None
    return ("pyaudit's start-up file %s is not in %s (install pyaudit with "
            "pip)" % (_autostart.PTH_NAME, " nor ".join(directories)))


def warn_about_children(options, prog):
    reason = why_children_are_not_reached()
    if reason is None:
        return
    if options.follow:
        sys.stderr.write("%s: warning: child processes cannot be followed: "
                         "%s; --no-follow silences this\n" % (prog, reason))
    if options.policies:
        sys.stderr.write("%s: warning: child processes will run without "
                         "the policies: %s\n" % (prog, reason))
    sys.stderr.flush()


# -- policies ----------------------------------------------------------------

def read_policies(options):
    """The checked policies of --policy and --deny (none without them);
    UsageError with one line per problem."""
    if not options.policies:
        return []
    from .._errors import PolicyError
    from .._policy import startup
    try:
        return startup.read(options.policies)
    except PolicyError as exc:
        raise BadPolicy(*exc.problems)
    except ValueError as exc:
        raise BadPolicy(exc)


def pass_policies_on(options):
    """Children put the same policies in force (PYAUDIT_POLICY)."""
    from .._policy import startup
    entries = [value for value in [os.environ.get(startup.POLICY_VARIABLE)]
               if value] + options.policies
    os.environ[startup.POLICY_VARIABLE] = os.pathsep.join(entries)


def enforce_policies(policies):
    """Put the policies in force (or stop); (patterns, where) of every deny
    rule in force in this process, for the tracer."""
    if policies:
        from .._policy import startup
        startup.enforce(policies, "--policy")
    # Also those PYAUDIT_POLICY put in force while this process started.
    started = sys.modules.get("pyaudit._policy.startup")
    return started.denials() if started is not None else ()


# -- where to write -----------------------------------------------------------

def private_stderr():
    """pyaudit's own duplicate of standard error, or -1 if it is closed.
    A regular file is switched to O_APPEND, so that the lines of other
    processes, which append, and the program's own output do not
    overwrite each other."""
    try:
        fd = outputs.move_high(os.dup(2))
    except OSError:
        return -1
    if stat.S_ISREG(os.fstat(fd).st_mode):
        import fcntl
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_APPEND)
    return fd


def open_lines(options, stderr):
    """The Output for event lines (None with --summary and no -o)."""
    if options.output is None:
        if options.summary:
            return None
        if stderr is None:
            raise UsageError("standard error is closed: give -o FILE")
        return stderr
    path = os.path.abspath(options.output)
    flags = outputs.OPEN_FLAGS | os.O_CREAT
    if options.per_process:
        path = per_process_path(path, os.getpid())
    else:
        flags |= os.O_TRUNC
    try:
        return outputs.Output.open(path, flags)
    except OSError as exc:
        raise UsageError("cannot write %s: %s" % (options.output,
                                                  exc.strerror or exc))


def check_per_process(options):
    if not options.per_process:
        return
    if options.output is None:
        raise UsageError("--per-process needs -o FILE")
    directory, name = os.path.split(os.path.abspath(options.output))
    try:
        stale = sorted(entry for entry in os.listdir(directory)
                       if entry.startswith(name + ".")
                       and entry[len(name) + 1:].isdigit())
    except OSError as exc:
        raise UsageError("cannot write %s: %s" % (options.output,
                                                  exc.strerror or exc))
    if stale:
        raise UsageError("%s exists (from an earlier run?); remove the "
                         "%s.<pid> files or choose another -o FILE"
                         % (os.path.join(directory, stale[0]), name))


def create_summary_file():
    directory = os.environ.get("TMPDIR") or "/tmp"
    path = os.path.join(directory, "pyaudit-run-%d-%s.jsonl"
                        % (os.getpid(), os.urandom(6).hex()))
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND
                 | getattr(os, "O_CLOEXEC", 0), 0o600)
    return outputs.Output(outputs.move_high(fd), "utf-8", path)


# -- the command ----------------------------------------------------------------

def check_target(options):
    if options.kind == "script" and not os.path.isdir(options.target):
        try:
            open(options.target, "rb").close()
        except OSError as exc:
            raise UsageError("can't open file %r: [Errno %s] %s"
                             % (options.target, exc.errno, exc.strerror))


def setup(options, prog):
    """Everything before the program starts; returns (config, lines,
    summary, stderr Output, stderr fd)."""
    items, given, writes_only = selection(options.events)
    check_per_process(options)
    warn_unknown_patterns(given, prog)
    # pyaudit's own standard error: for the lines, or the summary table
    needed = options.output is None or options.summary
    stderr_fd = private_stderr() if needed else -1
    encoding = getattr(sys.stderr, "encoding", None) or "utf-8"
    stderr = outputs.Output(stderr_fd, encoding) if stderr_fd >= 0 else None
    lines = open_lines(options, stderr)
    summary = create_summary_file() if options.summary else None
    text_format = options.format == "text" or (
        options.format is None and lines is not None
        and os.isatty(lines.fd))
    config = configs.Config(
        items, writes_only=writes_only,
        format="text" if text_format else "jsonl",
        colour=bool(text_format and lines is not None and os.isatty(lines.fd)
                    and not os.environ.get("NO_COLOR")),
        max_arg_len=options.max_arg_len, lines=lines is not None,
        output=os.path.abspath(options.output) if options.output else "",
        per_process=options.per_process,
        stderr_path="/proc/%d/fd/%d" % (os.getpid(), stderr_fd)
        if stderr_fd >= 0 else "",
        stderr_id=outputs.identity(stderr_fd) if stderr_fd >= 0 else "",
        summary=summary.path if summary else "", top_pid=os.getpid(),
        follow=options.follow, encoding=encoding)
    return config, lines, summary, stderr, stderr_fd


def main(argv, prog):
    """Run the program; return its exit status (its SystemExit and
    uncaught exceptions propagate, for python to handle as its own)."""
    try:
        options = parse(argv)
        if options.help:
            sys.stdout.write(help_text(prog))
            return 0
        check_target(options)
        from ._as_python import Program, hide_frames_above
        program = Program(options.kind, options.target, options.args)
        policies = read_policies(options)
        config, lines, summary, stderr, stderr_fd = setup(options, prog)
        if options.follow:
            os.environ[configs.VARIABLE] = configs.encode(config)
        if policies:
            pass_policies_on(options)
        warn_about_children(options, prog)
    except UsageError as exc:
        sys.stderr.write("%s: error: %s (see --help)\n" % (prog, exc))
        return 2
    except BadPolicy as exc:
        for problem in exc.args:
            sys.stderr.write("%s: error: %s\n" % (prog, problem))
        return 2
    except OSError as exc:
        sys.stderr.write("%s: error: %s\n" % (prog, exc))
        return 2
    stop_frame = sys._getframe()
    tracer = Tracer(config, lines, summary, stderr_fd, stop_frame,
                    read_command() if summary else None)
    denials = enforce_policies(policies)
    try:
        tracer.start(denials)
    except InstallError as exc:     # an audit hook refused pyaudit's
        sys.stderr.write("%s: error: %s\n" % (prog, exc))
        return 2
    session.adopt(tracer, stderr)
    try:
        program.run()
    except SystemExit:
        raise
    except BaseException:
        hide_frames_above(stop_frame)
        raise
    return 0


def add_arguments(parser):
    """For ``pyaudit --help`` (the command itself never goes through
    argparse: see main)."""
    import argparse
    parser.usage = USAGE % parser.prog
    parser.add_argument("arguments", nargs=argparse.REMAINDER,
                        help="see %s --help" % parser.prog)
