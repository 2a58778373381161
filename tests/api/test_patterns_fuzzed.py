"""Fuzzing the pattern parser and Filter with Hypothesis.

* Arbitrary pattern arguments (text with '/', runs of '.', '*', '!', ',',
  ASCII and Unicode whitespace, NUL, non-ASCII, lone surrogates, items of
  10,000+ characters; lists, tuples, iterators, dicts and str subclasses of
  such text; bytes and other non-str objects): each backend's ``Filter``
  either raises what the reference below predicts (ValueError or TypeError)
  or accepts exactly the items it predicts and matches as it predicts, for
  names that share prefixes with the patterns and for arbitrary names.
* The native and python backends agree with each other: the same
  exception (type and message), or the same items and the same answers.
* The C API's parser (``pyaudit_subscribe``, csrc/pattern.c) accepts a
  comma-separated list exactly when ``pyaudit.Filter`` accepts it as a str,
  with the same items.
* 10,000 patterns in one Filter.

The reference here is written from docs/api.md's rules, independently of
pyaudit/_patterns.py (which is what it checks).  The harness in fuzz/ does
the same for the C table against csrc/pattern.c; tests/core/test_fuzz_replay.py
runs it.
"""

import random

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

import pyaudit

NATIVE = pyaudit._api_for("native")
PYTHON = pyaudit._api_for("python")

FUZZ_SETTINGS = dict(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture,
                           HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example],
)


# -- the reference ------------------------------------------------------------

class Rejected(Exception):
    """The reference predicts that Filter raises ``error``."""

    def __init__(self, error):
        Exception.__init__(self, error.__name__)
        self.error = error


def ref_check_item(item):
    """One stripped item: ``(excluded, kind, text)``, kind "exact",
    "prefix" (text ends with '.') or "all"; or Rejected(ValueError)."""
    if "\0" in item:
        raise Rejected(ValueError)
    try:
        item.encode("utf-8")
    except UnicodeEncodeError:                  # a lone surrogate
        raise Rejected(ValueError)
    excluded = item[:1] == "!"
    body = item[1:] if excluded else item
    if excluded and (body == "" or body[0] == "!" or body[0].isspace()):
        raise Rejected(ValueError)              # "!", "!!x", "! x"
    if body == "*":
        return excluded, "all", ""
    stars = body.count("*")
    if stars == 0:
        return excluded, "exact", body
    if stars == 1 and len(body) >= 3 and body[-2:] == ".*":
        return excluded, "prefix", body[:-1]
    raise Rejected(ValueError)


def ref_items(patterns):
    """The items Filter keeps, in order; or Rejected(the error)."""
    if isinstance(patterns, str):
        # Python's str.strip(): every Unicode whitespace character, which
        # includes the ASCII separators \x1c-\x1f, \x85 and \xa0.
        items = [part.strip() for part in patterns.split(",")]
        if "" in items:
            raise Rejected(ValueError)
        for item in items:
            ref_check_item(item)
        return items
    if isinstance(patterns, (bytes, bytearray)):
        raise Rejected(TypeError)
    try:
        iterator = iter(patterns)
    except TypeError:
        raise Rejected(TypeError)
    items = []
    for item in iterator:       # the first bad item decides the error
        if not isinstance(item, str):
            raise Rejected(TypeError)
        if item == "" or item.isspace() or item[0].isspace() \
                or item[-1].isspace() or "," in item:
            raise Rejected(ValueError)
        ref_check_item(item)
        items.append(item)
    if not items:
        raise Rejected(ValueError)
    return items


class Ref:
    """The reference matcher: sets, and the name's prefixes of each length
    some prefix pattern has looked up in a set (not startswith over the
    patterns, as _patterns does)."""

    def __init__(self, items):
        self.items = [str(item) for item in items]
        self.parsed = [ref_check_item(item) for item in self.items]
        self.all = {False: False, True: False}
        self.exact = {False: set(), True: set()}
        self.prefix = {False: set(), True: set()}
        for excluded, kind, text in self.parsed:
            if kind == "all":
                self.all[excluded] = True
            else:
                getattr(self, kind)[excluded].add(text)
        self.lengths = {side: sorted(set(map(len, self.prefix[side])))
                        for side in (False, True)}

    def texts(self):
        """What the items match, for names that share prefixes."""
        return [text for _, _, text in self.parsed]

    def _hit(self, side, name):
        if self.all[side] or name in self.exact[side]:
            return True
        prefixes = self.prefix[side]
        for length in self.lengths[side]:
            if length > len(name):
                return False
            if name[length - 1] == "." and name[:length] in prefixes:
                return True
        return False

    def outcome(self, name):
        """True / False, or the error matches(name) raises."""
        if not isinstance(name, str):
            return TypeError
        if "\0" in name:
            return ValueError
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return ValueError
        return not self._hit(True, name) and self._hit(False, name)


def ref_outcome(patterns):
    """A Ref, or the exception type Filter(patterns) raises."""
    try:
        return Ref(ref_items(patterns))
    except Rejected as rejected:
        return rejected.error


def check_names(flt, ref, names):
    for name in names:
        want = ref.outcome(name)
        if isinstance(want, bool):
            got = flt.matches(name)
            assert got is want, (flt.patterns, name, got, want)
        else:
            with pytest.raises(want):
                flt.matches(name)


def derived_names(texts, limit=30):
    """Names around each pattern's text: itself, one character shorter or
    longer, cut at (and just after) its first and last few dots."""
    names = [""]
    for text in texts[:limit]:
        names += [text, text[:-1], text + "x", text + ".", text + ".x",
                  text[:1], text[:2], text + "\u00e9"]
        dots = [i for i, c in enumerate(text) if c == "."]
        for i in dots[:3] + dots[-3:]:
            names += [text[:i], text[:i + 1], text[:i + 1] + "y"]
    return names


# -- strategies ---------------------------------------------------------------

# ASCII whitespace, the ASCII separators \x1c-\x1f and Unicode spaces: all
# of which Python's str.strip() strips.
WHITESPACE = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f",
              "\x85", "\xa0", "\u2003", "\u3000"]
# Pieces that make the interesting cases likely: separators, runs of '.',
# stars and bangs in every position, NUL, non-ASCII, lone surrogates.
PIECES = ["a", "b", "os", "x1", "/", "./", ".", "..", "...", "*", ".*", "!",
          "!!", ",", ", ", ";", "\0", "\u00e9", "e\u0301", "\U0001f600",
          "\ud800", "\udfff"] + WHITESPACE

pieces = st.one_of(st.sampled_from(PIECES), st.characters(),
                   st.text(st.characters(), max_size=3))
# Anything at all, mostly invalid.
chaotic_text = st.lists(pieces, max_size=8).map("".join)

SEGMENT_PIECES = ["a", "b", "os", "x1", "/", "", "a b", "\u00e9", "e\u0301",
                  "\U0001f600", "_", "-", "!"]


def grammar_item(segment, space):
    """Items that follow the grammar more often than not: an optional '!',
    '.'-joined segments (empty ones make runs of '.'), an optional '.*' (or
    a misplaced '*'), and whitespace around."""
    return st.builds(
        lambda lead, bang, segs, tail, trail: (
            lead + bang + ".".join(segs) + tail + trail),
        st.sampled_from(["", "", ""]) | space,
        st.sampled_from(["", "", "!"]),
        st.lists(segment, min_size=1, max_size=4),
        st.sampled_from(["", "", ".*", ".*", "*", ".", "*."]),
        st.sampled_from(["", "", ""]) | space,
    ) | st.sampled_from(["*", "!*", " * "])


@st.composite
def long_text(draw, tails=("", ".*", "*", "x", "\0", " ", "\ud800"),
              heads=("", "!", " ", "*")):
    """A 10,000+ character item: a repeated unit, possibly ended as a
    prefix, excluded or broken."""
    unit = draw(st.sampled_from(["a", "a.", "\u00e9.", "ab.cd", "/", "."]))
    size = draw(st.integers(10000, 12000))
    body = (unit * (size // len(unit) + 1))[:size]
    return (draw(st.sampled_from(heads)) + body
            + draw(st.sampled_from(tails)))


segment = (st.sampled_from(SEGMENT_PIECES)
           | st.text(st.characters(), max_size=3))
item_text = st.one_of(
    grammar_item(segment, st.sampled_from(WHITESPACE)),
    grammar_item(segment, st.sampled_from(WHITESPACE)),
    chaotic_text, long_text())
NON_STR = [1, None, 1.5, b"open", b"", bytearray(b"a.*"), object(),
           memoryview(b"ab"), memoryview(b""), ["open"], ("a",), 0]


class StrSub(str):
    """A str subclass: accepted like a str."""


class Spec:
    """A pattern argument, rebuilt for each call (an iterator is used up
    by the first)."""

    def __init__(self, kind, value):
        self.kind = kind
        self.value = value

    def make(self):
        if self.kind == "iterator":
            return iter(list(self.value))
        if self.kind == "generator":
            return (item for item in self.value)
        if self.kind == "list":
            return list(self.value)
        if self.kind == "tuple":
            return tuple(self.value)
        if self.kind == "dict":
            return dict.fromkeys(self.value)
        if self.kind == "strsub":
            return StrSub(self.value)
        return self.value

    def __repr__(self):
        return "Spec(%r, %r)" % (self.kind, self.value)


str_input = st.lists(item_text, min_size=1, max_size=6).map(",".join)
list_items = st.lists(st.one_of(item_text, item_text, item_text,
                                st.sampled_from(NON_STR)), max_size=6)
specs = st.one_of(
    str_input.map(lambda s: Spec("str", s)),
    str_input.map(lambda s: Spec("strsub", s)),
    st.tuples(st.sampled_from(["list", "tuple", "iterator", "generator"]),
              list_items).map(lambda kv: Spec(*kv)),
    st.lists(item_text, max_size=4).map(lambda v: Spec("dict", v)),
    st.sampled_from(NON_STR).map(lambda v: Spec("object", v)),
)

# Names from the same pieces, so that they often meet the patterns.
generic_names = st.one_of(chaotic_text,
                          st.text(st.characters(), max_size=30),
                          st.sampled_from([b"open", None, 1]))


@st.composite
def names_near(draw, ref):
    """Names sharing prefixes with ref's patterns, and arbitrary ones."""
    texts = ref.texts() or [""]
    base = st.sampled_from(texts)
    shared = st.one_of(
        st.builds(lambda t, k: t[:max(0, len(t) + k)], base,
                  st.integers(-4, 0)),
        st.builds(lambda t, s: t + s, base, chaotic_text),
        st.builds(lambda t, s: t[:t.rfind(".") + 1] + s, base, chaotic_text),
        st.builds(lambda t, u, n: t + u * n, base,
                  st.sampled_from(["x", ".", "a.", "\u00e9"]),
                  st.integers(10000, 11000)),
    )
    drawn = draw(st.lists(st.one_of(shared, shared, generic_names),
                          max_size=12))
    return derived_names(texts) + drawn


def outcome_of(api, spec):
    """A Filter, or (exception type, message)."""
    try:
        return api.Filter(spec.make())
    except (ValueError, TypeError) as error:
        return type(error), str(error)


# -- each backend against the reference ---------------------------------------

@settings(max_examples=300, **FUZZ_SETTINGS)
@given(spec=specs, data=st.data())
@example(spec=Spec("str", "a.*, !a.b.*"), data=None)
@example(spec=Spec("str", "\x1ca.*,\xa0!b\u3000"), data=None)
@example(spec=Spec("list", ["a.*", "\x1cb"]), data=None)
@example(spec=Spec("str", "!\x1cb"), data=None)
@example(spec=Spec("str", "a/b.*,//,./.*,...*"), data=None)
@example(spec=Spec("generator", ["ok", b"x"]), data=None)
@example(spec=Spec("list", ["a,b", 1]), data=None)
@example(spec=Spec("object", memoryview(b"")), data=None)
def test_filter_fuzz_agrees_with_reference(api, spec, data):
    want = ref_outcome(spec.make())
    event("rejected: %s" % want.__name__ if not isinstance(want, Ref)
          else "accepted")
    if not isinstance(want, Ref):
        with pytest.raises(want):
            api.Filter(spec.make())
        return
    flt = api.Filter(spec.make())
    assert flt.patterns == tuple(want.items)
    names = derived_names(want.texts())
    if data is not None:
        names += data.draw(names_near(want), label="names")
    event("names that match: %s" % ("some" if any(
        want.outcome(name) is True for name in names) else "none"))
    check_names(flt, want, names)


# -- the backends against each other ------------------------------------------

@settings(max_examples=300, **FUZZ_SETTINGS)
@given(spec=specs, data=st.data())
@example(spec=Spec("str", "\u2003x.*,!x.y"), data=None)
def test_backends_agree(spec, data):
    native = outcome_of(NATIVE, spec)
    python = outcome_of(PYTHON, spec)
    if isinstance(native, tuple) or isinstance(python, tuple):
        assert native == python
        return
    assert native.patterns == python.patterns
    names = derived_names(list(native.patterns))
    if data is not None:
        names += data.draw(names_near(Ref(native.patterns)), label="names")
    for name in names:
        answers = []
        for flt in (native, python):
            try:
                answers.append(flt.matches(name))
            except (ValueError, TypeError) as error:
                answers.append(type(error))
        assert answers[0] == answers[1], (native.patterns, name, answers)


# -- the C API's parser against the Python rules ------------------------------
#
# pyaudit_subscribe strips what Python's str.strip() strips (csrc/pattern.c
# decodes the UTF-8), so every whitespace character takes part; as bytes
# cannot say otherwise, the comparison uses no NUL and nothing that cannot
# be encoded as UTF-8 (the C API rejects invalid UTF-8 itself: see
# tests/embed/test_capi.py).

def _capi_char(c):
    return c != "\0" and not 0xD800 <= ord(c) <= 0xDFFF


capi_segment = (st.sampled_from(SEGMENT_PIECES)
                | st.text(st.characters().filter(_capi_char), max_size=3))
capi_chaotic = st.lists(
    st.sampled_from([p for p in PIECES if all(map(_capi_char, p))])
    | st.characters().filter(_capi_char), max_size=8).map("".join)
capi_item = st.one_of(
    grammar_item(capi_segment, st.sampled_from(WHITESPACE)),
    grammar_item(capi_segment, st.sampled_from(WHITESPACE)),
    capi_chaotic,
    long_text(tails=("", ".*", "*", "x", " "), heads=("", "!", " ", "*")))
capi_lists = st.lists(capi_item, min_size=1, max_size=6).map(",".join)


def _sink(event, args, userdata):
    return 0


_capi = {}


def capi():
    """(ffi, lib, sink callback), made once and kept alive: a callback must
    outlive every subscription that uses it."""
    if not _capi:
        from pyaudit.capi import ffi, lib
        _capi["ffi"], _capi["lib"] = ffi, lib
        _capi["sink"] = ffi.callback("pyaudit_sink_fn", _sink)
    return _capi["ffi"], _capi["lib"], _capi["sink"]


@settings(max_examples=400, **FUZZ_SETTINGS)
@given(patterns=capi_lists)
@example(patterns=" a.* ,\tb\n")
@example(patterns="!\x0bx")
@example(patterns="a,\x0c,b")
@example(patterns="x.*\x0b,!y")
def test_capi_parser_agrees_with_python(patterns):
    ffi, lib, sink = capi()
    from pyaudit.capi import last_error
    try:
        expected = pyaudit.Filter(patterns).patterns
        message = None
    except ValueError as error:
        expected, message = None, str(error)
    event("rejected" if expected is None else "accepted")
    sub_id = lib.pyaudit_subscribe(patterns.encode("utf-8"), sink, ffi.NULL)
    try:
        if expected is None:
            assert sub_id == -1, (patterns, message)
            assert "allowed:" in last_error() and "allowed:" in message
        else:
            assert sub_id > 0, (patterns, last_error())
            mine = [info for info in NATIVE.subscriptions()
                    if info.id == sub_id]
            assert len(mine) == 1 and mine[0].kind == "sink"
            assert mine[0].patterns == expected
    finally:
        if sub_id > 0:
            assert lib.pyaudit_unsubscribe(sub_id) == 0, last_error()


# -- 10,000 patterns ----------------------------------------------------------

SEGMENTS = ["a", "b", "os", "io", "x1", "\u00e9", "socket", "sub", "z",
            "open", "w", "cd"]


def many_patterns(rng, with_all):
    """10,000 items: exact names, prefixes and exclusions of both, over a
    small vocabulary so that they nest and collide (excluded prefixes are
    deep ones, or they would exclude nearly everything)."""
    items = ["*"] if with_all else []
    while len(items) < 10000:
        depth = rng.randint(1, 4)
        name = ".".join(rng.choice(SEGMENTS) for _ in range(depth))
        form = rng.random()
        if form < 0.5:
            item = name
        elif form < 0.88:
            item = name + ".*"
        elif form < 0.95:
            item = "!" + name
        elif depth >= 3:
            item = "!" + name + ".*"
        else:
            continue
        items.append(item)
    rng.shuffle(items)
    return items


@pytest.mark.parametrize("with_all", [False, True], ids=["no_star", "star"])
def test_ten_thousand_patterns(api, with_all):
    rng = random.Random(20240578 + with_all)
    items = many_patterns(rng, with_all)
    ref = Ref(items)
    texts = ref.texts()
    names = derived_names(rng.sample(texts, 300), limit=300)
    while len(names) < 4000:
        names.append(".".join(rng.choice(SEGMENTS + ["", "q"])
                              for _ in range(rng.randint(1, 6))))
    for patterns in (items, ", ".join(items)):
        flt = api.Filter(patterns)
        assert flt.patterns == tuple(items)
        check_names(flt, ref, names)
    # The test checks something: both answers occur often.
    answers = [ref.outcome(name) for name in names]
    assert answers.count(True) > 400 and answers.count(False) > 400
