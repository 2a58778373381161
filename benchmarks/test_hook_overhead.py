"""Hook overhead benchmarks (pytest-benchmark).

    pytest benchmarks/ --benchmark-only

In-process benchmarks time one event through each subscription kind; the
process-isolated configurations (no hook, the no-op C hook, pure-Python
hooks, other libraries' hooks), which cannot share a process because hooks
are never removed, are measured by ``python -m pyaudit bench``, which the
last benchmarks run once each.  The project's targets are judged by
``benchmarks/check_targets.py``, never here: nothing in this file asserts
a speed.
"""

import copy
import os
import pickle
import subprocess
import sys

import pytest

import pyaudit
from pyaudit.cli._bench_configs import SECURITY_FILTER
from pyaudit.cli.bench import WORKLOAD_SUBJECTS, WORKLOADS

pytestmark = pytest.mark.skipif(pyaudit.backend != "native",
                                reason="benchmarks measure the C extension")

NESTED = {"k%d" % i: [list(range(10)), {"a": (1, 2, [3, 4])}]
          for i in range(50)}


@pytest.fixture(scope="module")
def security_filter():
    with pyaudit.count(SECURITY_FILTER) as counter:
        yield counter


def raise_events(name, n=1000):
    audit = sys.audit
    for _ in range(n):
        audit(name, 1)


def test_miss(benchmark, security_filter):
    benchmark(raise_events, "zz.miss")


def test_miss_sharing_first_bytes(benchmark, security_filter):
    benchmark(raise_events, "os.scandir")


def test_miss_builtins_id(benchmark, security_filter):
    objects = list(range(1000))
    benchmark(lambda: [id(x) for x in objects])


def test_watch_hit(benchmark, security_filter):
    calls = []
    with pyaudit.watch("bench.watch", lambda name, args: calls.append(name)):
        benchmark(raise_events, "bench.watch")
    assert calls and set(calls) == {"bench.watch"}


def test_record_hit_drained(benchmark, security_filter):
    with pyaudit.record("bench.record", capacity=1000) as recorder:
        def record_and_drain():
            raise_events("bench.record")
            return recorder.drain()
        events = benchmark(record_and_drain)
    assert len(events) == 1000 and recorder.dropped == 0


def test_count_hit(benchmark, security_filter):
    with pyaudit.count("bench.count") as counter:
        benchmark(raise_events, "bench.count")
    assert counter.counts()["bench.count"] % 1000 == 0


def test_deny_hit(benchmark, security_filter):
    def denied():
        try:
            sys.audit("bench.deny")
        except pyaudit.Denied:
            return True
    with pyaudit.deny("bench.deny"):
        assert benchmark(denied)


def test_workload_deepcopy(benchmark, security_filter):
    benchmark(copy.deepcopy, NESTED)


def test_workload_pickle(benchmark, security_filter):
    data = [pyaudit.SubscriptionInfo(i, "watch", ("x",)) for i in range(500)]
    benchmark(lambda: pickle.loads(pickle.dumps(data)))


def test_bench_command_runs(benchmark):
    """The process-isolated comparison, once, with few events (a smoke run:
    the ratios it prints are measured, not asserted)."""
    def run():
        return subprocess.run(
            [sys.executable, "-m", "pyaudit", "bench", "--events", "2000",
             "--rounds", "1", "--workload-repeat", "1", "--scaling",
             "100,1000", "--parallel", "20000", "--peers"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True, check=True)
    done = benchmark.pedantic(run, rounds=1, iterations=1)
    for config in ("none", "noop", "retain", "python", "miss-far",
                   "miss-near-scandir", "crowded-miss-far", "count",
                   "record", "watch", "python-guard-read"):
        assert "\n%s " % config in done.stdout
    for workload in WORKLOADS:
        assert "\n%s " % workload in done.stdout
    assert "peers found: " in done.stdout
    assert "Subscribing and closing one subscription" in done.stdout
    assert "MISSED" not in done.stdout


@pytest.mark.parametrize("config", [config for _, config in
                                    WORKLOAD_SUBJECTS])
@pytest.mark.parametrize("workload", WORKLOADS)
def test_workload_in_fresh_process(benchmark, workload, config,
                                   reference_hooks):
    """A real workload under each configuration, in its own process (hooks
    can never be removed).  The benchmark times the whole child; the
    child's own measurement of the workload is kept in extra_info."""
    def run():
        done = subprocess.run(
            [sys.executable, "-m", "pyaudit.cli._bench_child", config,
             "--workload", workload, "3"], stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, universal_newlines=True, check=True,
            env=dict(os.environ, PYAUDIT_BENCH_REFERENCE=reference_hooks))
        return int(done.stdout.split()[-1])
    workload_ns = benchmark.pedantic(run, rounds=3, iterations=1)
    benchmark.extra_info["workload_ms"] = workload_ns / 1e6
    assert workload_ns > 0


@pytest.fixture(scope="module")
def reference_hooks():
    from pyaudit.cli import _bench_reference
    return _bench_reference.build()
