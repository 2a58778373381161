"""Try one action of each kind a policy may refuse; print {action:
"allowed" or "denied"} as one JSON object (another error is shown as
"TypeName: message").

    python policy_actions.py OUTSIDE_DIR

Writes go to the working directory, to tempfile's directory and to
OUTSIDE_DIR; the network actions reach a listening socket on 127.0.0.1
and name other hosts (refused before any packet is sent, or failing
without a network).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile


def write(directory):
    with open(os.path.join(directory, "written.txt"), "w") as file:
        file.write("x")


def local_connection():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    with socket.create_connection(server.getsockname(), timeout=5):
        pass
    server.close()


def remote_connection():
    with socket.create_connection(("10.255.255.1", 9), timeout=0.1):
        pass


def import_ctypes():
    import ctypes  # noqa: F401


def outcome(action):
    try:
        action()
    except PermissionError as exc:
        if type(exc).__name__ == "Denied":
            return "denied"
        return "PermissionError: %s" % (exc,)
    except OSError:
        return "allowed"        # got past the policy, failed elsewhere
    return "allowed"


if __name__ == "__main__":
    outside = sys.argv[1]
    actions = {
        "write here": lambda: write(os.getcwd()),
        "write in the temporary directory": lambda: write(
            tempfile.gettempdir()),
        "write outside": lambda: write(outside),
        "remove outside": lambda: os.remove(os.path.join(outside, "kept")),
        "copy to outside": lambda: shutil.copyfile(
            __file__, os.path.join(outside, "copy.py")),
        "run a program": lambda: subprocess.run(["true"]),
        "os.system": lambda: os.system("true"),
        "connect to this machine": local_connection,
        "connect elsewhere": remote_connection,
        "look up a name": lambda: socket.getaddrinfo("example.invalid", 80),
        "import ctypes": import_ctypes,
    }
    print(json.dumps({name: outcome(action)
                      for name, action in actions.items()}))
