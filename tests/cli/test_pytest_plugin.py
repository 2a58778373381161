"""The pytest plugin (pyaudit.pytest_plugin): the ``audit`` fixture, the
``audit_deny`` marker and the ``--audit-deny`` option.

Audit hooks are permanent, so every case runs an inner pytest session in a
child process (``runpytest_subprocess``).  The inner sessions load the plugin
explicitly (``-p pyaudit.pytest_plugin``) with plugin autoloading off, so
they behave the same whether or not pyaudit is installed, and no other
installed plugin joins in; the entry point is tested on its own.
"""

import json
import os
import re
import sys
import textwrap

import pytest

from support import ROOT, child_env

pytest_plugins = ["pytester"]

PLUGIN = ("-p", "pyaudit.pytest_plugin")
USAGE_ERROR = 4     # pytest.ExitCode.USAGE_ERROR


@pytest.fixture
def inner(pytester, monkeypatch):
    """Run an inner pytest session in a child process, with the plugin
    loaded, pyaudit importable and no other plugin autoloaded."""
    monkeypatch.setenv("PYTHONPATH", child_env()["PYTHONPATH"])
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("PYAUDIT_BACKEND", raising=False)

    def run(*args, **kwargs):
        backend = kwargs.pop("backend", None)
        if backend is not None:
            monkeypatch.setenv("PYAUDIT_BACKEND", backend)
        return pytester.runpytest_subprocess(
            *(PLUGIN + ("-p", "no:cacheprovider", "-rA") + args),
            timeout=120, **kwargs)
    return run


def line_of(source, text):
    """The line number of ``text`` in the file pytester makes of ``source``
    (dedented and stripped); ``text`` must be on one line only."""
    lines = textwrap.dedent(source).strip().splitlines()
    numbers = [n for n, line in enumerate(lines, 1) if text in line]
    assert len(numbers) == 1, (text, numbers)
    return numbers[0]


def output(result):
    return "\n".join(result.outlines + result.errlines)


# -- the audit fixture --------------------------------------------------------

FIXTURE_TESTS = """
    import sys
    import pytest
    import pyaudit

    KEPT = []

    def test_record_count_watch_deny(audit):
        seen = []
        recorder = audit.record("plugin_test.*", capacity=8)
        counter = audit.count("plugin_test.*")
        watcher = audit.watch("plugin_test.*",
                              lambda name, args: seen.append((name, args)))
        denier = audit.deny("plugin_test.refused")
        KEPT.extend([recorder, counter, watcher, denier])
        assert isinstance(recorder, pyaudit.Recorder)
        assert isinstance(counter, pyaudit.Counter)
        assert isinstance(denier, pyaudit.Subscription)
        assert recorder.capacity == 8

        sys.audit("plugin_test.a", 1)
        with pytest.raises(pyaudit.Denied):
            sys.audit("plugin_test.refused", 2)

        expected = [("plugin_test.a", (1,)), ("plugin_test.refused", (2,))]
        assert [(e.name, e.args) for e in recorder.drain()] == expected
        assert counter.counts() == {"plugin_test.a": 1,
                                    "plugin_test.refused": 1}
        assert seen == expected
        assert sorted(s.kind for s in pyaudit.subscriptions()) == [
            "count", "deny", "record", "watch"]

    def test_failing_test_still_closes(audit):
        KEPT.append(audit.deny("plugin_test.refused"))
        assert len(pyaudit.subscriptions()) == 1
        assert False, "fails on purpose"

    def test_all_closed_afterwards():
        assert len(KEPT) == 5
        assert [s for s in KEPT if s.active] == []
        assert pyaudit.subscriptions() == []
        sys.audit("plugin_test.refused")        # no longer denied
"""


def test_fixture_subscriptions_work_and_close_after_the_test(inner, pytester,
                                                             backend):
    pytester.makepyfile(test_fixture=FIXTURE_TESTS)
    result = inner("-W", "ignore::pyaudit.UnknownEventWarning",
                   backend=backend)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*AssertionError: fails on purpose*"])


def test_fixture_warns_about_unknown_names_at_the_test_line(inner, pytester):
    source = """
        def test_typo(audit):
            audit.count("os.sistem")
    """
    pytester.makepyfile(test_typo=source)
    result = inner()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*test_typo.py:%d: UnknownEventWarning: *'os.sistem'*"
        % line_of(source, "os.sistem")])


# -- the audit_deny marker ----------------------------------------------------

MARKER_TESTS = """
    import socket
    import pytest
    import pyaudit

    @pytest.fixture
    def server():
        # Fixtures are not covered by the marker: this socket is allowed.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        yield listener.getsockname()
        listener.close()

    def fetch(address):
        try:
            with socket.create_connection(address, timeout=5):
                return "online"
        except OSError:
            return "offline"

    @pytest.mark.audit_deny("socket.connect")
    def test_catches_the_denied(server):
        assert fetch(server) == "offline"

    @pytest.mark.audit_deny("socket.connect")
    def test_skips_when_offline(server):
        if fetch(server) == "offline":
            pytest.skip("no network")

    @pytest.mark.audit_deny("socket.*", "subprocess.*")
    def test_quiet(server):
        active = [(s.kind, s.patterns) for s in pyaudit.subscriptions()]
        assert ("deny", ("socket.*", "subprocess.*")) in active
        assert server[0] == "127.0.0.1"

    def test_unmarked_connects(server):
        assert pyaudit.subscriptions() == []
        assert fetch(server) == "online"
"""


def test_marker_fails_a_test_that_caught_the_denied_event(inner, pytester,
                                                          backend):
    pytester.makepyfile(test_marker=MARKER_TESTS)
    result = inner(backend=backend)
    result.assert_outcomes(passed=2, failed=2)
    test_line = line_of(MARKER_TESTS, "assert fetch(server) == \"offline\"")
    fetch_line = line_of(MARKER_TESTS, "with socket.create_connection")
    result.stdout.fnmatch_lines([
        "*_ test_catches_the_denied _*",
        "pyaudit: audit events denied during the test by "
        "@pytest.mark.audit_deny('socket.connect'): socket.connect x1",
        "socket.connect (<socket.socket *>, ('127.0.0.1', *))",
        "  test_marker.py:%d in test_catches_the_denied" % test_line,
        "      assert fetch(server) == \"offline\"",
        "  test_marker.py:%d in fetch" % fetch_line,
        "      with socket.create_connection(address, timeout=5):",
        "  *socket.py:* in create_connection",
        "      sock.connect(sa)",
        "*_ test_skips_when_offline _*",
        "pyaudit: audit events denied during the test by *socket.connect x1",
    ])
    text = output(result)       # no frames of pyaudit's or pytest's own
    assert not re.search(r"pyaudit[/\\]_\w+\.py:\d+ in ", text), text
    assert not re.search(r"_pytest[/\\]\w+\.py:\d+ in ", text), text
    result.stdout.fnmatch_lines([
        "FAILED test_marker.py::test_catches_the_denied*",
        "FAILED test_marker.py::test_skips_when_offline*",
    ])


UNCAUGHT_TESTS = """
        import subprocess
        import sys
        import pytest

        @pytest.mark.audit_deny("subprocess.Popen")
        class TestSpawning:
            def test_spawns(self):
                subprocess.run([sys.executable, "-c", "pass"])

            def test_does_not_spawn(self):
                pass
"""


def test_marker_uncaught_denied_keeps_its_traceback(inner, pytester):
    pytester.makepyfile(test_uncaught=UNCAUGHT_TESTS)
    result = inner()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        # (the args' repr is cut short when the interpreter's path is
        # long, and loses its closing parenthesis then)
        "E   *Denied: audit event 'subprocess.Popen' (* denied at "
        "*subprocess.py:* in *()",
        "*- pyaudit: denied audit events -*",
        "pyaudit: audit events denied during the test by "
        "@pytest.mark.audit_deny('subprocess.Popen'): subprocess.Popen x1",
        # (the arguments are cut at 100 characters: the interpreter's path
        # may be long enough to hide the rest)
        "subprocess.Popen (*",
        "  test_uncaught.py:%d in test_spawns"
        % line_of(UNCAUGHT_TESTS, "subprocess.run"),
    ])


MANY_TESTS = """
        import sys
        import pytest

        @pytest.mark.audit_deny("plugin_test.*")
        def test_many():
            for i in range(30):
                try:
                    sys.audit("plugin_test.secret", i)
                except PermissionError:
                    pass
"""


def test_marker_with_many_attempts_shows_a_few(inner, pytester):
    pytester.makepyfile(test_many=MANY_TESTS)
    result = inner("-W", "ignore::pyaudit.UnknownEventWarning")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "pyaudit: audit events denied during the test by "
        "*: plugin_test.secret x30",
        "plugin_test.secret (0,)  (x20)",
        "  test_many.py:%d in test_many" % line_of(MANY_TESTS, "sys.audit"),
        "(10 more not shown)",
    ])


def test_bad_marker_errors_that_test_only(inner, pytester):
    pytester.makepyfile(test_bad_marker="""
        import pytest

        @pytest.mark.audit_deny("socket.*x")
        def test_bad_pattern():
            pass

        @pytest.mark.audit_deny()
        def test_no_pattern():
            pass

        @pytest.mark.audit_deny(42)
        def test_not_a_str():
            pass

        def test_fine():
            pass
    """)
    result = inner()
    result.assert_outcomes(passed=1, errors=3)
    result.stdout.fnmatch_lines([
        "*_ ERROR at setup of test_bad_pattern _*",
        "@pytest.mark.audit_deny('socket.*x'): pattern 'socket.*x' uses '*' "
        "in an unsupported place; allowed: *",
        "*_ ERROR at setup of test_no_pattern _*",
        "@pytest.mark.audit_deny(): give at least one pattern",
        "*_ ERROR at setup of test_not_a_str _*",
        "@pytest.mark.audit_deny(42): patterns must be a str or an iterable "
        "of str, not int",
    ])
    assert "Traceback" not in output(result)


def test_marker_warns_about_an_unknown_name(inner, pytester):
    source = """
        import pytest

        @pytest.mark.audit_deny("socket.conect")
        def test_typo():
            pass
    """
    pytester.makepyfile(test_typo=source)
    result = inner("--strict-markers")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*test_typo.py:%d: UnknownEventWarning: @pytest.mark.audit_deny"
        "('socket.conect'): pattern 'socket.conect' *"
        % line_of(source, "@pytest.mark.audit_deny")])


@pytest.mark.parametrize("marker", ["audit_deny", "audit_allow"])
def test_marker_is_registered(inner, marker):
    result = inner("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.%s(*patterns): *" % marker])


# -- the --audit-deny option --------------------------------------------------

OPTION_TESTS = """
    import socket
    import subprocess
    import sys
    import pytest

    @pytest.fixture
    def spawned():
        subprocess.run([sys.executable, "-c", "pass"])  # fixture

    def test_connects():
        try:
            socket.create_connection(("127.0.0.1", 9), timeout=5).close()
        except OSError:
            pass

    def test_spawns():
        try:
            subprocess.run([sys.executable, "-c", "pass"])
        except OSError:
            pass

    def test_fixture_spawns(spawned):
        pass

    def test_pure():
        assert sum(range(4)) == 6
"""


def test_option_fails_tests_that_trigger_and_reports_them(inner, pytester):
    pytester.makepyfile(test_option=OPTION_TESTS)
    result = inner("--audit-deny=socket.*,subprocess.*")
    result.assert_outcomes(passed=1, failed=2, errors=1)
    result.stdout.fnmatch_lines([
        "pyaudit: denying socket.*,subprocess.* in every test",
        "*_ ERROR at setup of test_fixture_spawns _*",
        "pyaudit: audit events denied during setup by "
        "--audit-deny=socket.*,subprocess.*: subprocess.Popen x1",
        "  test_option.py:%d in spawned" % line_of(OPTION_TESTS, "# fixture"),
        "*_ test_connects _*",
        "pyaudit: audit events denied during the test by "
        "--audit-deny=socket.*,subprocess.*: socket.getaddrinfo x1",
        "*= pyaudit: denied audit events =*",
        " count  event * test",
        "     1  socket.getaddrinfo * test_option.py::test_connects",
        "     1  subprocess.Popen * test_option.py::test_spawns",
        "     1  subprocess.Popen * test_option.py::test_fixture_spawns "
        "(setup)",
    ])
    result.stdout.fnmatch_lines(["PASSED test_option.py::test_pure"])


def test_option_repeats_and_adds_to_the_ini_value(inner, pytester):
    pytester.makeini("""
        [pytest]
        audit_deny =
            socket.*
    """)
    pytester.makepyfile(test_option=OPTION_TESTS)
    result = inner("--audit-deny=subprocess.Popen",
                   "--audit-deny", "os.system")
    result.assert_outcomes(passed=1, failed=2, errors=1)
    result.stdout.fnmatch_lines([
        "pyaudit: denying socket.*,subprocess.Popen,os.system in every test",
        "*_ test_connects _*",
        "pyaudit: audit events denied during the test by audit_deny=socket.* "
        "and --audit-deny=subprocess.Popen,os.system: socket.getaddrinfo x1",
    ])

    result = inner("-o", "audit_deny=", "-k", "connects")
    result.assert_outcomes(passed=1)
    assert "pyaudit: denied audit events" not in output(result)


def test_option_summary_is_absent_when_nothing_is_denied(inner, pytester):
    pytester.makepyfile(test_option=OPTION_TESTS)
    result = inner("--audit-deny=ctypes.*", "-k", "pure or connects")
    result.assert_outcomes(passed=2)
    assert "pyaudit: denied audit events" not in output(result)


XDIST = ("-p", "xdist.plugin", "-n", "2")   # pytest-xdist, two workers


def test_option_summary_collects_what_xdist_workers_denied(inner, pytester):
    pytester.makepyfile(test_option=OPTION_TESTS)
    result = inner("--audit-deny=socket.*,subprocess.*", *XDIST)
    result.assert_outcomes(passed=1, failed=2, errors=1)
    result.stdout.fnmatch_lines([
        "*= pyaudit: denied audit events =*",
        " count  event * test",
        # sorted by test: the workers finish in any order
        "     1  socket.getaddrinfo * test_option.py::test_connects",
        "     1  subprocess.Popen * test_option.py::test_fixture_spawns "
        "(setup)",
        "     1  subprocess.Popen * test_option.py::test_spawns",
    ])


@pytest.mark.parametrize("args, message", [
    (["--audit-deny=socket.*x"],
     "ERROR: --audit-deny: pattern 'socket.*x' uses '*' in an unsupported "
     "place; allowed: *"),
    (["--audit-deny=socket.*,"],
     "ERROR: --audit-deny: empty pattern in 'socket.*,'; allowed: *"),
    (["-o", "audit_deny=!"],
     "ERROR: audit_deny (ini): *'!'*"),
    (["--audit-record-events=socket.*"],
     "ERROR: --audit-record-events: give the file to record to with "
     "--audit-record FILE"),
    (["--audit-record=out.jsonl", "--audit-record-events=so*"],
     "ERROR: --audit-record-events: pattern 'so*' uses '*' in an "
     "unsupported place; allowed: *"),
    (["--audit-record=missing/out.jsonl"],
     "ERROR: --audit-record: cannot open */missing/out.jsonl: No such file "
     "or directory"),
])
def test_bad_option_is_a_usage_error(inner, pytester, args, message):
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = inner(*args)
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines([message])
    assert "Traceback" not in output(result)


def test_option_warns_about_an_unknown_name(inner, pytester):
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = inner("--audit-deny=subprocess.Popen,sockt.*")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*UnknownEventWarning: --audit-deny: pattern 'sockt.*' *"])


# -- the audit_allow marker ---------------------------------------------------

ALLOW_TESTS = """
    import socket
    import subprocess
    import sys
    import pytest

    def spawn():
        subprocess.run([sys.executable, "-c", "pass"])

    def connect():
        try:
            socket.create_connection(("127.0.0.1", 9), timeout=5).close()
        except OSError:
            pass

    @pytest.fixture
    def spawned():
        spawn()

    @pytest.mark.audit_allow("subprocess.*")
    def test_allowed_spawns(spawned):
        spawn()

    @pytest.mark.audit_allow("subprocess.Popen")
    def test_allowed_spawns_but_connects():
        spawn()
        connect()

    def test_spawns():
        try:
            spawn()
        except OSError:
            pass

    @pytest.mark.audit_allow("socket.*", "subprocess.*")
    class TestAllowedAll:
        @pytest.mark.audit_deny("subprocess.Popen")
        def test_marked_deny_is_lifted_too(self):
            spawn()
            connect()
"""


def test_allow_marker_lifts_the_global_denial_for_one_test(inner, pytester):
    pytester.makepyfile(test_allow=ALLOW_TESTS)
    result = inner("--audit-deny=socket.*,subprocess.*")
    result.assert_outcomes(passed=2, failed=2)
    result.stdout.fnmatch_lines([
        "*_ test_allowed_spawns_but_connects _*",
        "pyaudit: audit events denied during the test by "
        "--audit-deny=socket.*,subprocess.* except "
        "@pytest.mark.audit_allow('subprocess.Popen'): socket.getaddrinfo x1",
        "*_ test_spawns _*",
        "pyaudit: audit events denied during the test by "
        "--audit-deny=socket.*,subprocess.*: subprocess.Popen x1",
    ])
    result.stdout.fnmatch_lines([
        "PASSED test_allow.py::test_allowed_spawns",
        "PASSED test_allow.py::TestAllowedAll::test_marked_deny_is_lifted_too",
    ])


def test_allow_marker_without_a_denial_changes_nothing(inner, pytester):
    pytester.makepyfile(test_allow=ALLOW_TESTS)
    result = inner("-k", "allowed_spawns and not connects")
    result.assert_outcomes(passed=1)
    assert "pyaudit: denied audit events" not in output(result)


def test_bad_allow_marker_errors_that_test_only(inner, pytester):
    pytester.makepyfile(test_bad_allow="""
        import pytest

        @pytest.mark.audit_allow("!socket.*")
        def test_exclusion():
            pass

        @pytest.mark.audit_allow("sockt.*")
        def test_typo():
            pass
    """)
    result = inner("--audit-deny=socket.*")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([
        "*_ ERROR at setup of test_exclusion _*",
        "@pytest.mark.audit_allow('!socket.*'): give the patterns to allow, "
        "not exclusions such as '!socket.*'",
        "*UnknownEventWarning: @pytest.mark.audit_allow('sockt.*'): pattern "
        "'sockt.*' *",
    ])


# -- --audit-record -----------------------------------------------------------

RECORD_TESTS = """
    import json
    import os
    import subprocess
    import sys
    import tempfile
    import pytest

    @pytest.fixture
    def notes():
        path = os.path.join(tempfile.mkdtemp(), "notes.txt")
        with open(path, "w") as f:
            f.write("x")
        yield path
        os.remove(path)

    def test_uses_notes(notes):
        with open(notes) as f:
            f.read()
        subprocess.run([sys.executable, "-c", "pass"])

    def test_pure():
        assert sum(range(4)) == 6

    def test_sees_earlier_lines():
        with open(os.environ["RECORD_FILE"]) as f:
            events = [json.loads(line)["event"] for line in f]
        assert "subprocess.Popen" in events
"""
RECORD_KEYS = {"test", "phase", "event", "args", "time_ns", "thread", "pid"}


def recorded(path):
    with open(str(path)) as f:
        lines = f.read().splitlines()
    records = [json.loads(line) for line in lines]
    for record in records:
        assert set(record) == RECORD_KEYS, record
    return records


def test_record_writes_each_event_of_each_phase(inner, pytester,
                                                 monkeypatch):
    path = pytester.path / "events.jsonl"
    path.write_text("left from an earlier run\n")
    monkeypatch.setenv("RECORD_FILE", str(path))
    pytester.makepyfile(test_record=RECORD_TESTS)
    result = inner("--audit-record", "events.jsonl")
    result.assert_outcomes(passed=3)    # test_sees_earlier_lines: flushed
    records = recorded(path)
    result.stdout.fnmatch_lines(["pyaudit: %d audit events recorded to %s"
                                 % (len(records), path)])
    test = "test_record.py::test_uses_notes"
    seen = [(r["test"], r["phase"], r["event"]) for r in records
            if r["event"] in ("open", "os.remove", "subprocess.Popen")]
    assert seen == [(test, "setup", "open"),
                    (test, "call", "subprocess.Popen"),
                    (test, "teardown", "os.remove")]
    [written] = [r for r in records if r["event"] == "open"]
    assert written["args"][0].endswith("notes.txt")
    assert written["args"][1] == "w"        # the read of it is not recorded
    assert {r["test"] for r in records} == {test}
    assert [r["time_ns"] for r in records] == sorted(
        r["time_ns"] for r in records)
    assert len({r["pid"] for r in records}) == 1


def test_record_events_chooses_what_is_written(inner, pytester):
    pytester.makepyfile(test_record="""
        import subprocess
        import sys

        def test_raises():
            sys.audit("plugin_test.a", 1, b"raw", float("nan"), (2, [3]))
            subprocess.run([sys.executable, "-c", "pass"])
    """)
    result = inner("--audit-record=events.jsonl",
                   "--audit-record-events=plugin_test.*",
                   "-W", "ignore::pyaudit.UnknownEventWarning")
    result.assert_outcomes(passed=1)
    [record] = recorded(pytester.path / "events.jsonl")
    assert (record["test"], record["phase"], record["event"]) == (
        "test_record.py::test_raises", "call", "plugin_test.a")
    assert record["args"] == [1, "b'raw'", "nan", [2, [3]]]


def test_record_keeps_denied_attempts(inner, pytester):
    pytester.makepyfile(test_option=OPTION_TESTS)
    result = inner("--audit-deny=subprocess.*", "--audit-record=out.jsonl",
                   "-k", "test_spawns")
    result.assert_outcomes(failed=1)
    assert [(r["test"], r["event"]) for r in recorded(
        pytester.path / "out.jsonl")] == [
        ("test_option.py::test_spawns", "subprocess.Popen")]


def test_record_with_xdist_workers_appends_whole_lines(inner, pytester,
                                                       monkeypatch):
    path = pytester.path / "events.jsonl"
    path.write_text("left from an earlier run\n")
    monkeypatch.setenv("RECORD_FILE", str(path))
    pytester.makepyfile(test_record=RECORD_TESTS, test_option=OPTION_TESTS)
    # --dist=loadfile: each worker runs one of the two files
    result = inner("--audit-record=events.jsonl", "-k", "not earlier",
                   "--dist=loadfile", *XDIST)
    result.assert_outcomes(passed=6)
    records = recorded(path)
    result.stdout.fnmatch_lines(["pyaudit: %d audit events recorded to %s"
                                 % (len(records), path)])
    tests = {(r["test"], r["event"]) for r in records}
    assert {("test_record.py::test_uses_notes", "subprocess.Popen"),
            ("test_option.py::test_spawns", "subprocess.Popen"),
            ("test_option.py::test_fixture_spawns", "subprocess.Popen"),
            ("test_option.py::test_connects", "socket.getaddrinfo")} <= tests
    assert len({r["pid"] for r in records}) == 2


# -- inert unless used, and loaded by the entry point -------------------------

COUNT_HOOKS = """
import json, sys
added = []
def plain_hook(name, args):
    if name == "sys.addaudithook":
        added.append(name)
sys.addaudithook(plain_hook)
import pytest
status = pytest.main(["-p", "pyaudit.pytest_plugin", "-p", "no:cacheprovider",
                      "-q", "test_inert.py"])
print(json.dumps({"status": int(status), "added": len(added)}))
"""


@pytest.mark.parametrize("uses, added", [("nothing", 0), ("fixture", 1)])
def test_plugin_is_inert_unless_used(inner, pytester, uses, added):
    pytester.makepyfile(test_inert="""
        import sys
        import pyaudit

        def test_plugin_loaded_and_nothing_subscribed(request):
            assert request.config.pluginmanager.has_plugin(
                "pyaudit.pytest_plugin")
            assert "pyaudit.pytest_plugin" in sys.modules
            assert pyaudit.subscriptions() == []

        def test_maybe_fixture(request):
            if %r == "fixture":
                request.getfixturevalue("audit").count("open")
    """ % (uses,))
    result = pytester.run(sys.executable, "-c", COUNT_HOOKS, timeout=120)
    assert result.ret == 0, output(result)
    status = json.loads(result.outlines[-1])
    assert status == {"status": 0, "added": added}


def fake_install(pytester, monkeypatch):
    """Make pytest find pyaudit's pytest11 entry point, as declared in
    pyproject.toml, as if pyaudit were installed; returns its (name,
    module)."""
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        match = re.search(r'^\[project\.entry-points\.pytest11\]\n'
                          r'(\w+) = "([\w.]+)"$', f.read(), re.M)
    assert match, "pyproject.toml declares no pytest11 entry point"
    name, module = match.groups()
    dist = pytester.mkdir("site").joinpath("pyaudit_fake-0.dist-info")
    dist.mkdir()
    dist.joinpath("METADATA").write_text(
        "Metadata-Version: 2.1\nName: pyaudit-fake\nVersion: 0\n")
    dist.joinpath("entry_points.txt").write_text(
        "[pytest11]\n%s = %s\n" % (name, module))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(dist.parent), child_env()["PYTHONPATH"]]))
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", raising=False)
    return name, module


@pytest.mark.parametrize("load", [[], PLUGIN, ["-p", "pyaudit"]])
def test_installed_plugin_loads_once_however_named(pytester, monkeypatch,
                                                   load):
    """As installed: pytest finds the plugin through the pytest11 entry
    point with no ``-p``, and ``-p pyaudit.pytest_plugin`` (the way from a
    checkout) or ``-p pyaudit`` does not register it a second time."""
    assert fake_install(pytester, monkeypatch)[0] == "pyaudit"
    pytester.makepyfile(test_option=OPTION_TESTS)
    result = pytester.runpytest_subprocess(
        *(list(load) + ["-p", "no:cacheprovider",
                        "--audit-deny=subprocess.*"]),
        timeout=120)
    result.assert_outcomes(passed=2, failed=1, errors=1)
    result.stdout.fnmatch_lines(["*= pyaudit: denied audit events =*"])


@pytest.mark.parametrize("name", ["pyaudit", "pyaudit.pytest_plugin"])
def test_installed_plugin_is_disabled_by_either_name(pytester, monkeypatch,
                                                     name):
    fake_install(pytester, monkeypatch)
    pytester.makepyfile(test_fixture="def test_uses(audit): pass")
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:" + name, timeout=120)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'audit' not found*"])
