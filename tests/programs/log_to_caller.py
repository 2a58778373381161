"""Child program: which file, line and function ``pyaudit.log_to``'s
records name for events raised from this file's functions, from a function
of the standard library (shutil) and on another thread.

Prints one JSON object: {"records": [[pathname, lineno, funcName], ...],
"expected": [...]}, in the order the events were raised.
"""

import json
import logging
import os
import shutil
import sys
import tempfile
import threading

import pyaudit


class Keep(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def line_below():
    """The line after the caller's line."""
    return sys._getframe(1).f_lineno + 1


def raise_with_sys_audit():
    where = [__file__, line_below(), "raise_with_sys_audit"]
    sys.audit("log_to_caller.event", 1)
    return where


def open_for_writing(path):
    where = [__file__, line_below(), "open_for_writing"]
    open(path, "w").close()
    return where


def remove_tree(path):
    os.mkdir(path)
    shutil.rmtree(path)
    # The innermost Python frame is shutil's own rmtree.
    code = shutil.rmtree.__code__
    return [code.co_filename, None, code.co_name]


def on_a_thread():
    result = []

    def body():
        result.append([__file__, line_below(), "body"])
        sys.audit("log_to_caller.event", 2)

    thread = threading.Thread(target=body)
    thread.start()
    thread.join()
    return result[0]


def main():
    logger = logging.getLogger("log_to_caller")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    keep = Keep()
    logger.addHandler(keep)
    directory = tempfile.mkdtemp()
    expected = []
    with pyaudit.log_to("log_to_caller.event, open, shutil.rmtree", logger):
        expected.append(raise_with_sys_audit())
        expected.append(open_for_writing(os.path.join(directory, "f")))
        expected.append(remove_tree(os.path.join(directory, "d")))
        expected.append(on_a_thread())
    os.remove(os.path.join(directory, "f"))
    os.rmdir(directory)
    records = [[r.pathname, r.lineno, r.funcName] for r in keep.records
               if r.audit_event != "open" or r.audit_args[1] == "w"]
    print(json.dumps({"records": records, "expected": expected}))


if __name__ == "__main__":
    main()
