"""``pyaudit bench --policy FILE``: a policy measured as any hook is, on the
same events, floor and workloads; checked in a child before anything is
measured.  No timing is asserted."""

import json

from test_bench import TINY, assert_one_line_error, run_bench
from test_bench import pytestmark  # noqa: F401 (Linux only, as there)
from pyaudit.cli import _bench_configs

GUARD = ('[[rule]]\naction = "deny"\nevents = "open, os.remove"\n'
         'where = { writing = true, paths_outside = ["${TMPDIR}"] }\n'
         '[[rule]]\naction = "log"\nevents = "subprocess.*, socket.*"\n')


def test_a_policy_is_measured_on_the_hook_cases(tmp_path):
    policy = tmp_path / "guard.toml"
    policy.write_text(GUARD)
    out = tmp_path / "bench.json"
    done = run_bench("--configs", "miss-far", "--policy", str(policy),
                     "--json", str(out), *TINY)
    assert done.returncode == 0, done.stderr
    rows = {row["config"]: row for row in json.loads(out.read_text())["rows"]}
    for case, _ in _bench_configs.HOOK_CASES:
        row = rows["policy:guard.toml/" + case]
        assert row["ns_per_event"] > 0 and "ns_x_floor" in row
        assert row["compared_with"] == \
            _bench_configs.HOOK_COMPARED_WITH[case]
        assert "policy:guard.toml/" + case in done.stdout


def test_a_bad_policy_is_one_line_before_measuring(tmp_path):
    policy = tmp_path / "bad.toml"
    policy.write_text('[[rule]]\naction = "deny"\nevents = "sokcet.*"\n'
                      'x = 1\n')
    assert_one_line_error(
        run_bench("--policy", str(policy), *TINY),
        "--policy %s: %s:3: rule 1, events: 'sokcet.*' names no audit "
        "event of CPython 3.8-3.15" % (policy, policy))


def test_a_policy_refusing_a_measured_event_is_refused_before_measuring(
        tmp_path):
    # Each hook is measured on events it lets pass: this one is denied.
    policy = tmp_path / "scandir.toml"
    policy.write_text('[[rule]]\naction = "deny"\nevents = "os.scandir"\n')
    assert_one_line_error(
        run_bench("--policy", str(policy), *TINY),
        "--policy %s: policy:scandir.toml raised Denied on the probe event "
        "'os.scandir'" % policy)
