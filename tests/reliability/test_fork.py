"""``os.fork()``: the child process keeps auditing, and the parent is
unaffected by what the child does.

Pinned down here, in child interpreters (a fork is process-global) on
both backends:

* the forked child inherits every live subscription: watch, record and
  count keep delivering there; a new subscription made in the child works
  and closing one works; the child's events never reach the parent;
* a recorder's events buffered before the fork are in both the parent's
  and the child's drains: the child inherits a copy of the buffer (as of
  any memory), so the two drain independently;
* counts carry over the same way: the child starts from the parent's
  counts at the moment of the fork, the two then count apart;
* forking while another thread is raising events (and so may be inside
  the hook, a watch callback or a drain at that moment) leaves a child
  that can still raise, watch, record, count, subscribe, close and drain:
  no lock held by the vanished thread is left for the child to deadlock
  on.  Each child is waited for with a deadline (a deadlock guard, not a
  timing assertion): one that has not exited by then is killed and the
  test fails.
"""

import json
import os
import sys

import pytest

from support import check_python

pytestmark = pytest.mark.skipif(
    not hasattr(os, "fork") or sys.platform == "win32",
    reason="os.fork() is POSIX only")

# Shared by the child scripts: wait for a forked process with a deadline.
# A forked process that is still running after DUMP_AFTER seconds prints
# every thread's stack (faulthandler) to stderr and exits, so that a
# deadlock shows where it is; one still there at the deadline is killed.
WAIT = r"""
import faulthandler, os, signal, time

DUMP_AFTER = 10.0

def wait_for(pid, deadline=DUMP_AFTER + 10):
    # The exit status of pid, or None if it had to be killed (deadlock).
    end = time.monotonic() + deadline
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status) \
                if hasattr(os, "waitstatus_to_exitcode") else status
        if time.monotonic() > end:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            return None
        time.sleep(0.005)

def read_all(fd):
    chunks = []
    while True:
        chunk = os.read(fd, 65536)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
"""

INHERIT = WAIT + r"""
import json, sys, traceback, warnings
import pyaudit

warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
E = "pyaudit_fork"
seen = []
watcher = pyaudit.watch(
    E + ".*", lambda name, args: seen.append([name] + list(args)))
rec = pyaudit.record(E + ".*", capacity=100)
counter = pyaudit.count(E + ".*")
for i in range(3):
    sys.audit(E + ".before", i)

def state():
    return {
        "seen": list(seen),
        "drained": [[e.name] + list(e.args) for e in rec.drain()],
        "dropped": rec.dropped,
        "counts": counter.counts(),
        "subscriptions": [s.kind for s in pyaudit.subscriptions()],
    }

read_end, write_end = os.pipe()
pid = os.fork()
if pid == 0:
    code = 1
    try:
        faulthandler.dump_traceback_later(DUMP_AFTER, exit=True)
        os.close(read_end)
        sys.audit(E + ".child", 0)
        late = []
        with pyaudit.watch(E + ".child",
                           lambda name, args: late.append(list(args))) as new:
            sys.audit(E + ".child", 1)
        watcher.close()
        sys.audit(E + ".child", 2)      # only rec and counter see it
        result = state()
        result.update(late=late, new_active=new.active,
                      watcher_active=watcher.active)
        os.write(write_end, json.dumps(result).encode())
        code = 0
    except BaseException:
        traceback.print_exc()
        sys.stderr.flush()
    finally:
        os._exit(code)

os.close(write_end)
status = wait_for(pid)
child = json.loads(read_all(read_end).decode() or "null")
sys.audit(E + ".parent", 0)
parent = state()
parent["watcher_active"] = watcher.active
print(json.dumps({"status": status, "child": child, "parent": parent}))
sys.exit(0 if status == 0 else 1)   # shows the child's stderr
"""


def test_child_inherits_subscriptions_and_parent_is_unaffected(backend):
    out = check_python(INHERIT, backend=backend)
    result = json.loads(out.strip().splitlines()[-1])
    assert result["status"] == 0
    child, parent = result["child"], result["parent"]
    e = "pyaudit_fork"
    before = [[e + ".before", i] for i in range(3)]

    # The child: the inherited watch delivered until closed; the new one
    # got exactly its one event; both are closed now.
    assert child["seen"] == before + [[e + ".child", 0], [e + ".child", 1]]
    assert child["late"] == [[1]]
    assert child["new_active"] is False
    assert child["watcher_active"] is False
    # Its copy of the buffer: the parent's three, then its own three.
    assert child["drained"] == before + [[e + ".child", i] for i in range(3)]
    assert child["dropped"] == 0
    assert child["counts"] == {e + ".before": 3, e + ".child": 3}
    assert child["subscriptions"] == ["record", "count"]

    # The parent: the same three buffered events, none of the child's.
    assert parent["seen"] == before + [[e + ".parent", 0]]
    assert parent["drained"] == before + [[e + ".parent", 0]]
    assert parent["dropped"] == 0
    assert parent["counts"] == {e + ".before": 3, e + ".parent": 1}
    assert parent["watcher_active"] is True
    assert parent["subscriptions"] == ["watch", "record", "count"]


FORK_UNDER_LOAD = WAIT + r"""
import json, sys, threading, traceback, warnings
import pyaudit

warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
warnings.simplefilter("ignore", DeprecationWarning)  # 3.12+: fork + threads
E = "pyaudit_fork_load"
FORKS = int(sys.argv[1])
delivered = [0]

def on_event(name, args):
    delivered[0] += 1
    # Python work inside the callback, so that a fork can find the
    # other thread in the middle of one.
    str(args)

watcher = pyaudit.watch(E + ".bg", on_event)
rec = pyaudit.record(E + ".*", capacity=1000)
counter = pyaudit.count(E + ".*")
stop = threading.Event()
raised = [0]

def raise_events():
    i = 0
    while not stop.is_set():
        sys.audit(E + ".bg", i)
        i += 1
        raised[0] = i
        if i % 500 == 0:
            rec.drain()

def wait_for_progress():
    # Until the other thread has raised some more events.
    start = raised[0]
    end = time.monotonic() + 60
    while raised[0] < start + 200 and time.monotonic() < end:
        time.sleep(0.0005)

def in_child():
    before = counter.counts().get(E + ".child", 0)
    got = []
    with pyaudit.watch(E + ".child", lambda n, a: got.append(a[0])) as new, \
            pyaudit.record(E + ".child", capacity=1000) as own:
        for j in range(100):
            sys.audit(E + ".child", j)
    assert got == list(range(100)), got
    assert [e.args[0] for e in own.drain()] == list(range(100))
    assert not new.active and not own.active
    assert counter.counts()[E + ".child"] == before + 100
    # The inherited watch still delivers on this thread.
    calls = delivered[0]
    sys.audit(E + ".bg", -1)
    assert delivered[0] == calls + 1
    rec.drain()
    # And can be closed.
    watcher.close()
    sys.audit(E + ".bg", -2)
    assert delivered[0] == calls + 1
    assert [s.kind for s in pyaudit.subscriptions()] == ["record", "count"]

thread = threading.Thread(target=raise_events, daemon=True)
thread.start()
statuses = []
for k in range(FORKS):
    wait_for_progress()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            faulthandler.dump_traceback_later(DUMP_AFTER, exit=True)
            in_child()
            code = 0
        except BaseException:
            traceback.print_exc()
            sys.stderr.flush()
        finally:
            os._exit(code)
    statuses.append(wait_for(pid))
    if statuses[-1] != 0:
        break
stop.set()
thread.join(60)
assert not thread.is_alive(), "the parent's thread is stuck"
# The parent is unaffected: its watch is still open and delivering.
calls = delivered[0]
sys.audit(E + ".bg", -1)
assert delivered[0] == calls + 1
assert watcher.active
assert E + ".child" not in counter.counts()
print(json.dumps({"statuses": statuses}))
# A failed child printed its traceback (or a hung one its stack dump) to
# the stderr it shares with this process: fail so that it is shown.
sys.exit(0 if statuses == [0] * FORKS else 1)
"""


def test_fork_while_another_thread_raises_events(backend):
    forks = 100
    out = check_python(FORK_UNDER_LOAD, backend=backend, args=(forks,))
    # check_python fails, showing the stack dump or traceback, when a
    # child failed or hung; the first one to do so stopped the forking.
    statuses = json.loads(out.strip().splitlines()[-1])["statuses"]
    assert statuses == [0] * forks
