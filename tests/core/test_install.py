"""Installing the hook: when it happens, that it happens once, and what
happens when an earlier hook refuses it; choosing the backend.

Hooks can never be removed, so each case runs in a child interpreter.
"""

import json

import pytest

import pyaudit
from support import check_python, run_python

# Child prelude: a plain hook, added before pyaudit is imported, that
# counts how often anything calls sys.addaudithook.
COUNT_ADDAUDITHOOK = """
import json, sys
added = []
def plain_hook(name, args):
    if name == "sys.addaudithook":
        added.append(name)
sys.addaudithook(plain_hook)
"""


def child_json(code, backend=None, **kwargs):
    """Run the child and parse the JSON object on its last stdout line."""
    out = check_python(code, backend=backend, **kwargs)
    return json.loads(out.strip().splitlines()[-1])


# -- an earlier hook vetoes sys.addaudithook --------------------------------

VETO = """
import json, sys

def veto(name, args):
    if name == "sys.addaudithook":
        raise RuntimeError("no more audit hooks")

sys.addaudithook(veto)

import pyaudit

def outcome(make):
    try:
        sub = make()
    except pyaudit.InstallError as exc:
        return ["InstallError", isinstance(exc, RuntimeError), str(exc)]
    except BaseException as exc:
        return [type(exc).__name__, False, str(exc)]
    sub.close()
    return ["subscribed", False, ""]

results = [
    outcome(lambda: pyaudit.count("pyaudit_test.veto")),
    outcome(lambda: pyaudit.record("pyaudit_test.veto")),
    outcome(lambda: pyaudit.watch("pyaudit_test.veto", print)),
    outcome(lambda: pyaudit.deny("pyaudit_test.veto")),
    outcome(lambda: pyaudit.count("pyaudit_test.veto")),   # still refused
]
print(json.dumps({
    "backend": pyaudit.backend,
    "results": results,
    "subscriptions": [list(s) for s in pyaudit.subscriptions()],
    "filter_works": pyaudit.Filter("a.*").matches("a.b"),
}))
"""


def test_vetoed_install_raises_install_error(backend):
    result = child_json(VETO, backend=backend)
    assert result["backend"] == backend
    for kind, (outcome, is_runtime_error, message) in zip(
            ["count", "record", "watch", "deny", "count again"],
            result["results"]):
        assert outcome == "InstallError", (kind, outcome, message)
        assert is_runtime_error
        assert message
    assert result["subscriptions"] == []
    assert result["filter_works"] is True


def test_earlier_non_vetoing_hook_does_not_disturb(backend):
    result = child_json(COUNT_ADDAUDITHOOK + """
import pyaudit
seen = []
with pyaudit.watch("pyaudit_test.ok", lambda n, a: seen.append(n)):
    sys.audit("pyaudit_test.ok")
print(json.dumps({"seen": seen, "added": len(added)}))
""", backend=backend)
    assert result == {"seen": ["pyaudit_test.ok"], "added": 1}


# -- when and how often the hook is installed -----------------------------

def test_import_alone_installs_no_hook(backend):
    result = child_json(COUNT_ADDAUDITHOOK + """
import pyaudit
after_import = len(added)
pyaudit.Filter("open,socket.*").matches("open")
pyaudit.subscriptions()
after_filter = len(added)
with pyaudit.count("pyaudit_test.x"):
    pass
print(json.dumps({"backend": pyaudit.backend, "after_import": after_import,
                  "after_filter": after_filter,
                  "after_subscribe": len(added)}))
""", backend=backend)
    assert result == {"backend": backend, "after_import": 0,
                      "after_filter": 0, "after_subscribe": 1}


def test_hook_installed_once_for_many_subscriptions(backend):
    result = child_json(COUNT_ADDAUDITHOOK + """
import pyaudit
for _ in range(3):
    with pyaudit.count("a"), pyaudit.record("b"), pyaudit.deny("c"), \\
            pyaudit.watch("d", print):
        pass
with pyaudit.count("e"):
    pass
print(json.dumps({"added": len(added)}))
""", backend=backend)
    assert result == {"added": 1}


RELOAD = COUNT_ADDAUDITHOOK + """
import importlib
import pyaudit

NAME = "pyaudit_test.reload"
old_counter = pyaudit.count(NAME)
old_id = pyaudit.subscriptions()[-1].id

def watched_once(module):
    calls = []
    with module.watch(NAME, lambda n, a: calls.append(n)):
        sys.audit(NAME)
    return calls

report = {"first": watched_once(pyaudit)}

if MODE == "reload":
    module = importlib.reload(pyaudit)
else:
    for name in list(sys.modules):
        if name == "pyaudit" or name.startswith("pyaudit."):
            del sys.modules[name]
    module = importlib.import_module("pyaudit")
    assert module is not pyaudit

report["backend"] = module.backend
report["second"] = watched_once(module)
new_counter = module.count(NAME)
sys.audit(NAME)
report["old_counts"] = old_counter.counts()
report["new_counts"] = new_counter.counts()
report["old_listed"] = old_id in [s.id for s in module.subscriptions()]
new_counter.close()
old_counter.close()
report["added"] = len(added)
print(json.dumps(report))
"""


@pytest.mark.parametrize("mode", ["reload", "reimport"])
def test_hook_installed_once_across_reload(backend, mode):
    result = child_json("MODE = %r\n" % mode + RELOAD, backend=backend)
    name = "pyaudit_test.reload"
    assert result == {
        "first": [name],
        "backend": backend,
        "second": [name],          # exactly once: no second hook
        "old_counts": {name: 3},   # the old subscription lives on
        "new_counts": {name: 1},
        "old_listed": True,
        "added": 1,
    }


@pytest.mark.parametrize("mode", ["reload", "reimport"])
def test_denied_is_catchable_after_reload(backend, mode):
    # After pyaudit is reloaded or imported afresh, ``except
    # pyaudit.Denied`` must still catch what a deny raises.
    result = child_json("""
import importlib, json, sys
import pyaudit
with pyaudit.count("pyaudit_test.first"):
    pass
if %r == "reload":
    module = importlib.reload(pyaudit)
else:
    for name in list(sys.modules):
        if name == "pyaudit" or name.startswith("pyaudit."):
            del sys.modules[name]
    module = importlib.import_module("pyaudit")
with module.deny("pyaudit_test.deny"):
    try:
        sys.audit("pyaudit_test.deny")
    except module.Denied as exc:
        outcome = "caught: " + exc.event
    except PermissionError as exc:
        outcome = "not a %%s.Denied: %%r" %% (module.__name__, type(exc))
print(json.dumps({"outcome": outcome}))
""" % mode, backend=backend)
    assert result == {"outcome": "caught: pyaudit_test.deny"}


# -- choosing the backend -------------------------------------------------

REPORT_BACKEND = """
import json, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    import pyaudit
print(json.dumps({
    "backend": pyaudit.backend,
    "warnings": [w.category.__name__ for w in caught
                 if "pyaudit" in str(w.message)],
}))
"""

# Makes ``pyaudit._pyaudit`` unimportable, as if the build had failed.
BLOCK_EXTENSION = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == "pyaudit._pyaudit":
            raise ImportError("blocked by the test")
        return None
sys.meta_path.insert(0, Blocker())
"""


@pytest.mark.parametrize("env_value", ["python", "native"])
def test_backend_chosen_by_environment(env_value):
    result = child_json(REPORT_BACKEND, backend=env_value)
    assert result == {"backend": env_value, "warnings": []}


def test_default_backend_is_native():
    result = child_json(REPORT_BACKEND, backend=None)
    assert result == {"backend": "native", "warnings": []}


def test_empty_environment_value_means_default():
    result = child_json(REPORT_BACKEND, env={"PYAUDIT_BACKEND": ""})
    assert result == {"backend": "native", "warnings": []}


@pytest.mark.parametrize("env_value", ["cython", "Python", "native,python"])
def test_unknown_backend_is_import_error(env_value):
    rc, out, err = run_python("import pyaudit", backend=env_value)
    assert rc != 0
    assert "ImportError" in err
    assert repr(env_value) in err


def test_missing_extension_is_an_import_error_saying_what_to_do():
    rc, out, err = run_python(BLOCK_EXTENSION + "import pyaudit")
    assert rc == 1
    last = err.strip().splitlines()[-1]
    assert last == (
        "ImportError: pyaudit's C extension failed to load (blocked by the "
        "test): reinstall pyaudit (pip install %s --force-reinstall); or set "
        "PYAUDIT_BACKEND=python to choose the slower pure-Python backend"
        % pyaudit._version.DISTRIBUTION)
    assert "circular import" not in err


def test_missing_extension_with_python_asked_for_is_fine():
    result = child_json(BLOCK_EXTENSION + REPORT_BACKEND, backend="python")
    assert result == {"backend": "python", "warnings": []}


def test_missing_extension_with_native_requested_is_import_error():
    rc, out, err = run_python(BLOCK_EXTENSION + "import pyaudit",
                              backend="native")
    assert rc != 0
    assert "ImportError" in err and "blocked by the test" in err


def test_api_for_unknown_backend():
    with pytest.raises(ValueError):
        pyaudit._api_for("cython")


@pytest.mark.parametrize("name", ["native", "python"])
def test_api_for_reports_its_backend(name):
    assert pyaudit._api_for(name).backend == name
