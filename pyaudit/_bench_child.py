"""One benchmark configuration, run in a fresh process by pyaudit.bench.

    python -m pyaudit._bench_child CONFIG EVENTS
    python -m pyaudit._bench_child CONFIG --workload NAME REPEAT

Sets CONFIG up (audit hooks can never be removed, so each configuration
needs its own process), then either raises EVENTS audit events in a tight
loop (EVENTS a multiple of BATCH) or runs a real workload REPEAT times,
and prints the duration in nanoseconds (for a workload, the fastest
repetition).  Under callgrind the printed time is ignored: the instruction
count of two loop lengths is used.
"""

import copy
import logging
import os
import pickle
import sys
import tempfile
import time

# The typical security filter carried by every pyaudit configuration, and
# the same filter written as a pure-Python hook would write it.
SECURITY_FILTER = ("socket.*, subprocess.*, os.system, os.exec, "
                   "os.posix_spawn, os.spawn, os.fork, ctypes.*, "
                   "urllib.Request, webbrowser.open")
SECURITY_EXACT = frozenset(["os.system", "os.exec", "os.posix_spawn",
                            "os.spawn", "os.fork", "urllib.Request",
                            "webbrowser.open"])
SECURITY_PREFIXES = ("socket.", "subprocess.", "ctypes.")
MISS_EVENT = "t.miss"
HIT_EVENT = "t.hit"
# What record and retain keep is released every BATCH events, as a program
# that records would drain.  CPython keeps up to 2,000 freed 1-tuples for
# reuse, so this steady state recycles the args tuples; holding more (see
# the "-held" configurations) makes the garbage collector walk every held
# tuple again and again, a cost of keeping objects alive, not of the hook.
BATCH = 1000


def ignore(name, args):
    return None


def install_python_hook():
    wanted = SECURITY_EXACT | {HIT_EVENT}

    def hook(name, args):
        if name in wanted or name.startswith(SECURITY_PREFIXES):
            ignore(name, args)

    sys.addaudithook(hook)


def release_nothing():
    return None


def setup(config, events):
    """Install what config needs; return the event name the loop raises
    and what to call every BATCH events."""
    if config == "none":
        return MISS_EVENT, release_nothing
    if config == "noop":
        from pyaudit import _pyaudit
        _pyaudit._install_noop_hook()
        return MISS_EVENT, release_nothing
    if config in ("retain", "retain-held"):
        from pyaudit import _pyaudit
        _pyaudit._install_retain_hook(events)
        if config == "retain-held":
            return HIT_EVENT, release_nothing
        return HIT_EVENT, _pyaudit._release_retained
    if config == "python":
        install_python_hook()
        return HIT_EVENT, release_nothing
    import pyaudit
    if pyaudit.backend != "native":
        raise SystemExit("the pyaudit configurations need the C extension")
    pyaudit.count(SECURITY_FILTER)  # the filter every configuration carries
    if config == "miss":
        return MISS_EVENT, release_nothing
    if config == "watch":
        pyaudit.watch(HIT_EVENT, ignore)
    elif config == "record":
        recorder = pyaudit.record(HIT_EVENT, capacity=BATCH)
        return HIT_EVENT, recorder.clear
    elif config == "record-held":
        # Never released: room for every event, so none is dropped.
        pyaudit.record(HIT_EVENT, capacity=events)
    elif config == "count":
        pyaudit.count(HIT_EVENT)
    else:
        raise SystemExit("unknown configuration %r" % (config,))
    return HIT_EVENT, release_nothing


# -- real workloads, each chosen for the hot events it raises -------------

NESTED = [{"id": i, "tags": ["a", "b", (i, i + 1)], "child": {"x": [i] * 5}}
          for i in range(300)]


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


POINTS = [Point(i, -i) for i in range(500)]
IMPORTS = ("json", "csv", "decimal", "fractions", "statistics", "difflib",
           "textwrap", "string", "heapq", "bisect", "calendar", "uuid",
           "ipaddress", "shlex", "glob", "fnmatch", "configparser",
           "argparse", "gettext", "pprint", "dataclasses", "enum",
           "typing", "email.message", "http.client", "urllib.parse",
           "xml.dom.minidom", "zipfile", "tarfile", "sqlite3")


def deepcopy_workload():
    """builtins.id for every object copied."""
    copy.deepcopy(NESTED)


def pickle_workload():
    """pickle.find_class for the global in each small pickle."""
    for point in POINTS:
        pickle.loads(pickle.dumps(point))


_logger = logging.getLogger("pyaudit.bench")
_logger.addHandler(logging.NullHandler())
_logger.propagate = False
_logger.setLevel(logging.INFO)


def logging_workload():
    """sys._getframe (3.11 and older) or sys._getframemodulename per record."""
    for i in range(500):
        _logger.info("record %d", i)


_tree = None


def walk_workload():
    """os.scandir per directory."""
    global _tree
    if _tree is None:
        _tree = tempfile.mkdtemp(prefix="pyaudit-bench-")
        for a in range(10):
            for b in range(10):
                path = os.path.join(_tree, str(a), str(b))
                os.makedirs(path)
                open(os.path.join(path, "f"), "w").close()
    for _ in range(5):
        for _ in os.walk(_tree):
            pass


def import_workload():
    """open, exec, import, marshal.loads and compile per module."""
    for name in IMPORTS:
        __import__(name)


WORKLOADS = {
    "deepcopy": deepcopy_workload,
    "pickle": pickle_workload,
    "logging": logging_workload,
    "os.walk": walk_workload,
    "import": import_workload,       # once per fresh process
}


def load_what_pyaudit_loads():
    """Import, in every configuration, the modules that subscribing with
    pyaudit imports (the events catalog, its "did you mean" helper), without
    installing any hook: otherwise the import workload would find some of
    its modules already imported under pyaudit only."""
    from pyaudit import _catalog, _patterns
    _catalog.check_patterns(_patterns.split(SECURITY_FILTER))


def run_workload(name, repeat):
    workload = WORKLOADS[name]
    if name == "import":
        repeat = 1                  # a module is imported once per process
    else:
        workload()                  # warm up (caches, the tree)
    best = None
    for _ in range(repeat):
        start = time.perf_counter_ns()
        workload()
        elapsed = time.perf_counter_ns() - start
        best = elapsed if best is None else min(best, elapsed)
    if _tree is not None:
        import shutil
        shutil.rmtree(_tree)
    return best


def main(argv):
    config = argv[0]
    if len(argv) == 4 and argv[1] == "--workload":
        load_what_pyaudit_loads()
        setup(config, BATCH)
        print(run_workload(argv[2], int(argv[3])))
        return
    events = int(argv[1])
    if events % BATCH:
        raise SystemExit("EVENTS must be a multiple of %d" % BATCH)
    name, release = setup(config, events)
    audit = sys.audit
    batches = range(events // BATCH)
    batch = range(BATCH)
    start = time.perf_counter_ns()
    for _ in batches:
        for _ in batch:
            audit(name, 1)
        release()
    elapsed = time.perf_counter_ns() - start
    if config == "retain-held":
        # A recorder releases what it kept, eventually (pyaudit's does at
        # exit): so must the floor it is measured against.
        from pyaudit import _pyaudit
        _pyaudit._release_retained()
    print(elapsed)


if __name__ == "__main__":
    main(sys.argv[1:])
