"""Interpreters in parallel, for ``pyaudit bench``: one subject per fresh
process.

    python -m pyaudit.cli._bench_parallel SUBJECT EVENTS

Raises EVENTS misses (``zz.miss``) in 1 own-GIL subinterpreter, then in 2
at once, each on its own thread, and prints one JSON object with each
throughput (events per second, all interpreters together).  SUBJECT is
"none", "noop" (the no-op C hook, added once for the whole process),
"pyaudit" (the security filter, subscribed from the main interpreter for
every interpreter) or "c=LIB.so:SYMBOL" (someone else's native hook).

Own-GIL subinterpreters need CPython 3.12 or newer.  Exit status 3 with
one line when this Python or this pyaudit cannot run the case.
"""

import json
import sys
import threading
import time

from pyaudit.cli import _bench_configs as configs
from pyaudit.cli._bench_child import EXIT_MISSING, Context, run

LOOP = ("import sys\n"
        "audit = sys.audit\n"
        "for _ in range(%d):\n"
        "    audit('zz.miss', 1)\n")
# Raised once in each interpreter to check that the hook sees its events.
PROBE_EVENT = "ctypes.bench_probe"


class Interpreters:
    """create() an own-GIL subinterpreter, run(id, code) in it, destroy(id),
    with whichever module this Python has."""

    def __init__(self):
        try:
            from concurrent import interpreters         # 3.14+
            self.create = lambda: interpreters.create()
            self.run = lambda interp, code: interp.exec(code)
            self.destroy = lambda interp: interp.close()
            return
        except ImportError:
            pass
        if sys.version_info < (3, 12):      # subinterpreters share a GIL
            raise configs.NotOnThisPython(
                "own-GIL subinterpreters, which CPython has from 3.12 "
                "(this is %d.%d)" % sys.version_info[:2])
        try:
            import _interpreters                        # 3.13
        except ImportError:
            import _xxsubinterpreters as _interpreters  # 3.12
        if hasattr(_interpreters, "new_config"):
            self.create = lambda: _interpreters.create(
                _interpreters.new_config("isolated"))
        else:
            self.create = lambda: _interpreters.create(isolated=True)
        self.destroy = _interpreters.destroy

        def run_code(interp, code):
            failure = _interpreters.run_string(interp, code)
            if failure is not None:         # 3.13 returns, 3.12 raises
                raise RuntimeError("the subinterpreter failed: %s"
                                   % (failure,))
        self.run = run_code


def throughput(interpreters, count, events):
    """Events per second with ``count`` interpreters raising ``events``
    each at once."""
    ids = [interpreters.create() for _ in range(count)]
    try:
        for interp in ids:
            interpreters.run(interp, LOOP % 10)      # warm up
        errors = []

        def work(interp):
            try:
                interpreters.run(interp, LOOP % events)
            except Exception as exc:
                errors.append(exc)
        threads = [threading.Thread(target=work, args=(interp,))
                   for interp in ids]
        start = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - start
        if errors:
            raise errors[0]
        return count * events / elapsed
    finally:
        for interp in ids:
            interpreters.destroy(interp)


def set_up(subject, interpreters):
    """Install the subject's hook for every interpreter."""
    if subject == "none":
        return
    if subject == "noop":
        configs.setup_noop(Context("zz.miss"))
        return
    if subject.startswith("c="):
        from pyaudit.cli import _bench_hooks
        _bench_hooks.setup_c_hook(subject[2:], Context("zz.miss"))
        return
    import pyaudit
    counter = pyaudit.count(configs.SECURITY_FILTER, interpreters="all")
    # The harness checks that the hook does see their events.
    interp = interpreters.create()
    try:
        interpreters.run(interp, "import sys; sys.audit(%r)"
                         % (PROBE_EVENT,))
    finally:
        interpreters.destroy(interp)
    if counter.counts().get(PROBE_EVENT) != 1:
        raise configs.SetupError(
            "pyaudit.count(..., interpreters='all') did not count %r raised "
            "in an own-GIL subinterpreter" % (PROBE_EVENT,))


def main(argv):
    subject, events = argv[0], int(argv[1])
    interpreters = Interpreters()
    set_up(subject, interpreters)
    if events == 0:     # a probe
        return
    one = throughput(interpreters, 1, events)
    two = throughput(interpreters, 2, events)
    print(json.dumps({"subject": subject, "one": one, "two": two}))


if __name__ == "__main__":
    run(sys.argv[1:], main)
