"""Subscription scaling, for ``pyaudit bench``: one size per fresh process.

    python -m pyaudit.cli._bench_scaling N REPEAT BUDGET

With N other subscriptions live (distinct exact names and prefixes, the
four kinds in turn), times subscribing one more and closing it, REPEAT
times each, and measures how much the C heap grew for the N.  Prints one
JSON object: subscribe_ms and close_ms (the medians), heap_bytes (None
where glibc's mallinfo2 is not available).

Setting up the N others stops when it has taken BUDGET seconds or the
heap has grown by HEAP_BUDGET bytes: nothing is timed then (a smaller N
would be another measurement), and the object says how far it got
(``reached``) and what the last subscription cost (``last_subscribe_ms``).
"""

import json
import os
import statistics
import sys
import time
import warnings

# The subscription timed: known event names, so that the timing is of the
# table, not of the catalog's "did you mean" search for an unknown name.
TIMED = ("os.system", "socket.connect", "subprocess.Popen", "ctypes.dlopen")
# The machine is shared: a table that grows out of bounds is stopped here.
HEAP_BUDGET = 2 << 30


def _heap_in_use():
    """Bytes of C heap in use (malloc'd, mmapped chunks included), or None
    without glibc's mallinfo2."""
    import ctypes

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
            "fsmblks", "uordblks", "fordblks", "keepcost")]

    try:
        mallinfo2 = ctypes.CDLL(None).mallinfo2
    except (OSError, AttributeError):
        return None
    mallinfo2.restype = MallInfo2
    info = mallinfo2()
    return info.uordblks + info.hblkhd


def subscribe(pyaudit, i, pattern):
    """Subscribe to pattern with the i-th kind of count, record, watch and
    deny in turn."""
    kind = i % 4
    if kind == 0:
        return pyaudit.count(pattern)
    if kind == 1:
        return pyaudit.record(pattern, capacity=1)
    if kind == 2:
        return pyaudit.watch(pattern, lambda name, args: None)
    return pyaudit.deny(pattern)


def subscribe_other(pyaudit, i):
    """The i-th of the N others: an exact name or a prefix."""
    return subscribe(pyaudit, i, "bench.scale.e%d" % i if i % 2 == 0
                     else "bench.scale.p%d.*" % i)


def subscribe_timed(pyaudit, i):
    return subscribe(pyaudit, i, TIMED[i % len(TIMED)])


def set_up_others(pyaudit, n, budget):
    """The N others, or as many as the budgets allow: (subscriptions,
    nanoseconds the last one took)."""
    others = []
    deadline = time.monotonic() + budget
    start_heap = _heap_in_use()
    last_ns = 0
    for i in range(n):
        start = time.perf_counter_ns()
        others.append(subscribe_other(pyaudit, i))
        last_ns = time.perf_counter_ns() - start
        if i % 16 == 0 and (time.monotonic() > deadline or (
                start_heap is not None
                and _heap_in_use() - start_heap > HEAP_BUDGET)):
            break
    return others, last_ns


def measure(n, repeat, budget):
    import pyaudit
    if pyaudit.backend != "native":
        raise SystemExit("subscription scaling measures pyaudit's C "
                         "extension, which cannot be imported here")
    pyaudit.count(TIMED[0])     # hook installed, catalog read: not timed
    warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
    before = _heap_in_use()
    others, last_ns = set_up_others(pyaudit, n, budget)
    after = _heap_in_use()
    heap = None if before is None or after is None else after - before
    if len(others) < n:
        return {"n": n, "reached": len(others), "budget_s": budget,
                "last_subscribe_ms": last_ns / 1e6, "heap_bytes": heap}
    subscribe_ns, close_ns = [], []
    for i in range(repeat):
        start = time.perf_counter_ns()
        sub = subscribe_timed(pyaudit, i)
        middle = time.perf_counter_ns()
        sub.close()
        subscribe_ns.append(middle - start)
        close_ns.append(time.perf_counter_ns() - middle)
    return {"n": n,
            "subscribe_ms": statistics.median(subscribe_ns) / 1e6,
            "close_ms": statistics.median(close_ns) / 1e6,
            "heap_bytes": heap}


if __name__ == "__main__":
    print(json.dumps(measure(int(sys.argv[1]), int(sys.argv[2]),
                             float(sys.argv[3]))), flush=True)
    # Leave without closing the N subscriptions one by one at exit, which
    # costs what subscribing did and measures nothing.
    os._exit(0)
