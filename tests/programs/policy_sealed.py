"""Try every Python way out of a sealed policy; print what happened as one
JSON object.  Run with PYAUDIT_BACKEND set to the backend under test.

    python policy_sealed.py EVENT

The policy denies EVENT (an event name of the test's own).  Each attempt
to lift it is followed by raising EVENT again: "denied" must stay true.
"""

import gc
import json
import sys

import pyaudit

EVENT = sys.argv[1]
POLICY = """
own_events = "%s"

[[rule]]
name = "tripwire"
action = "deny"
events = "%s"
""" % (EVENT, EVENT)


def denied():
    try:
        sys.audit(EVENT)
    except PermissionError:
        return True
    return False


def error_of(call):
    try:
        call()
    except Exception as exc:
        return "%s: %s" % (type(exc).__name__, exc)
    return None


result = {}
policy = pyaudit.load_policy(POLICY, sealed=True)
subscription = policy.rules[0].subscription
result["sealed"] = [policy.sealed, subscription.sealed]
result["policy_close"] = error_of(policy.close)
result["subscription_close"] = error_of(subscription.close)
result["handle_close"] = error_of(subscription._handle.close)
result["with_exit"] = error_of(lambda p=policy: p.__exit__(None, None, None))
result["after_close"] = [subscription.active, denied()]

# Drop every reference to the policy and its subscriptions.
del policy, subscription
gc.collect()
result["after_drop"] = denied()

# Spoofed events that the core acts on only when CPython raises them.
for spoof in ("cpython._PySys_ClearAuditHooks",
              "cpython.PyInterpreterState_Clear"):
    sys.audit(spoof)
result["after_spoof"] = denied()

# Purge pyaudit from sys.modules and import it again.
for name in [n for n in sys.modules if n == "pyaudit"
             or n.startswith("pyaudit.")]:
    del sys.modules[name]
gc.collect()
import pyaudit  # noqa: E402,F811

result["after_reimport"] = denied()
result["listed"] = [[info.kind, list(info.patterns), info.sealed]
                    for info in pyaudit.subscriptions()]
print(json.dumps(result))
