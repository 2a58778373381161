"""``pyaudit run`` follows the Python processes the program starts, as
``strace -f`` follows children: every kind of child runs for real
(tests/programs/run_process_tree.py), and each of its events carries its
own pid and its parent's.  Children that cannot be followed (not Python,
``-S``, an environment without PYAUDIT_RUN) are seen only through their
parent's events; ``--no-follow`` reports the first process alone."""

import json
import os
import subprocess
import sys

import pytest

from pyaudit import _autostart
from support import child_env, jsonl, program, run_plain, run_pyaudit

TREE = program("run_process_tree.py")


def run_tree(tmp_path, event, kind, *options):
    """Run the tree; return its events."""
    out = tmp_path / "events.jsonl"
    done = run_pyaudit(["-e", "+" + event, "-o", out] + list(options)
                       + [TREE, event, kind], cwd=tmp_path, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return jsonl(out.read_text())


def trace(tmp_path, event, kind, *options):
    """Run the tree; return (events, the parent's pid)."""
    events = run_tree(tmp_path, event, kind, *options)
    (pid,) = [e["pid"] for e in events
              if e["event"] == event and e["args"] == ["parent"]]
    return events, pid


def roles(events, event):
    """[(role, pid, ppid)] of the hello events."""
    return [(e["args"][0], e["pid"], e["ppid"]) for e in events
            if e["event"] == event]


def test_the_first_process_is_the_one_pyaudit_run_started(tmp_path, ename):
    events = run_tree(tmp_path, ename, "leaf")
    ((role, pid, ppid),) = roles(events, ename)
    assert (role, ppid) == ("leaf", os.getpid())
    assert {(e["pid"], e["ppid"]) for e in events} == {(pid, ppid)}


@pytest.mark.parametrize("kind", ["subprocess", "posix_spawn", "isolated"])
def test_python_children_are_followed(tmp_path, ename, kind):
    events, parent = trace(tmp_path, ename, kind)
    ((role, pid, ppid),) = [r for r in roles(events, ename)
                            if r[0] == "leaf"]
    assert pid != parent and ppid == parent
    # the child says what it runs, as every Python process does
    (run_file,) = [e for e in events if e["pid"] == pid
                   and e["event"] == "cpython.run_file"]
    assert run_file["args"] == [TREE]


def test_exec_keeps_the_pid_and_is_followed(tmp_path, ename):
    events, parent = trace(tmp_path, ename, "exec")
    assert [r[:2] for r in roles(events, ename)] == [("parent", parent),
                                                     ("leaf", parent)]
    names = [e["event"] for e in events]
    assert names.index("os.exec") < names.index("cpython.run_file", 1)


def test_exec_of_pyaudit_runs_own_process_keeps_writing_to_stderr(
        tmp_path, ename):
    # No -o: the program that replaces pyaudit run's process writes where
    # it did, through the descriptor it kept across exec.
    done = run_pyaudit(["-e", ename, TREE, ename, "exec"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [e["args"] for e in jsonl(done.stderr)] == [["parent"], ["leaf"]]


def test_children_write_to_pyaudit_runs_stderr(tmp_path, ename):
    # pyaudit run's standard error is a pipe; the child opens it through
    # /proc, even though its own stderr is the parent's.
    done = run_pyaudit(["-e", ename, TREE, ename, "subprocess"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (parent, leaf) = jsonl(done.stderr)
    assert leaf["args"] == ["leaf"] and leaf["ppid"] == parent["pid"]


def test_os_fork_children_report_their_own_pid(tmp_path, ename):
    events, parent = trace(tmp_path, ename, "os.fork")
    ((pid, ppid),) = [r[1:] for r in roles(events, ename) if r[0] == "os.fork"]
    assert pid != parent and ppid == parent


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_multiprocessing_children_are_followed(tmp_path, ename, method):
    events, parent = trace(tmp_path, ename, method)
    ((pid, ppid),) = [r[1:] for r in roles(events, ename) if r[0] == method]
    assert pid != parent and ppid == parent


def test_forkserver_children_are_followed(tmp_path, ename):
    events, parent = trace(tmp_path, ename, "forkserver")
    ((pid, server),) = [r[1:] for r in roles(events, ename)
                        if r[0] == "forkserver"]
    assert pid != parent and server != parent
    # the fork server is a Python child of the parent, followed too
    starts = [e for e in events if e["pid"] == server
              and e["event"] == "cpython.run_command"]
    assert starts and starts[0]["ppid"] == parent
    assert "forkserver" in starts[0]["args"][0]


def test_process_pool_workers_are_followed(tmp_path, ename):
    events, parent = trace(tmp_path, ename, "pool")
    workers = [r[1:] for r in roles(events, ename) if r[0] == "pool"]
    assert len(workers) == 4
    assert all(pid != parent and ppid == parent for pid, ppid in workers)
    assert 1 <= len({pid for pid, _ in workers}) <= 2


@pytest.mark.parametrize("kind", ["non-python", "no-site", "env-dropped"])
def test_unfollowable_children_show_only_in_their_parents_events(
        tmp_path, ename, kind):
    events, parent = trace(tmp_path, ename, kind)
    assert {e["pid"] for e in events} == {parent}
    (popen,) = [e for e in events if e["event"] == "subprocess.Popen"]
    if kind == "non-python":
        assert popen["args"][1] == ["/bin/sh", "-c", "exit 0"]
    else:
        assert popen["args"][1][0] == sys.executable


@pytest.mark.parametrize("kind", ["subprocess", "os.fork", "fork"])
def test_no_follow_reports_the_first_process_only(tmp_path, ename, kind):
    events, parent = trace(tmp_path, ename, kind, "--no-follow")
    assert {e["pid"] for e in events} == {parent}
    assert [r[0] for r in roles(events, ename)] == ["parent"]


def test_per_process_files(tmp_path, ename):
    out = tmp_path / "trace"
    done = run_pyaudit(["-e", ename, "-o", out, "--per-process", TREE, ename,
                        "subprocess"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert not out.exists()
    files = sorted(tmp_path.glob("trace.*"))
    assert len(files) == 2
    seen = {}
    for path in files:
        events = jsonl(path.read_text())
        pid = int(path.name.split(".")[1])
        assert {e["pid"] for e in events} == {pid}
        seen[pid] = [e["args"][0] for e in events]
    assert sorted(seen.values()) == [["leaf"], ["parent"]]


def test_per_process_files_of_forked_children(tmp_path, ename):
    out = tmp_path / "trace"
    done = run_pyaudit(["-e", ename + ",open", "-o", out, "--per-process",
                        TREE, ename, "os.fork"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    files = {int(path.name.split(".")[1]): jsonl(path.read_text())
             for path in tmp_path.glob("trace.*")}
    assert len(files) == 2
    roles = sorted(event["args"][0] for events in files.values()
                   for event in events if event["event"] == ename)
    assert roles == ["os.fork", "parent"]
    # the child's file was opened by pyaudit, which reports no such open
    assert not [event for events in files.values() for event in events
                if event["event"] == "open"
                and str(event["args"][0]).startswith(str(out))]


def test_per_process_refuses_files_of_an_earlier_run(tmp_path, ename):
    (tmp_path / "trace.123").write_text("old\n")
    done = run_pyaudit(["-o", tmp_path / "trace", "--per-process", "-c",
                        "pass"], cwd=tmp_path)
    assert done.returncode == 2
    assert "trace.123 exists" in done.stderr
    assert (tmp_path / "trace.123").read_text() == "old\n"


def test_the_start_up_file_is_installed_with_pyaudit():
    site_packages = run_plain(["-c", (
        "import json, site; print(json.dumps(site.getsitepackages()))")],
        cwd=".").stdout
    found = _autostart.installed_in(json.loads(site_packages))
    assert found, "pyaudit-autostart.pth is not in site-packages"
    with open(os.path.join(found[0], _autostart.PTH_NAME)) as pth:
        assert pth.read() == _autostart.PTH_LINE + "\n"


def test_without_pyaudit_variables_python_imports_nothing_of_pyaudit(
        tmp_path):
    done = run_plain(["-c", "import sys; print(sorted(m for m in sys.modules"
                            " if m.startswith('pyaudit')))"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "[]\n"


def test_a_child_that_cannot_reach_the_output_says_so(tmp_path, ename):
    from pyaudit._trace import config
    value = config.encode(config.Config(
        [ename], stderr_path="/proc/1/fd/999999", stderr_id="0:0",
        top_pid=1))
    done = run_plain(["-c", "import sys; sys.audit(%r)" % ename],
                     cwd=tmp_path, env={"PYAUDIT_RUN": value})
    assert done.returncode == 0
    (line,) = done.stderr.splitlines()
    assert line.startswith("pyaudit run: process ")
    assert " is not traced: " in line


@pytest.mark.parametrize("follow", [True, False])
def test_pyaudit_run_says_when_children_cannot_be_followed(tmp_path, follow):
    # python -S has no site module, so no start-up file is run
    options = [] if follow else ["--no-follow"]
    done = subprocess.run(
        [sys.executable, "-S", "-m", "pyaudit", "run", "-o", os.devnull]
        + options + ["-c", "pass"], cwd=str(tmp_path), env=child_env(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=60)
    assert done.returncode == 0
    if follow:
        assert done.stderr == (
            "python -m pyaudit run: warning: child processes cannot be "
            "followed: this Python runs without the site module; "
            "--no-follow silences this\n")
    else:
        assert done.stderr == ""
