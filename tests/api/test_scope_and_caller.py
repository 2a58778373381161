"""Scoped subscriptions (scoped=True), stacks of recorded events
(record(..., stack=N)) and the caller a denial names, on both backends."""

import asyncio
import sys
import threading

import pytest

import pyaudit


def raise_event(name, *args):
    sys.audit(name, *args)


# -- scoped=True --------------------------------------------------------------

def test_scoped_count_sees_only_its_own_context(api, ename):
    seen_elsewhere = []
    with api.count(ename, scoped=True) as counter:
        raise_event(ename)
        thread = threading.Thread(target=raise_event, args=(ename,))
        thread.start()
        thread.join()
        seen_elsewhere.append(counter.counts())
        raise_event(ename)
    raise_event(ename)          # closed: nothing more
    assert counter.counts() == {ename: 2}
    assert seen_elsewhere == [{ename: 1}]
    assert counter.scoped


def test_scope_follows_every_change_of_context(api, ename):
    """The native hook remembers, per thread, the scope variable's value
    in its context: raised again and again in one context (remembered),
    after a set in the same context, in a context entered and left, in
    another thread and back, every answer is the slow path's."""
    import contextvars
    outside = contextvars.Context()         # made before the scope
    expected = 0
    with api.count(ename, scoped=True) as counter:
        inside = contextvars.copy_context()
        for _ in range(3):
            raise_event(ename)
            raise_event(ename)
            expected += 2
            outside.run(raise_event, ename)  # not in scope
            raise_event(ename)
            inside.run(raise_event, ename)   # a copy made in scope
            expected += 2
            thread = threading.Thread(target=raise_event, args=(ename,))
            thread.start()
            thread.join()
            raise_event(ename)
            expected += 1
            assert counter.counts() == {ename: expected}
        with api.count(ename, scoped=True) as other:
            raise_event(ename)              # both scopes: a set between
            expected += 1
        raise_event(ename)
        expected += 1
        assert other.counts() == {ename: 1}
        outside.run(raise_event, ename)
    raise_event(ename)                      # closed
    assert counter.counts() == {ename: expected}


def test_scope_opened_where_events_were_outside_applies_at_once(api,
                                                                   ename):
    # A scope opened in another context makes this one's events outside
    # it, which the native hook then remembers for this context; a scope
    # opened here (no context switch between) must count the very next
    # event, and stop at its close.
    import contextvars
    elsewhere = contextvars.copy_context().run(api.count, ename,
                                               scoped=True)
    with elsewhere:
        for _ in range(3):
            raise_event(ename)
        with api.count(ename, scoped=True) as here:
            raise_event(ename)
            raise_event(ename)
        raise_event(ename)
        with api.count(ename, scoped=True) as again:
            raise_event(ename)
    assert elsewhere.counts() == {}
    assert here.counts() == {ename: 2}
    assert again.counts() == {ename: 1}


@pytest.mark.parametrize("kind", ["watch", "record", "count"])
def test_every_kind_can_be_scoped(api, ename, kind):
    seen = []
    if kind == "watch":
        made = api.watch(ename, lambda n, a: seen.append(n), scoped=True)
    else:
        made = getattr(api, kind)(ename, scoped=True)
    with made:
        raise_event(ename)
        thread = threading.Thread(target=raise_event, args=(ename,))
        thread.start()
        thread.join()
    if kind == "watch":
        assert seen == [ename]
    elif kind == "record":
        assert [e.name for e in made.drain()] == [ename]
    else:
        assert made.counts() == {ename: 1}


def test_scoped_deny_refuses_in_scope_only(api, ename):
    outcomes = []

    def elsewhere():
        try:
            raise_event(ename)
            outcomes.append("allowed")
        except pyaudit.Denied:
            outcomes.append("denied")

    with api.deny(ename, scoped=True):
        with pytest.raises(pyaudit.Denied):
            raise_event(ename)
        thread = threading.Thread(target=elsewhere)
        thread.start()
        thread.join()
    raise_event(ename)          # closed: allowed again
    assert outcomes == ["allowed"]


def test_asyncio_tasks_made_in_scope_inherit_it(api, ename):
    async def raise_in_task():
        await asyncio.sleep(0)
        raise_event(ename)

    async def main():
        before = asyncio.ensure_future(raise_in_task())   # made outside
        with api.count(ename, scoped=True) as counter:
            inside = asyncio.ensure_future(raise_in_task())
            await asyncio.gather(before, inside)
        return counter

    counter = asyncio.run(main())
    assert counter.counts() == {ename: 1}


def test_scopes_nest_and_close_independently(api, ename):
    with api.count(ename, scoped=True) as outer:
        with api.count(ename, scoped=True) as inner:
            raise_event(ename)
        raise_event(ename)
    raise_event(ename)
    assert inner.counts() == {ename: 1}
    assert outer.counts() == {ename: 2}


def test_scoped_must_be_a_bool(api, ename):
    with pytest.raises(TypeError, match="scoped must be True or False"):
        api.count(ename, scoped=1)
    assert api.subscriptions() == []


def test_scoped_and_all_interpreters_do_not_go_together(api, ename):
    with pytest.raises(ValueError):
        api.count(ename, scoped=True, interpreters="all")


# -- record(..., stack=N) -----------------------------------------------------

def inner_raiser(name):
    sys.audit(name, 1)


def outer_raiser(name):
    inner_raiser(name)


def test_stack_is_the_innermost_frames_innermost_first(api, ename):
    with api.record(ename, stack=3) as recorder:
        outer_raiser(ename)
    [event] = recorder.drain()
    functions = [frame[2] for frame in event.stack]
    assert functions == ["inner_raiser", "outer_raiser",
                         "test_stack_is_the_innermost_frames_innermost_"
                         "first"]
    filename, lineno, _ = event.stack[0]
    assert filename == __file__
    assert lineno == inner_raiser.__code__.co_firstlineno + 1


def test_stack_zero_is_none_and_depth_is_bounded(api, ename):
    with api.record(ename) as recorder:
        raise_event(ename)
    assert recorder.drain()[0].stack is None
    with api.record(ename, stack=1) as recorder:
        outer_raiser(ename)
    assert len(recorder.drain()[0].stack) == 1


@pytest.mark.parametrize("stack, error", [
    (-1, ValueError), (65, ValueError), (1.5, TypeError), (True, TypeError),
])
def test_bad_stack_depth(api, ename, stack, error):
    with pytest.raises(error, match="stack"):
        api.record(ename, stack=stack)


def test_stack_is_for_records_only(api, ename):
    with pytest.raises(ValueError, match="stack= is for record"):
        api.core.subscribe("count", ename, None, stack=2)


def test_same_stacks_drain_as_equal_tuples(api, ename):
    with api.record(ename, stack=4) as recorder:
        for _ in range(3):
            outer_raiser(ename)
    stacks = [event.stack for event in recorder.drain()]
    assert stacks[0] == stacks[1] == stacks[2] and len(stacks[0]) == 4


# -- the caller a denial names ------------------------------------------------

def test_denied_names_the_caller_and_the_arguments(api, ename):
    with api.deny(ename):
        with pytest.raises(pyaudit.Denied) as info:
            inner_raiser(ename)
    error = info.value
    line = inner_raiser.__code__.co_firstlineno + 1
    assert error.caller == (__file__, line, "inner_raiser")
    assert str(error) == ("audit event %r (1,) denied at %s:%d in "
                          "inner_raiser()" % (ename, __file__, line))
    assert error.event == ename and error.event_args == (1,)


def test_denial_shortens_long_arguments(api, ename):
    with api.deny(ename):
        with pytest.raises(pyaudit.Denied) as info:
            sys.audit(ename, "x" * 500)
    shown = str(info.value).split(" denied at ")[0]
    assert shown == "audit event %r %s..." % (ename, repr(("x" * 500,))[:97])
