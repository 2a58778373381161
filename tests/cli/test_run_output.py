"""``pyaudit run`` writes through a private file descriptor of its own: what
the program does to descriptor 2 (closing it, pytest's capture) or to
other descriptors never sends event lines into the program's files, and
lines from any number of processes into one file stay whole."""

import json
import os
import resource

import pytest

from support import jsonl, program, run_pyaudit

SOFT = 1024     # the limits on open files the tests give pyaudit run
HARD = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
needs_headroom = pytest.mark.skipif(
    HARD != resource.RLIM_INFINITY and HARD < SOFT + 8,
    reason="the hard limit on open files (%d) leaves no room above %d"
           % (HARD, SOFT))


def limits(soft, hard):
    """A preexec_fn giving the child these limits on open files."""
    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def own_data_only(path):
    lines = path.read_text().splitlines()
    assert lines and all(line == "own data" for line in lines), lines


@needs_headroom
@pytest.mark.parametrize("mode", ["close-stderr", "closerange"])
def test_events_reach_stderr_whatever_the_program_does_to_descriptors(
        tmp_path, ename, mode):
    mine = tmp_path / "mine.txt"
    done = run_pyaudit(["-e", ename, program("run_hostile_fds.py"), ename,
                        mode, mine], cwd=tmp_path,
                       preexec_fn=limits(SOFT, HARD))
    assert done.returncode == 0, done.stderr
    assert [e["args"] for e in jsonl(done.stderr)] == [["before"],
                                                      ["after"]]
    own_data_only(mine)


def test_closing_up_to_the_hard_limit_is_noticed(tmp_path, ename):
    # With no room above the soft limit, closing "everything" closes
    # pyaudit's descriptor too: the lines are lost, and said to be.
    mine = tmp_path / "mine.txt"
    done = run_pyaudit(["-e", ename, program("run_hostile_fds.py"), ename,
                        "closerange", mine], cwd=tmp_path,
                       preexec_fn=limits(SOFT, SOFT))
    assert done.returncode == 0, done.stderr
    assert [e["args"] for e in jsonl(done.stderr)] == [["before"]]
    assert done.stderr.splitlines()[-1] == (
        "pyaudit run: 1 event lines were not written (the program closed or "
        "replaced pyaudit's output descriptor %d)" % (SOFT - 1))
    own_data_only(mine)


@pytest.mark.parametrize("mode", ["close-stderr", "closerange", "take-all"])
def test_events_reach_the_output_file_whatever_the_program_does(
        tmp_path, ename, mode):
    mine, out = tmp_path / "mine.txt", tmp_path / "events.jsonl"
    done = run_pyaudit(["-e", ename, "-o", out, program("run_hostile_fds.py"),
                        ename, mode, mine], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # after take-all, the output was opened again by its path
    assert [e["args"] for e in jsonl(out.read_text())] == [["before"],
                                                          ["after"]]
    own_data_only(mine)


@pytest.mark.parametrize("soft, hard, fd", [
    (SOFT, SOFT, SOFT - 1),            # the program reuses pyaudit's number
    pytest.param(SOFT, HARD, SOFT + 7, marks=needs_headroom),   # it cannot
])
def test_a_taken_descriptor_is_noticed_and_never_written_to(
        tmp_path, ename, soft, hard, fd):
    mine = tmp_path / "mine.txt"
    done = run_pyaudit(["-e", ename, program("run_hostile_fds.py"), ename,
                        "take-all", mine], cwd=tmp_path,
                       preexec_fn=limits(soft, hard))
    assert done.returncode == 0, done.stderr
    own_data_only(mine)         # the numbers pyaudit had are the program's
    assert [e["args"] for e in jsonl(done.stderr)] == [["before"]]
    assert done.stderr.splitlines()[-1] == (
        "pyaudit run: 1 event lines were not written (the program closed or "
        "replaced pyaudit's output descriptor %d)" % fd)


def test_pytest_capture_does_not_swallow_events(tmp_path):
    suite = os.path.join(os.path.dirname(program("x")), "capture_suite")
    done = run_pyaudit(["-e", "pyaudit_capture_suite.*", "-m", "pytest", "-q",
                        "-p", "no:cacheprovider", suite], cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [e["args"] for e in jsonl(done.stderr)] == [[0], [1], [2]]


DESCRIPTORS = """\
import json, os
numbers = [int(fd) for fd in os.listdir("/proc/self/fd")]
print(json.dumps([(fd, os.get_inheritable(fd)) for fd in numbers
                  if fd > 2 and os.path.exists("/proc/self/fd/%d" % fd)]))
"""


@needs_headroom
def test_private_descriptors_lie_above_the_soft_limit(tmp_path):
    done = run_pyaudit(["-o", tmp_path / "out", "--no-follow", "-c",
                        DESCRIPTORS], cwd=tmp_path,
                       preexec_fn=limits(SOFT, HARD))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[SOFT + 7, False]]
    # with --summary, pyaudit's standard error too (for the table)
    done = run_pyaudit(["-o", tmp_path / "out", "--no-follow", "--summary",
                        "-c", DESCRIPTORS], cwd=tmp_path,
                       preexec_fn=limits(SOFT, HARD))
    assert done.returncode == 0, done.stderr
    # the -o file, pyaudit's standard error and the summary's records
    assert sorted(json.loads(done.stdout.splitlines()[0])) == [
        [SOFT + 5, False], [SOFT + 6, False], [SOFT + 7, False]]


def test_without_headroom_private_descriptors_lie_below_the_soft_limit(
        tmp_path):
    done = run_pyaudit(["-o", tmp_path / "out", "--no-follow", "-c",
                        DESCRIPTORS], cwd=tmp_path,
                       preexec_fn=limits(SOFT, SOFT))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [[SOFT - 1, False]]


MANY_WRITERS = """\
import subprocess, sys
event = sys.argv[1]
if sys.argv[2] == "parent":
    children = [subprocess.Popen([sys.executable, "-c", sys.argv[3], event,
                                  "child", sys.argv[3]]) for _ in range(6)]
    for child in children:
        assert child.wait() == 0
else:
    for i in range(300):
        sys.audit(event, i, "x" * (i * 7 % 3000))
"""


def test_lines_from_many_processes_stay_whole(tmp_path, ename):
    out = tmp_path / "events.jsonl"
    done = run_pyaudit(["-e", ename, "-o", out, "-c", MANY_WRITERS, ename,
                        "parent", MANY_WRITERS], cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    events = [json.loads(line) for line in lines]   # every line whole
    assert len(events) == 6 * 300
    by_pid = {}
    for event in events:
        by_pid.setdefault(event["pid"], []).append(event["args"][0])
    assert len(by_pid) == 6
    assert all(numbers == list(range(300)) for numbers in by_pid.values())
