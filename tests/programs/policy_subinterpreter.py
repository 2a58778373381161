"""Raise EVENT in a subinterpreter; print "denied" or "allowed" as it saw
it.

    python policy_subinterpreter.py EVENT
"""

import sys

from policy_children import CHILD

try:
    import _interpreters as interpreters        # 3.13+
except ImportError:
    import _xxsubinterpreters as interpreters   # 3.8-3.12

interpreter = interpreters.create()
try:
    sys.stdout.flush()
    interpreters.run_string(interpreter, CHILD % sys.argv[1])
finally:
    interpreters.destroy(interpreter)
