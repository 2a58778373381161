"""drain() interrupted by an exception from a signal handler (as a
KeyboardInterrupt is raised) loses no event: the events it had taken come
with a later drain, so drained + dropped == raised.

    PYAUDIT_BACKEND=... python interrupted_drain.py INTERRUPTIONS

The main thread records a batch of events and drains it; a timer sends
SIGALRM halfway through the drain (timed from the previous drain; the
kernel sends it, so no thread needs the GIL the drain holds), and the
handler raises while a drain is under way.  This repeats until
INTERRUPTIONS exceptions came out of drain() (or 200 rounds), then the
recorder is drained to the end.  Prints one JSON object.
"""

import json
import signal
import sys
import time

import pyaudit

BATCH = 50_000
E = "interrupted_drain.event"


class Interrupted(Exception):
    pass


armed = False


def handler(signum, frame):
    if armed:
        raise Interrupted()


def main():
    global armed
    wanted = int(sys.argv[1])
    signal.signal(signal.SIGALRM, handler)
    delay = 0.001
    recorder = pyaudit.record(E, capacity=BATCH * (wanted + 2))
    raised = drained = interrupted = rounds = 0
    audit = sys.audit
    while interrupted < wanted and rounds < 200:
        rounds += 1
        for i in range(BATCH):
            audit(E, i)
        raised += BATCH
        start = time.perf_counter()
        try:
            armed = True
            signal.setitimer(signal.ITIMER_REAL, delay)
            events = recorder.drain()
            armed = False
        except Interrupted:
            armed = False
            interrupted += 1
            continue
        drained += len(events)
        delay = (time.perf_counter() - start) / 2
        time.sleep(delay * 4)   # a late signal arrives while disarmed
    drained += len(recorder.drain())
    print(json.dumps({"raised": raised, "drained": drained,
                      "dropped": recorder.dropped,
                      "interrupted": interrupted, "rounds": rounds}))


main()
