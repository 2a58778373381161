"""pyaudit purged from sys.modules and imported again while the first
module objects are alive, then the first ones freed.

    PYAUDIT_BACKEND=... python reimport.py main|shared-subinterpreter

Runs the scenario below in the main interpreter, or in a subinterpreter
sharing the main GIL, and prints one JSON object:

1. before anything was subscribed: import, purge, import again, free the
   first modules, then subscribe through the second (the first install
   happens then);
2. with subscriptions made through the first import (a deny and a
   count): purge, import again, free the first modules; the deny must
   still refuse and the count still count, and the second import's
   subscriptions must receive each event once.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

SCENARIO = r'''
import gc, json, sys, warnings, weakref


def purge():
    for name in [n for n in sys.modules
                 if n == "pyaudit" or n.startswith("pyaudit.")]:
        del sys.modules[name]


def fresh_pyaudit():
    purge()
    import pyaudit
    warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
    return pyaudit


def core_of(module):
    # The backend's module: the C extension, or pyaudit._python.
    return sys.modules[module._default.core.__class__.__module__] \
        if module.backend == "python" else sys.modules["pyaudit._pyaudit"]


def receives(pyaudit, name):
    seen = []
    with pyaudit.watch(name, lambda event, args: seen.append(event)), \
            pyaudit.count(name) as counter, pyaudit.record(name) as rec:
        sys.audit(name)
    return {"watched": len(seen), "counted": counter.counts().get(name, 0),
            "recorded": len(rec.drain())}


result = {}
first = fresh_pyaudit()
gone = weakref.ref(core_of(first))
second = fresh_pyaudit()
del first
gc.collect()
result["1 first core freed"] = gone() is None
try:
    result["1 second receives"] = receives(second, "reimport.one")
except Exception as exc:
    result["1 second receives"] = "%s: %s" % (type(exc).__name__, exc)

first = fresh_pyaudit()
denier = first.deny("reimport.denied")
first_counter = first.count("reimport.*")
gone = weakref.ref(core_of(first))
second = fresh_pyaudit()
del first, denier
gc.collect()
result["2 first core freed"] = gone() is None
try:
    sys.audit("reimport.denied")
    result["2 deny after"] = "allowed"
except PermissionError:
    result["2 deny after"] = "denied"
sys.audit("reimport.ping")
result["2 first count after"] = first_counter.counts()
result["2 second receives"] = receives(second, "reimport.two")
result["2 second lists"] = sorted(info.kind
                                  for info in second.subscriptions())
print(json.dumps(result), flush=True)
'''

if sys.argv[1] == "main":
    exec(SCENARIO)
else:
    sys.path.insert(0, HERE)
    from subinterpreters import create, run
    run(create(shared_gil=True), SCENARIO)
