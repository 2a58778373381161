"""Child program: subscriptions of every interpreter, made in the main
interpreter, receiving events of subinterpreters running at once.

    python interpreters_all.py SUBINTERPRETERS

The main interpreter opens a count and two recorders of every
interpreter's "all.*" events (one keeping 2 frames of stack), then it and
SUBINTERPRETERS subinterpreters (a GIL of their own from 3.12, each on a
thread of its own; none imports pyaudit) raise, at once, "all.values" with
args of every kind, "all.deep" with a tuple nested 10 deep and
"all.order" with (index, k) 500 times.

An event of another interpreter reaches the main interpreter flattened to
plain data (csrc/xdata.h); flattened() below is that rule in Python, the
reference the drained args are held to.  Prints one JSON object: per
interpreter (index 0 is the main one) its id, what it reported (thread,
line and file of the raise) and what the main interpreter drained of its
events (names, ids, threads, stacks; for a subinterpreter ascii() and the
types of the args and of the reference; for the main one whether the
args are its own objects), and the counts.
"""

import json
import sys

from interpreter_reports import Reports, subinterpreters_or_skip

import pyaudit

# Builds ARGS (and DEEP) in whichever interpreter runs it.
VALUES = """
class Thing:
    def __repr__(self):
        return "Thing()"


class BadRepr:
    def __repr__(self):
        raise ValueError("no repr")


class Text(str):
    pass


DEEP = "x"
for _ in range(10):
    DEEP = (DEEP,)
ARGS = ("text", b"bytes", 7, -2 ** 70, -1.5, None, True, False,
        ("nested", (1, [2, 3])), [4, 5], {"a": 1}, Thing(), BadRepr(),
        "\\udcff", float("inf"), Text("sub"), 2 ** 63 - 1, -2 ** 63)
"""

RAISE = VALUES + """
import sys, threading
line = sys._getframe().f_lineno + 1
sys.audit("all.values", *ARGS)
sys.audit("all.deep", DEEP)
for k in range(500):
    sys.audit("all.order", %(index)d, k)
report({"thread": threading.get_ident(), "line": line,
        "file": sys._getframe().f_code.co_filename})
"""

MAX_DEPTH = 8       # as csrc/xdata.c


def flattened(value, depth=0):
    """value as an event of another interpreter carries it."""
    if value is None:
        return value
    for plain in (bool, int, float, str, bytes):    # subclasses too
        if isinstance(value, plain):
            return plain(value)
    if isinstance(value, (tuple, list)) and depth < MAX_DEPTH:
        return tuple(flattened(item, depth + 1) for item in value)
    try:
        return repr(value)
    except Exception:
        return "<%s object (repr failed)>" % type(value).__name__


def describe(events, interp_id, reports, index, stacked):
    """What the test compares of one interpreter's drained events."""
    return {
        "id": interp_id, "report": reports.read(str(index)),
        "names": [event.name for event in events],
        "ids": sorted({event.interpreter_id for event in events}),
        "threads": sorted({event.thread_id for event in events}),
        "order": [list(event.args) for event in events
                  if event.name == "all.order"],
        "stacks": [event.stack for event in events],
        "with_stack": [list(map(list, event.stack)) for event in stacked
                       if event.interpreter_id == interp_id],
    }


def main():
    count = int(sys.argv[1])
    interpreters = subinterpreters_or_skip()
    reports = Reports()
    reference = {}
    exec(VALUES, reference)
    expected = [flattened(reference["ARGS"]),
                flattened((reference["DEEP"],))]
    in_main = {}
    with pyaudit.count("all.*", interpreters="all") as counter, \
            pyaudit.record("all.*", interpreters="all") as recorder, \
            pyaudit.record("all.values", interpreters="all",
                           stack=2) as with_stack:
        interps = [interpreters.create() for _ in range(count)]
        running = interpreters.start(
            [(interp, reports.prelude(str(index)) + RAISE % {"index": index})
             for index, interp in enumerate(interps, start=1)])
        exec(reports.prelude("0") + RAISE % {"index": 0}, in_main)
        running.join()
        ids = [0] + [interpreters.id_of(interp) for interp in interps]
        for interp in interps:
            interpreters.destroy(interp)
    events = recorder.drain()
    stacked = with_stack.drain()
    result = {"counts": counter.counts(), "interpreters": []}
    for index, interp_id in enumerate(ids):
        mine = [event for event in events if event.interpreter_id == interp_id]
        entry = describe(mine, interp_id, reports, index, stacked)
        values = [event.args for event in mine[:2]]
        if index == 0:
            # The main interpreter's own events keep their own objects.
            entry["same_objects"] = (
                len(values) == 2
                and all(a is b for a, b in zip(values[0], in_main["ARGS"]))
                and values[1][0] is in_main["DEEP"])
        else:
            entry["args"] = [ascii(args) for args in values]
            entry["expected"] = [ascii(args) for args in expected]
            entry["equal"] = values == expected
            entry["types"] = [type(arg).__name__ for arg in values[0]]
            entry["expected_types"] = [type(arg).__name__
                                       for arg in expected[0]]
        result["interpreters"].append(entry)
    reports.remove()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
