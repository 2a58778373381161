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

import _thread
import os
import sys

from ._errors import Denied, InstallError, PolicyError
from ._version import __version__  # noqa: F401


__all__ = [
    "Counter", "Denied", "Event", "Filter", "InstallError", "Policy",
    "PolicyError", "PolicyProblem", "PolicyRule", "Recorder",
    "Subscription", "SubscriptionInfo", "UnknownEventWarning", "Where",
    "backend",
    "count", "deny", "describe", "get_include", "load_policy", "log_to",
    "record", "subscriptions", "watch",
]

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
    if name == backend:
        return __getattr__("_default")
    from . import _api
    return _api.API(_load_core(name))


# The core is loaded now (importing pyaudit fails at once without it); the
# rest of the package when first used.  ``pyaudit run`` imports pyaudit
# before the program it runs and needs only the core: the API and its
# modules (the events catalog, Where, the value types and what they
# import: collections, contextvars, warnings) would cost that program
# milliseconds of start-up.
_core = _choose_core()
backend = _core.backend

# name: (module, attribute) of what is made on first use
_LAZY = {
    "Event": ("_types", "Event"),
    "SubscriptionInfo": ("_types", "SubscriptionInfo"),
    "Where": ("_where", "Where"),
    "UnknownEventWarning": ("_catalog", "UnknownEventWarning"),
    "describe": ("_catalog", "describe"),
    "get_include": ("_build_flags", "get_include"),
    "log_to": ("_logging", "log_to"),
    "PolicyProblem": ("_errors", "PolicyProblem"),
    "Subscription": ("_api", "Subscription"),
    "Recorder": ("_api", "Recorder"),
    "Counter": ("_api", "Counter"),
    "Policy": ("_policy.policy", "Policy"),
    "PolicyRule": ("_policy.policy", "PolicyRule"),
}
# pyaudit's modules that importing the package used to import: still
# attributes of the package, imported when first asked for
_SUBMODULES = ("_api", "_build_flags", "_catalog", "_logging", "_patterns",
               "_types", "_where")
# the functions of the default API, bound to the core
_API_NAMES = ("Filter", "watch", "record", "count", "deny", "subscriptions",
              "load_policy")


_lock = _thread.allocate_lock()     # one default API, whichever thread asks


def __getattr__(name):
    """The public names beyond the core, imported when first asked for."""
    if name == "_default" or name in _API_NAMES:
        from . import _api
        with _lock:
            api = globals().get("_default")
            if api is None:
                api = _api.API(_core)
                for attribute in _API_NAMES:
                    globals()[attribute] = getattr(api, attribute)
                globals()["_default"] = api
        return api if name == "_default" else globals()[name]
    if name in _SUBMODULES:
        module = "%s.%s" % (__name__, name)
        __import__(module)
        return sys.modules[module]
    if name in _LAZY:
        module, attribute = _LAZY[name]
        module = "%s.%s" % (__name__, module)
        __import__(module)
        value = globals()[name] = getattr(sys.modules[module], attribute)
        return value
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


def __dir__():
    return sorted(set(globals()) | set(_LAZY) | set(_API_NAMES)
                  | {"_default"})
