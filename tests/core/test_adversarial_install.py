"""Regressions for defects a review of the native core found: spoofed
finalization, subscribing from another hook during install, finalizers
closing subscriptions while they are listed, interpreters with their own
GIL, and the C API called from a thread that does not hold the GIL.  Each
runs in a child process (hooks are permanent; a failure may be a crash)."""

import json
import sys

import pytest

from support import check_python

from support import TESTS


def child_result(code, **values):
    out = check_python(code % values, backend="native")
    return json.loads(out.strip().splitlines()[-1])


def test_spoofed_clear_hooks_event_changes_nothing():
    result = child_result("""
import json, os, sys, pyaudit
deny = pyaudit.deny("os.system")
count = pyaudit.count("open")
sys.audit("cpython._PySys_ClearAuditHooks")   # anyone can raise this
try:
    os.system("true")
    denied = False
except pyaudit.Denied:
    denied = True
again = pyaudit.count("open")                  # must not install twice
open(os.devnull).close()
print(json.dumps({"deny": deny.active, "count": count.active,
                  "denied": denied, "again": again.counts()}))
""")
    assert result == {"deny": True, "count": True, "denied": True,
                      "again": {"open": 1}}


@pytest.mark.parametrize("during", ["pyaudit.probe", "sys.addaudithook"])
def test_subscribing_from_another_hook_during_install(during):
    result = child_result("""
import json, os, sys, pyaudit
nested = []
def earlier_hook(event, args):
    if event == %(during)r and not nested:
        try:
            nested.append(repr(pyaudit.count("open")))
        except pyaudit.InstallError as exc:
            nested.append("InstallError: " + str(exc))
sys.addaudithook(earlier_hook)
outer = pyaudit.count("open")
open(os.devnull).close()
print(json.dumps({"nested": nested, "outer": outer.counts(),
                  "live": len(pyaudit.subscriptions())}))
""", during=during)
    assert len(result["nested"]) == 1
    assert result["nested"][0].startswith("InstallError: pyaudit's audit "
                                          "hook is being installed")
    assert result["outer"] == {"open": 1}
    assert result["live"] == 1


@pytest.mark.parametrize("threshold", [1, 5, 50])
def test_subscriptions_while_finalizers_close_subscriptions(threshold):
    result = child_result("""
import gc, json, pyaudit
gc.disable()
class Closer:
    def __init__(self, subscription):
        self.subscription = subscription
        self.me = self              # a cycle: only the collector frees it
    def __del__(self):
        self.subscription.close()   # frees the last reference to the sub
        self.subscription = None
for i in range(200):
    Closer(pyaudit.count("safety.gc%%d" %% i))
keep = pyaudit.count("safety.kept")
gc.set_threshold(gc.get_count()[0] + %(threshold)d)
gc.enable()
listed = pyaudit.subscriptions()    # the collector runs while listing
gc.collect()
print(json.dumps({"listed_ok": all(s.kind == "count" for s in listed),
                  "after": [s.patterns for s in pyaudit.subscriptions()]}))
""", threshold=threshold)
    assert result == {"listed_ok": True, "after": [["safety.kept"]]}


@pytest.mark.skipif(sys.version_info < (3, 12),
                    reason="interpreters have their own GIL only from 3.12")
def test_interpreter_with_its_own_gil_runs_beside_the_core():
    result = child_result("""
import json, sys, threading
try:
    import _interpreters as interpreters
    isolated = interpreters.create("isolated")
except ImportError:
    import _xxsubinterpreters as interpreters
    isolated = interpreters.create(isolated=True)
import pyaudit
seen = []
watch = pyaudit.watch("safety.*", lambda name, args: seen.append(name))
code = "import sys\\nfor i in range(200000): sys.audit('safety.inside')"
worker = threading.Thread(target=interpreters.run_string,
                          args=(isolated, code))
worker.start()
publishes = 0
while worker.is_alive():            # publish and free tables meanwhile
    pyaudit.count("safety.churn").close()
    publishes += 1
worker.join()
sys.audit("safety.main")
print(json.dumps({"seen": sorted(set(seen)), "churned": publishes > 0}))
""")
    assert result == {"seen": ["safety.main"], "churned": True}


def test_c_api_from_threads_without_the_gil(tmp_path):
    result = child_result("""
import ctypes, json, sys, threading
sys.path.insert(0, %(tests)r)
import pyaudit, pyaudit._pyaudit as native
from support import build_counting_sink
counting = build_counting_sink(%(tmp)r)
sink = int(counting.ffi.cast("uintptr_t", counting.ffi.addressof(
    counting.lib, "counting_sink")))
library = ctypes.CDLL(native.__file__)     # releases the GIL around calls
library.pyaudit_subscribe.restype = ctypes.c_long
library.pyaudit_subscribe.argtypes = [ctypes.c_char_p, ctypes.c_void_p,
                                      ctypes.c_void_p]
library.pyaudit_unsubscribe.argtypes = [ctypes.c_long]
watch = pyaudit.watch("safety.*", lambda name, args: None)
stop = []
def raise_events():
    while not stop:
        sys.audit("safety.spin")
spinner = threading.Thread(target=raise_events)
spinner.start()
failures = 0
for i in range(20000):
    sub_id = library.pyaudit_subscribe(b"safety.*", sink, None)
    failures += sub_id <= 0 or library.pyaudit_unsubscribe(sub_id) != 0
stop.append(True)
spinner.join()
print(json.dumps({"failures": failures,
                  "left": [s.kind for s in pyaudit.subscriptions()]}))
""", tests=TESTS, tmp=str(tmp_path))
    assert result == {"failures": 0, "left": ["watch"]}
