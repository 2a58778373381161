"""Raise EVENT in a subinterpreter; print "denied" or "allowed" as it saw
it.

    python policy_subinterpreter.py EVENT
"""

import sys

try:
    import _interpreters as interpreters        # 3.13+
except ImportError:
    import _xxsubinterpreters as interpreters   # 3.8-3.12

CODE = """import sys
try:
    sys.audit(%r)
except PermissionError:
    print("denied")
else:
    print("allowed")
"""

interpreter = interpreters.create()
try:
    sys.stdout.flush()
    interpreters.run_string(interpreter, CODE % sys.argv[1])
finally:
    interpreters.destroy(interpreter)
