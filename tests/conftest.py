"""Shared fixtures for the pyaudit tests.

Audit hooks are process-global and can never be removed, so:

* every test closes its subscriptions (``with`` blocks) and uses event
  names of its own (the ``ename`` fixture), so that tests never see each
  other's events;
* anything that cannot be undone (a vetoing hook, a second plain hook,
  reloading pyaudit) runs in a child interpreter via ``run_python``.

The ``api`` fixture runs shared behaviour against both backends.  The
native one is the C extension ``pyaudit._pyaudit``: when it is missing the
native tests fail (they are never skipped), since a skipped check would
read as a pass.
"""

import os
import re
import subprocess
import sys
import tempfile
import textwrap
import uuid

import pytest
import hypothesis.configuration
from hypothesis import settings

# Leave nothing behind in the repository: no example database, and
# Hypothesis's other caches go to a temporary directory.
settings.register_profile("pyaudit", database=None)
settings.load_profile("pyaudit")
hypothesis.configuration.set_hypothesis_home_dir(
    tempfile.mkdtemp(prefix="pyaudit-tests-hypothesis-"))

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import pyaudit  # noqa: E402

BACKENDS = ("native", "python")


@pytest.fixture(params=BACKENDS)
def api(request):
    """The pyaudit API bound to one backend (.Filter, .watch, .record,
    .count, .deny, .subscriptions, .backend)."""
    return pyaudit._api_for(request.param)


@pytest.fixture(params=BACKENDS)
def backend(request):
    """A backend name, for tests that run pyaudit in a child process."""
    return request.param


@pytest.fixture
def ename(request):
    """A unique event-name prefix for this test, e.g.
    ``pyaudit_test.test_x_python_.1a2b3c4d``; append ``.something``."""
    test = re.sub(r"[^A-Za-z0-9_]", "_", request.node.name)
    return "pyaudit_test.%s.%s" % (test, uuid.uuid4().hex[:8])


def child_env(backend=None, extra=None):
    """The environment for a child interpreter that can import pyaudit."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                  if p])
    env.pop("PYAUDIT_BACKEND", None)
    if backend is not None:
        env["PYAUDIT_BACKEND"] = backend
    if extra:
        env.update(extra)
    return env


def run_python(code, backend=None, args=(), env=None, cwd=None, timeout=120):
    """Run ``code`` (dedented) in a fresh ``sys.executable``.

    ``backend`` sets PYAUDIT_BACKEND in the child (None leaves it unset);
    ``env`` adds variables.  Returns ``(returncode, stdout, stderr)``.
    """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)] + [str(a) for a in args],
        env=child_env(backend, env), cwd=cwd or ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def check_python(code, backend=None, **kwargs):
    """Like ``run_python`` but fail the test unless the child exits 0;
    returns its stdout."""
    rc, out, err = run_python(code, backend=backend, **kwargs)
    assert rc == 0, ("child exited with %d\n--- stdout ---\n%s\n"
                     "--- stderr ---\n%s" % (rc, out, err))
    return out
