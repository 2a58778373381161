"""``pyaudit run`` leaves the program the interpreter plain ``python`` would:
the same ``__main__`` (``__file__``, ``__loader__``, ``__builtins__`` a
module, ...), the same start-up audit events with the same arguments
(``cpython.run_file``, ``cpython.run_command``, ``cpython.run_module``,
the ``open``, ``compile`` and ``exec`` of the script), and none of the
modules pyaudit does not need, so that ``-e import`` shows the program
importing them.  Each is compared with plain python on the running
version (the suite runs on 3.8 to 3.13)."""

import json
import os
import re
import shutil

import pytest

from support import PROGRAMS, ROOT, jsonl, program, run_plain, run_pyaudit

START_EVENTS = ("cpython.run_file", "cpython.run_command",
                "cpython.run_module", "open", "compile", "exec")


def layout(tmp_path):
    """The probe as a script in a subdirectory, a module, a package with
    __main__ and a directory with __main__.py."""
    probe = program("run_main_probe.py")
    (tmp_path / "sub").mkdir()
    shutil.copy(probe, str(tmp_path / "sub" / "probe.py"))
    shutil.copy(probe, str(tmp_path / "probe_mod.py"))
    (tmp_path / "probe_pkg").mkdir()
    (tmp_path / "probe_pkg" / "__init__.py").write_text("")
    shutil.copy(probe, str(tmp_path / "probe_pkg" / "__main__.py"))
    (tmp_path / "app").mkdir()
    shutil.copy(probe, str(tmp_path / "app" / "__main__.py"))
    with open(probe) as source:
        return source.read()


TARGETS = {
    "script": lambda code: ["./sub/probe.py", "a", "-x"],
    "code": lambda code: ["-c", code, "a"],
    "module": lambda code: ["-m", "probe_mod", "a"],
    "package": lambda code: ["-m", "probe_pkg", "a"],
    "directory": lambda code: ["app", "a"],
}


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_main_module_is_pythons(tmp_path, target):
    args = TARGETS[target](layout(tmp_path))
    ours = run_pyaudit(["-o", os.devnull] + args, cwd=tmp_path)
    plain = run_plain(args, cwd=tmp_path)
    assert ours.returncode == plain.returncode == 0, ours.stderr
    seen = json.loads(ours.stdout)
    assert seen == json.loads(plain.stdout)
    assert seen["main_is_this_module"]
    described = dict(seen["globals"])
    assert described["__builtins__"] == "module builtins"
    assert described["__name__"] == "__main__"


def _code_file(text):
    """The file of a code object as either side shows it."""
    match = re.search(r'file "([^"]*)"', text) or re.match(r"<code (.*)>$",
                                                           text)
    return match.group(1)


def _comparable(event, args, target_files):
    """(event, args) reduced to what both sides show, or None when it
    does not concern the program being started."""
    if event.startswith("cpython."):
        return event, args
    if event == "exec":
        path = _code_file(args[0])
        return (event, [path]) if path in target_files else None
    if args and args[-1 if event == "compile" else 0] in target_files:
        if event == "compile":          # the source is shown differently
            return event, [args[0] is None, args[1]]
        return event, args
    return None


@pytest.mark.parametrize("target", sorted(TARGETS))
def test_start_up_events_are_pythons(tmp_path, target):
    args = TARGETS[target](layout(tmp_path))
    # (python compiles other "<string>" code while it imports runpy)
    files = {"<string>"} if target == "code" else set()
    files |= {str(tmp_path / "probe_mod.py"),
             str(tmp_path / "probe_pkg" / "__main__.py"),
             str(tmp_path / "app" / "__main__.py"),
             "./sub/probe.py", str(tmp_path / "sub" / "./probe.py"),
             str(tmp_path / "sub" / "probe.py")}
    record = tmp_path / "plain.jsonl"
    plain = run_plain(args, cwd=tmp_path, env={
        "PYTHONPATH": os.pathsep.join(
            [ROOT, os.path.join(PROGRAMS, "startup_hook")]),
        "PYAUDIT_TEST_EVENTS": ",".join(START_EVENTS),
        "PYAUDIT_TEST_RECORD": str(record)})
    out = tmp_path / "ours.jsonl"
    ours = run_pyaudit(["-e", ",".join(START_EVENTS), "-o", out] + args,
                       cwd=tmp_path)
    assert ours.returncode == plain.returncode == 0, ours.stderr

    def events(lines):
        """The start-up events: up to the program's first exec (after it,
        "<string>" code compiled by the modules it imports is the
        program's business)."""
        kept = []
        for line in lines:
            event = _comparable(line["event"], line["args"], files)
            if event is not None:
                kept.append(event)
                if event[0] == "exec":
                    break
        return kept
    expected = events(jsonl(record.read_text()))
    assert events(jsonl(out.read_text())) == expected
    assert [name for name, _ in expected if name.startswith("cpython.")] == [
        "cpython.run_command" if target == "code" else "cpython.run_file"
        if target == "script" else "cpython.run_module"]


MODULES = "import sys; print(' '.join(sorted(sys.modules)))"


def at_start_up(tmp_path):
    """The modules plain python has imported before a -c program runs
    (site's .pth files may import some: setuptools' editable-install
    finder imports typing on some versions)."""
    return set(run_plain(["-c", MODULES], cwd=tmp_path).stdout.split())


def test_the_programs_imports_are_its_own(tmp_path):
    code = "import json, argparse, subprocess, logging, typing"
    out = tmp_path / "events.jsonl"
    done = run_pyaudit(["-e", "import", "-o", out, "-c", code], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    preloaded = at_start_up(tmp_path)
    wanted = [name for name in ["json", "argparse", "subprocess", "logging",
                                "typing"] if name not in preloaded]
    assert len(wanted) >= 4, preloaded
    imported = [e["args"][0] for e in jsonl(out.read_text())]
    assert [name for name in imported if name in wanted] == wanted


def test_pyaudit_imports_only_what_its_hook_needs(tmp_path):
    (tmp_path / "modules.py").write_text(MODULES)
    # python -m pyaudit run -c is a "python -m" and runs a "python -c"
    plain = set(run_plain(["-m", "modules"], cwd=tmp_path).stdout.split())
    plain |= at_start_up(tmp_path)
    # what importing the pyaudit package imports (its core's own needs)
    library = set(run_plain(["-c", "import pyaudit; " + MODULES],
                            cwd=tmp_path).stdout.split())
    done = run_pyaudit(["-o", os.devnull, "-c", MODULES], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    ours = set(done.stdout.split())
    extra = sorted(name for name in ours - plain - library
                   if not name.startswith("pyaudit."))
    # fcntl when standard error is a regular file (the limits on open
    # files come from pyaudit's extension, not from resource)
    assert set(extra) <= {"fcntl"}, extra
    assert len([name for name in ours if name.startswith("pyaudit")]) <= 25
    assert not ({"json", "argparse", "subprocess", "typing", "logging",
                 "threading", "sysconfig"} & ours) - plain
