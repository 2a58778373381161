"""pyaudit: receive exactly the audit events (PEP 578) you ask for.

One native audit hook decides in C, with a compiled hash set, whether an
event matters before any Python runs; matching events are delivered to
callbacks (``watch``), recorded (``record``), counted (``count``) or refused
(``deny``).  See docs/api.md for the pattern syntax and docs/guarantees.md for
the guarantees.

PYTEST_DONT_REWRITE: pytest marks every top-level package of a
distribution that declares a pytest plugin for assertion rewriting, so
this whole package, because of ``pyaudit.pytest_plugin``.  pyaudit is
often imported before pytest starts (``pyaudit run -m pytest``, start-up
hooks, embedding hosts), and pytest would then warn that it cannot
rewrite it, which a suite running with ``-W error`` turns into an
abort.  This package has no assertions to rewrite; the marker in this
docstring tells pytest so.
"""

import os

from . import _api
from ._build_flags import get_include
from ._catalog import UnknownEventWarning, describe
from ._errors import Denied, InstallError, PolicyError, PolicyProblem
from ._logging import log_to
from ._types import Event, SubscriptionInfo
from ._version import __version__  # noqa: F401
from ._where import Where


__all__ = [
    "Counter", "Denied", "Event", "Filter", "InstallError", "Policy",
    "PolicyError", "PolicyProblem", "PolicyRule", "Recorder",
    "Subscription", "SubscriptionInfo", "UnknownEventWarning", "Where",
    "backend",
    "count", "deny", "describe", "get_include", "load_policy", "log_to",
    "record", "subscriptions", "watch",
]

Subscription = _api.Subscription
Recorder = _api.Recorder
Counter = _api.Counter

_BACKENDS = ("native", "python")


def _load_core(name):
    if name == "native":
        from . import _pyaudit
        return _pyaudit
    from . import _python
    return _python.get_core()


def _choose_core():
    """The native core, or the pure-Python one when PYAUDIT_BACKEND=python
    asks for it.  Never a silent fallback: without the extension, importing
    pyaudit fails and says how to get it."""
    wanted = os.environ.get("PYAUDIT_BACKEND", "")
    if wanted and wanted not in _BACKENDS:
        raise ImportError("PYAUDIT_BACKEND=%r is not known; use one of %s"
                          % (wanted, ", ".join(_BACKENDS)))
    if wanted == "python":
        return _load_core("python")
    try:
        return _load_core("native")
    except ImportError as exc:
        # name: so that ``python -m pyaudit`` reports it in one line.
        raise ImportError(
            "pyaudit's C extension %s: %s; or set PYAUDIT_BACKEND=python to "
            "choose the slower pure-Python backend" % _no_extension(exc),
            name=__name__) from None


def _no_extension(exc):
    """(what is wrong, what to do) when the C extension cannot be imported
    (``exc``): the problem completes "pyaudit's C extension ..."."""
    import importlib.machinery
    from ._version import install_command
    here = os.path.dirname(os.path.abspath(__file__))
    fix = "reinstall pyaudit (%s --force-reinstall)" % install_command()
    if importlib.machinery.PathFinder.find_spec(
            __name__ + "._pyaudit", [here]) is not None:
        problem = "failed to load (%s)" % (exc,)
    elif os.path.isdir(os.path.join(os.path.dirname(here), "csrc")):
        problem = "is not built in this source tree (%s)" % here
        fix = ("install pyaudit (pip install .) and run it from outside "
               "the tree, or build the extension in place "
               "(pip install -e .)")
    else:
        problem = "is missing from %s" % here
    return problem, fix


def _api_for(name):
    """The API bound to the named backend (for tests and benchmarks)."""
    if name not in _BACKENDS:
        raise ValueError("backend must be one of %s, not %r"
                         % (", ".join(_BACKENDS), name))
    if name == _default.backend:
        return _default
    return _api.API(_load_core(name))


_default = _api.API(_choose_core())
backend = _default.backend
Filter = _default.Filter
watch = _default.watch
record = _default.record
count = _default.count
deny = _default.deny
subscriptions = _default.subscriptions
load_policy = _default.load_policy


def __getattr__(name):
    """pyaudit.Policy and pyaudit.PolicyRule, imported when first asked
    for (most programs never load a policy)."""
    if name in ("Policy", "PolicyRule"):
        from ._policy import policy
        return getattr(policy, name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))
