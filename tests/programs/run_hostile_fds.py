"""A program that treats file descriptors roughly, run by test_run_output.

    run_hostile_fds.py EVENT MODE FILE

Raises EVENT ("before"), does MODE, opens FILE, raises EVENT ("after")
and writes "own data" through every descriptor it holds on FILE:

    close-stderr   closes descriptor 2 first, so FILE gets number 2
    closerange     os.closerange(3, SC_OPEN_MAX) first, the usual way to
                   close "everything"
    take-all       closes every descriptor above 2 (pyaudit's included),
                   then puts FILE on each of their numbers that it can (a
                   number above the soft limit on open files it cannot)
"""

import os
import sys

event, mode, path = sys.argv[1:4]
sys.audit(event, "before")
taken = []
if mode == "close-stderr":
    os.close(2)
elif mode == "closerange":
    os.closerange(3, os.sysconf("SC_OPEN_MAX"))
elif mode == "take-all":
    taken = [int(fd) for fd in os.listdir("/proc/self/fd") if int(fd) > 2]
    os.closerange(3, max(taken) + 1)
else:
    raise SystemExit("unknown mode %r" % mode)
fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
if mode == "close-stderr":
    assert fd == 2, fd
taken = [number for number in taken if number < os.sysconf("SC_OPEN_MAX")]
for number in taken:
    if number != fd:
        os.dup2(fd, number)
sys.audit(event, "after")
for number in set(taken) | {fd}:
    os.write(number, b"own data\n")
