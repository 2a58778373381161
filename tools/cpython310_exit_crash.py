"""Show that CPython 3.10 itself can crash at exit with busy daemon threads.

    python3.10 tools/cpython310_exit_crash.py [--runs 2000] [--jobs 6]

Runs a small program RUNS times, JOBS at a time (more jobs than cores make
threads wait longer for the GIL, which is what the race needs), and counts
the runs that die of SIGSEGV.  The program never imports pyaudit and adds
no audit hook: daemon threads run Python code while the main thread runs
an atexit handler and exits.

Why it crashes: a daemon thread that has waited 5 ms for the GIL asks the
holder to drop it.  If it is still waiting when Py_FinalizeEx frees the
interpreter, its next timeout finds that it must exit, and before exiting
it withdraws its request (a 3.10 fix for a hang at exit, python/cpython
#96387): that writes to the freed interpreter and follows a pointer read
from it, into unmapped memory.  In a core dump: take_gil with
timed_out = 1, RESET_GIL_DROP_REQUEST, COMPUTE_EVAL_BREAKER.  From 3.11 the
main interpreter is part of the static runtime state, so the late write
lands in valid memory; 3.8 and 3.9 never got that fix; 3.10 takes
security fixes only.  CPython's own test_threading.test_4_daemon_threads
crashes in the same window, between freeing thread states and the
process's end (python/cpython#110052).  On this project's machine (2 cores, 6
jobs), 3.10.13 crashed in 12 of 2,000 runs; 3.8, 3.9 and 3.11 to 3.13 in
none.

tests/reliability/test_shutdown.py runs the same kind of program with pyaudit busy and
reports this crash on 3.10 as an expected failure, naming this script.
"""

import argparse
import concurrent.futures
import signal
import subprocess
import sys

CHILD = r"""
import atexit
import os
import sys
import threading
import time

run = int(sys.argv[1])
progress = {}


class Tidy:
    def __del__(self):
        sum(range(50))


def busy(index):
    i = 0
    junk = []
    while True:
        junk.append(Tidy())
        if len(junk) > 64:
            junk.clear()
        repr((index, i))
        i += 1
        progress[index] = i


def at_exit():
    if "pyaudit" in sys.modules:
        os._exit(3)             # not the program this script promises
    for i in range(2000):
        repr(i)


atexit.register(at_exit)
threads = 1 + run % 3
for index in range(threads):
    threading.Thread(target=busy, args=(index,), daemon=True).start()
target = 1 + (run * 37) % 500
deadline = time.monotonic() + 30
while (min(progress.get(i, 0) for i in range(threads)) < target
       and time.monotonic() < deadline):
    time.sleep(0.0005)
garbage = [Tidy() for _ in range(2000)]
if run % 3 == 1:
    sys.exit(0)
"""


def run_child(run):
    done = subprocess.run([sys.executable, "-c", CHILD, str(run)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)
    return run, done.returncode, done.stderr


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=2000,
                        help="how many runs (default 2000)")
    parser.add_argument("--jobs", type=int, default=6,
                        help="runs at a time (default 6)")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.jobs < 1:
        parser.error("--runs and --jobs must be at least 1")
    crashed, other = [], []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for run, rc, err in pool.map(run_child, range(args.runs)):
            if rc == -signal.SIGSEGV:
                crashed.append(run)
            elif rc != 0:
                other.append((run, rc, err.strip().splitlines()[-1:]))
    print("Python %s: %d of %d runs died of SIGSEGV at exit, without "
          "pyaudit%s" % (sys.version.split()[0], len(crashed), args.runs,
                         " (runs %s)" % ", ".join(map(str, crashed[:10]))
                         if crashed else ""))
    for run, rc, last in other:
        print("run %d: exit status %d %s" % (run, rc, " ".join(last)))
    return 1 if other else 0


if __name__ == "__main__":
    sys.exit(main())
