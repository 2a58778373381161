"""``pyaudit run --policy FILE`` and ``--deny PATTERNS``: the policy is in
force, sealed, in the program and every Python process it starts (followed
or not); denied events are reported, marked, and counted in --summary's
denied column; a bad policy stops pyaudit run before the program runs."""

import json
import os

import pytest

from support import jsonl, program, run_pyaudit

CHILDREN = program("policy_children.py")


@pytest.fixture
def policy(deny_policy):
    return deny_policy


def test_the_program_and_its_followed_children_are_under_the_policy(
        tmp_path, ename, policy):
    out = tmp_path / "events.jsonl"
    done = run_pyaudit(["--policy", policy, "-o", out, CHILDREN, ename + ".x",
                        "self", "subprocess", "spawn"], cwd=tmp_path,
                       timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "self": "denied", "subprocess": "denied", "spawn": "denied"}
    denied = [e for e in jsonl(out.read_text()) if e["event"] == ename + ".x"]
    assert [e["denied"] for e in denied] == [True] * 3
    assert len({e["pid"] for e in denied}) == 3


def test_children_not_followed_are_under_the_policy_too(tmp_path, ename,
                                                        policy):
    out = tmp_path / "events.jsonl"
    done = run_pyaudit(["--policy", policy, "--no-follow", "-o", out,
                        CHILDREN, ename + ".x", "self", "subprocess"],
                       cwd=tmp_path)
    assert json.loads(done.stdout) == {"self": "denied",
                                       "subprocess": "denied"}
    # Only pyaudit run's own process reports.
    assert len({e["pid"] for e in jsonl(out.read_text())}) == 1


def test_deny_is_the_quick_case(tmp_path):
    done = run_pyaudit(["--deny", "subprocess.Popen, os.posix_spawn", "-c",
                        "import subprocess\ntry:\n"
                        "    subprocess.run(['true'])\n"
                        "except PermissionError as exc:\n"
                        "    print(type(exc).__name__, exc.event)\n"],
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "Denied subprocess.Popen\n"


def test_a_denied_event_is_reported_once_and_marked(tmp_path, ename, policy):
    # ename.x is denied: reported although -e does not select it, once.
    # ename.y is selected and not denied.
    for events in ([ename + ".y"], [ename + ".*"]):
        out = tmp_path / "events.jsonl"
        done = run_pyaudit(
            ["--policy", policy, "-e", ",".join(events), "-o", out, "-c",
             "import sys\nsys.audit(%r)\ntry:\n    sys.audit(%r)\n"
             "except PermissionError:\n    pass\n" % (ename + ".y",
                                                      ename + ".x")],
            cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert [(e["event"], e.get("denied")) for e in jsonl(
            out.read_text()) if e["event"].startswith(ename)] == [
            (ename + ".y", None), (ename + ".x", True)]


def test_an_event_two_rules_deny_is_reported_once_each_time(tmp_path,
                                                            ename):
    policy = tmp_path / "two.toml"
    policy.write_text('own_events = "%s.*"\n[[rule]]\naction = "deny"\n'
                      'events = "%s.*"\n[[rule]]\naction = "deny"\n'
                      'events = "%s.x"\n' % (ename, ename, ename))
    out = tmp_path / "events.jsonl"
    done = run_pyaudit(["--policy", policy, "-e", ename + ".x", "-o", out,
                        CHILDREN, ename + ".x", "self", "self"],
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [(e["event"], e.get("denied")) for e in jsonl(out.read_text())
            if e["event"].startswith(ename)] == [(ename + ".x", True)] * 2


def test_text_lines_end_with_DENIED(tmp_path, ename, policy):
    out = tmp_path / "events.txt"
    run_pyaudit(["--policy", policy, "--format", "text", "-e", ename + ".*",
                 "-o", out, "-c", "import sys\ntry:\n    sys.audit(%r)\n"
                 "except PermissionError:\n    pass\n" % (ename + ".x")],
                cwd=tmp_path)
    [line] = [line for line in out.read_text().splitlines()
              if ename in line]
    assert line.endswith("  DENIED")


def test_summary_counts_denials_in_the_denied_column(tmp_path, ename,
                                                     policy):
    done = run_pyaudit(["--policy", policy, "--summary", CHILDREN,
                        ename + ".x", "self", "self", "subprocess"],
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [line.split() for line in done.stderr.splitlines()]
    # events, processes, denied, event
    assert [ename + ".x"] in rows                   # among the top callers
    assert ["3", "2", "3", ename + ".x"] in rows
    [total] = [row for row in rows if row[-1:] == ["total"]]
    assert total[2] == "3"


def test_policies_are_passed_on_in_PYAUDIT_POLICY(tmp_path, policy):
    done = run_pyaudit(["--policy", policy.name, "--deny", "socket.*", "-c",
                        "import os; print(os.environ['PYAUDIT_POLICY'])"],
                       cwd=tmp_path,
                       env={"PYAUDIT_POLICY": "deny=ctypes.dlopen"})
    assert done.stdout == "deny=ctypes.dlopen:%s:deny=socket.*\n" % policy


def test_a_policy_never_refuses_pyaudit_runs_own_output(tmp_path, ename):
    # Writes are allowed only under work/, the output goes elsewhere: the
    # outputs are open before the policy is in force, in every process.
    work = tmp_path / "work"
    work.mkdir()
    guard = tmp_path / "guard.toml"
    guard.write_text('[[rule]]\naction = "deny"\nevents = "open"\n'
                     'where = { writing = true, paths_outside = ["%s"] }\n'
                     % work)
    out = tmp_path / "events.jsonl"
    done = run_pyaudit(["--policy", guard, "-e", ename + ".*", "-o", out,
                        CHILDREN, ename + ".x", "subprocess"], cwd=work)
    assert done.returncode == 0, done.stderr
    assert [e["event"] for e in jsonl(out.read_text())] == [ename + ".x"]


# -- bad policies -------------------------------------------------------------

def test_a_bad_policy_is_one_line_per_problem_before_anything_runs(
        tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[rule]]\naction = "deny"\nevents = "sokcet.*"\n'
                   'colour = "red"\n')
    done = run_pyaudit(["--policy", bad, "-c", "print('ran')"],
                       cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "python -m pyaudit run: error: %s:3: rule 1, events: 'sokcet.*' "
        "names no audit event of CPython 3.8-3.15; did you mean 'socket.*' "
        "or 'resource.*'? (list events your own code raises in own_events)"
        % bad,
        "python -m pyaudit run: error: %s:4: rule 1, colour: unknown key "
        "'colour'; allowed: action, events, where, name, interpreters, "
        "logger, level, stack, capacity" % bad]


@pytest.mark.parametrize("args, message", [
    (["--deny", "sokcet.connect"], "deny=sokcet.connect: rule 1, events: "
     "'sokcet.connect' names no audit event of CPython 3.8-3.15; did you "
     "mean 'socket.connect' or 'sqlite3.connect' or 'smtplib.connect'? "
     "(list events your own code raises in own_events)"),
    (["--policy", "missing.toml"], "%s: cannot read the policy: No such "
     "file or directory"),
])
def test_bad_policy_options_stop_pyaudit_run(tmp_path, args, message):
    done = run_pyaudit(args + ["-c", "print('ran')"], cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    if "%s" in message:
        message %= os.path.join(str(tmp_path), "missing.toml")
    assert done.stderr == "python -m pyaudit run: error: %s\n" % message


def test_a_path_separator_cannot_be_passed_on(tmp_path):
    done = run_pyaudit(["--deny", "a:b", "-c", "pass"], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (
        "python -m pyaudit run: error: --deny 'a:b': a ':' cannot be passed "
        "on to child processes (PYAUDIT_POLICY separates its entries with "
        "it) (see --help)\n")
