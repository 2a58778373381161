"""Plain value types returned by the API (shared by both backends)."""

from typing import Any, Dict, NamedTuple, Optional, Tuple

from . import _catalog


class Event(NamedTuple):
    """One recorded audit event."""

    name: str
    """The event name, e.g. ``"socket.connect"``."""
    args: Tuple[Any, ...]
    """The event's own arguments tuple (the same object the hook saw); for
    an event of another interpreter, a plain copy (see ``record``)."""
    time_ns: int
    """When it was raised, on the ``time.time_ns()`` clock."""
    thread_id: int
    """``threading.get_ident()`` of the thread that raised it."""
    interpreter_id: int = 0
    """The id of the interpreter that raised it (0: the main one)."""
    stack: Optional[Tuple[Tuple[str, int, str], ...]] = None
    """With ``record(..., stack=N)``: the innermost N Python frames of the
    raising thread as ``(filename, lineno, function)``, innermost first;
    otherwise None."""

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
    """"watch", "record", "count", "deny" or "sink" (C)."""
    patterns: Tuple[str, ...]
    interpreters: str = "own"
    """"own", "all", or "main" (a C sink's default)."""
    where: Optional[str] = None
    """The canonical rule text of its ``where=`` conditions, or None."""
