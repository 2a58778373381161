"""The command line as a whole: ``pyaudit`` (the console script,
``pyaudit.cli:main``) and ``python -m pyaudit``."""

import platform
import re
import subprocess
import sys

import pytest

import pyaudit
from support import ROOT, child_env, run_python


def run_module(*args, backend=None):
    done = subprocess.run(
        [sys.executable, "-m", "pyaudit"] + list(args),
        env=child_env(backend), cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_pyproject_declares_the_console_script():
    with open(ROOT + "/pyproject.toml", encoding="utf-8") as f:
        assert re.search(r'^\[project\.scripts\]\npyaudit = "pyaudit\.cli:main"$',
                         f.read(), re.M)


@pytest.mark.parametrize("backend", ["native", "python"])
def test_version_names_the_version_and_the_backend(backend):
    expected = "pyaudit %s (%s), %s backend, CPython %s\n" % (
        pyaudit.__version__, pyaudit._version.DISTRIBUTION, backend,
        sys.version.split()[0])
    assert run_module("--version", backend=backend) == (0, expected, "")
    rc, out, err = run_python(
        "import sys; from pyaudit.cli import main; sys.exit(main())",
        args=["--version"], backend=backend)
    assert (rc, out, err) == (0, expected, "")


def test_no_command_is_a_usage_error():
    rc, out, err = run_module()
    assert (rc, out) == (2, "")
    assert err == ("python -m pyaudit: error: give a command: run, events, "
                   "bench, config (see --help)\n")
