"""Interpreter exit with pyaudit busy: no crash, no hang, exit status 0.

Pinned down here: a process may exit while

* daemon threads are raising events in a loop (watched, recorded,
  counted, denied), so that exit finds them anywhere: inside the hook,
  inside a watch callback, between the two;
* another daemon thread is subscribing and closing in a loop;
* ``atexit`` handlers raise events, which are still delivered to every
  kind of subscription (the handlers check this and report it on stdout),
  and subscribe anew;
* subscriptions of every kind (watch with a Python callback, record,
  count, deny) are still open, and one callback's object raises an event
  from ``__del__`` when pyaudit lets go of it;
* objects raise events from ``__del__`` during module teardown;

and the exit itself comes from falling off the end of the script,
``sys.exit(0)``, or ``SystemExit(0)`` raised by a watch callback.  Every
run must exit with status 0, print both atexit reports, and write no
"Fatal Python error", "Segmentation fault" or traceback to stderr.

100 runs per backend, varied by run number (thread count, how long the
threads run first, how the process exits, whether a thread churns
subscriptions), two at a time; the first failure stops the series.  A run
that hangs dumps its stacks (faulthandler) after 10 s and fails.

Also: code run from ``__del__`` during module teardown, after atexit, can
still subscribe (to names of its own), raise, read and close.
"""

import concurrent.futures
import os
import subprocess
import sys
import textwrap

import pytest

from support import ROOT, child_env

RUNS = 100

CHILD = r"""
import atexit
import sys

def early_atexit():
    # Registered before pyaudit is imported, so it runs after pyaudit's
    # own atexit handlers, if it has any.
    try:
        sys.audit("pyaudit_shutdown.atexit.early")
    except pyaudit.Denied:
        raise AssertionError("pyaudit_shutdown.atexit.early was denied")
    assert counter.counts().get("pyaudit_shutdown.atexit.early") == 1
    print("early atexit: ok", flush=True)

atexit.register(early_atexit)

import threading
import time
import warnings

import pyaudit

warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
run = int(sys.argv[1])
E = "pyaudit_shutdown"
progress = {}
watched = [0]


def on_event(name, args):
    watched[0] += 1
    if name == E + ".exit":
        raise SystemExit(0)
    if watched[0] % 7 == 0:
        sys.audit(E + ".nested", name)      # not watched again: reentrant
    repr(args)


class Noisy:
    # Raises an event when freed: at module teardown, or when pyaudit
    # releases a callback bound to it.
    def __init__(self, label):
        self.label = label

    def on_event(self, name, args):
        pass

    def __del__(self):
        try:
            sys.audit(E + ".del", self.label)
        except Exception:
            pass


watcher = pyaudit.watch(E + ".*", on_event)
rec = pyaudit.record(E + ".*", capacity=64)
counter = pyaudit.count(E + ".*")
denier = pyaudit.deny(E + ".denied.*")
noisy_watcher = pyaudit.watch(E + ".t", Noisy("callback").on_event)
noisy_global = Noisy("global")
cycle = [Noisy("cycle")]
cycle.append(cycle)
del cycle


def raise_events(index):
    i = 0
    while True:
        sys.audit(E + ".t", index, i)
        try:
            sys.audit(E + ".denied.t", index, i)
        except pyaudit.Denied:
            pass
        i += 1
        progress[index] = i
        if i % 100 == 0:
            rec.drain()


def churn():
    i = 0
    while True:
        for sub in (pyaudit.watch(E + ".t", on_event),
                    pyaudit.record(E + ".t", capacity=4),
                    pyaudit.count(E + ".t"), pyaudit.deny(E + ".churn")):
            sub.close()
        i += 1
        progress["churn"] = i


def late_atexit():
    # Registered after pyaudit is imported: runs first.
    before = watched[0]
    sys.audit(E + ".atexit.late", 1)
    assert watched[0] >= before + 1
    assert counter.counts()[E + ".atexit.late"] == 1
    assert any(e.name == E + ".atexit.late" for e in rec.drain()) \
        or rec.dropped > 0
    try:
        sys.audit(E + ".denied.atexit")
    except pyaudit.Denied:
        pass
    else:
        raise AssertionError("not denied at exit")
    pyaudit.watch(E + ".atexit.*", on_event)     # left open
    pyaudit.count(E + ".atexit.*")
    print("late atexit: ok", flush=True)

atexit.register(late_atexit)

threads = 1 + run % 3
for index in range(threads):
    threading.Thread(target=raise_events, args=(index,), daemon=True).start()
if run % 4 == 1:
    threading.Thread(target=churn, daemon=True).start()

# Let the threads get going; how far varies with the run.
target = 1 + (run * 37) % 500
deadline = time.monotonic() + 30
while (min(progress.get(i, 0) for i in range(threads)) < target
       and time.monotonic() < deadline):
    time.sleep(0.0005)
for i in range(run % 50):
    sys.audit(E + ".main", i)
print("ready", flush=True)

mode = run % 3
if mode == 1:
    sys.exit(0)
elif mode == 2:
    sys.audit(E + ".exit")      # the watch callback raises SystemExit(0)
    raise AssertionError("SystemExit did not propagate")
"""

BAD = ("Fatal Python error", "Segmentation fault", "Traceback",
       "Exception ignored", "AssertionError", "Timeout (")

# A run still alive after DUMP_AFTER seconds prints every thread's stack
# (faulthandler) and exits 1: a hang shows where it is.  Deadlock guard
# only; a normal run takes a small fraction of a second.
DUMP_AFTER = 10


def run_child(backend, run):
    code = ("import faulthandler; faulthandler.dump_traceback_later(%d, "
            "exit=True)\n" % DUMP_AFTER) + textwrap.dedent(CHILD)
    try:
        proc = subprocess.run(
            [sys.executable, "-c", code, str(run)], env=child_env(backend),
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            universal_newlines=True, timeout=DUMP_AFTER + 50)
    except subprocess.TimeoutExpired as exc:
        return None, exc.stdout or "", exc.stderr or ""
    return proc.returncode, proc.stdout, proc.stderr


def failure(run, rc, out, err):
    """Why a run failed, or None if it did not."""
    lines = out.splitlines()
    if (rc == 0 and not any(bad in err for bad in BAD)
            and lines.count("ready") == 1
            and "late atexit: ok" in lines
            and "early atexit: ok" in lines):
        return None
    return ("run %d: exit status %s\n--- stdout ---\n%s\n--- stderr ---\n%s"
            % (run, "(killed: hung)" if rc is None else rc, out, err))


# CPython 3.10's own crash at exit (tools/cpython310_exit_crash.py shows
# it without pyaudit: 12 of 2,000 runs there).  A daemon thread that asked
# for the GIL and is still waiting when the interpreter is freed writes to
# the freed interpreter when it gives up; it dies of SIGSEGV after both
# atexit handlers ran.  On 3.10 only, such a run is reported as XFAIL,
# never as a pass; any other failure, on any version, fails the test.
CPYTHON_EXIT_CRASH = sys.version_info[:2] == (3, 10)


def cpython_exit_crash(rc, out):
    lines = out.splitlines()
    return (CPYTHON_EXIT_CRASH and rc == -11
            and "late atexit: ok" in lines and "early atexit: ok" in lines)


def test_exit_while_busy(backend):
    # Two at a time; after the first failure no new run is started.
    failures = []
    known = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        pending = set()
        runs = iter(range(RUNS))
        while True:
            while len(pending) < 2 and not failures:
                run = next(runs, None)
                if run is None:
                    break
                future = pool.submit(run_child, backend, run)
                future.run_number = run
                pending.add(future)
            if not pending:
                break
            done, pending = concurrent.futures.wait(
                pending, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in done:
                rc, out, err = future.result()
                why = failure(future.run_number, rc, out, err)
                if why is None:
                    continue
                if cpython_exit_crash(rc, out):
                    known.append(why)
                else:
                    failures.append(why)
    assert not failures, failures[0]
    if known:
        pytest.xfail("CPython 3.10's crash at exit with waiting daemon "
                     "threads (tools/cpython310_exit_crash.py), %d of %d "
                     "runs: %s" % (len(known), RUNS,
                                   known[0].splitlines()[0]))


TEARDOWN = r"""
import sys
import warnings

import pyaudit

warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
E = "pyaudit_teardown"


class Late:
    # Freed during module teardown, after atexit: subscribes, raises,
    # reads and closes then.
    def __del__(self):
        out = sys.stdout.write
        counter = pyaudit.count(E + ".*")
        calls = []
        watcher = pyaudit.watch(E + ".*",
                                lambda name, args: calls.append(args))
        rec = pyaudit.record([E + ".del", E + ".other"])
        sys.audit(E + ".del", 1)
        watcher.close()
        denier = pyaudit.deny(E + ".forbidden")
        try:
            sys.audit(E + ".forbidden")
        except pyaudit.Denied:
            out("denied\n")
        out("counts %r\n" % sorted(counter.counts().items()))
        out("watched %r\n" % (calls,))
        out("recorded %r\n" % [(e.name, e.args) for e in rec.drain()])
        sys.stdout.flush()


late = Late()
open_at_exit = pyaudit.count(E + ".*")
"""


def test_subscribe_during_module_teardown(backend):
    # Code run from __del__ at interpreter teardown (after atexit, while
    # modules are cleared) can still subscribe, raise, read and close:
    # pyaudit's own checks must not need anything teardown has removed.
    proc = subprocess.run(
        [sys.executable, "-c", TEARDOWN], env=child_env(backend), cwd=ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    e = "pyaudit_teardown"
    assert proc.stdout.splitlines() == [
        "denied",
        "counts %r" % [(e + ".del", 1), (e + ".forbidden", 1)],
        "watched [(1,)]",
        "recorded %r" % [(e + ".del", (1,))],
    ]


def test_cpython_exit_crash_tool_reports():
    # The documented command behind the XFAIL above: it runs its program
    # without pyaudit and reports how many runs crashed.  Whether a crash
    # happens is chance, so only the report is checked here.
    tool = os.path.join(ROOT, "tools", "cpython310_exit_crash.py")
    done = subprocess.run(
        [sys.executable, tool, "--runs", "3", "--jobs", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    first = done.stdout.splitlines()[0]
    assert first.startswith("Python %s: " % sys.version.split()[0])
    assert "of 3 runs died of SIGSEGV at exit, without pyaudit" in first
    bad = subprocess.run(
        [sys.executable, tool, "--runs", "0"], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True)
    assert bad.returncode == 2 and "must be at least 1" in bad.stderr
