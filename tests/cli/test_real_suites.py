"""Real projects' test suites, from PyPI, pass unchanged under ``pyaudit run``
with the default events, and the Python processes they start show up in
the output with their own pid.

The setup makes a virtual environment, installs pyaudit there the way a
user does (``pip install``, not editable: the install whose pytest
plugin made pytest warn that it could not rewrite pyaudit), downloads the
sdists of click and more-itertools (which ship their tests) and installs
them from those sdists.  It needs the network to reach PyPI, and takes a
few minutes: it runs on the default Python, 3.11, only.

(attrs was the other candidate: its suite, 25.3.0 and 26.1.0, has one
failure on this machine's Python without pyaudit,
tests/test_converters.py::TestPipe::test_wrapped_annotation.)
"""

import json
import os
import subprocess
import sys
import tarfile

import pytest

from support import ROOT

pytestmark = pytest.mark.skipif(
    sys.version_info[:2] != (3, 11),
    reason="runs real projects' test suites from PyPI (minutes): on the "
           "default Python, 3.11, only, to keep CI within its time limit")

PROJECTS = {"click": "8.5.1", "more-itertools": "11.2.1"}
TEST_REQUIREMENTS = ["pytest", "hypothesis"]


def clean_env():
    """The environment without the test run's PYTHONPATH (which points at
    the checkout) nor pyaudit variables: the venv's own install is used."""
    return {name: value for name, value in os.environ.items()
            if name != "PYTHONPATH" and not name.startswith("PYAUDIT_")}


def check_run(args, cwd, timeout=900):
    done = subprocess.run([str(a) for a in args], cwd=str(cwd),
                          env=clean_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=timeout)
    assert done.returncode == 0, "%s failed:\n%s" % (" ".join(
        str(a) for a in args), done.stdout[-5000:])
    return done


@pytest.fixture(scope="module")
def suites(tmp_path_factory):
    """{project: extracted sdist directory}, and the venv's bin/."""
    base = tmp_path_factory.mktemp("real-suites")
    check_run([sys.executable, "-m", "venv", base / "venv"], base)
    bin_dir = base / "venv" / "bin"
    pip = [bin_dir / "python", "-m", "pip", "--disable-pip-version-check"]
    check_run(pip + ["install", "-q", ROOT] + TEST_REQUIREMENTS, base)
    check_run(pip + ["download", "-q", "--no-deps", "--no-binary", ":all:",
                     "-d", base / "sdists"]
              + ["%s==%s" % item for item in PROJECTS.items()], base)
    directories = {}
    for name in os.listdir(str(base / "sdists")):
        with tarfile.open(str(base / "sdists" / name)) as sdist:
            sdist.extractall(str(base))
        directory = base / name[:-len(".tar.gz")]
        project = directory.name.rsplit("-", 1)[0].replace("_", "-")
        directories[project] = directory
    assert sorted(directories) == sorted(PROJECTS)
    check_run(pip + ["install", "-q"] + sorted(directories.values()), base)
    return directories, bin_dir


def run_suite(suites, project):
    """Run the project's suite under pyaudit run; return its events."""
    directories, bin_dir = suites
    out = directories[project].parent / (project + ".jsonl")
    check_run([bin_dir / "pyaudit", "run", "-o", out, "-m", "pytest", "-q",
               "-p", "no:cacheprovider"], directories[project])
    with open(str(out)) as lines:
        events = [json.loads(line) for line in lines]   # every line whole
    (top,) = [e for e in events if e["event"] == "cpython.run_module"
              and e["args"] == ["pytest"]]
    return events, top["pid"]


def test_click_suite_passes_and_its_python_children_show_up(suites):
    events, top = run_suite(suites, "click")
    starts = {e["pid"]: e for e in events if e["pid"] != top
              and e["event"].startswith("cpython.run_")}
    # tests/test_imports.py runs "python -", tests/test_types/test_Path.py
    # "python -bb -c PROGRAM": both followed, each with its own pid
    (stdin,) = [e for e in starts.values()
                if e["event"] == "cpython.run_stdin"]
    (command,) = [e for e in starts.values()
                  if e["event"] == "cpython.run_command"]
    assert stdin["ppid"] == command["ppid"] == top
    assert "click.Path" in command["args"][0]
    launched = [e["args"][1] for e in events if e["pid"] == top
                and e["event"] == "subprocess.Popen"]
    assert any(argv[1:] == ["-"] for argv in launched)
    assert any(argv[1:3] == ["-bb", "-c"] for argv in launched)
    # click's tests write files, through pytest's capture of stderr
    writes = [e for e in events if e["event"] == "open" and e["pid"] == top
              and (e["caller"] or "").startswith(
                  str(suites[0]["click"] / "tests"))]
    assert writes


def test_more_itertools_suite_passes(suites):
    events, top = run_suite(suites, "more-itertools")
    assert {e["pid"] for e in events} == {top}
    # its pickling tests load classes through pickle
    assert [e for e in events if e["event"] == "pickle.find_class"]
