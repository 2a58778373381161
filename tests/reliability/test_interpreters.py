"""Subscriptions and interpreters: which interpreters' events each
subscription sees, what happens when an interpreter ends, and C sinks
called from several threads at once.

Each scenario is a child program in tests/programs/ (audit hooks cannot
be removed, and subinterpreters are made there), run with
subinterpreters that have a GIL of their own from 3.12, on a thread
each, so that the hook runs in several interpreters at once; before 3.12
the same programs run with subinterpreters sharing the one GIL.  What
each program does is in its docstring; these tests hold what it reports
to the rules of docs/interpreters.md.
"""

import sys

import pytest

from pyaudit._errors import denial_message
from support import check_program

OWN_GIL = sys.version_info >= (3, 12)


def run(name, *args, **kwargs):
    result = check_program(name, args=args, backend="native", **kwargs)
    if "skip" in result:
        pytest.skip(result["skip"])
    return result


# -- how a hit learns that other interpreters exist --------------------------

def test_hits_read_the_interpreter_list_as_each_version_allows():
    # Before 3.12 a flag follows the event CPython raises before a new
    # interpreter exists; 3.12 asks PyInterpreterState_Head and _Next;
    # from 3.13 the install finds the list through CPython's debug offsets
    # and hits read it in place (the kinds test holds that the answer is
    # right while subinterpreters run).
    import pyaudit
    from pyaudit import _pyaudit
    with pyaudit.count("pyaudit_test.interpreter_check"):
        check = _pyaudit._interpreter_check()
    if sys.version_info < (3, 12):
        assert check == "flag"
    elif sys.version_info < (3, 13):
        assert check == "calls"
    else:
        assert check == "in place"


# -- every kind inside subinterpreters ---------------------------------------

@pytest.fixture(scope="module")
def kinds():
    return run("interpreters_kinds.py", 2)


def test_every_kind_works_inside_subinterpreters(kinds):
    for index, report in enumerate(kinds["reports"]):
        times = 2000 + 100 * index
        raised = [["kinds.raised", [index, k]] for k in range(times)]
        denied = ["kinds.denied", [index]]
        assert report["backend"] == "native"
        assert report["watched"] == raised + [denied]
        assert report["logged"] == raised + [denied]
        assert report["recorded"] == [
            [name, args, kinds["ids"][index]]
            for name, args in raised + [denied]]
        assert report["counts"] == {"kinds.raised": times,
                                    "kinds.denied": 1}
        assert report["denied"] == ["kinds.denied", [index], True]
        assert report["filter"] == [True, False, False]


def test_each_interpreter_lists_its_own_subscriptions_only(kinds):
    own = [["watch", ["kinds.*"], "own"], ["record", ["kinds.*"], "own"],
           ["count", ["kinds.*"], "own"],
           ["deny", ["kinds.denied"], "own"],
           ["watch", ["kinds.*"], "own"]]       # log_to's
    for report in kinds["reports"]:
        assert report["listed"] == own
        assert report["listed_after"] == 0


# -- an interpreter ending with subscriptions open ----------------------------

@pytest.fixture(scope="module")
def ending(tmp_path_factory):
    return run("interpreters_ending.py",
               tmp_path_factory.mktemp("atomic_sink"))


def test_subscriptions_of_every_interpreter_are_listed_everywhere(ending):
    main_count = ending["main_ids"][0]
    listed = ending["ending"]["listed"]
    kinds = [[kind, interpreters] for _, kind, interpreters in listed]
    assert kinds == [["count", "all"],     # the main interpreter's
                     ["watch", "own"], ["record", "own"], ["count", "own"],
                     ["deny", "own"], ["watch", "own"],
                     ["count", "all"], ["record", "all"], ["deny", "all"],
                     ["sink", "all"]]
    assert listed[0][0] == main_count
    # The main interpreter sees the ones of every interpreter, not the
    # other interpreter's own.
    assert ending["listed_before"] == [listed[0]] + listed[6:]


def test_ending_interpreter_closes_and_releases_its_subscriptions(ending):
    assert ending["released"] == ["recorded arg", "sink keepalive",
                                  "watch callback"]
    assert ending["listed_after"] == [[ending["main_ids"][0], "count",
                                       "all"]]
    sink = ending["ending"]["sink"]
    assert ending["unsubscribe"] == [
        -1, "no live C subscription has id %d (ids come from "
        "pyaudit_subscribe; each can be removed once)" % sink]


def test_nothing_is_delivered_for_an_ended_interpreter(ending):
    # Before the end its sink and deny of every interpreter act on the
    # main interpreter's events too; after it, on nothing, while another
    # subinterpreter and the main interpreter go on raising.
    assert ending["sink_main_before"] == 1
    assert ending["denied_before"] == "builtins.PermissionError"
    assert ending["denied_after"] is None
    assert ending["sink_calls_after_end"] == 0
    counts = ending["main_counts"]
    assert counts["end.main"] == 1001 and counts["end.denied.main"] == 2
    assert counts["end.recorded"] == 1 and counts["end.other"] > 0


# -- subscriptions of every interpreter ---------------------------------------

@pytest.fixture(scope="module")
def every():
    return run("interpreters_all.py", 2)


def test_subscriptions_of_every_interpreter_see_each_with_its_id(every):
    assert every["counts"] == {"all.values": 3, "all.deep": 3,
                               "all.order": 1500}
    ids = [entry["id"] for entry in every["interpreters"]]
    assert ids[0] == 0 and len(set(ids)) == 3
    for index, entry in enumerate(every["interpreters"]):
        assert entry["ids"] == [entry["id"]]
        assert entry["names"] == (["all.values", "all.deep"]
                                  + ["all.order"] * 500)
        assert entry["order"] == [[index, k] for k in range(500)]
        assert entry["threads"] == [entry["report"]["thread"]]
        report = entry["report"]
        assert entry["with_stack"][0][0] == [report["file"], report["line"],
                                             "<module>"]


def test_other_interpreters_events_arrive_as_plain_data(every):
    main, *others = every["interpreters"]
    assert main["same_objects"]
    for entry in others:
        assert entry["args"] == entry["expected"]
        assert entry["types"] == [
            "str", "bytes", "int", "int", "float", "NoneType", "bool",
            "bool", "tuple", "tuple", "str", "str", "str", "str", "float",
            "str", "int", "int"]
        assert entry["equal"]


def test_stack_of_an_event_recorded_without_stack_is_none(every):
    main, *others = every["interpreters"]
    assert main["stacks"] == [None] * 502
    for entry in others:
        assert entry["stacks"] == [None] * 502


# -- deny of every interpreter ------------------------------------------------

@pytest.fixture(scope="module")
def denials():
    return run("interpreters_deny.py")["reports"]


@pytest.mark.parametrize("variant", ["plain", "with_pyaudit"])
def test_deny_of_every_interpreter_raises_permission_error_there(
        denials, variant):
    report = denials[variant]
    for attempt in ("short", "long", "mkdir"):
        outcome = report[attempt]
        assert outcome["type"] == "builtins.PermissionError"
        assert outcome["builtin"]
        assert outcome["message"] == outcome["expected"]
        assert outcome["frame"][2] == attempt
    assert report["long"]["message"].count("...") == 1
    assert not report["made"]


def test_deny_of_every_interpreter_raises_denied_in_its_own(denials):
    report = denials["main"]
    for attempt in ("short", "long", "mkdir"):
        outcome = report[attempt]
        assert outcome["type"] == "pyaudit._errors.Denied"
        assert outcome["permission"]
        assert outcome["message"] == outcome["expected"]
    assert not report["made"]


def test_denial_message_reference_shortens_long_arguments():
    # The reference the test above holds the C message to.
    message = denial_message("e", ("x" * 200,), ("f.py", 3, "g"))
    assert message == ("audit event 'e' ('%s... denied at f.py:3 in g()"
                       % ("x" * 95))


# -- a C sink of every interpreter --------------------------------------------

def test_c_sink_of_every_interpreter_counts_exactly_from_parallel_threads(
        tmp_path):
    events = 200000
    result = run("interpreters_c_sink.py", tmp_path, 2, events)
    assert result["calls"] == 3 * events
    assert result["per_index"] == [events] * 3
    if OWN_GIL:
        # Two of them ran the sink at the same moment: the counts above
        # were exact under real parallelism.
        assert result["overlap"] >= 2
    else:
        assert result["overlap"] == 1       # one GIL: never two at once



@pytest.mark.skipif(not OWN_GIL, reason="a sink runs on another thread "
                    "while this one holds its own GIL from 3.12")
def test_unsubscribing_a_sink_waits_for_its_calls_under_way(tmp_path):
    # Its userdata may be freed once pyaudit_unsubscribe returns: no call
    # begun before may still be running then.
    result = run("sink_unsubscribe_waits.py", tmp_path, 20)
    assert result["running_after"] == 0
    assert result["calls"] >= 20


# -- several interpreters subscribing at once ---------------------------------

def test_interpreters_subscribe_and_close_at_once_exactly():
    cycles = 3000
    result = run("interpreters_subscribing.py", 3, cycles)
    for index, report in enumerate(result["interpreters"]):
        assert report["failures"] == []
        assert report["raised"] == {"sub.%d.e" % index: cycles * 5,
                                    "sub.%d.denied" % index: cycles // 6}
    expected = {}
    for report in result["interpreters"]:
        expected.update(report["raised"])
    assert result["counts"] == expected


# -- the pure-Python backend and bad input ------------------------------------

@pytest.mark.parametrize("kind", ["count", "record", "deny"])
def test_python_backend_says_it_cannot_see_other_interpreters(kind):
    import pyaudit
    api = pyaudit._api_for("python")
    # (Other tests of this process may leave subscriptions live on purpose:
    # a dropped watch keeps delivering.)
    before = api.subscriptions()
    with pytest.raises(ValueError) as caught:
        getattr(api, kind)("x.*", interpreters="all")
    assert str(caught.value) == (
        "interpreters='all' needs pyaudit's native backend: the "
        "pure-Python backend's hook (sys.addaudithook) sees only its own "
        "interpreter's events")
    assert api.subscriptions() == before


@pytest.mark.parametrize("call, error, message", [
    (lambda api: api.count("x.*", interpreters="every"), ValueError,
     "interpreters must be 'own' or 'all', not 'every'"),
    (lambda api: api.record("x.*", interpreters=None), ValueError,
     "interpreters must be 'own' or 'all', not None"),
    (lambda api: api.core.subscribe("watch", "x.*", print,
                                    interpreters="all"), ValueError,
     "interpreters='all' is for count, record and deny, not watch: a "
     "callback belongs to the interpreter that made it"),
])
def test_interpreters_argument_errors_say_what_is_allowed(api, call, error,
                                                          message):
    with pytest.raises(error) as caught:
        call(api)
    assert str(caught.value) == message


def test_scoped_subscription_of_every_interpreter_is_refused():
    import pyaudit
    api = pyaudit._api_for("native")
    with pytest.raises(ValueError) as caught:
        api.count("x.*", interpreters="all", scoped=True)
    assert str(caught.value) == (
        "scoped=True and interpreters='all' do not go together: a scope "
        "is a context of one interpreter")
