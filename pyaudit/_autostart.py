"""pyaudit's start-up hook: the one place where pyaudit acts in a Python
process that did not ask for it.

Installing pyaudit puts ``pyaudit-autostart.pth`` (``PTH_NAME``) in
site-packages.  Python runs its one line (``PTH_LINE``) in every process
that starts with that site-packages, while ``site`` starts up, before the
program's own code: the line only looks for the variables in
``TRIGGERS`` in the environment, and imports this module and calls
``start()`` only when one is set.  A process without them imports
nothing and pays a dict lookup per variable.

    PYAUDIT_POLICY  put these policies in force, sealed, before the
                    program's code runs (pyaudit._policy.startup), as
                    coverage.py's COVERAGE_PROCESS_START starts coverage
    PYAUDIT_RUN     ``pyaudit run`` is tracing the process tree this
                    process belongs to (pyaudit._trace.child)

With both, the policies are read and checked first, pyaudit run's
outputs opened next, and the policies put in force last, so that they
never refuse the tracer's own files.

Processes started with ``-S`` (no ``site``), by another interpreter or
venv that does not have pyaudit installed, or with an environment that
lacks the variable are not reached.  ``-I`` and ``-E`` do not stop it:
they leave site-packages on and do not filter variables outside
``PYTHON*``.

setup.py reads PTH_NAME and PTH_LINE from this file without importing
the package, so this module imports nothing at its top.
"""

TRIGGERS = ("PYAUDIT_POLICY", "PYAUDIT_RUN")
PTH_NAME = "pyaudit-autostart.pth"
# What the line runs when a trigger is set.  site prints an exception that
# escapes a .pth line and then runs the program: with PYAUDIT_POLICY set
# that would be unaudited (pyaudit itself may fail to import: a broken
# install, a bad PYAUDIT_BACKEND), so the process stops instead.
BOOT = """try:
    from pyaudit import _autostart
    _autostart.start()
except BaseException as exc:
    if "PYAUDIT_POLICY" not in os.environ:
        raise
    try:
        os.write(2, ("pyaudit: PYAUDIT_POLICY: cannot put the policies in "
                     "force: %s: %s\\n" % (type(exc).__name__, exc)).encode(
                         "utf-8", "backslashreplace"))
    finally:
        os._exit(2)
"""
# site runs a .pth line that starts with "import" as code; it must be one
# line.  Sorted after setuptools' "__editable__.*.pth", which makes an
# editable install importable.
PTH_LINE = ("import os; any(name in os.environ for name in %r) and exec(%r)"
            % (TRIGGERS, BOOT))


_started = False


def start():
    """Act on the pyaudit variables of this process's environment, once
    (site runs the .pth line twice in a venv of some Python versions)."""
    global _started
    if _started:
        return
    _started = True
    import os
    specs = []
    if "PYAUDIT_POLICY" in os.environ:
        from ._policy import startup
        specs = startup.read_environment()      # stops on a problem
    value = os.environ.get("PYAUDIT_RUN")
    if value is not None:
        from ._trace import child
        child.start(value, specs)
    elif specs:
        startup.enforce(specs, "PYAUDIT_POLICY")


def installed_in(directories):
    """The directories among ``directories`` that hold this start-up
    file."""
    import os
    return [directory for directory in directories
            if os.path.isfile(os.path.join(directory, PTH_NAME))]
