"""What each kind of subscription receives: watch, record, count, deny;
the order kinds are served in; callback exceptions; real events.

Every test raises events of its own (``ename``) and closes what it opens.
"""

import json
import os
import socket
import sys
import threading
import time

import pytest

import pyaudit
from support import check_python


class Calls:
    """A watch callback that remembers (name, args) pairs."""

    def __init__(self):
        self.calls = []

    def __call__(self, name, args):
        self.calls.append((name, args))

    @property
    def names(self):
        return [name for name, _ in self.calls]


# -- watch ------------------------------------------------------------------

def test_watch_gets_name_and_args(api, ename):
    marker = object()
    calls = Calls()
    with api.watch(ename + ".x", calls):
        sys.audit(ename + ".x", 1, "two", marker)
    assert calls.calls == [(ename + ".x", (1, "two", marker))]
    assert type(calls.calls[0][1]) is tuple
    assert calls.calls[0][1][2] is marker


def test_watch_event_without_args_gets_empty_tuple(api, ename):
    calls = Calls()
    with api.watch(ename, calls):
        sys.audit(ename)
    assert calls.calls == [(ename, ())]


def test_watch_gets_only_matching_events(api, ename):
    calls = Calls()
    with api.watch("%s.a.*,%s.exact" % (ename, ename), calls):
        for suffix in (".a.x", ".b", ".a", ".exact", ".exact.no", ".a.y.z"):
            sys.audit(ename + suffix)
    assert calls.names == [ename + ".a.x", ename + ".exact", ename + ".a.y.z"]


def test_watch_args_are_the_events_own_tuple(api, ename):
    # The watch callback and the recorder see the very same args object.
    calls = Calls()
    with api.record(ename) as rec, api.watch(ename, calls):
        sys.audit(ename, object())
    events = rec.drain()
    assert len(events) == 1 and len(calls.calls) == 1
    assert events[0].args is calls.calls[0][1]


def test_watch_returns_subscription(api, ename):
    with api.watch(ename, Calls()) as sub:
        assert isinstance(sub, pyaudit.Subscription)
        assert sub.kind == "watch"
        assert sub.active


@pytest.mark.parametrize("name", ["pw.a", "pw.bcdefghij"])
def test_watch_alone_on_a_short_name(api, name):
    # One watch on a name short enough for the hook's memos (up to 7 and
    # 8 to 15 bytes): raised again and again, then closed by its own
    # callback, then raising.
    calls = Calls()

    def close_on_second(n, a):
        calls(n, a)
        if len(calls.calls) == 2:
            sub.close()

    sub = api.watch(name, close_on_second)
    for i in range(4):
        sys.audit(name, i)
    assert calls.calls == [(name, (0,)), (name, (1,))]
    assert not sub.active
    with api.watch(name, raise_boom):
        for _ in range(2):
            with pytest.raises(Boom):
                sys.audit(name)
    sys.audit(name)     # closed: nothing raises


def test_watches_on_one_short_name_come_and_go(api):
    # One watch of a name is called without the general dispatch; a
    # second on the same name, then closing either, switches between the
    # two ways of delivering, each raise seeing exactly the live ones.
    name = "pw.cg"
    first, second = Calls(), Calls()
    with api.watch(name, first):
        sys.audit(name, 1)
        with api.watch(name, second):
            sys.audit(name, 2)
        sys.audit(name, 3)
    sys.audit(name, 4)
    with api.watch(name, second):
        sys.audit(name, 5)
    assert first.calls == [(name, (1,)), (name, (2,)), (name, (3,))]
    assert second.calls == [(name, (2,)), (name, (5,))]


# -- callback exceptions --------------------------------------------------

class Boom(Exception):
    pass


def raise_boom(name, args):
    raise Boom(name)


def test_callback_exception_propagates_from_sys_audit(api, ename):
    with api.watch(ename, raise_boom):
        with pytest.raises(Boom) as info:
            sys.audit(ename)
    assert info.value.args == (ename,)


def test_callback_exception_does_not_stop_later_delivery(api, ename):
    fail = {"now": True}
    calls = Calls()

    def flaky(name, args):
        calls(name, args)
        if fail["now"]:
            raise Boom(name)

    with api.watch(ename + ".*", flaky):
        with pytest.raises(Boom):
            sys.audit(ename + ".first")
        fail["now"] = False
        sys.audit(ename + ".second")
    assert calls.names == [ename + ".first", ename + ".second"]


def test_callback_exception_hides_event_from_later_subscriptions(api, ename):
    later = []
    with api.watch(ename, raise_boom), \
            api.watch(ename, lambda n, a: later.append(n)), api.deny(ename):
        with pytest.raises(Boom):        # not Denied: the deny never ran
            sys.audit(ename)
    assert later == []


def test_callback_exception_aborts_open(api, tmp_path):
    target = str(tmp_path / "never-created.txt")

    def refuse(name, args):
        if args and args[0] == target:
            raise Boom(target)

    with api.watch("open", refuse):
        with pytest.raises(Boom):
            open(target, "w")
    assert not os.path.exists(target)


def test_event_is_counted_and_recorded_before_callback_raises(api, ename):
    with api.count(ename) as counter, api.record(ename) as rec, \
            api.watch(ename, raise_boom):
        with pytest.raises(Boom):
            sys.audit(ename, 7)
    assert counter.counts() == {ename: 1}
    assert [(e.name, e.args) for e in rec.drain()] == [(ename, (7,))]


# -- record ---------------------------------------------------------------

def test_record_event_fields(api, ename):
    marker = object()
    with api.record(ename) as rec:
        before = time.time_ns()
        sys.audit(ename, marker, 2)
        after = time.time_ns()
    events = rec.drain()
    assert len(events) == 1
    event = events[0]
    assert isinstance(event, pyaudit.Event)
    assert event.name == ename
    assert event.args == (marker, 2) and event.args[0] is marker
    assert type(event.args) is tuple
    assert before <= event.time_ns <= after
    assert event.thread_id == threading.get_ident()
    assert event == (event.name, event.args, event.time_ns, event.thread_id,
                     event.interpreter_id, None)
    assert event.interpreter_id == 0 and event.stack is None


def test_record_keeps_order_oldest_first(api, ename):
    with api.record(ename + ".*") as rec:
        for seq in range(50):
            sys.audit("%s.%d" % (ename, seq % 3), seq)
    events = rec.drain()
    assert [e.args for e in events] == [(seq,) for seq in range(50)]
    assert [e.name for e in events] == [
        "%s.%d" % (ename, seq % 3) for seq in range(50)]


def test_record_only_matching(api, ename):
    with api.record("%s.*,!%s.no" % (ename, ename)) as rec:
        for suffix in (".yes", ".no", "", ".yes.too"):
            sys.audit(ename + suffix)
    assert [e.name for e in rec.drain()] == [ename + ".yes",
                                             ename + ".yes.too"]


def test_drain_empties(api, ename):
    with api.record(ename) as rec:
        sys.audit(ename, 1)
        assert [e.args for e in rec.drain()] == [(1,)]
        assert rec.drain() == []
        sys.audit(ename, 2)
        assert [e.args for e in rec.drain()] == [(2,)]


def test_record_full_drops_newest_and_counts_them(api, ename):
    with api.record(ename, capacity=3) as rec:
        assert rec.capacity == 3
        assert rec.dropped == 0
        for seq in range(5):
            sys.audit(ename, seq)
        assert rec.dropped == 2
        assert [e.args for e in rec.drain()] == [(0,), (1,), (2,)]
        # Draining makes room again; dropped is a running total.
        for seq in range(5, 7):
            sys.audit(ename, seq)
        assert [e.args for e in rec.drain()] == [(5,), (6,)]
        assert rec.dropped == 2


def test_record_capacity_one(api, ename):
    with api.record(ename, capacity=1) as rec:
        sys.audit(ename, "kept")
        sys.audit(ename, "dropped")
        assert [e.args for e in rec.drain()] == [("kept",)]
        assert rec.dropped == 1


def test_record_default_capacity(api, ename):
    with api.record(ename) as rec:
        assert isinstance(rec, pyaudit.Recorder)
        assert rec.kind == "record"
        assert rec.capacity == 65536


def test_record_empty_drain(api, ename):
    with api.record(ename) as rec:
        assert rec.drain() == []
        assert rec.dropped == 0


def test_clear_discards_without_counting_as_dropped(api, ename):
    with api.record(ename, capacity=3) as rec:
        for seq in range(5):
            sys.audit(ename, seq)
        assert rec.clear() == 3
        assert rec.dropped == 2
        assert rec.drain() == []
        assert rec.clear() == 0
        # Clearing makes room again, like draining.
        sys.audit(ename, "after")
        assert [e.args for e in rec.drain()] == [("after",)]


def test_clear_releases_the_args(api, ename):
    import weakref

    class Arg:
        pass

    arg = Arg()
    ref = weakref.ref(arg)
    with api.record(ename) as rec:
        sys.audit(ename, arg)
        del arg
        assert ref() is not None        # the recorder holds it
        assert rec.clear() == 1
        assert ref() is None


def test_clear_takes_everything_before_releasing(api, ename):
    # A finalizer run by the release that drains the same recorder finds it
    # empty, and its own event stays for later.
    seen_by_finalizer = []

    class Sneaky:
        def __del__(self):
            seen_by_finalizer.extend(rec.drain())
            sys.audit(ename, "new")

    with api.record(ename) as rec:
        sys.audit(ename, Sneaky())
        sys.audit(ename, 1)
        sys.audit(ename, 2)
        assert rec.clear() == 3
        assert seen_by_finalizer == []
        assert [e.args for e in rec.drain()] == [("new",)]


def test_clear_releases_oldest_first(api, ename):
    released = []

    class Tag:
        def __init__(self, label):
            self.label = label

        def __del__(self):
            released.append(self.label)

    with api.record(ename) as rec:
        for label in ("first", "second", "third"):
            sys.audit(ename, Tag(label))
        assert rec.clear() == 3
    assert released == ["first", "second", "third"]


def test_records_and_counts_alone_share_one_event(api, ename):
    # Lists of only count and record subscriptions are delivered without
    # the general dispatch: every record sees the same event, counts stay
    # exact, and prefix matches get their name; one closed before the
    # events gets nothing.
    with api.count(ename + ".*") as counter, \
            api.record(ename + ".*") as first, \
            api.record(ename + ".a, " + ename + ".b.*") as second, \
            api.record(ename + ".*") as closed:
        closed.close()
        for suffix in (".a", ".b.x", ".c", ".a"):
            sys.audit(ename + suffix, suffix)
    assert counter.counts() == {ename + ".a": 2, ename + ".b.x": 1,
                                ename + ".c": 1}
    one, two = first.drain(), second.drain()
    assert [e.name for e in one] == [ename + s
                                     for s in (".a", ".b.x", ".c", ".a")]
    assert [e.name for e in two] == [ename + s for s in (".a", ".b.x", ".a")]
    assert [e.args for e in two] == [(".a",), (".b.x",), (".a",)]
    shared = [e for e in one if e.name != ename + ".c"]
    assert [(e.time_ns, e.thread_id) for e in shared] == [
        (e.time_ns, e.thread_id) for e in two]
    assert all(e.thread_id == threading.get_ident() for e in one)
    assert closed.drain() == []


# -- count ----------------------------------------------------------------

def test_count_per_name(api, ename):
    with api.count(ename + ".*") as counter:
        assert isinstance(counter, pyaudit.Counter)
        assert counter.kind == "count"
        assert counter.counts() == {}
        for _ in range(3):
            sys.audit(ename + ".a")
        sys.audit(ename + ".b", "args", "do not matter")
        sys.audit(ename)             # does not match ename.*
        sys.audit(ename + "x.a")     # nor does this
        assert counter.counts() == {ename + ".a": 3, ename + ".b": 1}


def test_counts_returns_a_new_dict(api, ename):
    with api.count(ename) as counter:
        sys.audit(ename)
        first = counter.counts()
        first[ename] = 100
        first["other"] = 1
        assert counter.counts() == {ename: 1}
        assert counter.counts() is not counter.counts()


# -- deny -----------------------------------------------------------------

def test_deny_raises_denied(api, ename):
    with api.deny(ename + ".*") as sub:
        assert sub.kind == "deny"
        with pytest.raises(pyaudit.Denied) as info:
            sys.audit(ename + ".x", 1, "a")
        sys.audit(ename + "_not_matching")
    exc = info.value
    assert isinstance(exc, PermissionError)
    assert exc.event == ename + ".x"
    assert exc.event_args == (1, "a")
    assert repr(ename + ".x") in str(exc)


def test_deny_stops_when_closed(api, ename):
    with api.deny(ename):
        with pytest.raises(pyaudit.Denied):
            sys.audit(ename)
    sys.audit(ename)  # no longer denied


def test_deny_open_aborts_it(api, tmp_path):
    target = str(tmp_path / "denied.txt")
    with api.deny("open"):
        with pytest.raises(pyaudit.Denied) as info:
            open(target, "w")
    assert info.value.event == "open"
    assert info.value.event_args[0] == target
    assert not os.path.exists(target)
    with open(target, "w") as handle:   # allowed again
        handle.write("ok")
    assert os.path.exists(target)


def test_deny_socket_connect_on_loopback(api):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        address = server.getsockname()
        with api.deny("socket.connect"):
            with pytest.raises(pyaudit.Denied) as info:
                client.connect(address)
        assert info.value.event == "socket.connect"
        assert info.value.event_args[0] is client
        client.connect(address)           # allowed again
        peer, _ = server.accept()
        peer.close()
    finally:
        client.close()
        server.close()


def test_denied_event_still_counted_recorded_watched(api, ename):
    calls = Calls()
    with api.deny(ename), api.watch(ename, calls), \
            api.record(ename) as rec, api.count(ename) as counter:
        with pytest.raises(pyaudit.Denied):
            sys.audit(ename, "x")
    assert calls.calls == [(ename, ("x",))]
    assert [(e.name, e.args) for e in rec.drain()] == [(ename, ("x",))]
    assert counter.counts() == {ename: 1}


# -- delivery order -------------------------------------------------------

def test_kinds_served_count_record_watch_deny(api, ename):
    # Subscribed in the reverse of the delivery order on purpose.
    seen = []
    with api.deny(ename), api.watch(ename, lambda n, a: seen.append(
            ("watch", counter.counts(), [e.name for e in rec.drain()]))), \
            api.record(ename) as rec, api.count(ename) as counter:
        with pytest.raises(pyaudit.Denied):
            sys.audit(ename)
    # When the watch callback ran, the event had been counted and
    # recorded; the deny came after it.
    assert seen == [("watch", {ename: 1}, [ename])]


def test_same_kind_oldest_first(api, ename):
    order = []

    def tag(label):
        return lambda name, args: order.append(label)

    with api.watch(ename, tag("first")), api.count(ename), \
            api.watch(ename, tag("second")), api.record(ename), \
            api.watch(ename + ",other", tag("third")):
        sys.audit(ename)
    assert order == ["first", "second", "third"]


# -- real events ----------------------------------------------------------

def test_real_open_event(api, tmp_path):
    target = str(tmp_path / "opened.txt")
    calls = Calls()
    with api.watch("open", calls), api.record("open") as rec:
        with open(target, "w") as handle:
            handle.write("x")
    ours = [(name, args) for name, args in calls.calls
            if args and args[0] == target]
    assert len(ours) == 1
    name, args = ours[0]
    assert name == "open" and args[1] == "w"
    recorded = [e for e in rec.drain() if e.args and e.args[0] == target]
    assert len(recorded) == 1 and recorded[0].args is args


def test_real_compile_and_exec_events(api, ename):
    filename = "<%s>" % ename
    source = "result = 6 * 7"
    calls = Calls()
    with api.watch("compile,exec", calls):
        code = compile(source, filename, "exec")
        namespace = {}
        exec(code, namespace)
    assert namespace["result"] == 42
    compiled = [args for name, args in calls.calls
                if name == "compile" and args[-1] == filename]
    assert len(compiled) == 1
    executed = [args for name, args in calls.calls
                if name == "exec" and args[0] is code]
    assert len(executed) == 1


def test_real_socket_events_on_loopback(api):
    calls = Calls()
    with api.watch("socket.*", calls):
        server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            server.bind(("127.0.0.1", 0))
            server.listen(1)
            address = server.getsockname()
            client.connect(address)
            peer, _ = server.accept()
            peer.close()
        finally:
            client.close()
            server.close()
    mine = [(name, args) for name, args in calls.calls
            if args and (args[0] is server or args[0] is client)]
    assert ("socket.bind", (server, ("127.0.0.1", 0))) in mine
    connects = [args for name, args in mine if name == "socket.connect"]
    assert len(connects) == 1 and connects[0][0] is client
    assert connects[0][1] == address
    assert all(name.startswith("socket.") for name in calls.names)


# -- interpreters ---------------------------------------------------------

SUBINTERPRETER = """
import json, sys
import pyaudit
try:
    import _xxsubinterpreters as interpreters
except ImportError:
    try:
        import _interpreters as interpreters
    except ImportError:
        print(json.dumps({"skip": "no subinterpreter module"}))
        sys.exit(0)

# Made before pyaudit's hook is installed (it is, by the first
# subscription), or after: the hook learns of the two ways differently.
interp = interpreters.create() if sys.argv[1] == "before" else None
seen = []
with pyaudit.watch("pyaudit_test.*", lambda n, a: seen.append(n)), \\
        pyaudit.count("pyaudit_test.*") as counter, \\
        pyaudit.record("pyaudit_test.*") as recorder, \\
        pyaudit.deny("pyaudit_test.sub.denied"):
    sys.audit("pyaudit_test.main")
    if interp is None:
        interp = interpreters.create()
    failure = interpreters.run_string(interp, '''
import sys
seen = []
sys.addaudithook(lambda n, a: seen.append(n))
sys.audit("pyaudit_test.sub")
sys.audit("pyaudit_test.sub.denied")   # not denied here
assert seen == ["pyaudit_test.sub", "pyaudit_test.sub.denied"], seen
''')
    if failure is not None:         # 3.13 returns the error, older raise
        raise RuntimeError(failure)
    interpreters.destroy(interp)
    sys.audit("pyaudit_test.main.again")
print(json.dumps({"watch": seen, "count": counter.counts(),
                  "record": [e.name for e in recorder.drain()]}))
"""


@pytest.mark.parametrize("made", ["before", "after"])
def test_subinterpreter_events_not_delivered(backend, made):
    out = check_python(SUBINTERPRETER, backend=backend, args=[made])
    result = json.loads(out.strip().splitlines()[-1])
    if "skip" in result:
        pytest.skip(result["skip"])
    main = ["pyaudit_test.main", "pyaudit_test.main.again"]
    assert result == {"watch": main, "count": {name: 1 for name in main},
                      "record": main}
