"""Child program: subinterpreters raising events in parallel while the
main interpreter subscribes and closes, counts and records for them all.

    python interpreters_stress.py INTERPRETERS EVENTS CYCLES REPETITIONS

Makes INTERPRETERS subinterpreters (a GIL of their own from 3.12).  In each
repetition each of them raises events on a thread of its own, cycling
through four names: two that the main interpreter's recorder keeps, one it
excludes and one that no subscription wants.  Meanwhile the main
interpreter opens and closes CYCLES subscriptions (exact names, prefixes,
``*``, exclusions; count, record, watch and deny; its own interpreter's or
all) and drains a recorder of every interpreter's events.  Each
subinterpreter raises at least EVENTS events and goes on until the main
interpreter is done, so that every cycle runs while they all raise; each
also imports pyaudit, checks its own count of what it raised and reports
how many that was.  One count and that recorder, both of every
interpreter, stay open throughout, also while the subinterpreters end
after the last repetition.

Prints one JSON object: per repetition how many events of each name were
raised and counted, what the recorder drained and dropped, any drained
event that is not what its interpreter raised, and the process's resident
memory afterwards; then the counts and the recorder's contents after the
subinterpreters ended and the main interpreter raised one more event.
Prints {"skip": reason} where this Python has no subinterpreters.

The interpreters live through every repetition because CPython itself
keeps a few MiB of every interpreter it ends (interned strings, 3.12 and
3.13), which would hide what pyaudit does with memory.
"""

import collections
import gc
import json
import os
import sys
import time
import warnings

from interpreter_reports import Reports, subinterpreters_or_skip

import pyaudit

NAMES = ("stress.kept.{i}", "stress.excluded", "zz.stress_miss",
         "stress.kept.{i}.deep")
KEPT = (0, 3)           # the indexes of NAMES the recorder keeps
CAPACITY = 4096
CHECK_EVERY = 4096      # events between two looks for the stop file

# Subinterpreter i raises NAMES in turn with args (i, k), k = 0, 1, ...
WORKER = """
import os, sys, warnings
import pyaudit
warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
names = tuple(name.format(i=%(index)d) for name in %(names)r)
audit = sys.audit
k = 0
with pyaudit.count("stress.*") as own:
    while k < %(events)d or not os.path.exists(%(stop)r):
        for k in range(k, k + %(check)d):
            audit(names[k & 3], %(index)d, k)
        k += 1
expected = {name: len(range(at, k, 4)) for at, name in enumerate(names)
            if name.startswith("stress.")}
assert own.counts() == expected, (own.counts(), expected)
report(k)
"""

# What the main interpreter opens and closes, in turn: (kind, patterns,
# interpreters).  Each matches events the subinterpreters raise, none
# denies or drops one of theirs, and each gets one event of the main
# interpreter ("main.stress").
CHURN = (
    ("count", "stress.kept.0", "all"),
    ("count", "stress.*", "all"),
    ("record", "*", "all"),
    ("count", "*, !stress.excluded", "all"),
    ("record", "stress.*, !stress.kept.1.deep", "all"),
    ("watch", "*", "own"),
    ("deny", "main.never, zz.*", "own"),   # theirs are not the main's
    ("deny", "stress.never", "all"),
    ("count", "zz.*", "own"),
)


def give_back_free_memory():
    """Return the free memory malloc keeps to the system (glibc), so that
    RSS measures what is in use: tables that a hook call held a moment
    longer, and recorders closed meanwhile, leave free blocks that glibc
    otherwise keeps resident for a while."""
    try:
        import ctypes
        ctypes.CDLL(None).malloc_trim(0)
    except (ImportError, OSError, AttributeError):
        pass


def rss():
    give_back_free_memory()
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def churn_once(cycle):
    kind, patterns, interpreters = CHURN[cycle % len(CHURN)]
    if kind == "watch":
        sub = pyaudit.watch(patterns, lambda name, args: None)
    elif kind == "record":
        sub = pyaudit.record(patterns, capacity=64,
                             interpreters=interpreters)
    else:
        sub = getattr(pyaudit, kind)(patterns, interpreters=interpreters)
    sys.audit("main.stress", cycle)
    sub.close()


class Check:
    """What the main interpreter's recorder drained: how many, and any
    event that is not what its interpreter raised, in the order it raised
    them (a few, shown)."""

    def __init__(self, ids):
        self.ids = ids
        self.drained = 0
        self.misfits = []
        self.last = {}

    def add(self, events):
        self.drained += len(events)
        for event in events:
            index, k = event.args
            fine = (event.interpreter_id == self.ids[index]
                    and event.name == NAMES[k & 3].format(i=index)
                    and k & 3 in KEPT and k > self.last.get(index, -1))
            self.last[index] = k
            if not fine and len(self.misfits) < 5:
                self.misfits.append([event.name, list(event.args),
                                     event.interpreter_id])


def raised_names(index, raised):
    """{name: n} of the "stress." events subinterpreter index raised."""
    return {NAMES[at].format(i=index): len(range(at, raised, 4))
            for at in range(4) if NAMES[at].startswith("stress.")}


def repetition(interpreters, interps, ids, events, cycles, counter,
               recorder):
    reports = Reports()
    stop = os.path.join(reports.directory, "stop")
    jobs = [(interp, reports.prelude(str(index)) + WORKER % {
                "names": NAMES, "events": events, "index": index,
                "stop": stop, "check": CHECK_EVERY})
            for index, interp in enumerate(interps)]
    counted_before = counter.counts()
    dropped_before = recorder.dropped
    check = Check(ids)
    running = interpreters.start(jobs)
    for cycle in range(cycles):
        churn_once(cycle)
        if cycle % 16 == 0:
            check.add(recorder.drain())
    open(stop, "w").close()
    running.join()
    check.add(recorder.drain())
    raised = collections.Counter()
    for index in range(len(interps)):
        raised.update(raised_names(index, reports.read(str(index))))
    reports.remove()
    counted = collections.Counter(counter.counts())
    counted.subtract(counted_before)
    gc.collect()
    return {"raised": raised, "counted": +counted,
            "kept": sum(n for name, n in raised.items()
                        if name.startswith("stress.kept.")),
            "drained": check.drained, "misfits": check.misfits,
            "dropped": recorder.dropped - dropped_before, "rss": rss()}


def main():
    count, events, cycles, repetitions = map(int, sys.argv[1:5])
    interpreters = subinterpreters_or_skip()
    warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
    results = []
    started = time.perf_counter()
    with pyaudit.count("stress.*", interpreters="all") as counter, \
            pyaudit.record("stress.*, !stress.excluded", capacity=CAPACITY,
                           interpreters="all") as recorder:
        interps = [interpreters.create() for _ in range(count)]
        ids = [interpreters.id_of(interp) for interp in interps]
        for _ in range(repetitions):
            results.append(repetition(interpreters, interps, ids, events,
                                      cycles, counter, recorder))
        # They end while subscriptions of every interpreter are open.
        for interp in interps:
            interpreters.destroy(interp)
        before = counter.counts()
        sys.audit("stress.kept.0", -1, -1)
        after = counter.counts()
        left = recorder.drain()
    print(json.dumps({
        "own_gil": interpreters.own_gil,
        "seconds": time.perf_counter() - started,
        "repetitions": results,
        "after_end": {
            "counted": {name: after[name] - before.get(name, 0)
                        for name in after},
            "drained": [[event.name, list(event.args),
                         event.interpreter_id] for event in left]}}))


if __name__ == "__main__":
    main()
