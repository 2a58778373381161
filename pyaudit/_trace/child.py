"""Tracing a Python process that ``pyaudit run`` follows: started by
``pyaudit._autostart`` while the process starts, when PYAUDIT_RUN is set.

The process opens the output named in the configuration for itself:
``-o FILE`` (or ``FILE.<pid>``) by its path, pyaudit run's standard error
through ``/proc/<pid>/fd/<fd>`` of pyaudit run's process, after checking
that it is still the same file.  A process that cannot do so writes one
line on its own standard error saying why, and is not traced.
"""

import os

from . import config as configs, output as outputs
from .tracer import Tracer, per_process_path, read_command

CHILD_FLAGS = outputs.OPEN_FLAGS | getattr(os, "O_NOCTTY", 0)


def say(message):
    """One line on this process's standard error; never raises."""
    try:
        os.write(2, ("pyaudit run: %s\n" % message).encode(
            "utf-8", "backslashreplace"))
    except OSError:
        pass


def _own_descriptor(path):
    """The descriptor number in ``/proc/<pid>/fd/<fd>``."""
    return int(path.rsplit("/", 1)[1])


def _private_stderr(config):
    """(Output, fd kept across exec or -1) for pyaudit run's standard
    error."""
    if os.getpid() == config.top_pid:
        # pyaudit run's own process after an exec: the descriptor was made
        # inheritable for it; take it back.
        fd = _own_descriptor(config.stderr_path)
        if outputs.identity(fd) != config.stderr_id:
            raise OSError("descriptor %d is no longer pyaudit run's standard "
                          "error" % fd)
        os.set_inheritable(fd, False)
        return outputs.Output(fd, config.encoding), fd
    fd = os.open(config.stderr_path, CHILD_FLAGS)
    if outputs.identity(fd) != config.stderr_id:
        os.close(fd)
        raise OSError("%s is no longer pyaudit run's standard error"
                      % config.stderr_path)
    return outputs.Output(outputs.move_high(fd), config.encoding), -1


def _lines_output(config, stderr):
    if not config.lines:
        return None
    if not config.output:
        return stderr
    path = config.output
    if config.per_process:
        path = per_process_path(path, os.getpid())
    return outputs.Output.open(path, CHILD_FLAGS | os.O_CREAT, "utf-8")


def _not_traced(exc):
    say("process %d is not traced: %s" % (
        os.getpid(), getattr(exc, "strerror", None) or exc))


def start(value, policies=()):
    """Trace this process as PYAUDIT_RUN's ``value`` says, once the
    checked ``policies`` (pyaudit._policy Specs, from PYAUDIT_POLICY) are
    in force: they are put in force after the outputs are open, so that
    they never refuse them, and even when the process cannot be traced.
    """
    tracer = None
    try:
        config = configs.decode(value)
        command = read_command() if config.summary else None
        stderr, stderr_fd = None, -1
        if config.stderr_path and (not config.output
                                   or os.getpid() == config.top_pid):
            stderr, stderr_fd = _private_stderr(config)
        output = _lines_output(config, stderr)
        summary = None
        if config.summary:
            summary = outputs.Output.open(config.summary, CHILD_FLAGS)
        tracer = Tracer(config, output, summary, stderr_fd, command=command)
    except Exception as exc:
        _not_traced(exc)
    denials = ()
    if policies:
        from .._policy import startup
        startup.enforce(policies, startup.POLICY_VARIABLE)  # or stops
        denials = startup.denials()
    if tracer is None:
        return None
    try:
        tracer.start(denials)
    except Exception as exc:
        _not_traced(exc)
        return None
    from . import session
    session.adopt(tracer, stderr if os.getpid() == config.top_pid else None)
    return tracer
