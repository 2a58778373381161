"""The exceptions pyaudit raises (shared by both backends).

The C extension imports this module when it loads, so it imports nothing
at its top: ``PolicyProblem``, a namedtuple (``collections`` costs about
2 ms of start-up), is made when first asked for.
"""

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


class PolicyError(ValueError):
    """A policy cannot be loaded: ``problems`` lists every one found (a
    tuple of ``PolicyProblem``), one per line of the message.  Nothing of
    the policy is in force."""

    def __init__(self, problems):
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def _make_policy_problem():
    from collections import namedtuple

    class PolicyProblem(namedtuple("PolicyProblem",
                                   "source line key message")):
        """One problem of a policy: ``source`` (the file, or a label such as
        "<text>"), ``line`` (None when unknown), ``key`` (where in the
        policy, e.g. "rule 2, where.paths_outside"; None for the whole
        policy) and ``message``.  ``str()`` gives the one line shown."""

        __slots__ = ()
        __qualname__ = "PolicyProblem"     # for pickle: a module global

        def __str__(self):
            where = self.source if self.line is None else "%s:%d" % (
                self.source, self.line)
            if self.key is None:
                return "%s: %s" % (where, self.message)
            return "%s: %s: %s" % (where, self.key, self.message)

    return PolicyProblem


def __getattr__(name):
    """``PolicyProblem``, made on first use (see the module's docstring)."""
    if name == "PolicyProblem":
        value = globals()[name] = _make_policy_problem()
        return value
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
