"""Events with long, distinct names (generated ones, say) leave no memory
behind once the subscriptions that saw them are closed and drained: the
name cache keeps short names only, and nothing is made immortal.

    PYAUDIT_BACKEND=... python long_event_names.py COUNT KIB

Raises COUNT events whose names are distinct and KIB KiB long under
watch("*") and record("*") (drained as it goes), closes both, and prints
one JSON object with the memory in use before and after, in MiB: the
resident set size, and what tracemalloc sees Python allocate (where RSS
says nothing, as under AddressSanitizer).
"""

import gc
import json
import os
import sys
import tracemalloc

import pyaudit


def in_use():
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return {"rss": pages * os.sysconf("SC_PAGE_SIZE") / 2 ** 20,
            "traced": tracemalloc.get_traced_memory()[0] / 2 ** 20}


def main():
    count, kib = int(sys.argv[1]), int(sys.argv[2])
    padding = "x" * (kib * 1024 - 16)
    tracemalloc.start()
    gc.collect()
    before = in_use()
    watched = [0]

    def watcher(name, args):
        watched[0] += 1

    recorded = 0
    with pyaudit.watch("*", watcher), pyaudit.record("*") as recorder:
        for i in range(count):
            sys.audit("long.%010d.%s" % (i, padding))
            if i % 100 == 99:
                recorded += len(recorder.drain())
    recorded += len(recorder.drain())
    del recorder
    gc.collect()
    after = in_use()
    print(json.dumps({"watched": watched[0], "recorded": recorded,
                      "before": before, "after": after,
                      "names": count * kib / 1024}))


main()
