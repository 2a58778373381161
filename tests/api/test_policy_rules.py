"""What each action of a policy does, and what a Policy object lists (both
backends; every policy here is unsealed and closed by its ``with``)."""

import logging
import os
import sys
import tempfile

import pytest

import pyaudit


def policy_text(ename, rules, head=""):
    """A policy whose own events are ``ename.*``."""
    return 'own_events = "%s.*"\n%s\n%s' % (ename, head, rules)


@pytest.fixture
def log(ename):
    """Records logged to a logger of this test's own (its name)."""
    records = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    logger = logging.getLogger(ename)
    handler = Keep()
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield records
    logger.removeHandler(handler)


# -- deny ---------------------------------------------------------------------

def test_a_deny_rule_refuses_what_its_conditions_select(api, tmp_path):
    inside, outside = tmp_path / "inside", tmp_path / "outside"
    inside.mkdir()
    outside.mkdir()
    text = ('[[rule]]\naction = "deny"\nevents = "open, os.remove"\n'
            'where = { writing = true, paths_outside = ["%s"] }\n' % inside)
    with api.load_policy(text):
        (inside / "ok.txt").write_text("fine")
        with pytest.raises(pyaudit.Denied) as caught:
            open(str(outside / "no.txt"), "w")
        assert caught.value.event == "open"
        assert not (outside / "no.txt").exists()
        with open(str(inside / "ok.txt")) as file:     # reading: allowed
            assert file.read() == "fine"
    open(str(outside / "no.txt"), "w").close()          # closed: allowed


def test_a_deny_rule_is_a_deny_subscription(api, ename):
    with api.load_policy(policy_text(
            ename, '[[rule]]\naction = "deny"\nevents = "%s.x"\n'
            % ename)) as policy:
        with pytest.raises(pyaudit.Denied):
            sys.audit(ename + ".x")
        assert policy.rules[0].subscription.kind == "deny"


# -- log and warn -------------------------------------------------------------

def test_a_log_rule_logs_each_event_with_its_caller(api, ename, log):
    text = policy_text(ename, """
[[rule]]
name = "watch x"
action = "log"
events = "%s.x"
""" % ename, '[output]\nlogger = "%s"\n' % ename)
    with api.load_policy(text):
        sys.audit(ename + ".x", "arg", 2); line = sys._getframe().f_lineno  # noqa: E702,E501
    [record] = log
    assert record.levelno == logging.INFO
    assert record.getMessage() == (
        '<text> rule 1 ("watch x"): audit event %s.x (\'arg\', 2) at %s:%d '
        "in %s" % (ename, __file__, line, record.funcName))
    assert (record.pathname, record.lineno) == (__file__, line)
    assert record.funcName == \
        "test_a_log_rule_logs_each_event_with_its_caller"
    assert (record.audit_event, record.audit_args, record.audit_rule,
            record.audit_action, record.audit_policy) == (
        ename + ".x", ("arg", 2), 'rule 1 ("watch x")', "log", "<text>")
    assert record.audit_stack == [(__file__, line, record.funcName)]


def deeper(ename, depth):
    if depth:
        return deeper(ename, depth - 1)
    sys.audit(ename + ".x")


def test_stack_gives_that_many_callers_innermost_first(api, ename, log):
    text = policy_text(ename, '[[rule]]\naction = "log"\nevents = "%s.x"\n'
                       'stack = 3\n' % ename,
                       '[output]\nlogger = "%s"\n' % ename)
    with api.load_policy(text):
        deeper(ename, 5)
    [record] = log
    assert [frame[2] for frame in record.audit_stack] == ["deeper"] * 3
    assert record.getMessage().count(" <- ") == 2


def test_stack_zero_logs_no_caller(api, ename, log):
    text = policy_text(ename, '[[rule]]\naction = "log"\nevents = "%s.x"\n'
                       % ename, '[output]\nlogger = "%s"\nstack = 0\n'
                       % ename)
    with api.load_policy(text):
        sys.audit(ename + ".x")
    [record] = log
    assert record.getMessage() == "<text> rule 1: audit event %s.x ()" % (
        ename,)
    assert record.audit_stack == []


def test_a_warn_rule_logs_what_would_be_denied_and_lets_it_through(
        api, ename, log):
    text = policy_text(ename, '[[rule]]\naction = "warn"\nevents = "%s.x"\n'
                       % ename, '[output]\nlogger = "%s"\n' % ename)
    with api.load_policy(text):
        sys.audit(ename + ".x", 1)      # not refused
    [record] = log
    assert record.levelno == logging.WARNING
    assert record.getMessage().startswith(
        "<text> rule 1: would deny audit event %s.x (1,) at " % ename)
    assert record.audit_action == "warn"


def test_levels_come_from_output_or_the_rule(api, ename, log):
    text = policy_text(ename, """
[[rule]]
action = "log"
events = "%s.a"
[[rule]]
action = "warn"
events = "%s.b"
[[rule]]
action = "log"
events = "%s.c"
level = 15
""" % (ename, ename, ename), '[output]\nlogger = "%s"\nlog_level = "DEBUG"\n'
        'warn_level = "ERROR"\n' % ename)
    with api.load_policy(text):
        for suffix in "abc":
            sys.audit("%s.%s" % (ename, suffix))
    assert [r.levelno for r in log] == [10, 40, 15]


def test_a_rule_logger_overrides_the_output_logger(api, ename, log):
    text = policy_text(ename, '[[rule]]\naction = "log"\nevents = "%s.x"\n'
                       'logger = "%s"\n' % (ename, ename))
    with api.load_policy(text):
        sys.audit(ename + ".x")
    assert [r.name for r in log] == [ename]


def test_a_disabled_level_costs_no_record(api, ename, log):
    logging.getLogger(ename).setLevel(logging.ERROR)
    text = policy_text(ename, '[[rule]]\naction = "log"\nevents = "%s.x"\n'
                       % ename, '[output]\nlogger = "%s"\n' % ename)
    with api.load_policy(text):
        sys.audit(ename + ".x")
    assert log == []


def test_a_failing_handler_never_fails_the_audited_operation(api, ename):
    class Broken(logging.Handler):
        def handle(self, record):
            raise RuntimeError("broken handler")

    logger = logging.getLogger(ename)
    logger.addHandler(Broken())
    text = policy_text(ename, '[[rule]]\naction = "log"\nevents = "%s.x"\n'
                       % ename, '[output]\nlogger = "%s"\n' % ename)
    with api.load_policy(text):
        sys.audit(ename + ".x")     # does not raise


# -- record and count ---------------------------------------------------------

def test_record_and_count_rules_are_read_from_the_policy(api, ename):
    text = policy_text(ename, """
[[rule]]
name = "kept"
action = "record"
events = "%s.*"
capacity = 2
stack = 2
[[rule]]
name = "counted"
action = "count"
events = "%s.*"
""" % (ename, ename))
    with api.load_policy(text) as policy:
        for suffix in "aab":
            sys.audit("%s.%s" % (ename, suffix))
        recorder = policy.rule("kept").subscription
        events = recorder.drain()
        assert [e.name for e in events] == [ename + ".a"] * 2
        assert recorder.dropped == 1 and recorder.capacity == 2
        assert len(events[0].stack) == 2
        assert policy.rule("counted").subscription.counts() == {
            ename + ".a": 2, ename + ".b": 1}
        with pytest.raises(KeyError, match="has no rule named 'other'"):
            policy.rule("other")


# -- the Policy object --------------------------------------------------------

def test_the_policy_lists_its_rules_as_checked(api, ename, tmp_path):
    path = tmp_path / "p.toml"
    path.write_text(policy_text(ename, """
[[rule]]
action = "deny"
events = "open, os.remove"
where = { paths_outside = ["${CWD}/"], writing = true }

[[rule]]
name = "programs"
action = "log"
events = ["subprocess.Popen", "os.exec"]
""", 'name = "guard"\n[output]\nstack = 2\n'))
    with api.load_policy(path, variables={"CWD": "/srv/app"}) as policy:
        assert (policy.name, policy.source, policy.sealed) == (
            "guard", str(path), False)
        deny, log = policy.rules
        assert (deny.index, deny.name, deny.action, deny.line) == (
            1, None, "deny", 7)
        assert deny.patterns == ("open", "os.remove")
        assert deny.where == ('{paths_outside = ["/srv/app"], '
                              'writing = true}')
        assert deny.options == {"interpreters": "own"}
        assert (log.index, log.name, log.label, log.line) == (
            2, "programs", 'rule 2 ("programs")', 12)
        assert log.options == {"logger": "pyaudit.policy", "level": 20,
                               "stack": 2}
        assert repr(policy) == "<pyaudit.Policy 'guard': 2 rules>"
        assert repr(log) == ("<pyaudit.PolicyRule rule 2 (\"programs\"): "
                             "log 'subprocess.Popen,os.exec'>")
        assert policy.variables == {}     # CWD was given, not read
        assert isinstance(policy, pyaudit.Policy)
        assert isinstance(deny, pyaudit.PolicyRule)
    assert repr(policy) == "<pyaudit.Policy 'guard': 2 rules closed>"


def test_builtin_variables_are_read_when_used(api, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYAUDIT_TEST_DIR", "/opt/data")
    text = ('[[rule]]\naction = "deny"\nevents = "open"\nwhere = { '
            'paths_outside = ["${CWD}", "${TMPDIR}", "${HOME}/.cache", '
            '"${env:PYAUDIT_TEST_DIR}", "/a$$b"] }\n')
    with api.load_policy(text) as policy:
        home = os.path.expanduser("~")
        assert policy.rules[0].where == (
            '{paths_outside = ["%s", "%s", "%s/.cache", "/opt/data", '
            '"/a$b"]}' % (os.getcwd(), tempfile.gettempdir(), home))
        assert policy.variables == {"CWD": os.getcwd(),
                                    "TMPDIR": tempfile.gettempdir(),
                                    "HOME": home}


def test_variables_given_may_add_names(api):
    text = ('[[rule]]\naction = "deny"\nevents = "open"\nwhere = { '
            'paths_outside = ["${APP}/data"] }\n')
    with api.load_policy(text, variables={"APP": "/srv/app"}) as policy:
        assert policy.rules[0].where == '{paths_outside = ["/srv/app/data"]}'


def test_a_policy_can_watch_every_interpreter_on_the_native_backend(ename):
    text = policy_text(ename, '[[rule]]\naction = "count"\nevents = "%s.x"\n'
                       'interpreters = "all"\n' % ename)
    with pyaudit._api_for("native").load_policy(text) as policy:
        assert policy.rules[0].subscription.counts() == {}
        [info] = [i for i in pyaudit._api_for("native").subscriptions()
                  if i.patterns == (ename + ".x",)]
        assert info.interpreters == "all"


def test_the_shape_the_issue_asks_for_loads_as_written(api):
    text = """
[[rule]]
action = "deny"
events = "open, os.remove, os.rename, shutil.*"
where = { writing = true, paths_outside = ["/srv/app", "/tmp"] }

[[rule]]
action = "log"
events = ["subprocess.*", "os.exec", "os.posix_spawn", "socket.connect"]
"""
    with api.load_policy(text) as policy:
        deny, log = policy.rules
        assert (deny.action, deny.patterns, deny.where) == (
            "deny", ("open", "os.remove", "os.rename", "shutil.*"),
            '{paths_outside = ["/srv/app", "/tmp"], writing = true}')
        assert [s.kind for s in (deny.subscription, log.subscription)] == [
            "deny", "watch"]
        assert log.patterns == ("subprocess.*", "os.exec", "os.posix_spawn",
                                "socket.connect")
