"""``python -m pyaudit``: the same command line as the ``pyaudit`` script
(see pyaudit.cli)."""

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m pyaudit"))
