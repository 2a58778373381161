"""The native rules' fast paths decide exactly as their slow paths and as
the Python reference.

* A guard (every target of the event has where= rules) is decided inside
  the hook; when every alternative asks ``writing = true``, an event that
  writes nothing is refused nothing before any other condition is read.
  Whether ``sys.audit("open", ...)`` is denied must be what
  ``Filter.matches`` says (the general path) on both backends.
* An absolute path already in normal form (no "//", no "/." or "/..", no
  final "/", no NUL) is judged in place, without a copy: paths of every
  length around the 8-byte blocks it is read in, with each of those
  shapes at each position, decide as the reference does.
"""

import os
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyaudit
from pyaudit import Where

NATIVE = pyaudit._api_for("native")
PYTHON = pyaudit._api_for("python")
FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])

DIRS = ["/srv/app", "/srv", "/", "/tmp/pyaudit-fast/allowed.d", "/a"]
COMPONENT = st.sampled_from(["srv", "app", "a", ".", "..", "", ".x", "x.",
                             "...", "allowed.d", "tmp", "pyaudit-fast",
                             "é", "\udcff", "a b"])


@st.composite
def open_path(draw):
    parts = draw(st.lists(COMPONENT, max_size=7))
    text = "/".join(parts)
    if draw(st.booleans()):
        text = "/" + text
    kind = draw(st.sampled_from(["str", "bytes", "fd"]))
    if kind == "fd":
        return 3
    return os.fsencode(text) if kind == "bytes" else text


MODES = st.one_of(st.none(),
                  st.sampled_from(["r", "rb", "w", "wb", "a", "x", "r+",
                                   "rt", "ab+", "é", "", "r" * 9]),
                  st.integers(0, 3))
FLAGS = st.one_of(st.none(), st.integers(0, 2 ** 12), st.just(2 ** 70),
                  st.just(-1), st.just("0"))
RULES = st.lists(
    st.fixed_dictionaries(
        {"writing": st.booleans()},
        optional={"paths_outside": st.lists(st.sampled_from(DIRS),
                                            min_size=1, max_size=2),
                  "paths_under": st.lists(st.sampled_from(DIRS),
                                          min_size=1, max_size=2)}),
    min_size=1, max_size=2).map(lambda alts: [Where(**a) for a in alts])


def denied(api, where, args):
    with api.deny("open", where=where):
        try:
            sys.audit("open", *args)
        except pyaudit.Denied:
            return True
    return False


@FUZZ
@given(RULES, open_path(), MODES, FLAGS)
def test_guards_decide_in_the_hook_as_matches_does(where, path, mode,
                                                   flags):
    args = (path, mode, flags)
    expected = NATIVE.Filter("open", where=where).matches("open", args)
    assert PYTHON.Filter("open", where=where).matches("open",
                                                      args) == expected
    assert denied(NATIVE, where, args) == expected
    assert denied(PYTHON, where, args) == expected


def shaped_paths():
    """Absolute paths of 1 to 40 bytes, plain and not, with each shape
    that sends a path the long way at every position."""
    shapes = ["//", "/.", "/..", "/./", "/../", "/.x", "/", "\0", "/x."]
    for n in range(0, 40):
        base = "/" + ("ab/" * 14)[:n]
        yield base
        yield base.rstrip("/")
        for at in range(1, len(base) + 1):
            for shape in shapes:
                yield base[:at] + shape + base[at:]


def test_plain_paths_decide_as_the_reference():
    wheres = [Where(paths_under=["/ab/ab"]), Where(paths_outside=["/ab"]),
              Where(paths_under=["/ab/ab/ab/ab/a"]),
              Where(paths_outside=["/"])]
    seen = 0
    for text in shaped_paths():
        for value in (text, os.fsencode(text)):
            for where in wheres:
                args = (value, "w", 0)
                native = NATIVE.Filter("open", where=where).matches(
                    "open", args)
                python = PYTHON.Filter("open", where=where).matches(
                    "open", args)
                assert native == python, (value, where)
                seen += 1
    assert seen > 10000
