"""python -m pyaudit bench: argument errors and the targets summary.

The measurements themselves run in benchmarks/ (a smoke run in CI); here,
only what does not depend on speed.
"""

import subprocess
import sys

import pytest

from support import ROOT, child_env
from pyaudit.cli import bench


def run_bench(*args):
    return subprocess.run([sys.executable, "-m", "pyaudit", "bench"]
                          + list(args), cwd=ROOT, env=child_env("native"),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)


@pytest.mark.parametrize("args, message", [
    (["--events", "1500"], "must be a multiple of 1000"),
    (["--instruction-events", "0"], "must be at least 1"),
    (["--configs", "miss,fast"], "unknown configuration 'fast'"),
    (["--workloads", "sleep"], "unknown workload 'sleep'"),
])
def test_bad_arguments_exit_2_with_one_line(args, message):
    done = run_bench(*args)
    assert done.returncode == 2
    assert message in done.stderr
    assert done.stdout == ""
    assert done.stderr.strip().splitlines()[-1].count(message) == 1


def row(config, **ratios):
    return dict({"config": config}, **ratios)


def test_check_targets_judges_instructions_and_ns():
    rows = [
        row("none"),
        row("miss", instructions_ratio_to_noop=1.03, ratio_to_noop=0.97),
        row("watch", instructions_ratio_to_python=0.46,
            ratio_to_python=0.61),
        row("record", instructions_ratio_to_noop=1.54, ratio_to_noop=1.9),
        row("count", ratio_to_noop=1.31),      # no callgrind run
    ]
    lines = bench.check_targets(rows)
    assert lines == [
        "miss   vs noop overhead, target <= 1.15x: 1.03x in instructions "
        "(met), 0.97x in ns (met)",
        "watch  vs python overhead, target <= 0.60x: 0.46x in instructions "
        "(met), 0.61x in ns (MISSED)",
        "record vs noop overhead, target <= 1.60x: 1.54x in instructions "
        "(met), 1.90x in ns (MISSED)",
        "count  vs noop overhead, target <= 1.30x: 1.31x in ns (MISSED)",
    ]


def test_check_targets_skips_configurations_not_run():
    assert bench.check_targets([row("none"), row("noop")]) == []


def test_check_workload_targets():
    rows = [{"workload": "deepcopy", "miss_x_noop": 1.012},
            {"workload": "pickle", "miss_x_noop": 1.036}]
    assert bench.check_workload_targets(rows) == [
        "deepcopy pyaudit vs no-op C hook, target <= 1.03x: 1.012x (met)",
        "pickle   pyaudit vs no-op C hook, target <= 1.03x: 1.036x (MISSED)",
    ]


def test_command_line_loads_no_workload_modules():
    # python -m pyaudit imports every command's module, bench included:
    # the workloads' modules must not come with it, or a program run with
    # `python -m pyaudit run` would find logging and pickle imported
    # already and never raise their import events.
    code = ("import sys, pyaudit.cli, pyaudit.cli.bench\n"
            "print(sorted(m for m in ('logging', 'pickle', 'copy',\n"
            "                         'pyaudit.cli._bench_workloads')\n"
            "             if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                          env=child_env("native"), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
