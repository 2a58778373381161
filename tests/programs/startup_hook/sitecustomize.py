"""Put on PYTHONPATH by test_run_as_python: records the start-up events
plain python raises, to compare them with pyaudit run's.  Writes one JSON
line per event named in PYAUDIT_TEST_EVENTS to PYAUDIT_TEST_RECORD."""

import json
import os
import sys

_names = frozenset(os.environ["PYAUDIT_TEST_EVENTS"].split(","))
_record = open(os.environ["PYAUDIT_TEST_RECORD"], "a")


def _plain(value):
    if isinstance(value, (str, int, type(None))):
        return value
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, type(_plain.__code__)):
        return "<code %s>" % value.co_filename
    return "<%s>" % type(value).__name__


def _hook(name, args):
    if name in _names:
        _record.write(json.dumps({"event": name,
                                  "args": [_plain(a) for a in args]}) + "\n")
        _record.flush()


sys.addaudithook(_hook)
