"""``pyaudit.log_to``: matching events become ``logging`` records, with
structured fields, at the level asked for, until the subscription is
closed; logging's own audit events never loop back.

Each test logs to a logger of its own that keeps its records in a list.
"""

import json
import logging
import os
import shutil
import sys
import threading
import uuid

import pytest

import pyaudit
from support import PROGRAMS, check_python


class Collect(logging.Handler):
    """Keeps every record it is given."""

    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def logger():
    """A fresh logger at DEBUG, not propagating, whose records are in
    ``logger.collected.records``."""
    log = logging.getLogger("pyaudit_test." + uuid.uuid4().hex)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    log.collected = Collect()
    log.addHandler(log.collected)
    yield log
    log.removeHandler(log.collected)


def records_of(logger, prefix):
    return [r for r in logger.collected.records
            if r.audit_event.startswith(prefix)]


def test_matching_event_becomes_a_record_with_extra_fields(logger, ename):
    marker = object()
    with pyaudit.log_to(ename + ".*", logger):
        sys.audit(ename + ".hit", 1, "two", marker)
        sys.audit(ename + "_miss", 3)
    (record,) = logger.collected.records
    assert record.name == logger.name
    assert record.levelno == logging.INFO
    assert record.audit_event == ename + ".hit"
    assert record.audit_args == (1, "two", marker)
    assert record.audit_args[2] is marker          # the objects themselves
    assert record.getMessage() == "audit event %s (1, 'two', %r)" % (
        ename + ".hit", marker)
    assert record.thread == threading.get_ident()


def test_returns_the_watch_subscription(logger, ename):
    sub = pyaudit.log_to(ename, logger)
    try:
        assert isinstance(sub, pyaudit.Subscription)
        assert (sub.kind, sub.patterns, sub.active) == ("watch", (ename,),
                                                        True)
        assert sub.patterns in [info.patterns
                                for info in pyaudit.subscriptions()]
    finally:
        sub.close()
    assert not sub.active


def test_closing_stops_logging(logger, ename):
    sub = pyaudit.log_to(ename, logger)
    sys.audit(ename, "before")
    sub.close()
    sys.audit(ename, "after")
    assert [r.audit_args for r in logger.collected.records] == [("before",)]


def test_logger_given_by_name(logger, ename):
    with pyaudit.log_to(ename, logger.name):
        sys.audit(ename)
    assert [r.audit_event for r in logger.collected.records] == [ename]


def test_default_logger_is_named_pyaudit(ename):
    collected = Collect()
    default = logging.getLogger("pyaudit")
    default.addHandler(collected)
    old_level = default.level
    default.setLevel(logging.INFO)
    try:
        with pyaudit.log_to(ename):
            sys.audit(ename, 5)
    finally:
        default.removeHandler(collected)
        default.setLevel(old_level)
    assert [(r.name, r.levelno, r.audit_args) for r in collected.records] == [
        ("pyaudit", logging.INFO, (5,))]


@pytest.mark.parametrize("level, levelno", [
    (logging.DEBUG, logging.DEBUG), (logging.ERROR, logging.ERROR),
    (15, 15), ("WARNING", logging.WARNING), ("CRITICAL", logging.CRITICAL),
])
def test_level(logger, ename, level, levelno):
    with pyaudit.log_to(ename, logger, level=level):
        sys.audit(ename)
    assert [r.levelno for r in logger.collected.records] == [levelno]


def test_records_below_the_logger_level_are_not_made(logger, ename):
    logger.setLevel(logging.WARNING)
    with pyaudit.log_to(ename, logger, level=logging.INFO):
        sys.audit(ename)
    with pyaudit.log_to(ename, logger, level=logging.ERROR):
        sys.audit(ename)
    assert [r.levelno for r in logger.collected.records] == [logging.ERROR]


def test_event_of_another_thread_is_logged_from_it(logger, ename):
    idents = []

    def raise_event():
        idents.append(threading.get_ident())
        sys.audit(ename, "from a thread")

    with pyaudit.log_to(ename, logger):
        thread = threading.Thread(target=raise_event)
        thread.start()
        thread.join()
    (record,) = logger.collected.records
    assert record.thread == idents[0] != threading.get_ident()


@pytest.mark.parametrize("level, error, fragment", [
    ("info", ValueError, "did you mean 'INFO'"),
    ("LOUD", ValueError, "unknown logging level 'LOUD'"),
    ("", ValueError, "unknown logging level ''"),
    (True, TypeError, "not bool"),
    (20.0, TypeError, "not float"),
    (None, TypeError, "not NoneType"),
])
def test_bad_level(logger, ename, level, error, fragment):
    before = pyaudit.subscriptions()
    with pytest.raises(error) as info:
        pyaudit.log_to(ename, logger, level=level)
    assert fragment in str(info.value)
    assert pyaudit.subscriptions() == before


@pytest.mark.parametrize("bad", [None, 5, b"name", logging.Handler()])
def test_bad_logger_is_type_error(ename, bad):
    before = pyaudit.subscriptions()
    with pytest.raises(TypeError, match="logger must be a logging.Logger"):
        pyaudit.log_to(ename, bad)
    assert pyaudit.subscriptions() == before


def test_bad_patterns_are_rejected_like_watch(logger):
    with pytest.raises(ValueError, match="os\\*"):
        pyaudit.log_to("os*", logger)
    with pytest.raises(TypeError):
        pyaudit.log_to(42, logger)


def test_logging_everything_does_not_log_its_own_events(logger, ename,
                                                         tmp_path):
    """Handlers raise audit events (an open, sys.audit), and so does
    logging itself (sys._getframe to find the caller): none of them are
    logged, and logging "*" ends."""
    inner = ename + ".inner"
    log_file = str(tmp_path / "audit.log")
    touched = str(tmp_path / "touched")

    class Noisy(logging.Handler):
        def emit(self, record):
            sys.audit(inner, record.audit_event)
            with open(touched, "a") as f:
                f.write(record.audit_event + "\n")

    noisy = Noisy()
    to_file = logging.FileHandler(log_file, delay=True)   # opens on 1st use
    logger.addHandler(noisy)
    logger.addHandler(to_file)
    try:
        with pyaudit.log_to("*", logger):
            sys.audit(ename + ".outer", 1)
    finally:
        logger.removeHandler(noisy)
        logger.removeHandler(to_file)
        to_file.close()
    names = [r.audit_event for r in logger.collected.records]
    assert names.count(ename + ".outer") == 1
    assert inner not in names
    assert "sys._getframe" not in names
    assert not [r for r in logger.collected.records
                if r.audit_event == "open"
                and r.audit_args[0] in (log_file, touched)]
    with open(log_file) as f:
        assert "audit event %s (1,)" % (ename + ".outer") in f.read()


LOG_EVERYTHING_CHILD = """
import json, logging, os, sys, pyaudit
records = []

class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.audit_event)
        sys.audit("child.inner")
        self.format(record)

log = logging.getLogger("child")
log.setLevel(logging.DEBUG)
log.propagate = False
log.addHandler(Keep())
log.addHandler(logging.StreamHandler(sys.stdout))
with pyaudit.log_to("*", log):
    sys.audit("child.outer")
    os.listdir(".")
print("RESULT", json.dumps(sorted(set(records))))
"""


def test_logging_everything_ends_on_both_backends(backend):
    out = check_python(LOG_EVERYTHING_CHILD, backend=backend)
    result = [line for line in out.splitlines() if line.startswith("RESULT")]
    names = json.loads(result[0][len("RESULT "):])
    assert "child.outer" in names and "os.listdir" in names
    assert "child.inner" not in names and "sys._getframe" not in names


def test_unknown_pattern_warning_points_at_the_callers_line():
    import warnings
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        subscription = pyaudit.log_to("sokcet.connect")
    subscription.close()
    unknown = [w for w in caught
               if issubclass(w.category, pyaudit.UnknownEventWarning)]
    assert len(unknown) == 1
    assert unknown[0].filename == __file__
    assert "socket.connect" in str(unknown[0].message)


def test_records_name_the_code_that_raised_the_event(backend):
    """pathname, lineno and funcName are those of the innermost frame
    outside pyaudit and logging: a function of the program, shutil's own
    rmtree, a thread's function; not pyaudit's callback."""
    out = check_python("import runpy; runpy.run_path(%r, run_name='__main__')"
                       % os.path.join(PROGRAMS, "log_to_caller.py"),
                       backend=backend)
    result = json.loads(out)
    records, expected = result["records"], result["expected"]
    assert len(records) == len(expected) == 4, result
    for record, (pathname, lineno, function) in zip(records, expected):
        assert record[0] == pathname and record[2] == function, result
        if lineno is not None:
            assert record[1] == lineno, result
    shutil_rmtree = records[2]
    assert shutil_rmtree[1] > shutil.rmtree.__code__.co_firstlineno
