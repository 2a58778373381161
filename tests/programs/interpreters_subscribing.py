"""Child program: several interpreters subscribing and closing at once,
all of them raising events meanwhile.

    python interpreters_subscribing.py SUBINTERPRETERS CYCLES

The main interpreter opens a count of every interpreter's "sub.*" events,
then it and SUBINTERPRETERS subinterpreters (a GIL of their own from
3.12, on a thread each) run CYCLES cycles at once: open a subscription
(count, record, watch or deny of their own events, or a count or record
of every interpreter's), raise events "sub.<index>.e" (and a denied
one), check that the subscription got exactly those of its own name, and
close it.  Prints one JSON object: per interpreter its cycles, the events
of each name it raised and the cycles whose check failed (a few, shown);
and the main interpreter's count of every interpreter.
"""

import json
import sys

from interpreter_reports import Reports, subinterpreters_or_skip

import pyaudit

CODE = """
import sys, warnings
import pyaudit
warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
index, cycles = %(index)d, %(cycles)d
name, denied = "sub.%%d.e" %% index, "sub.%%d.denied" %% index
RAISED = 5
raised = {name: 0, denied: 0}
failures = []


def raise_some(cycle):
    for k in range(RAISED):
        sys.audit(name, index, cycle, k)
    raised[name] += RAISED


def expected_args(cycle):
    return [(index, cycle, k) for k in range(RAISED)]


def one_cycle(cycle):
    kind = cycle %% 6
    if kind == 0:
        with pyaudit.count("sub.*") as counter:
            raise_some(cycle)
        return counter.counts() == {name: RAISED}
    if kind == 1:
        with pyaudit.record("sub.*") as recorder:
            raise_some(cycle)
        events = recorder.drain()
        return ([e.args for e in events] == expected_args(cycle)
                and {e.interpreter_id for e in events} == {%(id)d})
    if kind == 2:
        seen = []
        with pyaudit.watch("sub.*", lambda n, a: seen.append(a)):
            raise_some(cycle)
        return seen == expected_args(cycle)
    if kind == 3:
        with pyaudit.deny(denied):
            raise_some(cycle)
            raised[denied] += 1
            try:
                sys.audit(denied, index)
            except pyaudit.Denied:
                return True
        return False
    if kind == 4:
        with pyaudit.count("sub.*", interpreters="all") as counter:
            raise_some(cycle)
        return counter.counts().get(name) == RAISED
    with pyaudit.record("sub.*", interpreters="all") as recorder:
        raise_some(cycle)
    mine = [e.args for e in recorder.drain() if e.name == name]
    return mine == expected_args(cycle)


for cycle in range(cycles):
    if not one_cycle(cycle) and len(failures) < 5:
        failures.append(cycle)
report({"raised": raised, "failures": failures, "cycles": cycles})
"""


def main():
    count, cycles = int(sys.argv[1]), int(sys.argv[2])
    interpreters = subinterpreters_or_skip()
    reports = Reports()
    with pyaudit.count("sub.*", interpreters="all") as counter:
        interps = [interpreters.create() for _ in range(count)]
        ids = [0] + [interpreters.id_of(interp) for interp in interps]

        def code(index):
            return reports.prelude(str(index)) + CODE % {
                "index": index, "cycles": cycles, "id": ids[index]}
        running = interpreters.start(
            [(interp, code(index))
             for index, interp in enumerate(interps, start=1)])
        exec(code(0), {})
        running.join()
        for interp in interps:
            interpreters.destroy(interp)
        counts = counter.counts()
    print(json.dumps({"counts": counts, "interpreters": [
        reports.read(str(index)) for index in range(count + 1)]}))
    reports.remove()


if __name__ == "__main__":
    main()
