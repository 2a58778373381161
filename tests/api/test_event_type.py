"""pyaudit.Event: one class for both backends, defined once in Python
(``pyaudit._types.EventBase``) and derived in C with a dealloc and a free
list of its own (csrc/event.h).

Pinned down here: the fields, their order and defaults; tuple behaviour
(len, indexing, unpacking, ==, hash, repr); the namedtuple methods;
pickling and copying; that drained events of both backends are the same
class and equal; that events freed and reused by the free list never
change an event or an int still in use, and that a full collection
empties the free list; subclasses; and that a deeply nested Event is
freed without exhausting the C stack.
"""

import copy
import gc
import pickle
import sys
import threading

import pytest

import pyaudit
from pyaudit import _types

FIELDS = ("name", "args", "time_ns", "thread_id", "interpreter_id", "stack")


def test_event_is_derived_from_the_one_python_definition():
    assert issubclass(pyaudit.Event, _types.EventBase)
    assert issubclass(pyaudit.Event, tuple)
    assert pyaudit.Event is _types.Event
    assert pyaudit.Event.__module__ == "pyaudit._types"
    assert pyaudit.Event.__name__ == "Event"
    assert pyaudit.Event.__doc__ == "One recorded audit event."
    assert pyaudit.Event.time_ns.__doc__.startswith("When it was raised")


def test_fields_order_and_defaults():
    event = pyaudit.Event("n", (1,), 5, 6)
    assert pyaudit.Event._fields == FIELDS
    assert pyaudit.Event._field_defaults == {"interpreter_id": 0,
                                             "stack": None}
    assert event == ("n", (1,), 5, 6, 0, None)
    assert pyaudit.Event(args=(), name="k", thread_id=1, time_ns=2,
                         stack=(("f", 1, "g"),)).stack == (("f", 1, "g"),)
    with pytest.raises(TypeError):
        pyaudit.Event("n", (1,), 5)
    with pytest.raises(TypeError):
        pyaudit.Event("n", (1,), 5, 6, 0, None, "extra")


def test_tuple_behaviour():
    event = pyaudit.Event("n", ("a", 2), 5, 6, 1, None)
    name, args, time_ns, thread_id, interpreter_id, stack = event
    assert (name, args, time_ns, thread_id, interpreter_id, stack) == tuple(
        event)
    assert len(event) == 6 and event[0] == "n" and event[-1] is None
    assert event[1:3] == (("a", 2), 5)
    assert hash(event) == hash(tuple(event))
    assert event == tuple(event) and tuple(event) == event
    assert event != pyaudit.Event("n", ("a", 2), 5, 6, 2, None)
    assert {event: 1}[tuple(event)] == 1
    assert repr(event) == ("Event(name='n', args=('a', 2), time_ns=5, "
                           "thread_id=6, interpreter_id=1, stack=None)")


def test_namedtuple_methods():
    event = pyaudit.Event("n", (1,), 5, 6)
    assert event._asdict() == dict(zip(FIELDS, ("n", (1,), 5, 6, 0, None)))
    replaced = event._replace(name="m")
    assert type(replaced) is pyaudit.Event and replaced.name == "m"
    made = pyaudit.Event._make(["n", (1,), 5, 6, 0, None])
    assert type(made) is pyaudit.Event and made == event
    assert event.named_args() == {"arg0": 1}
    if sys.version_info >= (3, 10):     # namedtuple's, from 3.10
        assert pyaudit.Event.__match_args__ == FIELDS


def test_pickle_and_copy_keep_the_class():
    event = pyaudit.Event("socket.connect", (None, ("h", 1)), 5, 6, 0,
                          (("f.py", 3, "g"),))
    for protocol in range(pickle.HIGHEST_PROTOCOL + 1):
        again = pickle.loads(pickle.dumps(event, protocol))
        assert type(again) is pyaudit.Event and again == event
    for again in (copy.copy(event), copy.deepcopy(event)):
        assert type(again) is pyaudit.Event and again == event


def test_drained_events_are_events(api, ename):
    with api.record(ename) as rec:
        sys.audit(ename, "x", 1)
    event, = rec.drain()
    assert type(event) is pyaudit.Event
    assert event == (ename, ("x", 1), event.time_ns,
                     threading.get_ident(), 0, None)
    assert hash(event) == hash(tuple(event))
    assert pickle.loads(pickle.dumps(event)) == event
    assert event.named_args() == {"arg0": "x", "arg1": 1}


def test_both_backends_build_the_same_event(ename):
    drained = []
    for name in ("native", "python"):
        with pyaudit._api_for(name).record(ename, stack=1) as rec:
            sys.audit(ename, "same", 2)
        drained.append(rec.drain()[0])
    native, python = drained
    assert type(native) is type(python) is pyaudit.Event
    assert native._replace(time_ns=0, stack=None) == python._replace(
        time_ns=0, stack=None)
    assert native.stack[0][1:] == python.stack[0][1:]


def test_reused_events_never_change_events_or_ints_still_held(ename):
    """Drained events are freed into the free list and made again from it:
    an event kept from an earlier drain, and ints taken out of events
    since freed, keep their values."""
    kept, times = [], []
    with pyaudit.record(ename) as rec:
        for round_number in range(5):
            for k in range(3000):
                sys.audit(ename, round_number, k)
            events = rec.drain()
            assert [event.args for event in events] == [
                (round_number, k) for k in range(3000)]
            kept.append((events[7], tuple(events[7])))
            times.append((events[-1].time_ns, int(str(events[-1].time_ns))))
            del events
            gc.collect()
    for event, values in kept:
        assert tuple(event) == values
    for time_ns, value in times:
        assert time_ns == value


def test_events_holding_the_program_objects_are_collected(ename):
    """An event whose args can be in a cycle is tracked by the collector,
    which frees a cycle through it."""
    class Holder:
        pass

    holder = Holder()
    with pyaudit.record(ename) as rec:
        sys.audit(ename, holder)
    event, = rec.drain()
    assert gc.is_tracked(event)
    holder.event = event
    count = sys.getrefcount(Holder)
    del holder, event
    gc.collect()
    assert sys.getrefcount(Holder) == count - 1


def test_deeply_nested_events_are_freed():
    event = None
    for k in range(200000):
        event = pyaudit.Event(event, (), k, 0)
    del event           # would overflow the C stack without the trashcan


def test_subclass_of_event():
    class Mine(pyaudit.Event):
        __slots__ = ()

        def label(self):
            return self.name.upper()

    count = sys.getrefcount(Mine)
    for k in range(1000):
        mine = Mine("n", (), k, 0)
        assert mine.label() == "N" and mine._replace(time_ns=1).time_ns == 1
    del mine
    assert sys.getrefcount(Mine) == count


def test_native_core_builds_only_its_own_event_type():
    from pyaudit import _pyaudit
    with pytest.raises(TypeError):
        _pyaudit._set_types(_types.EventBase, pyaudit.Denied,
                            pyaudit._api.SCOPES)

    class WithDict(tuple):
        pass

    with pytest.raises(TypeError):
        # Its instances' __dict__ would never be freed.
        _pyaudit._event_type(WithDict)


@pytest.mark.skipif(sys.version_info < (3, 9),
                    reason="3.8's types know no module: no free list")
def test_full_collections_empty_the_free_list(ename):
    """Dead events kept for reuse hold memory until the next full
    collection, which frees them as it frees CPython's own free lists."""
    import tracemalloc
    tracemalloc.start()
    try:
        with pyaudit.record(ename) as rec:
            gc.collect()
            start = tracemalloc.get_traced_memory()[0]
            for k in range(2000):
                sys.audit(ename, k)
            events = rec.drain()
            del events
            kept = tracemalloc.get_traced_memory()[0] - start
            gc.collect()
            left = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    assert kept > 2000 * 100        # the dead events, their ints
    assert left < kept // 4
