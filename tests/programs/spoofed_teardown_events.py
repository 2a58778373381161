"""Python code raising, with sys.audit, the events CPython raises as an
interpreter ends: cpython.PyInterpreterState_Clear and
cpython._PySys_ClearAuditHooks.  Raised by anyone but CPython they are
ordinary events: no subscription may be closed and no second hook added,
whether Python is running normally or finalizing.

    PYAUDIT_BACKEND=... python spoofed_teardown_events.py

Each line it prints is a JSON object: one while running normally, then
one from a __del__ that runs while Py_FinalizeEx() is under way (an
object in a reference cycle, collected by the collection it makes before
it drops the hooks), written with os.write since sys.stdout may be gone.
"""

import gc
import json
import os
import sys
import warnings

import pyaudit

warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
E = "spoof"
denier = pyaudit.deny(E + ".denied")
counter = pyaudit.count(E + ".*")


def spoof_and_check(when, sys=sys, os=os, json=json, pyaudit=pyaudit,
                    counter=counter):
    result = {"when": when, "finalizing": sys.is_finalizing()}
    sys.audit("cpython.PyInterpreterState_Clear")
    sys.audit("cpython._PySys_ClearAuditHooks")
    try:
        sys.audit(E + ".denied")
        result["deny"] = "allowed"
    except PermissionError:
        result["deny"] = "denied"
    before = counter.counts().get(E + ".ping", 0)
    fresh = pyaudit.count(E + ".*")
    sys.audit(E + ".ping")
    result["old count"] = counter.counts().get(E + ".ping", 0) - before
    result["new count"] = fresh.counts().get(E + ".ping", 0)
    fresh.close()
    result["subscriptions"] = sorted(info.kind
                                     for info in pyaudit.subscriptions())
    os.write(1, (json.dumps(result) + "\n").encode())


class SpoofsWhenCollected:
    def __init__(self):
        self.cycle = self

    def __del__(self, spoof_and_check=spoof_and_check):
        spoof_and_check("finalizing")


spoof_and_check("running")
gc.collect()
gc.disable()            # collected by Py_FinalizeEx(), not before
SpoofsWhenCollected()
