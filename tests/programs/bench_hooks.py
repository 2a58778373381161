"""Hooks for tests/cli/test_bench.py to hand to ``pyaudit bench --hook``.

Each process that adds ``counting`` writes how many events of each name
it saw to a new file in $BENCH_TEST_COUNTS when it exits, so that a test
can tell the hook really ran.
"""

import atexit
import collections
import json
import os

seen = collections.Counter()


def _write_counts():
    directory = os.environ.get("BENCH_TEST_COUNTS")
    if directory and seen:
        path = os.path.join(directory, "%d.json" % os.getpid())
        with open(path, "w") as f:
            json.dump(seen, f)


atexit.register(_write_counts)


def counting(name, args):
    seen[name] += 1


def refuse_far_miss(name, args):
    if name == "zz.miss":
        raise RuntimeError("zz.miss is not allowed here")


not_callable = 42
