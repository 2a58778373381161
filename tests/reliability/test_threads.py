"""Many threads raising events at once: nothing lost or double-counted,
records attributed to the right thread, the reentrancy rule per thread.

No timing assertions: the timeouts below only keep a deadlock from
hanging the run, and a timeout is reported as a failure.
"""

import sys
import threading

import pyaudit

THREADS = 8
PER_THREAD = 20000
GUARD = 120  # seconds; only a deadlock reaches it


def run_threads(target, count=THREADS):
    """Run ``target(index)`` in ``count`` threads started together;
    re-raise the first exception any of them raised."""
    barrier = threading.Barrier(count)
    errors = []

    def body(index):
        try:
            barrier.wait(GUARD)
            target(index)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=body, args=(i,), daemon=True)
               for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(GUARD)
    assert not any(thread.is_alive() for thread in threads), "deadlock?"
    if errors:
        raise errors[0]


def test_count_is_exact_across_threads(api, ename):
    shared = ename + ".shared"

    def produce(index):
        own = "%s.t%d" % (ename, index)
        for _ in range(PER_THREAD):
            sys.audit(shared)
            sys.audit(own)

    with api.count(ename + ".*") as counter:
        run_threads(produce)
    expected = {"%s.t%d" % (ename, i): PER_THREAD for i in range(THREADS)}
    expected[shared] = THREADS * PER_THREAD
    assert counter.counts() == expected


def test_record_without_drops_keeps_every_event_in_thread_order(api, ename):
    per_thread = 5000
    idents = {}

    def produce(index):
        idents[index] = threading.get_ident()
        for seq in range(per_thread):
            sys.audit(ename, index, seq)

    with api.record(ename, capacity=THREADS * per_thread) as rec:
        run_threads(produce)
    events = rec.drain()
    assert rec.dropped == 0
    assert len(events) == THREADS * per_thread
    by_thread = {}
    for event in events:
        index, seq = event.args
        assert event.thread_id == idents[index]
        by_thread.setdefault(index, []).append(seq)
    assert by_thread == {i: list(range(per_thread)) for i in range(THREADS)}


def test_record_drained_plus_dropped_equals_produced(api, ename):
    produced_per_thread = PER_THREAD // 4
    drained = []
    stop = threading.Event()

    def produce(index):
        for seq in range(produced_per_thread):
            sys.audit(ename, index, seq)

    def drainer():
        while not stop.is_set():
            drained.extend(rec.drain())

    with api.record(ename, capacity=500) as rec:
        draining = threading.Thread(target=drainer, daemon=True)
        draining.start()
        try:
            run_threads(produce)
        finally:
            stop.set()
            draining.join(GUARD)
        assert not draining.is_alive(), "deadlock?"
        drained.extend(rec.drain())
    assert len(drained) + rec.dropped == THREADS * produced_per_thread
    # What was kept is kept once, and in each thread's order.
    by_thread = {}
    for event in drained:
        index, seq = event.args
        by_thread.setdefault(index, []).append(seq)
    for seqs in by_thread.values():
        assert seqs == sorted(set(seqs))


def test_watch_callbacks_run_on_the_raising_thread(api, ename):
    per_thread = 2000
    calls = []

    def on_event(name, args):
        calls.append((args[0], threading.get_ident()))

    def produce(index):
        me = threading.get_ident()
        for _ in range(per_thread):
            sys.audit(ename, me)

    with api.watch(ename, on_event):
        run_threads(produce)
    assert len(calls) == THREADS * per_thread
    assert all(raiser == runner for raiser, runner in calls)
    assert len({raiser for raiser, _ in calls}) == THREADS


def test_record_and_watch_agree_on_thread(api, ename):
    seen = []

    def produce(index):
        for _ in range(100):
            sys.audit(ename, index)

    with api.record(ename) as rec, api.watch(
            ename, lambda n, a: seen.append((a, threading.get_ident()))):
        run_threads(produce)
    events = rec.drain()
    assert sorted((id(e.args), e.thread_id) for e in events) == sorted(
        (id(args), ident) for args, ident in seen)


def test_deny_in_every_thread(api, ename):
    denied = []

    def produce(index):
        for _ in range(100):
            try:
                sys.audit(ename)
            except pyaudit.Denied as exc:
                denied.append(exc.event)

    with api.deny(ename):
        run_threads(produce)
    assert denied == [ename] * (THREADS * 100)


def test_subscribing_and_closing_while_threads_raise(api, ename):
    # A counter open throughout stays exact while other subscriptions on
    # the same events come and go.
    per_thread = 5000
    stop = threading.Event()
    churn_errors = []

    def churn():
        try:
            while not stop.is_set():
                with api.count(ename), api.record(ename, capacity=4), \
                        api.watch(ename, lambda n, a: None):
                    pass
        except BaseException as exc:
            churn_errors.append(exc)

    def produce(index):
        for _ in range(per_thread):
            sys.audit(ename)

    with api.count(ename) as counter:
        churner = threading.Thread(target=churn, daemon=True)
        churner.start()
        try:
            run_threads(produce, count=4)
        finally:
            stop.set()
            churner.join(GUARD)
    assert not churner.is_alive(), "deadlock?"
    assert churn_errors == []
    assert counter.counts() == {ename: 4 * per_thread}


def test_reentrancy_is_per_thread(api, ename):
    # Thread A sits inside a watch callback; meanwhile thread B's events
    # still reach watch callbacks, while A's own nested event does not.
    a_inside = threading.Event()
    b_done = threading.Event()
    calls = []
    errors = []
    idents = {}

    def on_event(name, args):
        calls.append((name, threading.get_ident()))
        if name == ename + ".a":
            a_inside.set()
            if not b_done.wait(GUARD):
                errors.append("thread B's event never came back")
            sys.audit(ename + ".a_nested")

    def thread_a():
        idents["a"] = threading.get_ident()
        sys.audit(ename + ".a")

    def thread_b():
        idents["b"] = threading.get_ident()
        if not a_inside.wait(GUARD):
            errors.append("thread A never entered its callback")
        sys.audit(ename + ".b")
        b_done.set()

    with api.watch(ename + ".*", on_event), api.count(ename + ".*") as cnt:
        threads = [threading.Thread(target=thread_a, daemon=True),
                   threading.Thread(target=thread_b, daemon=True)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(GUARD)
        assert not any(thread.is_alive() for thread in threads), "deadlock?"
    assert errors == []
    assert sorted(calls) == sorted([(ename + ".a", idents["a"]),
                                    (ename + ".b", idents["b"])])
    assert cnt.counts() == {ename + ".a": 1, ename + ".b": 1,
                            ename + ".a_nested": 1}
