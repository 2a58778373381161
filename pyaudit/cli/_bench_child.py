"""One benchmark configuration, run in a fresh process by pyaudit.cli.bench.

    python -m pyaudit.cli._bench_child CONFIG EVENTS
    python -m pyaudit.cli._bench_child CONFIG --workload NAME REPEAT

Sets CONFIG up (audit hooks can never be removed, so each configuration
needs its own process), then either raises EVENTS audit events in a tight
loop (EVENTS a multiple of BATCH) or runs a real workload REPEAT times,
and prints the duration in nanoseconds (for a workload, the fastest
repetition).  Under callgrind the printed time is ignored: the instruction
count of two loop lengths is used.
"""

import sys
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


def load_what_pyaudit_loads():
    """Import, in every configuration, the modules that subscribing with
    pyaudit imports (the events catalog, its "did you mean" helper), without
    installing any hook: otherwise the import workload would find some of
    its modules already imported under pyaudit only."""
    from pyaudit import _catalog
    _catalog.check_patterns(SECURITY_FILTER)


def main(argv):
    config = argv[0]
    if len(argv) == 4 and argv[1] == "--workload":
        load_what_pyaudit_loads()
        from pyaudit.cli import _bench_workloads
        setup(config, BATCH)
        print(_bench_workloads.run(argv[2], int(argv[3])))
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
