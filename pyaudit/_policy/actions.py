"""What log and warn rules do with a matching event: one ``logging``
record, made on the thread that raised the event.

    message   '<policy> rule 2 ("name"): audit event open (...) at
              app.py:12 in main'; a warn rule says "would deny audit
              event" instead; with stack = N, up to N callers, innermost
              first, joined by " <- "
    record    pathname, lineno and funcName: the innermost frame outside
              pyaudit (as for pyaudit.log_to)
    extra     audit_event, audit_args (the args tuple itself),
              audit_policy, audit_rule, audit_action ("log" or "warn"),
              audit_stack (the frames, as (file, line, function))

Frames are found from a caught exception's traceback rather than with
``sys._getframe``, which raises an audit event of its own.  Records are
made inside a watch callback, so events that logging and its handlers
raise on the same thread are never delivered to log rules again (see
pyaudit.log_to).
"""

import os

ARGS_SHOWN = 200        # characters of repr(args) in a message
_PYAUDIT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))) + os.sep
_UNKNOWN = ("(unknown file)", 0, "(unknown function)")


def callers(depth):
    """Up to ``depth`` (file, line, function) of the frames outside
    pyaudit that lead to the running event, innermost first."""
    if depth <= 0:
        return []
    try:
        raise RuntimeError
    except RuntimeError as exc:
        frame = exc.__traceback__.tb_frame
    frames = []
    while frame is not None and len(frames) < depth:
        code = frame.f_code
        if not code.co_filename.startswith(_PYAUDIT_DIR):
            frames.append((code.co_filename, frame.f_lineno, code.co_name))
        frame = frame.f_back
    return frames


def short_repr(args):
    try:
        shown = repr(args)
    except Exception as exc:
        return "(<repr failed: %s>)" % type(exc).__name__
    if len(shown) > ARGS_SHOWN:
        shown = shown[:ARGS_SHOWN - 3] + "..."
    return shown


def logging_callback(policy_name, rule_label, action, options):
    """The watch callback of a log or warn rule."""
    import logging
    logger = logging.getLogger(options["logger"])
    level = options["level"]
    depth = options["stack"]
    verb = "would deny audit event" if action == "warn" else "audit event"

    def on_event(name, args):
        # Never raises: reporting must not make the audited operation
        # fail (logging's handlers report their own errors).
        try:
            if not logger.isEnabledFor(level):
                return
            frames = callers(depth)
            pathname, lineno, function = frames[0] if frames else _UNKNOWN
            where = " <- ".join("%s:%s in %s" % frame for frame in frames)
            logger.handle(logger.makeRecord(
                logger.name, level, pathname, lineno, "%s %s: %s %s %s%s",
                (policy_name, rule_label, verb, name, short_repr(args),
                 " at " + where if where else ""), None, function,
                {"audit_event": name, "audit_args": args,
                 "audit_policy": policy_name, "audit_rule": rule_label,
                 "audit_action": action, "audit_stack": frames}))
        except Exception:
            pass
    return on_event
