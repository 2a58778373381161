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

import re
import sys
import tempfile
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

from support import ROOT  # noqa: E402

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


@pytest.fixture
def deny_policy(tmp_path, ename):
    """A policy file denying this test's own event ``ename.x``: its
    path."""
    path = tmp_path / "policy.toml"
    path.write_text('own_events = "%s.*"\n[[rule]]\naction = "deny"\n'
                    'events = "%s.x"\n' % (ename, ename))
    return path
