"""The events catalog: the generator and the shipped events.json,
``describe``, ``known_events``, ``Event.named_args``, UnknownEventWarning
from subscriptions, and ``python -m pyaudit events``.
"""

import importlib
import importlib.util
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import warnings

import pytest

import pyaudit
from pyaudit import _catalog
from support import ROOT, check_python, child_env

GENERATOR = os.path.join(ROOT, "tools", "gen_events.py")
SOURCE = os.path.join(ROOT, "data", "audit-events.json")
ROLES = os.path.join(ROOT, "data", "event-roles.json")
SHIPPED = os.path.join(ROOT, "pyaudit", "events.json")
SHIPPED_HEADER = os.path.join(ROOT, "csrc", "event_roles.h")
RUNNING = "%d.%d" % sys.version_info[:2]


def load_generator():
    spec = importlib.util.spec_from_file_location("gen_events", GENERATOR)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = load_generator()


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def source_event(name, **fields):
    """A minimal source event, for generator tests."""
    event = {"name": name, "args": ["a"], "versions": ["3.8", "3.9"],
             "doc": "library/x.html#" + name}
    event.update(fields)
    return event


def source_data(*events):
    return {"generated_for_versions": ["3.8", "3.9"], "events": list(events)}


# -- the generator and the shipped file ---------------------------------------

def test_shipped_catalog_files_are_a_fresh_generation():
    events_json, header = gen.generate_all(SOURCE, ROLES)
    assert read(SHIPPED) == events_json, (
        "pyaudit/events.json is stale: run python tools/gen_events.py")
    assert read(SHIPPED_HEADER) == header, (
        "csrc/event_roles.h is stale: run python tools/gen_events.py")


def test_the_roles_reach_the_catalog_and_the_c_table():
    shipped = {raw["name"]: raw for raw in json.loads(read(SHIPPED))["events"]}
    assert shipped["os.rename"]["roles"] == {
        "paths": ["src", "dst"], "writes": True,
        "dir_fds": {"src": "src_dir_fd", "dst": "dst_dir_fd"}}
    assert "roles" not in shipped["builtins.id"]
    header = read(SHIPPED_HEADER)
    assert ('{"os.rename", 9, "src" "\\0" "dst" "\\0" "src_dir_fd" "\\0" '
            '"dst_dir_fd", 4, 1, {0, 1}, {2, 3},') in header
    assert header.count('\n    {"') == len(shipped)


def test_generation_ignores_source_order():
    data = gen.load(SOURCE)
    shuffled = json.loads(json.dumps(data))
    random.Random(5).shuffle(shuffled["events"])
    shuffled["events"] = [dict(reversed(list(event.items())))
                          for event in shuffled["events"]]
    assert shuffled["events"][0]["name"] != data["events"][0]["name"]
    assert gen.render(gen.build(shuffled)) == gen.render(gen.build(data))


@pytest.mark.parametrize("stale", ["events.json", "event_roles.h"])
def test_generator_script_writes_and_checks(tmp_path, stale):
    out = str(tmp_path / "events.json")
    header = str(tmp_path / "event_roles.h")
    outputs = ["--output", out, "--header", header]
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, GENERATOR] + outputs,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True)
        assert done.returncode == 0, done.stderr
        assert read(out) == read(SHIPPED)
        assert read(header) == read(SHIPPED_HEADER)
    check = [sys.executable, GENERATOR, SOURCE, "--check"] + outputs
    assert subprocess.run(check).returncode == 0
    with open(str(tmp_path / stale), "a") as f:
        f.write(" ")
    done = subprocess.run(check, stderr=subprocess.PIPE,
                          universal_newlines=True)
    assert done.returncode == 1
    assert done.stderr == "%s is out of date; run tools/gen_events.py\n" % (
        tmp_path / stale)


@pytest.mark.parametrize("roles, message", [
    ({"a.x": {"paths": ["b"]}}, "'b' is not one of its arguments"),
    ({"a.x": {"hosts": "a"}}, "unknown keys \\['hosts'\\]"),
    ({"a.x": {"paths": ["a"], "dir_fds": {"c": "a"}}}, "not in paths"),
    ({"a.x": {"program": "a"}}, "needs a program_shape"),
    ({"a.x": {"program": "a", "program_shape": "x"}}, "program_shape"),
    ({"a.x": {"writes": False}}, "writes is true or left out"),
    ({"z.z": {"paths": ["a"]}}, "the catalog does not know"),
])
def test_generator_rejects_bad_roles(roles, message):
    with pytest.raises(gen.SourceError, match=message):
        gen.build(source_data(source_event("a.x")), {"events": roles})


def test_generator_keeps_only_what_the_package_needs():
    catalog = gen.build(source_data(
        source_event("b.y", notes="First sentence (x). Second one.",
                     evidence={"3.8": ["docs"]}, documented=True),
        source_event("a.x", doc="builtins/functions.html#id",
                     versions=["3.9", "3.8"], doc_name="a.xx")))
    assert catalog == {"format": 1, "versions": ["3.8", "3.9"], "events": [
        {"name": "a.x", "args": ["a"], "versions": ["3.8", "3.9"],
         "doc": "library/functions.html#id", "doc_name": "a.xx"},
        {"name": "b.y", "args": ["a"], "versions": ["3.8", "3.9"],
         "doc": "library/x.html#b.y", "note": "First sentence (x)."}]}


def test_generator_rejects_what_it_cannot_judge():
    with pytest.raises(gen.SourceError, match="ARGS_CHANGED"):
        gen.build(source_data(source_event(
            "a.x", doc_args_by_version={"3.8": ["b"], "3.9": ["a"]})))
    with pytest.raises(gen.SourceError, match="more than once"):
        gen.build(source_data(source_event("a.x"), source_event("a.x")))
    with pytest.raises(gen.SourceError, match="not among"):
        gen.build(source_data(source_event("a.x", versions=["3.10"])))
    with pytest.raises(gen.SourceError, match="relative"):
        gen.build(source_data(source_event(
            "a.x", doc="https://docs.python.org/3/x.html")))


def test_shipped_catalog_is_sane():
    text = read(SHIPPED)
    data = json.loads(text)
    names = [event["name"] for event in data["events"]]
    assert len(names) > 200
    assert names == sorted(set(names))
    assert text.count("\n") == len(names) + 6     # one line per event
    versions = data["versions"]
    assert versions[0] == "3.8" and RUNNING in versions
    for event in data["events"]:
        assert set(event["versions"]) <= set(versions), event["name"]
        assert event["doc"] is None or not event["doc"].startswith(
            ("http", "/", "builtins/")), event["name"]


# -- describe and known_events ------------------------------------------------

def test_describe_a_known_event():
    entry = pyaudit.describe("socket.connect")
    assert entry == {
        "name": "socket.connect", "args": ("self", "address"),
        "versions": tuple(_catalog.catalog_versions()),
        "doc": "https://docs.python.org/3/library/socket.html"
               "#socket.socket.connect",
        "note": None, "platforms": None}
    entry["args"] = ()
    assert pyaudit.describe("socket.connect")["args"] == ("self", "address")
    undocumented = pyaudit.describe("_thread.start_joinable_thread")
    assert undocumented["doc"] is None
    assert undocumented["versions"][0] == "3.13"
    assert pyaudit.describe("open")["doc"] == (
        "https://docs.python.org/3/library/functions.html#open")


@pytest.mark.parametrize("name", [
    "sokcet.connect", "socket.*", "socket", "", "pyaudit_test.custom",
    "sys.set_asyncgen_hooks_firstiter",     # the docs' spelling, not raised
])
def test_describe_an_unknown_name_gives_none(name):
    assert pyaudit.describe(name) is None


def test_describe_gives_the_arguments_of_the_version():
    assert pyaudit.describe("shutil.rmtree", "3.10")["args"] == ("path",)
    assert pyaudit.describe("shutil.rmtree", "3.11")["args"] == (
        "path", "dir_fd")


@pytest.mark.parametrize("name, first", [
    ("sys._getframemodulename", "3.12"),
    ("_posixsubprocess.fork_exec", "3.14"),
    ("time.sleep", "3.13"),
    ("marshal.loads", "3.9"),
])
def test_known_events_follow_the_version(name, first):
    first_minor = int(first.split(".")[1])
    for version in _catalog.catalog_versions():
        minor = int(version.split(".")[1])
        assert (name in _catalog.known_events(version)) == (
            minor >= first_minor), version
    assert (name in _catalog.known_events()) == (
        sys.version_info[:2] >= (3, first_minor))


def test_known_events_drop_removed_events():
    def known(version):
        return _catalog.known_events(version, "windows")
    assert "ctypes.seh_exception" in known("3.11")
    assert "ctypes.seh_exception" not in known("3.12")
    assert "ctypes.set_exception" in known("3.12")


def test_known_events_of_the_running_python():
    known = _catalog.known_events()
    assert known == _catalog.known_events(RUNNING)
    assert {"open", "exec", "socket.connect", "builtins.id"} <= set(known)
    for name, entry in known.items():
        assert entry["name"] == name
        assert RUNNING in entry["versions"]
        assert entry == pyaudit.describe(name)


def test_known_events_outside_the_catalog():
    assert _catalog.known_events("3.7") == {}
    newest = _catalog.catalog_versions()[-1]
    assert _catalog.known_events("3.99") == _catalog.known_events(newest)
    for bad in ("311", "3.x", "3.11.2", "2.7", 3.11):
        with pytest.raises(ValueError, match="like '3.11'"):
            _catalog.known_events(bad)


def test_the_catalog_knows_what_this_python_raises(api):
    """Every CPython event seen while doing ordinary things is known."""
    tmp = tempfile.mkdtemp()
    with api.record("*") as rec:
        with open(os.path.join(tmp, "f"), "w") as f:
            f.write("x")
        os.listdir(tmp)
        id(rec)
        exec(compile("x = 1", "<catalog test>", "exec"), {})
        shutil.rmtree(tmp)
    seen = {event.name for event in rec.drain()}
    assert {"open", "os.listdir", "builtins.id", "compile", "exec",
            "shutil.rmtree"} <= seen
    assert seen - set(_catalog.known_events()) == set()


# -- named_args ---------------------------------------------------------------

def test_named_args_of_a_recorded_open(api, tmp_path):
    path = str(tmp_path / "named")
    with api.record("open") as rec:
        with open(path, "w"):
            pass
    [event] = [e for e in rec.drain() if e.args[0] == path]
    named = event.named_args()
    assert list(named) == ["path", "mode", "flags"]
    assert named["path"] == path
    assert named["mode"] == "w"
    assert named["flags"] == event.args[2]


def test_named_args_of_a_recorded_rmtree(api, tmp_path):
    target = str(tmp_path / "tree")
    os.mkdir(target)
    with api.record("shutil.rmtree") as rec:
        shutil.rmtree(target)
    [event] = rec.drain()
    if sys.version_info >= (3, 11):
        assert event.named_args() == {"path": target, "dir_fd": None}
    else:
        assert event.named_args() == {"path": target}


def test_named_args_with_other_counts_of_values():
    assert _catalog.named_args("open", ("p", "r", 0, "x")) == {
        "path": "p", "mode": "r", "flags": 0, "arg3": "x"}
    assert _catalog.named_args("open", ("p",)) == {"path": "p"}
    assert _catalog.named_args("open", ()) == {}
    assert _catalog.named_args("myapp.login", ("u", 2)) == {
        "arg0": "u", "arg1": 2}
    assert _catalog.named_args("shutil.rmtree", ("p", 3), "3.10") == {
        "path": "p", "arg1": 3}


def test_event_named_args_uses_the_catalog():
    event = pyaudit.Event("socket.connect", ("sock", ("h", 1)), 0, 0)
    assert event.named_args() == {"self": "sock", "address": ("h", 1)}


# -- UnknownEventWarning from subscriptions -----------------------------------

def caught_warnings(call):
    """Run call() recording every warning; return (result, warnings)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call()
    return result, caught


@pytest.mark.parametrize("kind", ["watch", "record", "count", "deny"])
def test_a_typo_warns_at_the_callers_line(api, kind):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        here = sys._getframe
        if kind == "watch":
            line, sub = here().f_lineno, api.watch("sokcet.connect", print)
        elif kind == "record":
            line, sub = here().f_lineno, api.record("sokcet.connect")
        elif kind == "count":
            line, sub = here().f_lineno, api.count("sokcet.connect")
        else:
            line, sub = here().f_lineno, api.deny("sokcet.connect")
    sub.close()
    [warning] = caught
    assert warning.category is pyaudit.UnknownEventWarning
    assert issubclass(pyaudit.UnknownEventWarning, UserWarning)
    message = str(warning.message)
    assert "'sokcet.connect'" in message
    assert "did you mean 'socket.connect'" in message
    assert (warning.filename, warning.lineno) == (__file__, line)


def test_pyaudit_count_warns_at_the_callers_line():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        line = sys._getframe().f_lineno + 1
        counter = pyaudit.count("open, sokcet.connect")
    counter.close()
    [warning] = caught
    assert "did you mean 'socket.connect'" in str(warning.message)
    assert (warning.filename, warning.lineno) == (__file__, line)


@pytest.mark.parametrize("patterns", [
    "socket.connect", "open, exec, import", "socket.*", "os.*", "*",
    "*, !sokcet.connect", "socket.*, !sokcet.*", "!pyaudit_test.x, open",
    ["socket.connect", "subprocess.Popen"],
])
def test_known_patterns_do_not_warn(api, patterns):
    sub, caught = caught_warnings(lambda: api.count(patterns))
    sub.close()
    assert [str(w.message) for w in caught] == []


def test_each_unknown_item_warns_once(api, ename):
    sub, caught = caught_warnings(
        lambda: api.count([ename + ".a", "open", "sokcet.*", ename + ".*"]))
    sub.close()
    messages = [str(w.message) for w in caught]
    assert len(messages) == 3
    assert "%r names no audit event" % (ename + ".a") in messages[0]
    assert "your own sys.audit() events are fine" in messages[0]
    assert "did you mean 'socket.*'" in messages[1]
    assert "%r matches no audit event" % (ename + ".*") in messages[2]


def test_an_event_of_other_versions_says_which():
    [message] = _catalog.unknown_pattern_messages(
        ["sys._getframemodulename"], "3.11")
    assert ("no audit event of Python 3.11 on %s: only Python 3.12-3.15"
            % _catalog.PLATFORMS[_catalog.current_platform()]) in message
    assert _catalog.unknown_pattern_messages(
        ["sys._getframemodulename"], "3.12") == []
    [message] = _catalog.unknown_pattern_messages(["time.*"], "3.12")
    assert "only Python 3.13-3.15 raise such events" in message
    [message] = _catalog.unknown_pattern_messages(
        ["ctypes.seh_exception"], "3.12", "windows")
    assert "only Python 3.8-3.11 raise it" in message


def test_the_docs_spelling_points_to_the_raised_name():
    [message] = _catalog.unknown_pattern_messages(
        ["sys.set_asyncgen_hooks_firstiter"])
    assert "CPython raises 'sys.set_asyncgen_hook_firstiter'" in message


def test_the_running_version_decides(api):
    sub, caught = caught_warnings(
        lambda: api.count("sys._getframemodulename"))
    sub.close()
    assert len(caught) == (0 if sys.version_info >= (3, 12) else 1)


def test_a_warning_turned_error_subscribes_nothing(api):
    before = api.subscriptions()
    with warnings.catch_warnings():
        warnings.simplefilter("error", pyaudit.UnknownEventWarning)
        with pytest.raises(pyaudit.UnknownEventWarning):
            api.deny("sokcet.connect")
    assert api.subscriptions() == before


def test_an_unreadable_catalog_does_not_stop_a_subscription(
        api, monkeypatch):
    def refuse():
        raise PermissionError("refused by a hook")

    monkeypatch.setattr(_catalog, "_catalog", None)
    monkeypatch.setattr(_catalog, "_read_events_json", refuse)
    sub, caught = caught_warnings(lambda: api.count("sokcet.connect"))
    assert sub.active
    sub.close()
    assert caught == []
    with pytest.raises(PermissionError):
        pyaudit.describe("open")


def test_loading_the_catalog_is_not_seen_by_subscriptions(backend):
    out = check_python("""
        import json, pyaudit
        assert pyaudit._catalog._catalog is None    # not loaded at import
        rec = pyaudit.record("open, import")
        pyaudit.count("socket.*").close()
        pyaudit.describe("open")
        print(json.dumps([[e.name, str(e.args[0])] for e in rec.drain()]))
        """, backend=backend)
    assert json.loads(out) == []


# -- python -m pyaudit events -------------------------------------------------

def run_events(*args):
    """Run ``python -m pyaudit events ARGS``; (returncode, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "pyaudit", "events"] + list(args),
        env=child_env(), cwd=ROOT, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_cli_lists_every_known_event():
    rc, out, err = run_events()
    assert (rc, err) == (0, "")
    names = [line.split()[0] for line in out.splitlines()]
    assert names == sorted(_catalog.known_events())


def test_cli_text_is_aligned():
    rc, out, err = run_events("socket.connect", "open,builtins.id")
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert [line.split()[0] for line in lines] == [
        "builtins.id", "open", "socket.connect"]
    assert "  (self, address)  " in lines[2]
    assert lines[2].endswith(
        "  https://docs.python.org/3/library/socket.html"
        "#socket.socket.connect")
    assert len(set(line.index("(") for line in lines)) == 1
    assert len(set(line.index("https://") for line in lines)) == 1


def test_cli_json_filters():
    rc, out, err = run_events("--json", "os.*,!os.listdir", "!os.scandir")
    assert (rc, err) == (0, "")
    entries = json.loads(out)
    expected = sorted(name for name in _catalog.known_events()
                      if name.startswith("os.")
                      and name not in ("os.listdir", "os.scandir"))
    assert [entry["name"] for entry in entries] == expected
    assert len(expected) > 10
    for entry in entries:
        assert entry == json.loads(json.dumps(
            pyaudit.describe(entry["name"])))


@pytest.mark.parametrize("pattern", ["so*", "", "!", "a,,b"])
def test_cli_bad_pattern_is_one_line_and_status_2(pattern):
    rc, out, err = run_events("open", pattern)
    assert (rc, out) == (2, "")
    assert len(err.splitlines()) == 1, err
    assert err.startswith("python -m pyaudit events: error: ")


def test_only_the_first_unknown_items_get_a_did_you_mean(api):
    # difflib takes a few hundred microseconds a name: thousands of names
    # of one's own must not take seconds to subscribe.
    limit = _catalog.SUGGESTIONS_PER_CALL
    items = ["sokcet.connect"] + ["zz.own.%d" % i for i in range(limit)]
    items.append("sokcet.bind")
    sub, caught = caught_warnings(lambda: api.count(items))
    sub.close()
    messages = [str(w.message) for w in caught]
    assert len(messages) == limit + 2
    assert "did you mean 'socket.connect'" in messages[0]
    assert "'sokcet.bind' names no audit event" in messages[-1]
    assert "did you mean" not in messages[-1]
    assert messages[-1].endswith("(names of your own sys.audit() events "
                                 "are fine)")


def test_cli_unknown_pattern_warns_in_one_line():
    rc, out, err = run_events("sokcet.connect", "socket.bind")
    assert rc == 0
    assert [line.split()[0] for line in out.splitlines()] == ["socket.bind"]
    [line] = err.splitlines()
    assert line.startswith("python -m pyaudit events: UnknownEventWarning: "
                           "pattern 'sokcet.connect' names no audit event")
    assert "did you mean 'socket.connect'" in line


def test_cli_nothing_matched():
    rc, out, err = run_events("--json", "nosuchmodule.*")
    assert (rc, json.loads(out)) == (0, [])
    assert len(err.splitlines()) == 1
    assert "'nosuchmodule.*' matches no audit event" in err


# -- platforms ----------------------------------------------------------------

HERE = _catalog.current_platform()
# An event this platform never raises, and the platform that does.
FOREIGN, FOREIGN_PLATFORM = (("fcntl.flock", "Unix") if HERE == "windows"
                             else ("winreg.OpenKey", "Windows"))


def test_generator_places_events_by_source_notes_and_table():
    catalog = gen.build(source_data(
        source_event("w.reg", raised_in=["PC/winreg.c"]),
        source_event("w.noted", notes="Undocumented, Windows only. More."),
        source_event("f.lock", raised_in=["Modules/fcntlmodule.c"]),
        source_event("open", raised_in=["Modules/_io/fileio.c",
                                        "Modules/posixmodule.c"]),
        source_event("mixed", raised_in=["PC/winreg.c", "Lib/pty.py"]),
        source_event("os.chflags", raised_in=["Modules/posixmodule.c"]),
        source_event("resource.prlimit", raised_in=["Modules/resource.c"])))
    platforms = {event["name"]: event.get("platforms")
                 for event in catalog["events"]}
    assert platforms == {
        "w.reg": ["windows"], "w.noted": ["windows"], "f.lock": ["unix"],
        "open": None, "mixed": None, "os.chflags": ["bsd", "macos"],
        "resource.prlimit": ["linux"]}


def test_generator_rejects_platforms_that_contradict_the_notes():
    with pytest.raises(gen.SourceError, match="Windows only"):
        gen.build(source_data(source_event(
            "f.lock", raised_in=["Modules/fcntlmodule.c"],
            notes="Windows only.")))


def test_catalog_platforms_use_the_known_names():
    for event in json.loads(read(SHIPPED))["events"]:
        platforms = event.get("platforms")
        assert platforms is None or (
            platforms and set(platforms) <= set(_catalog.PLATFORMS)
            and platforms == sorted(platforms)), event


# What raises each event that only some platforms raise, as (module,
# attribute): the event can be raised here exactly when that exists.
RAISED_BY = {
    "os.add_dll_directory": ("os", "add_dll_directory"),
    "os.listdrives": ("os", "listdrives"),
    "os.listmounts": ("os", "listmounts"),
    "os.listvolumes": ("os", "listvolumes"),
    "os.spawn": (os.name, "spawnv"),    # the C spawnv, not os.py's
    "os.startfile": ("os", "startfile"),
    "os.startfile/2": ("os", "startfile"),
    "ctypes.get_last_error": ("ctypes", "get_last_error"),
    "ctypes.set_last_error": ("ctypes", "set_last_error"),
    "ctypes.seh_exception": ("ctypes", "WinDLL"),
    "ctypes.set_exception": ("ctypes", "WinDLL"),
    "os.chown": ("os", "chown"),
    "os.fork": ("os", "fork"),
    "os.forkpty": ("os", "forkpty"),
    "os.killpg": ("os", "killpg"),
    "os.lockf": ("os", "lockf"),
    "os.posix_spawn": ("os", "posix_spawn"),
    "os._clearenv": (os.name, "_clearenv"),
    "_posixsubprocess.fork_exec": ("_posixsubprocess", "fork_exec"),
    "signal.pthread_kill": ("signal", "pthread_kill"),
    "socket.sendmsg": ("socket", "CMSG_LEN"),
    "socket.sethostname": ("socket", "sethostname"),
    "os.getxattr": ("os", "getxattr"),
    "os.listxattr": ("os", "listxattr"),
    "os.removexattr": ("os", "removexattr"),
    "os.setxattr": ("os", "setxattr"),
    "os.chflags": ("os", "chflags"),
    "resource.prlimit": ("resource", "prlimit"),
}
# Whole modules that only some platforms have.
RAISING_MODULES = ("winreg", "msvcrt", "_winapi", "fcntl", "resource",
                   "syslog", "pty")


def exists(module, attribute=None):
    try:
        found = importlib.import_module(module)
    except ImportError:
        return False
    return attribute is None or hasattr(found, attribute)


def test_platforms_agree_with_what_this_python_has():
    """Each event the catalog restricts to some platforms is known here
    exactly when the function (or module) that raises it exists here."""
    known = _catalog.known_events()
    checked = 0
    for name, entry in _catalog.known_events(platform="any").items():
        if entry["platforms"] is None:
            continue
        module = name.split(".")[0]
        if name in RAISED_BY:
            here = exists(*RAISED_BY[name])
        else:
            assert module in RAISING_MODULES, (
                "%s: say in RAISED_BY what raises it" % name)
            here = exists(module)
        assert (name in known) == here, (name, entry["platforms"])
        checked += 1
    assert checked > 40


def test_known_events_are_those_of_the_platform():
    everywhere = _catalog.known_events(platform="any")
    here = _catalog.known_events()
    assert FOREIGN in everywhere and FOREIGN not in here
    assert set(here) < set(everywhere)
    assert here == _catalog.known_events(platform=HERE)
    assert "os.getxattr" in _catalog.known_events(platform="linux")
    assert "os.getxattr" not in _catalog.known_events(platform="macos")
    assert "os.chflags" in _catalog.known_events(platform="bsd")
    assert "os.fork" in _catalog.known_events(platform="unix")
    assert "os.fork" not in _catalog.known_events(platform="windows")
    for bad in ("win32", "Linux", "", 3):
        with pytest.raises(ValueError, match="platform must be one of"):
            _catalog.known_events(platform=bad)


def test_describe_says_which_platforms_raise_an_event():
    assert pyaudit.describe("winreg.OpenKey")["platforms"] == ("windows",)
    assert pyaudit.describe("os.chflags")["platforms"] == ("bsd", "macos")
    assert pyaudit.describe("open")["platforms"] is None


def test_an_event_of_other_platforms_warns_saying_which(api):
    sub, caught = caught_warnings(
        lambda: api.count([FOREIGN, FOREIGN.split(".")[0] + ".*"]))
    sub.close()
    assert [str(w.message) for w in caught] == [
        "pattern %r names no audit event of Python %s on %s: only %s raises "
        "it" % (FOREIGN, RUNNING, _catalog.PLATFORMS[HERE], FOREIGN_PLATFORM),
        "pattern %r matches no audit event of Python %s on %s: only %s "
        "raises such events" % (FOREIGN.split(".")[0] + ".*", RUNNING,
                                _catalog.PLATFORMS[HERE], FOREIGN_PLATFORM)]


def test_a_platform_and_version_problem_says_both():
    [message] = _catalog.unknown_pattern_messages(["os.listdrives"], "3.11",
                                                  "linux")
    assert message.endswith(
        "of Python 3.11 on Linux: only Python 3.12-3.15 on Windows raise it")
    [message] = _catalog.unknown_pattern_messages(["os.chflags"], "3.11",
                                                  "windows")
    assert message.endswith("on Windows: only macOS and BSD raise it")
    assert _catalog.unknown_pattern_messages(
        ["os.listdrives", "winreg.*"], "3.11", "any") == [
        "pattern 'os.listdrives' names no audit event of Python 3.11: only "
        "Python 3.12-3.15 raise it"]


def test_did_you_mean_suggests_only_events_of_this_platform():
    [message] = _catalog.unknown_pattern_messages(["winreg.OpenKy"],
                                                  platform="linux")
    assert "did you mean" not in message
    [message] = _catalog.unknown_pattern_messages(["winreg.OpenKy"],
                                                  platform="windows")
    assert "did you mean 'winreg.OpenKey'" in message


def test_cli_lists_this_platforms_events_with_their_platforms():
    rc, out, err = run_events(FOREIGN, "os.*")
    assert rc == 0
    [line] = err.splitlines()
    assert line.endswith("only %s raises it" % FOREIGN_PLATFORM)
    rows = {line.split()[0]: line.split()[-2] for line in out.splitlines()}
    assert set(rows) == {name for name in _catalog.known_events()
                         if name.startswith("os.")}
    assert rows["os.mkdir"] == "any"
    if HERE != "windows":
        assert rows["os.fork"] == "unix"


def test_cli_all_platforms_lists_every_event():
    rc, out, err = run_events("--all-platforms")
    assert (rc, err) == (0, "")
    rows = {line.split()[0]: line.split()[-2] for line in out.splitlines()}
    assert list(rows) == sorted(_catalog.known_events(platform="any"))
    assert rows["winreg.OpenKey"] == "windows"
    assert rows["os.chflags"] == "bsd,macos"
    rc, out, err = run_events("--all-platforms", "--json", FOREIGN)
    assert (rc, err) == (0, "")
    [entry] = json.loads(out)
    assert entry["platforms"] == list(pyaudit.describe(FOREIGN)["platforms"])
