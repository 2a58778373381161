"""Subinterpreters for child programs, on every CPython that has them:
``_xxsubinterpreters`` (3.8 to 3.12) or ``_interpreters`` (3.13+).

    from subinterpreters import create, run
    interp = create(shared_gil=True)
    run(interp, "import pyaudit")       # raises if the code failed

Before 3.12 every subinterpreter shares the main GIL; ``own_gil_possible``
says whether one can have a GIL of its own.
"""

import sys

try:
    import _interpreters as _module
except ImportError:
    import _xxsubinterpreters as _module

own_gil_possible = sys.version_info >= (3, 12)
destroy = _module.destroy


def create(shared_gil):
    """A new subinterpreter, sharing the main GIL or with its own."""
    if not own_gil_possible:
        if not shared_gil:
            raise RuntimeError("no GIL per interpreter before 3.12")
        return _module.create()
    if sys.version_info < (3, 13):
        return _module.create(isolated=not shared_gil)
    return _module.create("legacy" if shared_gil else "isolated")


def run(interp, code):
    """Run code in interp; raise RuntimeError if it raised."""
    failure = _module.run_string(interp, code)
    if failure is not None:     # 3.13 returns the error, older raise
        raise RuntimeError(failure)
