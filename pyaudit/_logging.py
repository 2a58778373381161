"""``pyaudit.log_to``: send matching audit events to a ``logging`` logger.

Each event becomes one record, logged from the thread that raised it:

    message   "audit event %s %r" % (name, args)   (formatted lazily)
    extra     record.audit_event  the event name
              record.audit_args   the event's own args tuple

The record's ``thread``/``threadName`` are those of the raising thread.

Logging raises audit events of its own (``sys._getframe`` when finding the
caller, ``open`` when a FileHandler opens its file, ...).  They cannot loop
back: the record is logged inside a watch callback, and events a thread
raises while one of its watch callbacks runs are not delivered to watch
callbacks again.  Handlers that run on another thread (a QueueListener)
are outside that guard: what they raise there is logged like any event.
"""

# logging.INFO.  logging itself is imported on first use, not with pyaudit:
# importing it costs milliseconds of start-up.
INFO = 20
STANDARD_LEVELS = "CRITICAL, ERROR, WARNING, INFO, DEBUG, NOTSET"


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


def log_to(patterns, logger="pyaudit", level=INFO, where=None):
    """Log every event matching ``patterns`` to ``logger`` at ``level``.

    ``logger`` is a ``logging.Logger`` or a name (default "pyaudit");
    ``level`` an int (default ``logging.INFO``) or a registered level
    name such as "WARNING"; ``where`` conditions on the arguments as for
    ``pyaudit.watch``.  Returns the ``pyaudit.watch`` Subscription: close
    it to stop.
    """
    from . import _default  # the package's default API, set up after import

    level = _check_level(level)
    logger = _check_logger(logger)

    def log_event(name, args):
        if logger.isEnabledFor(level):
            logger.log(level, "audit event %s %r", name, args,
                       extra={"audit_event": name, "audit_args": args})

    # user -> log_to -> watch_from -> _subscribe -> check_patterns
    return _default.watch_from(patterns, log_event, where, stacklevel=4)
