"""An event name that is not valid UTF-8, raised from C (PySys_Audit with
any bytes), reaches every kind of subscription, decoded with
surrogateescape, and never makes the audited call fail.

    python non_utf8_event_names.py

(Native backend only: any audit hook written in Python makes CPython
decode the name itself, and the call then fails with UnicodeDecodeError
whatever pyaudit does.)  Prints one JSON object.
"""

import ctypes
import json
import logging

import pyaudit
from pyaudit.capi import ffi, lib

RAW = b"non_utf8.\xff\xfe"
NAME = RAW.decode("utf-8", "surrogateescape")
PATTERNS = "non_utf8.*"


def raise_from_c():
    audit = ctypes.pythonapi.PySys_Audit
    audit.restype = ctypes.c_int
    audit(ctypes.c_char_p(RAW), ctypes.c_char_p(None))


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.names = []

    def emit(self, record):
        self.names.append(record.audit_event)


def main():
    watched, sunk = [], []
    handler = Collect()
    logger = logging.getLogger("non_utf8")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    @ffi.callback("pyaudit_sink_fn")
    def sink(event, args, userdata):
        sunk.append(ffi.string(event))
        return 0

    assert lib.pyaudit_subscribe(PATTERNS.encode(), sink, ffi.NULL) > 0
    counter = pyaudit.count(PATTERNS)
    recorder = pyaudit.record(PATTERNS)
    pyaudit.watch(PATTERNS, lambda name, args: watched.append(name))
    pyaudit.log_to(PATTERNS, logger=logger)
    raise_from_c()
    with pyaudit.deny(PATTERNS):
        try:
            raise_from_c()
            denied = None
        except pyaudit.Denied as exc:
            denied = exc.event
    expected = [NAME, NAME]
    print(json.dumps({
        "count": counter.counts() == {NAME: 2},
        "record": [event.name for event in recorder.drain()] == expected,
        "watch": watched == expected,
        "log_to": handler.names == expected,
        "sink": sunk == [RAW, RAW],
        "deny": denied == NAME,
    }))


main()
