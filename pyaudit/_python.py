"""The pure-Python backend: the same core as the C extension, on
``sys.addaudithook``.

Used when the extension cannot be imported, or with PYAUDIT_BACKEND=python.
It is also the reference the native backend is tested against, so it
favours plainness over speed: it checks its input by the same rules, in
the same order, with the same messages as csrc/module.c.
"""

import os
import sys
import threading
import time
import weakref

from ._errors import InstallError
from ._patterns import Compiled, split
from ._rules import Rules

backend = "python"

PROBE_EVENT = "pyaudit.probe"
# The subscription kinds, in delivery order: those that cannot fail first,
# so a denied or aborted attempt is still counted, recorded and watched.
KINDS = ("count", "record", "watch", "deny")
MAX_CAPACITY = 2 ** 30
MAX_STACK = 64
MEMO_LIMIT = 4096
SEALED_MESSAGE = ("this subscription is sealed (a rule of a sealed policy): "
                  "it stays in force for the life of the process and cannot "
                  "be closed")
_CORE_ATTRIBUTE = "_pyaudit_python_core"


def _interpreter_id():
    """The id of the running interpreter (0 for the main one)."""
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            module = __import__(name)
            current = module.get_current()
        except Exception:
            continue
        return int(current[0] if isinstance(current, tuple) else current)
    return 0


def _event_frame():
    """The innermost frame outside this module, without sys._getframe
    (which raises an audit event of its own)."""
    try:
        raise RuntimeError
    except RuntimeError as exc:
        frame = exc.__traceback__.tb_frame
    while frame is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
    return frame


def _stack(depth):
    """(filename, lineno, function) of up to depth frames, innermost
    first."""
    frames = []
    frame = _event_frame()
    while frame is not None and len(frames) < depth:
        code = frame.f_code
        frames.append((code.co_filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    return tuple(frames)


def _bounded_int(value, what, low, high):
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError("%s must be an int, not %s"
                        % (what, type(value).__name__))
    if not low <= value <= high:
        raise ValueError("%s must be between %d and %d, not %s"
                         % (what, low, high, value))
    return value


def _rules(where, items):
    """Compiled where= rules for rule text, or None."""
    if where is None:
        return None
    if not isinstance(where, str):
        raise TypeError("where must be rule text (str) or None, not %s"
                        % type(where).__name__)
    return Rules(where, items)


class Filter:
    __slots__ = ("items", "_matches", "_rules")

    def __init__(self, patterns, where=None):
        self.items, parsed = split(patterns)
        self._matches = Compiled(parsed).matches
        self._rules = _rules(where, self.items)

    @property
    def where(self):
        return None if self._rules is None else self._rules.text

    def matches(self, name, args=()):
        if not isinstance(args, tuple):
            raise TypeError("matches() argument 2 must be tuple, not %s"
                            % type(args).__name__)
        if not isinstance(name, str):
            raise TypeError("event name must be a str, not %s"
                            % type(name).__name__)
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("event name %r cannot be encoded as UTF-8; no "
                             "event can have that name" % (name,)) from None
        if "\0" in name:
            raise ValueError("event name %r contains a NUL character; no "
                             "event can have that name" % (name,))
        return self._matches(name) and (
            self._rules is None or self._rules.matches(name, args))


_is_finalizing = sys.is_finalizing     # kept: sys empties at exit


class _ExitSafeLock:
    """A lock for a handle's buffer and counts that cannot hang the exit.

    While the interpreter finalizes, daemon threads are frozen wherever
    they were, possibly holding this lock; only the finalizing thread runs
    Python code then, so it may go on without the lock instead of waiting
    forever.
    """

    __slots__ = ("lock", "held")

    def __init__(self):
        self.lock = threading.Lock()
        self.held = False

    def __enter__(self):
        self.held = (self.lock.acquire(blocking=False)
                     or not _is_finalizing() and self.lock.acquire())
        return self

    def __exit__(self, *exc_info):
        if self.held:
            self.held = False
            self.lock.release()


class Handle:
    """One subscription inside the core."""

    def __init__(self, core, sub_id, kind, items, parsed, arg, rules, scope,
                 stack):
        self.id = sub_id
        self.kind = kind
        self.items = items
        self.parsed = parsed
        self.matches = Compiled(parsed).matches
        self.rules = rules          # where= conditions, or None
        self.active = True
        self.sealed = False
        self.scope = scope
        self.stack = stack
        self._core = core
        self._lock = _ExitSafeLock()
        self.callable = arg if kind == "watch" else None
        self.capacity = arg if kind == "record" else 0
        self._buffer = []
        self._dropped = 0
        self._counts = {}

    @property
    def where(self):
        return None if self.rules is None else self.rules.text

    def close(self):
        if self.sealed:
            raise RuntimeError(SEALED_MESSAGE)
        self._core.remove(self)

    def seal(self):
        if not self.active:
            raise RuntimeError("a closed subscription cannot be sealed")
        self.sealed = True

    def drain(self):
        with self._lock:
            records, self._buffer = self._buffer, []
        event = self._core.event_type
        try:
            return [event(*record) for record in records]
        except BaseException:
            # Interrupted (a signal handler raised, say): the records go
            # back in front of those that arrived meanwhile, for the next
            # drain.
            with self._lock:
                self._buffer[:0] = records
            raise

    def clear(self):
        with self._lock:
            records, self._buffer = self._buffer, []
        # Released outside the lock, oldest first as the C ring does (a
        # list lets go of its items newest first).
        for i in range(len(records)):
            records[i] = None
        return len(records)

    @property
    def dropped(self):
        return self._dropped

    def counts(self):
        with self._lock:
            return dict(self._counts)

    def add_record(self, record):
        with self._lock:
            if len(self._buffer) < self.capacity:
                self._buffer.append(record)
            else:
                self._dropped += 1

    def add_count(self, event):
        with self._lock:
            self._counts[event] = self._counts.get(event, 0) + 1


class Core:
    backend = backend
    KINDS = KINDS
    MAX_CAPACITY = MAX_CAPACITY
    MAX_STACK = MAX_STACK
    Filter = Filter

    def __init__(self):
        self._lock = threading.RLock()
        self._handles = ()
        self._every_handle = weakref.WeakSet()
        self._memo = {}
        self._next_id = 1
        self._local = threading.local()
        self._installed = False     # the hook runs
        self._added = False         # sys.addaudithook took it, or may have
        self._probe_seen = False
        self._interp_id = _interpreter_id()
        self.event_type = self.denied_type = self.scope_var = None

    def _set_types(self, event_type, denied_type, scope_var):
        self.event_type = event_type
        self.denied_type = denied_type
        self.scope_var = scope_var

    # -- configuration ---------------------------------------------------

    def subscribe(self, kind, patterns, arg=None, *, where=None,
                  interpreters="own", scope=None, stack=None):
        # The checks of csrc/module.c, in its order.
        if kind not in KINDS:
            raise ValueError("no subscription kind %r" % (kind,))
        if not isinstance(interpreters, str) or interpreters not in ("own",
                                                                     "all"):
            raise ValueError("interpreters must be 'own' or 'all', not %r"
                             % (interpreters,))
        if interpreters == "all":
            if kind == "watch":
                raise ValueError("interpreters='all' is for count, record "
                                 "and deny, not watch: a callback belongs "
                                 "to the interpreter that made it")
            raise ValueError("interpreters='all' needs pyaudit's native "
                             "backend: the pure-Python backend's hook "
                             "(sys.addaudithook) sees only its own "
                             "interpreter's events")
        depth = 0 if stack is None else _bounded_int(stack, "stack", 0,
                                                     MAX_STACK)
        items, parsed = split(patterns)
        if depth and kind != "record":
            raise ValueError("stack= is for record subscriptions")
        if kind == "watch" and not callable(arg):
            raise TypeError("callback must be callable, not %s"
                            % type(arg).__name__)
        if kind == "record":
            _bounded_int(arg, "capacity", 1, MAX_CAPACITY)
        rules = _rules(where, items)
        with self._lock:
            self._install()
            handle = Handle(self, self._next_id, kind, items, parsed, arg,
                            rules, scope, depth)
            self._every_handle.add(handle)
            self._next_id += 1
            self._publish(self._handles + (handle,))
        return handle

    def remove(self, handle):
        with self._lock:
            if handle.active:
                handle.active = False
                self._publish(tuple(h for h in self._handles
                                    if h is not handle))
                # As the native core does: a closed subscription lets go of
                # its callback (and so of any cycle through it).
                handle.callable = None

    def subscriptions(self):
        return [(h.id, h.kind, h.items, "own", h.where, h.sealed)
                for h in self._handles]

    def after_fork_in_child(self):
        """A fork copies locks in whatever state other threads left them:
        give the child fresh ones (the native core recovers its own), and
        the forking thread is no longer inside a callback."""
        self._lock = threading.RLock()
        for handle in self._every_handle:   # closed ones can still drain
            handle._lock = _ExitSafeLock()
        self._local.in_callback = False

    def _publish(self, handles):
        # One assignment each: a hook running concurrently sees either
        # the old memo or the new one, never a half-built one.
        self._handles = handles
        self._memo = {}

    def _install(self):
        """Add the hook (once) and check with the probe event that it runs,
        as csrc/core.c does."""
        if self._installed:
            return
        if not self._added:
            sys.addaudithook(self._hook)
            self._added = True
        self._probe_seen = False
        try:
            sys.audit(PROBE_EVENT)
        except Exception as exc:
            if not self._probe_seen:
                # The hook may well be in place (an earlier hook stopped
                # the probe before it): never add it again, probe again
                # next time.
                raise InstallError(
                    "an audit hook added earlier refused the event '%s', "
                    "so pyaudit cannot check that its hook runs; allow "
                    "that event in the other hook" % PROBE_EVENT) from exc
        if not self._probe_seen:
            # sys.addaudithook reported success without adding it: an
            # earlier hook refused "sys.addaudithook".
            self._added = False
            raise InstallError(
                "pyaudit's audit hook was not installed: an audit hook "
                "added earlier refused sys.addaudithook, so no event "
                "would be seen")
        self._installed = True

    # -- the hook ----------------------------------------------------------

    def _targets(self, event):
        if event == PROBE_EVENT:
            self._probe_seen = True
        memo = self._memo
        order = {kind: i for i, kind in enumerate(KINDS)}
        targets = tuple(sorted(
            (h for h in self._handles if h.matches(event)),
            key=lambda h: (order[h.kind], h.id)))
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[event] = targets
        return targets

    def _hook(self, event, args):
        try:
            targets = self._memo[event]
        except KeyError:
            targets = self._targets(event)
        if not targets:
            return
        local = self._local
        in_callback = getattr(local, "in_callback", False)
        stamp = None    # what every record of this event shares, made once
        for handle in targets:
            if not handle.active or (
                    handle.scope is not None
                    and handle.scope not in self.scope_var.get()):
                continue
            # where= rules may run Python code (__fspath__) that closes
            # subscriptions: a handle closed meanwhile gets nothing.
            rules = handle.rules
            if rules is not None and (not rules.matches(event, args)
                                      or not handle.active):
                continue
            kind = handle.kind
            if kind == "count":
                handle.add_count(event)
            elif kind == "record":
                if stamp is None:
                    stamp = (time.time_ns(), threading.get_ident(),
                             self._interp_id)
                handle.add_record((event, args) + stamp + (
                    _stack(handle.stack) if handle.stack else None,))
            elif kind == "watch":
                callback = handle.callable  # None once closed meanwhile
                if in_callback or callback is None:
                    continue
                local.in_callback = True
                try:
                    callback(event, args)
                finally:
                    local.in_callback = False
            else:
                frame = _event_frame()
                caller = None if frame is None else (
                    frame.f_code.co_filename, frame.f_lineno,
                    frame.f_code.co_name)
                raise self.denied_type(event, args, caller)


def get_core():
    """The process's one Python core, kept on ``sys`` so that reloading
    pyaudit never adds a second hook."""
    core = getattr(sys, _CORE_ATTRIBUTE, None)
    if core is None:
        core = Core()
        setattr(sys, _CORE_ATTRIBUTE, core)
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=core.after_fork_in_child)
    return core
