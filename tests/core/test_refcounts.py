"""Reference counts stay balanced: delivering an event takes no reference
it does not give back, and closing a subscription gives back the ones it
took.

Pinned down here, for watch, record (drained), count and deny, each alone
and all at once, across 100,000 deliveries after a warm-up:

* the refcount of an object inside the event's args is unchanged
  (``sys.audit(name, obj)`` builds a new args tuple each time, so the
  tuple itself cannot be watched; the object it holds can);
* the refcount of the event-name str that pyaudit delivers (the native
  core keeps one interned str per name and hands out new references to
  it) is unchanged;
* the refcount of the watch callback (and of the class ``deny``
  instantiates) is unchanged while delivering, and back to its value from
  before subscribing once the subscription is closed, even while the
  ``Subscription`` object itself is still alive: the core releases what
  it holds on close;
* ``len(gc.get_objects())`` is unchanged (a small fixed slack allows for
  incidental objects; a leak of one object per 1,000 deliveries would
  exceed it a hundred times over).

Both backends, in this process: every test uses its own event names and
closes what it opens.
"""

import gc
import sys

import pyaudit

N = 100000
WARM_UP = 1000
BATCH = 10000          # record: drain every BATCH events
GC_SLACK = 20


class Marker:
    """An object to put inside args: refcounted and tracked by the gc."""


def snapshot(*objects):
    gc.collect()
    return ([sys.getrefcount(obj) for obj in objects],
            len(gc.get_objects()))


def refs(obj):
    """The refcount of obj, once no garbage holds it.  Always taken outside
    ``assert`` statements, whose rewriting by pytest keeps subexpressions
    alive."""
    gc.collect()
    return sys.getrefcount(obj)


def assert_flat(before, after):
    (refs_before, objects_before), (refs_after, objects_after) = \
        before, after
    assert refs_after == refs_before
    assert abs(objects_after - objects_before) <= GC_SLACK, (
        "gc objects went from %d to %d"
        % (objects_before, objects_after))


def test_watch_refcounts(api, ename):
    marker = Marker()
    got = {"calls": 0, "name": None, "bad": 0}

    def on_event(name, args):
        if got["name"] is None:
            got["name"] = name
        if args[0] is not marker:
            got["bad"] += 1
        got["calls"] += 1

    callback_refs = refs(on_event)
    with api.watch(ename, on_event) as sub:
        for _ in range(WARM_UP):
            sys.audit(ename, marker)
        name = got["name"]
        assert name == ename
        before = snapshot(on_event, marker, name)
        for _ in range(N):
            sys.audit(ename, marker)
        after = snapshot(on_event, marker, name)
    assert got["calls"] == WARM_UP + N
    assert got["bad"] == 0
    assert_flat(before, after)
    # Released on close, while ``sub`` still exists.
    assert not sub.active
    callback_refs_after = refs(on_event)
    assert callback_refs_after == callback_refs


def test_record_refcounts(api, ename):
    marker = Marker()
    with api.record(ename, capacity=BATCH) as rec:
        for _ in range(WARM_UP):
            sys.audit(ename, marker)
        events = rec.drain()
        assert len(events) == WARM_UP
        name = events[0].name
        assert name == ename
        del events
        before = snapshot(marker, name)
        for _ in range(N // BATCH):
            for _ in range(BATCH):
                sys.audit(ename, marker)
            events = rec.drain()
            assert len(events) == BATCH
            assert all(e.args[0] is marker for e in events)
            del events
        after = snapshot(marker, name)
        assert rec.dropped == 0
    assert_flat(before, after)


def test_record_refcounts_with_drops(api, ename):
    # Events dropped by a full buffer take no reference either.
    marker = Marker()
    with api.record(ename, capacity=10) as rec:
        for _ in range(WARM_UP):
            sys.audit(ename, marker)
        rec.drain()
        before = snapshot(marker)
        for _ in range(N):
            sys.audit(ename, marker)
        kept = snapshot(marker)[0][0]
        assert kept == before[0][0] + 10    # the kept events' args
        assert len(rec.drain()) == 10
        after = snapshot(marker)
        assert rec.dropped == WARM_UP - 10 + N - 10
    assert_flat(before, after)


def test_record_releases_undrained_events_on_last_reference(api, ename):
    marker = Marker()
    initial = refs(marker)
    rec = api.record(ename, capacity=100)
    for _ in range(50):
        sys.audit(ename, marker)
    rec.close()
    closed = refs(marker)
    assert closed == initial + 50       # still drainable
    del rec
    released = refs(marker)
    assert released == initial


def test_count_refcounts(api, ename):
    marker = Marker()
    with api.count(ename) as counter:
        for _ in range(WARM_UP):
            sys.audit(ename, marker)
        before = snapshot(marker)
        for _ in range(N):
            sys.audit(ename, marker)
        after = snapshot(marker)
    assert counter.counts() == {ename: WARM_UP + N}
    assert_flat(before, after)


def test_deny_refcounts(api, ename):
    marker = Marker()
    denied_class_refs = refs(pyaudit.Denied)
    state = {"name": None, "bad": 0, "denied": 0}

    def attempt():
        try:
            sys.audit(ename, marker)
        except pyaudit.Denied as exc:
            if state["name"] is None:
                state["name"] = exc.event
            if exc.event_args[0] is not marker:
                state["bad"] += 1
            state["denied"] += 1

    with api.deny(ename) as sub:
        for _ in range(WARM_UP):
            attempt()
        name = state["name"]
        assert name == ename
        before = snapshot(marker, name, pyaudit.Denied)
        for _ in range(N):
            attempt()
        after = snapshot(marker, name, pyaudit.Denied)
    assert state["denied"] == WARM_UP + N
    assert state["bad"] == 0
    assert_flat(before, after)
    assert not sub.active
    denied_class_refs_after = refs(pyaudit.Denied)
    assert denied_class_refs_after == denied_class_refs


def test_all_kinds_at_once_refcounts(api, ename):
    # One event served to count, record, watch and deny in turn.
    marker = Marker()
    calls = [0]

    def on_event(name, args):
        calls[0] += 1

    callback_refs = refs(on_event)
    denied_class_refs = refs(pyaudit.Denied)

    def attempt():
        try:
            sys.audit(ename, marker)
        except pyaudit.Denied:
            pass
        else:
            raise AssertionError("not denied")

    with api.count(ename) as counter, \
            api.record(ename, capacity=BATCH) as rec, \
            api.watch(ename, on_event), api.deny(ename):
        for _ in range(WARM_UP):
            attempt()
        name = rec.drain()[0].name
        before = snapshot(marker, on_event, name)
        for _ in range(N // BATCH):
            for _ in range(BATCH):
                attempt()
            events = rec.drain()
            assert len(events) == BATCH
            del events
        after = snapshot(marker, on_event, name)
    assert calls[0] == WARM_UP + N
    assert counter.counts() == {ename: WARM_UP + N}
    assert rec.dropped == 0
    assert_flat(before, after)
    callback_refs_after = refs(on_event)
    assert callback_refs_after == callback_refs
    denied_class_refs_after = refs(pyaudit.Denied)
    assert denied_class_refs_after == denied_class_refs


def test_callback_refcount_returns_after_many_subscriptions(api, ename):
    # Subscribing and closing (and delivering in between) many times
    # leaves the callback as it was.
    def on_event(name, args):
        pass

    initial = refs(on_event)
    subs = []
    for i in range(1000):
        sub = api.watch(ename, on_event)
        sys.audit(ename, i)
        sub.close()
        subs.append(sub)        # closed, but still referenced
    closed = refs(on_event)
    assert closed == initial
    del subs, sub
    released = refs(on_event)
    assert released == initial
