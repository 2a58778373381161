"""``python -m pyaudit run``: the target runs as ``python`` would run it
(argv, ``__main__``, ``sys.path[0]``, exit status, tracebacks), and its
audit events are written as they happen, in jsonl or text.

The command runs in a child process (``sys.executable -m pyaudit run``);
where python's own behaviour is the reference, the same target is also
run with plain ``python`` and the two are compared.  Output of events
goes to a file (``-o``) where a test compares standard error with
python's.  Other files in this directory cover the output descriptor
(test_run_output), what ``__main__`` and the start-up events look like
(test_run_as_python), the process tree (test_run_follow), options
(test_run_options) and --summary (test_run_summary).
"""

import json
import os
import re
import signal
import sys
import textwrap

import pytest

from support import ROOT, child_env, jsonl, run_on_tty, run_plain, run_pyaudit
from pyaudit._trace import values

# Prints what python gave the code it runs as __main__.
PROBE = """\
import json, sys
print(json.dumps({
    "argv": sys.argv,
    "path0": sys.path[0],
    "name": __name__,
    "main_is_this_module": sys.modules["__main__"].__dict__ is globals(),
    "spec": __spec__ and __spec__.name,
}))
"""

TEXT_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{6} (\d+) (main|T\d+) +(\S+)"
                       r"(?: +([^ @].*?))?(?: +@ (.*))?$")


def run_cli(args, cwd, backend=None, env=None, timeout=60):
    """``python -m pyaudit run ARGS``, events to standard error."""
    return run_pyaudit(args, cwd, backend, env, timeout)


def run_quiet(args, cwd, **kwargs):
    """``python -m pyaudit run -o /dev/null ARGS``: standard error is the
    program's alone."""
    return run_pyaudit(["-o", os.devnull] + list(args), cwd, **kwargs)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def own_lines(stderr):
    """stderr without pattern warnings (``-e`` names of our own events
    are unknown to the events catalog, which says so on one line)."""
    return [line for line in stderr.splitlines() if ": warning: " not in line]


# -- the target runs as python runs it -------------------------------------

def test_script_sees_what_python_gives_it(tmp_path):
    write(tmp_path / "sub" / "probe.py", PROBE)
    args = ["sub/probe.py", "a", "-e", "x", "--format", "text", "-m", "b"]
    ours = run_quiet(args, cwd=tmp_path)
    plain = run_plain(args, cwd=tmp_path)
    assert ours.returncode == plain.returncode == 0, ours.stderr
    seen = json.loads(ours.stdout)
    assert seen == json.loads(plain.stdout)
    assert seen["argv"] == args
    assert seen["path0"] == os.path.realpath(str(tmp_path / "sub"))
    assert seen["name"] == "__main__" and seen["main_is_this_module"]


def test_script_through_a_symlink_gets_the_real_directory(tmp_path):
    write(tmp_path / "real" / "probe.py", PROBE)
    (tmp_path / "links").mkdir()
    os.symlink(str(tmp_path / "real" / "probe.py"),
               str(tmp_path / "links" / "probe.py"))
    ours = run_quiet(["links/probe.py"], cwd=tmp_path)
    assert json.loads(ours.stdout) == json.loads(
        run_plain(["links/probe.py"], cwd=tmp_path).stdout)
    assert json.loads(ours.stdout)["path0"] == os.path.realpath(
        str(tmp_path / "real"))


def test_directory_with_main_runs_as_python_runs_it(tmp_path):
    write(tmp_path / "app" / "__main__.py", PROBE)
    ours = run_quiet([str(tmp_path / "app"), "x"], cwd=tmp_path)
    plain = run_plain([str(tmp_path / "app"), "x"], cwd=tmp_path)
    assert ours.returncode == 0, ours.stderr
    assert json.loads(ours.stdout) == json.loads(plain.stdout)


@pytest.mark.parametrize("module", ["probe_mod", "probe_pkg"])
def test_module_sees_what_python_gives_it(tmp_path, module):
    write(tmp_path / "probe_mod.py", PROBE)
    write(tmp_path / "probe_pkg" / "__init__.py", "")
    write(tmp_path / "probe_pkg" / "__main__.py", PROBE)
    ours = run_quiet(["-m", module, "-c", "-e", "y"], cwd=tmp_path)
    plain = run_plain(["-m", module, "-c", "-e", "y"], cwd=tmp_path)
    assert ours.returncode == plain.returncode == 0, ours.stderr
    seen = json.loads(ours.stdout)
    assert seen == json.loads(plain.stdout)
    assert seen["argv"][1:] == ["-c", "-e", "y"]
    assert os.path.isabs(seen["argv"][0])
    assert seen["argv"][0].endswith(
        "probe_mod.py" if module == "probe_mod" else "__main__.py")
    assert seen["path0"] == str(tmp_path)
    assert seen["spec"] in ("probe_mod", "probe_pkg.__main__")


def test_code_sees_what_python_gives_it(tmp_path):
    ours = run_quiet(["-c", PROBE, "a", "-o", "b"], cwd=tmp_path)
    plain = run_plain(["-c", PROBE, "a", "-o", "b"], cwd=tmp_path)
    assert ours.returncode == plain.returncode == 0, ours.stderr
    seen = json.loads(ours.stdout)
    assert seen == json.loads(plain.stdout)
    assert seen["argv"] == ["-c", "a", "-o", "b"]
    assert seen["path0"] == ""
    assert not (tmp_path / "b").exists()      # "-o b" was the target's


@pytest.mark.parametrize("code, status", [
    ("pass", 0),
    ("raise SystemExit(3)", 3),
    ("import sys; sys.exit()", 0),
    ("raise SystemExit(None)", 0),
    ("raise SystemExit(True)", 1),
    ("import sys; sys.exit('goodbye from the target')", 1),
    ("def f():\n    raise ValueError('boom')\nf()", 1),
    ("x = (", 1),
    ("import no_such_module_for_pyaudit_tests", 1),
])
def test_exit_status_and_stderr_are_pythons(tmp_path, code, status):
    ours = run_quiet(["-c", code], cwd=tmp_path)
    plain = run_plain(["-c", code], cwd=tmp_path)
    assert plain.returncode == status
    assert (ours.returncode, ours.stderr) == (plain.returncode, plain.stderr)


def test_uncaught_exception_in_script_prints_pythons_traceback(tmp_path):
    script = write(tmp_path / "crash.py", """\
        def inner():
            raise KeyError("missing")

        inner()
        """)
    ours = run_quiet([str(script)], cwd=tmp_path)
    plain = run_plain([str(script)], cwd=tmp_path)
    assert ours.returncode == plain.returncode == 1
    assert ours.stderr == plain.stderr
    assert ours.stderr.startswith("Traceback (most recent call last):\n")
    assert "pyaudit" not in ours.stderr and "runpy" not in ours.stderr


def test_exception_from_a_module_prints_pythons_traceback(tmp_path):
    write(tmp_path / "crash_mod.py", "import json\njson.loads('{')\n")
    ours = run_quiet(["-m", "crash_mod"], cwd=tmp_path)
    plain = run_plain(["-m", "crash_mod"], cwd=tmp_path)
    assert ours.returncode == plain.returncode == 1
    # python's own runpy frames, as python shows them; none of pyaudit's
    assert ours.stderr == plain.stderr
    assert "runpy" in ours.stderr and "pyaudit" not in ours.stderr


def test_target_excepthook_is_used(tmp_path):
    code = ("import sys\n"
            "sys.excepthook = lambda t, v, tb: print('hooked', t.__name__,"
            " tb.tb_frame.f_code.co_filename)\n"
            "raise OSError('x')")
    ours = run_quiet(["-c", code], cwd=tmp_path)
    assert ours.returncode == 1
    assert ours.stdout == "hooked OSError <string>\n"


def test_keyboard_interrupt_ends_the_process_as_pythons_does(tmp_path):
    ours = run_quiet(["-c", "raise KeyboardInterrupt"], cwd=tmp_path)
    plain = run_plain(["-c", "raise KeyboardInterrupt"], cwd=tmp_path)
    assert ours.returncode == plain.returncode == -signal.SIGINT
    assert ours.stderr == plain.stderr
    assert ours.stderr.rstrip().endswith("KeyboardInterrupt")


# -- events -------------------------------------------------------------------

NETWORK_AND_PROCESS = """\
import socket, subprocess, sys
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
port = server.getsockname()[1]
client = socket.socket()
client.connect(("127.0.0.1", port))
client.close()
server.close()
subprocess.run([sys.executable, "-c", "pass"], check=True)
print(port)
"""


def test_jsonl_reports_socket_and_subprocess(tmp_path, backend):
    write(tmp_path / "net.py", NETWORK_AND_PROCESS)
    out = tmp_path / "events.jsonl"
    done = run_cli(["-o", out, "--no-follow", "net.py"], cwd=tmp_path,
                   backend=backend)
    assert done.returncode == 0, done.stderr
    port = int(done.stdout)
    lines = out.read_text().splitlines()
    events = [json.loads(line) for line in lines]     # every line is JSON
    assert all(list(e) == ["event", "args", "time_ns", "thread", "pid",
                           "ppid", "caller"] for e in events)
    assert all(isinstance(e["time_ns"], int) and isinstance(e["thread"], int)
               for e in events)
    assert {(e["pid"], e["ppid"]) for e in events} == {
        (done_pid(events), os.getpid())}
    times = [e["time_ns"] for e in events]
    assert times == sorted(times)
    connects = [e for e in events if e["event"] == "socket.connect"]
    assert [c["args"][1] for c in connects] == [["127.0.0.1", port]]
    assert connects[0]["args"][0].startswith("<socket.socket")
    caller_file, caller_line = connects[0]["caller"].split(":")
    # the script's __file__: absolute from 3.9, as given before
    assert os.path.join(str(tmp_path), caller_file) == str(tmp_path / "net.py")
    assert caller_line == "7 in <module>"
    popens = [e for e in events if e["event"] == "subprocess.Popen"]
    assert [p["args"][1] for p in popens] == [[sys.executable, "-c", "pass"]]
    assert popens[0]["caller"].endswith(" in _execute_child")
    assert "socket.bind" in [e["event"] for e in events]


def done_pid(events):
    """The pid of the process that ran the script: the one that raised
    cpython.run_file."""
    (pid,) = {e["pid"] for e in events if e["event"] == "cpython.run_file"}
    return pid


def test_jsonl_goes_to_stderr_by_default(tmp_path, ename):
    done = run_cli(["-e", ename + ".*", "-c",
                    "import sys; sys.audit(%r, 1, 'two')" % (ename + ".x")],
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [(e["event"], e["args"]) for e in jsonl(done.stderr)] == [
        (ename + ".x", [1, "two"])]


ODD_ARGS = """\
import sys

class BadRepr:
    def __repr__(self):
        raise RuntimeError("no repr for you")

deep = [1, [2, [3, [4, [5, [6]]]]]]
sys.audit(sys.argv[1] + ".odd", b"\\xff" * 1000, BadRepr(), float("nan"),
          float("-inf"), 1.5, (1, [2, "3"]), {"k": b"v"}, True, None,
          "text", deep, list(range(250)), 2 ** 70, bytearray(b"ab"))
sys.audit(sys.argv[1] + ".after", "still reporting")
"""


def test_jsonl_makes_odd_arguments_json_safe(tmp_path, ename):
    write(tmp_path / "odd.py", ODD_ARGS)
    out = tmp_path / "events.jsonl"
    done = run_cli(["-e", ename + ".*", "-o", out, "odd.py", ename],
                   cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert [e["event"] for e in events] == [ename + ".odd", ename + ".after"]
    (raw_bytes, bad, nan, inf, num, tup, dic, true, none, text, deep,
     long_list, big, barray) = events[0]["args"]
    assert raw_bytes == repr(b"\xff" * 200)[:values.REPR_LIMIT] + (
        "...(1000 bytes)")
    assert bad == "<BadRepr object (repr failed: RuntimeError)>"
    assert (nan, inf, num) == ("nan", "-inf", 1.5)
    assert tup == [1, [2, "3"]]
    assert dic == "{'k': b'v'}"
    assert (true, none, text, big) == (True, None, "text", 2 ** 70)
    # the args tuple is the first level of MAX_DEPTH (4)
    assert deep == [1, [2, [3, "[4, [5, [6]]]"]]]
    assert long_list == list(range(100)) + ["... 150 more"]
    assert barray == "bytearray(b'ab')"
    assert events[1]["args"] == ["still reporting"]


def test_text_format_lines(tmp_path, ename):
    code = textwrap.dedent("""\
        import sys, threading
        sys.audit(sys.argv[1] + ".first", 1, "two", b"3")
        t = threading.Thread(target=sys.audit, args=(sys.argv[1] + ".thread",))
        t.start(); t.join()

        class BadRepr:
            def __repr__(self):
                raise ValueError
        sys.audit(sys.argv[1] + ".bad", BadRepr())
        """)
    done = run_cli(["--format", "text", "-e", ename + ".*", "-c", code,
                    ename], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stderr           # stderr is a pipe: no colour
    lines = own_lines(done.stderr)
    parsed = [TEXT_LINE.match(line) for line in lines]
    assert all(parsed), lines
    assert len({m.group(1) for m in parsed}) == 1       # one pid
    assert [m.group(2, 3, 4) for m in parsed] == [
        ("main", ename + ".first", "1, 'two', b'3'"),
        ("T1", ename + ".thread", None),
        ("main", ename + ".bad", "<BadRepr object (repr failed: ValueError)>"),
    ]
    callers = [m.group(5) for m in parsed]
    assert callers[0] == callers[2].replace(":9 ", ":2 ") == (
        "<string>:2 in <module>")
    # sys.audit is the thread's target: its caller is threading's run()
    assert os.path.basename(callers[1]).startswith("threading.py:")
    assert callers[1].endswith(" in run")


@pytest.mark.parametrize("no_color", [None, "1"])
def test_text_is_coloured_only_on_a_terminal_without_no_color(
        tmp_path, ename, no_color):
    env = child_env()
    env.pop("NO_COLOR", None)
    if no_color is not None:
        env["NO_COLOR"] = no_color
    output = run_on_tty(["-e", ename + ".*", "-c",
                         "import sys; sys.audit(%r, 7)" % (ename + ".x")],
                        tmp_path, env)
    assert (ename + ".x").encode() in output
    assert (b"\x1b[" in output) == (no_color is None)


def test_jsonl_is_never_coloured(tmp_path, ename):
    env = child_env()
    env.pop("NO_COLOR", None)
    output = run_on_tty(["--format", "jsonl", "-e", ename + ".*", "-c",
                         "import sys; sys.audit(%r, 7)" % (ename + ".x")],
                        tmp_path, env)
    line = [l for l in output.decode().splitlines() if l.startswith("{")]
    assert json.loads(line[0])["args"] == [7]
    assert b"\x1b" not in output


KILLED_AFTER_EVENTS = """\
import os, signal, sys
for i in range(3):
    sys.audit(sys.argv[2], i)
if sys.argv[1] == "exit":
    os._exit(3)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.parametrize("how, status", [("exit", 3),
                                         ("kill", -signal.SIGKILL)])
def test_events_are_written_before_the_target_dies(tmp_path, ename, how,
                                                   status):
    write(tmp_path / "die.py", KILLED_AFTER_EVENTS)
    out = tmp_path / "events.jsonl"
    done = run_cli(["-e", ename, "-o", out, "die.py", how, ename],
                   cwd=tmp_path)
    assert done.returncode == status
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(e["event"], e["args"]) for e in events] == [
        (ename, [0]), (ename, [1]), (ename, [2])]


def test_events_on_stderr_survive_os_exit(tmp_path, ename):
    write(tmp_path / "die.py", KILLED_AFTER_EVENTS)
    done = run_cli(["-e", ename, "die.py", "exit", ename], cwd=tmp_path)
    assert done.returncode == 3
    assert [e["args"] for e in jsonl(done.stderr)] == [[0], [1], [2]]


def test_events_after_main_returns_are_reported(tmp_path, ename):
    code = ("import atexit, sys\n"
            "atexit.register(sys.audit, sys.argv[1] + '.atexit')\n"
            "sys.audit(sys.argv[1] + '.main')")
    done = run_cli(["-e", ename + ".*", "-c", code, ename], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [e["event"] for e in jsonl(done.stderr)] == [
        ename + ".main", ename + ".atexit"]


def test_setup_events_are_not_reported(tmp_path):
    out = tmp_path / "events.jsonl"
    done = run_cli(["-e", "open", "-o", out, "-c", "pass"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    package = os.path.join(ROOT, "pyaudit")
    opened = [str(e["args"][0]) for e in jsonl(out.read_text())]
    assert not [path for path in opened
                if path.startswith(package) or path == str(out)]


# -- the default selection ----------------------------------------------------

FILES_AND_NETWORK = """\
import json, os, socket, sys
written, read = sys.argv[1], sys.argv[2]
with open(written, "w") as f:
    f.write("data")
with open(read) as f:
    f.read()
os.close(os.open(read, os.O_RDONLY))
os.close(os.open(written, os.O_WRONLY | os.O_APPEND))
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(1)
client = socket.create_connection(server.getsockname())
client.close()
server.close()
import xml.dom.minidom
os.remove(written)
"""


def test_default_events_catch_writes_not_reads_nor_imports(tmp_path):
    write(tmp_path / "target.py", FILES_AND_NETWORK)
    written, read = tmp_path / "written.txt", tmp_path / "read.txt"
    read.write_text("input")
    out = tmp_path / "events.jsonl"
    done = run_cli(["-o", out, "target.py", written, read], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    events = jsonl(out.read_text())
    names = [e["event"] for e in events]
    opens = [e["args"] for e in events if e["event"] == "open"
             and e["args"][0] in (str(written), str(read))]
    assert [(args[0], args[1]) for args in opens] == [
        (str(written), "w"), (str(written), None)]
    assert "socket.connect" in names
    assert [e["args"][0] for e in events if e["event"] == "os.remove"] == [
        str(written)]
    assert not {"import", "exec", "compile"} & set(names)


def test_explicit_open_pattern_reports_reads_too(tmp_path):
    read = tmp_path / "read.txt"
    read.write_text("input")
    out = tmp_path / "events.jsonl"
    done = run_cli(["-e", "open", "-o", out, "-c",
                    "open(%r).read()" % str(read)], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [e["args"][:2] for e in jsonl(out.read_text())
            if e["args"][0] == str(read)] == [[str(read), "r"]]


# -- bad input ----------------------------------------------------------------

MARKER_TARGET = "open('target-ran', 'w').close()"


@pytest.mark.parametrize("args, fragment", [
    (["-e", "os*", "-c", MARKER_TARGET], "os*"),
    (["-e", "", "-c", MARKER_TARGET], "empty pattern"),
    (["-e", "a,,b", "-c", MARKER_TARGET], "empty pattern"),
    ([], "give what to run"),
    (["-e", "open"], "give what to run"),
    (["-m"], "-m needs a MODULE"),
    (["-c"], "-c needs CODE"),
    (["no_such_script.py"], "can't open file 'no_such_script.py'"),
    (["--format", "xml", "-c", MARKER_TARGET], "xml"),
    (["-o", ".", "-c", MARKER_TARGET], "cannot write ."),
    (["-o", "no/such/dir/out.jsonl", "-c", MARKER_TARGET],
     "cannot write no/such/dir/out.jsonl"),
    (["-e", "+", "-c", MARKER_TARGET], "empty pattern"),
    (["-e", "+open", "-e", "socket.**", "-c", MARKER_TARGET],
     "bad -e 'socket.**'"),
    (["-e"], "-e needs a value"),
    (["--max-arg-len", "-5", "-c", MARKER_TARGET], "--max-arg-len"),
    (["--max-arg-len=many", "-c", MARKER_TARGET], "'many'"),
    (["--per-process", "-c", MARKER_TARGET], "--per-process needs -o"),
    (["--summary=yes", "-c", MARKER_TARGET], "--summary takes no value"),
    (["--colour", "-c", MARKER_TARGET], "unknown option '--colour'"),
    (["-x", "-c", MARKER_TARGET], "unknown option '-x'"),
    (["-", MARKER_TARGET], "standard input"),
])
def test_bad_input_is_one_line_and_status_2(tmp_path, args, fragment):
    done = run_cli(args, cwd=tmp_path)
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert fragment in lines[0]
    assert lines[0].startswith("python -m pyaudit run: error: ")
    assert not (tmp_path / "target-ran").exists()


def test_hook_refused_is_one_line_and_status_2(tmp_path):
    write(tmp_path / "veto" / "sitecustomize.py", """\
        import sys
        def veto(name, args):
            if name == "sys.addaudithook":
                raise RuntimeError("no more audit hooks")
        sys.addaudithook(veto)
        """)
    done = run_cli(["-c", MARKER_TARGET], cwd=tmp_path, env={
        "PYTHONPATH": os.pathsep.join([ROOT, str(tmp_path / "veto")])})
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and "refused sys.addaudithook" in lines[0], lines
    assert not (tmp_path / "target-ran").exists()


@pytest.mark.parametrize("module", ["no_such_module_for_pyaudit",
                                    "json.no_such_submodule", "email"])
def test_module_not_found_is_pythons_message_and_status(tmp_path, module):
    ours = run_quiet(["-m", module], cwd=tmp_path)
    plain = run_plain(["-m", module], cwd=tmp_path)
    assert ours.returncode == plain.returncode == 1
    assert ours.stderr == plain.stderr
    assert len(ours.stderr.splitlines()) == 1


def test_help_lists_the_options_and_the_default_events(tmp_path):
    from pyaudit._trace.defaults import DEFAULT_EVENTS
    done = run_cli(["--help"], cwd=tmp_path)
    assert done.returncode == 0 and done.stderr == ""
    for option in ("-e PATTERNS", "-o FILE", "--per-process", "--format",
                   "--max-arg-len N", "--no-follow", "--summary"):
        assert option in done.stdout
    words = set(done.stdout.replace(",", " ").split())
    assert set(DEFAULT_EVENTS) <= words
