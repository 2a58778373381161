"""Pattern syntax: what is rejected (and how), what matches, normalisation.

Every check runs on both backends through the ``api`` fixture.  The
property test at the bottom holds each backend's ``Filter`` against a
small reference matcher written here, independently of
``pyaudit/_patterns.py``.
"""

import re

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

CALLBACK = lambda name, args: None  # noqa: E731

ENTRY_POINTS = ("Filter", "watch", "record", "count", "deny")


def call_entry(api, entry, patterns):
    """Call one of the pattern-taking entry points; close what it made."""
    if entry == "Filter":
        return api.Filter(patterns)
    if entry == "watch":
        made = api.watch(patterns, CALLBACK)
    else:
        made = getattr(api, entry)(patterns)
    made.close()
    pytest.fail("%s(%r) was accepted" % (entry, patterns))


# -- rejected patterns --------------------------------------------------------

# (patterns, what the message must show via repr(), other fragments)
SYNTAX_ERRORS = [
    # '*' anywhere but alone or after a final '.'
    ("os*", "os*", ["allowed"]),
    ("*.x", "*.x", ["allowed"]),
    ("a.*.b", "a.*.b", ["allowed"]),
    ("**", "**", ["allowed"]),
    (".*", ".*", ["allowed"]),            # empty prefix
    ("!.*", "!.*", ["allowed"]),
    ("*x", "*x", ["allowed"]),
    ("a.**", "a.**", ["allowed"]),
    ("a*.*", "a*.*", ["allowed"]),
    ("open,os*", "os*", ["allowed"]),     # one bad item among good ones
    (["open", "a.*.b"], "a.*.b", ["allowed"]),
    # empty or whitespace-only items in a str: the whole str is shown
    ("a,,b", "a,,b", ["allowed"]),
    ("a,", "a,", ["allowed"]),
    (",a", ",a", ["allowed"]),
    ("", "", ["allowed"]),
    (" ", " ", ["allowed"]),
    ("a, ,b", "a, ,b", ["allowed"]),
    # ... and in a list
    (["a", ""], "", ["allowed"]),
    (["  "], "  ", ["allowed"]),
    # NUL
    ("a\0b", "a\0b", ["NUL", "allowed"]),
    (["a.\0.*"], "a.\0.*", ["NUL", "allowed"]),
    # misuse of '!'
    ("!", "!", ["allowed"]),
    (["!"], "!", ["allowed"]),
    ("!!x", "!!x", ["allowed"]),
    ("! x", "! x", ["whitespace", "allowed"]),
    (["!\tx"], "!\tx", ["whitespace", "allowed"]),
    ("*,!", "!", ["allowed"]),
]

LIST_ERRORS = [
    ([" open"], " open", ["whitespace"]),
    (["open "], "open ", ["whitespace"]),
    (["\topen"], "\topen", ["whitespace"]),
    (["open\n"], "open\n", ["whitespace"]),
    (["a,b"], "a,b", ["comma"]),
    (["ok", "x,"], "x,", ["comma"]),
]

SURROGATES = [
    ("\ud800", "\ud800"),
    ("a.\udfff", "a.\udfff"),
    ("!\ud800", "!\ud800"),
    (["open", "x\udc80y"], "x\udc80y"),
    ("\ud800.*", "\ud800.*"),             # a prefix no name can start with
    ("!a\udfff.*", "!a\udfff.*"),
]

TYPE_ERRORS = [
    # (patterns, a fragment of the message: the offending type)
    (1, "int"),
    (None, "NoneType"),
    (1.5, "float"),
    (b"open", "bytes"),
    (bytearray(b"open"), "bytearray"),
    (object(), "object"),
    (["open", 1], "int"),
    ([b"open"], "bytes"),
    ([None], "NoneType"),
    (("open", ["exec"]), "list"),
]


def _ids(cases):
    # Stable across processes (pytest-xdist compares ids): no addresses.
    return [re.sub(r" at 0x[0-9a-f]+", "", repr(case[0])) for case in cases]


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("patterns, shown, fragments", SYNTAX_ERRORS,
                         ids=_ids(SYNTAX_ERRORS))
def test_syntax_error_is_valueerror_naming_pattern(api, entry, patterns,
                                                   shown, fragments):
    with pytest.raises(ValueError) as info:
        call_entry(api, entry, patterns)
    message = str(info.value)
    assert repr(shown) in message
    for fragment in fragments:
        assert fragment in message


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("patterns, shown, fragments", LIST_ERRORS,
                         ids=_ids(LIST_ERRORS))
def test_unclean_list_item_is_valueerror(api, entry, patterns, shown,
                                         fragments):
    with pytest.raises(ValueError) as info:
        call_entry(api, entry, patterns)
    message = str(info.value)
    assert repr(shown) in message
    for fragment in fragments:
        assert fragment in message


def test_stripping_applies_to_str_not_to_list_items(api):
    assert api.Filter(" open ").patterns == ("open",)
    with pytest.raises(ValueError):
        api.Filter([" open "])


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("empty", [list, tuple, lambda: iter([]), set,
                                   lambda: (x for x in ())],
                         ids=["list", "tuple", "iterator", "set", "generator"])
def test_empty_iterable_is_valueerror(api, entry, empty):
    with pytest.raises(ValueError) as info:
        call_entry(api, entry, empty())
    assert "allowed" in str(info.value)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("patterns, shown", SURROGATES,
                         ids=_ids(SURROGATES))
def test_lone_surrogate_is_valueerror(api, entry, patterns, shown):
    with pytest.raises(ValueError) as info:
        call_entry(api, entry, patterns)
    assert repr(shown) in str(info.value)


@pytest.mark.parametrize("entry", ENTRY_POINTS)
@pytest.mark.parametrize("patterns, type_name", TYPE_ERRORS,
                         ids=_ids(TYPE_ERRORS))
def test_wrong_type_is_typeerror(api, entry, patterns, type_name):
    with pytest.raises(TypeError) as info:
        call_entry(api, entry, patterns)
    assert type_name in str(info.value)


@pytest.mark.parametrize("entry", ENTRY_POINTS[1:])
def test_rejected_patterns_leave_no_subscription(api, entry):
    before = api.subscriptions()
    for patterns, _, _ in SYNTAX_ERRORS + LIST_ERRORS:
        with pytest.raises(ValueError):
            call_entry(api, entry, patterns)
    for patterns, _ in TYPE_ERRORS:
        with pytest.raises(TypeError):
            call_entry(api, entry, patterns)
    assert api.subscriptions() == before


@pytest.mark.parametrize("name", [b"open", None, 1, ["open"]],
                         ids=["bytes", "None", "int", "list"])
def test_matches_non_str_is_typeerror(api, name):
    with pytest.raises(TypeError):
        api.Filter("*").matches(name)


@pytest.mark.parametrize("callback", [None, 1, "print", object()],
                         ids=["None", "int", "str", "object"])
def test_watch_non_callable_is_typeerror(api, callback):
    before = api.subscriptions()
    with pytest.raises(TypeError) as info:
        api.watch("pyaudit_test.never", callback)
    assert "callable" in str(info.value)
    assert api.subscriptions() == before


@pytest.mark.parametrize("capacity, error", [
    (True, TypeError), (False, TypeError), (1.0, TypeError),
    ("8", TypeError), (None, TypeError), (0, ValueError), (-1, ValueError),
    (2 ** 30 + 1, ValueError), (2 ** 64, ValueError),
], ids=["True", "False", "1.0", "str", "None", "0", "-1", "2**30+1", "2**64"])
def test_record_bad_capacity(api, capacity, error):
    before = api.subscriptions()
    with pytest.raises(error) as info:
        api.record("pyaudit_test.never", capacity=capacity)
    assert api.subscriptions() == before
    if error is ValueError:
        assert "between 1 and 1073741824" in str(info.value)


def test_record_capacity_bounds_are_inclusive(api):
    with api.record("pyaudit_test.capacity_one", capacity=1) as recorder:
        assert recorder.capacity == 1


# -- matching -----------------------------------------------------------------

MATCHING = [
    # (patterns, name, matches?)
    ("open", "open", True),
    ("open", "Open", False),
    ("open", "opener", False),
    ("open", "ope", False),
    ("open", "open.x", False),
    ("open", "", False),
    ("os.*", "os.listdir", True),
    ("os.*", "os.", True),
    ("os.*", "os.a.b", True),
    ("os.*", "os", False),
    ("os.*", "osx.y", False),
    ("os.*", "xos.y", False),
    ("os.*", "OS.listdir", False),
    ("a.b.*", "a.b.c", True),
    ("a.b.*", "a.bc", False),
    ("a.b.*", "a.b", False),
    ("*", "anything.at.all", True),
    ("*", "", True),
    ("*", "\u00e9v\u00e9nement", True),
    ("open,exec,import", "exec", True),
    ("open,exec,import", "import", True),
    ("open,exec,import", "compile", False),
    ("*,!os.*", "os.listdir", False),
    ("*,!os.*", "os", True),
    ("*,!os.*", "open", True),
    ("!os.*,*", "os.listdir", False),        # exclusions win wherever
    ("!os.*,*", "open", True),
    ("os.*,!os.listdir", "os.listdir", False),
    ("os.*,!os.listdir", "os.remove", True),
    ("!os.listdir,os.*", "os.listdir", False),
    ("open,!open", "open", False),
    ("!open", "open", False),                # only exclusions: nothing
    ("!open", "close", False),
    ("*,!*", "open", False),
    ("a.*,a.b.*,!a.b.c", "a.b.c", False),
    ("a.*,a.b.*,!a.b.c", "a.b.cd", True),
    ("!a.b.*,a.*", "a.b.x", False),
    ("!a.b.*,a.*", "a.c", True),
    ("*,!builtins.id,!object.*", "builtins.id", False),
    ("*,!builtins.id,!object.*", "object.__getattr__", False),
    ("*,!builtins.id,!object.*", "builtins.input", True),
    ("a b", "a b", True),
    ("\u00e9", "\u00e9", True),
    ("\u00e9", "e\u0301", False),            # no Unicode normalisation
    ("\u00fcn\u00efcode.*", "\u00fcn\u00efcode.x", True),
    ("\U0001f600.*", "\U0001f600.x", True),
    (["open", "socket.*"], "socket.connect", True),
    (("open", "socket.*"), "socket", False),
]


@pytest.mark.parametrize("patterns, name, expected", MATCHING,
                         ids=["%r~%r" % case[:2] for case in MATCHING])
def test_matches(api, patterns, name, expected):
    assert api.Filter(patterns).matches(name) is expected


# No event can have these names (sys.audit truncates at a NUL and refuses
# lone surrogates), so matches() refuses them rather than answer.
IMPOSSIBLE_NAMES = [
    ("*", "a\0b"),
    ("a", "a\0b"),
    ("a.*", "a.\0"),
    ("*", "\ud800"),
    ("a.*", "a.\udfff"),
    ("a", "\ud800"),
    ("*,!a.*", "a.\ud800"),
]


@pytest.mark.parametrize("patterns, name", IMPOSSIBLE_NAMES,
                         ids=["%r~%r" % case for case in IMPOSSIBLE_NAMES])
def test_matches_impossible_name_is_valueerror(api, patterns, name):
    with pytest.raises(ValueError) as info:
        api.Filter(patterns).matches(name)
    assert repr(name) in str(info.value)


# -- normalisation --------------------------------------------------------

NORMALISED = [
    (" a , b.* ,\t!c\n", ("a", "b.*", "!c")),
    ("open", ("open",)),
    ("a,a", ("a", "a")),
    (["a", "b.*", "!c"], ("a", "b.*", "!c")),
    (("*",), ("*",)),
    ("\u00e9v\u00e9nement , *", ("\u00e9v\u00e9nement", "*")),
]


@pytest.mark.parametrize("patterns, expected", NORMALISED,
                         ids=[repr(case[0]) for case in NORMALISED])
def test_filter_patterns_normalised(api, patterns, expected):
    patterns_attr = api.Filter(patterns).patterns
    assert type(patterns_attr) is tuple
    assert patterns_attr == expected


def test_filter_accepts_generator(api):
    flt = api.Filter(item for item in ["a", "b.*"])
    assert flt.patterns == ("a", "b.*")
    assert flt.matches("b.c") and flt.matches("a") and not flt.matches("b")


@pytest.mark.parametrize("kind", ENTRY_POINTS[1:])
def test_subscription_patterns_normalised(api, kind, ename):
    raw = " %s.x , %s.y.* ,!%s.y.z " % (ename, ename, ename)
    expected = (ename + ".x", ename + ".y.*", "!%s.y.z" % ename)
    if kind == "watch":
        sub = api.watch(raw, CALLBACK)
    else:
        sub = getattr(api, kind)(raw)
    with sub:
        assert sub.patterns == expected
        assert sub.kind == kind
        infos = [info for info in api.subscriptions()
                 if info.patterns == expected]
        assert len(infos) == 1 and infos[0].kind == kind


# -- property test against an independent reference ----------------------

class Invalid(Exception):
    """The reference says: ValueError."""


class WrongType(Exception):
    """The reference says: TypeError."""


def ref_items(patterns):
    """Reference splitting: the items, or Invalid / WrongType."""
    if isinstance(patterns, str):
        items = [part.strip() for part in patterns.split(",")]
        if any(item == "" for item in items):
            raise Invalid
        return items
    if isinstance(patterns, (bytes, bytearray)):
        raise WrongType
    items = list(patterns)
    if any(not isinstance(item, str) for item in items):
        raise WrongType
    if not items:
        raise Invalid
    for item in items:
        if item.strip() != item or item == "" or "," in item:
            raise Invalid
    return items


def ref_item(item):
    """Reference parsing of one item: (excluded, test) with test(name)."""
    excluded = item[:1] == "!"
    body = item[1:] if excluded else item
    if "\0" in item or body == "" or body[:1] == "!":
        raise Invalid
    if body.strip() != body:
        raise Invalid
    if any(0xD800 <= ord(char) <= 0xDFFF for char in item):
        raise Invalid
    if body == "*":
        return excluded, lambda name: True
    if "*" in body:
        prefix = body[:-1]
        if (body[-2:] == ".*" and "*" not in prefix and len(prefix) > 1):
            return excluded, lambda name: name[:len(prefix)] == prefix
        raise Invalid
    return excluded, lambda name: name == body


def ref_matcher(patterns):
    """Reference compiled filter: a function name -> bool."""
    parsed = [ref_item(item) for item in ref_items(patterns)]
    includes = [test for excluded, test in parsed if not excluded]
    excludes = [test for excluded, test in parsed if excluded]

    def matches(name):
        if any(test(name) for test in excludes):
            return False
        return any(test(name) for test in includes)
    return matches


def impossible_name(name):
    """No event can have this name: matches() raises ValueError."""
    return "\0" in name or any(0xD800 <= ord(c) <= 0xDFFF for c in name)


def ref_outcome(patterns):
    try:
        return ref_matcher(patterns)
    except Invalid:
        return ValueError
    except WrongType:
        return TypeError


# Items and names from a tiny alphabet, so that prefixes, dots, stars and
# bangs collide often; a few odd characters make the rejections fire.
ITEM_CHARS = st.sampled_from(list("ab.*!") + [" ", "\t", "\0", "\u00e9",
                                              "\ud800"])
items = st.text(ITEM_CHARS, max_size=5)
as_list = st.lists(items, max_size=4)
as_str = st.lists(items, min_size=1, max_size=4).map(",".join)
pattern_inputs = st.one_of(as_list, as_list.map(tuple), as_str)

small_names = st.text(st.sampled_from(list("ab.*!")), max_size=6)
any_names = st.one_of(
    st.text(max_size=12),                            # random Unicode, NUL too
    st.text(st.characters(blacklist_categories=()), max_size=4),  # surrogates
)
names = st.lists(st.one_of(small_names, any_names), min_size=1, max_size=8)


@settings(max_examples=400, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(patterns=pattern_inputs, names=names)
@example(patterns="a.*,!a.b.*", names=["a.b", "a.b.", "a.bb", "a.", "a"])
@example(patterns=["!*"], names=["", "*"])
@example(patterns="\u00e9.*", names=["\u00e9.", "\u00e9", "e.x"])
def test_filter_agrees_with_reference(api, patterns, names):
    expected = ref_outcome(patterns)
    if expected in (ValueError, TypeError):
        with pytest.raises(expected):
            api.Filter(patterns)
        return
    flt = api.Filter(patterns)
    for name in names:
        if impossible_name(name):
            with pytest.raises(ValueError):
                flt.matches(name)
        else:
            assert flt.matches(name) is expected(name), (patterns, name)
