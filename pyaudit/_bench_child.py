"""One benchmark configuration, run in a fresh process by pyaudit.bench.

    python -m pyaudit._bench_child CONFIG EVENTS

Sets CONFIG up (audit hooks can never be removed, so each configuration
needs its own process), raises EVENTS audit events in a tight loop and
prints the loop's duration in nanoseconds.  Under callgrind the printed
time is ignored: the instruction count of two loop lengths is used.
"""

import sys
import time

# The typical security filter subscribed in every pyaudit configuration.
SECURITY_FILTER = ("socket.*, subprocess.*, os.system, os.exec, "
                   "os.posix_spawn, os.spawn, os.fork, ctypes.*, "
                   "urllib.Request, webbrowser.open")
MISS_EVENT = "t.miss"
HIT_EVENT = "t.hit"


def ignore(name, args):
    return None


def setup(config, events):
    """Install what config needs; return the event name the loop raises."""
    if config == "none":
        return MISS_EVENT
    if config == "noop":
        from pyaudit import _pyaudit
        _pyaudit._install_noop_hook()
        return MISS_EVENT
    if config == "python":
        wanted = frozenset(["socket.connect", "subprocess.Popen", HIT_EVENT])

        def hook(name, args):
            if name in wanted:
                ignore(name, args)

        sys.addaudithook(hook)
        return HIT_EVENT
    import pyaudit
    if pyaudit.backend != "native":
        raise SystemExit("the pyaudit configurations need the C extension")
    pyaudit.count(SECURITY_FILTER)  # the filter every configuration carries
    if config == "miss":
        return MISS_EVENT
    if config == "watch":
        pyaudit.watch(HIT_EVENT, ignore)
    elif config == "record":
        # Never drained: room for every event, so none is dropped.
        pyaudit.record(HIT_EVENT, capacity=events)
    elif config == "count":
        pyaudit.count(HIT_EVENT)
    else:
        raise SystemExit("unknown configuration %r" % (config,))
    return HIT_EVENT


def main(argv):
    config, events = argv[0], int(argv[1])
    name = setup(config, events)
    audit = sys.audit
    loop = range(events)
    start = time.perf_counter_ns()
    for _ in loop:
        audit(name, 1)
    elapsed = time.perf_counter_ns() - start
    print(elapsed)


if __name__ == "__main__":
    main(sys.argv[1:])
