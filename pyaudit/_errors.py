"""The exceptions pyaudit raises (shared by both backends)."""

ARGS_SHOWN = 100    # characters of repr(args) a denial shows


def denial_message(event, event_args, caller):
    """The message of a denial: the event, its arguments (shortened) and
    the innermost Python frame.  The native core formats the same message
    (csrc/hook.c) where pyaudit.Denied does not exist."""
    try:
        shown = repr(event_args)
    except Exception:
        shown = "(...)"
    if len(shown) > ARGS_SHOWN:
        shown = shown[:ARGS_SHOWN - 3] + "..."
    if caller is None:
        return "audit event %r %s denied" % (event, shown)
    filename, lineno, function = caller
    return "audit event %r %s denied at %s:%s in %s()" % (
        event, shown, filename, lineno, function)


class Denied(PermissionError):
    """An audited operation was refused by a ``pyaudit.deny`` subscription.

    ``event`` is the audit event's name, ``event_args`` its arguments
    tuple and ``caller`` the innermost Python frame that raised it, as
    ``(filename, lineno, function)`` (None when no Python frame ran).
    Raised from inside the audit hook, so it aborts the operation that
    raised the event (``open``, ``socket.connect``, ...).
    """

    def __init__(self, event, event_args=(), caller=None):
        super().__init__(denial_message(event, event_args, caller))
        self.event = event
        self.event_args = event_args
        self.caller = caller


class InstallError(RuntimeError):
    """pyaudit's audit hook could not be installed.

    Usually another audit hook, added earlier, refused ``sys.addaudithook``:
    CPython then reports success without adding the hook, so pyaudit checks
    with a probe event and raises this instead of silently auditing nothing.
    """
