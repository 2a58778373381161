"""Subscription lifetime: close, ``with``, ``active``, ``subscriptions()``,
staying alive without references, changes made from inside a callback,
the reentrancy rule, and Recorder/Counter after close.
"""

import gc
import sys

import pytest

import pyaudit

KINDS = ("watch", "record", "count", "deny")


def noop(name, args):
    pass


def subscribe(api, kind, patterns, callback=noop):
    if kind == "watch":
        return api.watch(patterns, callback)
    return getattr(api, kind)(patterns)


def new_infos(api, before):
    """The subscriptions listed now that were not listed in ``before``."""
    old = set(before)
    return [info for info in api.subscriptions() if info not in old]


# -- close, with, active ------------------------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_close_is_idempotent(api, kind, ename):
    sub = subscribe(api, kind, ename)
    assert sub.active is True
    sub.close()
    assert sub.active is False
    sub.close()
    assert sub.active is False


@pytest.mark.parametrize("kind", KINDS)
def test_with_returns_the_subscription_and_closes_it(api, kind, ename):
    sub = subscribe(api, kind, ename)
    with sub as entered:
        assert entered is sub
        assert sub.active
    assert not sub.active


@pytest.mark.parametrize("kind", KINDS)
def test_with_closes_on_exception_and_lets_it_through(api, kind, ename):
    with pytest.raises(KeyError):
        with subscribe(api, kind, ename) as sub:
            raise KeyError("through")
    assert not sub.active


def test_closed_subscriptions_receive_nothing(api, ename):
    calls = []
    watch = api.watch(ename, lambda name, args: calls.append(name))
    rec = api.record(ename)
    counter = api.count(ename)
    deny = api.deny(ename)
    for sub in (watch, rec, counter, deny):
        sub.close()
    sys.audit(ename)                     # not denied
    assert calls == []
    assert rec.drain() == []
    assert counter.counts() == {}


@pytest.mark.parametrize("kind", KINDS)
def test_repr_does_not_fail(api, kind, ename):
    with subscribe(api, kind, ename) as sub:
        assert isinstance(repr(sub), str)
    assert isinstance(repr(sub), str)


# -- subscriptions() ------------------------------------------------------

def test_subscriptions_lists_live_ones_oldest_first(api, ename):
    before = api.subscriptions()
    made = [
        ("watch", api.watch(ename + ".w", noop)),
        ("record", api.record(" %s.r , %s.r2.* " % (ename, ename))),
        ("count", api.count([ename + ".c", "!" + ename + ".c.x"])),
        ("deny", api.deny(ename + ".d")),
    ]
    try:
        infos = new_infos(api, before)
        assert all(isinstance(info, pyaudit.SubscriptionInfo)
                   for info in infos)
        assert [(info.kind, info.patterns) for info in infos] == [
            ("watch", (ename + ".w",)),
            ("record", (ename + ".r", ename + ".r2.*")),
            ("count", (ename + ".c", "!" + ename + ".c.x")),
            ("deny", (ename + ".d",)),
        ]
        ids = [info.id for info in infos]
        assert all(type(i) is int for i in ids)
        assert len(set(ids)) == 4
        assert not set(ids) & {info.id for info in before}

        made[1][1].close()                          # the record
        assert [info.kind for info in new_infos(api, before)] == [
            "watch", "count", "deny"]
        assert [info.id for info in new_infos(api, before)] == [
            ids[0], ids[2], ids[3]]
    finally:
        for _, sub in made:
            sub.close()
    assert new_infos(api, before) == []
    assert api.subscriptions() == before


def test_new_subscription_listed_after_older_ones(api, ename):
    before = api.subscriptions()
    with api.count(ename + ".a") as first:
        with api.count(ename + ".b"):
            first.close()
            with api.count(ename + ".c"):
                assert [info.patterns for info in new_infos(api, before)] == [
                    (ename + ".b",), (ename + ".c",)]


def test_ids_are_not_reused(api, ename):
    seen = set()
    for _ in range(5):
        before = api.subscriptions()
        with api.count(ename):
            (info,) = new_infos(api, before)
        assert info.id not in seen
        seen.add(info.id)


# -- alive without references ------------------------------------------------

def test_dropped_watch_keeps_delivering(api, ename):
    # This subscription is left open on purpose (there is no way to close
    # it once dropped); its event name is used by this test only.
    calls = []
    before = api.subscriptions()
    sub = api.watch(ename, lambda name, args: calls.append(name))
    (info,) = new_infos(api, before)
    del sub
    gc.collect()
    sys.audit(ename)
    assert calls == [ename]
    assert info in api.subscriptions()


def test_dropped_deny_keeps_denying(api, ename):
    # Left open on purpose; see test_dropped_watch_keeps_delivering.
    api.deny(ename)
    gc.collect()
    with pytest.raises(pyaudit.Denied):
        sys.audit(ename)


def test_dropped_count_stays_listed(api, ename):
    # Left open on purpose; see test_dropped_watch_keeps_delivering.
    before = api.subscriptions()
    api.count(ename)
    gc.collect()
    sys.audit(ename)
    assert [(i.kind, i.patterns) for i in new_infos(api, before)] == [
        ("count", (ename,))]


# -- Recorder and Counter after close -------------------------------------

def test_closed_recorder_still_drains(api, ename):
    with api.record(ename, capacity=2) as rec:
        for seq in range(3):
            sys.audit(ename, seq)
    sys.audit(ename, "after close")
    assert rec.dropped == 1
    assert [e.args for e in rec.drain()] == [(0,), (1,)]
    assert rec.drain() == []
    assert rec.capacity == 2


def test_closed_counter_still_counts(api, ename):
    with api.count(ename) as counter:
        sys.audit(ename)
        sys.audit(ename)
    sys.audit(ename)
    assert counter.counts() == {ename: 2}


# -- subscribing from inside a callback --------------------------------------

@pytest.mark.parametrize("kind", KINDS)
def test_subscribed_in_callback_gets_later_events_only(api, kind, ename):
    made = []
    seen = []

    def on_event(name, args):
        if not made:
            made.append(subscribe(api, kind, ename + ".*",
                                  lambda n, a: seen.append(n)))

    with api.watch(ename + ".*", on_event):
        sys.audit(ename + ".first")             # creates the subscription
        assert len(made) == 1
        sub = made[0]
        try:
            if kind == "deny":
                with pytest.raises(pyaudit.Denied):
                    sys.audit(ename + ".second")
            else:
                sys.audit(ename + ".second")
        finally:
            sub.close()
    second = [ename + ".second"]
    if kind == "watch":
        assert seen == second
    elif kind == "record":
        assert [e.name for e in sub.drain()] == second
    elif kind == "count":
        assert sub.counts() == {ename + ".second": 1}


# -- closing from inside a callback --------------------------------------

def test_callback_closing_itself_stops_at_once(api, ename):
    calls = []
    holder = {}

    def once(name, args):
        calls.append(name)
        holder["sub"].close()

    with api.watch(ename + ".*", once) as sub:
        holder["sub"] = sub
        sys.audit(ename + ".a")
        assert not sub.active
        sys.audit(ename + ".b")
    assert calls == [ename + ".a"]


def test_closing_a_later_watch_skips_it_for_this_event(api, ename):
    later_calls = []
    holder = {}

    def closer(name, args):
        holder["later"].close()

    with api.watch(ename, closer), \
            api.watch(ename, lambda n, a: later_calls.append(n)) as later:
        holder["later"] = later
        sys.audit(ename)
        sys.audit(ename)
    assert later_calls == []


def test_closing_an_earlier_watch_keeps_this_event(api, ename):
    earlier_calls = []
    holder = {}

    def closer(name, args):
        holder["earlier"].close()

    with api.watch(ename, lambda n, a: earlier_calls.append(n)) as earlier, \
            api.watch(ename, closer):
        holder["earlier"] = earlier
        sys.audit(ename)       # earlier was served before closer ran
        sys.audit(ename)       # now it is closed
    assert earlier_calls == [ename]


def test_closing_a_deny_in_callback_lets_this_event_through(api, ename):
    holder = {}

    def closer(name, args):
        holder["deny"].close()

    deny = api.deny(ename)
    holder["deny"] = deny
    try:
        with api.watch(ename, closer):
            sys.audit(ename)     # deny comes after watch: closed in time
        assert not deny.active
        sys.audit(ename)
    finally:
        deny.close()


def test_closing_count_and_record_in_callback(api, ename):
    # Both were served before the watch ran: this event is kept, later
    # ones are not.
    holder = {}

    def closer(name, args):
        holder["count"].close()
        holder["record"].close()

    with api.count(ename) as counter, api.record(ename) as rec, \
            api.watch(ename, closer):
        holder.update(count=counter, record=rec)
        sys.audit(ename, 1)
        sys.audit(ename, 2)
    assert counter.counts() == {ename: 1}
    assert [e.args for e in rec.drain()] == [(1,)]


# -- reentrancy ---------------------------------------------------------------

def test_events_raised_in_a_callback_skip_every_watch(api, ename):
    inner = ename + ".inner"
    outer_calls = []
    other_calls = []

    def outer(name, args):
        outer_calls.append(name)
        if name == ename + ".outer":
            sys.audit(inner)

    with api.watch(ename + ".*", outer), \
            api.watch(inner, lambda n, a: other_calls.append(n)):
        sys.audit(ename + ".outer")
        assert outer_calls == [ename + ".outer"]
        assert other_calls == []
        sys.audit(inner)               # outside a callback: delivered
    assert outer_calls == [ename + ".outer", inner]
    assert other_calls == [inner]


def test_events_raised_in_a_callback_still_counted_recorded(api, ename):
    inner = ename + ".inner"

    def outer(name, args):
        sys.audit(inner, "from callback")

    with api.count(inner) as counter, api.record(inner) as rec, \
            api.watch(ename + ".outer", outer):
        sys.audit(ename + ".outer")
    assert counter.counts() == {inner: 1}
    assert [(e.name, e.args) for e in rec.drain()] == [
        (inner, ("from callback",))]


def test_events_raised_in_a_callback_are_still_denied(api, ename):
    inner = ename + ".inner"
    caught = []

    def outer(name, args):
        try:
            sys.audit(inner)
        except pyaudit.Denied as exc:
            caught.append(exc.event)

    with api.deny(inner), api.watch(ename + ".outer", outer):
        sys.audit(ename + ".outer")
    assert caught == [inner]


def test_denied_in_callback_propagates_if_not_caught(api, ename):
    inner = ename + ".inner"

    def outer(name, args):
        sys.audit(inner)

    with api.deny(inner), api.watch(ename + ".outer", outer):
        with pytest.raises(pyaudit.Denied):
            sys.audit(ename + ".outer")
        sys.audit(ename + ".other")   # watching still works afterwards


def test_subscribed_in_callback_then_raised_in_callback(api, ename):
    # A count made inside a callback counts an event raised later in that
    # same callback; a watch made there does not see it (reentrancy).
    inner = ename + ".inner"
    made = {}
    watched = []

    def outer(name, args):
        made["count"] = api.count(inner)
        made["watch"] = api.watch(inner, lambda n, a: watched.append(n))
        sys.audit(inner)

    try:
        with api.watch(ename + ".outer", outer):
            sys.audit(ename + ".outer")
        assert made["count"].counts() == {inner: 1}
        assert watched == []
        sys.audit(inner)
        assert watched == [inner]
    finally:
        for sub in made.values():
            sub.close()


def test_real_operation_in_callback_not_watched(api, ename, tmp_path):
    target = str(tmp_path / "from-callback.txt")
    opens = []

    def outer(name, args):
        with open(target, "w") as handle:
            handle.write("x")

    with api.watch("open", lambda n, a: opens.append(a[0])), \
            api.record("open") as rec, api.watch(ename, outer):
        sys.audit(ename)
    assert target not in opens
    assert [e.args[0] for e in rec.drain()].count(target) == 1
