"""pyaudit's private output: a file descriptor of its own, out of the traced
program's way.

Event lines never go through ``sys.stderr`` or file descriptor 2: the
program may replace or close them (pytest's capture swaps fd 2 for a
temporary file).  At start-up the output is duplicated
onto a high file descriptor, marked close-on-exec:

* when the hard limit on open files is above the soft one, one of the
  ABOVE_SOFT_SLOTS numbers just above the soft limit (raised for the
  moment of the ``dup2``, then put back; an open descriptor above the
  limit stays valid), unless the soft limit is above ABOVE_SOFT_CAP: so
  that
  ``os.closerange(3, os.sysconf("SC_OPEN_MAX"))``, the usual way to close
  "everything", stops below it;
* otherwise the highest number below ``min(soft limit, HIGH_FD_CAP)``,
  which the usual ``os.closerange(3, N)`` with a small N (256, 1024)
  leaves alone, but closing up to the soft limit does not;
* before each write, ``fstat`` checks that the descriptor is still the
  file pyaudit opened (same device and inode).  When the program closed
  it and the number now belongs to another file, pyaudit notices and does
  not write there: an output with a path (``-o FILE``) is opened again,
  and standard error is given up (events are counted as lost, and the
  process says so on its own standard error at exit).

Nothing can stop the program from closing the descriptor between the
check and the write of one line, in another thread, and opening a file
that gets the same number: that window is two system calls wide.

Each line is one ``os.write`` call (a loop only if the kernel writes part
of it): whole lines from any number of processes, into a file opened
with ``O_APPEND``, never interleave.  Into a pipe, the kernel keeps writes
up to PIPE_BUF bytes (4096 on Linux) whole.
"""

import os

# A higher descriptor makes the kernel's descriptor table larger, and every
# fork copies it: 8 bytes per number.
HIGH_FD_CAP = 4096
ABOVE_SOFT_CAP = 65536
ABOVE_SOFT_SLOTS = 8        # pyaudit run holds at most 3 private descriptors
OPEN_FLAGS = os.O_WRONLY | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)


def _limit_functions():
    """(getrlimit(), setrlimit(soft, hard)) for the limits on open files,
    RLIM_INFINITY being -1: pyaudit's extension's, which spare the traced
    program the import of ``resource`` (its first import from the
    standard library's directories, about 1 ms), else resource's (the
    pure-Python backend without the extension); None without either."""
    try:
        from .._pyaudit import _getrlimit_nofile, _setrlimit_nofile
        return _getrlimit_nofile, _setrlimit_nofile
    except ImportError:
        pass
    try:
        import resource
    except ImportError:
        return None
    if resource.RLIM_INFINITY != -1:
        return None

    def setrlimit(soft, hard):
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
    return (lambda: resource.getrlimit(resource.RLIMIT_NOFILE)), setrlimit


def _limits():
    """(setrlimit or None, soft limit, hard limit) on open files (-1:
    unlimited)."""
    functions = _limit_functions()
    if functions is None:
        soft = os.sysconf("SC_OPEN_MAX")
        return None, soft, soft
    getrlimit, setrlimit = functions
    soft, hard = getrlimit()
    return setrlimit, soft, hard


def _is_open(fd):
    try:
        os.fstat(fd)
    except OSError:
        return False
    return True


def _free_below(top, floor):
    """The highest free descriptor below ``top`` and above ``floor``, or
    None."""
    target = top - 1
    while target > floor and _is_open(target):
        target -= 1
    return target if target > floor else None


def move_high(fd):
    """Duplicate ``fd`` onto a free high descriptor (close-on-exec; see
    above), close ``fd`` and return the new number (``fd`` itself if no
    higher one is free)."""
    setrlimit, soft, hard = _limits()
    unlimited = -1
    if (setrlimit is not None and soft != unlimited
            and soft < ABOVE_SOFT_CAP and (hard == unlimited or hard > soft)):
        raised = soft + ABOVE_SOFT_SLOTS
        if hard != unlimited:
            raised = min(raised, hard)
        try:
            setrlimit(raised, hard)
        except (OSError, ValueError):
            pass
        else:
            try:
                target = _free_below(raised, max(fd, soft - 1))
                if target is not None:
                    return _move(fd, target)
            finally:
                setrlimit(soft, hard)
    top = HIGH_FD_CAP if soft == unlimited else min(soft, HIGH_FD_CAP)
    target = _free_below(top, fd)
    return fd if target is None else _move(fd, target)


def _move(fd, target):
    os.dup2(fd, target, inheritable=False)
    os.close(fd)
    return target


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
        self._pending = None        # see switch_to
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
        if self._pending is not None:
            self._open_pending()
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

    def switch_to(self, path):
        """Write to ``path`` from now on (a forked child's own file): the
        inherited descriptor is closed now, the file is opened at the next
        write, inside the watch callback, so that its ``open`` event is
        not reported as the program's."""
        self.close()
        self._pending = path

    def _open_pending(self):
        path, self._pending = self._pending, None
        try:
            fd = move_high(os.open(path, OPEN_FLAGS | os.O_CREAT, 0o666))
        except OSError as exc:
            self.broken = "cannot open %s: %s" % (path, exc.strerror or exc)
            return
        self.fd, self.path, self._stat = fd, path, os.fstat(fd)

    def read_all(self):
        """The whole file, read through the descriptor, so with no ``open``
        for a policy to refuse; None when the descriptor is no longer
        ours (or was never readable)."""
        if self.fd < 0 or not self._still_ours():
            return None
        chunks, offset = [], 0
        try:
            while True:
                chunk = os.pread(self.fd, 1 << 20, offset)
                if not chunk:
                    return b"".join(chunks)
                chunks.append(chunk)
                offset += len(chunk)
        except OSError:
            return None

    def close(self):
        if self.fd >= 0:
            try:
                os.close(self.fd)
            except OSError:
                pass
            self.fd = -1
