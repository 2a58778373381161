"""The public API, written once over a backend "core".

A core is either the C extension (``pyaudit._pyaudit``) or the pure-Python
twin (``pyaudit._python``).  Both provide:

    core.backend                      "native" or "python"
    core.Filter(items)                compiled filter with .matches(name)
    core.subscribe(kind, items, arg)  -> handle; kind is "watch" (arg: the
                                      callback), "record" (arg: capacity),
                                      "count" (arg: None) or "deny" (arg:
                                      the exception class, called with
                                      (name, args))
    core.subscriptions()              -> [(id, kind, items), ...]

and handles with .id, .active, .close(), .drain() -> [(name, args,
time_ns, thread_id), ...], .dropped and .counts() -> {name: n}.

Argument checking lives here, so both backends reject bad input alike.
"""

import operator

from . import _catalog, _patterns
from ._errors import Denied
from ._types import Event, SubscriptionInfo

DEFAULT_CAPACITY = 65536
MAX_CAPACITY = 2 ** 30      # the native ring is allocated up front


class Subscription:
    """A live subscription; close it (or leave a ``with`` block) to stop.

    pyaudit keeps every subscription alive until it is closed, even when
    no reference to this object remains: dropping it does not stop a
    ``deny``.
    """

    __slots__ = ("_handle", "_patterns", "_kind")

    def __init__(self, handle, kind, patterns):
        self._handle = handle
        self._kind = kind
        self._patterns = patterns

    @property
    def kind(self):
        """"watch", "record", "count" or "deny"."""
        return self._kind

    @property
    def patterns(self):
        """The pattern items, as a tuple of str."""
        return self._patterns

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
    """A compiled set of patterns; ``matches(name)`` tells if one matches."""

    __slots__ = ("_compiled", "_patterns")
    _core = None  # set by each backend's subclass

    def __init__(self, patterns):
        self._patterns = _patterns.split(patterns)
        self._compiled = self._core.Filter(self._patterns)

    @property
    def patterns(self):
        return self._patterns

    def matches(self, name):
        if not isinstance(name, str):
            raise TypeError("event name must be a str, not %s"
                            % type(name).__name__)
        if "\0" in name:
            raise ValueError("event name %r contains a NUL character; no "
                             "event can have that name" % (name,))
        try:
            return self._compiled.matches(name)
        except UnicodeEncodeError:
            raise ValueError("event name %r cannot be encoded as UTF-8; no "
                             "event can have that name" % (name,)) from None

    def __repr__(self):
        return "pyaudit.Filter(%r)" % (",".join(self._patterns),)


class API:
    """The public functions, bound to one core."""

    def __init__(self, core):
        self.core = core
        self.backend = core.backend
        self.Filter = type("Filter", (FilterBase,), {
            "__slots__": (), "_core": core, "__module__": "pyaudit",
            "__doc__": FilterBase.__doc__})

    def _subscribe(self, cls, kind, patterns, arg, stacklevel=3):
        items = _patterns.split(patterns)
        # Blame the user's line: by default it called watch/record/count/
        # deny, which called this method; deeper callers say how deep.
        _catalog.check_patterns(items, stacklevel=stacklevel)
        return cls(self.core.subscribe(kind, items, arg), kind, items)

    def watch(self, patterns, callback):
        """Call ``callback(name, args)`` for every matching event."""
        return self.watch_from(patterns, callback, stacklevel=4)

    def watch_from(self, patterns, callback, stacklevel):
        """watch() for pyaudit's own wrappers (log_to): warnings about
        patterns blame the frame ``stacklevel`` levels up."""
        if not callable(callback):
            raise TypeError("callback must be callable, not %s"
                            % type(callback).__name__)
        return self._subscribe(Subscription, "watch", patterns, callback,
                               stacklevel)

    def record(self, patterns, capacity=DEFAULT_CAPACITY):
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
        return self._subscribe(Recorder, "record", patterns, capacity)

    def count(self, patterns):
        """Count matching events per name; see ``Counter.counts()``."""
        return self._subscribe(Counter, "count", patterns, None)

    def deny(self, patterns):
        """Refuse matching events by raising ``pyaudit.Denied``."""
        return self._subscribe(Subscription, "deny", patterns, Denied)

    def subscriptions(self):
        """The live subscriptions, oldest first."""
        return [SubscriptionInfo(*raw) for raw in self.core.subscriptions()]
