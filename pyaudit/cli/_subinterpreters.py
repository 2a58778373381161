"""Subinterpreters on whichever module this CPython has, and code run in
several of them at once: for ``pyaudit bench``'s parallel case and the
interpreter tests.

    interpreters = Subinterpreters()    # NotAvailable when there is none
    interp = interpreters.create()      # a GIL of its own from 3.12
    interpreters.run(interp, "import sys; sys.audit('x')")
    elapsed = interpreters.start([(interp, code), ...]).join()
    interpreters.destroy(interp)        # on the thread that created it

The module is ``concurrent.interpreters`` from 3.14, ``_interpreters`` in
3.13 and ``_xxsubinterpreters`` before.  From 3.12 ``create()`` makes an
interpreter with a GIL of its own (``own_gil`` is True), so code started
in several of them runs in parallel; before 3.12 every interpreter shares
the one GIL and such code takes turns.
"""

import sys
import threading
import time


class NotAvailable(Exception):
    """This Python has no subinterpreter module (the message says what is
    missing)."""


class Failed(RuntimeError):
    """Code run in a subinterpreter raised; the message is its error."""


class Subinterpreters:
    """create(), run(), start() and destroy() over this Python's module."""

    def __init__(self):
        self.own_gil = sys.version_info >= (3, 12)
        try:
            from concurrent import interpreters     # 3.14+
        except ImportError:
            interpreters = None
        if interpreters is not None:
            self._module = interpreters
            self._create = interpreters.create
            self._exec = self._exec_public
            self._destroy = lambda interp: interp.close()
            self.id_of = lambda interp: interp.id
            return
        try:
            import _interpreters as module              # 3.13
        except ImportError:
            try:
                import _xxsubinterpreters as module     # 3.8 to 3.12
            except ImportError:
                raise NotAvailable(
                    "a subinterpreter module (_xxsubinterpreters, "
                    "_interpreters or concurrent.interpreters), which "
                    "this Python does not have") from None
        self._module = module
        if hasattr(module, "new_config"):
            self._create = lambda: module.create("isolated")
        elif self.own_gil:
            self._create = lambda: module.create(isolated=True)
        else:
            self._create = module.create
        self._exec = self._exec_private
        self._destroy = module.destroy
        self.id_of = int

    def _exec_public(self, interp, code):
        try:
            interp.exec(code)
        except self._module.ExecutionFailed as exc:
            raise Failed("in interpreter %d: %s" % (interp.id, exc)) \
                from None

    def _exec_private(self, interp, code):
        raised = getattr(self._module, "RunFailedError", ())
        try:
            failure = self._module.run_string(interp, code)
        except raised as exc:                   # 3.12 and older raise
            failure = exc
        if failure is not None:                 # 3.13 returns a summary
            shown = getattr(failure, "errdisplay", None) or failure
            raise Failed("in interpreter %d: %s" % (int(interp), shown))

    def create(self):
        """A new interpreter; destroy it from this same thread."""
        interp = self._create()
        # Before 3.13 (from 3.9.8) ending an interpreter waits for the
        # thread that first imported threading in it; if that is not the
        # thread ending it (code run on a worker thread imported it), it
        # waits forever.  Importing threading here makes it this thread.
        # 3.13 records each interpreter's main thread instead.
        if sys.version_info < (3, 13):
            self.run(interp, "import threading")
        return interp

    def run(self, interp, code):
        """Run code (a str) in interp on this thread; Failed if it
        raises."""
        self._exec(interp, code)

    def destroy(self, interp):
        self._destroy(interp)

    def start(self, jobs):
        """Run each (interp, code) of jobs on a thread of its own, all at
        once; returns the Running jobs."""
        return Running(self, jobs)


class Running:
    """Jobs started by Subinterpreters.start()."""

    def __init__(self, interpreters, jobs):
        self._failures = []
        self._threads = [
            threading.Thread(target=self._work, args=(interpreters,) + job)
            for job in jobs]
        self._started = time.perf_counter()
        for thread in self._threads:
            thread.start()

    def _work(self, interpreters, interp, code):
        try:
            interpreters.run(interp, code)
        except BaseException as exc:
            self._failures.append(exc)

    def alive(self):
        """Whether any job is still running."""
        return any(thread.is_alive() for thread in self._threads)

    def join(self):
        """Wait for every job; raise the first failure, or return the
        seconds from the start to the end of the last job."""
        for thread in self._threads:
            thread.join()
        elapsed = time.perf_counter() - self._started
        if self._failures:
            raise self._failures[0]
        return elapsed
