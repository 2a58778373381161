"""C hosts built with only the flags `python -m pyaudit config` prints:
the audited launcher of examples/embed and a host that finalizes and
re-initializes Python (tests/embed/host_lifecycle.c)."""

import os
import subprocess
import sys

import pytest

import pyaudit

from support import ROOT, TESTS, compile_host, host_env, host_flags

LAUNCHER = os.path.join(ROOT, "examples", "embed", "launcher.c")
LIFECYCLE = os.path.join(TESTS, "embed", "host_lifecycle.c")


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    directory = tmp_path_factory.mktemp("hosts")
    return lambda source: compile_host(source, directory)


def run(command, **kwargs):
    return subprocess.run(command, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          env=host_env(), timeout=60, **kwargs)


def test_config_prints_include_and_library():
    flags = host_flags()
    assert "-I" + pyaudit.get_include() in flags
    assert os.path.isfile(os.path.join(pyaudit.get_include(), "pyaudit.h"))
    assert any(flag.startswith("-l:_pyaudit") for flag in flags)
    assert any(flag.startswith("-lpython") for flag in flags)


def test_config_without_a_choice_is_an_error():
    done = run([sys.executable, "-m", "pyaudit", "config"])
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "--cflags" in done.stderr


def test_launcher_sees_startup_run_command_and_finalization(build):
    launcher = build(LAUNCHER)
    done = run([launcher, "import,cpython.*",
                "-c", "import sys; print('argv', sys.argv[1:]); sys.exit(3)",
                "one", "two"])
    assert done.returncode == 3
    assert "argv ['one', 'two']" in done.stdout
    lines = done.stderr.splitlines()
    assert any(line.startswith("audit: import ('site',") for line in lines)
    assert any(line.startswith("audit: cpython.run_command (\"import sys")
               for line in lines)
    assert lines[-1] == "audit: cpython._PySys_ClearAuditHooks ()"
    assert all(line.startswith("audit: ") for line in lines)


def test_launcher_shares_one_table_with_import_pyaudit(build):
    launcher = build(LAUNCHER)
    done = run([launcher, "launcher_test.*", "-c",
                "import sys, pyaudit\n"
                "print([(s.kind, s.patterns)\n"
                "       for s in pyaudit.subscriptions()])\n"
                "with pyaudit.count('launcher_test.*') as c:\n"
                "    sys.audit('launcher_test.ping', 1)\n"
                "print(c.counts())"])
    assert done.returncode == 0, done.stderr
    assert "[('sink', ('launcher_test.*',))]" in done.stdout
    assert "{'launcher_test.ping': 1}" in done.stdout
    assert "audit: launcher_test.ping (1,)" in done.stderr


@pytest.mark.parametrize("arguments, message", [
    ([], "usage:"),
    (["os*", "-c", "pass"], "'os*' uses '*' in an unsupported place"),
    (["", "-c", "pass"], "empty pattern"),
])
def test_launcher_bad_input(build, arguments, message):
    launcher = build(LAUNCHER)
    done = run([launcher] + arguments)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_host_survives_finalize_and_reinitialize(build):
    host = build(LIFECYCLE)
    done = run([host])
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.splitlines()
    for expected in [
        "null patterns: -1 patterns is NULL",
        "null sink: -1 sink is NULL",
        "bad pattern: -1 pattern 'os*' uses '*' in an unsupported place",
        "empty item: -1 empty pattern in 'open,,x'",
        "unknown id: -1 no live C subscription has id 12345",
    ]:
        assert any(line.startswith(expected) for line in out), expected
    for cycle in (1, 2):
        assert "cycle %d startup imports seen: yes" % cycle in out
        assert "cycle %d host events seen by C: 3" % cycle in out
        assert "cycle %d clear-hooks seen: yes" % cycle in out
    assert out.count("python sees subscriptions: ['sink', 'sink']") == 2
    assert out.count("python count: {'host.ping': 1}") == 2
    assert out.count("refused: host refuses host.refused") == 2
    assert "unsubscribe: 0" in out
    assert any(line.startswith("unsubscribe twice: -1 no live C "
                               "subscription") for line in out)
