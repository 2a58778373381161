"""pyaudit bench: bad input found before measuring, the reference hooks'
build, someone else's hooks, and tiny real runs.

No timing is asserted: only what does not depend on speed.  The benchmark
suite itself is in benchmarks/.
"""

import importlib.util
import json
import os
import subprocess
import sys
import sysconfig

import pytest

from support import PROGRAMS, ROOT, child_env
from pyaudit.cli import _bench_configs, _bench_reference, bench

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"),
    reason="the reference hooks are built and tested on Linux")

# A run as small as the command allows, for tests that must get past the
# checks into measuring.
TINY = ["--events", "1000", "--rounds", "1", "--workloads", "none",
        "--scaling", "none", "--no-parallel"]


def bench_env(extra=None):
    env = child_env("native", extra)
    env["PYTHONPATH"] = PROGRAMS + os.pathsep + env["PYTHONPATH"]
    return env


def run_bench(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "-m", "pyaudit", "bench"]
                          + list(args), cwd=ROOT, env=env or bench_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=timeout)


def run_bench_module(module, *args):
    """python -m pyaudit.cli.MODULE ARGS (one of bench's child programs)."""
    return subprocess.run([sys.executable, "-m", "pyaudit.cli." + module]
                          + list(args), cwd=ROOT, env=bench_env(),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=300)


def assert_one_line_error(done, message):
    """Exit status 2, nothing measured, and one line on stderr (after
    any progress lines, which start with two spaces) carrying message."""
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    lines = [line for line in done.stderr.splitlines()
             if not line.startswith("  ")]
    assert len(lines) == 1, done.stderr
    assert message in lines[0]
    assert "round 1/" not in done.stderr       # nothing was measured


@pytest.mark.parametrize("args, message", [
    (["--events", "1500"], "must be a multiple of 1000"),
    (["--instruction-events", "0"], "must be at least 1"),
    (["--configs", "miss-far,fast"], "unknown configuration 'fast'"),
    (["--workloads", "sleep"], "unknown workload 'sleep'"),
    (["--scaling", "100,x"], "'x' is not a whole number"),
    (["--scaling-budget", "0"], "must be more than 0"),
    (["--hook", "no_colon"], "'no_colon' is not MODULE:FUNCTION"),
    (["--hook", "module:"], "'module:' is not MODULE:FUNCTION"),
    (["--c-hook", "libx.so"], "'libx.so' is not LIB.so:SYMBOL"),
])
def test_bad_arguments_exit_2_with_one_line(args, message):
    assert_one_line_error(run_bench(*args), message)


@pytest.mark.parametrize("option", ["--json", "--plot"])
def test_output_path_in_a_missing_directory_is_refused_before_measuring(
        option):
    if option == "--plot":
        pytest.importorskip("matplotlib")
    done = run_bench(option, "/nonexistent/x.out", *TINY)
    assert_one_line_error(done, "%s /nonexistent/x.out: the directory "
                                "/nonexistent does not exist" % option)


def test_output_path_that_is_a_directory_is_refused(tmp_path):
    done = run_bench("--json", str(tmp_path), *TINY)
    assert_one_line_error(done, "--json %s: is a directory" % tmp_path)


def test_plot_without_matplotlib_is_refused_before_measuring(tmp_path):
    blocker = tmp_path / "no_matplotlib"
    blocker.mkdir()
    (blocker / "matplotlib.py").write_text(
        "raise ImportError('matplotlib is blocked for this test')\n")
    env = bench_env()
    env["PYTHONPATH"] = str(blocker) + os.pathsep + env["PYTHONPATH"]
    done = run_bench("--plot", str(tmp_path / "x.png"), *TINY, env=env)
    assert_one_line_error(done, "--plot needs matplotlib")


@pytest.mark.parametrize("spec, message", [
    ("no_such_module:hook", "--hook no_such_module:hook: cannot import "
                            "module 'no_such_module'"),
    ("bench_hooks:missing", "--hook bench_hooks:missing: module "
                            "'bench_hooks' has no attribute 'missing'"),
    ("bench_hooks:not_callable", "bench_hooks:not_callable is not callable "
                                 "(it is a int)"),
    ("bench_hooks:refuse_far_miss", "raised RuntimeError on the probe event "
                                    "'zz.miss' (zz.miss is not allowed "
                                    "here)"),
])
def test_bad_python_hook_is_one_line_before_measuring(spec, message):
    assert_one_line_error(run_bench("--hook", spec, *TINY), message)


@pytest.fixture(scope="module")
def c_hooks(tmp_path_factory):
    """tests/programs/bench_c_hooks.c, built into a shared library."""
    library = tmp_path_factory.mktemp("c_hooks") / "libbench_c_hooks.so"
    compiler = (os.environ.get("CC") or sysconfig.get_config_var("CC")
                or "cc").split()
    subprocess.run(compiler + [
        "-shared", "-fPIC", "-Wall", "-Wextra", "-Werror",
        "-I" + sysconfig.get_paths()["include"],
        os.path.join(PROGRAMS, "bench_c_hooks.c"), "-o", str(library)],
        check=True)
    return str(library)


def test_c_hook_library_that_is_not_there(tmp_path):
    missing = tmp_path / "libnothing.so"
    done = run_bench("--c-hook", "%s:hook" % missing, *TINY)
    assert_one_line_error(done, "--c-hook %s:hook: no file %s"
                                % (missing, missing))


def test_c_hook_symbol_that_is_not_there(c_hooks):
    done = run_bench("--c-hook", c_hooks + ":no_such_hook", *TINY)
    assert_one_line_error(done, "library %r has no symbol 'no_such_hook'"
                                % c_hooks)


def test_c_hook_that_refuses_a_probe_event(c_hooks):
    done = run_bench("--c-hook", c_hooks + ":refusing_hook", *TINY)
    assert_one_line_error(done, "libbench_c_hooks.so:refusing_hook raised "
                                "RuntimeError on the probe event 'zz.miss'")


def test_tiny_run_measures_the_hooks_given(tmp_path, c_hooks):
    """pyaudit, a Python hook and a native hook, each really installed
    (their counts are written at exit), in the table and the JSON."""
    counts = tmp_path / "counts"
    counts.mkdir()
    out = tmp_path / "bench.json"
    done = run_bench("--configs", "miss-far,count", "--hook",
                     "bench_hooks:counting", "--c-hook",
                     c_hooks + ":counting_hook", "--json", str(out), *TINY,
                     env=bench_env({"BENCH_TEST_COUNTS": str(counts)}))
    assert done.returncode == 0, done.stderr
    results = json.loads(out.read_text())
    names = [row["config"] for row in results["rows"]]
    hook_rows = ["%s/%s" % (label, case)
                 for label in ("bench_hooks:counting",
                               "libbench_c_hooks.so:counting_hook")
                 for case, _ in _bench_configs.HOOK_CASES]
    assert names == ["none", "none-open", "noop", "noop-open", "miss-far",
                     "count"] + hook_rows
    for row in results["rows"]:
        assert row["config"] in done.stdout
        assert row["ns_per_event"] > 0
        if row["config"] not in ("none", "none-open"):
            assert "ns_x_floor" in row
    # The Python hook saw the events of its runs: 1,000 zz.miss in the
    # miss-far run, one in the probe.
    python_counts = [json.loads(p.read_text())
                     for p in counts.glob("*.json")]
    assert sorted(c.get("zz.miss", 0) for c in python_counts
                  if c.get("zz.miss"))[-1] == 1000
    native_counts = [int(p.read_text()) for p in counts.glob("c-*.txt")]
    assert max(native_counts) >= 1000
    assert "MISSED" not in done.stdout and "target" not in done.stdout


def test_rule_scope_and_stack_configurations_can_all_be_set_up():
    """Argument rules, scopes and stacks exist: none is left out."""
    reference = _bench_reference.build()
    rows = [bench.config_row(_bench_configs.BY_NAME[name])
            for name in ("miss-far", "guard-read", "scoped-outside",
                         "record-stack8")]
    assert bench.check_configs(rows, set(), reference) == []


def test_reference_hooks_are_built_once_per_abi_and_source(tmp_path):
    env = dict(os.environ, PYAUDIT_BENCH_CACHE=str(tmp_path))
    code = ("from pyaudit.cli import _bench_reference as r\n"
            "print(r.build())\n")
    first = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, universal_newlines=True,
                           check=True).stdout.strip()
    built_at = os.stat(first).st_mtime_ns
    again = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, universal_newlines=True,
                           check=True).stdout.strip()
    assert again == first and os.stat(again).st_mtime_ns == built_at
    directory = os.path.basename(os.path.dirname(first))
    assert directory.startswith(sysconfig.get_config_var("SOABI") + "-")
    with open(_bench_reference.SOURCE, "rb") as f:
        assert directory == _bench_reference.cache_key(f.read())


def test_no_compiler_is_one_line_and_exit_2(tmp_path):
    env = bench_env({"PYAUDIT_BENCH_CACHE": str(tmp_path),
                     "CC": "/nonexistent/cc"})
    done = run_bench(*TINY, env=env)
    assert_one_line_error(done, "pyaudit bench needs a C compiler and cffi "
                                "to build its reference hooks: no C "
                                "compiler: '/nonexistent/cc' is not on PATH")


def test_no_cffi_is_one_line_and_exit_2(tmp_path):
    blocker = tmp_path / "no_cffi"
    blocker.mkdir()
    (blocker / "cffi.py").write_text(
        "raise ImportError('cffi is blocked for this test')\n")
    env = bench_env({"PYAUDIT_BENCH_CACHE": str(tmp_path / "cache")})
    env["PYTHONPATH"] = str(blocker) + os.pathsep + env["PYTHONPATH"]
    done = run_bench(*TINY, env=env)
    assert_one_line_error(done, "pyaudit bench needs a C compiler and cffi "
                                "to build its reference hooks: cffi is not "
                                "installed")


def test_crowded_patterns_subscribe_all_but_the_raised_event():
    patterns = _bench_configs.crowded_patterns("os.scandir")
    assert "os.scandir" not in patterns and "os.*" not in patterns
    assert "os.system" in patterns and "socket.*" in patterns
    assert "builtins.id" in patterns
    assert "*" not in patterns
    assert "builtins.*" not in _bench_configs.crowded_patterns(
        "builtins.id")
    assert set(_bench_configs.crowded_patterns("zz.miss")) >= set(patterns)


def test_python_write_guard_refuses_only_writes_outside(tmp_path):
    guard = _bench_configs.python_write_guard(str(tmp_path))
    inside = str(tmp_path / "a" / ".." / "b.txt")
    guard("open", (inside, "w", os.O_WRONLY))
    guard("open", ("/etc/passwd", "r", os.O_RDONLY))
    guard("open", ("/etc/passwd", None, os.O_RDONLY))
    guard("socket.connect", (None, ("127.0.0.1", 1)))
    for mode, flags in (("w", 0), ("a+", 0), ("rb+", 0), (None, os.O_RDWR),
                        (None, os.O_WRONLY | os.O_CREAT)):
        with pytest.raises(PermissionError):
            guard("open", (str(tmp_path) + "-sibling/x", mode, flags))


def test_parallel_case_needs_own_gil_subinterpreters():
    done = run_bench_module("_bench_parallel", "none", "20000")
    if sys.version_info < (3, 12):
        assert done.returncode == 3
        assert done.stderr.strip() == (
            "needs own-GIL subinterpreters, which CPython has from 3.12 "
            "(this is %d.%d)" % sys.version_info[:2])
    else:
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout)
        assert result["subject"] == "none"
        assert result["one"] > 0 and result["two"] > 0


@pytest.mark.parametrize("subject", ["pyaudit", "pyaudit-own"])
def test_parallel_pyaudit_is_measured_in_own_gil_subinterpreters(subject):
    done = run_bench_module("_bench_parallel", subject, "20000")
    if sys.version_info < (3, 12):
        assert done.returncode == 3
        assert done.stderr.strip().splitlines()[-1].startswith(
            "needs own-GIL subinterpreters")
        return
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["subject"] == subject
    assert result["one"] > 0 and result["two"] > 0


def test_parallel_pyaudit_says_plainly_what_it_lacks():
    done = run_bench_module("_bench_parallel", "pyaudit", "0")
    if done.returncode == 0:
        return      # pyaudit subscribes every interpreter: measurable
    assert done.returncode == 3
    assert done.stderr.count("\n") == 1
    assert done.stderr.startswith("needs ")


def test_scaling_stops_at_its_budget_without_timing_a_smaller_n():
    done = run_bench_module("_bench_scaling", "200000", "3", "0.2")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["n"] == 200000 and 0 < result["reached"] < 200000
    assert "subscribe_ms" not in result


def test_scaling_times_subscribe_and_close():
    done = run_bench_module("_bench_scaling", "40", "3", "60")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["subscribe_ms"] > 0 and result["close_ms"] > 0
    assert result["heap_bytes"] is None or result["heap_bytes"] > 0


def load_check_targets():
    spec = importlib.util.spec_from_file_location(
        "check_targets", os.path.join(ROOT, "benchmarks",
                                      "check_targets.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_check_targets_judges_met_missed_and_not_measured():
    check_targets = load_check_targets()
    results = {
        "python": "3.11.7",
        "rows": [{"config": "miss-far", "instructions_x_floor": 1.03},
                 {"config": "count", "instructions_x_floor": 1.26},
                 {"config": "watch", "instructions_x_compared": 0.45},
                 {"config": "record-stack8",
                  "instructions_minus_compared": 120.0}],
        "not_measured": [{"config": "guard-read",
                          "reason": "needs pyaudit.Where"}],
        "scaling": [{"n": 10000, "reached": 2300, "budget_s": 60}],
        "parallel": [{"subject": "pyaudit", "scaling": 1.9}],
    }
    lines = check_targets.judge(results)
    assert len(lines) == len(check_targets.TARGETS)
    by_what = dict(line.split(", target ", 1) for line in lines)
    assert by_what["miss miss-far"] == "<= 1.1: 1.030 (met)"
    assert by_what["count hit"] == "<= 1.2: 1.260 (missed)"
    assert by_what["watch hit vs the frozenset Python hook"] == \
        "<= 0.42: 0.450 (missed)"
    assert by_what["record stack=8 over stack=0 (instructions)"] == \
        "<= 300: 120.000 (met)"
    assert by_what["open for reading under the write guard"] == \
        "<= 1.3: not measured: needs pyaudit.Where"
    assert by_what["subscribe one, 10,000 others live (ms)"] == \
        "<= 1: not measured: setting up 10,000 subscriptions stopped at 2,300"
    assert by_what["misses from 2 interpreters vs 1 (throughput)"] == \
        ">= 1.8: 1.900 (met)"
    assert by_what["miss miss-near"] == \
        "<= 1.1: not measured: miss-near was not run"


def test_workload_names_agree_with_the_workloads():
    from pyaudit.cli import _bench_workloads
    assert bench.WORKLOADS == tuple(_bench_workloads.WORKLOADS)


def test_command_line_loads_no_workload_modules():
    # python -m pyaudit imports every command's module, bench included:
    # the workloads' modules must not come with it, or a program run with
    # `python -m pyaudit run` would find logging and pickle imported
    # already and never raise their import events.
    code = ("import sys, pyaudit.cli, pyaudit.cli.bench\n"
            "print(sorted(m for m in ('logging', 'pickle', 'copy', 'cffi',\n"
            "                         'pyaudit.cli._bench_workloads')\n"
            "             if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT,
                          env=child_env("native"), stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_docs_table_lists_every_configuration_as_the_code_does():
    """docs/benchmarks.md repeats CONFIGS for readers: same names, same
    order, same comparisons."""
    with open(os.path.join(ROOT, "docs", "benchmarks.md")) as f:
        text = f.read()
    table = text.split("| name | event raised | what it measures | "
                       "compared with |")[1].split("\n\n")[0]
    rows = [[cell.strip().strip("`") for cell in line.strip("|").split("|")]
            for line in table.strip().splitlines()[1:]]
    assert [(row[0], row[3] or None) for row in rows] == [
        (config.name, config.compared_with)
        for config in _bench_configs.CONFIGS]
