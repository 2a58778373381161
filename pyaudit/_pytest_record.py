"""The pytest plugin's ``--audit-record FILE``: each audit event matching
``--audit-record-events`` (default: the security-relevant set of ``pyaudit
run``, with its rule that an ``open`` counts only when it writes) raised
during a test's setup, call or teardown becomes one JSON line of FILE:

    {"test": "test_x.py::test_y", "phase": "call", "event": "open",
     "args": ["out.txt", "w", 524865], "time_ns": ..., "thread": ...,
     "pid": ...}

``args`` are converted as ``pyaudit run`` converts them.  Each line is one
``os.write`` to FILE opened with O_APPEND, made as the event happens:
nothing is buffered, and with pytest-xdist every worker appends whole lines
to the same file (the controller, or a session without xdist, empties it
first).
"""

import contextlib
import functools
import json
import os
import threading
import time

import pytest

import pyaudit
from pyaudit._pytest_patterns import quietly
from pyaudit._pytest_phases import PhasePlugin


class RecordPlugin(PhasePlugin):
    """Records the events of every test phase into an open file."""

    WORKER_OUTPUT = "pyaudit_recorded"

    def __init__(self, config, path, patterns):
        # pyaudit run's default set and conversions, imported only when
        # recording: the one statement of those rules.
        from pyaudit._trace import defaults, values
        self._json_safe = values.json_safe
        self.patterns = defaults.DEFAULT_EVENTS if patterns is None \
            else patterns
        # With the default set, an "open" counts only when it writes.
        self._open_counts = defaults.opens_for_writing if patterns is None \
            else None
        self.path = os.path.join(str(config.invocation_params.dir), path)
        worker = hasattr(config, "workerinput")   # xdist: append only
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND
        try:
            self._fd = os.open(self.path,
                               flags if worker else flags | os.O_TRUNC, 0o666)
        except OSError as exc:
            raise pytest.UsageError("--audit-record: cannot open %s: %s"
                                    % (self.path, exc.strerror)) from None
        self.written = 0
        self.lost = 0               # events whose line could not be written
        self.error = None           # why the first of them could not

    def _event(self, nodeid, when, name, args):
        """The watch callback: never raises into the audited operation."""
        if name == "open" and self._open_counts is not None \
                and not self._open_counts(args):
            return
        try:
            data = (json.dumps({
                "test": nodeid, "phase": when, "event": name,
                "args": self._json_safe(args), "time_ns": time.time_ns(),
                "thread": threading.get_ident(), "pid": os.getpid()},
                allow_nan=False) + "\n").encode("ascii")
            while data:
                data = data[os.write(self._fd, data):]
            self.written += 1
        except Exception as exc:
            self.lost += 1
            self.error = self.error or "%s: %s" % (type(exc).__name__, exc)

    @contextlib.contextmanager
    def phase(self, item, when):
        with quietly():     # user patterns were checked at configure
            subscription = pyaudit.watch(self.patterns, functools.partial(
                self._event, item.nodeid, when))
        with subscription:
            yield

    def pytest_unconfigure(self, config):
        os.close(self._fd)

    def worker_result(self):
        return [self.written, self.lost, self.error]

    def add_worker_result(self, result):
        written, lost, error = result
        self.written += written
        self.lost += lost
        self.error = self.error or error

    def pytest_terminal_summary(self, terminalreporter):
        write = terminalreporter.write_line
        write("pyaudit: %d audit event%s recorded to %s" % (
            self.written, "" if self.written == 1 else "s", self.path))
        if self.lost:
            write("pyaudit: %d audit event%s could not be recorded (%s)" % (
                self.lost, "" if self.lost == 1 else "s", self.error),
                red=True)
