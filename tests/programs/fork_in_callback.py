"""A process forked from inside a watch callback gets watch callbacks:
whatever the child runs is no longer inside the parent's callback.

    PYAUDIT_BACKEND=... python fork_in_callback.py

The callback forks once with os.fork() and once through multiprocessing
with the fork start method; each child watches its own event and reports
what it saw through a pipe.  Prints one JSON object.
"""

import json
import multiprocessing
import os
import sys
import warnings

import pyaudit

warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
E = "fork_in_callback"
results = {}


def child_sees():
    seen = []
    with pyaudit.watch(E + ".child", lambda name, args: seen.append(name)):
        sys.audit(E + ".child")
    return seen


def report(connection):
    connection.send(child_sees())
    connection.close()


def fork_here():
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.write(writer, json.dumps(child_sees()).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    return json.loads(data)


def with_multiprocessing():
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe()
    process = context.Process(target=report, args=(child,))
    process.start()
    seen = parent.recv() if parent.poll(30) else "no answer"
    process.join(30)
    return seen


def callback(name, args):
    if name == E + ".go":
        results["os.fork"] = fork_here()
        results["multiprocessing"] = with_multiprocessing()


with pyaudit.watch(E + ".go", callback):
    sys.audit(E + ".go")
results["parent after"] = child_sees()
print(json.dumps(results))
