"""Audit a small program and print what it did that matters for security.

Run:  python examples/quickstart.py
"""

import socket
import tempfile

import pyaudit
from small_program import main as small_program

SECURITY = ("socket.*, subprocess.Popen, os.system, os.exec, ctypes.*, "
            "os.remove")


def main():
    print("pyaudit backend:", pyaudit.backend)
    opened = []
    with pyaudit.record(SECURITY) as recorder, \
            pyaudit.count("open, os.*") as counter, \
            pyaudit.watch("open", lambda name, args: opened.append(args[0])):
        with tempfile.TemporaryDirectory() as workdir:
            small_program(workdir)

    print("\nsecurity-relevant events, in order:")
    for event in recorder.drain():
        print("  %-22s %s" % (event.name, repr(event.args)[:70]))
    print("\nfiles opened: %d (first: %s)" % (len(opened), opened[0]))
    print("counts:", dict(sorted(counter.counts().items())))

    with pyaudit.deny("socket.connect"):
        try:
            socket.create_connection(("127.0.0.1", 9))
        except pyaudit.Denied as exc:
            print("\ndenied:", exc)


if __name__ == "__main__":
    main()
