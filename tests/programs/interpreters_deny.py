"""Child program: a deny of every interpreter, made in the main
interpreter, refusing events raised in subinterpreters.

    python interpreters_deny.py

The main interpreter denies "deny.*" and "os.mkdir" for every
interpreter.  Two subinterpreters (a GIL of their own from 3.12, on a
thread each, at once), one that never imports pyaudit and one that does,
raise "deny.short", "deny.long" (args longer than a denial shows) and call
os.mkdir, and report for each the exception's type (and whether it is
that interpreter's own PermissionError), message, the frame that raised
it, and whether the code after it ran; and whether the directory exists.
The main interpreter does the same.  Prints one JSON object:
{"reports": {"main": ..., "plain": ..., "with_pyaudit": ...}}, each with
the messages pyaudit._errors.denial_message makes for those events and
frames, computed in the main interpreter.
"""

import json
import os

from interpreter_reports import Reports, subinterpreters_or_skip

import pyaudit
from pyaudit._errors import denial_message

CODE = """
import os, sys
%(imports)s
LONG = ("x" * 80, list(range(30)))


def attempt(action):
    try:
        action()
    except BaseException as exc:
        tb = exc.__traceback__
        while tb.tb_next is not None:
            tb = tb.tb_next
        code = tb.tb_frame.f_code
        return {"type": type(exc).__module__ + "." + type(exc).__qualname__,
                "builtin": type(exc) is PermissionError,
                "permission": isinstance(exc, PermissionError),
                "message": str(exc),
                "frame": [code.co_filename, tb.tb_lineno, code.co_name]}
    return {"ran": True}


def short():
    sys.audit("deny.short", 1, "two")


def long():
    sys.audit("deny.long", *LONG)


def mkdir():
    os.mkdir(%(directory)r)


report({"short": attempt(short), "long": attempt(long),
        "mkdir": attempt(mkdir), "long_args": LONG,
        "made": os.path.exists(%(directory)r)})
"""

VARIANTS = (("main", "import pyaudit"), ("plain", ""),
            ("with_pyaudit", "import pyaudit"))


def main():
    interpreters = subinterpreters_or_skip()
    reports = Reports()

    def code(name, imports):
        return reports.prelude(name) + CODE % {
            "imports": imports,
            "directory": os.path.join(reports.directory, name)}
    with pyaudit.deny("deny.*, os.mkdir", interpreters="all"):
        interps = [interpreters.create() for _ in VARIANTS[1:]]
        running = interpreters.start(
            [(interp, code(name, imports))
             for interp, (name, imports) in zip(interps, VARIANTS[1:])])
        exec(code(*VARIANTS[0]), {})
        running.join()
        for interp in interps:
            interpreters.destroy(interp)
    result = {}
    for name, _ in VARIANTS:
        report = reports.read(name)
        args = {"short": (1, "two"), "long": tuple(report["long_args"]),
                "mkdir": (os.path.join(reports.directory, name), 0o777, -1)}
        for event, attempt in (("short", "deny.short"),
                               ("long", "deny.long"),
                               ("mkdir", "os.mkdir")):
            outcome = report[event]
            if "frame" in outcome:
                outcome["expected"] = denial_message(
                    attempt, args[event], tuple(outcome["frame"]))
        result[name] = report
    reports.remove()
    print(json.dumps({"reports": result}))


if __name__ == "__main__":
    main()
