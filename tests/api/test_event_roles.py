"""The roles table (data/event-roles.json) against CPython's behaviour.

Each test does what raises the events of one family, records them, and
checks that the arguments the table names hold what the rules expect
there: paths, open modes and flags, socket addresses, hosts and ports,
URLs, programs and module names.  Operations that must not happen (a
process replaced by exec, a connection to a mail server) are recorded
and then denied: a recorder receives an event before a deny refuses it.
"""

import ftplib
import importlib
import os
import poplib
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import urllib.request
import warnings

from pyaudit import _catalog

ROLE_EVENTS = {name: raw["roles"] for name, raw in
               _catalog.catalog_events().items() if "roles" in raw}
RUNNING = _catalog.current_version()
# Role events these tests cannot raise here, and why.
NOT_RAISED_HERE = {
    "os.chflags": "BSD and macOS only",
    "os.spawn": "raised by Windows' spawn*; POSIX spawn* fork and exec",
    "shutil.chown": "needs another user or group to change to",
}


def path_like(value):
    return value is None or isinstance(value, (str, bytes, int,
                                               os.PathLike))


SHAPES = {
    "open_mode": lambda v: v is None or isinstance(v, str),
    "open_flags": lambda v: type(v) is int,
    "address": lambda v: v is None or isinstance(v, (str, bytes)) or (
        isinstance(v, tuple) and len(v) >= 2 and isinstance(v[0], str)
        and type(v[1]) is int),
    "host": lambda v: v is None or isinstance(v, (str, bytes)),
    "port": lambda v: v is None or isinstance(v, (int, str, bytes)),
    "url": lambda v: isinstance(v, str) and "://" in v,
    "module": lambda v: isinstance(v, str) and v,
    "argv": lambda v: isinstance(v, (list, tuple, str, bytes)),
}
PROGRAM_SHAPES = {
    "path": lambda v: isinstance(v, (str, bytes, os.PathLike)),
    "command": lambda v: isinstance(v, (str, bytes)),
    "argv": lambda v: isinstance(v, (list, tuple, str, bytes)),
    "list": lambda v: isinstance(v, (list, tuple)) and v,
}


def check_roles(event):
    """Assert that the recorded event's args fit its roles."""
    roles = ROLE_EVENTS[event.name]
    named = event.named_args()
    for path in roles.get("paths", []):
        assert path_like(named.get(path)), (event, path)
    for dir_fd in roles.get("dir_fds", {}).values():
        value = named.get(dir_fd)
        assert value is None or type(value) is int, (event, dir_fd)
    for role, holds in SHAPES.items():
        if role in roles:
            assert holds(named.get(roles[role])), (event, role)
    if "program" in roles:
        holds = PROGRAM_SHAPES[roles["program_shape"]]
        assert holds(named.get(roles["program"])), event


def record_and_check(api, actions, deny=()):
    """Run each action while recording every role event (and denying the
    events named in deny); check each event's roles and return the names
    seen."""
    recorder = api.record(",".join(ROLE_EVENTS))
    guard = api.deny(",".join(deny)) if deny else None
    try:
        for action in actions:
            try:
                action()
            except (OSError, ValueError, ImportError,
                    urllib.error.URLError):
                pass    # denied, refused, or unsupported here: raised
    finally:
        if guard is not None:
            guard.close()
        recorder.close()
    events = recorder.drain()
    for event in events:
        check_roles(event)
    return {event.name for event in events}


def test_file_events_have_paths_modes_and_flags_where_the_table_says(
        api, tmp_path):
    d = str(tmp_path)
    f = os.path.join(d, "f")

    def files():
        with open(f, "w") as handle:
            handle.write("x")
        os.close(os.open(f, os.O_RDONLY))
        os.chmod(f, 0o644)
        os.chown(f, -1, -1)
        os.utime(f)
        os.truncate(f, 0)
        os.link(f, f + ".hard")
        os.symlink("f", f + ".soft")
        os.rename(f + ".hard", f + ".moved")
        os.remove(f + ".moved")
        os.mkdir(os.path.join(d, "sub"))
        os.listdir(d)
        os.scandir(d).close()
        list(os.walk(d))
        if hasattr(os, "fwalk"):
            list(os.fwalk(d))
        os.chdir(os.getcwd())
        shutil.copyfile(f, f + ".copy")
        shutil.copymode(f, f + ".copy")
        shutil.copystat(f, f + ".copy")
        shutil.copytree(os.path.join(d, "sub"), os.path.join(d, "tree"))
        shutil.move(f + ".copy", f + ".copy2")
        shutil.rmtree(os.path.join(d, "tree"))
        os.rmdir(os.path.join(d, "sub"))
        os.close(tempfile.mkstemp(dir=d)[0])
        tempfile.mkdtemp(dir=d)

    def xattrs():
        os.setxattr(f, "user.pyaudit", b"1")
        os.getxattr(f, "user.pyaudit")
        os.listxattr(f)
        os.removexattr(f, "user.pyaudit")

    seen = record_and_check(api, [
        files, xattrs,
        lambda: shutil.make_archive(os.path.join(d, "arc"), "tar", d),
        lambda: shutil.unpack_archive(os.path.join(d, "arc.tar"),
                                      os.path.join(d, "out"))],
                            deny=["shutil.make_archive",
                                  "shutil.unpack_archive"])
    expected = {name for name, roles in ROLE_EVENTS.items()
                if "paths" in roles and name not in NOT_RAISED_HERE
                and RUNNING in _catalog.catalog_events()[name]["versions"]}
    assert expected - seen == set()


def test_network_events_have_hosts_and_ports_where_the_table_says(api):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    port = server.getsockname()[1]

    def sockets():
        bound = socket.socket()
        bound.bind(("127.0.0.1", 0))
        bound.close()
        client = socket.socket()
        client.connect(("127.0.0.1", port))
        client.close()
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.sendto(b"x", ("127.0.0.1", port))
        udp.sendmsg([b"x"], [], 0, ("127.0.0.1", port))
        udp.close()
        socket.getaddrinfo("127.0.0.1", port)
        socket.gethostbyname("127.0.0.1")
        socket.getnameinfo(("127.0.0.1", port),
                           socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)

    def by_address():
        socket.gethostbyaddr("127.0.0.1")

    def old_client(module, make):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            lib = importlib.import_module(module)   # gone from 3.13
        getattr(lib, make)("127.0.0.1", port, timeout=5)

    import http.client
    import imaplib
    clients = [
        lambda: http.client.HTTPConnection("127.0.0.1", port,
                                           timeout=5).connect(),
        lambda: urllib.request.OpenerDirector().open(
            "http://127.0.0.1:%d/" % port),
        lambda: ftplib.FTP().connect("127.0.0.1", port, timeout=5),
        lambda: smtplib.SMTP().connect("127.0.0.1", port),
        lambda: poplib.POP3("127.0.0.1", port),     # denied: never
        lambda: imaplib.IMAP4("127.0.0.1", port),   # connects
        lambda: old_client("nntplib", "NNTP"),
        lambda: old_client("telnetlib", "Telnet"),
    ]
    try:
        seen = record_and_check(
            api, [sockets, by_address] + clients,
            deny=["ftplib.connect", "smtplib.connect", "poplib.connect",
                  "imaplib.open", "nntplib.connect",
                  "telnetlib.Telnet.open", "socket.gethostbyaddr"])
    finally:
        server.close()
    expected = {name for name, roles in ROLE_EVENTS.items()
                if {"address", "host", "url"} & set(roles)
                and RUNNING in _catalog.catalog_events()[name]["versions"]}
    assert expected - seen == set()


def test_process_and_import_events_have_programs_and_modules(api):
    def pty_spawn():
        import pty
        pty.spawn([sys.executable, "-c", "pass"])

    seen = record_and_check(api, [
        lambda: subprocess.run([sys.executable, "-c", "pass"], check=True),
        # With cwd= subprocess cannot use posix_spawn (3.13 and later use
        # it where glibc has closefrom), so this one forks and execs:
        # _posixsubprocess.fork_exec from 3.14.
        lambda: subprocess.run([sys.executable, "-c", "pass"],
                               cwd=os.getcwd(), check=True),
        lambda: subprocess.run("exit 0", shell=True, check=True),
        lambda: os.system("true"),
        lambda: os.execv(sys.executable, [sys.executable, "-c", "pass"]),
        lambda: os.posix_spawn(sys.executable, [sys.executable],
                               os.environ),
        pty_spawn,
        lambda: __import__("pyaudit_test_no_such_module")],
        deny=["os.exec", "os.posix_spawn", "pty.spawn", "os.system"])
    expected = {name for name, roles in ROLE_EVENTS.items()
                if {"program", "module"} & set(roles)
                and name not in NOT_RAISED_HERE
                and RUNNING in _catalog.catalog_events()[name]["versions"]}
    assert expected - seen == set()


def test_every_role_event_is_checked_by_a_test_here():
    families = {"paths", "address", "host", "url", "program", "module"}
    for name, roles in ROLE_EVENTS.items():
        assert families & set(roles), name
