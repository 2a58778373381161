"""Two threads subscribe at the same moment while no pyaudit hook is
installed yet, and an audit hook added earlier releases the GIL on each
event (as one that logs to a file does): both subscriptions are made
(no InstallError), and each receives every event once.

    PYAUDIT_BACKEND=... python first_subscribe_race.py

Prints one JSON object.
"""

import json
import sys
import threading
import time


def slow_hook(event, args):
    if event in ("sys.addaudithook", "pyaudit.probe"):
        time.sleep(0.02)        # releases the GIL, as file I/O does


sys.addaudithook(slow_hook)

import pyaudit  # noqa: E402

E = "first_subscribe_race"
start = threading.Barrier(2)
made = {}


def subscribe(which):
    start.wait()
    try:
        made[which] = pyaudit.count(E + ".*")
    except Exception as exc:
        made[which] = "%s: %s" % (type(exc).__name__, exc)


threads = [threading.Thread(target=subscribe, args=(which,))
           for which in ("a", "b")]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
sys.audit(E + ".ping")
print(json.dumps({which: counter if isinstance(counter, str)
                  else counter.counts() for which, counter in made.items()}))
