"""``python -m pyaudit run``: run a program as ``python`` would, reporting
its audit events.

    python -m pyaudit run [-e PATTERNS] [-o FILE] [--format jsonl|text]
                          (SCRIPT [ARGS] | -m MODULE [ARGS] | -c CODE [ARGS])

Everything after SCRIPT, ``-m MODULE`` or ``-c CODE`` belongs to the
target.  The target gets the ``sys.argv``, ``sys.path[0]`` and
``__main__`` that ``python`` would give it, and its exit status becomes
ours: ``SystemExit`` propagates unchanged, an uncaught exception prints
its traceback (without this module's frames) through ``sys.excepthook``
and exits 1.

Each matching event is written as one line, straight to the output file
descriptor with ``os.write`` (no buffer in between), as it happens: a
target that crashes or is killed leaves every line up to that point.
Reporting goes on until the process exits, so events from the target's
other threads and atexit handlers are reported too.
"""

import argparse
import builtins
import json
import linecache
import math
import os
import pkgutil
import runpy
import sys
import threading
import time
import types
import warnings

import pyaudit

HELP = "run a Python program, reporting its audit events"

# The default selection: what a program does to the world outside itself.
DEFAULT_EVENTS = (
    # network
    "socket.*", "http.client.connect", "urllib.Request", "ftplib.connect",
    "smtplib.connect", "poplib.connect", "imaplib.open", "nntplib.connect",
    "telnetlib.Telnet.open", "webbrowser.open",
    # other programs
    "subprocess.Popen", "os.system", "os.exec", "os.spawn", "os.posix_spawn",
    "os.fork", "os.forkpty", "pty.spawn", "os.kill", "os.killpg",
    # native code
    "ctypes.*", "sqlite3.enable_load_extension", "sqlite3.load_extension",
    # files written, removed, moved or re-permissioned ("open": writes only)
    "open", "os.remove", "os.rmdir", "os.rename", "os.truncate", "os.mkdir",
    "os.link", "os.symlink", "os.chmod", "os.chown", "shutil.rmtree",
    "shutil.move", "shutil.copyfile", "shutil.chown", "shutil.unpack_archive",
    # code loaded from data, auditing tampered with
    "pickle.find_class", "sys.addaudithook",
)

# With the default selection, an "open" event is reported only when its
# mode has one of these characters or its flags one of these bits.
WRITE_MODE_CHARS = "wax+"
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC

REPR_LIMIT = 200        # longest repr kept of one value
TEXT_ARGS_LIMIT = 400   # longest args column of a text line
NAME_WIDTH = 24         # event names are padded to this in text lines
MAX_DEPTH = 4           # lists/tuples deeper than this become a repr
MAX_ITEMS = 100         # list/tuple items kept; the rest become one marker

USAGE = ("%(prog)s [-h] [-e PATTERNS] [-o FILE] [--format {jsonl,text}]\n"
         "       (SCRIPT [ARGS] | -m MODULE [ARGS] | -c CODE [ARGS])")


# -- making values printable -----------------------------------------------

def short_repr(value, limit=REPR_LIMIT):
    """``repr(value)`` cut to ``limit`` characters; never raises."""
    try:
        if isinstance(value, (bytes, bytearray)) and len(value) > limit:
            text = repr(value[:limit])
        else:
            text = repr(value)
    except Exception as exc:
        text = "<%s object (repr failed: %s)>" % (type(value).__name__,
                                                  type(exc).__name__)
    if len(text) > limit:
        text = text[:limit - 3] + "..."
    return text


def json_safe(value, depth=0):
    """``value`` as something ``json.dumps`` takes; never raises.

    None, bool, int and str stay as they are (subclasses become the plain
    type), finite floats too; nan and infinities become their repr.  Lists
    and tuples become lists, recursively (up to MAX_DEPTH levels and
    MAX_ITEMS items).  Anything else (bytes, dicts, objects) becomes its
    ``short_repr``.
    """
    try:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return int.__int__(value)
        if isinstance(value, float):
            number = float.__float__(value)
            return number if math.isfinite(number) else repr(number)
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, (list, tuple)) and depth < MAX_DEPTH:
            values = list(value)
            items = [json_safe(item, depth + 1) for item in values[:MAX_ITEMS]]
            if len(values) > MAX_ITEMS:
                items.append("... %d more" % (len(values) - MAX_ITEMS))
            return items
    except Exception:
        pass
    return short_repr(value)


def opens_for_writing(args):
    """True if ``args`` of an ``open`` event open the file for writing."""
    mode = args[1] if len(args) > 1 else None
    flags = args[2] if len(args) > 2 else 0
    if isinstance(mode, str) and any(c in mode for c in WRITE_MODE_CHARS):
        return True
    return (isinstance(flags, int) and not isinstance(flags, bool)
            and bool(flags & WRITE_FLAGS))


# -- output formats ---------------------------------------------------------

def format_jsonl(name, args, time_ns, thread_id):
    """One JSON object and a newline."""
    return json.dumps({"event": name, "args": json_safe(args),
                       "time_ns": time_ns, "thread": thread_id},
                      allow_nan=False) + "\n"


class TextFormat:
    """One aligned line: local time, thread, event name, args.

    The thread column is "main" for the main thread and T1, T2, ... for
    other threads in the order they first raise an event.
    """

    def __init__(self, colour):
        self._main = threading.main_thread().ident
        self._labels = {}
        if colour:      # dim time and thread, bold cyan event name
            self._dim, self._name, self._reset = (
                "\x1b[2m", "\x1b[1;36m", "\x1b[0m")
        else:
            self._dim = self._name = self._reset = ""

    def _thread_label(self, thread_id):
        if thread_id == self._main:
            return "main"
        label = self._labels.get(thread_id)
        if label is None:
            label = self._labels[thread_id] = "T%d" % (len(self._labels) + 1)
        return label

    def __call__(self, name, args, time_ns, thread_id):
        seconds, ns = divmod(time_ns, 10 ** 9)
        stamp = "%s.%06d" % (
            time.strftime("%H:%M:%S", time.localtime(seconds)), ns // 1000)
        if not name.isprintable():      # keep one event on one line
            name = repr(name)
        shown = ", ".join(short_repr(arg) for arg in args)
        if len(shown) > TEXT_ARGS_LIMIT:
            shown = shown[:TEXT_ARGS_LIMIT - 3] + "..."
        line = "%s%s %-4s%s %s%s%s" % (
            self._dim, stamp, self._thread_label(thread_id), self._reset,
            self._name, name, self._reset)
        if shown:
            line += " " * max(1, NAME_WIDTH + 1 - len(name)) + shown
        return line + "\n"


class Sink:
    """Writes whole lines to a file descriptor, one ``os.write`` each (no
    Python-level buffer to lose, and nothing the target's changes to
    ``sys.stderr`` affect)."""

    def __init__(self, fd, encoding):
        self.fd = fd
        self.encoding = encoding

    def write(self, text):
        data = text.encode(self.encoding, "backslashreplace")
        while data:
            data = data[os.write(self.fd, data):]


def make_callback(sink, formatter, writes_only):
    """The watch callback.  It never raises: an event whose line cannot be
    written (closed output, interpreter shutting down) is skipped, so the
    target never sees an error caused by the reporting."""
    time_ns = time.time_ns
    get_ident = threading.get_ident

    def on_event(name, args):
        try:
            if writes_only and name == "open" and not opens_for_writing(args):
                return
            sink.write(formatter(name, args, time_ns(), get_ident()))
        except Exception:
            pass
    return on_event


# -- command line -----------------------------------------------------------

def add_arguments(parser):
    """Declare the options; -m, -c and SCRIPT each take the rest of the
    command line, so everything after them belongs to the target."""
    parser.usage = USAGE
    parser.add_argument(
        "-e", "--events", metavar="PATTERNS",
        help="the events to report, in pyaudit's pattern syntax (default: "
             "a security-relevant set, see pyaudit.cli.run.DEFAULT_EVENTS; "
             "with it, 'open' is reported only for writing)")
    parser.add_argument(
        "-o", "--output", metavar="FILE",
        help="write the events to FILE, replacing it (default: stderr)")
    parser.add_argument(
        "--format", choices=("jsonl", "text"), default="jsonl",
        help="jsonl (default): one JSON object per line; text: aligned "
             "lines, coloured on a terminal unless NO_COLOR is set")
    parser.add_argument(
        "-m", dest="module", nargs=argparse.REMAINDER,
        help="MODULE [ARGS]: run a module as 'python -m' does")
    parser.add_argument(
        "-c", dest="code", nargs=argparse.REMAINDER,
        help="CODE [ARGS]: run code as 'python -c' does")
    parser.add_argument(
        "script", nargs=argparse.REMAINDER,
        help="SCRIPT [ARGS]: run a file (or a directory or zip file with "
             "__main__.py) as 'python SCRIPT' does")


def _fail(parser, message):
    parser.exit(2, "%s: error: %s\n" % (parser.prog, message))


def _target(args, parser):
    """(kind, target, target_args) from the parsed command line; kind is
    "module", "code" or "script"."""
    script = args.script or None            # [] when there is none
    if script and script[0] == "--":        # "run -- SCRIPT": as python does
        script = script[1:] or None
    for kind, values in (("module", args.module), ("code", args.code),
                         ("script", script)):
        if values is None:
            continue
        if not values:                      # a bare -m or -c
            parser.error("-m needs a MODULE" if kind == "module"
                         else "-c needs CODE")
        return kind, values[0], values[1:]
    parser.error("give what to run: SCRIPT, -m MODULE or -c CODE")


def _open_sink(path, parser):
    if path is None:
        return Sink(2, getattr(sys.stderr, "encoding", None) or "utf-8")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND,
                     0o666)
    except OSError as exc:
        _fail(parser, "cannot write %s: %s" % (path, exc.strerror or exc))
    return Sink(fd, "utf-8")


def _use_colour(fd):
    return os.isatty(fd) and not os.environ.get("NO_COLOR")


def _set_path0(entry):
    """Make ``entry`` sys.path[0], as python does for what it runs (unless
    -P/-I told it not to add one; then ``python -m pyaudit`` added none
    either)."""
    if getattr(sys.flags, "safe_path", False) or sys.flags.isolated:
        return
    if entry is None:
        del sys.path[0]
    else:
        sys.path[0] = entry


def _prepare(kind, target, target_args):
    """Set sys.argv and sys.path[0] as python would; return a function
    that runs the target."""
    if kind == "code":
        sys.argv[:] = ["-c"] + target_args
        _set_path0("")
        code = compile(target, "<string>", "exec")
        if hasattr(linecache, "_register_code"):
            # From 3.13 python -c puts the code in linecache, so that
            # tracebacks show its lines; so do we.
            linecache.cache["<string>"] = (
                len(target), None,
                [line + "\n" for line in target.splitlines()], "<string>")
        return lambda: _run_code(code)
    if kind == "module":
        sys.argv[:] = [target] + target_args   # runpy puts the path in [0]
        return lambda: runpy.run_module(target, run_name="__main__",
                                        alter_sys=True)
    sys.argv[:] = [target] + target_args
    if pkgutil.get_importer(target) is None:    # a file of code, as runpy
        _set_path0(os.path.dirname(os.path.realpath(target)))
    else:                                       # a directory or zip file:
        _set_path0(None)                        # runpy inserts it
    return lambda: runpy.run_path(target, run_name="__main__")


def _run_code(code):
    """Run ``-c`` code in a fresh ``__main__`` module, as python does."""
    main = types.ModuleType("__main__")
    main.__builtins__ = builtins
    saved = sys.modules["__main__"]
    sys.modules["__main__"] = main
    try:
        exec(code, main.__dict__)
    finally:
        sys.modules["__main__"] = saved


def _module_of(frame):
    return frame.f_globals.get("__name__")


def _lookup_failed(exc):
    """True if ImportError ``exc`` was raised by runpy itself, finding what
    to run, rather than by the target's code (runpy is frozen in some
    versions, so frames are told apart by module name, not file name)."""
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    return _module_of(tb.tb_frame) == "runpy"


def _report_uncaught(exc):
    """Show ``exc`` through sys.excepthook, without our frames."""
    tb = exc.__traceback__
    while tb is not None and _module_of(tb.tb_frame) in (__name__, "runpy"):
        tb = tb.tb_next
    exc = exc.with_traceback(tb)
    try:
        sys.excepthook(type(exc), exc, tb)
    except Exception:
        sys.__excepthook__(type(exc), exc, tb)


def _subscribe(patterns, callback, parser, show_warnings):
    """Watch ``patterns``; pattern warnings become one line each."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            subscription = pyaudit.watch(patterns, callback)
        except pyaudit.InstallError as exc:
            _fail(parser, str(exc))
    if show_warnings:
        for warning in caught:
            _say(parser, "warning: %s" % (warning.message,))
    return subscription


def _say(parser, message):
    sys.stderr.write("%s: %s\n" % (parser.prog, message))
    sys.stderr.flush()


def run(args, parser):
    """Check the command line, open the output, run the target; return
    its exit status (SystemExit from the target propagates)."""
    patterns = DEFAULT_EVENTS if args.events is None else args.events
    try:
        pyaudit.Filter(patterns)
    except (TypeError, ValueError) as exc:
        parser.error("bad -e PATTERNS: %s" % (exc,))
    kind, target, target_args = _target(args, parser)
    if kind == "script" and not os.path.isdir(target):
        try:
            open(target, "rb").close()
        except OSError as exc:
            _fail(parser, "can't open file %r: [Errno %s] %s"
                  % (target, exc.errno, exc.strerror))
    sink = _open_sink(args.output, parser)
    formatter = (TextFormat(_use_colour(sink.fd)) if args.format == "text"
                 else format_jsonl)
    callback = make_callback(sink, formatter, writes_only=args.events is None)
    try:
        start = _prepare(kind, target, target_args)
        # Reporting starts here and lasts until the process exits.
        _subscribe(patterns, callback, parser,
                   show_warnings=args.events is not None)
        start()
    except SystemExit:
        raise
    except ImportError as exc:
        if not _lookup_failed(exc):
            _report_uncaught(exc)
        else:
            _say(parser, exc)       # one line and status 1, as python -m
        return 1
    except BaseException as exc:
        _report_uncaught(exc)
        return 130 if isinstance(exc, KeyboardInterrupt) else 1
    return 0
