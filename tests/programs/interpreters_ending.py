"""Child program: a subinterpreter ends while its subscriptions are open,
and another one raises events meanwhile.

    python interpreters_ending.py BUILD_DIRECTORY

Subinterpreter "ending" imports pyaudit and opens, and never closes:
watch, record, count, deny and log_to subscriptions of its own events; a
count, a record and a deny of every interpreter's; and a C sink of every
interpreter's (atomic_sink, compiled into BUILD_DIRECTORY, subscribed
there with the native core's _subscribe_sink).  Its callback, a recorded
argument and the sink's keep-alive object each write their name to a pipe
when they are released.  Subinterpreter "other" raises events on its own
thread all along.  The main interpreter looks at its subscriptions, raises
events, ends "ending", and does it all again.

Prints one JSON object: what was listed and delivered before and after
the end, and what was released.
"""

import json
import os
import sys
import warnings

import atomic_sink
from interpreter_reports import Reports, subinterpreters_or_skip

import pyaudit
import pyaudit.capi as capi

ENDING = """
import os, sys, warnings
import pyaudit
from pyaudit import _pyaudit
warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)


class Marker:
    def __init__(self, name):
        self.name = name

    def __del__(self, _write=os.write, _fd=%(fd)d):
        _write(_fd, (self.name + "\\n").encode())


class Callback:
    # Held by its subscription alone (a function would also be held by a
    # cycle through its module's globals, which the garbage collector of
    # some versions frees later).
    def __init__(self, keep):
        self.keep = keep

    def __call__(self, name, args):
        pass


subs = [pyaudit.watch("end.*", Callback(Marker("watch callback"))),
        pyaudit.record("end.*"),
        pyaudit.count("end.*"), pyaudit.deny("end.denied.here"),
        pyaudit.log_to("end.*"),
        pyaudit.count("end.*", interpreters="all"),
        pyaudit.record("end.*", interpreters="all"),
        pyaudit.deny("end.denied.*", interpreters="all")]
sys.audit("end.recorded", Marker("recorded arg"))
sink = _pyaudit._subscribe_sink(b"end.*", %(address)d, 0,
                                Marker("sink keepalive"), "all")
report({"sink": sink,
        "listed": [[info.id, info.kind, info.interpreters]
                   for info in pyaudit.subscriptions()]})
"""

# Raises events until the stop file exists.
OTHER = """
import os, sys
k = 0
while not os.path.exists(%(stop)r):
    for k in range(k, k + 1000):
        sys.audit("end.other", 2, k)
"""


def listed():
    return [[info.id, info.kind, info.interpreters]
            for info in pyaudit.subscriptions()]


def denied_in_main():
    """What main's "end.denied.main" event does: the exception's type
    name, or None."""
    try:
        sys.audit("end.denied.main", 1)
    except PermissionError as exc:
        return type(exc).__module__ + "." + type(exc).__qualname__
    return None


def main():
    interpreters = subinterpreters_or_skip()
    warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
    sink = atomic_sink.build(sys.argv[1])
    reports = Reports()
    stop = os.path.join(reports.directory, "stop")
    read_end, write_end = os.pipe()
    result = {"own_gil": interpreters.own_gil}
    with pyaudit.count("end.*", interpreters="all") as main_counter:
        result["main_ids"] = [info.id for info in pyaudit.subscriptions()]
        other = interpreters.create()
        running = interpreters.start([(other, OTHER % {"stop": stop})])
        ending = interpreters.create()
        try:
            interpreters.run(ending, reports.prelude("ending") + ENDING % {
                "fd": write_end, "address": atomic_sink.sink_address(sink)})
        except BaseException:
            open(stop, "w").close()     # or "other" never ends
            running.join()
            raise
        result["ending"] = reports.read("ending")
        result["listed_before"] = listed()
        sys.audit("end.main", 1)
        result["sink_main_before"] = sink.lib.sink_count(1)
        result["denied_before"] = denied_in_main()

        interpreters.destroy(ending)
        calls_at_end = sink.lib.sink_calls()
        os.close(write_end)
        with os.fdopen(read_end) as released:
            result["released"] = sorted(released.read().splitlines())
        result["listed_after"] = listed()
        result["unsubscribe"] = [
            capi.lib.pyaudit_unsubscribe(result["ending"]["sink"]),
            capi.last_error()]
        for k in range(1000):
            sys.audit("end.main", 1, k)
        result["denied_after"] = denied_in_main()
        open(stop, "w").close()
        running.join()
        interpreters.destroy(other)
        result["sink_calls_after_end"] = sink.lib.sink_calls() - calls_at_end
        result["main_counts"] = main_counter.counts()
    reports.remove()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
