"""pyaudit against a plain ``sys.addaudithook`` hook, on real work.

In a child interpreter, pyaudit subscribes first (a watch, a recorder and
a counter on the same patterns), then a plain hook is added that keeps
what ``pyaudit.Filter(patterns)`` matches.  Between the markers
``pyaudit_test.begin`` and ``pyaudit_test.end`` the child does real work;
all three subscriptions must report exactly the events the plain hook
saw: same names, same order on each thread, the same args objects.

Order is compared per thread: hooks for one event run back to back on
the raising thread, but two threads' events may interleave between the
two hooks.
"""

import difflib
import json
import sys

import pytest

from support import check_python

CHILD = r'''
import collections, json, os, sys, threading
import pyaudit

PATTERNS = json.loads(sys.argv[1])
SCENARIO = sys.argv[2]
TMP = sys.argv[3]

state = {"on": False}
got = []

def on_event(name, args):
    if state["on"]:
        got.append((name, args, threading.get_ident()))

watch = pyaudit.watch(PATTERNS, on_event)
recorder = pyaudit.record(PATTERNS)
counter = pyaudit.count(PATTERNS)

# Added after pyaudit's first subscription, so pyaudit's own install
# probe is not seen by this hook; it keeps what the same Filter keeps.
flt = pyaudit.Filter(PATTERNS)
plain = []

def plain_hook(name, args):
    if state["on"] and flt.matches(name):
        plain.append((name, args, threading.get_ident()))

sys.addaudithook(plain_hook)


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


def scenario_file():
    path = os.path.join(TMP, "data.txt")
    with open(path, "w") as handle:
        handle.write("hello")
    with open(path, "rb") as handle:
        assert handle.read() == b"hello"
    os.listdir(TMP)
    os.rename(path, path + ".old")
    os.remove(path + ".old")


def scenario_socket():
    import socket
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        client.connect(server.getsockname())
        peer, _ = server.accept()
        client.sendall(b"ping")
        assert peer.recv(4) == b"ping"
        peer.close()
    finally:
        client.close()
        server.close()


def scenario_subprocess():
    import subprocess
    subprocess.run([sys.executable, "-c", "pass"], check=True)


def scenario_compile_exec():
    code = compile("result = sum(range(10))", "<pyaudit_test>", "exec")
    namespace = {}
    exec(code, namespace)
    assert namespace["result"] == 45
    assert eval("6 * 7") == 42


def scenario_import():
    import importlib
    name = "pyaudit_test_fresh_module"
    with open(os.path.join(TMP, name + ".py"), "w") as handle:
        handle.write("VALUE = 42\n")
    sys.path.insert(0, TMP)
    importlib.invalidate_caches()
    module = __import__(name)   # the import statement's path: audited
    assert module.VALUE == 42


def scenario_pickle():
    import pickle
    point = pickle.loads(pickle.dumps(Point(1, 2)))
    assert (point.x, point.y) == (1, 2)


def scenario_ctypes():
    import ctypes
    ctypes.CDLL(None)
    buffer = ctypes.create_string_buffer(b"abc")
    assert ctypes.string_at(ctypes.addressof(buffer), 3) == b"abc"


def scenario_sqlite():
    import sqlite3
    connection = sqlite3.connect(":memory:")
    try:
        assert connection.execute("select 1 + 1").fetchone() == (2,)
    finally:
        connection.close()


def scenario_thread():
    def work():
        sys.audit("pyaudit_test.in_thread", threading.get_ident())
        with open(os.path.join(TMP, "from-thread.txt"), "w") as handle:
            handle.write("x")
        compile("1", "<pyaudit_test.thread>", "eval")
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()


work = globals()["scenario_" + SCENARIO]
counts_before = counter.counts()
recorder.drain()
state["on"] = True
sys.audit("pyaudit_test.begin")
work()
sys.audit("pyaudit_test.end")
state["on"] = False
recorded = [(e.name, e.args, e.thread_id) for e in recorder.drain()]
counts_after = counter.counts()
watch.close(); recorder.close(); counter.close()

threads = {}
def thread_index(ident):
    return threads.setdefault(ident, len(threads))

def describe(events):
    return [[name, thread_index(ident)] for name, _, ident in events]

def by_thread(events):
    threads_events = {}
    for event in events:
        threads_events.setdefault(event[2], []).append(event)
    return threads_events

def args_not_identical(events):
    """[thread, position, name] wherever the plain hook had the same
    event name but another args object."""
    theirs = by_thread(plain)
    bad = []
    for ident, mine in by_thread(events).items():
        for i, (a, b) in enumerate(zip(mine, theirs.get(ident, []))):
            if a[0] == b[0] and a[1] is not b[1]:
                bad.append([thread_index(ident), i, a[0]])
    return bad

delta = collections.Counter(counts_after)
delta.subtract(counts_before)
print(json.dumps({
    "plain": describe(plain),
    "watch": describe(got),
    "record": describe(recorded),
    "watch_args_not_identical": args_not_identical(got),
    "record_args_not_identical": args_not_identical(recorded),
    "count_delta": {k: v for k, v in delta.items() if v},
    "plain_counts": dict(collections.Counter(n for n, _, _ in plain)),
}))
'''

SCENARIOS = ["file", "socket", "subprocess", "compile_exec", "import",
             "pickle", "ctypes", "sqlite", "thread"]

PATTERN_SETS = [
    "*",
    "open,exec,import,compile",
    "socket.*",
    "*,!builtins.id,!object.*",
    "os.*,subprocess.*,pickle.*,ctypes.*,sqlite3.*,pyaudit_test.*",
]

# With "*", each scenario must at least show this event: a guard against
# a harness that compares two empty lists.
KEY_EVENT = {
    "file": "open",
    "socket": "socket.connect",
    "subprocess": "subprocess.Popen",
    "compile_exec": "exec",
    "import": "import",
    "pickle": "pickle.find_class",
    "ctypes": "ctypes.dlopen",
    "sqlite": "sqlite3.connect" if sys.version_info >= (3, 10) else "import",
    "thread": "pyaudit_test.in_thread",
}


def assert_same(kind, got, plain):
    """Fail with a readable diff of event names, per thread."""
    if got == plain:
        return
    lines = ["pyaudit's %s differs from the plain hook:" % kind]
    for thread in sorted(set(got) | set(plain)):
        mine, theirs = got.get(thread, []), plain.get(thread, [])
        if mine != theirs:
            lines.append("thread #%d:" % thread)
            lines.extend(difflib.unified_diff(
                theirs, mine, "plain hook", "pyaudit " + kind, lineterm="",
                n=2))
    pytest.fail("\n".join(lines), pytrace=False)


def per_thread(described):
    """[[name, thread], ...] -> {thread: [name, ...]}"""
    threads = {}
    for name, thread in described:
        threads.setdefault(thread, []).append(name)
    return threads


@pytest.mark.parametrize("patterns", PATTERN_SETS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_same_events_as_plain_hook(backend, scenario, patterns, tmp_path):
    out = check_python(CHILD, backend=backend,
                       args=[json.dumps(patterns), scenario, tmp_path])
    result = json.loads(out.strip().splitlines()[-1])
    plain = per_thread(result["plain"])

    if patterns == "*":
        names = [name for name, _ in result["plain"]]
        assert names[0] == "pyaudit_test.begin"
        assert names[-1] == "pyaudit_test.end"
        assert KEY_EVENT[scenario] in names, names

    assert_same("watch", per_thread(result["watch"]), plain)
    assert_same("record", per_thread(result["record"]), plain)
    assert result["count_delta"] == result["plain_counts"], "count differs"
    assert result["watch_args_not_identical"] == [], (
        "watch got other args objects at these positions")
    assert result["record_args_not_identical"] == [], (
        "record got other args objects at these positions")
