"""``python -m pyaudit run``: the target runs as ``python`` would run it
(argv, ``__main__``, ``sys.path[0]``, exit status, tracebacks), and its
audit events are written as they happen, in jsonl or text.

The command runs in a child process (``sys.executable -m pyaudit run``);
where python's own behaviour is the reference, the same target is also
run with plain ``python`` and the two are compared.  The value helpers of
``pyaudit.cli.run`` are tested in process at the end.
"""

import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import textwrap

import pytest

from support import ROOT, child_env
from pyaudit.cli import run as _run

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

TEXT_LINE = re.compile(r"\d\d:\d\d:\d\d\.\d{6} (main|T\d+) +(\S+)(?: +(.*))?$")


def run_cli(args, cwd, backend=None, env=None, timeout=60):
    """``python -m pyaudit run ARGS`` -> CompletedProcess (text output)."""
    return subprocess.run(
        [sys.executable, "-m", "pyaudit", "run"] + [str(a) for a in args],
        cwd=str(cwd), env=child_env(backend, env), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout)


def run_plain(args, cwd, timeout=60):
    """``python ARGS``, for comparison."""
    return subprocess.run(
        [sys.executable] + [str(a) for a in args], cwd=str(cwd),
        env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=timeout)


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


def jsonl(text):
    """Every line of ``text`` that is a JSON object (so warnings and the
    target's own output are skipped), parsed."""
    return [json.loads(line) for line in text.splitlines()
            if line.startswith("{")]


def own_lines(stderr):
    """stderr without pattern warnings (``-e`` names of our own events
    are unknown to the events catalog, which says so on one line)."""
    return [line for line in stderr.splitlines() if ": warning: " not in line]


# -- the target runs as python runs it -------------------------------------

def test_script_sees_what_python_gives_it(tmp_path):
    write(tmp_path / "sub" / "probe.py", PROBE)
    args = ["sub/probe.py", "a", "-e", "x", "--format", "text", "-m", "b"]
    ours = run_cli(args, cwd=tmp_path)
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
    ours = run_cli(["links/probe.py"], cwd=tmp_path)
    assert json.loads(ours.stdout) == json.loads(
        run_plain(["links/probe.py"], cwd=tmp_path).stdout)
    assert json.loads(ours.stdout)["path0"] == os.path.realpath(
        str(tmp_path / "real"))


def test_directory_with_main_runs_as_python_runs_it(tmp_path):
    write(tmp_path / "app" / "__main__.py", PROBE)
    ours = run_cli([str(tmp_path / "app"), "x"], cwd=tmp_path)
    plain = run_plain([str(tmp_path / "app"), "x"], cwd=tmp_path)
    assert ours.returncode == 0, ours.stderr
    assert json.loads(ours.stdout) == json.loads(plain.stdout)


@pytest.mark.parametrize("module", ["probe_mod", "probe_pkg"])
def test_module_sees_what_python_gives_it(tmp_path, module):
    write(tmp_path / "probe_mod.py", PROBE)
    write(tmp_path / "probe_pkg" / "__init__.py", "")
    write(tmp_path / "probe_pkg" / "__main__.py", PROBE)
    ours = run_cli(["-m", module, "-c", "-e", "y"], cwd=tmp_path)
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
    ours = run_cli(["-c", PROBE, "a", "-o", "b"], cwd=tmp_path)
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
    ours = run_cli(["-c", code], cwd=tmp_path)
    plain = run_plain(["-c", code], cwd=tmp_path)
    assert plain.returncode == status
    assert (ours.returncode, ours.stderr) == (plain.returncode, plain.stderr)


def test_uncaught_exception_in_script_prints_pythons_traceback(tmp_path):
    script = write(tmp_path / "crash.py", """\
        def inner():
            raise KeyError("missing")

        inner()
        """)
    ours = run_cli([str(script)], cwd=tmp_path)
    plain = run_plain([str(script)], cwd=tmp_path)
    assert ours.returncode == plain.returncode == 1
    assert ours.stderr == plain.stderr
    assert ours.stderr.startswith("Traceback (most recent call last):\n")
    assert "pyaudit" not in ours.stderr and "runpy" not in ours.stderr


def without_runpy_frames(traceback_text):
    """``traceback_text`` without the frames of runpy (``python -m``
    shows its own runpy frames; ``pyaudit run -m`` shows none)."""
    kept, skipping = [], False
    for line in traceback_text.splitlines(True):
        if line.startswith('  File "'):
            skipping = "runpy" in line
        elif not line.startswith("    "):
            skipping = False
        if not skipping:
            kept.append(line)
    return "".join(kept)


def test_exception_from_a_module_prints_pythons_traceback(tmp_path):
    write(tmp_path / "crash_mod.py", "import json\njson.loads('{')\n")
    ours = run_cli(["-m", "crash_mod"], cwd=tmp_path)
    plain = run_plain(["-m", "crash_mod"], cwd=tmp_path)
    assert ours.returncode == plain.returncode == 1
    assert "runpy" in plain.stderr and "runpy" not in ours.stderr
    assert ours.stderr == without_runpy_frames(plain.stderr)
    assert ours.stderr.splitlines()[1].endswith("crash_mod.py\", line 2, "
                                                "in <module>")


def test_target_excepthook_is_used(tmp_path):
    code = ("import sys\n"
            "sys.excepthook = lambda t, v, tb: print('hooked', t.__name__)\n"
            "raise OSError('x')")
    ours = run_cli(["-c", code], cwd=tmp_path)
    assert ours.returncode == 1
    assert ours.stdout == "hooked OSError\n"


def test_keyboard_interrupt_exits_130(tmp_path):
    ours = run_cli(["-c", "raise KeyboardInterrupt"], cwd=tmp_path)
    assert ours.returncode == 130
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
    done = run_cli(["-o", out, "net.py"], cwd=tmp_path, backend=backend)
    assert done.returncode == 0, done.stderr
    port = int(done.stdout)
    lines = out.read_text().splitlines()
    events = [json.loads(line) for line in lines]     # every line is JSON
    assert all(set(e) == {"event", "args", "time_ns", "thread"}
               for e in events)
    assert all(isinstance(e["time_ns"], int) and isinstance(e["thread"], int)
               for e in events)
    times = [e["time_ns"] for e in events]
    assert times == sorted(times)
    connects = [e for e in events if e["event"] == "socket.connect"]
    assert [c["args"][1] for c in connects] == [["127.0.0.1", port]]
    assert connects[0]["args"][0].startswith("<socket.socket")
    popens = [e for e in events if e["event"] == "subprocess.Popen"]
    assert [p["args"][1] for p in popens] == [[sys.executable, "-c", "pass"]]
    assert "socket.bind" in [e["event"] for e in events]


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
    assert raw_bytes.startswith("b'\\xff\\xff") and raw_bytes.endswith("...")
    assert len(raw_bytes) == _run.REPR_LIMIT
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
    assert [(m.group(1), m.group(2), m.group(3)) for m in parsed] == [
        ("main", ename + ".first", "1, 'two', b'3'"),
        ("T1", ename + ".thread", None),
        ("main", ename + ".bad", "<BadRepr object (repr failed: ValueError)>"),
    ]


def run_on_tty(args, cwd, env):
    """Run the command with stderr on a pseudo-terminal; return what it
    wrote there."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pyaudit", "run"] + args, cwd=str(cwd),
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=slave)
        os.close(slave)
        slave = None
        output = b""
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:                 # EIO: the child side closed
                break
            if not chunk:
                break
            output += chunk
        assert proc.wait(timeout=60) == 0
        return output
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)


@pytest.mark.parametrize("no_color", [None, "1"])
def test_text_is_coloured_only_on_a_terminal_without_no_color(
        tmp_path, ename, no_color):
    env = child_env()
    env.pop("NO_COLOR", None)
    if no_color is not None:
        env["NO_COLOR"] = no_color
    output = run_on_tty(["--format", "text", "-e", ename + ".*", "-c",
                         "import sys; sys.audit(%r, 7)" % (ename + ".x")],
                        tmp_path, env)
    assert (ename + ".x").encode() in output
    assert (b"\x1b[" in output) == (no_color is None)


def test_jsonl_is_never_coloured(tmp_path, ename):
    env = child_env()
    env.pop("NO_COLOR", None)
    output = run_on_tty(["-e", ename + ".*", "-c",
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
def test_module_not_found_is_one_line_and_pythons_status(tmp_path, module):
    ours = run_cli(["-m", module], cwd=tmp_path)
    plain = run_plain(["-m", module], cwd=tmp_path)
    assert ours.returncode == plain.returncode == 1
    assert ours.stderr.splitlines() == [
        "python -m pyaudit run: " + plain.stderr.split(": ", 1)[1].rstrip()]


# -- the value helpers, in process --------------------------------------------

class FailingRepr:
    def __repr__(self):
        raise RuntimeError("nope")


class NotAStr:
    def __repr__(self):
        return 42


class FancyStr(str):
    def __str__(self):
        raise RuntimeError("nope")


@pytest.mark.parametrize("value, expected", [
    (None, None), (True, True), (0, 0), (-7, -7), (2 ** 80, 2 ** 80),
    (1.25, 1.25), (float("nan"), "nan"), (float("inf"), "inf"),
    ("text", "text"), ("\udcff", "\udcff"), (FancyStr("fancy"), "fancy"),
    ((), []), ((1, ("a", None)), [1, ["a", None]]),
    (b"\x00", "b'\\x00'"), ({"a": 1}, "{'a': 1}"), ({1}, "{1}"),
    (FailingRepr(), "<FailingRepr object (repr failed: RuntimeError)>"),
    (NotAStr(), "<NotAStr object (repr failed: TypeError)>"),
])
def test_json_safe(value, expected):
    result = _run.json_safe(value)
    assert result == expected
    assert type(result) is type(expected)
    json.dumps(result, allow_nan=False)


def test_json_safe_limits_depth_and_length():
    nested = []
    for _ in range(10):
        nested = [nested]
    flat = _run.json_safe(nested)
    for _ in range(_run.MAX_DEPTH):
        (flat,) = flat
    assert isinstance(flat, str) and flat.startswith("[[")
    assert _run.json_safe(list(range(101))) == list(range(100)) + [
        "... 1 more"]
    assert _run.json_safe(list(range(100))) == list(range(100))


def test_text_line_is_one_line_whatever_the_name_and_args():
    text = _run.TextFormat(colour=False)
    line = text("odd\nname", ("multi\nline", FailingRepr()), 0, -1)
    assert line.count("\n") == 1 and line.endswith("\n")
    assert "'odd\\nname'" in line and "'multi\\nline'" in line
    assert " T1 " in line
    coloured = _run.TextFormat(colour=True)("x.y", (), 0, -1)
    assert coloured.startswith("\x1b[2m")
    assert "\x1b[1;36mx.y\x1b[0m" in coloured


def test_short_repr_truncates():
    text = _run.short_repr("x" * 1000)
    assert len(text) == _run.REPR_LIMIT and text.endswith("...")
    text = _run.short_repr(b"\xff" * 10 ** 6, limit=20)
    assert len(text) == 20 and text.startswith("b'\\xff\\xff")
    assert text.endswith("...")
    assert _run.short_repr("short") == "'short'"


@pytest.mark.parametrize("args, writes", [
    (("f", "r", os.O_RDONLY), False),
    (("f", "rb", os.O_RDONLY | os.O_CLOEXEC), False),
    (("f", "w", os.O_WRONLY | os.O_CREAT | os.O_TRUNC), True),
    (("f", "a", 0), True),
    (("f", "x", 0), True),
    (("f", "r+", os.O_RDWR), True),
    (("f", None, os.O_RDONLY), False),
    (("f", None, os.O_WRONLY), True),
    (("f", None, os.O_RDONLY | os.O_CREAT), True),
    (("f", None, os.O_RDONLY | os.O_TRUNC), True),
    (("f",), False),
    ((), False),
    (("f", object(), "not flags"), False),
])
def test_opens_for_writing(args, writes):
    assert _run.opens_for_writing(args) is writes


def test_default_events_are_valid_patterns():
    import pyaudit
    assert pyaudit.Filter(_run.DEFAULT_EVENTS).patterns == _run.DEFAULT_EVENTS
    assert "import" not in _run.DEFAULT_EVENTS
    assert "open" in _run.DEFAULT_EVENTS
