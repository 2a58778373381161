"""``pyaudit run -m pytest`` with ``-W error``: pytest must not warn that it
cannot rewrite pyaudit's assertions.

pytest marks every top-level package of a distribution that declares a
``pytest11`` entry point for assertion rewriting; an installed pyaudit
declares one (``pyaudit.pytest_plugin``), so pytest marks ``pyaudit``,
which ``pyaudit run`` (like any early import) has already imported.  The
editable install the tests run from lists no package files, so the test
puts beside it a distribution that does, as a regular install's RECORD
does.  test_real_suites.py runs click's suite (``filterwarnings = error``)
over a regular install.
"""

import os

from support import PROGRAMS, ROOT, run_plain, run_pyaudit

RECORD = """\
pyaudit/__init__.py,,
pyaudit_rewrite_probe.py,,
pyaudit_rewrite_probe-1.0.dist-info/METADATA,,
pyaudit_rewrite_probe-1.0.dist-info/entry_points.txt,,
pyaudit_rewrite_probe-1.0.dist-info/RECORD,,
"""


def plugin_distribution(directory):
    """A distribution with a pytest plugin whose files include pyaudit's
    package, as an installed pyaudit's do."""
    info = directory / "pyaudit_rewrite_probe-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: pyaudit_rewrite_probe\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(
        "[pytest11]\npyaudit_rewrite_probe = pyaudit_rewrite_probe\n")
    (info / "RECORD").write_text(RECORD)
    (directory / "pyaudit_rewrite_probe.py").write_text("")
    return {"PYTHONPATH": os.pathsep.join(
        [ROOT, str(directory)] + os.environ.get("PYTHONPATH", "").split(
            os.pathsep))}


def test_pytest_does_not_warn_that_pyaudit_was_imported_first(tmp_path):
    env = plugin_distribution(tmp_path / "site")
    suite = os.path.join(PROGRAMS, "capture_suite")
    args = ["-m", "pytest", "-W", "error", "-q", "-p", "no:cacheprovider",
            suite]
    done = run_pyaudit(["-o", os.devnull] + args, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "PytestAssertRewriteWarning" not in done.stdout + done.stderr
    # pytest did mark pyaudit: imported before pytest, it is not rewritten
    marked = run_plain(["-W", "error", "-c", (
        "import pyaudit, pytest, sys\n"
        "sys.exit(pytest.main(['-q', '-p', 'no:cacheprovider', %r]))"
        % suite)], cwd=tmp_path, env=env)
    assert marked.returncode == 0, marked.stdout + marked.stderr
