"""``pyaudit run``'s options: ``-e`` (repeatable, ``+PATTERNS`` adds to the
default set), ``--format`` and its default, ``--max-arg-len``, warnings
about patterns naming no event, and ``pyaudit events --defaults``."""

import json
import os
import subprocess
import sys

import pytest

import pyaudit
from pyaudit._trace.defaults import DEFAULT_EVENTS
from support import child_env, jsonl, run_on_tty, run_pyaudit

RAISE = """\
import os, sys
prefix = sys.argv[1]
for name in ("a", "b", "c"):
    sys.audit(prefix + "." + name, name)
open(os.devnull).close()
os.close(os.open(os.devnull, os.O_WRONLY))
"""


def event_lines(text):
    """``text`` without the warning about our own event names."""
    return [line for line in text.splitlines() if ": warning: " not in line]


def reported(tmp_path, ename, *options):
    out = tmp_path / "events.jsonl"
    done = run_pyaudit(list(options) + ["-o", out, "-c", RAISE, ename],
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    return [(e["event"], e["args"][:2]) for e in jsonl(out.read_text())]


def test_repeated_e_options_add_up(tmp_path, ename):
    events = reported(tmp_path, ename, "-e", ename + ".a", "--events",
                      ename + ".b", "-e" + ename + ".c")
    assert events == [(ename + ".a", ["a"]), (ename + ".b", ["b"]),
                      (ename + ".c", ["c"])]


def test_exclusions_apply_to_the_whole_selection(tmp_path, ename):
    events = reported(tmp_path, ename, "-e", ename + ".*",
                      "--events=!" + ename + ".b")
    assert [name for name, _ in events] == [ename + ".a", ename + ".c"]


def test_plus_adds_to_the_default_set(tmp_path, ename):
    events = reported(tmp_path, ename, "-e", "+" + ename + ".b")
    names = [name for name, _ in events]
    assert ename + ".b" in names and ename + ".a" not in names
    assert "cpython.run_command" in names               # a default
    # open came with the defaults only: writes only
    assert [args for name, args in events if name == "open"] == [
        [os.devnull, None]]


def test_plus_with_open_reports_every_open(tmp_path, ename):
    events = reported(tmp_path, ename, "-e", "+open")
    # (from 3.13 python -c also reads linecache, as python does)
    assert [args for name, args in events
            if name == "open" and args[0] == os.devnull] == [
        [os.devnull, "r"], [os.devnull, None]]


def test_plus_exclusion_removes_from_the_default_set(tmp_path, ename):
    names = [name for name, _ in reported(tmp_path, ename, "-e", "+!open")]
    assert "open" not in names and "cpython.run_command" in names


def test_patterns_naming_no_event_are_reported_once_each(tmp_path):
    done = run_pyaudit(["-e", "sokcet.connect", "-e", "+open", "-o",
                        os.devnull, "-c", "pass"], cwd=tmp_path)
    assert done.returncode == 0
    (line,) = done.stderr.splitlines()
    assert line.startswith("python -m pyaudit run: warning: pattern "
                           "'sokcet.connect' names no audit event")
    assert "socket.connect" in line


def test_text_is_the_default_on_a_terminal_and_jsonl_otherwise(tmp_path,
                                                                ename):
    code = "import sys; sys.audit(%r, 7)" % (ename + ".x")
    piped = run_pyaudit(["-e", ename + ".*", "-c", code], cwd=tmp_path)
    assert [e["args"] for e in jsonl(piped.stderr)] == [[7]]
    output = run_on_tty(["-e", ename + ".*", "-c", code], tmp_path,
                        child_env(extra={"NO_COLOR": "1"}))
    (line,) = event_lines(output.decode())
    assert not line.startswith("{")
    assert line.split()[2:5] == ["main", ename + ".x", "7"]


LONG_ARGS = """\
import sys
sys.audit(sys.argv[1], "x" * 1000, b"y" * 1000, list(range(300)), "short")
"""


@pytest.mark.parametrize("limit, first", [
    (None, "'" + "x" * 199 + "...(+802 chars)"),
    ("20", "'" + "x" * 19 + "...(+982 chars)"),
    ("0", "'" + "x" * 1000 + "'"),
])
def test_max_arg_len_cuts_each_argument_on_its_own(tmp_path, ename, limit,
                                                   first):
    options = [] if limit is None else ["--max-arg-len", limit]
    done = run_pyaudit(options + ["--format", "text", "-e", ename, "-c",
                                  LONG_ARGS, ename], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    (line,) = event_lines(done.stderr)
    shown = line.split(ename, 1)[1].strip().rsplit("  @ ", 1)[0]
    assert shown.startswith(first + ", b'y")
    assert shown.endswith(", 'short'")        # every argument is shown
    if limit == "0":
        assert "...(" not in shown and str(list(range(300))) in shown
    else:
        assert "...(1000 bytes)" in shown


def pyaudit_events(args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "pyaudit", "events"] + args, cwd=str(cwd),
        env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=60)


def test_events_defaults_lists_the_default_events(tmp_path):
    done = pyaudit_events(["--defaults", "--json"], tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    names = [entry["name"] for entry in json.loads(done.stdout)]
    selection = pyaudit.Filter(DEFAULT_EVENTS)
    assert names and all(selection.matches(name) for name in names)
    assert {"open", "subprocess.Popen", "socket.connect",
            "cpython.run_file"} <= set(names)
    assert "import" not in names


def test_events_defaults_refuses_patterns_too(tmp_path):
    done = pyaudit_events(["--defaults", "open"], tmp_path)
    assert done.returncode == 2
    assert "PATTERNS or --defaults" in done.stderr
