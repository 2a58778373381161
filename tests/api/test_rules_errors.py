"""where= input that is wrong is an error at subscribe time, with one
message whichever layer finds it: pyaudit.Where, the Python reference
(pyaudit._rules) and the native compiler (csrc/rules.c) say the same.
"""

import pytest

from pyaudit import Where, _pyaudit, _rules

ALLOWED = ("paths_under, paths_outside, writing, hosts, hosts_outside, "
           "ports, programs, programs_outside, modules, modules_outside, "
           "args")
HOST_ALLOWED = ("is malformed; allowed: an IPv4 or IPv6 address, a CIDR "
                "range such as '10.0.0.0/8' or 'fe80::/10' (no bits set "
                "after the prefix) or an ASCII host name")
PORT_ALLOWED = "allowed: an integer 0-65535 or a range string 'a-b' with " \
    "a <= b"
NETWORK = "network events (socket.connect, socket.getaddrinfo, " \
    "urllib.Request, ...)"

BAD_RULES = [
    ("{foo = 1}", ValueError, "unknown condition 'foo'; allowed: " + ALLOWED),
    ('{writing = "yes"}', TypeError, "writing must be a boolean, not a "
     "string"),
    ('{paths_under = "/x"}', TypeError, "paths_under must be an array of "
     "strings, not a string"),
    ("{paths_under = []}", ValueError, "paths_under must list at least one "
     "directory"),
    ("{paths_outside = [1]}", TypeError, "paths_outside must be an array of "
     "strings, not an array holding an integer"),
    ('{paths_under = ["/a\\u0000b"]}', ValueError, "paths_under: an entry "
     "contains a NUL character"),
    ('{paths_under = ["rel/dir"]}', ValueError, "paths_under: 'rel/dir' is "
     "not an absolute directory; directories must start with '/'"),
    ('{hosts = ["10.0.0.1/8"]}', ValueError, "hosts: '10.0.0.1/8' "
     + HOST_ALLOWED),
    ('{hosts = ["10.0.0.0/33"]}', ValueError, "hosts: '10.0.0.0/33' "
     + HOST_ALLOWED),
    ('{hosts = ["10.0.0.0/08"]}', ValueError, "hosts: '10.0.0.0/08' "
     + HOST_ALLOWED),
    ('{hosts = ["1.2.3"]}', ValueError, "hosts: '1.2.3' " + HOST_ALLOWED),
    ('{hosts = ["ex ample"]}', ValueError, "hosts: 'ex ample' "
     + HOST_ALLOWED),
    ('{hosts = ["::1::"]}', ValueError, "hosts: '::1::' " + HOST_ALLOWED),
    ('{hosts_outside = ["bücher.de"]}', ValueError, "hosts_outside: "
     "'bücher.de' " + HOST_ALLOWED),
    ('{hosts = ["fe80::1%eth0"]}', ValueError, "hosts: 'fe80::1%eth0' "
     + HOST_ALLOWED),
    ("{ports = 80}", TypeError, "ports must be an array of integers or 'a-b' "
     "strings, not an integer"),
    ("{ports = []}", ValueError, "ports must list at least one port"),
    ("{ports = [70000]}", ValueError, "ports: 70000 is not a port; "
     + PORT_ALLOWED),
    ("{ports = [-1]}", ValueError, "ports: -1 is not a port; "
     + PORT_ALLOWED),
    ('{ports = ["80"]}', ValueError, "ports: '80' is not a port range; "
     + PORT_ALLOWED),
    ('{ports = ["9-1"]}', ValueError, "ports: '9-1' is not a port range; "
     + PORT_ALLOWED),
    ('{ports = ["1-70000"]}', ValueError, "ports: '1-70000' is not a port "
     "range; " + PORT_ALLOWED),
    ("{ports = [true]}", TypeError, "ports must be an array of integers or "
     "'a-b' strings, not an array holding a boolean"),
    ('{programs = ["bin/git"]}', ValueError, "programs: 'bin/git' is "
     "neither a program name (no '/') nor an absolute path"),
    ('{programs_outside = [""]}', ValueError, "programs_outside: '' is "
     "neither a program name (no '/') nor an absolute path"),
    ('{modules = ["1abc"]}', ValueError, "modules: '1abc' is not a module "
     "name; allowed: dotted names such as 'pkg' or 'pkg.sub'"),
    ('{modules_outside = ["a..b"]}', ValueError, "modules_outside: 'a..b' "
     "is not a module name; allowed: dotted names such as 'pkg' or "
     "'pkg.sub'"),
    ("{args = 1}", TypeError, "args must be an inline table of argument "
     "names or positions to values, not an integer"),
    ("{args = {}}", ValueError, "args must name at least one argument"),
    ("{args = {mode = []}}", ValueError, "args: 'mode' has an empty array "
     "of values, which no argument equals"),
    ("{args = {mode = {a = 1}}}", TypeError, "args: the value for 'mode' "
     "must be a string, integer, boolean or float, or an array of them, "
     "not a table"),
    ("{args = {mode = [[1]]}}", TypeError, "args: the value for 'mode' "
     "must be a string, integer, boolean or float, or an array of them, "
     "not an array"),
    ("{args = {01 = 1}}", ValueError, "args: position '01' must be a "
     "decimal number 0-255 without leading zeros"),
    ("{args = {256 = 1}}", ValueError, "args: position '256' must be a "
     "decimal number 0-255 without leading zeros"),
    ('{args = {"" = 1}}', ValueError, "args: an argument name must not be "
     "empty"),
    ("[]", ValueError, "rule text has no alternatives: an empty array "
     "matches nothing; give at least one inline table"),
    ("{}", ValueError, "an alternative has no conditions; give at least one "
     "of: " + ALLOWED),
    ("[{writing = true}, 3]", TypeError, "each alternative must be an "
     "inline table of conditions, not an integer"),
    ('"x"', TypeError, "rule text must be an inline table or an array of "
     "inline tables, not a string"),
    # Checked before the patterns are: the first alternative's mistake.
    ('[{foo = 1}, {writing = "x"}]', ValueError, "unknown condition 'foo'"),
]

UNSUPPORTED = [
    ('{hosts = ["::1"]}', "open", "condition 'hosts' cannot hold for any "
     "event that 'open' matches: it applies only to " + NETWORK),
    ('{paths_under = ["/"]}', "socket.*", "condition 'paths_under' cannot "
     "hold for any event that 'socket.*' matches: it applies only to events "
     "with path arguments (open, os.remove, shutil.copyfile, ...)"),
    ("{writing = false}", "import, exec", "condition 'writing' cannot hold "
     "for any event that 'import, exec' matches: it applies only to file "
     "events (open, os.remove, shutil.copyfile, ...)"),
    ('{programs = ["x"]}', "open, import", "condition 'programs' cannot "
     "hold for any event that 'open, import' matches: it applies only to "
     "process events (subprocess.Popen, os.exec, os.system, ...)"),
    ('{modules = ["x"]}', "*, !import", "condition 'modules' cannot hold for "
     "any event that '*, !import' matches: it applies only to the import "
     "event"),
    ("{ports = [1]}", "socket.gethostbyname", "condition 'ports' cannot "
     "hold for any event that 'socket.gethostbyname' matches: it applies "
     "only to network events with a port (socket.connect, "
     "socket.getaddrinfo, urllib.Request, ...)"),
    ("{args = {foo = 1}}", "os.*", "condition 'args' cannot hold for any "
     "event that 'os.*' matches: none of them has an argument named 'foo'"),
    ("{args = {7 = 1}}", "open", "condition 'args' cannot hold for any "
     "event that 'open' matches: none of them has an argument at position "
     "7"),
    ("{args = {0 = 1}}", "myapp.*", "condition 'args' cannot hold for any "
     "event that 'myapp.*' matches: none of them has an argument at "
     "position 0"),
    ("{writing = true}", "myapp.upload", "condition 'writing' cannot hold "
     "for any event that 'myapp.upload' matches"),
    ("{args = {user = 1}}", "myapp.upload", "condition 'args' cannot hold "
     "for any event that 'myapp.upload' matches: none of them has an "
     "argument named 'user'"),
    ("[{writing = true}, {hosts = ['h']}]", "open", "condition 'hosts' "
     "cannot hold for any event that 'open' matches"),
]

SUPPORTED = [
    ('{hosts = ["::1"]}', "socket.*, !socket.connect"),
    ('{hosts = ["::1"]}', "*"),
    ("{args = {0 = 1}}", "myapp.upload"),
    ("{args = {2 = 1, flags = 1}}", "open"),
    ("{writing = true}", "open, import"),
    ('{modules = ["json"]}', "import"),
]


def errors_of(text, patterns):
    """(type, message) from each layer that checks rule text."""
    items = tuple(p.strip() for p in patterns.split(","))
    seen = []
    for compile_rules in (lambda: _rules.Rules(text, items),
                          lambda: _pyaudit.Filter(items, text)):
        with pytest.raises((ValueError, TypeError)) as info:
            compile_rules()
        seen.append((info.type, str(info.value)))
    return seen


@pytest.mark.parametrize("text, error, message", BAD_RULES)
def test_bad_rules_are_the_same_error_in_python_and_c(text, error, message):
    python, native = errors_of(text, "*")
    assert python == native
    assert python[0] is error
    assert python[1].startswith(message)


@pytest.mark.parametrize("text, error, message", BAD_RULES)
def test_bad_rules_are_an_error_of_every_subscription(api, text, error,
                                                      message):
    for subscribe in (lambda: api.count("*", where=text),
                      lambda: api.deny("*", where=text),
                      lambda: api.Filter("*", where=text)):
        with pytest.raises(error) as info:
            subscribe()
        assert str(info.value).startswith(message)


@pytest.mark.parametrize("text, patterns, message", UNSUPPORTED)
def test_a_condition_the_patterns_cannot_satisfy_is_an_error(
        api, text, patterns, message):
    python, native = errors_of(text, patterns)
    assert python == native
    assert python[0] is ValueError
    assert python[1].startswith(message)
    before = api.subscriptions()
    with pytest.raises(ValueError) as info:
        api.record(patterns, where=text)
    assert str(info.value).startswith(message)
    assert api.subscriptions() == before


@pytest.mark.parametrize("text, patterns", SUPPORTED)
def test_a_condition_some_matched_event_can_satisfy_is_accepted(
        api, text, patterns):
    with api.count(patterns, where=text) as counter:
        assert counter.where is not None


@pytest.mark.parametrize("text", [
    "{a = 0x10}", "{a = 0o7}", '{a = """x"""}', "{a.b = 1}",
    "{a = 1979-05-27}", "{a = 07:32:00}", "{a = 1, a = 2}", "{a = 1,}",
    "{a = \n 1}", '{a = "x\\q"}', '{a = "\\uD800"}', "writing = true",
    "{writing = true} x", "{a = 01}", "{a = 1__0}",
    "{a = 9223372036854775808}",
    "{a = 'x\ny'}", "{a = [1 2]}", "", "   # only a comment",
    "[" * 40 + "]" * 40, "{a = \"\x01\"}",
])
def test_text_outside_the_c_subset_is_a_clear_error(text):
    with pytest.raises(ValueError, match=r"^invalid rule text \(line \d+, "
                                         r"column \d+\): \w"):
        _pyaudit.Filter(("*",), text)


@pytest.mark.parametrize("text", [
    "{a = 0x10}", '{a = """x"""}', "{a = 1, a = 2}", '{a = "x\\q"}',
    "{writing = true} x", "{a = 01}", "",
])
def test_text_that_is_not_toml_is_a_clear_error_in_python(api, text):
    """(What is TOML depends a little on the parser: tomli 2.5 reads TOML
    1.1, which allows a trailing comma and newlines in inline tables.)"""
    if text in ("{a = 0x10}", '{a = """x"""}'):
        text = text.replace("{a", "{writing")    # valid TOML: wrong type
        error = TypeError
    else:
        error = ValueError
    with pytest.raises(error, match="invalid rule text: |writing must be"):
        api.count("*", where=text)


def test_the_c_subset_reads_what_toml_allows_there():
    text = ("[ # alternatives\n  {writing = true, args = {'0' = ['l\\\\', "
            "\"p\"], 2 = [1_000, -0.5e3, +inf, nan, true]}},\n"
            "  {ports = [\"1-2\"]} ,\n]\n")
    filter_ = _pyaudit.Filter(("*",), text)
    assert filter_.matches("open", ("p", "w", 1000))
    assert _rules.Rules(text, ("*",)).matches("open", ("p", "w", 1000))


@pytest.mark.parametrize("conditions, error, message", [
    ({}, ValueError, "an alternative has no conditions"),
    ({"ports": [range(5, 1)]}, ValueError, "ports: range(5, 1) is not a "
     "port range"),
    ({"ports": [range(1, 9, 2)]}, ValueError, "ports: range(1, 9, 2) is "
     "not a port range"),
    ({"args": {1.5: 2}}, TypeError, "args keys must be argument names (str) "
     "or positions (int), not float"),
    ({"args": {-1: 2}}, ValueError, "args: position -1 must be a decimal "
     "number 0-255"),
    ({"args": {"a": None}}, TypeError, "args: the value for 'a' must be a "
     "string, integer, boolean or float, or an array of them, not a "
     "NoneType"),
    ({"args": {"a": 2 ** 64}}, ValueError, "args: the value for 'a' does "
     "not fit in 64 bits"),
    ({"paths_under": [b"/x"]}, TypeError, "paths_under must be an array of "
     "strings, not an array holding a bytes"),
    ({"hosts": "h"}, TypeError, "hosts must be an array of strings, not a "
     "string"),
    ({"writing": 1}, TypeError, "writing must be a boolean, not an integer"),
    ({"wrting": True}, ValueError, "unknown condition 'wrting'"),
])
def test_where_checks_its_conditions_when_made(conditions, error, message):
    with pytest.raises(error) as info:
        Where(**conditions)
    assert str(info.value).startswith(message)
