"""The example policies in examples/policies/: each loads, and a small
program run under it is refused or logged what the policy says."""

import glob
import json
import os
import subprocess
import sys

import pytest

import pyaudit
from support import ROOT, child_env, program, run_plain

EXAMPLES = os.path.join(ROOT, "examples", "policies")
ACTIONS = program("policy_actions.py")


def example(name):
    return os.path.join(EXAMPLES, name)


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(
    EXAMPLES, "*.toml"))), ids=os.path.basename)
def test_every_example_is_a_valid_policy(path):
    with pyaudit.load_policy(path) as policy:
        assert policy.rules
        assert all(rule.name for rule in policy.rules)


@pytest.fixture
def dirs(tmp_path):
    """(working directory, TMPDIR, a directory outside both)."""
    made = [tmp_path / name for name in ("work", "tmp", "outside")]
    for directory in made:
        directory.mkdir()
    (made[2] / "kept").write_text("kept")
    return made


def run_actions(policy, dirs, env=None):
    work, tmp, outside = dirs
    done = run_plain([ACTIONS, outside], cwd=work, env=dict(
        env or {}, PYAUDIT_POLICY=policy, TMPDIR=str(tmp)))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout), done.stderr


def test_the_generated_code_guard(dirs):
    outcomes, _ = run_actions(example("generated-code-guard.toml"), dirs)
    assert outcomes == {
        "write here": "allowed",
        "write in the temporary directory": "allowed",
        "write outside": "denied",
        "remove outside": "denied",
        "copy to outside": "denied",
        "run a program": "denied",
        "os.system": "denied",
        "connect to this machine": "allowed",
        "connect elsewhere": "denied",
        "look up a name": "denied",
        "import ctypes": "denied",
    }
    assert sorted(os.listdir(str(dirs[2]))) == ["kept"]


def test_the_test_network_guard_under_pytest(tmp_path):
    (tmp_path / "test_net.py").write_text(
        "import socket\n"
        "def test_local():\n"
        "    socket.getaddrinfo('localhost', 80)\n"
        "def test_remote():\n"
        "    try:\n"
        "        socket.getaddrinfo('example.invalid', 80)\n"
        "    except OSError:\n"
        "        pass\n")
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "pyaudit.pytest_plugin",
         "-p", "no:cacheprovider", "--audit-policy",
         example("test-network-guard.toml"), "test_net.py"],
        cwd=str(tmp_path), env=child_env(extra={
            "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}),
        stdout=subprocess.PIPE, universal_newlines=True, timeout=120)
    assert done.returncode == 1, done.stdout
    assert "1 failed, 1 passed" in done.stdout
    assert ('rule 1 ("localhost only"): socket.getaddrinfo x1'
            in done.stdout)


def test_the_test_network_guard_allows_only_this_machine(dirs):
    outcomes, _ = run_actions(example("test-network-guard.toml"), dirs)
    refused = {name for name, outcome in outcomes.items()
               if outcome == "denied"}
    assert refused == {"connect elsewhere", "look up a name"}


def test_the_production_monitor_logs_with_callers(dirs):
    # The program configures nothing: logging's last resort shows only the
    # warnings; a handler set up at start-up (sitecustomize) shows all.
    outcomes, stderr = run_actions(example("production-monitor.toml"), dirs)
    assert set(outcomes.values()) == {"allowed"}     # it refuses nothing
    warnings = [line for line in stderr.splitlines() if "would deny" in line]
    assert [line.split(":")[0] for line in warnings] == [
        "production monitor rule 3 (\"writes outside the service and "
        "temporary directories\")"] * 4
    # write outside, remove outside, copy to outside (its event and the
    # open it makes)
    assert [line.split("would deny audit event ")[1].split(" ")[0]
            for line in warnings] == ["open", "os.remove",
                                      "shutil.copyfile", "open"]
    assert " at %s:" % ACTIONS in warnings[0]


def test_the_production_monitor_with_logging_configured(dirs, tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import logging\nlogging.basicConfig(level=logging.INFO, "
        "format='%(levelname)s %(name)s %(audit_rule)s | %(message)s')\n")
    _, stderr = run_actions(example("production-monitor.toml"), dirs,
                            env={"PYTHONPATH": "%s:%s" % (
                                site, child_env()["PYTHONPATH"])})
    lines = [line for line in stderr.splitlines()
             if line.startswith(("INFO pyaudit.monitor",
                                 "WARNING pyaudit.monitor"))]
    programs = [line for line in lines if 'rule 1 ("programs' in line]
    assert any("audit event subprocess.Popen ('true', ['true']" in line
               and "policy_actions.py" in line for line in programs)
    assert any("audit event os.system (b'true',)" in line
               for line in programs)
    connections = [line for line in lines if 'rule 2 ("connections")' in line]
    assert any("('127.0.0.1'," in line for line in connections)
    assert any("('10.255.255.1', 9)" in line for line in connections)
    # stack = 4: up to four callers, innermost first
    assert all(line.count(" <- ") <= 3 for line in lines)
    assert any(line.count(" <- ") == 3 for line in lines)
