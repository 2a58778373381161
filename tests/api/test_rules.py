"""where= conditions: what each one means, on both backends.

Most tests ask a ``Filter(patterns, where=...)`` to decide an event from
made-up args (the same rules decide a subscription's events: see the last
section, which raises real events).  The native decisions are held to
the Python reference in test_rules_fuzzed.py.
"""

import os
import pathlib
import socket
import sys

import pytest

from pyaudit import Where, _rules

READ = os.O_RDONLY | os.O_CLOEXEC
WRITE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC


def decide(api, patterns, where, name, args):
    return api.Filter(patterns, where=where).matches(name, args)


class FakePath:
    """An os.PathLike whose path is given."""

    def __init__(self, path):
        self.path = path

    def __fspath__(self):
        return self.path


# -- writing ------------------------------------------------------------------

@pytest.mark.parametrize("mode, flags, writes", [
    ("r", READ, False), ("rb", READ, False), ("w", WRITE, True),
    ("a", os.O_WRONLY | os.O_APPEND, True), ("x", os.O_EXCL, True),
    ("r+", os.O_RDWR, True), ("rb+", READ, True),
    (None, READ, False), (None, os.O_WRONLY, True), (None, os.O_RDWR, True),
    (None, os.O_CREAT, True), (None, os.O_TRUNC, True),
    (None, os.O_APPEND, True), ("r", WRITE, True),
])
def test_writing_of_an_open_comes_from_its_mode_or_flags(api, mode, flags,
                                                         writes):
    args = ("/tmp/f", mode, flags)
    assert decide(api, "open", Where(writing=True), "open", args) is writes
    assert decide(api, "open", Where(writing=False), "open", args) \
        is (not writes)


@pytest.mark.parametrize("args", [
    ("/tmp/f", None, None), ("/tmp/f", 1, 0), ("/tmp/f", "r", "0"),
    ("/tmp/f", "r", True), ("/tmp/f",), ("/tmp/f", b"w", 0),
])
def test_an_open_whose_mode_and_flags_say_nothing_is_neither(api, args):
    for writing in (True, False):
        assert not decide(api, "open", Where(writing=writing), "open", args)


@pytest.mark.parametrize("name, args", [
    ("os.remove", ("/tmp/x", -1)), ("os.rename", ("a", "b", -1, -1)),
    ("os.mkdir", ("d", 0o777, -1)), ("shutil.rmtree", ("d",)),
    ("os.chmod", (3, 0o644, -1)), ("tempfile.mkstemp", ("/tmp/t",)),
])
def test_events_that_change_files_are_writing(api, name, args):
    assert decide(api, "*", Where(writing=True), name, args)
    assert not decide(api, "*", Where(writing=False), name, args)


def test_reading_file_events_are_not_writing_and_others_are_neither(api):
    assert decide(api, "*", Where(writing=False), "os.listdir", ("/",))
    for name, args in (("socket.connect", (None, ("h", 1))),
                       ("pyaudit_test.own", ("/tmp/x", "w"))):
        assert not decide(api, "*", Where(writing=True), name, args)
        assert not decide(api, "*", Where(writing=False), name, args)


# -- paths --------------------------------------------------------------------

@pytest.mark.parametrize("path, inside", [
    ("/srv/app", True), ("/srv/app/x", True), ("/srv/app/../app/x", True),
    ("/srv//app/./x", True), ("/srv/application", False),
    ("/srv/app/../x", False), ("/../srv/app/y", True), ("/srv", False),
    (b"/srv/app/x", True), (b"/etc/x", False),
    (FakePath("/srv/app/y"), True), (FakePath(b"/etc"), False),
    (pathlib.PurePosixPath("/srv/app/z"), True),
])
def test_paths_are_normalised_lexically(api, path, inside):
    args = (path, "w", WRITE)
    assert decide(api, "open", Where(paths_under=["/srv/app"]), "open",
                  args) is inside
    assert decide(api, "open", Where(paths_outside=["/srv/app/"]), "open",
                  args) is (not inside)


def test_relative_paths_are_judged_against_the_cwd_of_the_event(
        api, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    where = Where(paths_under=[str(tmp_path)])
    assert decide(api, "open", where, "open", ("x", "w", 0))
    assert not decide(api, "open", where, "open", ("../x", "w", 0))
    monkeypatch.chdir(tmp_path.parent)      # not cached
    assert not decide(api, "open", where, "open", ("x", "w", 0))
    assert decide(api, "open", where, "open", (tmp_path.name + "/x", "w", 0))


def test_every_path_argument_counts(api):
    under = Where(paths_under=["/in"])
    outside = Where(paths_outside=["/in"])
    for args, both_in in ((("/in/a", "/in/b", -1, -1), True),
                          (("/in/a", "/out/b", -1, -1), False),
                          (("/out/a", "/in/b", -1, -1), False)):
        assert decide(api, "os.rename", under, "os.rename", args) is both_in
        assert decide(api, "os.rename", outside, "os.rename", args) \
            is (not both_in)


@pytest.mark.parametrize("args", [
    (3, "w", 0),                    # a file descriptor
    ("/srv/\0x", "w", 0),           # a NUL byte
    ("/" + "a" * 5000, "w", 0),     # too long to normalise
    (object(), "w", 0), (FakePath(3), "w", 0),
])
def test_a_path_that_cannot_be_judged_is_neither_under_nor_outside(api,
                                                                   args):
    assert not decide(api, "open", Where(paths_under=["/"]), "open", args)
    assert not decide(api, "open", Where(paths_outside=["/srv"]), "open",
                      args)


def test_a_path_relative_to_a_dir_fd_cannot_be_judged(api):
    under = Where(paths_under=["/"])
    assert not decide(api, "os.mkdir", under, "os.mkdir", ("d", 511, 5))
    assert decide(api, "os.mkdir", under, "os.mkdir", ("d", 511, -1))
    assert decide(api, "os.mkdir", under, "os.mkdir", ("/d", 511, 5))
    assert decide(api, "shutil.rmtree", under, "shutil.rmtree", ("d", None))


def test_a_failing_fspath_is_a_path_that_cannot_be_judged(api):
    class Broken:
        def __fspath__(self):
            raise KeyError("no path")

    assert not decide(api, "open", Where(paths_outside=["/srv"]), "open",
                      (Broken(), "w", 0))


def test_one_judged_path_outside_is_enough_for_paths_outside(api):
    outside = Where(paths_outside=["/in"])
    assert decide(api, "os.rename", outside, "os.rename",
                  ("/out/a", 3.5, -1, -1))


# -- hosts and ports ----------------------------------------------------------

HOSTS = Where(hosts=["127.0.0.0/8", "::1", "fe80::/10", "DB.Internal."])


@pytest.mark.parametrize("host, listed", [
    ("127.0.0.1", True), ("127.255.255.255", True), ("128.0.0.0", False),
    ("::1", True), ("::2", False), ("fe80::1", True), ("febf::1", True),
    ("fec0::1", False), ("fe80::1%eth0", True), ("db.internal", True),
    ("DB.INTERNAL.", True), ("db.internal.example", False),
    ("localhost", False), (b"127.0.0.1", True), ("0:0:0:0:0:0:0:1", True),
    ("::ffff:127.0.0.1", False), ("127.000.0.1", False),
])
def test_hosts_are_addresses_ranges_or_names(api, host, listed):
    address = (None, (host, 80))
    assert decide(api, "socket.*", HOSTS, "socket.connect", address) \
        is listed
    outside = Where(hosts_outside=["127.0.0.0/8", "::1", "fe80::/10",
                                   "db.internal"])
    assert decide(api, "socket.*", outside, "socket.connect", address) \
        is (not listed)


@pytest.mark.parametrize("name, args", [
    ("socket.connect", (None, ("127.0.0.1", 5432))),
    ("socket.connect", (None, ("::1", 5432, 0, 0))),
    ("socket.bind", (None, ("127.0.0.1", 5432))),
    ("socket.sendto", (None, ("127.0.0.1", 5432))),
    ("socket.getaddrinfo", ("127.0.0.1", 5432, 0, 0, 0)),
    ("socket.getaddrinfo", (b"127.0.0.1", "5432", 0, 0, 0)),
    ("socket.getnameinfo", (("127.0.0.1", 5432),)),
    ("http.client.connect", (None, "127.0.0.1", 5432)),
    ("urllib.Request", ("http://u:p@127.0.0.1:5432/x?y", None, {}, "GET")),
    ("urllib.Request", ("https://[::1]:5432/", None, {}, "GET")),
])
def test_every_shape_of_network_event_gives_host_and_port(api, name, args):
    where = Where(hosts=["127.0.0.1", "::1"], ports=[5432])
    assert decide(api, "*", where, name, args)
    other_port = Where(hosts=["127.0.0.1", "::1"], ports=["1-5431"])
    assert not decide(api, "*", other_port, name, args)


@pytest.mark.parametrize("url, port", [
    ("http://h/", 80), ("HTTPS://h", 443), ("ftp://h", 21),
    ("gopher://h", None), ("http://h:8080", 8080), ("http://h:99999", None),
])
def test_a_url_port_defaults_by_scheme(api, url, port):
    for ports in ([0, "1-65535"], [port or 1]):
        holds = port is not None and (ports != [1] or port == 1)
        assert decide(api, "urllib.Request", Where(ports=ports),
                      "urllib.Request", (url, None, {}, "GET")) is holds


@pytest.mark.parametrize("name, args", [
    ("socket.connect", (None, "/run/app.sock")),    # AF_UNIX: no host
    ("socket.connect", (None, b"\0abstract")),
    ("socket.connect", (None, (1, 2))),             # AF_NETLINK
    ("socket.sendmsg", (None, None)),
    ("socket.getaddrinfo", (None, 80, 0, 0, 0)),
    ("socket.connect", (None, ("", 80))),
    ("urllib.Request", ("data:,x", None, {}, "GET")),
    ("socket.gethostbyname", (3,)),
])
def test_events_without_a_host_are_neither_listed_nor_outside(api, name,
                                                              args):
    assert not decide(api, "*", Where(hosts=["0.0.0.0/0", "::/0", "h"]),
                      name, args)
    assert not decide(api, "*", Where(hosts_outside=["10.0.0.0/8"]), name,
                      args)


def test_host_names_are_compared_not_resolved(api):
    assert decide(api, "socket.*", Where(hosts_outside=["127.0.0.0/8"]),
                  "socket.gethostbyname", ("localhost",))


def test_ports_without_hosts_and_port_ranges(api):
    where = Where(ports=[22, range(8000, 9000)])
    for port, listed in ((22, True), (8000, True), (8999, True),
                         (9000, False), ("8080", True), ("http", False),
                         (None, False)):
        assert decide(api, "socket.*", where, "socket.getaddrinfo",
                      ("h", port, 0, 0, 0)) is listed


# -- programs -----------------------------------------------------------------

PROGRAMS = Where(programs=["git", "/usr/bin/python3"])


@pytest.mark.parametrize("name, args, listed", [
    ("subprocess.Popen", ("git", ["git", "status"], None, None), True),
    ("subprocess.Popen", ("/usr/local/bin/git", ["x"], None, None), True),
    ("subprocess.Popen", ("/usr/bin/../bin/python3", [], None, None), True),
    ("subprocess.Popen", ("python3", [], None, None), False),
    ("subprocess.Popen", ("/bin/sh", ["/bin/sh", "-c", "git"], None, None),
     False),
    ("os.system", (b"  git status",), True),
    ("os.system", (b"gitk",), False),
    ("os.exec", (b"/usr/bin/git", [], None), True),
    ("os.posix_spawn", ("git", ["git"], None), True),
    ("os.spawn", (0, FakePath("/opt/git"), [], None), True),
    ("pty.spawn", (["git", "log"],), True),
    ("pty.spawn", ("git",), True),
    ("pty.spawn", (("vi",),), False),
])
def test_programs_by_name_or_path(api, name, args, listed):
    assert decide(api, "*", PROGRAMS, name, args) is listed
    outside = Where(programs_outside=["git", "/usr/bin/python3"])
    assert decide(api, "*", outside, name, args) is (not listed)


@pytest.mark.parametrize("args", [
    (None, [], None, None), ("", ["x"], None, None), (3, [], None, None),
])
def test_a_program_that_cannot_be_judged(api, args):
    assert not decide(api, "*", PROGRAMS, "subprocess.Popen", args)
    assert not decide(api, "*", Where(programs_outside=["git"]),
                      "subprocess.Popen", args)


def test_an_empty_argv_or_command_names_no_program(api):
    for name, args in (("pty.spawn", ([],)), ("os.system", (b"  ",))):
        assert not decide(api, "*", Where(programs_outside=["x"]), name,
                          args)


# -- modules ------------------------------------------------------------------

@pytest.mark.parametrize("module, listed", [
    ("json", True), ("json.decoder", True), ("jsonschema", False),
    ("xml.etree", True), ("xml", False), ("xml.etree.ElementTree", True),
    ("xml.etreeX", False),
])
def test_modules_match_packages_and_submodules(api, module, listed):
    args = (module, None, [], [], [])
    assert decide(api, "import", Where(modules=["json", "xml.etree"]),
                  "import", args) is listed
    assert decide(api, "import", Where(modules_outside=["json",
                                                        "xml.etree"]),
                  "import", args) is (not listed)


# -- args ---------------------------------------------------------------------

def test_args_by_name_or_position_with_one_or_many_values(api):
    where = Where(args={"mode": ["w", "a"], 2: 5})
    assert decide(api, "open", where, "open", ("p", "w", 5))
    assert decide(api, "open", where, "open", ("p", "a", 5))
    assert not decide(api, "open", where, "open", ("p", "r", 5))
    assert not decide(api, "open", where, "open", ("p", "w", 6))
    assert not decide(api, "open", where, "open", ("p", "w"))


def test_args_compare_values_of_the_same_type_only(api, ename):
    for wanted, value, equal in ((1, 1, True), (1, True, False),
                                 (True, 1, False), (True, True, True),
                                 (1, 1.0, False), (1.5, 1.5, True),
                                 ("a", "a", True), ("a", b"a", False),
                                 (2 ** 40, 2 ** 40, True),
                                 (1, 2 ** 80, False)):
        assert decide(api, ename + ".x", Where(args={0: wanted}),
                      ename + ".x", (value,)) is equal


def test_alternatives_any_of_which_may_match(api):
    where = [Where(hosts=["10.0.0.0/8"]), Where(ports=[443])]
    for address, matched in ((("10.1.2.3", 1), True),
                             (("8.8.8.8", 443), True),
                             (("8.8.8.8", 80), False)):
        assert decide(api, "socket.connect", where, "socket.connect",
                      (None, address)) is matched


# -- Where and the rule text --------------------------------------------------

def test_where_renders_canonical_text():
    where = Where(args={"mode": {"w", "a"}, 0: "x"}, ports=[range(80, 90)],
                  paths_outside=["/srv//app/", pathlib.Path("/tmp")],
                  writing=True, hosts=["Example.COM."])
    assert where.text == str(where) == (
        '{paths_outside = ["/srv/app", "/tmp"], writing = true, '
        'hosts = ["example.com"], ports = ["80-89"], '
        'args = {0 = "x", mode = ["a", "w"]}}')
    assert repr(where) == (
        "pyaudit.Where(paths_outside=['/srv/app', '/tmp'], writing=True, "
        "hosts=['example.com'], ports=['80-89'], "
        "args={0: 'x', 'mode': ['a', 'w']})")
    assert _rules.check(_rules.parse(where.text)) == [where._table]
    assert Where(writing=True) == Where(writing=True)
    assert Where(writing=True) != Where(writing=False)
    assert len({Where(writing=True), Where(writing=True)}) == 1


def test_strings_are_escaped_in_the_text():
    where = Where(args={"x y": 'a"b\\c\n\x01é'})
    assert where.text == '{args = {"x y" = "a\\"b\\\\c\\n\\u0001é"}}'
    assert _rules.parse(where.text) == {"args": {"x y": 'a"b\\c\n\x01é'}}


def test_text_is_accepted_wherever_a_where_is(api, ename):
    text = "[{ writing = true }, {paths_under = ['/srv']}]  # a comment"
    with api.count("open", where=text) as counter:
        assert counter.where == ('[{writing = true}, '
                                 '{paths_under = ["/srv"]}]')
    assert api.Filter("open", where=text).where == counter.where


@pytest.mark.parametrize("where", [
    42, b"{writing = true}", {"writing": True}, [Where(writing=True), "x"],
    object(),
])
def test_where_of_another_type_is_a_type_error(api, where):
    with pytest.raises(TypeError, match="where must be a pyaudit.Where, a "
                       "list or tuple of them, rule text"):
        api.count("open", where=where)


def test_an_empty_list_of_where_is_an_error(api):
    with pytest.raises(ValueError, match="no alternatives"):
        api.count("open", where=[])


def test_subscriptions_list_the_rule_text(api):
    with api.record("open", where=Where(writing=True)) as recorder:
        [info] = [i for i in api.subscriptions()
                  if i.id == recorder._handle.id]
        assert info.where == "{writing = true}"
    with api.record("open") as recorder:
        [info] = [i for i in api.subscriptions()
                  if i.id == recorder._handle.id]
        assert info.where is None


# -- real events --------------------------------------------------------------

def test_a_recorder_gets_only_the_events_its_rules_allow(api, tmp_path):
    with api.record("open", where=Where(writing=True,
                                        paths_under=[tmp_path])) as rec:
        (tmp_path / "w").write_text("x")
        (tmp_path / "w").read_text()
        with open(os.devnull, "w"):
            pass
    events = rec.drain()
    # 3.8's pathlib opens twice (io.open, then os.open with mode None).
    assert {e.args[0] for e in events} == {str(tmp_path / "w")}
    assert events[0].args[1] == "w"


def test_a_counter_with_rules_counts_what_they_allow(api):
    with api.count("socket.getaddrinfo",
                   where=Where(hosts=["127.0.0.1"])) as counter:
        socket.getaddrinfo("127.0.0.1", 1)
        try:
            socket.getaddrinfo("localhost", 1)
        except OSError:
            pass
    assert counter.counts() == {"socket.getaddrinfo": 1}


def test_a_watch_callback_that_closes_subscriptions_from_fspath(api):
    """__fspath__ runs while rules decide: closing the subscription there
    (and so replacing the table) must not crash, and the closed
    subscription gets nothing."""
    seen = []
    subs = []

    class Closing:
        def __fspath__(self):
            for sub in subs:
                sub.close()
            return "/srv/x"

    where = Where(paths_outside=["/tmp"])
    subs.append(api.watch("open", lambda n, a: seen.append(1), where=where))
    subs.append(api.count("open", where=where))
    sys.audit("open", Closing(), "w", 0)
    assert seen == []
    assert subs[1].counts() == {}
    assert not subs[0].active and not subs[1].active
