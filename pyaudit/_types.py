"""Plain value types returned by the API (shared by both backends)."""

from typing import Any, Dict, NamedTuple, Optional, Tuple

from . import _catalog


class Event(NamedTuple):
    """One recorded audit event."""

    name: str
    """The event name, e.g. ``"socket.connect"``."""
    args: Tuple[Any, ...]
    """The event's own arguments tuple (the same object the hook saw)."""
    time_ns: int
    """When it was raised, on the ``time.time_ns()`` clock."""
    thread_id: int
    """``threading.get_ident()`` of the thread that raised it."""

    def named_args(self) -> Dict[str, Any]:
        """The args keyed by the events catalog's argument names.

        E.g. ``{"path": ..., "mode": ..., "flags": ...}`` for ``open``.
        Values beyond the known names, and all values of events the
        catalog does not know, are keyed ``"arg<i>"`` by position.
        """
        return _catalog.named_args(self.name, self.args)


class SubscriptionInfo(NamedTuple):
    """A live subscription as listed by ``pyaudit.subscriptions()``."""

    id: int
    kind: str
    """"watch", "record", "count" or "deny"."""
    patterns: Tuple[str, ...]
    where: Optional[str] = None
    """The canonical rule text of its ``where=`` conditions, or None."""
