"""The C API called through ctypes from an interpreter with a GIL of its
own (CPython 3.13+, where ctypes can be imported there), while the main
interpreter raises events that a C sink and a Python count receive.

    python capi_ctypes_own_gil.py SINK_DIRECTORY CYCLES

The subinterpreter subscribes and unsubscribes a C sink CYCLES times (each
table rebuilt and the old one freed); the main thread raises events in
bursts until it is done.  Prints one JSON object: how many events were
raised, counted by a permanent C sink and counted by pyaudit.count.
"""

import json
import os
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

import pyaudit  # noqa: E402
from pyaudit._build_flags import get_library  # noqa: E402
from pyaudit.capi import ffi, lib  # noqa: E402

from subinterpreters import create, destroy, run  # noqa: E402
from support import build_counting_sink  # noqa: E402

CHURN = """
import ctypes
lib = ctypes.CDLL(%(library)r)
lib.pyaudit_subscribe.restype = ctypes.c_long
lib.pyaudit_subscribe.argtypes = [ctypes.c_char_p, ctypes.c_void_p,
                                  ctypes.c_void_p]
lib.pyaudit_unsubscribe.argtypes = [ctypes.c_long]
patterns = b",".join(b"ctypes.churn.%%d" %% i for i in range(2000))
for _ in range(%(cycles)d):
    sub_id = lib.pyaudit_subscribe(patterns + b",ctypes.hit", %(sink)d, None)
    assert sub_id > 0, sub_id
    assert lib.pyaudit_unsubscribe(sub_id) == 0
"""


def sink_address(module):
    return int(module.ffi.cast("uintptr_t", module.ffi.addressof(
        module.lib, "counting_sink")))


def main():
    directory, cycles = sys.argv[1], int(sys.argv[2])
    kept = build_counting_sink(os.path.join(directory, "kept"))
    churned = build_counting_sink(os.path.join(directory, "churned"))
    assert lib.pyaudit_subscribe(
        b"ctypes.hit", ffi.cast("pyaudit_sink_fn", sink_address(kept)),
        ffi.NULL) > 0
    counter = pyaudit.count("ctypes.hit")
    interp = create(shared_gil=False)
    failures = []

    def churn():
        try:
            run(interp, CHURN % {"library": get_library(), "cycles": cycles,
                                 "sink": sink_address(churned)})
        except BaseException as exc:
            failures.append(repr(exc))

    thread = threading.Thread(target=churn)
    thread.start()
    raised = 0
    audit = sys.audit
    while thread.is_alive():
        for i in range(500):
            audit("ctypes.hit", i)
        raised += 500
    thread.join()
    destroy(interp)
    print(json.dumps({"failures": failures, "raised": raised,
                      "c_sink": kept.lib.sink_count(),
                      "count": counter.counts().get("ctypes.hit", 0)}))


main()
