"""Zero-code activation: with PYAUDIT_POLICY in the environment, every
Python process that has pyaudit installed puts the policy in force, sealed,
while it starts (pyaudit-autostart.pth), before the program's code; a
policy that cannot be put in force stops the process with one line and
exit status 2."""

import json
import sys

import pytest

from support import program, run_plain

CHILDREN = program("policy_children.py")


@pytest.fixture
def deny_own(deny_policy):
    return str(deny_policy)


def kinds_under(policy, ename, tmp_path, *kinds, env=None):
    done = run_plain([CHILDREN, ename + ".x"] + list(kinds), cwd=tmp_path,
                     env=dict(env or {}, PYAUDIT_POLICY=policy), timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_policy_is_in_force_before_the_first_line_runs(
        deny_own, ename, tmp_path):
    script = tmp_path / "first_line.py"
    script.write_text("import sys\nsys.audit(%r)\nprint('not reached')\n"
                      % (ename + ".x"))
    done = run_plain([script], cwd=tmp_path,
                     env={"PYAUDIT_POLICY": deny_own})
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1].startswith(
        "pyaudit._errors.Denied: audit event %r" % (ename + ".x"))


def test_it_is_sealed(deny_own, ename, tmp_path):
    done = run_plain(
        ["-c", "import pyaudit; [i] = pyaudit.subscriptions(); "
         "print(i.kind, i.sealed)"], cwd=tmp_path,
        env={"PYAUDIT_POLICY": deny_own})
    assert done.stdout == "deny True\n", done.stderr


@pytest.mark.parametrize("backend", ["native", "python"])
def test_every_kind_of_python_child_puts_it_in_force(deny_own, ename,
                                                     tmp_path, backend):
    kinds = ["self", "subprocess", "isolated", "fork", "spawn",
             "forkserver"]
    assert kinds_under(deny_own, ename, tmp_path, *kinds,
                       env={"PYAUDIT_BACKEND": backend}) == {
        kind: "denied" for kind in kinds}


def test_subinterpreters_put_it_in_force_as_they_start(deny_own, ename,
                                                       tmp_path):
    # A subinterpreter imports site too, so it reads PYAUDIT_POLICY.
    done = run_plain([program("policy_subinterpreter.py"), ename + ".x"],
                     cwd=tmp_path, env={"PYAUDIT_POLICY": deny_own})
    assert (done.returncode, done.stdout) == (0, "denied\n"), done.stderr


def test_python_dash_S_is_not_reached(deny_own, ename, tmp_path):
    # No site module, so no start-up file: the documented limit.
    assert kinds_under(deny_own, ename, tmp_path, "no_site") == {
        "no_site": "allowed"}


def test_a_deny_entry_and_several_entries(deny_own, ename, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text('own_events = "%s.*"\n[[rule]]\naction = "count"\n'
                     'events = "%s.y"\n' % (ename, ename))
    done = run_plain(
        ["-c", "import pyaudit; print(sorted((i.kind, i.patterns) for i in "
         "pyaudit.subscriptions()))"], cwd=tmp_path,
        env={"PYAUDIT_POLICY": "%s:%s:deny=socket.*,subprocess.Popen"
             % (deny_own, other)})
    assert done.returncode == 0, done.stderr
    assert done.stdout == str(sorted([
        ("count", (ename + ".y",)), ("deny", (ename + ".x",)),
        ("deny", ("socket.*", "subprocess.Popen"))])) + "\n"


def test_children_keep_the_first_process_working_directory(tmp_path):
    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    policy = tmp_path / "guard.toml"
    policy.write_text('[[rule]]\naction = "deny"\nevents = "open"\n'
                      'where = { writing = true, paths_outside = '
                      '["${CWD}"] }\n')
    done = run_plain([program("policy_cwd.py"), elsewhere], cwd=home,
                     env={"PYAUDIT_POLICY": str(policy)})
    assert done.returncode == 0, done.stderr
    # The child runs in "elsewhere", but ${CWD} is still "home" there.
    assert json.loads(done.stdout) == {"parent": ["written", "denied"],
                                       "child": ["denied", "written"]}


def test_children_use_the_policy_files_as_the_first_process_read_them(
        deny_own, ename, tmp_path):
    # The file is broken after the first process started: its children
    # check the document it handed down (PYAUDIT_POLICY_DOCUMENTS).
    script = tmp_path / "edit_then_spawn.py"
    script.write_text(
        "import json, os, subprocess, sys\n"
        "open(%r, 'w').write('broken = [')\n"
        "print(sorted(json.loads(os.environ['PYAUDIT_POLICY_DOCUMENTS'])))\n"
        "sys.stdout.flush()\n"
        "subprocess.run([sys.executable, %r, %r, 'self'])\n"
        % (deny_own, CHILDREN, ename + ".x"))
    done = run_plain([script], cwd=tmp_path,
                     env={"PYAUDIT_POLICY": deny_own})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [str([deny_own]),
                                        '{"self": "denied"}']


def test_a_process_started_later_reads_the_file_again(deny_own, tmp_path):
    (tmp_path / "policy.toml").write_text("broken = [")
    assert stopped(tmp_path, deny_own).startswith(
        "pyaudit: PYAUDIT_POLICY: %s:1: not valid TOML: " % deny_own)


# -- a policy that cannot be put in force stops the process -------------------

def stopped(tmp_path, value, env=None):
    """stderr of ``print('ran')`` started with PYAUDIT_POLICY=value, which
    must exit with status 2 without running."""
    done = run_plain(["-c", "print('ran')"], cwd=tmp_path,
                     env=dict(env or {}, PYAUDIT_POLICY=value))
    assert (done.returncode, done.stdout) == (2, "")
    assert len(done.stderr.splitlines()) == 1
    return done.stderr


def test_a_broken_policy_stops_the_process_naming_file_line_and_key(
        tmp_path):
    policy = tmp_path / "broken.toml"
    policy.write_text('[[rule]]\naction = "deny"\nevents = "open"\n'
                      'where = { writing = true, paths_outside = '
                      '["srv"] }\n')
    assert stopped(tmp_path, str(policy)) == (
        "pyaudit: PYAUDIT_POLICY: %s:4: rule 1, where.paths_outside: "
        "paths_outside: 'srv' is not an absolute directory; directories "
        "must start with '/'\n" % policy)


def test_several_problems_are_counted_on_the_one_line(tmp_path):
    policy = tmp_path / "broken.toml"
    policy.write_text('a = 1\nb = 2\n[[rule]]\naction = "deny"\n'
                      'events = "open"\n')
    assert stopped(tmp_path, str(policy)) == (
        "pyaudit: PYAUDIT_POLICY: %s:1: a: unknown key 'a'; allowed: name, "
        "own_events, output, rule (and 1 more: pyaudit check-policy %s)\n"
        % (policy, policy))


@pytest.mark.parametrize("value, message", [
    ("", "'' is not an absolute path (each entry is the absolute path of "
     "a policy file, or deny=PATTERNS)"),
    ("policy.toml", "'policy.toml' is not an absolute path (each entry is "
     "the absolute path of a policy file, or deny=PATTERNS)"),
    ("/nonexistent/policy.toml", "/nonexistent/policy.toml: cannot read "
     "the policy: No such file or directory"),
    ("deny=sock*", "deny=sock*: rule 1, events: pattern 'sock*' uses '*' "
     "in an unsupported place; allowed: an exact name ('open'), a prefix "
     "ending in '.*' ('socket.*'), '*' for every event, or '!' before one "
     "of these to exclude it"),
])
def test_a_bad_entry_stops_the_process(tmp_path, value, message):
    assert stopped(tmp_path, value) == "pyaudit: PYAUDIT_POLICY: %s\n" % (
        message,)


def test_malformed_inherited_documents_stop_the_process(deny_own, tmp_path):
    assert stopped(tmp_path, deny_own,
                   env={"PYAUDIT_POLICY_DOCUMENTS": "[1]"}) == (
        "pyaudit: PYAUDIT_POLICY: PYAUDIT_POLICY_DOCUMENTS is malformed (not "
        "a JSON object)\n")


def test_malformed_inherited_variables_stop_the_process(deny_own, tmp_path):
    assert stopped(tmp_path, deny_own,
                   env={"PYAUDIT_POLICY_VARS": "CWD"}) == (
        "pyaudit: PYAUDIT_POLICY: PYAUDIT_POLICY_VARS is malformed (field "
        "'CWD' has no '=')\n")


def test_a_process_without_the_variable_imports_nothing(tmp_path):
    done = run_plain(["-c", "import sys; print('pyaudit' in sys.modules)"],
                     cwd=tmp_path)
    assert done.stdout == "False\n", done.stderr


def test_a_pyaudit_that_cannot_be_imported_stops_the_process(deny_own,
                                                             tmp_path):
    # site would print the ImportError and run the program unaudited.
    assert stopped(tmp_path, deny_own,
                   env={"PYAUDIT_BACKEND": "nonesuch"}) == (
        "pyaudit: PYAUDIT_POLICY: cannot put the policies in force: "
        "ImportError: PYAUDIT_BACKEND='nonesuch' is not known; use one of "
        "native, python\n")


if sys.platform != "linux":     # pragma: no cover
    pytestmark = pytest.mark.skip(reason="forkserver and /proc: Linux only")
