"""An ordinary program that knows nothing of pyaudit: it writes and removes
a file, talks to itself over a loopback connection and runs a child
process.  Audit it with:

    python -m pyaudit run examples/small_program.py
"""

import os
import socket
import subprocess
import sys
import tempfile


def main(workdir):
    path = os.path.join(workdir, "notes.txt")
    with open(path, "w") as f:
        f.write("hello\n")
    with open(path) as f:
        f.read()
    os.remove(path)

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname())
    client.close()
    server.close()

    subprocess.run([sys.executable, "-c", "pass"], check=True)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as workdir:
        main(workdir)
    print("small_program: done")
