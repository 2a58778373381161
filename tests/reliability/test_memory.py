"""Memory stays flat under sustained use: nothing leaks per event and
nothing leaks per subscription.

Pinned down here, each in a fresh child interpreter (so that no other
test's objects or caches move the numbers), after a warm-up phase that
fills every cache and free list, measured before and after:

* recording and draining 1,000,000 events (drained every 10,000, with a
  new args object per event) leaves the process's resident memory (RSS,
  from /proc/self/statm) within 2 MiB and the memory tracemalloc traces
  within 256 KiB of where they were: the record buffer is allocated once
  and releases each event's name and args when drained;
* 100,000 subscribe/close cycles (watch, record, count and deny in turn,
  each delivering one event, next to long-lived subscriptions) stay within
  the same bounds: a closed subscription frees its table, buffer, counters
  and callback.

RSS and tracemalloc are measured in separate children: RSS without
tracemalloc's own bookkeeping, tracemalloc to see Python allocations that
RSS might hide in a free list.  The pure-Python backend is about ten
times slower, so it runs 200,000 events and 20,000 cycles.  The children
run two at a time.

The cycles subscribe to names from CPython's events catalog (syslog,
smtplib, poplib, ftplib: modules the child never uses, so only its own
``sys.audit`` calls raise them), because subscribing to a name the catalog
does not know computes a did-you-mean suggestion each time, which would
dominate the run.
"""

import concurrent.futures
import json
import os

import pytest

from support import run_python

RSS_SLACK = 2 * 1024 * 1024
TRACED_SLACK = 256 * 1024

# (backend, scenario) -> (measured iterations, warm-up iterations)
SIZES = {
    ("native", "record"): (1000000, 30000),
    ("native", "cycles"): (100000, 4000),
    ("python", "record"): (200000, 20000),
    ("python", "cycles"): (20000, 2000),
}
MEASURES = ("rss", "tracemalloc")

CHILD = r"""
import gc
import json
import os
import sys
import tracemalloc
import warnings

import pyaudit

warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
backend, scenario, measure = sys.argv[1:4]
count, warm_up = int(sys.argv[4]), int(sys.argv[5])
api = pyaudit._api_for(backend)
audit = sys.audit
BATCH = 10000
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


rec = api.record("pyaudit_memory.recorded", capacity=BATCH)


def record_and_drain(n):
    base = 1 << 40      # a new int object per event
    for start in range(0, n, BATCH):
        for seq in range(start, start + BATCH):
            audit("pyaudit_memory.recorded", base + seq)
        events = rec.drain()
        assert len(events) == BATCH, len(events)
        assert events[-1].args == (base + start + BATCH - 1,), events[-1]
    assert rec.dropped == 0


def on_event(name, args):
    pass


# Long-lived subscriptions: every table the cycles compile lists them too.
keep = [api.count("shutil.*"), api.watch("glob.glob", on_event),
        api.record("syslog.openlog", capacity=4)]


def subscribe_and_close(n):
    for i in range(n):
        kind = i % 4
        if kind == 0:
            calls = []
            sub = api.watch("syslog.*", lambda name, args: calls.append(1))
            audit("syslog.syslog", i)
            assert calls == [1]
        elif kind == 1:
            sub = api.record(["smtplib.connect", "smtplib.send"],
                             capacity=16)
            audit("smtplib.send", i)
        elif kind == 2:
            sub = api.count("poplib.connect")
            audit("poplib.connect", i)
        else:
            sub = api.deny("ftplib.*")
            try:
                audit("ftplib.sendcmd", i)
            except pyaudit.Denied:
                pass
            else:
                raise AssertionError("not denied")
        sub.close()
        if kind == 1:
            assert [e.args for e in sub.drain()] == [(i,)]
        elif kind == 2:
            assert sub.counts() == {"poplib.connect": 1}


work = {"record": record_and_drain, "cycles": subscribe_and_close}[scenario]
if measure == "tracemalloc":
    tracemalloc.start()
    used = lambda: tracemalloc.get_traced_memory()[0]
else:
    used = rss
work(warm_up)
gc.collect()
before = used()
work(count)
gc.collect()
after = used()
print(json.dumps({"before": before, "after": after}))
"""


def run_child(backend, scenario, measure):
    count, warm_up = SIZES[backend, scenario]
    rc, out, err = run_python(CHILD, backend=backend,
                              args=(backend, scenario, measure, count,
                                    warm_up), timeout=600)
    return rc, out, err


@pytest.fixture(scope="module")
def measurements():
    """Every child's result, keyed by (backend, scenario, measure); the
    children run two at a time, so the slowest sets the wall time."""
    keys = [(b, s, m) for (b, s) in SIZES for m in MEASURES]
    # Longest first, so that the pool of two finishes together.
    keys.sort(key=lambda k: (k[2] != "tracemalloc", k[0] != "native",
                             k[1] != "record"))
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {key: pool.submit(run_child, *key) for key in keys}
        return {key: future.result() for key, future in futures.items()}


pytestmark = pytest.mark.skipif(
    not os.path.exists("/proc/self/statm"),
    reason="RSS is read from /proc/self/statm (Linux only)")


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("scenario", ["record", "cycles"])
def test_memory_stays_flat(measurements, backend, scenario, measure):
    if measure == "rss" and "asan" in os.environ.get("LD_PRELOAD", ""):
        pytest.skip("under AddressSanitizer, freed memory stays in its "
                    "quarantine, so RSS says nothing about leaks; "
                    "tracemalloc still runs")
    rc, out, err = measurements[backend, scenario, measure]
    assert rc == 0, ("child exited with %d\n--- stdout ---\n%s\n"
                     "--- stderr ---\n%s" % (rc, out, err))
    result = json.loads(out.strip().splitlines()[-1])
    growth = result["after"] - result["before"]
    slack = RSS_SLACK if measure == "rss" else TRACED_SLACK
    count = SIZES[backend, scenario][0]
    assert growth < slack, (
        "%s grew by %d bytes across %d %s (from %d to %d)"
        % (measure, growth, count,
           "events" if scenario == "record" else "cycles",
           result["before"], result["after"]))
