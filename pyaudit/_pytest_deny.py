"""The pytest plugin's denial: ``@pytest.mark.audit_deny`` and
``--audit-deny``/``audit_deny`` deny events during a test's phases (less
what ``@pytest.mark.audit_allow`` allows), ``--audit-policy`` denies what
its policy's deny rules deny for the whole session; a phase that attempted
one fails (even when the code caught the ``pyaudit.Denied``), and the
terminal summary lists what was denied, with pytest-xdist too: each
worker hands its list to the controller in ``workeroutput``.
"""

import contextlib
import linecache
import os
import sys

import _pytest
import pluggy
import pytest

import pyaudit
from pyaudit._pytest_phases import PhasePlugin
from pyaudit._pytest_patterns import (ALLOW_MARKER, DENY_MARKER,
                                      marker_label, marker_patterns, quietly,
                                      short)

MAX_DETAILED = 20       # attempts kept with a stack, per test phase
MAX_SHOWN = 5           # attempts described in a failure message
MAX_FRAMES = 6          # frames shown per attempt
PHASES = ("setup", "call", "teardown")

# Frames in these packages are not the code under test.
_SKIPPED_DIRS = tuple(os.path.dirname(module.__file__) + os.sep
                      for module in (pyaudit, pytest, _pytest, pluggy))
_PLUGGY_DIR = _SKIPPED_DIRS[-1]


def _frames():
    """The caller's stack as (filename, lineno, function), innermost first:
    pyaudit's, pytest's and pluggy's own frames left out, and nothing beyond
    the first pluggy frame (what called the test or fixture)."""
    frames = []
    frame = sys._getframe()
    while frame is not None:
        code = frame.f_code
        filename = code.co_filename
        if filename.startswith(_PLUGGY_DIR):
            break
        if not filename.startswith(_SKIPPED_DIRS):
            frames.append((filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    return frames


class _Attempt:
    """One denied event: its name, a short repr of its args and its stack."""

    __slots__ = ("name", "args", "frames")

    def __init__(self, name, args):
        self.name = name
        try:
            self.args = short.repr(args)
        except Exception as exc:
            self.args = "(<repr failed: %s>)" % type(exc).__name__
        try:
            self.frames = _frames()
        except Exception:
            self.frames = []

    def key(self):
        return (self.name, tuple(self.frames))

    def describe(self, rootdir, times):
        """Lines naming the event and where it was raised, outermost frame
        first (the test or fixture, then the code it called)."""
        lines = ["%s %s%s" % (self.name, self.args,
                              "" if times == 1 else "  (x%d)" % times)]
        frames = self.frames[::-1]
        if len(frames) > MAX_FRAMES:
            frames = frames[:2] + [None] + frames[-(MAX_FRAMES - 2):]
        for frame in frames:
            if frame is None:
                lines.append("  ...")
                continue
            filename, lineno, function = frame
            lines.append("  %s:%d in %s" % (_shorten(filename, rootdir),
                                            lineno, function))
            source = linecache.getline(filename, lineno).strip()
            if source:
                lines.append("      " + source)
        if not self.frames:
            lines.append("  (no Python frame outside pyaudit and pytest)")
        return lines


def _shorten(filename, rootdir):
    if rootdir and filename.startswith(rootdir + os.sep):
        return filename[len(rootdir) + 1:]
    return filename


class _PhaseDenial:
    """Denies ``patterns`` (with ``where`` conditions) during one phase of
    one test and keeps what was attempted: exact counts (``pyaudit.count``,
    which sees every attempt) and, for the first few, a stack
    (``pyaudit.watch``, which runs before the ``pyaudit.deny`` that refuses
    the event).  With ``deny=False`` something else refuses them (a
    policy's deny rule, for the whole session): only the attempts are
    kept."""

    def __init__(self, patterns, label, where=None, deny=True):
        self.patterns = patterns
        self.label = label          # what denied them, for the message
        self.attempts = []
        self.counts = {}
        self._subscriptions = []
        try:
            with quietly():    # checked once, at configure or setup
                self._counter = self._subscribe(pyaudit.count(
                    patterns, where=where))
                self._subscribe(pyaudit.watch(patterns, self._attempted,
                                              where=where))
                if deny:
                    self._subscribe(pyaudit.deny(patterns))
        except BaseException:
            self.close()
            raise

    def _subscribe(self, subscription):
        self._subscriptions.append(subscription)
        return subscription

    def _attempted(self, name, args):
        if len(self.attempts) < MAX_DETAILED:
            self.attempts.append(_Attempt(name, args))

    def close(self):
        for subscription in self._subscriptions:
            subscription.close()
        if self._subscriptions:
            self.counts = self._counter.counts()

    @property
    def total(self):
        return sum(self.counts.values())

    def describe(self, when, rootdir):
        """The failure message: what was denied, by what, and where."""
        counts = sorted(self.counts.items())
        lines = ["pyaudit: audit events denied during %s by %s: %s" % (
            when, self.label,
            ", ".join("%s x%d" % count for count in counts))]
        groups = {}     # same event from the same place: shown once
        for attempt in self.attempts:
            groups.setdefault(attempt.key(), [attempt, 0])[1] += 1
        shown = list(groups.values())[:MAX_SHOWN]
        for attempt, times in shown:
            lines.extend(attempt.describe(rootdir, times))
        hidden = self.total - sum(times for _, times in shown)
        if hidden:
            lines.append("(%d more not shown)" % hidden)
        return "\n".join(lines)


class DenyPlugin(PhasePlugin):
    """The hooks behind the markers and the option (registered always; they
    subscribe only for a marked test or when the option is set)."""

    WORKER_OUTPUT = "pyaudit_denied"

    def __init__(self, config, patterns, label, policy=None,
                 policy_source=None):
        self.patterns = patterns            # from the option and ini
        self.label = label                  # where they were given
        self.policy = policy                # --audit-policy's, or None
        self.policy_source = policy_source  # its file (an xdist controller
        #                                     has the file, not the policy)
        self.rootdir = str(getattr(config, "rootpath", None) or
                           config.rootdir)
        self.denied = []                    # (nodeid, when, {event: n})
        self._from_workers = False          # denied came from xdist workers
        self._guards = {}                   # (nodeid, when) -> [_PhaseDenial]
        self._marked = {}                   # nodeid -> {marker: patterns}

    @contextlib.contextmanager
    def phase(self, item, when):
        """Deny during one phase what the option, the ini lines and the
        markers deny; the markers are read at setup, and a bad one errors
        the test before its fixtures run."""
        if when == "setup":
            try:
                self._marked[item.nodeid] = {
                    marker: marker_patterns(item, marker, check=True)
                    for marker in (DENY_MARKER, ALLOW_MARKER)}
                error = None
            except (TypeError, ValueError) as exc:
                error = str(exc)
            if error is not None:
                pytest.fail(error, pytrace=False)
        try:
            with self._guarding(item, when):
                yield
        finally:
            if when == "teardown":
                self._marked.pop(item.nodeid, None)

    def _policy_guards(self):
        """One watcher per deny rule of --audit-policy's policy."""
        guards = []
        rules = self.policy.rules if self.policy is not None else ()
        try:
            for rule in rules:
                if rule.action == "deny":
                    guards.append(_PhaseDenial(
                        rule.patterns, "--audit-policy=%s %s" % (
                            self.policy.source, rule.label),
                        where=rule.conditions, deny=False))
        except BaseException:
            for guard in guards:
                guard.close()
            raise
        return guards

    @contextlib.contextmanager
    def _guarding(self, item, when):
        marked = self._marked.get(item.nodeid, {})  # none if they were bad
        denied, sources = self.patterns, []
        if denied:
            sources.append(self.label)
        if when == "call" and marked.get(DENY_MARKER):
            denied += marked[DENY_MARKER]
            sources.append(marker_label(DENY_MARKER, marked[DENY_MARKER]))
        guards = self._policy_guards()
        if denied:
            label = " and ".join(sources)
            allowed = marked.get(ALLOW_MARKER)
            if allowed:     # exclusions win over every other pattern
                denied += tuple("!" + pattern for pattern in allowed)
                label += " except " + marker_label(ALLOW_MARKER, allowed)
            try:
                guards.append(_PhaseDenial(denied, label))
            except BaseException:
                for guard in guards:
                    guard.close()
                raise
        try:
            yield
        finally:
            for guard in guards:
                guard.close()
            attempted = [guard for guard in guards if guard.total]
            if attempted:
                self._guards[item.nodeid, when] = attempted

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item, call):
        """Fail a phase that attempted a denied event, however it ended."""
        outcome = yield
        guards = self._guards.pop((item.nodeid, call.when), None)
        if guards is None:
            return
        counts = {}
        for guard in guards:
            for name, n in guard.counts.items():
                counts[name] = counts.get(name, 0) + n
        self.denied.append((item.nodeid, call.when, counts))
        report = outcome.get_result()
        message = "\n".join(guard.describe(
            "the test" if call.when == "call" else call.when, self.rootdir)
            for guard in guards)
        if report.failed or hasattr(report, "wasxfail"):
            report.sections.append(("pyaudit: denied audit events", message))
        else:   # passed, or skipped after catching the Denied
            report.outcome = "failed"
            report.longrepr = message

    def pytest_report_header(self, config):
        lines = []
        if self.patterns:
            lines.append("pyaudit: denying %s in every test" % ",".join(
                self.patterns))
        if self.policy is not None:
            lines.append("pyaudit: policy %s (%d rules) in force for the "
                         "session" % (self.policy.source,
                                      len(self.policy.rules)))
        elif self.policy_source is not None:
            lines.append("pyaudit: policy %s in force in every worker"
                         % self.policy_source)
        return lines or None

    def worker_result(self):
        return [list(entry) for entry in self.denied]

    def add_worker_result(self, result):
        for nodeid, when, counts in result:
            self.denied.append((nodeid, when, dict(counts)))
            self._from_workers = True

    def pytest_terminal_summary(self, terminalreporter):
        if not self.denied:
            return
        denied = self.denied
        if self._from_workers:      # workers finish in any order
            denied = sorted(denied, key=lambda entry: (
                entry[0], PHASES.index(entry[1])))
        write = terminalreporter.write_line
        terminalreporter.write_sep("=", "pyaudit: denied audit events")
        write("%6s  %-28s %s" % ("count", "event", "test"))
        for nodeid, when, counts in denied:
            where = nodeid if when == "call" else "%s (%s)" % (nodeid, when)
            for name, n in sorted(counts.items()):
                write("%6d  %-28s %s" % (n, name, where))
