"""The pytest plugin's ``--audit-policy FILE``: the policy is in force for
the whole session, and a test phase that attempted an event one of its
deny rules denies fails, as with ``--audit-deny`` (even when the code
caught the ``pyaudit.Denied``).  Each case runs an inner pytest session in
a child process (tests/cli/test_pytest_plugin.py's ``inner`` fixture)."""

import pytest

import test_pytest_plugin
from test_pytest_plugin import USAGE_ERROR, XDIST, output

pytest_plugins = ["pytester"]
inner = test_pytest_plugin.inner        # the inner-session fixture

NETWORK_GUARD = """\
name = "localhost only"

[[rule]]
name = "no network"
action = "deny"
events = "socket.connect, socket.getaddrinfo"
where = { hosts_outside = ["127.0.0.0/8", "::1", "localhost"] }

[[rule]]
name = "no programs"
action = "deny"
events = "subprocess.Popen"
"""

TESTS = """
    import socket
    import subprocess
    import pytest

    def test_local():
        socket.getaddrinfo("localhost", 80)

    def test_remote_caught():
        try:
            socket.getaddrinfo("example.invalid", 80)
        except OSError:
            pass

    @pytest.fixture
    def spawns():
        subprocess.run(["true"])

    def test_fixture_spawns(spawns):
        pass

    def test_plain():
        pass
"""


@pytest.fixture
def guarded(pytester):
    pytester.makefile(".toml", policy=NETWORK_GUARD)
    pytester.makepyfile(test_guarded=TESTS)


def test_a_test_attempting_a_denied_event_fails(inner, guarded):
    result = inner("--audit-policy=policy.toml")
    result.assert_outcomes(passed=2, failed=1, errors=1)
    text = output(result)
    assert "pyaudit: audit events denied during the test by " \
        "--audit-policy=" in text
    result.stdout.fnmatch_lines([
        '*--audit-policy=*policy.toml rule 1 ("no network"): '
        "socket.getaddrinfo x1",
        "socket.getaddrinfo ('example.invalid', 80, 0, 0, 0)",
        "*test_guarded.py:10 in test_remote_caught",
    ])
    result.stdout.fnmatch_lines([
        "*pyaudit: audit events denied during setup by --audit-policy=*"
        'rule 2 ("no programs"): subprocess.Popen x1',
    ])
    result.stdout.fnmatch_lines([
        "*= pyaudit: denied audit events =*",
        " count  event * test",
        "     1  socket.getaddrinfo * test_guarded.py::test_remote_caught",
        "     1  subprocess.Popen * test_guarded.py::test_fixture_spawns "
        "(setup)",
    ])


def test_the_header_names_the_policy(inner, guarded):
    result = inner("--audit-policy=policy.toml", "-k", "plain")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "pyaudit: policy */policy.toml (2 rules) in force for the session"])


def test_it_covers_collection(inner, pytester):
    pytester.makefile(".toml", policy=NETWORK_GUARD)
    pytester.makepyfile(test_imports="""
        import subprocess
        subprocess.run(["true"])

        def test_never_collected():
            pass
    """)
    result = inner("--audit-policy=policy.toml")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "Denied: audit event 'subprocess.Popen'" in output(result)


def test_audit_deny_and_the_policy_add_up(inner, guarded):
    result = inner("--audit-policy=policy.toml", "--audit-deny=socket.*",
                   "-k", "local")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "*denied during the test by --audit-deny=socket.*: "
        "socket.getaddrinfo x1"])


def test_with_xdist_workers_the_summary_is_collected(inner, guarded):
    result = inner("--audit-policy=policy.toml", *XDIST)
    result.assert_outcomes(passed=2, failed=1, errors=1)
    result.stdout.fnmatch_lines([
        "pyaudit: policy */policy.toml in force in every worker",
        "*= pyaudit: denied audit events =*",
        " count  event * test",
        # sorted by test: the workers finish in any order
        "     1  subprocess.Popen * test_guarded.py::test_fixture_spawns "
        "(setup)",
        "     1  socket.getaddrinfo * test_guarded.py::test_remote_caught",
    ])


def test_a_bad_policy_is_a_usage_error_listing_its_problems(inner,
                                                            pytester):
    pytester.makefile(".toml", policy='[[rule]]\naction = "deny"\n'
                      'events = "socket.*"\nfoo = 1\nbar = 2\n')
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = inner("--audit-policy=policy.toml")
    assert result.ret == USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: --audit-policy: */policy.toml:4: rule 1, foo: unknown key "
        "'foo'; *",
        "*/policy.toml:5: rule 1, bar: unknown key 'bar'; *",
    ])
