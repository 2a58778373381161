"""The native rules decide exactly as the Python reference does.

Hypothesis draws rules (pyaudit.Where objects, rendered to rule text) and
events (names with args shaped as CPython raises them, or arbitrary
objects), and checks that ``Filter(patterns, where).matches(name, args)``
is the same on both backends: paths with '..', '.', '//', relative and
absolute, as str, bytes and os.PathLike; open modes and flags; IPv4 and
IPv6 addresses, CIDR edges, host names and ports; programs and module
names.  Odd arguments never raise.
"""

import ipaddress
import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyaudit
from pyaudit import Where

NATIVE = pyaudit._api_for("native")
PYTHON = pyaudit._api_for("python")
FUZZ = settings(max_examples=400, deadline=None,
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.data_too_large])


class FakePath:
    def __init__(self, path):
        self.path = path

    def __fspath__(self):
        if isinstance(self.path, Exception):
            raise self.path
        return self.path

    def __repr__(self):
        return "FakePath(%r)" % (self.path,)


# -- paths --------------------------------------------------------------------

COMPONENT = st.sampled_from(["a", "b", "srv", "app", ".", "..", "", "é",
                             "\udcff", "a b"])


@st.composite
def path_text(draw, absolute=None):
    parts = draw(st.lists(COMPONENT, max_size=6))
    if absolute is None:
        absolute = draw(st.booleans())
    text = "/".join(parts)
    return ("/" + text) if absolute else text


def to_argument(text, kind):
    if kind == "bytes":
        return os.fsencode(text)
    if kind == "pathlike":
        return FakePath(text)
    if kind == "pathlike-bytes":
        return FakePath(os.fsencode(text))
    return text


path_argument = st.one_of(
    st.builds(to_argument, path_text(),
              st.sampled_from(["str", "bytes", "pathlike",
                               "pathlike-bytes"])),
    st.sampled_from([None, 3, -1, True, 2.5, b"/a\0b", "/a\0b",
                     "/" + "x" * 4100, FakePath(ValueError("no")),
                     FakePath(4)]),
)
directory = path_text(absolute=True).filter(
    lambda d: "\udcff" not in d)

# -- open modes and flags -----------------------------------------------------

FLAG_BITS = [os.O_RDONLY, os.O_WRONLY, os.O_RDWR, os.O_CREAT, os.O_TRUNC,
             os.O_APPEND, os.O_EXCL, os.O_CLOEXEC, os.O_NONBLOCK]
mode = st.one_of(st.none(), st.text(alphabet="rwxab+tUŵ", max_size=4),
                 st.sampled_from([b"w", 1]))
flags = st.one_of(
    st.lists(st.sampled_from(FLAG_BITS), max_size=4).map(
        lambda bits: sum(set(bits))),
    st.integers(-2 ** 70, 2 ** 70), st.sampled_from([None, True, "1"]))

# -- hosts --------------------------------------------------------------------

ipv4 = st.integers(0, 2 ** 32 - 1).map(lambda n: str(ipaddress.IPv4Address(n)))
ipv6 = st.builds(
    lambda n, form: getattr(ipaddress.IPv6Address(n), form),
    st.one_of(st.integers(0, 2 ** 128 - 1), st.integers(0, 2 ** 16),
              st.integers(2 ** 32 - 1, 2 ** 32 + 2 ** 16).map(
                  lambda n: n | (0xFFFF << 32))),
    st.sampled_from(["compressed", "exploded"]))
host_name = st.from_regex(r"[a-zA-Z_-][a-zA-Z0-9_-]{0,7}(\.[a-zA-Z0-9-]{1,5})"
                          r"{0,2}\.?", fullmatch=True)
odd_host = st.sampled_from(["", "01.2.3.4", "1.2.3", "256.1.1.1", "::1::",
                            "fe80::1%eth0", "1:2:3:4:5:6:7:8:9", "[::1]",
                            "bücher.de", "\udcff", "1.2.3.4.5", ":"])
event_host = st.one_of(ipv4, ipv6, host_name, odd_host,
                       ipv4.map(lambda h: h.encode()), st.just(None),
                       st.just(7))


@st.composite
def network(draw):
    version = draw(st.sampled_from([4, 6]))
    if version == 4:
        net = ipaddress.IPv4Network((draw(st.integers(0, 2 ** 32 - 1)),
                                     draw(st.integers(0, 32))), strict=False)
    else:
        net = ipaddress.IPv6Network((draw(st.integers(0, 2 ** 128 - 1)),
                                     draw(st.integers(0, 128))),
                                    strict=False)
    return str(net)


host_entry = st.one_of(ipv4, ipv6, host_name, network())
port_value = st.one_of(st.integers(-2, 70000), st.sampled_from(
    ["80", "http", "", "070000", b"443", None, 80.0]))
port_entry = st.one_of(
    st.integers(0, 65535),
    st.tuples(st.integers(0, 65535), st.integers(0, 65535)).map(
        lambda t: "%d-%d" % (min(t), max(t))),
    st.tuples(st.integers(0, 65535), st.integers(1, 100)).map(
        lambda t: range(t[0], min(t[0] + t[1], 65536))))


@st.composite
def url(draw):
    scheme = draw(st.sampled_from(["http", "HTTPS", "ftp", "gopher", "x+y",
                                   "1x"]))
    host = draw(st.one_of(ipv4, ipv6.map(lambda h: "[%s]" % h), host_name,
                          st.just("")))
    port = draw(st.sampled_from(["", ":", ":8080", ":99999", ":x"]))
    user = draw(st.sampled_from(["", "u@", "u:p@"]))
    rest = draw(st.sampled_from(["", "/", "/p?q", "#f", "?x@y"]))
    return "%s://%s%s%s%s" % (scheme, user, host, port, rest)


# -- programs and modules -----------------------------------------------------

program_name = st.sampled_from(["git", "python3", "sh", "vi", "ls"])
program_entry = st.one_of(program_name, st.builds(
    lambda d, n: d.rstrip("/") + "/" + n, directory, program_name))
program_value = st.one_of(
    program_entry, program_name.map(lambda n: "bin/../" + n),
    program_entry.map(os.fsencode), program_entry.map(FakePath),
    st.sampled_from([None, "", 3, "/", "./git"]))
module_name = st.from_regex(r"[a-z_][a-z0-9_]{0,4}(\.[a-z_][a-z0-9_]{0,4})"
                            r"{0,2}", fullmatch=True)

# -- events -------------------------------------------------------------------

arg_value = st.one_of(st.none(), st.booleans(), st.integers(-3, 3),
                      st.floats(allow_nan=False), st.text(max_size=3),
                      st.binary(max_size=3))


def event(name, *args):
    return st.tuples(st.just(name), st.tuples(*args))


address = st.one_of(st.tuples(event_host, port_value),
                    st.tuples(event_host, port_value, st.just(0),
                              st.just(0)),
                    st.just("/run/sock"), st.just(b"\0abstract"),
                    st.just(None), st.tuples(st.just(1)))
dir_fd = st.sampled_from([None, -1, 3])
events = st.one_of(
    event("open", path_argument, mode, flags),
    event("os.rename", path_argument, path_argument, dir_fd, dir_fd),
    event("os.mkdir", path_argument, st.just(0o777), dir_fd),
    event("shutil.rmtree", path_argument),
    event("os.listdir", path_argument),
    event("socket.connect", st.none(), address),
    event("socket.getaddrinfo", event_host, port_value, st.just(0),
          st.just(0), st.just(0)),
    event("socket.gethostbyname", event_host),
    event("http.client.connect", st.none(), event_host, port_value),
    event("urllib.Request", url(), st.none(), st.just({}), st.just("GET")),
    event("subprocess.Popen", program_value, st.just([]), st.none(),
          st.none()),
    event("os.system", st.one_of(program_value.filter(
        lambda p: isinstance(p, (str, bytes))).map(
            lambda p: p + (b" x" if isinstance(p, bytes) else " x")),
        st.just(b"  \t"))),
    event("pty.spawn", st.one_of(program_value,
                                 st.lists(program_value, max_size=2))),
    event("import", st.one_of(module_name, st.just(3)), st.none()),
    st.tuples(st.sampled_from(["open", "os.rename", "socket.connect",
                               "subprocess.Popen", "import",
                               "pyaudit_test.own"]),
              st.lists(arg_value, max_size=5).map(tuple)),
)

# -- rules --------------------------------------------------------------------

conditions = st.fixed_dictionaries({}, optional={
    "writing": st.booleans(),
    "paths_under": st.lists(directory, min_size=1, max_size=3),
    "paths_outside": st.lists(directory, min_size=1, max_size=3),
    "hosts": st.lists(host_entry, min_size=1, max_size=3),
    "hosts_outside": st.lists(host_entry, min_size=1, max_size=3),
    "ports": st.lists(port_entry, min_size=1, max_size=3),
    "programs": st.lists(program_entry, min_size=1, max_size=3),
    "programs_outside": st.lists(program_entry, min_size=1, max_size=3),
    "modules": st.lists(module_name, min_size=1, max_size=3),
    "modules_outside": st.lists(module_name, min_size=1, max_size=3),
    "args": st.dictionaries(
        st.one_of(st.integers(0, 4), st.sampled_from(["path", "mode",
                                                      "flags", "module"])),
        st.one_of(arg_value.filter(lambda v: not isinstance(v, bytes)
                                   and v is not None),
                  st.lists(st.sampled_from(["w", "r", 0, 1, True]),
                           min_size=1, max_size=3)),
        min_size=1, max_size=2),
}).filter(bool)
rules = st.lists(conditions.map(lambda c: Where(**c)), min_size=1,
                 max_size=3)


def decisions(where, name, args):
    """(native, python) decisions of one event."""
    return tuple(api.Filter("*", where=where).matches(name, args)
                 for api in (NATIVE, PYTHON))


@FUZZ
@given(rules, events)
def test_native_rules_decide_as_the_reference(where, drawn):
    name, args = drawn
    native, python = decisions(where, name, args)
    assert native == python


@FUZZ
@given(st.lists(directory, min_size=1, max_size=3),
       st.sampled_from(["paths_under", "paths_outside"]), path_argument,
       path_argument, dir_fd)
def test_paths_decide_as_the_reference(dirs, condition, src, dst, fd):
    where = Where(**{condition: dirs})
    for name, args in (("open", (src, "w", 0)),
                       ("os.rename", (src, dst, fd, -1))):
        native, python = decisions(where, name, args)
        assert native == python


@FUZZ
@given(st.lists(host_entry, min_size=1, max_size=4),
       st.lists(port_entry, min_size=1, max_size=2), address)
def test_addresses_decide_as_the_reference(hosts, ports, address_arg):
    for where in (Where(hosts=hosts), Where(hosts_outside=hosts),
                  Where(hosts=hosts, ports=ports)):
        native, python = decisions(where, "socket.connect",
                                   (None, address_arg))
        assert native == python


@FUZZ
@given(st.lists(host_entry, min_size=1, max_size=3), event_host)
def test_cidr_edges_decide_as_the_reference(hosts, host):
    for network in hosts:
        if "/" not in network:
            continue
        net = ipaddress.ip_network(network)
        for edge in (net.network_address, net.broadcast_address,
                     net.network_address - 1 if int(net.network_address)
                     else net.network_address,
                     net.broadcast_address + 1 if int(net.broadcast_address)
                     < (2 ** net.max_prefixlen - 1)
                     else net.broadcast_address):
            native, python = decisions(Where(hosts=[network]),
                                       "socket.gethostbyaddr", (str(edge),))
            assert native == python
            assert native is (edge in net)
    native, python = decisions(Where(hosts=hosts), "socket.gethostbyaddr",
                               (host,))
    assert native == python


odd_object = st.sampled_from([
    object(), FakePath(ValueError()), FakePath(KeyboardInterrupt()),
    FakePath(b"/x"), [], [None], (1,), ("h",), {"a": 1}, float("nan"),
    2 ** 100, -2 ** 100, bytearray(b"/x"), memoryview(b"x"), "\udcff",
    b"\xff", "\0", type, ...,
])
odd_args = st.lists(st.one_of(arg_value, odd_object, path_argument,
                              st.tuples(odd_object, odd_object)),
                    max_size=6).map(tuple)
ROLE_EVENTS = sorted(name for name, raw in
                     pyaudit._catalog.catalog_events().items()
                     if "roles" in raw)


@FUZZ
@given(rules, st.sampled_from(ROLE_EVENTS + ["pyaudit_test.own"]),
       odd_args)
def test_odd_arguments_never_raise(where, name, args):
    native, python = decisions(where, name, args)
    assert native == python


@FUZZ
@given(st.lists(program_entry, min_size=1, max_size=3),
       st.sampled_from(["programs", "programs_outside"]),
       st.sampled_from(["subprocess.Popen", "os.exec", "os.system",
                        "pty.spawn", "_posixsubprocess.fork_exec"]),
       st.one_of(program_value, st.lists(program_value, max_size=3)))
def test_programs_decide_as_the_reference(entries, condition, name, value):
    if name == "os.system" and isinstance(value, (str, bytes)):
        value = value + (b" -x" if isinstance(value, bytes) else " -x")
    args = (value, [], None, None)
    native, python = decisions(Where(**{condition: entries}), name, args)
    assert native == python


@FUZZ
@given(st.lists(module_name, min_size=1, max_size=3),
       st.sampled_from(["modules", "modules_outside"]),
       st.one_of(module_name, module_name.map(lambda m: m + ".sub"),
                 st.just("\udcff"), st.just(b"json")))
def test_modules_decide_as_the_reference(entries, condition, module):
    native, python = decisions(Where(**{condition: entries}), "import",
                               (module, None, [], [], []))
    assert native == python


@FUZZ
@given(st.lists(host_entry, min_size=1, max_size=3),
       st.lists(port_entry, min_size=1, max_size=2), url())
def test_urls_decide_as_the_reference(hosts, ports, text):
    for where in (Where(hosts=hosts), Where(hosts_outside=hosts),
                  Where(ports=ports)):
        native, python = decisions(where, "urllib.Request",
                                   (text, None, {}, "GET"))
        assert native == python
