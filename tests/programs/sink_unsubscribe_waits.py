"""Child program: unsubscribing a C sink of every interpreter returns only
once no call of it is under way, while a subinterpreter with its own GIL
calls it from its own thread.

    python sink_unsubscribe_waits.py BUILD_DIRECTORY CYCLES

The subinterpreter raises "slow.event" (which the sink takes 10 ms over)
until a stop file exists; the main interpreter subscribes the sink
(pyaudit_subscribe_ex with PYAUDIT_ALL_INTERPRETERS), waits for a call to
begin, unsubscribes it, and looks at once whether a call is still
running.  Prints one JSON object: the cycles, how many found a call
running after unsubscribing, and the sink's calls.
"""

import json
import os
import sys
import time

import atomic_sink
from interpreter_reports import Reports, subinterpreters_or_skip

import pyaudit.capi as capi

RAISE = """
import os, sys
while not os.path.exists(%(stop)r):
    sys.audit("slow.event")
"""


def main():
    interpreters = subinterpreters_or_skip()
    if not interpreters.own_gil:
        print(json.dumps({"skip": "interpreters share one GIL here"}))
        return
    sink = atomic_sink.build(sys.argv[1])
    cycles = int(sys.argv[2])
    address = capi.ffi.cast("pyaudit_sink_fn", atomic_sink.sink_address(sink))
    reports = Reports()
    stop = os.path.join(reports.directory, "stop")
    other = interpreters.create()
    running = interpreters.start([(other, RAISE % {"stop": stop})])
    after = 0
    try:
        for _ in range(cycles):
            sid = capi.lib.pyaudit_subscribe_ex(
                b"slow.*", capi.ffi.NULL, address, capi.ffi.NULL,
                capi.lib.PYAUDIT_ALL_INTERPRETERS)
            assert sid > 0, capi.last_error()
            deadline = time.monotonic() + 10
            while not sink.lib.sink_running():
                assert time.monotonic() < deadline, "the sink was not called"
            assert capi.lib.pyaudit_unsubscribe(sid) == 0, capi.last_error()
            after += sink.lib.sink_running() != 0
    finally:
        open(stop, "w").close()
        running.join()
        interpreters.destroy(other)
        reports.remove()
    print(json.dumps({"cycles": cycles, "running_after": after,
                      "calls": sink.lib.sink_calls()}))


if __name__ == "__main__":
    main()
