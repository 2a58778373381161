"""Tracing a process's audit events for ``pyaudit run``.

The modules here run inside the traced program (the process ``pyaudit
run`` starts, and every child Python process it follows), so they import
only what ``python`` itself has imported at start-up: ``os``, ``sys``,
``time`` and pyaudit's own modules.  Everything else waits until an
event needs it, or until the process exits.

    defaults   the default event selection
    config     what to trace and where to write, passed to children in
               the PYAUDIT_RUN environment variable
    output     pyaudit's private output file descriptor
    values     event arguments as short text and as JSON
    decode     names for the integers in some arguments (open flags, ...)
    formats    jsonl and text lines
    tracer     subscribing, the callback, fork and exec
    child      starting a tracer in a child process (pyaudit._autostart)
    summary    the --summary table
"""
