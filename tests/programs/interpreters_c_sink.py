"""Child program: a C sink of every interpreter, called from several
threads at once.

    python interpreters_c_sink.py BUILD_DIRECTORY SUBINTERPRETERS EVENTS

Compiles atomic_sink into BUILD_DIRECTORY and subscribes it through the C
API (pyaudit_subscribe_ex with PYAUDIT_ALL_INTERPRETERS, from Python with
cffi, as a host would), then the main interpreter and SUBINTERPRETERS
subinterpreters (a GIL of their own from 3.12, each on its own thread)
each raise EVENTS events "csink.event" with args (their index, k) at
once; the subinterpreters never import pyaudit.  Prints one JSON object:
the calls the sink counted in all and per index, the most calls it saw
running at once, and the interpreters' ids.
"""

import json
import sys

import atomic_sink
from interpreter_reports import subinterpreters_or_skip

LOOP = """
import sys
audit = sys.audit
for k in range(%(events)d):
    audit("csink.event", %(index)d, k)
"""


def main():
    directory, count, events = sys.argv[1], int(sys.argv[2]), \
        int(sys.argv[3])
    interpreters = subinterpreters_or_skip()
    import pyaudit.capi as capi
    sink = atomic_sink.build(directory)
    sub_id = capi.lib.pyaudit_subscribe_ex(
        b"csink.*", capi.ffi.NULL,
        capi.ffi.cast("pyaudit_sink_fn", atomic_sink.sink_address(sink)),
        capi.ffi.NULL, capi.lib.PYAUDIT_ALL_INTERPRETERS)
    assert sub_id > 0, capi.last_error()
    interps = [interpreters.create() for _ in range(count)]
    running = interpreters.start(
        [(interp, LOOP % {"events": events, "index": index})
         for index, interp in enumerate(interps, start=1)])
    exec(LOOP % {"events": events, "index": 0}, {})
    running.join()
    ids = [interpreters.id_of(interp) for interp in interps]
    for interp in interps:
        interpreters.destroy(interp)
    assert capi.lib.pyaudit_unsubscribe(sub_id) == 0, capi.last_error()
    sys.audit("csink.event", 0, -1)     # no longer delivered
    print(json.dumps({
        "calls": sink.lib.sink_calls(),
        "per_index": [sink.lib.sink_count(index)
                      for index in range(count + 1)],
        "overlap": sink.lib.sink_overlap(), "ids": ids,
        "own_gil": interpreters.own_gil}))


if __name__ == "__main__":
    main()
