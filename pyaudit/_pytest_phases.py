"""What the pytest plugin's parts that act during tests share: a context
around the innermost work of each test phase, and a result carried from
pytest-xdist workers to the controller."""

import pytest


class PhasePlugin:
    """A plugin part.  Subclasses define:

    ``phase(item, when)``          a context manager entered around the
                                   fixtures (``when`` "setup", "teardown")
                                   or the test function ("call"), not
                                   pytest's own work around them
    ``WORKER_OUTPUT``              its key in an xdist worker's output
    ``worker_result()``            what a worker hands over at its end
                                   (lists, dicts, str, int: execnet's types)
    ``add_worker_result(result)``  the controller takes one worker's result
    """

    WORKER_OUTPUT = None

    def phase(self, item, when):
        raise NotImplementedError

    def worker_result(self):
        raise NotImplementedError

    def add_worker_result(self, result):
        raise NotImplementedError

    # The phases' innermost wrappers.

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_setup(self, item):
        with self.phase(item, "setup"):
            yield

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_call(self, item):
        with self.phase(item, "call"):
            yield

    @pytest.hookimpl(hookwrapper=True, trylast=True)
    def pytest_runtest_teardown(self, item):
        with self.phase(item, "teardown"):
            yield

    # pytest-xdist: workers run the tests, the controller reports.

    @pytest.hookimpl(tryfirst=True)     # before xdist sends workeroutput
    def pytest_sessionfinish(self, session):
        output = getattr(session.config, "workeroutput", None)
        if output is not None:          # this is an xdist worker
            output[self.WORKER_OUTPUT] = self.worker_result()

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node, error):
        """An xdist worker finished (with no output if it crashed)."""
        output = getattr(node, "workeroutput", None) or {}
        if self.WORKER_OUTPUT in output:
            self.add_worker_result(output[self.WORKER_OUTPUT])
