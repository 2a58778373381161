"""The distribution's name and the install commands pyaudit prints.

PyPI's "pyaudit" is an unrelated project, so the distribution has a name of
its own (the import name stays ``pyaudit``): every message that tells users
what to install must name that distribution, from one constant.
"""

import re

from pyaudit import _version
from support import ROOT, run_python


def pyproject_name():
    with open(ROOT + "/pyproject.toml", encoding="utf-8") as f:
        text = f.read()
    project = text.split("[project]", 1)[1].split("\n[", 1)[0]
    return re.search(r'^name = "([^"]+)"$', project, re.M).group(1)


def test_pyproject_declares_the_distribution_constant():
    assert pyproject_name() == _version.DISTRIBUTION


def test_distribution_is_not_pypis_unrelated_pyaudit():
    normalized = re.sub(r"[-_.]+", "-", _version.DISTRIBUTION).lower()
    assert normalized != "pyaudit"


def test_install_command_names_the_distribution_and_extra():
    assert _version.install_command() == "pip install %s" % (
        _version.DISTRIBUTION,)
    assert _version.install_command("capi") == 'pip install "%s[capi]"' % (
        _version.DISTRIBUTION,)


# Makes cffi unimportable, as in an install without the [capi] extra.
BLOCK_CFFI = """
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name == "cffi" or name.startswith("cffi."):
            raise ModuleNotFoundError("No module named 'cffi'", name="cffi")
        return None
sys.meta_path.insert(0, Blocker())
try:
    import pyaudit.capi
except ImportError as exc:
    print(type(exc).__name__, exc.name)
    print(exc)
"""


def test_capi_without_cffi_says_what_to_install():
    rc, out, err = run_python(BLOCK_CFFI)
    assert (rc, err) == (0, "")
    kind, message = out.splitlines()
    assert kind == "ModuleNotFoundError cffi"
    assert message == ('pyaudit.capi needs cffi, which is not installed: '
                       'pip install "%s[capi]"' % _version.DISTRIBUTION)
