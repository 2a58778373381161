"""The C API (csrc/pyaudit.h) driven through cffi, as a C host drives it."""

import json
import sys

import pytest

import pyaudit
from pyaudit.capi import ffi, last_error, lib

from support import PROGRAMS, TESTS, build_counting_sink, check_python



class CallbackSink:
    """A sink written in Python with a cffi callback (main interpreter
    only: it runs Python code)."""

    def __init__(self, fail=False):
        self.events = []
        self.fail = fail

        def swallow(exc_type, exc_value, traceback):
            """cffi reports a callback's exception itself; this test only
            wants the -1 it turns into."""

        @ffi.callback("pyaudit_sink_fn", error=-1, onerror=swallow)
        def sink(event, args, userdata):
            self.events.append(ffi.string(event).decode())
            if self.fail:
                raise RuntimeError("this callback fails")
            return 0

        self.pointer = sink


@pytest.fixture
def sink():
    made = CallbackSink()
    ids = []
    yield made, ids
    for sub_id in ids:
        lib.pyaudit_unsubscribe(sub_id)


@pytest.mark.parametrize("patterns, sink_kind, message", [
    (None, "callback", "patterns is NULL"),
    (b"open", None, "sink is NULL"),
    (b"os*", "callback", "'os*' uses '*' in an unsupported place"),
    (b"open,,exec", "callback", "empty pattern"),
    (b"", "callback", "empty pattern"),
    (b"!!x", "callback", "more than one '!'"),
    (b"!", "callback", "excludes nothing"),
    (b"\xff.*, ok", "callback", "'\\xff.*, ok' is not valid UTF-8"),
    (b"\xed\xa0\x80", "callback", "not valid UTF-8"),    # a surrogate
    (b"\xc0\xaf", "callback", "not valid UTF-8"),        # overlong '/'
    ("!\u2003x".encode(), "callback", "whitespace after '!'"),
])
def test_subscribe_rejects_bad_input(patterns, sink_kind, message):
    callback = CallbackSink().pointer if sink_kind else ffi.NULL
    before = pyaudit.subscriptions()
    result = lib.pyaudit_subscribe(
        ffi.NULL if patterns is None else patterns, callback, ffi.NULL)
    assert result == -1
    assert message in last_error()
    assert pyaudit.subscriptions() == before


def test_long_bad_pattern_message_is_cut_on_a_character_boundary():
    pattern = ("a" + "\u00e9" * 150 + "*").encode()
    assert lib.pyaudit_subscribe(pattern, CallbackSink().pointer,
                                 ffi.NULL) == -1
    message = ffi.string(lib.pyaudit_last_error()).decode("utf-8")
    assert "...' uses '*' in an unsupported place" in message


@pytest.mark.parametrize("patterns", [
    " \u3000capi_test.strip\u00a0 ", "\x1ccapi_test.strip",
    "capi_test.strip\u2029",
])
def test_items_are_stripped_as_python_strips_them(sink, patterns):
    made, ids = sink
    ids.append(lib.pyaudit_subscribe(patterns.encode(), made.pointer,
                                     ffi.NULL))
    assert ids[-1] > 0, last_error()
    listed = [s.patterns for s in pyaudit.subscriptions() if s.id == ids[-1]]
    assert listed == [pyaudit.Filter(patterns).patterns] == [
        ("capi_test.strip",)]


def test_unsubscribe_unknown_or_twice(sink):
    made, ids = sink
    assert lib.pyaudit_unsubscribe(987654) == -1
    assert "no live C subscription has id 987654" in last_error()
    sub_id = lib.pyaudit_subscribe(b"capi_test.twice", made.pointer,
                                   ffi.NULL)
    assert sub_id > 0
    assert lib.pyaudit_unsubscribe(sub_id) == 0
    assert lib.pyaudit_unsubscribe(sub_id) == -1
    assert "id %d" % sub_id in last_error()


def test_python_subscription_ids_are_not_c_ones():
    with pyaudit.count("capi_test.python_only") as counter:
        python_id = [s.id for s in pyaudit.subscriptions()
                     if s.patterns == ("capi_test.python_only",)][0]
        assert lib.pyaudit_unsubscribe(python_id) == -1
        assert counter.active


def test_install_is_idempotent():
    assert lib.pyaudit_install() == 0
    assert lib.pyaudit_install() == 0


def test_sink_and_python_share_one_table(sink):
    made, ids = sink
    patterns = b"capi_test.shared.*, !capi_test.shared.no"
    ids.append(lib.pyaudit_subscribe(patterns, made.pointer, ffi.NULL))
    assert ids[-1] > 0
    listed = [s for s in pyaudit.subscriptions() if s.id == ids[-1]]
    assert listed == [pyaudit.SubscriptionInfo(
        ids[-1], "sink", ("capi_test.shared.*", "!capi_test.shared.no"),
        "main")]
    watched = []
    with pyaudit.watch("capi_test.shared.*", lambda n, a: watched.append(n)):
        sys.audit("capi_test.shared.yes", 1)
        sys.audit("capi_test.shared.no")
        sys.audit("capi_test.other")
    assert made.events == ["capi_test.shared.yes"]
    assert watched == ["capi_test.shared.yes", "capi_test.shared.no"]
    assert lib.pyaudit_unsubscribe(ids.pop()) == 0
    sys.audit("capi_test.shared.yes")
    assert made.events == ["capi_test.shared.yes"]
    assert all(s.kind != "sink" or s.patterns[0] != "capi_test.shared.*"
               for s in pyaudit.subscriptions())


def test_sink_with_rules_sees_only_events_whose_arguments_hold(
        sink, tmp_path):
    made, ids = sink
    where = '{writing = true, paths_outside = [%s]}' % json.dumps(
        str(tmp_path / "inside"))
    ids.append(lib.pyaudit_subscribe_ex(b"open", where.encode(),
                                        made.pointer, ffi.NULL, 0))
    assert ids[-1] > 0, last_error()
    listed = [s.where for s in pyaudit.subscriptions() if s.id == ids[-1]]
    assert listed == [where]
    (tmp_path / "inside").mkdir()
    # (builtin open: pathlib on 3.8 raises a second open from os.open)
    with open(str(tmp_path / "inside" / "kept"), "w"):   # write inside
        pass
    with open(str(tmp_path / "outside"), "w"):           # write outside
        pass
    with open(str(tmp_path / "outside")):                # read outside
        pass
    assert made.events == ["open"]


@pytest.mark.parametrize("where, message", [
    (b"{writing = 1}", "writing"),
    (b"{no_such_condition = true}", "no_such_condition"),
    (b"{writing = true", "invalid rule text (line 1"),
])
def test_sink_with_bad_rules_is_refused_with_the_reason(sink, where,
                                                        message):
    made, ids = sink
    before = pyaudit.subscriptions()
    assert lib.pyaudit_subscribe_ex(b"open", where, made.pointer, ffi.NULL,
                                    0) == -1
    assert message in last_error()
    assert pyaudit.subscriptions() == before


def test_sink_failing_without_exception_aborts_with_systemerror(sink):
    failing = CallbackSink(fail=True)
    made, ids = sink
    ids.append(lib.pyaudit_subscribe(b"capi_test.fails", failing.pointer,
                                     ffi.NULL))
    with pytest.raises(SystemError, match="capi_test.fails"):
        sys.audit("capi_test.fails")
    assert failing.events == ["capi_test.fails"]


def test_compiled_cffi_sink_counts_events(tmp_path):
    counting = build_counting_sink(tmp_path)
    address = counting.ffi.cast("uintptr_t", counting.ffi.addressof(
        counting.lib, "counting_sink"))
    sub_id = lib.pyaudit_subscribe(b"capi_test.compiled.*",
                                   ffi.cast("pyaudit_sink_fn", int(address)),
                                   ffi.NULL)
    assert sub_id > 0, last_error()
    try:
        for i in range(5):
            sys.audit("capi_test.compiled.event", i)
        sys.audit("capi_test.not_compiled")
        assert counting.lib.sink_count() == 5
        assert (counting.ffi.string(counting.lib.sink_last_event())
                == b"capi_test.compiled.event")
    finally:
        assert lib.pyaudit_unsubscribe(sub_id) == 0
    sys.audit("capi_test.compiled.event")
    assert counting.lib.sink_count() == 5


SUBINTERPRETERS = """
import json, sys
sys.path.insert(0, %(tests)r)
sys.path.insert(0, %(programs)r)
import pyaudit
from pyaudit.capi import ffi, lib
from support import build_counting_sink
from subinterpreters import create, destroy, run


# Two copies of a sink counting in C: one for the main interpreter (the
# default), one for every interpreter.
main_sink = build_counting_sink(%(tmp)r + "/main")
all_sink = build_counting_sink(%(tmp)r + "/all")


def address(module):
    return ffi.cast("pyaudit_sink_fn", int(module.ffi.cast(
        "uintptr_t", module.ffi.addressof(module.lib, "counting_sink"))))


assert lib.pyaudit_subscribe(b"capi_sub.*", address(main_sink), ffi.NULL) > 0
assert lib.pyaudit_subscribe_ex(b"capi_sub.*", ffi.NULL, address(all_sink),
                                ffi.NULL, lib.PYAUDIT_ALL_INTERPRETERS) > 0
seen = {}


def note(where):
    seen[where] = [main_sink.lib.sink_count(), all_sink.lib.sink_count()]


with pyaudit.count("capi_sub.*") as counter:
    sys.audit("capi_sub.main")
    note("main")
    # A subinterpreter sharing the GIL, where pyaudit is imported too.
    shared = create(shared_gil=True)
    run(shared, "import sys, pyaudit; sys.audit('capi_sub.shared', 1)")
    note("shared")
    destroy(shared)
    if sys.version_info >= (3, 12):
        # One with a GIL of its own, where pyaudit is not imported.
        isolated = create(shared_gil=False)
        run(isolated, "import sys; sys.audit('capi_sub.isolated', 1)")
        note("isolated")
        destroy(isolated)
print(json.dumps({"c": seen, "python": counter.counts()}))
"""


def test_c_sinks_see_the_main_or_every_interpreter(tmp_path):
    out = check_python(SUBINTERPRETERS % {"tests": TESTS,
                                          "programs": PROGRAMS,
                                          "tmp": str(tmp_path)},
                       backend="native")
    result = json.loads(out.strip().splitlines()[-1])
    # [main interpreter's sink, every interpreter's sink] after each event;
    # the Python counter sees its own interpreter only.
    expected = {"main": [1, 1], "shared": [1, 2]}
    if sys.version_info >= (3, 12):
        expected["isolated"] = [1, 3]
    assert result == {"c": expected, "python": {"capi_sub.main": 1}}
