"""``import pyaudit`` loads the core and little else; the rest of the
public names are imported when first asked for (pyaudit run imports
pyaudit before the program it runs, see docs/run.md)."""

import pickle

import pytest

import pyaudit
from support import run_python

MODULES = "import sys; print(' '.join(sorted(sys.modules)))"


def test_importing_pyaudit_imports_only_the_core():
    rc, plain, err = run_python(MODULES)
    assert rc == 0, err
    rc, out, err = run_python("import pyaudit; " + MODULES)
    assert rc == 0, err
    added = set(out.split()) - set(plain.split())
    assert added == {"pyaudit", "pyaudit._errors", "pyaudit._version",
                     "pyaudit._pyaudit"}


def test_every_public_name_is_there_when_asked_for():
    code = ("import pyaudit\n"
            "names = sorted(pyaudit.__all__)\n"
            "assert all(name in dir(pyaudit) for name in names), names\n"
            "values = [getattr(pyaudit, name) for name in names]\n"
            "namespace = {}\n"
            "exec('from pyaudit import *', namespace)\n"
            "assert set(names) <= set(namespace)\n"
            "assert pyaudit.watch.__self__ is pyaudit._default\n"
            "print('ok')\n")
    assert run_python(code)[:2] == (0, "ok\n")


def test_the_modules_import_used_to_load_are_still_attributes():
    code = ("import sys, pyaudit\n"
            "for name in ('_api', '_build_flags', '_catalog', '_logging',\n"
            "             '_patterns', '_types', '_where'):\n"
            "    module = getattr(pyaudit, name)\n"
            "    assert module is sys.modules['pyaudit.' + name], name\n"
            "assert pyaudit._catalog._catalog is None  # the data is not read\n"
            "print('ok')\n")
    assert run_python(code)[:2] == (0, "ok\n")


def test_an_unknown_name_is_an_attribute_error():
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        pyaudit.nothing
    with pytest.raises(ImportError):
        exec("from pyaudit import nothing", {})


def test_policy_problem_made_on_first_use_pickles():
    problem = pyaudit.PolicyProblem("a.toml", 3, "rule 1", "bad")
    assert pickle.loads(pickle.dumps(problem)) == problem
    assert pyaudit.PolicyProblem is pyaudit._errors.PolicyProblem
    assert str(problem) == "a.toml:3: rule 1: bad"
