"""Issue 15: what an adversarial review of the core before 3221924
(601f77d) did to crash, hang, double or silence pyaudit, held as
behaviour.  Each test failed on that core (docs/guarantees.md says how)
and passes on this one.

Everything that cannot be undone (a refusing hook, a fork, a purge of
sys.modules, a crash, the end of an interpreter) runs in a child process;
the child programs are in tests/programs/.  Timings are compared with
each other (colliding names with random ones, a stall with the number of
patterns), never with an absolute budget.
"""

import gc
import json
import os
import subprocess
import sys
import weakref

import pytest

import pyaudit

from support import (PROGRAMS, check_python, compile_host, host_env,
                     run_program)

sys.path.insert(0, PROGRAMS)
import native_helpers  # noqa: E402

OWN_GIL = sys.version_info >= (3, 12)
UNDER_ASAN = "asan" in os.environ.get("LD_PRELOAD", "")
# Under AddressSanitizer every allocation costs a hundred times more, so a
# comparison of timings says nothing about the code's complexity.
timing = pytest.mark.skipif(UNDER_ASAN, reason="timings under "
                            "AddressSanitizer say nothing about complexity")


@pytest.fixture(scope="module")
def natives(tmp_path_factory):
    """The path of the compiled tests/programs/native_helpers module."""
    return native_helpers.build(tmp_path_factory.mktemp("natives"))


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    """Compile a C host from tests/programs/ (by file name); its path."""
    directory = tmp_path_factory.mktemp("hosts")
    return lambda name: compile_host(os.path.join(PROGRAMS, name), directory)


def run_host(command, timeout=60):
    return subprocess.run(command, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          env=host_env(), timeout=timeout)


def program_result(name, *args, backend="native", env=None, timeout=120):
    """Run tests/programs/<name>, require exit status 0, and return the
    JSON object its last line prints."""
    done = run_program(name, args, backend=backend, env=env, timeout=timeout)
    assert done.returncode == 0, (
        "%s exited with %d\n--- stdout ---\n%s\n--- stderr ---\n%s"
        % (name, done.returncode, done.stdout, done.stderr))
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- 1: the C API from a thread of an interpreter with its own GIL ----------

@pytest.mark.skipif(not OWN_GIL, reason="interpreters have a GIL of their "
                    "own from CPython 3.12")
def test_c_api_from_an_own_gil_interpreter_thread_keeps_counts_exact(host):
    done = run_host([host("host_capi_own_gil.c"), "60", "3000"], timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.splitlines()
                 if ": " in line)
    assert lines["churn"] == "ok"
    raised = int(lines["raised"])
    assert raised > 0
    assert int(lines["c sink"]) == raised
    assert int(lines["python count"]) == raised
    assert lines["finalized"] == "0"


@pytest.mark.skipif(sys.version_info < (3, 13), reason="ctypes can be "
                    "imported in an interpreter with its own GIL from 3.13")
def test_c_api_through_ctypes_in_an_own_gil_interpreter_keeps_counts_exact(
        tmp_path):
    result = program_result("capi_ctypes_own_gil.py", tmp_path, 60)
    assert result["failures"] == []
    assert result["raised"] > 0
    assert result["c_sink"] == result["count"] == result["raised"]


# -- 2: pyaudit.capi sinks written in Python --------------------------------

@pytest.mark.parametrize("patterns", ["*", "cpython._PySys_ClearAuditHooks",
                                      "capi_exit.*"])
def test_capi_docstring_sink_left_subscribed_exits_cleanly(patterns):
    done = run_program("capi_sink_at_exit.py", [patterns])
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "subscribed" in lines
    if patterns != "cpython._PySys_ClearAuditHooks":
        assert "capi_exit.ping" in lines


def test_capi_keeps_a_callback_alive_that_nothing_else_holds():
    done = run_program("capi_sink_at_exit.py", ["capi_exit.*,cpython.*",
                                                "drop"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[:2] == ["capi_exit.ping", "subscribed"]


def test_capi_unsubscribe_releases_the_callback_and_its_userdata(ename):
    from pyaudit.capi import ffi, lib

    class Sink:
        events = []

        def __call__(self, event, args, userdata):
            self.events.append(ffi.string(event).decode())
            return 0

    python_sink = Sink()
    sink_gone = weakref.ref(python_sink)
    userdata = ffi.new("int *")
    userdata_gone = weakref.ref(userdata)
    sub_id = lib.pyaudit_subscribe((ename + ".*").encode(),
                                   ffi.callback("pyaudit_sink_fn",
                                                python_sink),
                                   userdata)
    assert sub_id > 0
    del python_sink, userdata
    gc.collect()
    sys.audit(ename + ".one")
    assert sink_gone() is not None and sink_gone().events == [ename + ".one"]
    assert userdata_gone() is not None
    assert lib.pyaudit_unsubscribe(sub_id) == 0
    gc.collect()
    assert sink_gone() is None and userdata_gone() is None
    assert lib.pyaudit_unsubscribe(sub_id) == -1


def test_capi_sink_made_in_a_subinterpreter_ends_with_it():
    out = check_python("""
        import json, sys
        sys.path.insert(0, %r)
        import pyaudit
        from subinterpreters import create, destroy, run
        interp = create(shared_gil=True)
        run(interp, '''if 1:
            import sys
            from pyaudit.capi import ffi, lib
            seen = []
            @ffi.callback("pyaudit_sink_fn")
            def sink(event, args, userdata):
                seen.append(ffi.string(event))
                return 0
            assert lib.pyaudit_subscribe(b"capi_sub_end.*", sink,
                                         ffi.NULL) > 0
            ''')
        # The sink sees the main interpreter's events (the C API's
        # default); it belongs to the subinterpreter, which ends.
        sys.audit("capi_sub_end.before")
        before = [info.kind for info in pyaudit.subscriptions()]
        destroy(interp)
        sys.audit("capi_sub_end.after")
        print(json.dumps({"before": before, "after": [
            info.kind for info in pyaudit.subscriptions()]}))
        """ % PROGRAMS, backend="native")
    result = json.loads(out.strip().splitlines()[-1])
    assert result == {"before": ["sink"], "after": []}


# -- 3: a C sink installing while Py_FinalizeEx() drops the hooks ------------

def test_finalize_returns_when_a_sink_installs_while_hooks_are_dropped(host):
    program = host("host_install_at_clear.c")
    try:
        done = run_host([program], timeout=30)
    except subprocess.TimeoutExpired as expired:
        pytest.fail("Py_FinalizeEx() did not return; output began: %r"
                    % (expired.stdout or b"")[:300])
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout.splitlines()
    refused = [line for line in out if "while the hooks are dropped" in line]
    assert len(refused) == 4
    assert all(": -1 Py_FinalizeEx() is dropping every audit hook" in line
               for line in refused)
    assert "cycle 1 finalized: 0" in out and "cycle 2 finalized: 0" in out
    assert "install after finalizing: 0" in out
    assert "cycle 2 pings: 1" in out


# -- 4: an earlier hook refusing the install probe once ----------------------

def test_refused_probe_leaves_one_hook_that_delivers_once(natives, backend):
    result = program_result("refused_probe.py", natives, backend=backend)
    assert result["first"].startswith("InstallError: an audit hook added "
                                      "earlier refused the event "
                                      "'pyaudit.probe'")
    assert result["refusals_left"] == 0
    assert result["counts"] == {"refused_probe.once": 1}
    assert result["recorded"] == ["refused_probe.once"]
    assert result["watched"] == ["refused_probe.once"]
    assert result["subscriptions"] == ["count", "record", "watch"]


# -- 5 and 7: pyaudit purged from sys.modules and imported again -------------

@pytest.mark.parametrize("where", ["main", "shared-subinterpreter"])
def test_reimported_pyaudit_keeps_old_subscriptions_and_serves_new(
        backend, where):
    result = program_result("reimport.py", where, backend=backend)
    once = {"watched": 1, "counted": 1, "recorded": 1}
    assert result == {
        "1 first core freed": True,
        "1 second receives": once,
        "2 first core freed": True,
        "2 deny after": "denied",
        "2 first count after": {"reimport.denied": 1, "reimport.ping": 1},
        "2 second receives": once,
        "2 second lists": ["count", "deny"],
    }


# -- 6: teardown events spoofed with sys.audit -------------------------------

def test_spoofed_teardown_events_close_nothing_and_add_no_hook(backend):
    done = run_program("spoofed_teardown_events.py", (), backend=backend)
    assert done.returncode == 0, done.stdout + done.stderr
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["when"], r["finalizing"]) for r in results] == [
        ("running", False), ("finalizing", True)]
    for result in results:
        assert result["deny"] == "denied", result
        assert result["old count"] == result["new count"] == 1, result
        assert result["subscriptions"] == ["count", "deny"], result


# -- 8: drain() interrupted by a signal handler ------------------------------

@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"),
                    reason="needs signal.setitimer")
def test_interrupted_drain_loses_no_event(backend):
    result = program_result("interrupted_drain.py", 3, backend=backend)
    assert result["interrupted"] == 3, result
    assert result["drained"] + result["dropped"] == result["raised"], result
    assert result["dropped"] == 0, result


# -- 9: a recorder in a reference cycle ---------------------------------------

class Marker:
    """Refers to a recorder and is recorded by it: a cycle."""


def test_recorder_in_a_reference_cycle_is_collected_once_closed(api, ename):
    recorder = api.record(ename)
    marker = Marker()
    marker.recorder = recorder
    sys.audit(ename, marker)
    gone = weakref.ref(marker)
    recorder.close()
    del recorder, marker
    gc.collect()
    assert gone() is None


# -- 10: long, distinct event names ------------------------------------------

@pytest.mark.skipif(not os.path.exists("/proc/self/statm"),
                    reason="RSS is read from /proc/self/statm (Linux only)")
def test_long_event_names_leave_no_memory_behind(backend):
    # A fixed mmap threshold: glibc otherwise raises it after the first
    # large free, and RSS would then measure its heap's fragmentation.
    result = program_result("long_event_names.py", 500, 256, backend=backend,
                            env={"MALLOC_MMAP_THRESHOLD_": "131072"})
    assert result["watched"] == result["recorded"] == 500
    assert result["names"] == 125
    measures = ["traced"] if UNDER_ASAN else ["traced", "rss"]
    for measure in measures:
        growth = result["after"][measure] - result["before"][measure]
        assert growth < 8, (measure, result)


# -- 11: two threads subscribing first, at the same moment --------------------

def test_two_first_subscriptions_at_once_both_succeed(backend):
    result = program_result("first_subscribe_race.py", backend=backend)
    assert result == {"a": {"first_subscribe_race.ping": 1},
                      "b": {"first_subscribe_race.ping": 1}}


# -- 12: fork() inside a watch callback ---------------------------------------

@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_process_forked_in_a_watch_callback_gets_callbacks(backend):
    result = program_result("fork_in_callback.py", backend=backend)
    seen = ["fork_in_callback.child"]
    assert result == {"os.fork": seen, "multiprocessing": seen,
                      "parent after": seen}


# -- 13: event names chosen to collide in the name hash -----------------------

FLOOD_NAMES = 20_000
FLOOD_FACTOR = 5    # linear costs stay within it; quadratic ones do not


@pytest.fixture(scope="module")
def flood(natives):
    """Best-of-three seconds for count("*") over each kind of names (see
    tests/programs/hash_flood.py)."""
    return program_result("hash_flood.py", natives, FLOOD_NAMES,
                          timeout=600)


@timing
@pytest.mark.parametrize("kind", ["old_hash", "guessed_seed"])
def test_names_colliding_in_a_known_hash_cost_what_random_names_cost(
        flood, kind):
    assert flood[kind] < FLOOD_FACTOR * flood["random"], flood


@timing
def test_names_differing_in_their_last_bytes_cost_what_random_names_cost(
        flood):
    assert flood["low_bits"] < FLOOD_FACTOR * flood["random"], flood


# -- 14: subscribing many patterns --------------------------------------------

# A bound on complexity, not a speed goal: a linear compile stalls about
# 2 ms per 1,000 patterns on this machine under load; the quadratic one of
# 601f77d took 0.39 s at 20,000 (some 1.5 s at 40,000).  The sizes are
# large so that the scheduling noise of a loaded machine (spikes near
# 0.1 s were seen with two suites and more running on two cores) cannot
# reach the bound.
STALL_PER_THOUSAND = 0.005  # seconds of stall allowed per 1,000 patterns
STALL_SLACK = 0.1           # the machine's own scheduling noise


@timing
def test_subscribing_stalls_other_threads_briefly_per_pattern(backend):
    sizes = (40_000, 80_000)
    result = program_result("subscribe_stall.py", 3, *sizes,
                            backend=backend, timeout=600)
    for n in sizes:
        allowed = STALL_PER_THOUSAND * n / 1000 + STALL_SLACK
        for step, (seconds, stall) in result[str(n)].items():
            assert stall < allowed, (n, step, result)


# -- event names that are not UTF-8, raised from C ----------------------------

def test_event_names_that_are_not_utf8_reach_every_kind():
    result = program_result("non_utf8_event_names.py")
    assert result == {kind: True for kind in (
        "count", "record", "watch", "log_to", "sink", "deny")}
