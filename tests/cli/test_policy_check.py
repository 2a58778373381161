"""``pyaudit check-policy FILE``: the compiled rules of a good policy on
standard output (status 0), one line per problem of a bad one on standard
error (status 2); nothing is put in force either way."""

import os
import subprocess
import sys
import tempfile

from support import child_env


def check_policy(args, cwd, env=None):
    return subprocess.run(
        [sys.executable, "-m", "pyaudit", "check-policy"] + [
            str(a) for a in args], cwd=str(cwd), env=child_env(extra=env),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=120)


GUARD = """\
name = "write guard"

[output]
stack = 3

[[rule]]
action = "deny"
events = "open, os.remove"
where = { writing = true, paths_outside = ["${CWD}", "${TMPDIR}"] }

[[rule]]
name = "programs"
action = "log"
events = ["subprocess.Popen", "_posixsubprocess.fork_exec"]
level = "WARNING"
"""


def test_a_good_policy_prints_its_compiled_rules(tmp_path):
    (tmp_path / "guard.toml").write_text(GUARD)
    done = check_policy(["guard.toml"], cwd=tmp_path)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    lines = done.stdout.splitlines()
    assert lines[:7] == [
        "guard.toml: policy 'write guard', 2 rules",
        "rule 1 (line 6): deny open, os.remove",
        '    where {paths_outside = ["%s", "%s"], writing = true}'
        % (tmp_path, tempfile.gettempdir()),
        "    interpreters own",
        'rule 2 ("programs") (line 11): log subprocess.Popen, '
        "_posixsubprocess.fork_exec",
        "    logger pyaudit.policy, level WARNING, stack 3",
        "variables: CWD=%s, TMPDIR=%s" % (tmp_path, tempfile.gettempdir()),
    ]
    # Events of other Python versions are noted, not refused.
    if sys.version_info < (3, 14):
        assert lines[7:] == [
            'note: rule 2 ("programs"): pattern '
            "'_posixsubprocess.fork_exec' names no audit event of Python "
            "%d.%d on Linux: only Python 3.14-3.15 raise it"
            % sys.version_info[:2]]


def test_var_gives_a_variable_its_value(tmp_path):
    (tmp_path / "guard.toml").write_text(GUARD)
    done = check_policy(["guard.toml", "--var", "CWD=/srv/app", "--var",
                         "TMPDIR=/var/tmp"], cwd=tmp_path)
    assert ('    where {paths_outside = ["/srv/app", "/var/tmp"], writing '
            '= true}') in done.stdout.splitlines()
    assert "variables:" not in done.stdout


def test_a_bad_policy_is_one_line_per_problem_and_status_2(tmp_path):
    (tmp_path / "bad.toml").write_text(
        '[output]\nstack = "deep"\n[[rule]]\naction = "deny"\n'
        'events = "open"\nwhere = { writing = true, paths_outside = '
        '["${NOPE}"] }\n')
    done = check_policy(["bad.toml"], cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines() == [
        "bad.toml:2: output.stack: must be an integer 0-64, not a string",
        "bad.toml:6: rule 1, where.paths_outside: unknown variable "
        "${NOPE}; allowed: ${CWD}, ${TMPDIR}, ${HOME}, ${env:NAME} (an "
        "environment variable) and $$ for a literal '$'"]


def test_a_file_that_is_not_toml_gives_the_line(tmp_path):
    (tmp_path / "bad.toml").write_text('[[rule]]\naction = deny\n')
    done = check_policy(["bad.toml"], cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith("bad.toml:2: not valid TOML: ")


def test_a_missing_file_and_bad_vars_are_status_2(tmp_path):
    done = check_policy(["missing.toml"], cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2, "missing.toml: cannot read the policy: No such file or "
        "directory\n")
    (tmp_path / "guard.toml").write_text(GUARD)
    done = check_policy(["guard.toml", "--var", "CWD"], cwd=tmp_path)
    assert (done.returncode, done.stderr) == (
        2, "python -m pyaudit check-policy: error: --var 'CWD': give "
        "NAME=VALUE (see --help)\n")


def test_checking_puts_nothing_in_force(tmp_path):
    # A policy denying every open would stop the checker itself.
    (tmp_path / "all.toml").write_text('[[rule]]\naction = "deny"\n'
                                       'events = "*"\n')
    done = check_policy(["all.toml"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == "rule 1 (line 1): deny *"
    assert os.listdir(str(tmp_path)) == ["all.toml"]
