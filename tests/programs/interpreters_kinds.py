"""Child program: every kind of subscription inside subinterpreters, all
interpreters raising the same event names at once.

    python interpreters_kinds.py SUBINTERPRETERS

The main interpreter and SUBINTERPRETERS subinterpreters (a GIL of their
own from 3.12, each on a thread of its own) run the same code at once:
import pyaudit, open watch, record, count, deny and log_to subscriptions
on "kinds.*", list pyaudit.subscriptions(), raise "kinds.raised" with args
(their index, k) a number of times that differs per interpreter, one
denied event, and report what each subscription got and what a Filter
says.  Prints one JSON object: {"ids": [interpreter id, ...], "reports":
[report, ...]}, index 0 being the main interpreter.
"""

import json
import sys

from interpreter_reports import Reports, subinterpreters_or_skip

CODE = """
import logging, sys, warnings
import pyaudit
warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
index, times = %(index)d, %(times)d


class Keep(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append([record.audit_event, list(record.audit_args)])


logger = logging.getLogger("kinds.%%d" %% index)
logger.propagate = False
logger.setLevel(logging.INFO)
keep = Keep()
logger.addHandler(keep)
watched = []
with pyaudit.watch("kinds.*", lambda name, args: watched.append(
            [name, list(args)])), \\
        pyaudit.record("kinds.*") as recorder, \\
        pyaudit.count("kinds.*") as counter, \\
        pyaudit.deny("kinds.denied"), \\
        pyaudit.log_to("kinds.*", logger=logger):
    listed = [[info.kind, list(info.patterns), info.interpreters]
              for info in pyaudit.subscriptions()]
    for k in range(times):
        sys.audit("kinds.raised", index, k)
    try:
        sys.audit("kinds.denied", index)
    except pyaudit.Denied as exc:
        denied = [exc.event, list(exc.event_args),
                  isinstance(exc, PermissionError)]
    else:
        denied = None
    recorded = [[event.name, list(event.args), event.interpreter_id]
                for event in recorder.drain()]
    counts = counter.counts()
matches = pyaudit.Filter("kinds.*, !kinds.denied")
report({"backend": pyaudit.backend, "listed": listed, "watched": watched,
        "recorded": recorded, "counts": counts, "denied": denied,
        "logged": keep.records,
        "filter": [matches.matches("kinds.raised"),
                   matches.matches("kinds.denied"),
                   matches.matches("other.raised")],
        "listed_after": len(pyaudit.subscriptions())})
"""


def times_for(index):
    """How many events interpreter index raises."""
    return 2000 + 100 * index


def main():
    count = int(sys.argv[1])
    interpreters = subinterpreters_or_skip()
    reports = Reports()
    interps = [interpreters.create() for _ in range(count)]
    jobs = [(interp, reports.prelude(str(index))
             + CODE % {"index": index, "times": times_for(index)})
            for index, interp in enumerate(interps, start=1)]
    running = interpreters.start(jobs)
    namespace = {}
    exec(reports.prelude("0") + CODE % {"index": 0, "times": times_for(0)},
         namespace)
    running.join()
    ids = [0] + [interpreters.id_of(interp) for interp in interps]
    for interp in interps:
        interpreters.destroy(interp)
    print(json.dumps({"ids": ids, "reports": [reports.read(str(index))
                                              for index in range(count + 1)]}))
    reports.remove()


if __name__ == "__main__":
    main()
