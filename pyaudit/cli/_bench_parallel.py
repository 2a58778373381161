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

from pyaudit.cli import _bench_configs as configs
from pyaudit.cli._bench_child import Context, run
from pyaudit.cli._subinterpreters import NotAvailable, Subinterpreters

LOOP = ("import sys\n"
        "audit = sys.audit\n"
        "for _ in range(%d):\n"
        "    audit('zz.miss', 1)\n")
# Raised once in each interpreter to check that the hook sees its events.
PROBE_EVENT = "ctypes.bench_probe"


def own_gil_interpreters():
    """Subinterpreters with a GIL of their own, or NotOnThisPython."""
    try:
        interpreters = Subinterpreters()
    except NotAvailable as exc:
        raise configs.NotOnThisPython(str(exc)) from None
    if not interpreters.own_gil:        # they share the one GIL
        raise configs.NotOnThisPython(
            "own-GIL subinterpreters, which CPython has from 3.12 "
            "(this is %d.%d)" % sys.version_info[:2])
    return interpreters


def throughput(interpreters, count, events):
    """Events per second with ``count`` interpreters raising ``events``
    each at once."""
    ids = [interpreters.create() for _ in range(count)]
    try:
        for interp in ids:
            interpreters.run(interp, LOOP % 10)      # warm up
        elapsed = interpreters.start(
            [(interp, LOOP % events) for interp in ids]).join()
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
    counter = configs._planned(
        lambda: pyaudit.count(configs.SECURITY_FILTER, interpreters="all"),
        "pyaudit.count(..., interpreters='all') (subscriptions that see "
        "own-GIL subinterpreters)")
    # The harness checks that the hook does see their events.
    interp = interpreters.create()
    try:
        interpreters.run(interp, "import sys; sys.audit(%r)"
                         % (PROBE_EVENT,))
    finally:
        interpreters.destroy(interp)
    if counter.counts().get(PROBE_EVENT) != 1:
        raise configs.MissingFeature(
            "a hook that sees own-GIL subinterpreters' events (%r raised "
            "in one was not counted)" % (PROBE_EVENT,))


def main(argv):
    subject, events = argv[0], int(argv[1])
    interpreters = own_gil_interpreters()
    set_up(subject, interpreters)
    if events == 0:     # a probe
        return
    one = throughput(interpreters, 1, events)
    two = throughput(interpreters, 2, events)
    print(json.dumps({"subject": subject, "one": one, "two": two}))


if __name__ == "__main__":
    run(sys.argv[1:], main)
