"""What the interpreter tests' child programs share: this Python's
subinterpreters, and reports that code run in them writes back.

    interpreters = subinterpreters_or_skip()
    reports = Reports()
    interpreters.run(interp, reports.prelude("first") + code)
    reports.read("first")       # what code gave to report(...)

A subinterpreter shares no Python object with the main interpreter, so
its code calls ``report(value)`` (defined by the prelude), which writes
value as JSON to a file of the reports' directory.
"""

import json
import os
import shutil
import sys
import tempfile

from pyaudit.cli._subinterpreters import NotAvailable, Subinterpreters


def subinterpreters_or_skip():
    """Subinterpreters, or print {"skip": why} and exit."""
    try:
        return Subinterpreters()
    except NotAvailable as exc:
        print(json.dumps({"skip": str(exc)}))
        sys.exit(0)


class Reports:
    """A temporary directory holding one JSON report per name."""

    def __init__(self):
        self.directory = tempfile.mkdtemp(prefix="pyaudit-interpreters-")

    def _path(self, name):
        return os.path.join(self.directory, name + ".json")

    def prelude(self, name):
        """Code defining report(value), which writes the report name."""
        return ("def report(value, _path=%r):\n"
                "    import json\n"
                "    with open(_path, 'w') as out:\n"
                "        json.dump(value, out)\n" % self._path(name))

    def read(self, name):
        with open(self._path(name)) as report:
            return json.load(report)

    def remove(self):
        shutil.rmtree(self.directory)
