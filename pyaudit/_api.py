"""The public API, written once over a backend "core".

A core is either the C extension (``pyaudit._pyaudit``) or the pure-Python
twin (``pyaudit._python``).  Both provide:

    core.backend        "native" or "python"
    core.KINDS          the subscription kinds, in delivery order
    core.Filter(patterns, where)  compiled patterns: .items, .where,
                        .matches(name, args)
    core.subscribe(kind, patterns, arg=None, *, where=None,
                   interpreters="own", scope=None, stack=0) -> handle
    core.subscriptions() -> [(id, kind, items, interpreters, where,
                              sealed), ...]
    core._set_types(Event, Denied, scope_var)

and handles with .id, .active, .sealed, .items, .parsed, .close() (a
RuntimeError once sealed), .seal(), .drain() -> [Event, ...], .clear(),
.dropped, .capacity and .counts() -> {name: n}.

``where`` reaches a core as rule text (pyaudit.Where renders it).  Each
core checks its own input (patterns, rule text, capacity, stack depth,
interpreters) and raises the same errors; this module checks only what
it owns itself (scoped=) and wraps handles.
"""

import contextvars
import sys

from . import _catalog
from ._errors import Denied
from ._types import Event, SubscriptionInfo
from ._where import where_text

DEFAULT_CAPACITY = 65536

# The scoped subscriptions the current context is inside: a tuple of their
# tokens.  contextvars gives each thread its own context, and asyncio
# tasks a copy of the context that created them.
SCOPES = contextvars.ContextVar("pyaudit_scopes", default=())


class _ScopeToken:
    """Stands for one scoped subscription in SCOPES (compared by
    identity)."""

    __slots__ = ("__weakref__",)


def _set_scopes(scopes):
    """Make ``scopes`` this context's.  The native core remembers which
    contexts hold no scope: it is told (whichever core subscribed)."""
    SCOPES.set(scopes)
    native = sys.modules.get("pyaudit._pyaudit")
    if native is not None:
        native._scopes_changed()


class Subscription:
    """A live subscription; close it (or leave a ``with`` block) to stop.

    pyaudit keeps every subscription alive until it is closed, even when
    no reference to this object remains: dropping it does not stop a
    ``deny``.
    """

    __slots__ = ("_handle", "_patterns", "_kind", "_scope")

    def __init__(self, handle, kind, scope):
        self._handle = handle
        self._kind = kind
        self._patterns = handle.items
        self._scope = scope

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

    @property
    def where(self):
        """The rule text of its ``where=`` conditions, or None."""
        return self._handle.where

    @property
    def sealed(self):
        """Whether it belongs to a sealed policy: ``close()`` then raises
        RuntimeError, and nothing in Python lifts it."""
        return self._handle.sealed

    @property
    def scoped(self):
        """Whether it applies only inside the context that opened it."""
        return self._scope is not None

    def close(self):
        """Stop receiving events.  Closing twice is allowed."""
        self._handle.close()
        if self._scope is not None:
            # Leave the scope in this context (if it is the one that
            # opened it); elsewhere the closed subscription sees nothing
            # anyway.
            scopes = SCOPES.get()
            if self._scope in scopes:
                _set_scopes(tuple(s for s in scopes if s is not self._scope))

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __repr__(self):
        return "<pyaudit.%s %s %r%s%s>" % (
            type(self).__name__, self._kind, ",".join(self._patterns),
            " scoped" if self._scope is not None else "",
            "" if self.active else " closed")


class Recorder(Subscription):
    """Records matching events into a bounded buffer."""

    __slots__ = ()

    def drain(self):
        """Return the recorded events (``Event``), oldest first, and empty
        the buffer."""
        return self._handle.drain()

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

    __slots__ = ("_compiled",)
    _core = None  # set by each backend's subclass

    def __init__(self, patterns, where=None):
        self._compiled = self._core.Filter(patterns, where_text(where))

    @property
    def patterns(self):
        return self._compiled.items

    @property
    def where(self):
        """The canonical rule text of its conditions, or None."""
        return self._compiled.where

    def matches(self, name, args=()):
        """Whether an event ``name`` with ``args`` (a tuple; only rules
        look at it) matches."""
        return self._compiled.matches(name, args)

    def __repr__(self):
        if self.where is None:
            return "pyaudit.Filter(%r)" % (",".join(self.patterns),)
        return "pyaudit.Filter(%r, where=%r)" % (",".join(self.patterns),
                                                 self.where)


def _check_scoped(scoped):
    if not isinstance(scoped, bool):
        raise TypeError("scoped must be True or False, not %s"
                        % type(scoped).__name__)


class API:
    """The public functions, bound to one core."""

    def __init__(self, core):
        self.core = core
        self.backend = core.backend
        core._set_types(Event, Denied, SCOPES)
        self.Filter = type("Filter", (FilterBase,), {
            "__slots__": (), "_core": core, "__module__": "pyaudit",
            "__doc__": FilterBase.__doc__})

    def _subscribe(self, cls, kind, patterns, arg, stacklevel, where=None,
                   scoped=False, **options):
        _check_scoped(scoped)
        text = where_text(where)
        # The catalog is read (an "open" event, and imports) before the
        # subscription exists, so that it never sees its own checking.
        _catalog.preload()
        scope = _ScopeToken() if scoped else None
        handle = self.core.subscribe(kind, patterns, arg, where=text,
                                     scope=scope, **options)
        try:
            # Blame the user's line: by default it called watch/record/
            # count/deny, which called this method; deeper callers say how
            # deep.  A warning made an error subscribes nothing.
            _catalog.check_parsed(handle.items, handle.parsed,
                                  stacklevel=stacklevel)
        except BaseException:
            handle.close()
            raise
        if scope is not None:
            _set_scopes(SCOPES.get() + (scope,))
        return cls(handle, kind, scope)

    def watch(self, patterns, callback, *, where=None, scoped=False):
        """Call ``callback(name, args)`` for every matching event (whose
        arguments satisfy ``where``: a pyaudit.Where, a list of them or
        rule text)."""
        return self.watch_from(patterns, callback, stacklevel=4,
                               where=where, scoped=scoped)

    def watch_from(self, patterns, callback, stacklevel, where=None,
                   scoped=False):
        """watch() for pyaudit's own wrappers (log_to): warnings about
        patterns blame the frame ``stacklevel`` levels up."""
        return self._subscribe(Subscription, "watch", patterns, callback,
                               stacklevel, where, scoped)

    def record(self, patterns, capacity=DEFAULT_CAPACITY, *, where=None,
               stack=0, interpreters="own", scoped=False):
        """Record matching events; ``drain()`` the returned Recorder."""
        return self._subscribe(Recorder, "record", patterns, capacity, 3,
                               where, scoped, stack=stack,
                               interpreters=interpreters)

    def count(self, patterns, *, where=None, interpreters="own",
              scoped=False):
        """Count matching events per name; see ``Counter.counts()``."""
        return self._subscribe(Counter, "count", patterns, None, 3, where,
                               scoped, interpreters=interpreters)

    def deny(self, patterns, *, where=None, interpreters="own",
             scoped=False):
        """Refuse matching events by raising ``pyaudit.Denied``."""
        return self._subscribe(Subscription, "deny", patterns, None, 3,
                               where, scoped, interpreters=interpreters)

    def subscriptions(self):
        """The live subscriptions that receive this interpreter's events
        (its own, and those of every interpreter), oldest first."""
        return [SubscriptionInfo(*raw) for raw in self.core.subscriptions()]

    def load_policy(self, path_or_text, *, sealed=False, variables=None):
        """Check a policy (a file's path, or policy text: a str holding a
        newline) and put its rules in force; returns a pyaudit.Policy.
        Raises pyaudit.PolicyError listing every problem, and then
        nothing of it is in force.  ``sealed``: no Python call can take
        it out of force again.  ``variables``: values for ${NAME} in its
        ``where`` strings.  See docs/policies.md."""
        from ._policy import policy
        return policy.load(self, path_or_text, sealed, variables)
