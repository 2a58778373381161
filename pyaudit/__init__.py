"""pyaudit: receive exactly the audit events (PEP 578) you ask for.

One native audit hook decides in C, with a compiled hash set, whether an
event matters before any Python runs; matching events are delivered to
callbacks (``watch``), recorded (``record``), counted (``count``) or refused
(``deny``).  See README.md for the pattern syntax and the guarantees.

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
import warnings

from . import _api
from ._build_flags import get_include
from ._catalog import UnknownEventWarning, describe
from ._errors import Denied, InstallError
from ._logging import log_to
from ._types import Event, SubscriptionInfo
from ._version import __version__  # noqa: F401


__all__ = [
    "Counter", "Denied", "Event", "Filter", "InstallError", "Recorder",
    "Subscription", "SubscriptionInfo", "UnknownEventWarning", "backend",
    "count", "deny", "describe", "get_include", "log_to", "record",
    "subscriptions", "watch",
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
    wanted = os.environ.get("PYAUDIT_BACKEND", "")
    if wanted and wanted not in _BACKENDS:
        raise ImportError("PYAUDIT_BACKEND=%r is not known; use one of %s"
                          % (wanted, ", ".join(_BACKENDS)))
    if wanted == "python":
        return _load_core("python")
    try:
        return _load_core("native")
    except ImportError as exc:
        if wanted == "native":
            raise
        warnings.warn("pyaudit's C extension could not be imported (%s); "
                      "using the slower pure-Python backend" % (exc,),
                      ImportWarning, stacklevel=3)
        return _load_core("python")


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
