"""The public API, written once over a backend "core".

A core is either the C extension (``pyaudit._pyaudit``) or the pure-Python
twin (``pyaudit._python``).  Both provide:

    core.backend                      "native" or "python"
    core.Filter(items, where)         compiled filter with .matches(name,
                                      args)
    core.subscribe(kind, items, arg, where)
                                      -> handle; kind is "watch" (arg: the
                                      callback), "record" (arg: capacity),
                                      "count" (arg: None) or "deny" (arg:
                                      the exception class, called with
                                      (name, args)); where is rule text
                                      (pyaudit._rules) or None
    core.subscriptions()              -> [(id, kind, items, where), ...]

and handles with .id, .active, .close(), .drain() -> [(name, args,
time_ns, thread_id), ...], .dropped and .counts() -> {name: n}.

Argument checking lives here, so both backends reject bad input alike;
rule text is checked against the patterns by each backend, with the same
messages (the Python one is the reference).
"""

import operator

from . import _catalog, _patterns
from ._errors import Denied
from ._types import Event, SubscriptionInfo
from ._where import where_text

DEFAULT_CAPACITY = 65536
MAX_CAPACITY = 2 ** 30      # the native ring is allocated up front


class Subscription:
    """A live subscription; close it (or leave a ``with`` block) to stop.

    pyaudit keeps every subscription alive until it is closed, even when
    no reference to this object remains: dropping it does not stop a
    ``deny``.
    """

    __slots__ = ("_handle", "_patterns", "_kind", "_where")

    def __init__(self, handle, kind, patterns, where=None):
        self._handle = handle
        self._kind = kind
        self._patterns = patterns
        self._where = where

    @property
    def kind(self):
        """"watch", "record", "count" or "deny"."""
        return self._kind

    @property
    def patterns(self):
        """The pattern items, as a tuple of str."""
        return self._patterns

    @property
    def where(self):
        """The canonical rule text of its ``where=`` conditions, or None."""
        return self._where

    @property
    def active(self):
        """True until ``close()`` is called."""
        return self._handle.active

    def close(self):
        """Stop receiving events.  Closing twice is allowed."""
        self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return "<pyaudit.%s %s %r%s>" % (
            type(self).__name__, self._kind, ",".join(self._patterns),
            "" if self.active else " closed")


class Recorder(Subscription):
    """Records matching events into a bounded buffer."""

    __slots__ = ()

    def drain(self):
        """Return the recorded events, oldest first, and empty the buffer."""
        return [Event._make(raw) for raw in self._handle.drain()]

    def clear(self):
        """Discard the recorded events without building them; return how
        many were discarded.  They are not counted as dropped."""
        return self._handle.clear()

    @property
    def dropped(self):
        """How many events were not recorded because the buffer was full."""
        return self._handle.dropped

    @property
    def capacity(self):
        """How many events the buffer holds before it drops."""
        return self._handle.capacity


class Counter(Subscription):
    """Counts matching events per event name."""

    __slots__ = ()

    def counts(self):
        """Return a new dict of event name to count."""
        return self._handle.counts()


class FilterBase:
    """A compiled set of patterns, with optional ``where=`` conditions on
    the arguments; ``matches(name, args)`` tells if an event matches."""

    __slots__ = ("_compiled", "_patterns", "_where")
    _core = None  # set by each backend's subclass

    def __init__(self, patterns, where=None):
        self._patterns = _patterns.split(patterns)
        self._where = where_text(where)
        self._compiled = self._core.Filter(self._patterns, self._where)

    @property
    def patterns(self):
        return self._patterns

    @property
    def where(self):
        """The canonical rule text of its conditions, or None."""
        return self._where

    def matches(self, name, args=()):
        """Whether an event ``name`` with ``args`` (a tuple; only rules
        look at it) matches."""
        if not isinstance(args, tuple):
            raise TypeError("args must be a tuple, not %s"
                            % type(args).__name__)
        if not isinstance(name, str):
            raise TypeError("event name must be a str, not %s"
                            % type(name).__name__)
        if "\0" in name:
            raise ValueError("event name %r contains a NUL character; no "
                             "event can have that name" % (name,))
        try:
            return self._compiled.matches(name, args)
        except UnicodeEncodeError:
            raise ValueError("event name %r cannot be encoded as UTF-8; no "
                             "event can have that name" % (name,)) from None

    def __repr__(self):
        if self._where is None:
            return "pyaudit.Filter(%r)" % (",".join(self._patterns),)
        return "pyaudit.Filter(%r, where=%r)" % (",".join(self._patterns),
                                                 self._where)


class API:
    """The public functions, bound to one core."""

    def __init__(self, core):
        self.core = core
        self.backend = core.backend
        self.Filter = type("Filter", (FilterBase,), {
            "__slots__": (), "_core": core, "__module__": "pyaudit",
            "__doc__": FilterBase.__doc__})

    def _subscribe(self, cls, kind, patterns, arg, where, stacklevel=3):
        items = _patterns.split(patterns)
        text = where_text(where)
        # Blame the user's line: by default it called watch/record/count/
        # deny, which called this method; deeper callers say how deep.
        _catalog.check_patterns(items, stacklevel=stacklevel)
        return cls(self.core.subscribe(kind, items, arg, text), kind, items,
                   text)

    def watch(self, patterns, callback, where=None):
        """Call ``callback(name, args)`` for every matching event (whose
        arguments satisfy ``where``: a pyaudit.Where, a list of them or
        rule text)."""
        return self.watch_from(patterns, callback, where, stacklevel=4)

    def watch_from(self, patterns, callback, where, stacklevel):
        """watch() for pyaudit's own wrappers (log_to): warnings about
        patterns blame the frame ``stacklevel`` levels up."""
        if not callable(callback):
            raise TypeError("callback must be callable, not %s"
                            % type(callback).__name__)
        return self._subscribe(Subscription, "watch", patterns, callback,
                               where, stacklevel)

    def record(self, patterns, capacity=DEFAULT_CAPACITY, where=None):
        """Record matching events; ``drain()`` the returned Recorder."""
        if isinstance(capacity, bool):
            raise TypeError("capacity must be an int, not bool")
        try:
            capacity = operator.index(capacity)
        except TypeError:
            raise TypeError("capacity must be an int, not %s"
                            % type(capacity).__name__) from None
        if not 1 <= capacity <= MAX_CAPACITY:
            raise ValueError("capacity must be between 1 and %d, not %d"
                             % (MAX_CAPACITY, capacity))
        return self._subscribe(Recorder, "record", patterns, capacity, where)

    def count(self, patterns, where=None):
        """Count matching events per name; see ``Counter.counts()``."""
        return self._subscribe(Counter, "count", patterns, None, where)

    def deny(self, patterns, where=None):
        """Refuse matching events by raising ``pyaudit.Denied``."""
        return self._subscribe(Subscription, "deny", patterns, Denied, where)

    def subscriptions(self):
        """The live subscriptions, oldest first."""
        return [SubscriptionInfo(*raw) for raw in self.core.subscriptions()]
