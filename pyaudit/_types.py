"""Plain value types returned by the API (shared by both backends).

They are built with ``collections.namedtuple`` rather than
``typing.NamedTuple``: importing ``typing`` costs about 5 ms, more than
all of pyaudit's other imports together, and ``pyaudit run`` imports this
module before the program it runs.  ``_types.pyi`` gives type checkers the
typed view.
"""

from collections import namedtuple

from . import _catalog


class Event(namedtuple("Event", "name args time_ns thread_id interpreter_id "
                                "stack", defaults=(0, None))):
    """One recorded audit event."""

    __slots__ = ()

    def named_args(self):
        """The args keyed by the events catalog's argument names.

        E.g. ``{"path": ..., "mode": ..., "flags": ...}`` for ``open``.
        Values beyond the known names, and all values of events the
        catalog does not know, are keyed ``"arg<i>"`` by position.
        """
        return _catalog.named_args(self.name, self.args)


Event.name.__doc__ = "The event name, e.g. ``\"socket.connect\"``."
Event.args.__doc__ = ("The event's own arguments tuple (the same object the "
                      "hook saw); for an event of another interpreter, a "
                      "plain copy (see ``record``).")
Event.time_ns.__doc__ = "When it was raised, on the ``time.time_ns()`` clock."
Event.thread_id.__doc__ = ("``threading.get_ident()`` of the thread that "
                           "raised it.")
Event.interpreter_id.__doc__ = ("The id of the interpreter that raised it "
                                "(0: the main one).")
Event.stack.__doc__ = ("With ``record(..., stack=N)``: the innermost N "
                       "Python frames of the raising thread as ``(filename, "
                       "lineno, function)``, innermost first; otherwise "
                       "None.")


class SubscriptionInfo(namedtuple("SubscriptionInfo",
                                  "id kind patterns interpreters where "
                                  "sealed", defaults=("own", None, False))):
    """A live subscription as listed by ``pyaudit.subscriptions()``."""

    __slots__ = ()


SubscriptionInfo.kind.__doc__ = ('"watch", "record", "count", "deny" or '
                                 '"sink" (C).')
SubscriptionInfo.interpreters.__doc__ = ('"own", "all", or "main" (a C '
                                         'sink\'s default).')
SubscriptionInfo.where.__doc__ = ("The canonical rule text of its ``where=`` "
                                  "conditions, or None.")
SubscriptionInfo.sealed.__doc__ = ("Whether it belongs to a sealed policy "
                                   "(it cannot be closed).")
