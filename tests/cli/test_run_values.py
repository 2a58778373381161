"""The pieces of ``pyaudit run``'s tracer that need no process of their own:
arguments made printable and JSON-safe, the JSON writer (held to
``json.dumps``), the two line formats, the decoded integers, the
PYAUDIT_RUN codec and the default selection."""

import json
import os
import socket

import pytest
from hypothesis import given, strategies as st

import pyaudit
from pyaudit._trace import config as configs, decode, defaults, formats, values


class FailingRepr:
    def __repr__(self):
        raise RuntimeError("nope")


class NotAStr:
    def __repr__(self):
        return 42


class FancyStr(str):
    def __str__(self):
        raise RuntimeError("nope")


@pytest.mark.parametrize("value, expected", [
    (None, None), (True, True), (0, 0), (-7, -7), (2 ** 80, 2 ** 80),
    (1.25, 1.25), (float("nan"), "nan"), (float("inf"), "inf"),
    ("text", "text"), ("\udcff", "\udcff"), (FancyStr("fancy"), "fancy"),
    ((), []), ((1, ("a", None)), [1, ["a", None]]),
    (b"\x00", "b'\\x00'"), ({"a": 1}, "{'a': 1}"), ({1}, "{1}"),
    (FailingRepr(), "<FailingRepr object (repr failed: RuntimeError)>"),
    (NotAStr(), "<NotAStr object (repr failed: TypeError)>"),
])
def test_json_safe(value, expected):
    result = values.json_safe(value)
    assert result == expected
    assert type(result) is type(expected)
    json.dumps(result, allow_nan=False)


def test_json_safe_limits_depth_and_length():
    nested = []
    for _ in range(10):
        nested = [nested]
    flat = values.json_safe(nested)
    for _ in range(values.MAX_DEPTH):
        (flat,) = flat
    assert isinstance(flat, str) and flat.startswith("[[")
    assert values.json_safe(list(range(101))) == list(range(100)) + [
        "... 1 more"]
    assert values.json_safe(list(range(100))) == list(range(100))


# What json_safe can return: JSON scalars and lists of them.
json_safe_values = st.recursive(
    st.none() | st.booleans() | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5), max_leaves=30)


@given(json_safe_values)
def test_json_writer_writes_what_json_dumps_writes(value):
    assert values.json_value(value) == json.dumps(value)


# Event arguments: what json_safe turns into JSON, and what it does not.
arguments = st.recursive(
    json_safe_values | st.binary() | st.floats() | st.sets(st.integers())
    | st.dictionaries(st.text(), st.integers()),
    lambda children: st.lists(children, max_size=5)
    | st.lists(children, max_size=5).map(tuple), max_leaves=30)


@given(arguments)
def test_json_text_is_json_safe_then_json(value):
    assert values.json_text(value) == json.dumps(values.json_safe(value))


def test_json_text_keeps_the_item_limit():
    assert json.loads(values.json_text(tuple(range(150)))) == (
        list(range(100)) + ["... 50 more"])


@given(st.text())
def test_json_strings_read_back_as_the_same_text(text):
    assert json.loads(values.json_string(text)) == text
    assert values.json_string(text).isascii()


def test_cut_marks_what_it_cut():
    assert values.cut("abcdef", 4) == "abcd...(+2 chars)"
    assert values.cut("abcd", 4) == "abcd"
    assert values.cut("abcdef", 0) == "abcdef"


def test_short_repr_cuts_with_a_marker():
    text = values.short_repr("x" * 1000)
    assert text == repr("x" * 1000)[:values.REPR_LIMIT] + "...(+802 chars)"
    assert values.short_repr("x" * 1000, 0) == repr("x" * 1000)
    # a large buffer: its first bytes and its size, never its whole repr
    text = values.short_repr(b"\xff" * 10 ** 6, limit=20)
    assert text == "b'\\xff\\xff\\xff\\xff\\x...(1000000 bytes)"
    assert values.short_repr("short") == "'short'"


# -- line formats -------------------------------------------------------------

PROCESS = formats.Process(pid=4242, ppid=17, main_thread=1)


def test_jsonl_line_holds_the_event_and_who_raised_it():
    line = formats.Jsonl(PROCESS)("open", ("/f", "w", 577), 123, 9,
                                  "/app/x.py:3 in main")
    assert line.endswith("}\n") and line.count("\n") == 1
    assert json.loads(line) == {
        "event": "open", "args": ["/f", "w", 577], "time_ns": 123,
        "thread": 9, "pid": 4242, "ppid": 17, "caller": "/app/x.py:3 in main"}
    assert json.loads(formats.Jsonl(PROCESS)("x", (), 0, 1, None))[
        "caller"] is None


def test_text_line_is_one_line_whatever_the_name_and_args():
    text = formats.Text(PROCESS, colour=False, cwd="/app")
    line = text("odd\nname", ("multi\nline", FailingRepr()), 0, 2, None)
    assert line.count("\n") == 1 and line.endswith("\n")
    assert "'odd\\nname'" in line and "'multi\\nline'" in line
    assert " 4242 T1 " in line
    coloured = formats.Text(PROCESS, colour=True)("x.y", (), 0, 1, None)
    assert coloured.startswith("\x1b[2m")
    assert "\x1b[1;36mx.y\x1b[0m" in coloured


def test_text_line_shows_the_caller_relative_to_the_start_directory():
    text = formats.Text(PROCESS, cwd="/app")
    assert text("e", (1,), 0, 1, "/app/pkg/x.py:3 in f").endswith(
        " 1  @ pkg/x.py:3 in f\n")
    assert text("e", (), 0, 1, "/usr/lib/y.py:9 in g").endswith(
        "  @ /usr/lib/y.py:9 in g\n")


def test_text_cuts_each_argument_on_its_own():
    text = formats.Text(PROCESS, max_arg_len=10)
    shown = text.args_text("e", ("a" * 30, "short", b"\x00" * 50, 7))
    assert shown == ("'aaaaaaaaa...(+22 chars), 'short', "
                     "b'\\x00\\x00...(50 bytes), 7")
    whole = formats.Text(PROCESS, max_arg_len=0).args_text("e", ("a" * 500,))
    assert whole == repr("a" * 500)


def test_text_decodes_the_integers_people_cannot_read():
    text = formats.Text(PROCESS)
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC
    assert text.args_text("open", ("/f", "w", flags)) == (
        "'/f', 'w', %d (O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC)" % flags)
    assert text.args_text("os.mkdir", ("/d", 0o750, -1)) == (
        "'/d', 488 (0o750), -1")
    family, kind = int(socket.AF_INET6), int(socket.SOCK_DGRAM)
    assert text.args_text("socket.__new__", ("s", family, kind, 0)) == (
        "'s', %d (AF_INET6), %d (SOCK_DGRAM), 0" % (family, kind))
    # only ints of the known positions of the known events
    assert text.args_text("open", ("/f", "w", True)) == "'/f', 'w', True"
    assert text.args_text("other", (1, 2, flags)) == "1, 2, %d" % flags


@pytest.mark.parametrize("flags, shown", [
    (os.O_RDONLY, "O_RDONLY"),
    (os.O_RDWR | os.O_APPEND | os.O_CREAT, "O_RDWR|O_CREAT|O_APPEND"),
    (os.O_WRONLY | os.O_EXCL | os.O_CREAT, "O_WRONLY|O_CREAT|O_EXCL"),
    (os.O_RDWR | os.O_TMPFILE, "O_RDWR|O_TMPFILE"),
    (os.O_RDONLY | os.O_DIRECTORY, "O_RDONLY|O_DIRECTORY"),
    (os.O_WRONLY | 1 << 30, "O_WRONLY|0x40000000"),
])
def test_open_flags_are_named(flags, shown):
    assert decode.open_flags(flags) == shown


def test_socket_type_names_its_flags():
    kind = socket.SOCK_STREAM | socket.SOCK_NONBLOCK | socket.SOCK_CLOEXEC
    assert decode.socket_type(int(kind)) == (
        "SOCK_STREAM|SOCK_NONBLOCK|SOCK_CLOEXEC")
    assert decode.socket_type(0) is None
    assert decode.socket_family(int(socket.AF_UNIX)) == "AF_UNIX"


# -- the configuration children receive ------------------------------------

text_values = st.text(st.characters(blacklist_categories=("Cs",),
                                    blacklist_characters="\0"))


@given(output=text_values, summary=text_values,
       events=st.lists(st.text(st.characters(
           blacklist_categories=("Cs",), blacklist_characters="\0,"),
           min_size=1), min_size=1),
       flags=st.lists(st.booleans(), min_size=5, max_size=5),
       numbers=st.lists(st.integers(0, 2 ** 31), min_size=2, max_size=2))
def test_config_survives_the_environment_variable(output, summary, events,
                                                  flags, numbers):
    config = configs.Config(
        events, writes_only=flags[0], format="text", colour=flags[1],
        max_arg_len=numbers[0], lines=flags[2], output=output,
        per_process=flags[3], stderr_path="/proc/1/fd/4095",
        stderr_id="2049:77", summary=summary, top_pid=numbers[1],
        follow=flags[4], encoding="utf-8")
    text = configs.encode(config)
    assert "\0" not in text
    assert configs.decode(text) == config


@pytest.mark.parametrize("text, fragment", [
    ("v=0;events=open", "another version"),
    ("events=open", "another version"),
    ("v=1;events", "malformed"),
    ("v=1;events=open", "lacks"),
])
def test_a_config_from_elsewhere_is_refused(text, fragment):
    with pytest.raises(ValueError, match=fragment):
        configs.decode(text)


# -- the default selection -----------------------------------------------------

@pytest.mark.parametrize("args, writes", [
    (("f", "r", os.O_RDONLY), False),
    (("f", "rb", os.O_RDONLY | os.O_CLOEXEC), False),
    (("f", "w", os.O_WRONLY | os.O_CREAT | os.O_TRUNC), True),
    (("f", "a", 0), True),
    (("f", "x", 0), True),
    (("f", "r+", os.O_RDWR), True),
    (("f", None, os.O_RDONLY), False),
    (("f", None, os.O_WRONLY), True),
    (("f", None, os.O_RDONLY | os.O_CREAT), True),
    (("f", None, os.O_RDONLY | os.O_TRUNC), True),
    (("f",), False),
    ((), False),
    (("f", object(), "not flags"), False),
])
def test_opens_for_writing(args, writes):
    assert defaults.opens_for_writing(args) is writes


def test_default_events_are_valid_patterns():
    assert pyaudit.Filter(defaults.DEFAULT_EVENTS).patterns == (
        defaults.DEFAULT_EVENTS)
    assert "import" not in defaults.DEFAULT_EVENTS
    assert "open" in defaults.DEFAULT_EVENTS
    # every Python process the tree runs says what it runs
    for name in ("cpython.run_file", "cpython.run_module",
                 "cpython.run_command", "cpython.run_stdin"):
        assert pyaudit.Filter(defaults.DEFAULT_EVENTS).matches(name)
