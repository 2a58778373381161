"""An audit hook added before pyaudit's refuses pyaudit's install probe
once; the first subscription fails with InstallError, the next works, and
every kind then receives each event exactly once (one pyaudit hook, not
two).

    PYAUDIT_BACKEND=... python refused_probe.py HELPERS

HELPERS is the compiled tests/programs/native_helpers module.  Prints one
JSON object.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import native_helpers  # noqa: E402

helpers = native_helpers.load(sys.argv[1])
assert helpers.lib.refuse_event(b"pyaudit.probe", 1) == 0

import pyaudit  # noqa: E402

E = "refused_probe"
result = {}
try:
    pyaudit.count(E + ".*")
    result["first"] = "subscribed"
except pyaudit.InstallError as exc:
    result["first"] = "InstallError: %s" % exc
except BaseException as exc:
    result["first"] = "%s: %s" % (type(exc).__name__, exc)
result["refusals_left"] = helpers.lib.refusals_left()

watched = []
counter = pyaudit.count(E + ".*")
recorder = pyaudit.record(E + ".*")
watcher = pyaudit.watch(E + ".*", lambda name, args: watched.append(name))
sys.audit(E + ".once")
result["counts"] = counter.counts()
result["recorded"] = [event.name for event in recorder.drain()]
result["watched"] = watched
result["subscriptions"] = sorted(info.kind
                                 for info in pyaudit.subscriptions())
print(json.dumps(result))
