"""Watch callbacks that do hostile things: pyaudit neither crashes nor
loses its footing, and the delivery rules still hold.

Pinned down here, on both backends:

* a callback raising ``KeyboardInterrupt`` or ``SystemExit`` (not
  ``Exception`` subclasses) propagates that very exception out of the
  audited call, which is aborted (later subscriptions, deny included, do
  not see the event); the subscription stays open and delivers the next
  event;
* a callback closing its own subscription gets nothing more; one closing
  another subscription stops that one at once, even within the current
  event;
* a callback opening subscriptions (many at once, so the table is
  rebuilt under the delivery in progress) makes them see the next events,
  not the current one; closing them all again from a callback is fine;
* a callback draining a recorder that receives the same event gets that
  event (record is served before watch) and nothing twice;
* a callback that is the last reference to its own object (a bound
  method of an object only its subscription holds) closing that
  subscription from inside: no crash, the object is freed afterwards;
  and when freeing it raises an event (``__del__``), that event is
  counted;
* a callback raising events itself: those are not delivered to watch
  callbacks again on the same thread (no recursion), while count and
  record still see them and deny still refuses them.
"""

import gc
import sys
import weakref

import pytest

import pyaudit


class Calls:
    """A watch callback that remembers (name, args) pairs."""

    def __init__(self):
        self.calls = []

    def __call__(self, name, args):
        self.calls.append((name, args))


# -- KeyboardInterrupt and SystemExit ----------------------------------------

@pytest.mark.parametrize("exception", [KeyboardInterrupt, SystemExit])
def test_base_exception_propagates_and_subscription_survives(
        api, ename, exception):
    raised = exception("from the callback")
    later = Calls()

    def on_event(name, args):
        if args == ("raise",):
            raise raised

    with api.count(ename) as counter, api.watch(ename, on_event) as sub, \
            api.watch(ename, later), api.deny(ename + ".never"):
        with pytest.raises(exception) as info:
            sys.audit(ename, "raise")
        assert info.value is raised
        assert sub.active
        # Counted (served first), but later watchers never saw it.
        assert counter.counts() == {ename: 1}
        assert later.calls == []
        sys.audit(ename, "fine")
        assert later.calls == [(ename, ("fine",))]
        assert counter.counts() == {ename: 2}


@pytest.mark.parametrize("exception", [KeyboardInterrupt, SystemExit])
def test_base_exception_aborts_the_operation(api, ename, exception):
    # A real audited operation (compile raises "compile") does not happen.
    def on_event(name, args):
        if args and args[1] == ename:
            raise exception()

    with api.watch("compile", on_event):
        with pytest.raises(exception):
            compile("x = 1", ename, "exec")
        code = compile("x = 1", ename + ".ok", "exec")
    assert code.co_filename == ename + ".ok"


@pytest.mark.parametrize("exception", [KeyboardInterrupt, SystemExit])
def test_base_exception_many_times(api, ename, exception):
    def on_event(name, args):
        raise exception()

    with api.watch(ename, on_event) as sub, api.count(ename) as counter:
        for _ in range(1000):
            with pytest.raises(exception):
                sys.audit(ename)
        assert sub.active
    assert counter.counts() == {ename: 1000}


# -- closing ------------------------------------------------------------------

def test_callback_closes_its_own_subscription(api, ename):
    calls = []
    holder = {}

    def on_event(name, args):
        calls.append(args)
        holder["sub"].close()
        holder["sub"].close()       # twice is fine

    with api.count(ename) as counter, api.record(ename) as rec:
        holder["sub"] = api.watch(ename, on_event)
        sys.audit(ename, 1)
        assert not holder["sub"].active
        sys.audit(ename, 2)
        assert calls == [(1,)]
        assert counter.counts() == {ename: 2}
        assert [e.args for e in rec.drain()] == [(1,), (2,)]
        assert holder["sub"] not in api.subscriptions()


def test_callback_closes_a_later_subscription_mid_event(api, ename):
    first_calls, second = [], Calls()
    holder = {}

    def first(name, args):
        first_calls.append(args)
        holder["second"].close()

    with api.watch(ename, first):
        holder["second"] = api.watch(ename, second)
        sys.audit(ename, 1)
        sys.audit(ename, 2)
    assert first_calls == [(1,), (2,)]
    assert second.calls == []       # not even the rest of event 1


def test_callback_closes_every_subscription(api, ename):
    # Including the counter and recorder already served for this event,
    # and a deny that would have refused it.
    holder = []

    def on_event(name, args):
        for sub in holder:
            sub.close()

    counter = api.count(ename)
    rec = api.record(ename)
    watcher = api.watch(ename, on_event)
    denier = api.deny(ename)
    holder.extend([counter, rec, watcher, denier])
    sys.audit(ename, 1)         # not denied: closed before its turn
    sys.audit(ename, 2)
    assert not any(sub.active for sub in holder)
    assert counter.counts() == {ename: 1}
    assert [e.args for e in rec.drain()] == [(1,)]


# -- opening --------------------------------------------------------------

def test_callback_opens_subscriptions(api, ename):
    opened = []
    late = Calls()

    def on_event(name, args):
        if args == ("open",):
            # Many, so that the table is rebuilt many times while this
            # delivery still uses the old one.
            for _ in range(50):
                opened.append(api.watch(ename, late))
            opened.append(api.count(ename))
            opened.append(api.record(ename))
        elif args == ("close",):
            for sub in opened:
                sub.close()

    with api.watch(ename, on_event):
        sys.audit(ename, "open")
        assert late.calls == []         # not the current event
        assert len(opened) == 52
        sys.audit(ename, "next")
        # Each of the 50 watchers got it once: watch callbacks opened by
        # a callback run outside it.
        assert late.calls == [(ename, ("next",))] * 50
        sys.audit(ename, "close")
        assert not any(sub.active for sub in opened)
        sys.audit(ename, "after")
    # "close" reached the callback first, which closed them all before
    # their turn; the counter and recorder were served before it.
    assert len(late.calls) == 50
    assert opened[50].counts() == {ename: 2}
    assert [e.args for e in opened[51].drain()] == [("next",), ("close",)]


def test_callback_opens_and_closes_in_one_call(api, ename):
    calls = Calls()

    def on_event(name, args):
        for _ in range(20):
            with api.watch(ename, calls), api.count(ename), \
                    api.record(ename, capacity=1), api.deny(ename):
                pass

    with api.watch(ename, on_event), api.count(ename) as counter:
        for i in range(100):
            sys.audit(ename, i)
    assert calls.calls == []
    assert counter.counts() == {ename: 100}


# -- draining -----------------------------------------------------------------

def test_callback_drains_the_recorder_receiving_the_same_event(api, ename):
    drained = []

    def on_event(name, args):
        drained.append([e.args for e in rec.drain()])

    with api.record(ename, capacity=1) as rec, api.watch(ename, on_event):
        for i in range(100):
            sys.audit(ename, i)
        assert rec.drain() == []
    assert drained == [[(i,)] for i in range(100)]
    assert rec.dropped == 0


def test_callback_drains_while_its_own_events_are_recorded(api, ename):
    # The drain itself raises events into the same recorder.
    drained = []

    def on_event(name, args):
        if args[0] == "outer":
            sys.audit(ename, "inner", 1)
            drained.extend(e.args for e in rec.drain())
            sys.audit(ename, "inner", 2)

    with api.record(ename) as rec, api.watch(ename, on_event):
        sys.audit(ename, "outer", 0)
        rest = [e.args for e in rec.drain()]
    assert drained == [("outer", 0), ("inner", 1)]
    assert rest == [("inner", 2)]


# -- the last reference -----------------------------------------------------

class SelfClosing:
    """Only its own subscription refers to it (through the bound method);
    it closes that subscription from inside the callback."""

    def __init__(self, api, ename, log):
        self.log = log
        self.sub = api.watch(ename, self.on_event)

    def on_event(self, name, args):
        self.log.append(args)
        self.sub.close()
        # Still usable here: the delivery holds the callback.
        self.log.append(self.sub.active)


def test_last_reference_closes_itself(api, ename):
    log = []
    obj = SelfClosing(api, ename, log)
    ref = weakref.ref(obj)
    del obj
    gc.collect()
    assert ref() is not None        # the subscription keeps it alive
    sys.audit(ename, 1)
    sys.audit(ename, 2)
    assert log == [(1,), False]
    gc.collect()
    assert ref() is None


def test_last_reference_freed_without_a_cycle(api, ename):
    # The object does not refer to its subscription: only the
    # subscription refers to it, and closing must let it go at once.
    holder = {}
    freed = []

    class Owner:
        def on_event(self, name, args):
            holder.pop("sub").close()

        def __del__(self):
            freed.append(True)

    holder["sub"] = api.watch(ename, Owner().on_event)
    sys.audit(ename)
    gc.collect()
    assert freed == [True]


def test_freeing_the_callback_raises_an_event(api, ename):
    # Closing releases the callback, whose __del__ raises an event: it is
    # counted, and delivered to no watch callback while still inside one.
    holder = {}
    other = Calls()

    class Noisy:
        def on_event(self, name, args):
            if name == ename:
                holder.pop("sub").close()

        def __del__(self):
            sys.audit(ename + ".freed")

    with api.count([ename, ename + ".freed"]) as counter, \
            api.watch(ename + ".freed", other):
        holder["sub"] = api.watch(ename, Noisy().on_event)
        sys.audit(ename)
        gc.collect()
        assert counter.counts() == {ename: 1, ename + ".freed": 1}
        # The object is freed as the delivery lets go of the callback;
        # whether that is still "inside the callback" (no watch delivery)
        # or just after it (one) is not specified: never more than once.
        assert len(other.calls) <= 1
        sys.audit(ename)
        assert counter.counts() == {ename: 2, ename + ".freed": 1}


# -- events raised by callbacks -------------------------------------------

def test_events_raised_by_a_callback_are_not_rewatched(api, ename):
    calls = Calls()
    nested = ename + ".nested"

    def on_event(name, args):
        calls(name, args)
        if name == ename + ".outer":
            sys.audit(nested, 1)
            sys.audit(ename + ".outer", "again")   # no recursion either

    with api.watch(ename + ".*", on_event), \
            api.watch(nested, calls), \
            api.count(ename + ".*") as counter, \
            api.record(ename + ".*") as rec:
        sys.audit(ename + ".outer", 0)
        assert calls.calls == [(ename + ".outer", (0,))]
        assert counter.counts() == {ename + ".outer": 2, nested: 1}
        assert [(e.name, e.args) for e in rec.drain()] == [
            (ename + ".outer", (0,)), (nested, (1,)),
            (ename + ".outer", ("again",))]
        # Outside a callback, the nested name is watched as usual.
        sys.audit(nested, 2)
        assert calls.calls[1:] == [(nested, (2,)), (nested, (2,))]


def test_events_raised_by_a_callback_are_still_denied(api, ename):
    outcomes = []

    def on_event(name, args):
        try:
            sys.audit(ename + ".forbidden")
        except pyaudit.Denied as exc:
            outcomes.append(exc.event)
        else:
            outcomes.append("allowed")

    with api.watch(ename + ".go", on_event), \
            api.deny(ename + ".forbidden"):
        sys.audit(ename + ".go")
    assert outcomes == [ename + ".forbidden"]


def test_denied_event_inside_a_callback_propagates(api, ename):
    # A callback that lets Denied escape aborts the outer event with it.
    def on_event(name, args):
        sys.audit(ename + ".forbidden")

    with api.watch(ename + ".go", on_event), \
            api.deny(ename + ".forbidden"), \
            api.count(ename + ".*") as counter:
        with pytest.raises(pyaudit.Denied) as info:
            sys.audit(ename + ".go")
        assert info.value.event == ename + ".forbidden"
        assert counter.counts() == {ename + ".go": 1,
                                    ename + ".forbidden": 1}


def test_deep_nesting_of_raised_events(api, ename):
    # A callback raising events that raise events...: only counting and
    # recording see the nested ones, and nothing recurses.
    depth = []

    def on_event(name, args):
        depth.append(args[0])
        for i in range(100):
            sys.audit(ename, args[0] + 1)

    with api.watch(ename, on_event), api.count(ename) as counter, \
            api.record(ename, capacity=1000) as rec:
        sys.audit(ename, 0)
    assert depth == [0]
    assert counter.counts() == {ename: 101}
    assert len(rec.drain()) == 101
