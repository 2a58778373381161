"""Sustained load from many threads: nothing is lost, nothing is counted
twice, and a full recorder accounts for every event it could not keep.

Pinned down here, with watch, record and count subscriptions all live on
the same events at once and one more thread draining the recorder the
whole time:

* ``count`` is exact: one per event raised, per name, whatever the number
  of threads (both the per-name cells of exact keys and the counters of
  prefix patterns, and names that only counters want);
* a watch callback runs once per matching event, on the raising thread;
* ``record`` never blocks and never grows: every matching event is either
  drained (once, in its thread's order, with its own name, args and
  thread) or counted in ``dropped``, so drained + dropped == produced.
  The capacity is far below the total and the drainer waits for the first
  drop before it starts, so drops are certain, not a matter of timing.

The native backend takes 8 threads x 125,000 events (1,000,000 in all);
the pure-Python backend, whose hook is Python code and an order of
magnitude slower, takes 8 x 10,000 with a proportionally smaller capacity,
so the same paths (drops included) are exercised in about a second.  Its
drainer also pauses 1 ms between drains: with a drainer spinning on the
GIL, the pure-Python backend's per-subscription locks can fall into a
convoy with the GIL (seen: every producer queued on a counter's lock, the
run taking minutes instead of a fraction of a second).

No timing assertions: the timeouts only keep a deadlock from hanging the
run, and reaching one is a failure.
"""

import sys
import threading
import time

THREADS = 8
GUARD = 300  # seconds; only a deadlock reaches it

# backend -> (events per thread, recorder capacity, drainer's pause
# between drains in seconds)
SIZES = {
    "native": (125000, 50000, 0),
    "python": (10000, 4000, 0.001),
}


def test_load_counts_exact_and_records_accounted(api, ename):
    per_thread, capacity, pause = SIZES[api.backend]
    total = THREADS * per_thread

    all_kinds = ename + ".all"          # exact key of every subscription
    count_only = ename + ".count_only"  # only counters want it
    own = ["%s.t.%d" % (ename, i) for i in range(THREADS)]  # prefix keys

    # Thread i raises names[i][seq % 3] with args (i, seq).
    names = [(all_kinds, count_only, own[i]) for i in range(THREADS)]
    per_slot = [len(range(k, per_thread, 3)) for k in range(3)]
    watched_per_thread = per_slot[0] + per_slot[2]

    # Per-thread slots: a callback only ever touches the slot of the
    # thread that raised the event, so no lock is needed for exactness,
    # and a callback run on the wrong thread would show as a lost update.
    hits = [0] * THREADS
    idents = [None] * THREADS

    def on_event(name, args):
        hits[args[0]] += 1

    barrier = threading.Barrier(THREADS)
    errors = []

    def produce(index):
        try:
            idents[index] = threading.get_ident()
            mine = names[index]
            audit = sys.audit
            barrier.wait(GUARD)
            for seq in range(per_thread):
                audit(mine[seq % 3], index, seq)
        except BaseException as exc:    # reported below
            errors.append(exc)

    producers_done = threading.Event()
    drained = [0]
    last_seq = [-1] * THREADS
    bad_events = []

    def check(events):
        for event in events:
            index, seq = event.args
            if (event.name != names[index][seq % 3]
                    or event.thread_id != idents[index]
                    or seq <= last_seq[index]):
                bad_events.append(event)
            last_seq[index] = seq
        drained[0] += len(events)

    def drain_continuously():
        try:
            # Wait for the buffer to overflow once, so that drops surely
            # happen (capacity < matching events), then drain until the
            # producers are done.
            while rec.dropped == 0 and not producers_done.is_set():
                time.sleep(0.001)
            while not producers_done.is_set():
                check(rec.drain())
                if pause:
                    time.sleep(pause)
        except BaseException as exc:    # reported below
            errors.append(exc)

    with api.count(ename + ".*") as by_prefix, \
            api.count([all_kinds, count_only]) as by_name, \
            api.record([all_kinds, ename + ".t.*"],
                       capacity=capacity) as rec, \
            api.watch([all_kinds, ename + ".t.*"], on_event):
        drainer = threading.Thread(target=drain_continuously, daemon=True)
        threads = [threading.Thread(target=produce, args=(i,), daemon=True)
                   for i in range(THREADS)]
        drainer.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(GUARD)
        producers_done.set()
        drainer.join(GUARD)
        assert not any(t.is_alive() for t in threads + [drainer]), \
            "deadlock?"
        assert errors == []
        check(rec.drain())

    assert bad_events == []

    # count: exact, per name and in total.
    expected = {all_kinds: THREADS * per_slot[0],
                count_only: THREADS * per_slot[1]}
    assert by_name.counts() == expected
    expected.update({own[i]: per_slot[2] for i in range(THREADS)})
    assert by_prefix.counts() == expected
    assert sum(by_prefix.counts().values()) == total

    # watch: once per matching event, each on its own thread.
    assert hits == [watched_per_thread] * THREADS

    # record: kept or dropped, never both, never neither.
    produced = THREADS * watched_per_thread
    assert rec.dropped > 0
    assert drained[0] > 0
    assert drained[0] + rec.dropped == produced
    assert rec.drain() == []

    # Closed: nothing more arrives anywhere.
    sys.audit(all_kinds, 0, 0)
    assert sum(by_prefix.counts().values()) == total
    assert hits == [watched_per_thread] * THREADS
    assert rec.drain() == []
