"""The pure-Python backend: the same core as the C extension, on
``sys.addaudithook``.

Used when the extension cannot be imported, or with PYAUDIT_BACKEND=python.
It is also the reference the native backend is tested against, so it
favours plainness over speed.
"""

import os
import sys
import threading
import time
import weakref

from ._errors import InstallError
from ._patterns import Compiled
from ._rules import Rules

backend = "python"

PROBE_EVENT = "pyaudit.probe"
# Delivery order within one event: sinks that cannot fail first, so a
# denied or aborted attempt is still counted, recorded and watched.
KIND_ORDER = {"count": 0, "record": 1, "watch": 2, "deny": 3}
MEMO_LIMIT = 4096
_CORE_ATTRIBUTE = "_pyaudit_python_core"


def _rules(where, items):
    """Compiled rules for rule text, or None."""
    return None if where is None else Rules(where, items)


class Filter:
    __slots__ = ("_matches", "_rules")

    def __init__(self, items, where=None):
        self._matches = Compiled(items).matches
        self._rules = _rules(where, items)

    def matches(self, name, args=()):
        name.encode("utf-8")    # as the native core: no event has such a name
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

    def __init__(self, core, sub_id, kind, items, arg, rules):
        self.id = sub_id
        self.kind = kind
        self.items = items
        self.matches = Compiled(items).matches
        self.rules = rules          # where= conditions, or None
        self.active = True
        self._core = core
        self._lock = _ExitSafeLock()
        # watch: the callback; deny: the exception class to raise.
        self.callable = arg if kind in ("watch", "deny") else None
        self.capacity = arg if kind == "record" else 0
        self._buffer = []
        self._dropped = 0
        self._counts = {}

    def close(self):
        self._core.remove(self)

    def drain(self):
        with self._lock:
            events, self._buffer = self._buffer, []
        return events

    def clear(self):
        with self._lock:
            events, self._buffer = self._buffer, []
        # Released outside the lock, oldest first as the C ring does (a
        # list lets go of its items newest first).
        for i in range(len(events)):
            events[i] = None
        return len(events)

    @property
    def dropped(self):
        return self._dropped

    def counts(self):
        with self._lock:
            return dict(self._counts)

    def add_record(self, entry):
        with self._lock:
            if len(self._buffer) < self.capacity:
                self._buffer.append(entry)
            else:
                self._dropped += 1

    def add_count(self, event):
        with self._lock:
            self._counts[event] = self._counts.get(event, 0) + 1


class Core:
    backend = backend
    Filter = Filter

    def __init__(self):
        self._lock = threading.RLock()
        self._handles = ()
        self._every_handle = weakref.WeakSet()
        self._memo = {}
        self._next_id = 1
        self._local = threading.local()
        self._installed = False
        self._probe_seen = False

    # -- configuration ---------------------------------------------------

    def subscribe(self, kind, items, arg, where=None):
        rules = _rules(where, items)
        with self._lock:
            self._install()
            handle = Handle(self, self._next_id, kind, items, arg, rules)
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
        return [(h.id, h.kind, h.items,
                 None if h.rules is None else h.rules.text)
                for h in self._handles]

    def after_fork_in_child(self):
        """A fork copies locks in whatever state other threads left them:
        give the child fresh ones (the native core has no locks)."""
        self._lock = threading.RLock()
        for handle in self._every_handle:   # closed ones can still drain
            handle._lock = _ExitSafeLock()

    def _publish(self, handles):
        # One assignment each: a hook running concurrently sees either
        # the old memo or the new one, never a half-built one.
        self._handles = handles
        self._memo = {}

    def _install(self):
        if self._installed:
            return
        self._probe_seen = False
        sys.addaudithook(self._hook)
        sys.audit(PROBE_EVENT)
        if not self._probe_seen:
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
        targets = tuple(sorted(
            (h for h in self._handles if h.matches(event)),
            key=lambda h: (KIND_ORDER[h.kind], h.id)))
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
        entry = None    # what every record of this event gets, made once
        for handle in targets:
            if not handle.active:
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
                if entry is None:
                    entry = (event, args, time.time_ns(),
                             threading.get_ident())
                handle.add_record(entry)
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
                exception_class = handle.callable
                if exception_class is not None:
                    raise exception_class(event, args)


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
