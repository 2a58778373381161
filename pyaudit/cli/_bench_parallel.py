"""Interpreters in parallel, for ``pyaudit bench``: one subject per fresh
process.

    python -m pyaudit.cli._bench_parallel SUBJECT EVENTS

Raises EVENTS misses (``zz.miss``) in 1 own-GIL subinterpreter, then in 2
at once, each on its own thread, and prints one JSON object with each
throughput (events per second, all interpreters together).  SUBJECT is
"none", "noop" (the no-op C hook, added once for the whole process),
"pyaudit" (the security filter, subscribed from the main interpreter for
every interpreter), "pyaudit-own" (each subinterpreter imports pyaudit
and subscribes the security filter for itself) or "c=LIB.so:SYMBOL"
(someone else's native hook).

Own-GIL subinterpreters need CPython 3.12 or newer.  Exit status 3 with
one line when this Python or this pyaudit cannot run the case.
"""

import json
import sys

from pyaudit.cli import _bench_configs as configs
from pyaudit.cli._bench_child import Context, run
from pyaudit.cli._subinterpreters import (Failed, NotAvailable,
                                          Subinterpreters)

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


# pyaudit-own: run in each subinterpreter before it is measured; the
# subscription stays open while it raises its events.
SUBSCRIBE_HERE = ("import sys, warnings\n"
                  "import pyaudit\n"
                  "warnings.simplefilter('ignore', "
                  "pyaudit.UnknownEventWarning)\n"
                  "_counter = pyaudit.count(%r)\n"
                  "sys.audit(%r)\n"
                  "assert _counter.counts() == {%r: 1}, _counter.counts()\n"
                  % (configs.SECURITY_FILTER, PROBE_EVENT, PROBE_EVENT))


def throughput(interpreters, count, events, prepare=None):
    """Events per second with ``count`` interpreters raising ``events``
    each at once, each first running ``prepare`` (code) if given."""
    ids = [interpreters.create() for _ in range(count)]
    try:
        for interp in ids:
            if prepare is not None:
                interpreters.run(interp, prepare)
            interpreters.run(interp, LOOP % 10)      # warm up
        elapsed = interpreters.start(
            [(interp, LOOP % events) for interp in ids]).join()
        return count * events / elapsed
    finally:
        for interp in ids:
            interpreters.destroy(interp)


def set_up(subject, interpreters):
    """Install the subject's hook for every interpreter; returns the code
    each measured interpreter runs first, or None."""
    if subject == "none":
        return None
    if subject == "pyaudit-own":
        return check_subscribing_here(interpreters)
    if subject == "noop":
        configs.setup_noop(Context("zz.miss"))
        return None
    if subject.startswith("c="):
        from pyaudit.cli import _bench_hooks
        _bench_hooks.setup_c_hook(subject[2:], Context("zz.miss"))
        return None
    pyaudit = configs._pyaudit()        # the native backend, or SetupError
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
    return None


def check_subscribing_here(interpreters):
    """SUBSCRIBE_HERE, once it is seen to work in a subinterpreter."""
    interp = interpreters.create()
    try:
        interpreters.run(interp, SUBSCRIBE_HERE)
    except Failed as exc:
        raise configs.SetupError(
            "pyaudit imported and subscribing in an own-GIL subinterpreter "
            "failed: %s" % (str(exc).strip().splitlines()[-1],)) from None
    finally:
        interpreters.destroy(interp)
    return SUBSCRIBE_HERE


def main(argv):
    subject, events = argv[0], int(argv[1])
    interpreters = own_gil_interpreters()
    prepare = set_up(subject, interpreters)
    if events == 0:     # a probe
        return
    one = throughput(interpreters, 1, events, prepare)
    two = throughput(interpreters, 2, events, prepare)
    print(json.dumps({"subject": subject, "one": one, "two": two}))


if __name__ == "__main__":
    run(sys.argv[1:], main)
