"""What a traced process does at exit: say whether event lines were lost
and, in ``pyaudit run``'s own process (also after it execs a new
program), print the --summary table."""

import os


def adopt(tracer, stderr):
    """Do the duties for ``tracer`` at exit; ``stderr``: the Output of
    pyaudit run's private standard error (None if there is none).

    With --summary, pyaudit run's process registers that now; otherwise
    only once a line is lost (so that ``atexit`` is not imported into
    every traced program).
    """
    config = tracer.config
    if config.summary and os.getpid() == config.top_pid:
        _at_exit(tracer, stderr)
    for output in (tracer.output, tracer.summary):
        if output is not None:
            output.on_loss = lambda: _at_exit(tracer, stderr)


def _at_exit(tracer, stderr):
    if not tracer.exit_registered:
        tracer.exit_registered = True
        import atexit
        atexit.register(finish, tracer, stderr)


def _say(stderr, text):
    if stderr is not None and stderr.fd >= 0:
        stderr.write(text)
    else:
        try:
            os.write(2, text.encode("utf-8", "backslashreplace"))
        except OSError:
            pass


def finish(tracer, stderr):
    config = tracer.config
    lost, why = tracer.lost()
    if lost:
        _say(stderr if stderr is not tracer.output else None,
             "pyaudit run: %d event lines were not written (%s)\n"
             % (lost, why))
    if config.summary and os.getpid() == config.top_pid:
        # Reading and removing the records raises events of pyaudit's own:
        # this process's reporting ends here.
        tracer.stop()
        from . import summary
        # Read through pyaudit's own descriptor when it still has it: no
        # open for a policy (--policy, --deny) to refuse.
        data = tracer.summary.read_all() if tracer.summary else None
        try:
            events, processes = summary.read(config.summary, data)
        except OSError as exc:
            _say(stderr, "pyaudit run: no summary: cannot read %s: %s\n"
                 % (config.summary, exc.strerror or exc))
            return
        _say(stderr, summary.render(events, processes))
        try:
            os.unlink(config.summary)
        except OSError as exc:      # a policy may refuse it too: say so
            _say(stderr, "pyaudit run: cannot remove %s: %s\n"
                 % (config.summary, exc.strerror or exc))
