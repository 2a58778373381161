"""One benchmark configuration, run in a fresh process by pyaudit.cli.bench.

    python -m pyaudit.cli._bench_child [--hook KIND=SPEC] CONFIG --events N
    python -m pyaudit.cli._bench_child [--hook KIND=SPEC] CONFIG --workload NAME REPEAT
    python -m pyaudit.cli._bench_child [--hook KIND=SPEC] CONFIG --probe

Sets CONFIG up (a name of ``_bench_configs.CONFIGS``; with ``--hook``, the
hook is installed instead and CONFIG names one of ``HOOK_CASES``), then
raises N events (a multiple of BATCH) and prints the nanoseconds they
took, runs a real workload REPEAT times and prints its fastest run's, or,
with ``--probe``, raises each event once and prints nothing.  Under
callgrind the printed time is ignored: the parent counts the instructions
of two loop lengths.

The reference hooks are loaded from $PYAUDIT_BENCH_REFERENCE (built by the
parent).  Exit status 2: the configuration cannot be set up; 3: this
pyaudit lacks an API it needs; either way one line on stderr says why.
"""

import os
import sys
import time

from pyaudit.cli import _bench_configs as configs

REFERENCE_ENV = "PYAUDIT_BENCH_REFERENCE"
EXIT_SETUP = 2
EXIT_MISSING = 3


class Context:
    """What a setup may ask for: the event raised, the reference hooks."""

    def __init__(self, event):
        self.event = event
        self._reference = None

    def reference(self):
        """(lib, ffi) of the reference hooks module."""
        if self._reference is None:
            path = os.environ.get(REFERENCE_ENV)
            if not path:
                raise configs.SetupError("%s is not set: run this through "
                                         "pyaudit bench" % REFERENCE_ENV)
            self._reference = load_reference(path)
        return self._reference


def load_reference(path):
    """(lib, ffi) of the reference module built at path (by
    ``_bench_reference.build``, which this process does not import: it
    loads more than a measured process should)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location(
        os.path.basename(path).split(".")[0], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lib, module.ffi


def release_nothing():
    return None


def at_depth(depth, function, *args):
    """function(*args), called ``depth`` frames below this one."""
    if depth <= 1:
        return function(*args)
    return at_depth(depth - 1, function, *args)


def timed_batches(loop, name, args, batches, after):
    """Raise batches x BATCH events; the nanoseconds they took."""
    audit = sys.audit
    start = time.perf_counter_ns()
    for _ in range(batches):
        loop(audit, name, args, configs.BATCH)
        after()
    return time.perf_counter_ns() - start


def set_up(config_name, hook):
    """Install the configuration (or the hook); return (event, what to
    call after each batch)."""
    if hook is None:
        config = configs.BY_NAME[config_name]
        after = config.setup(Context(config.event))
        return config.event, after or release_nothing
    from pyaudit.cli import _bench_hooks
    event = dict(configs.HOOK_CASES)[config_name]
    _bench_hooks.setup(hook, Context(event))
    return event, release_nothing


def load_what_pyaudit_loads():
    """Import, in every configuration, the modules that subscribing with
    pyaudit imports (the events catalog, its "did you mean" helper), without
    installing any hook: otherwise the import workload would find some of
    its modules already imported under pyaudit only."""
    from pyaudit import _catalog
    _catalog.check_patterns(configs.SECURITY_FILTER)


def main(argv):
    hook = None
    if argv[:1] == ["--hook"]:
        hook, argv = argv[1], argv[2:]
    config_name, mode, rest = argv[0], argv[1], argv[2:]
    if mode == "--workload":
        load_what_pyaudit_loads()
        from pyaudit.cli import _bench_workloads
        _bench_workloads.prepare(rest[0])
        set_up(config_name, hook)
        print(_bench_workloads.run(rest[0], int(rest[1])))
        return
    event, after = set_up(config_name, hook)
    loop, args = configs.loop_for(event)
    if mode == "--probe":
        if hook is not None:
            from pyaudit.cli import _bench_hooks
            _bench_hooks.probe(_bench_hooks.label(*hook.split("=", 1)))
        else:
            at_depth(configs.DEPTH, timed_batches, loop, event, args, 1,
                     after)
        return
    events = int(rest[0])
    if events % configs.BATCH:
        raise SystemExit("EVENTS must be a multiple of %d" % configs.BATCH)
    print(at_depth(configs.DEPTH, timed_batches, loop, event, args,
                   events // configs.BATCH, after))


def run(argv, main=main):
    """main(argv), with a failed setup as one line and its exit status."""
    try:
        main(argv)
    except configs.NotOnThisPython as exc:
        sys.stderr.write("needs %s\n" % (exc,))
        sys.exit(EXIT_MISSING)
    except configs.SetupError as exc:
        sys.stderr.write("%s\n" % (exc,))
        sys.exit(EXIT_SETUP)


if __name__ == "__main__":
    run(sys.argv[1:])
