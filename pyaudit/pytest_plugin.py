"""pytest plugin: the ``audit`` fixture, the ``audit_deny`` and
``audit_allow`` markers, and the ``--audit-deny`` and ``--audit-record``
options (docs/pytest-plugin.md).

Installing pyaudit registers this module through the ``pytest11`` entry
point (named ``pyaudit``, see ``pyaudit._pytest_entry``), so it is loaded
in every pytest session.  Audit hooks can never be removed, so it stays
inert until used: nothing is subscribed, and so pyaudit's hook is not
installed, unless a test requests the fixture, a test carries a marker, or
``--audit-deny``/``audit_deny``, ``--audit-policy`` or ``--audit-record``
is set.  Without the
entry point (a checkout), load it with ``-p pyaudit.pytest_plugin``
(harmless when it is installed too); disable it with ``-p no:pyaudit``.

* ``audit`` fixture: ``audit.watch``, ``audit.record``, ``audit.count`` and
  ``audit.deny`` return the usual pyaudit objects, closed when the test ends.
* ``@pytest.mark.audit_deny(*patterns)``: matching events are denied while
  the test function runs (the call phase; its fixtures are not covered), and
  the test fails if any was attempted, even when the code under test caught
  the ``pyaudit.Denied`` (a ``PermissionError``, so an ``OSError``).
* ``--audit-deny=PATTERNS`` (repeatable; added to the ``audit_deny`` ini
  lines): the same for every test, covering its setup, call and teardown; the
  terminal summary lists what was denied (pyaudit._pytest_deny).
* ``@pytest.mark.audit_allow(*patterns)``: what is denied for that test
  leaves out the events matching these patterns.
* ``--audit-policy=FILE``: a pyaudit policy in force for the whole session;
  a test phase that attempted an event one of its deny rules denies fails,
  as with ``--audit-deny``.
* ``--audit-record=FILE`` (with ``--audit-record-events=PATTERNS``): every
  matching event of every test phase as a JSON line (pyaudit._pytest_record).
"""

import os
import warnings

import pytest

import pyaudit
from pyaudit._api import DEFAULT_CAPACITY
from pyaudit._pytest_deny import DenyPlugin
from pyaudit._pytest_record import RecordPlugin
from pyaudit._pytest_patterns import (ALLOW_MARKER, DENY_MARKER, quietly,
                                      split, unknown_events)


# -- the ``audit`` fixture --------------------------------------------------

class Audit:
    """pyaudit's subscribing functions; every subscription made through
    them is closed when the test ends (see ``pyaudit.watch`` and friends)."""

    def __init__(self):
        self._subscriptions = []

    def _keep(self, subscribe, *args):
        with quietly():
            subscription = subscribe(*args)
        self._subscriptions.append(subscription)
        for warning in unknown_events(subscription.patterns):
            warnings.warn(warning, stacklevel=3)    # the test's line
        return subscription

    def watch(self, patterns, callback):
        """``pyaudit.watch``: call ``callback(name, args)`` per event."""
        return self._keep(pyaudit.watch, patterns, callback)

    def record(self, patterns, capacity=DEFAULT_CAPACITY):
        """``pyaudit.record``: a ``Recorder`` to ``drain()``."""
        return self._keep(pyaudit.record, patterns, capacity)

    def count(self, patterns):
        """``pyaudit.count``: a ``Counter`` with ``counts()``."""
        return self._keep(pyaudit.count, patterns)

    def deny(self, patterns):
        """``pyaudit.deny``: matching events raise ``pyaudit.Denied``."""
        return self._keep(pyaudit.deny, patterns)

    def close(self):
        """Close every subscription made through this object, newest first."""
        while self._subscriptions:
            self._subscriptions.pop().close()


@pytest.fixture
def audit():
    """pyaudit for one test: ``audit.watch/record/count/deny(patterns, ...)``
    return the usual pyaudit objects and are closed when the test ends."""
    fixture = Audit()
    try:
        yield fixture
    finally:
        fixture.close()


# -- configuration ----------------------------------------------------------

def pytest_addoption(parser):
    group = parser.getgroup("pyaudit", "pyaudit audit events")
    group.addoption(
        "--audit-deny", action="append", default=[], metavar="PATTERNS",
        help="deny audit events matching PATTERNS (comma-separated pyaudit "
             "patterns, e.g. 'socket.*,subprocess.*') in every test's setup, "
             "call and teardown; a test that attempts one fails.  "
             "Repeatable; added to the audit_deny ini lines.")
    parser.addini(
        "audit_deny", type="linelist", default=[],
        help="pyaudit patterns to deny in every test, as --audit-deny.")
    group.addoption(
        "--audit-policy", metavar="FILE",
        help="put the pyaudit policy in FILE in force for the whole session "
             "(collection included); a test that attempts an event one of "
             "its deny rules denies fails (docs/policies.md).")
    group.addoption(
        "--audit-record", metavar="FILE",
        help="write each matching audit event raised during a test's setup, "
             "call or teardown to FILE as a JSON line naming the test and "
             "the phase (FILE is replaced; pytest-xdist workers append to "
             "it).")
    group.addoption(
        "--audit-record-events", action="append", metavar="PATTERNS",
        help="the events --audit-record writes (pyaudit patterns; "
             "repeatable; default: the security-relevant set of 'pyaudit "
             "run', pyaudit.cli.run.DEFAULT_EVENTS).")


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "%s(*patterns): deny audit events matching the pyaudit patterns "
        "while the test function runs; the test fails if one was attempted, "
        "even if the code caught the pyaudit.Denied." % DENY_MARKER)
    config.addinivalue_line(
        "markers",
        "%s(*patterns): do not deny, in this test, the audit events "
        "matching the pyaudit patterns that --audit-deny, the audit_deny ini "
        "option or an audit_deny marker would deny." % ALLOW_MARKER)
    patterns, labels = (), []
    for values, source in ((config.getini("audit_deny"), "audit_deny (ini)"),
                           (config.getoption("audit_deny"), "--audit-deny")):
        try:
            items = split(values, source)
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(str(exc)) from None
        for warning in unknown_events(items):
            config.issue_config_time_warning(pyaudit.UnknownEventWarning(
                "%s: %s" % (source, warning)), stacklevel=2)
        if items:
            patterns += items
            labels.append("%s=%s" % (source.split()[0], ",".join(items)))
    policy, policy_source = _load_policy(config)
    config.pluginmanager.register(
        DenyPlugin(config, patterns, " and ".join(labels), policy,
                   policy_source), "pyaudit-deny")
    _configure_recording(config)


def _is_xdist_controller(config):
    """Whether this process hands the tests to pytest-xdist workers (and
    runs none itself)."""
    option = config.option
    return not hasattr(config, "workerinput") and (
        getattr(option, "dist", "no") != "no"
        or bool(getattr(option, "numprocesses", None)))


def _load_policy(config):
    """(--audit-policy's policy, in force until pytest_unconfigure, or
    None; its file).  A pytest-xdist controller only checks it: its
    workers put it in force, and it would refuse the controller's own
    work (starting them) if it denies programs."""
    path = config.getoption("audit_policy")
    if path is None:
        return None, None
    path = os.path.abspath(path)
    try:
        if _is_xdist_controller(config):
            from pyaudit._policy import check
            check.load(path)
            return None, path
        policy = pyaudit.load_policy(path)
    except pyaudit.PolicyError as exc:
        raise pytest.UsageError("--audit-policy: %s" % (exc,)) from None
    config.add_cleanup(policy.close)
    return policy, path


def _configure_recording(config):
    path = config.getoption("audit_record")
    events = config.getoption("audit_record_events")
    if path is None:
        if events is not None:
            raise pytest.UsageError("--audit-record-events: give the file to "
                                    "record to with --audit-record FILE")
        return
    patterns = None     # the default set
    if events is not None:
        try:
            patterns = split(events, "--audit-record-events")
        except (TypeError, ValueError) as exc:
            raise pytest.UsageError(str(exc)) from None
        for warning in unknown_events(patterns):
            config.issue_config_time_warning(pyaudit.UnknownEventWarning(
                "--audit-record-events: %s" % (warning,)), stacklevel=2)
    config.pluginmanager.register(RecordPlugin(config, path, patterns),
                                  "pyaudit-record")
