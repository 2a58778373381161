"""Raise EVENT in this process and in children of the kinds asked for;
print {kind: "denied" or "allowed"} as one JSON object.

    python policy_children.py EVENT KIND [KIND ...]

Kinds: self, subprocess, isolated (python -I), no_site (python -S), and
the multiprocessing start methods fork, spawn and forkserver (a pool of
one worker).
"""

import json
import multiprocessing
import subprocess
import sys

CHILD = """import sys
try:
    sys.audit(%r)
except PermissionError:
    print("denied")
else:
    print("allowed")
"""


def attempt(event):
    try:
        sys.audit(event)
    except PermissionError:
        return "denied"
    return "allowed"


def in_python(event, *flags):
    done = subprocess.run([sys.executable] + list(flags)
                          + ["-c", CHILD % event],
                          stdout=subprocess.PIPE, universal_newlines=True)
    return done.stdout.strip() or "exit status %d" % done.returncode


def in_pool(event, method):
    with multiprocessing.get_context(method).Pool(1) as pool:
        return pool.apply(attempt, (event,))


KINDS = {
    "self": attempt,
    "subprocess": in_python,
    "isolated": lambda event: in_python(event, "-I"),
    "no_site": lambda event: in_python(event, "-S"),
    "fork": lambda event: in_pool(event, "fork"),
    "spawn": lambda event: in_pool(event, "spawn"),
    "forkserver": lambda event: in_pool(event, "forkserver"),
}

if __name__ == "__main__":
    event = sys.argv[1]
    print(json.dumps({kind: KINDS[kind](event) for kind in sys.argv[2:]}))
