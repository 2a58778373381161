"""The command line as a whole: ``pyaudit`` (the script scripts/pyaudit,
which calls ``pyaudit.cli:main``) and ``python -m pyaudit``."""

import os
import platform
import re
import shutil
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


def test_setup_installs_the_pyaudit_script():
    # A script, not a console-script entry point: pip's template for those
    # imports re before pyaudit run's program starts.
    with open(ROOT + "/setup.py", encoding="utf-8") as f:
        assert 'scripts=["scripts/pyaudit"]' in f.read()
    with open(ROOT + "/pyproject.toml", encoding="utf-8") as f:
        assert "[project.scripts]" not in f.read()
    with open(ROOT + "/scripts/pyaudit", encoding="utf-8") as f:
        script = f.read()
    assert script.startswith("#!python\n")
    assert re.findall(r"^(?:import|from) .*", script, re.M) == [
        "import sys", "from pyaudit.cli import main"]


def test_the_installed_pyaudit_script_runs_the_command_line():
    script = os.path.join(os.path.dirname(sys.executable), "pyaudit")
    if not os.path.exists(script):
        pytest.skip("no pyaudit script beside this python")
    with open(script, encoding="utf-8") as f:
        assert f.readline().startswith("#!")
        assert "import re\n" not in f.read()
    done = subprocess.run([script, "--version"], env=child_env(None),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("pyaudit %s " % pyaudit.__version__)


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
                   "bench, config, check-policy (see --help)\n")


# -- a pyaudit without its C extension ----------------------------------------

def unbuilt_copy(directory, source_tree):
    """A copy of the pyaudit package without the built extension, in a
    source tree (beside a csrc/) or on its own (an install that lost it);
    returns the directory to run from."""
    shutil.copytree(os.path.join(ROOT, "pyaudit"),
                    os.path.join(str(directory), "pyaudit"),
                    ignore=shutil.ignore_patterns("*.so", "*.pyd",
                                                  "__pycache__"))
    if source_tree:
        os.mkdir(os.path.join(str(directory), "csrc"))
    return str(directory)


def run_unbuilt(cwd, *args, backend=None):
    """``python -m pyaudit ARGS`` in ``cwd`` with no other pyaudit
    importable: no PYTHONPATH, and -S leaves out site-packages, where an
    editable install's import hook would find the real extension."""
    env = child_env(backend)
    env.pop("PYTHONPATH")
    done = subprocess.run(
        [sys.executable, "-S", "-m", "pyaudit"] + list(args), env=env,
        cwd=cwd,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_unbuilt_source_tree_says_how_to_build_in_one_line(tmp_path):
    cwd = unbuilt_copy(tmp_path, source_tree=True)
    rc, out, err = run_unbuilt(cwd, "run", "-c", "pass")
    assert (rc, out) == (1, "")
    [line] = err.splitlines()
    assert line.endswith(
        "(ImportError: pyaudit's C extension is not built in this source "
        "tree (%s): install pyaudit (pip install .) and run it from outside "
        "the tree, or build the extension in place (pip install -e .); or "
        "set PYAUDIT_BACKEND=python to choose the slower pure-Python "
        "backend)" % os.path.join(cwd, "pyaudit")), line


def test_install_without_extension_says_to_reinstall(tmp_path):
    cwd = unbuilt_copy(tmp_path, source_tree=False)
    rc, out, err = run_unbuilt(cwd, "events")
    assert (rc, out) == (1, "")
    [line] = err.splitlines()
    assert ("pyaudit's C extension is missing from %s: reinstall pyaudit "
            "(pip install %s --force-reinstall)" % (
                os.path.join(cwd, "pyaudit"), pyaudit._version.DISTRIBUTION)
            in line), line


def test_python_backend_asked_for_runs_without_extension(tmp_path):
    cwd = unbuilt_copy(tmp_path, source_tree=True)
    rc, out, err = run_unbuilt(cwd, "--version", backend="python")
    assert (rc, err) == (0, "")
    assert out.startswith("pyaudit %s (" % pyaudit.__version__)
    assert out.endswith(", python backend, %s %s\n" % (
        platform.python_implementation(), platform.python_version()))


@pytest.mark.parametrize("flag", ["--libs", "--library"])
def test_config_without_extension_is_one_line_and_status_2(tmp_path, flag):
    cwd = unbuilt_copy(tmp_path, source_tree=True)
    rc, out, err = run_unbuilt(cwd, "config", flag, backend="python")
    assert (rc, out) == (2, "")
    assert err == (
        "python -m pyaudit config: error: the C API needs pyaudit's C "
        "extension, which is not built in this source tree (%s): install "
        "pyaudit (pip install .) and run it from outside the tree, or build "
        "the extension in place (pip install -e .)\n"
        % os.path.join(cwd, "pyaudit"))
