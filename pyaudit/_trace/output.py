"""pyaudit's private output: a file descriptor of its own, out of the traced
program's way.

Event lines never go through ``sys.stderr`` or file descriptor 2: the
program may replace or close them (pytest's capture swaps fd 2 for a
temporary file).  At start-up the output is duplicated onto a high file
descriptor, marked close-on-exec:

* the highest number below ``min(hard limit, HIGH_FD_CAP)`` on open files,
  with the soft limit raised for the moment of the ``dup2`` when needed
  (and put back), so that ``os.closerange(3, os.sysconf("SC_OPEN_MAX"))``,
  the usual way to close "everything", stops below it;
* before each write, ``fstat`` checks that the descriptor is still the
  file pyaudit opened (same device and inode).  When the program closed
  it (``os.closerange`` up to the hard limit, ``os.close`` of a number it
  does not own) and the number now belongs to another file, pyaudit
  notices and does not write there: an output with a path (``-o FILE``)
  is opened again, and standard error is given up (events are counted as
  lost, and the process says so on its own standard error at exit).

Nothing can stop the program from closing the descriptor between the
check and the write of one line, in another thread, and opening a file
that gets the same number: that window is two system calls wide.

Each line is one ``os.write`` call (a loop only if the kernel writes part
of it): whole lines from any number of processes, into a file opened
with ``O_APPEND``, never interleave.  Into a pipe, the kernel keeps writes
up to PIPE_BUF bytes (4096 on Linux) whole.
"""

import os

HIGH_FD_CAP = 4096      # a higher descriptor makes every fork copy a larger
                        # descriptor table; this one costs 32 KiB
OPEN_FLAGS = os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)


def _limits():
    """(soft, hard) limits on open files; the soft one twice when the
    ``resource`` module is missing."""
    try:
        import resource
    except ImportError:
        soft = os.sysconf("SC_OPEN_MAX")
        return None, soft, soft
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:
        hard = HIGH_FD_CAP
    return resource, soft, hard


def _is_open(fd):
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def move_high(fd):
    """Duplicate ``fd`` onto a free high descriptor (close-on-exec), close
    ``fd`` and return the new number."""
    resource, soft, hard = _limits()
    top = min(hard, HIGH_FD_CAP)
    raised = False
    if resource is not None and top > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (top, hard))
            raised = True
        except (OSError, ValueError):
            top = soft
    else:
        top = min(top, soft)
    try:
        target = top - 1
        while target > fd and _is_open(target):
            target -= 1
        if target <= fd:
            return fd               # nothing higher is free: keep it
        os.dup2(fd, target, inheritable=False)
        os.close(fd)
        return target
    finally:
        if raised:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def identity(fd):
    """"<st_dev>:<st_ino>" of the file open on ``fd``."""
    stat = os.fstat(fd)
    return "%d:%d" % (stat.st_dev, stat.st_ino)


class Output:
    """Writes whole lines to a private descriptor that it checks first.

    ``path``: where to open the file again if the program takes the
    descriptor away (None: it cannot be opened again).  ``lost`` counts
    the lines not written because the descriptor was gone.
    """

    def __init__(self, fd, encoding="utf-8", path=None):
        self.fd = fd
        self.encoding = encoding
        self.path = path
        self.lost = 0
        self.broken = None          # why writing stopped, or None
        self.on_loss = None         # called once, at the first lost line
        self._stat = os.fstat(fd)

    @classmethod
    def open(cls, path, flags=OPEN_FLAGS, encoding="utf-8", reopen=True):
        """Open ``path`` (O_APPEND, close-on-exec) onto a high
        descriptor."""
        fd = os.open(path, flags, 0o666)
        return cls(move_high(fd), encoding, path if reopen else None)

    def _still_ours(self):
        try:
            stat = os.fstat(self.fd)
        except OSError:
            return False
        return (stat.st_dev, stat.st_ino) == (self._stat.st_dev,
                                              self._stat.st_ino)

    def _reopen(self):
        """After the program took the descriptor: open the path again (the
        old number may now be someone else's; it is left alone)."""
        if self.path is not None:
            try:
                fd = move_high(os.open(self.path, OPEN_FLAGS | os.O_CREAT,
                                       0o666))
            except OSError as exc:
                self.broken = "cannot open %s again: %s" % (
                    self.path, exc.strerror or exc)
            else:
                self.fd = fd
                self._stat = os.fstat(fd)
                return True
        else:
            self.broken = ("the program closed or replaced pyaudit's output "
                           "descriptor %d" % self.fd)
        self.fd = -1
        return False

    def write(self, text):
        """Write ``text`` (whole lines) with one ``os.write``; never
        raises."""
        if self.fd < 0 or not self._still_ours() and not self._reopen():
            self._lose()
            return
        data = text.encode(self.encoding, "backslashreplace")
        try:
            while data:
                data = data[os.write(self.fd, data):]
        except OSError as exc:
            # A closed pipe, a full disk, a descriptor the program made
            # non-blocking: stop rather than retry on every event.
            self.broken = "writing failed: %s" % (exc.strerror or exc)
            self.close()
            self._lose()

    def _lose(self):
        self.lost += 1
        if self.lost == 1 and self.on_loss is not None:
            self.on_loss()

    def replace(self, fd, path=None):
        """Write to ``fd`` from now on (after a fork, the child's own
        file); the old descriptor is closed."""
        old = self.fd
        self.fd, self.path, self._stat = fd, path, os.fstat(fd)
        if old >= 0 and old != fd:
            try:
                os.close(old)
            except OSError:
                pass

    def close(self):
        if self.fd >= 0:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = -1
