"""``pyaudit.log_to``: send matching audit events to a ``logging`` logger.

Each event becomes one record, logged from the thread that raised it:

    message   "audit event %s %r" % (name, args)   (formatted lazily)
    extra     record.audit_event  the event name
              record.audit_args   the event's own args tuple

The record's ``thread``/``threadName`` are those of the raising thread, and
its ``pathname``/``lineno``/``funcName`` those of the code that raised the
event: the innermost Python frame outside pyaudit and logging (for an
event raised inside the standard library, such as ``shutil.rmtree``, that
is the library's frame).  pyaudit finds that frame itself rather than
through ``stacklevel``, whose count would depend on the backend (the
pure-Python one adds frames) and on the Python version.

Logging raises audit events of its own (``sys._getframe`` when finding the
caller, ``open`` when a FileHandler opens its file, ...).  They cannot loop
back: the record is logged inside a watch callback, and events a thread
raises while one of its watch callbacks runs are not delivered to watch
callbacks again.  Handlers that run on another thread (a QueueListener)
are outside that guard: what they raise there is logged like any event.
"""

import os
import sys

# logging.INFO.  logging itself is imported on first use, not with pyaudit:
# importing it costs milliseconds of start-up.
INFO = 20
STANDARD_LEVELS = "CRITICAL, ERROR, WARNING, INFO, DEBUG, NOTSET"

# pyaudit's frames have a co_filename starting so (the import system sets a
# module's co_filename to its __file__).
_PYAUDIT_DIR = os.path.dirname(__file__) + os.sep


def _check_level(level):
    """``level`` as an int: an int, or the name of a registered level."""
    import logging
    if isinstance(level, bool) or not isinstance(level, (int, str)):
        raise TypeError("level must be an int or a level name str, not %s"
                        % type(level).__name__)
    if isinstance(level, int):
        return level
    number = logging.getLevelName(level)    # a registered name gives its int
    if not isinstance(number, int):
        hint = ""
        if isinstance(logging.getLevelName(level.upper()), int):
            hint = " (did you mean %r?)" % level.upper()
        raise ValueError("unknown logging level %r%s; use an int or a "
                         "registered level name such as %s"
                         % (level, hint, STANDARD_LEVELS))
    return number


def _check_logger(logger):
    """``logger`` as a Logger: a Logger, or a name for logging.getLogger."""
    import logging
    if isinstance(logger, logging.Logger):
        return logger
    if isinstance(logger, str):
        return logging.getLogger(logger)
    raise TypeError("logger must be a logging.Logger or a logger name str, "
                    "not %s" % type(logger).__name__)


def _caller(logging_dir):
    """(pathname, lineno, funcName) of the innermost frame outside pyaudit
    and logging, as ``Logger.findCaller`` reports a caller.  One
    ``sys._getframe`` call, as findCaller itself makes."""
    frame = sys._getframe(1)
    while frame is not None:
        code = frame.f_code
        if not code.co_filename.startswith((_PYAUDIT_DIR, logging_dir)):
            return code.co_filename, frame.f_lineno, code.co_name
        frame = frame.f_back
    return "(unknown file)", 0, "(unknown function)"


def log_to(patterns, logger="pyaudit", level=INFO, *, where=None,
           scoped=False):
    """Log every event matching ``patterns`` to ``logger`` at ``level``.

    ``logger`` is a ``logging.Logger`` or a name (default "pyaudit");
    ``level`` an int (default ``logging.INFO``) or a registered level
    name such as "WARNING"; ``where`` conditions on the arguments as for
    ``pyaudit.watch``.  Returns the ``pyaudit.watch`` Subscription: close
    it to stop.
    """
    from . import _default  # the package's default API, set up after import

    import logging
    level = _check_level(level)
    logger = _check_logger(logger)
    logging_dir = os.path.dirname(logging.__file__) + os.sep

    def log_event(name, args):
        # What Logger.log does, with the caller found by _caller.
        if logger.isEnabledFor(level):
            pathname, lineno, function = _caller(logging_dir)
            logger.handle(logger.makeRecord(
                logger.name, level, pathname, lineno, "audit event %s %r",
                (name, args), None, function,
                {"audit_event": name, "audit_args": args}))

    # user -> log_to -> watch_from -> _subscribe -> check_patterns
    return _default.watch_from(patterns, log_event, stacklevel=4,
                               where=where, scoped=scoped)
