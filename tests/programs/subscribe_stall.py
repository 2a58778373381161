"""How long subscribing stalls the other threads, as a function of the
number of patterns.

    PYAUDIT_BACKEND=... python subscribe_stall.py REPEATS N [N ...]

For each N: a heartbeat thread wakes every millisecond and notes the
longest gap between two wake-ups while the main thread (1) subscribes one
count with N distinct exact names, (2) with it live, subscribes and closes
an unrelated count 20 times, (3) closes it.  Prints one JSON object: for
each N, the seconds each step took and the longest gap seen during it,
each the least of REPEATS runs (the machine's noise only adds).

It subscribes through the backend's core (patterns parsed, the table
compiled and published), without the advisory catalog check that
pyaudit.count adds: that check is Python code, which lets other threads
run, and its cost (a did-you-mean search per unknown name) would swamp
the measurement.
"""

import json
import sys
import threading
import time

import pyaudit

CORE = pyaudit._default.core


class Heartbeat:
    def __init__(self):
        self.longest = 0.0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.beat)

    def beat(self):
        last = time.perf_counter()
        while not self.stop.is_set():
            time.sleep(0.001)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last)
            last = now

    def __enter__(self):
        self.thread.start()
        time.sleep(0.02)
        self.longest = 0.0
        return self

    def __exit__(self, *exc_info):
        self.stop.set()
        self.thread.join()


def timed(step):
    """(seconds step() took, the longest heartbeat gap meanwhile)."""
    with Heartbeat() as heart:
        start = time.perf_counter()
        step()
        elapsed = time.perf_counter() - start
    return [elapsed, heart.longest]


def measure(n):
    names = tuple("stall.%d.name" % i for i in range(n))
    big = []

    def unrelated():
        for i in range(20):
            CORE.subscribe("count", ("stall.other.%d" % i,), None).close()

    return {
        "subscribe": timed(lambda: big.append(CORE.subscribe("count", names,
                                                             None))),
        "unrelated 20 times": timed(unrelated),
        "close": timed(lambda: big.pop().close()),
    }


def least(n, repeats):
    runs = [measure(n) for _ in range(repeats)]
    return {step: [min(run[step][i] for run in runs) for i in (0, 1)]
            for step in runs[0]}


print(json.dumps({n: least(int(n), int(sys.argv[1])) for n in sys.argv[2:]}))
