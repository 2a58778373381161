"""One process's tracer: its subscription, the callback run for each
matching event, and what becomes of both when the process forks or
execs."""

import _thread
import os
import sys
import time

from . import formats
from .defaults import opens_for_writing
from .values import json_string, json_value

PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Every way a process starts a program.  On "os.exec" the private
# standard error of pyaudit run's own process is made inheritable, so that
# the program replacing it (run by the same Python, traced again) writes
# where the old one did; any other of these events makes it close-on-exec
# again (an exec that failed must not leak it into later children).
PROCESS_EVENTS = ("os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen",
                  "os.system", "os.fork", "os.forkpty", "pty.spawn",
                  "_posixsubprocess.fork_exec")


def _core():
    """The core itself: the tracer needs neither the API nor what it
    imports (see pyaudit/__init__.py)."""
    from .. import _core
    return _core


def caller_finder(stop_frame=None, package_dir=PACKAGE_DIR):
    """A function giving "file:line in function" of the innermost Python
    frame outside pyaudit of the code that raised the event being
    delivered (None when there is none: the event came from pyaudit, or
    from C with no Python frame).  It must be called from the watch
    callback, directly or through pyaudit's own functions (their frames
    are skipped).  ``stop_frame``: where the traced program's frames end
    (pyaudit run's own frame in its process); frames older than it are not
    the program's."""
    getframe = sys._getframe
    prefix = package_dir + os.sep

    def find_caller():
        try:
            frame = getframe(2)     # 0: here, 1: the callback
        except ValueError:
            return None
        while frame is not None and frame is not stop_frame:
            code = frame.f_code
            if not code.co_filename.startswith(prefix):
                return "%s:%s in %s" % (code.co_filename, frame.f_lineno,
                                        code.co_name)
            frame = frame.f_back
        return None
    return find_caller


def read_command():
    """This process's command line (Linux), else ``sys.argv``."""
    try:
        fd = os.open("/proc/self/cmdline", os.O_RDONLY)
        try:
            data = b""
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                data += chunk
        finally:
            os.close(fd)
        return [os.fsdecode(arg) for arg in data.rstrip(b"\0").split(b"\0")]
    except OSError:
        return list(getattr(sys, "argv", []))


class Tracer:
    """Reports the events of ``config.events`` raised in this process.

    output      Output for event lines (None: lines are not written)
    summary     Output for the --summary records (None without --summary)
    stderr_fd   pyaudit run's private standard error while this is its
                process (kept across exec), else -1
    stop_frame  see ``caller_finder``
    """

    def __init__(self, config, output, summary=None, stderr_fd=-1,
                 stop_frame=None, command=None):
        self.config = config
        self.output = output
        self.summary = summary
        self.stderr_fd = stderr_fd
        self.process = formats.Process(os.getpid(), os.getppid(),
                                       _thread.get_ident())
        self.format = formats.make(config, self.process)
        self.command = command
        self.exit_registered = False    # see session
        self._stop_frame = stop_frame
        self._subscriptions = []

    def start(self, denials=()):
        """Subscribe; reporting lasts until the process exits.

        ``denials``: (patterns, where) of the deny rules in force (the
        policies').  Each gets a watch (called before the deny, which
        comes last in a delivery) that reports the event as denied,
        whether selected or not, unless an earlier deny rule matches it
        too (that one reports it); the selection's callback skips what
        any deny rule matches.  Deciding again with a Filter, rather than
        remembering what was reported, keeps no state between events."""
        core = _core()
        report = self._reporter()
        filters = [core.Filter(patterns, where)
                   for patterns, where in denials]
        for index, (patterns, where) in enumerate(denials):
            self._subscriptions.append(core.subscribe(
                "watch", patterns,
                self._denial_callback(report, filters[:index]),
                where=where))
        self._subscriptions.append(core.subscribe(
            "watch", self.config.events, self._callback(report, filters)))
        if self.stderr_fd >= 0:
            self._subscriptions.append(core.subscribe(
                "watch", PROCESS_EVENTS, self._on_process_event))
        os.register_at_fork(after_in_child=self._after_fork)
        self._record_process()

    def stop(self):
        """Unsubscribe: no more events from this process."""
        for subscription in self._subscriptions:
            subscription.close()
        self._subscriptions = []

    def lost(self):
        """Lines not written, and why (None when none were lost)."""
        for output in (self.output, self.summary):
            if output is not None and output.lost:
                return output.lost, output.broken
        return 0, None

    def _reporter(self):
        """report(name, args, denied): the event's line and its --summary
        record.  Called by a watch callback (the caller is found from
        there); never raises."""
        find_caller = caller_finder(self._stop_frame)
        line = self.format
        output = self.output
        summary = self.summary
        process = self.process
        time_ns = time.time_ns
        get_ident = _thread.get_ident

        def report(name, args, denied):
            # Never raises: the traced program must not see an error
            # caused by the reporting.
            try:
                caller = find_caller()
                if output is not None:
                    output.write(line(name, args, time_ns(), get_ident(),
                                      caller, denied))
                if summary is not None:
                    summary.write(
                        '{"pid": %d, "event": %s, "caller": %s%s}\n' % (
                            process.pid, json_string(name),
                            "null" if caller is None
                            else json_string(caller),
                            ', "denied": true' if denied else ""))
            except Exception:
                pass
        return report

    def _callback(self, report, denials):
        writes_only = self.config.writes_only

        def on_event(name, args):
            if writes_only and name == "open" \
                    and not opens_for_writing(args):
                return
            if not _any_matches(denials, name, args):  # else reported
                report(name, args, False)
        return on_event

    @staticmethod
    def _denial_callback(report, earlier):
        def on_denied(name, args):
            if not _any_matches(earlier, name, args):
                report(name, args, True)
        return on_denied

    def _on_process_event(self, name, args):
        if self.process.pid == self.config.top_pid:
            try:
                os.set_inheritable(self.stderr_fd, name == "os.exec")
            except OSError:
                pass

    def _record_process(self):
        if self.summary is not None:
            process = self.process
            self.summary.write('{"pid": %d, "ppid": %d, "command": %s}\n' % (
                process.pid, process.ppid,
                json_value(self.command or [])))

    def _after_fork(self):
        """In the child of a fork (it has copies of the subscription and of
        the descriptors)."""
        try:
            process = self.process
            process.ppid, process.pid = process.pid, os.getpid()
            process.main_thread = _thread.get_ident()
            self.format.after_fork()
            if not self.config.follow:
                self.stop()
                for output in (self.output, self.summary):
                    if output is not None:
                        output.close()
                return
            if self.config.per_process and self.output is not None:
                self.output.switch_to(per_process_path(self.config.output,
                                                       process.pid))
            self._record_process()
        except Exception:
            pass


def _any_matches(filters, name, args):
    """Whether one of the Filters matches; never raises (a where= rule may
    run __fspath__)."""
    try:
        return any(f.matches(name, args) for f in filters)
    except Exception:
        return False


def per_process_path(output, pid):
    """Where process ``pid`` writes with --per-process."""
    return "%s.%d" % (output, pid)
