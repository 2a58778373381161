"""The two output formats, one line per event.

Both are called as ``format(name, args, time_ns, thread_id, caller,
denied)`` and read the process's pid and ppid from the shared
``Process``; ``denied`` says that a policy refuses the event.

jsonl: one JSON object per line, keys ``event``, ``args`` (``json_safe``),
``time_ns``, ``thread`` (``threading.get_ident()``), ``pid``, ``ppid`` and
``caller`` ("file:line in function", or null), and ``"denied": true`` for
a refused event.

text: local time, pid, thread (``main``, then T1, T2, ... in the order
threads first raise an event), event name, arguments (each cut on its own
to ``max_arg_len`` characters with a marker, integers people cannot read
decoded next to them) and ``@ caller``, the file relative to the working
directory pyaudit started in when it lies under it; ``DENIED`` ends the
line of a refused event.
"""

import os
import time

from .values import json_string, json_text, short_repr

NAME_WIDTH = 24         # event names are padded to this in text lines


class Process:
    """Who is raising the events: updated in a child after ``fork``."""

    __slots__ = ("pid", "ppid", "main_thread")

    def __init__(self, pid, ppid, main_thread):
        self.pid = pid
        self.ppid = ppid
        self.main_thread = main_thread


class Jsonl:
    def __init__(self, process):
        self.process = process

    def __call__(self, name, args, time_ns, thread_id, caller,
                 denied=False):
        process = self.process
        return ('{"event": %s, "args": %s, "time_ns": %d, "thread": %d, '
                '"pid": %d, "ppid": %d, "caller": %s%s}\n' % (
                    json_string(name), json_text(args), time_ns,
                    thread_id, process.pid, process.ppid,
                    "null" if caller is None else json_string(caller),
                    ', "denied": true' if denied else ""))

    def after_fork(self):
        pass


class Text:
    def __init__(self, process, colour=False, max_arg_len=0, cwd=None):
        from . import decode        # only text lines need it
        self._decode = decode
        self.process = process
        self.max_arg_len = max_arg_len
        self._cwd = (cwd or os.getcwd()).rstrip(os.sep) + os.sep
        self._labels = {}
        self._second = None         # (second, "HH:MM:SS") last formatted
        if colour:      # dim time, pid, thread and caller; bold cyan name
            self._dim, self._bold, self._reset = (
                "\x1b[2m", "\x1b[1;36m", "\x1b[0m")
            self._alert = "\x1b[1;31m"     # bold red DENIED
        else:
            self._dim = self._bold = self._reset = self._alert = ""

    def after_fork(self):
        self._labels = {}

    def _thread_label(self, thread_id):
        if thread_id == self.process.main_thread:
            return "main"
        label = self._labels.get(thread_id)
        if label is None:
            label = self._labels[thread_id] = "T%d" % (len(self._labels) + 1)
        return label

    def _clock(self, time_ns):
        seconds, ns = divmod(time_ns, 10 ** 9)
        if self._second is None or self._second[0] != seconds:
            self._second = (seconds, time.strftime(
                "%H:%M:%S", time.localtime(seconds)))
        return "%s.%06d" % (self._second[1], ns // 1000)

    def args_text(self, name, args):
        """The arguments, each shortened on its own, decoded where
        useful."""
        limit = self.max_arg_len
        decode = self._decode
        decoded = name in decode.DECODED_EVENTS
        shown = []
        for position, arg in enumerate(args):
            text = short_repr(arg, limit)
            if decoded:
                readable = decode.describe(name, position, arg)
                if readable:
                    text += " (%s)" % readable
            shown.append(text)
        return ", ".join(shown)

    def caller_text(self, caller):
        if caller.startswith(self._cwd):
            return caller[len(self._cwd):]
        return caller

    def __call__(self, name, args, time_ns, thread_id, caller,
                 denied=False):
        shown = self.args_text(name, args)
        if not name.isprintable():      # keep one event on one line
            name = repr(name)
        line = "%s%s %d %-4s%s %s%s%s" % (
            self._dim, self._clock(time_ns), self.process.pid,
            self._thread_label(thread_id), self._reset, self._bold, name,
            self._reset)
        if shown or caller:
            line += " " * max(1, NAME_WIDTH + 1 - len(name)) + shown
        if caller:
            line += "  %s@ %s%s" % (self._dim, self.caller_text(caller),
                                    self._reset)
        if denied:
            line += "  %sDENIED%s" % (self._alert, self._reset)
        return line + "\n"


def make(config, process):
    if config.format == "text":
        return Text(process, config.colour, config.max_arg_len)
    return Jsonl(process)
