"""The exceptions pyaudit raises (shared by both backends)."""


class Denied(PermissionError):
    """An audited operation was refused by a ``pyaudit.deny`` subscription.

    ``event`` is the audit event's name and ``event_args`` its arguments
    tuple.  Raised from inside the audit hook, so it aborts the operation
    that raised the event (``open``, ``socket.connect``, ...).
    """

    def __init__(self, event, event_args=()):
        super().__init__("audit event %r denied by pyaudit" % (event,))
        self.event = event
        self.event_args = event_args


class InstallError(RuntimeError):
    """pyaudit's audit hook could not be installed.

    Usually another audit hook, added earlier, refused ``sys.addaudithook``:
    CPython then reports success without adding the hook, so pyaudit checks
    with a probe event and raises this instead of silently auditing nothing.
    """
