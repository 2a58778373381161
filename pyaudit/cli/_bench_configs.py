"""The configurations of ``pyaudit bench``: one table, stated once.

Each configuration is a hook set up in a fresh process (hooks can never be
removed) and one event raised in a loop.  ``CONFIGS`` gives, for each, its
name, the event its loop raises, how it is set up, what it is compared
with and what it measures; ``pyaudit.cli.bench`` runs them and
``docs/benchmarks.md`` explains them.

Every loop is a function called once per batch of ``BATCH`` events from
the same depth of the stack, so the loop's own cost, which ``none``
measures, is the same in every configuration and cancels out.  The floor
of a configuration is the no-op C hook running the same loop.

Nothing here installs anything at import: setups run only in the child
process (``pyaudit.cli._bench_child``).
"""

import collections
import contextvars
import os
import sys

# Events run in batches of this many; what a configuration keeps (a
# recorder, the retain floor) is drained or released after every batch,
# as a program that records would.
BATCH = 1000
# Every configuration raises its events this many frames deep, so that a
# recorder asked for a stack of 8 frames finds 8.
DEPTH = 12

# The typical security filter that every pyaudit configuration carries, and
# the same filter written as a pure-Python hook would write it.
SECURITY_FILTER = ("socket.*, subprocess.*, os.system, os.exec, "
                   "os.posix_spawn, os.spawn, os.fork, ctypes.*, "
                   "urllib.Request, webbrowser.open")
SECURITY_EXACT = frozenset(["os.system", "os.exec", "os.posix_spawn",
                            "os.spawn", "os.fork", "urllib.Request",
                            "webbrowser.open"])
SECURITY_PREFIXES = ("socket.", "subprocess.", "ctypes.")
HIT_EVENT = "t.hit"

# The two open events of the write-guard configurations: a read outside the
# allowed directory, and a write inside it (neither is refused).
READ_OPEN = "open-read"
WRITE_OPEN = "open-write-inside"
OPEN_EVENTS = (READ_OPEN, WRITE_OPEN)


class NotOnThisPython(Exception):
    """This Python (or this build of pyaudit on it) lacks what the
    configuration needs: the message names it."""


class SetupError(Exception):
    """The configuration cannot be set up (a hook that does not load, or
    that raises on a probe event): the message says why, in one line."""


def _work_dir(name):
    import tempfile     # only where needed: it imports much at start-up
    path = os.path.join(tempfile.gettempdir(), "pyaudit-bench", name)
    os.makedirs(path, exist_ok=True)
    return path


def allowed_dir():
    """The directory the write guard allows writes in."""
    return _work_dir("allowed")


def open_event_args(event):
    """The args of an open event as ``open()`` raises them:
    (path, mode, flags)."""
    if event == READ_OPEN:
        return (os.path.join(_work_dir("data"), "input.txt"), "r",
                os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    return (os.path.join(allowed_dir(), "output.txt"), "w",
            os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC",
                                                           0))


def raise_plain(audit, name, args, n):
    """The loop of every plain event: ``audit(name, 1)``, n times."""
    for _ in range(n):
        audit(name, 1)


def raise_open(audit, name, args, n):
    """The loop of an open event, with the args ``open()`` gives."""
    path, mode, flags = args
    for _ in range(n):
        audit("open", path, mode, flags)


def loop_for(event):
    """(loop function, args) raising ``event``."""
    if event in OPEN_EVENTS:
        return raise_open, open_event_args(event)
    return raise_plain, (1,)


def base_of(event):
    """The configuration whose cost is subtracted: no hook, same loop."""
    return "none-open" if event in OPEN_EVENTS else "none"


def floor_of(event):
    """The configuration every ratio is taken to: the no-op C hook, same
    loop."""
    return "noop-open" if event in OPEN_EVENTS else "noop"


# -- callbacks shared by pyaudit and the Python hooks it is compared with

def ignore(name, args):
    """The trivial callback of every watch-like configuration."""
    return None


def security_hook(extra_exact=()):
    """A pure-Python hook with the security filter, calling ``ignore``."""
    wanted = SECURITY_EXACT | frozenset(extra_exact)

    def hook(name, args):
        if name in wanted or name.startswith(SECURITY_PREFIXES):
            ignore(name, args)
    return hook


_WRITE_FLAGS = (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC
                | os.O_APPEND)


def python_write_guard(allowed):
    """A pure-Python hook doing what the write guard does: refuse an open
    for writing outside ``allowed``; it carries the security filter too."""
    allowed = os.path.abspath(allowed)
    inside = allowed.rstrip(os.sep) + os.sep
    security = security_hook()

    def hook(name, args):
        if name != "open":
            security(name, args)
            return
        path, mode, flags = args
        writing = (flags & _WRITE_FLAGS if mode is None
                   else any(c in mode for c in "wax+"))
        if not writing or isinstance(path, int):
            return
        full = os.path.abspath(os.fsdecode(path))
        if full != allowed and not full.startswith(inside):
            raise PermissionError("writing %r is not allowed" % (full,))
    return hook


# -- setups: each installs what its configuration needs and returns what
#    to call after every batch (or None)

def _reference(context):
    return context.reference()


def setup_none(context):
    return None


def setup_noop(context):
    lib, _ = _reference(context)
    if lib.pyaudit_bench_add_noop_hook() != 0:
        raise SetupError("CPython refused to add the no-op C hook")
    return None


def setup_retain(context):
    lib, _ = _reference(context)
    if lib.pyaudit_bench_add_retain_hook(BATCH) != 0:
        raise SetupError("CPython refused to add the retain C hook")
    return lib.pyaudit_bench_release_retained


def setup_python(context):
    sys.addaudithook(security_hook([HIT_EVENT]))
    return None


def _pyaudit():
    import pyaudit
    if pyaudit.backend != "native":
        raise SetupError("pyaudit's C extension cannot be imported here, "
                         "and the pyaudit configurations measure it")
    pyaudit.count(SECURITY_FILTER)     # the filter every one carries
    return pyaudit


def setup_security_filter(context):
    _pyaudit()
    return None


def setup_beside_hit(context):
    """The security filter and a subscription to t.hit, whose first bytes
    the raised t.miss shares."""
    _pyaudit().count(HIT_EVENT)
    return None


def crowded_patterns(raised):
    """Every event of the catalog and every namespace of one (``os.*``,
    ``http.client.*``) except those matching ``raised``."""
    from pyaudit import _catalog
    patterns = set()
    for name in _catalog.known_events():
        parts = name.split(".")
        patterns.add(name)
        for i in range(1, len(parts)):
            patterns.add(".".join(parts[:i]) + ".*")
    return sorted(p for p in patterns
                  if p != raised
                  and not (p.endswith(".*") and raised.startswith(p[:-1])))


def setup_crowded(context):
    pyaudit = _pyaudit()
    if context.event == "t.miss":
        pyaudit.count(HIT_EVENT)
    pyaudit.count(crowded_patterns(context.event))
    return None


def setup_count(context):
    _pyaudit().count(HIT_EVENT)
    return None


def setup_record(context):
    recorder = _pyaudit().record(HIT_EVENT, capacity=BATCH)
    return recorder.drain


def setup_watch(context):
    _pyaudit().watch(HIT_EVENT, ignore)
    return None


def setup_write_guard(context):
    pyaudit = _pyaudit()
    pyaudit.deny("open", where=pyaudit.Where(
        writing=True, paths_outside=[allowed_dir()]))
    return None


def setup_python_write_guard(context):
    sys.addaudithook(python_write_guard(allowed_dir()))
    return None


_kept = []      # subscriptions that must outlive their setup


def setup_scoped_inside(context):
    """A scoped count opened in the context the loop runs in."""
    _pyaudit().count(HIT_EVENT, scoped=True)
    return None


def setup_scoped_outside(context):
    """A scoped count opened in a copy of the loop's context (as a task or
    a request handler would), so the loop raises outside its scope."""
    pyaudit = _pyaudit()
    _kept.append(contextvars.copy_context().run(
        pyaudit.count, HIT_EVENT, scoped=True))
    return None


def _setup_record_stack(depth):
    def setup(context):
        return _pyaudit().record(HIT_EVENT, capacity=BATCH,
                                 stack=depth).drain
    return setup


Config = collections.namedtuple(
    "Config", "name event setup compared_with measures")

CONFIGS = (
    # References: the loop alone, and the floors.
    Config("none", "zz.miss", setup_none, None,
           "no audit hook: the plain loop's own cost, subtracted from "
           "every plain-loop configuration"),
    Config("none-open", READ_OPEN, setup_none, None,
           "no audit hook: the open loop's own cost"),
    Config("noop", "zz.miss", setup_noop, None,
           "a C hook that returns at once: the floor for any hook"),
    Config("noop-open", READ_OPEN, setup_noop, None,
           "the no-op C hook on the open loop: the floor of the open "
           "configurations"),
    Config("retain", HIT_EVENT, setup_retain, None,
           "a C hook that only keeps each args tuple with the wall-clock "
           "time and the thread, released every batch: the floor for "
           "recording"),
    Config("python", HIT_EVENT, setup_python, None,
           "a pure-Python hook filtering with a frozenset (the security "
           "filter and t.hit), calling a trivial callback, hit"),
    # pyaudit misses, with the security filter.
    Config("miss-far", "zz.miss", setup_security_filter, None,
           "pyaudit miss: no subscribed key shares the event's first bytes"),
    Config("miss-far-id", "builtins.id", setup_security_filter, None,
           "pyaudit miss on builtins.id (every id(), every deepcopy)"),
    Config("miss-near", "t.miss", setup_beside_hit, None,
           "pyaudit miss sharing its first bytes with a subscribed key "
           "(t.hit)"),
    Config("miss-near-scandir", "os.scandir", setup_security_filter, None,
           "pyaudit miss on os.scandir (hot in every os.walk), beside "
           "os.system"),
    Config("crowded-miss-far", "zz.miss", setup_crowded, None,
           "miss-far with every known event and namespace subscribed"),
    Config("crowded-miss-far-id", "builtins.id", setup_crowded, None,
           "miss-far-id with every other known event and namespace "
           "subscribed"),
    Config("crowded-miss-near", "t.miss", setup_crowded, None,
           "miss-near with every known event and namespace subscribed"),
    Config("crowded-miss-near-scandir", "os.scandir", setup_crowded, None,
           "miss-near-scandir with every other known event and namespace "
           "subscribed"),
    # pyaudit hits.
    Config("count", HIT_EVENT, setup_count, None, "pyaudit count hit"),
    Config("record", HIT_EVENT, setup_record, "retain",
           "pyaudit record hit, including its share of drain() into Event "
           "objects every batch"),
    Config("watch", HIT_EVENT, setup_watch, "python",
           "pyaudit watch hit, calling the same trivial callback as python"),
    # Argument rules, scopes and stacks.
    Config("guard-read", READ_OPEN, setup_write_guard, "python-guard-read",
           "an open for reading under deny('open', where=Where("
           "writing=True, paths_outside=[dir]))"),
    Config("guard-write-inside", WRITE_OPEN, setup_write_guard,
           "python-guard-write-inside",
           "an open for writing inside the allowed dir, same guard"),
    Config("python-guard-read", READ_OPEN, setup_python_write_guard, None,
           "a pure-Python hook doing the same write check, open for "
           "reading"),
    Config("python-guard-write-inside", WRITE_OPEN, setup_python_write_guard,
           None, "the same Python hook, open for writing inside the dir"),
    Config("scoped-outside", HIT_EVENT, setup_scoped_outside, None,
           "a scoped=True count whose event is raised outside its scope "
           "(the scope was opened in another context)"),
    Config("scoped-inside", HIT_EVENT, setup_scoped_inside, "count",
           "a scoped=True count whose event is raised inside its scope"),
    Config("record-stack0", HIT_EVENT, _setup_record_stack(0), "record",
           "record(..., stack=0) hit, drained every batch"),
    Config("record-stack8", HIT_EVENT, _setup_record_stack(8),
           "record-stack0",
           "record(..., stack=8) hit, drained every batch"),
)
BY_NAME = {config.name: config for config in CONFIGS}
REFERENCES = ("none", "none-open", "noop", "noop-open")

# Someone else's hook (--hook, --c-hook, --peers) is measured on these
# events, each compared with the pyaudit configuration raising the same.
HOOK_CASES = (("miss-far", "zz.miss"),
              ("miss-near-scandir", "os.scandir"),
              ("open-read", READ_OPEN))
HOOK_COMPARED_WITH = {"miss-far": "miss-far",
                      "miss-near-scandir": "miss-near-scandir",
                      "open-read": "guard-read"}
