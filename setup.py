"""Build script for pyaudit's C extension (metadata is in pyproject.toml).

Set PYAUDIT_WERROR=1 to turn compiler warnings into errors (CI does), and
PYAUDIT_SANITIZE=address,undefined (or thread, see tools/tsan.sh) to build
with sanitizers, PYAUDIT_MEMCHECK=1 for valgrind (tools/memcheck.sh).

Both kinds of install, ``pip install .`` and ``pip install -e .``, put
pyaudit's start-up file (pyaudit/_autostart.py) in site-packages.
"""

import os
import runpy
import shutil
import sys
import sysconfig
from glob import glob

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

try:
    from setuptools.command.editable_wheel import editable_wheel
except ImportError:     # setuptools older than 64: no PEP 660 installs
    editable_wheel = None

_AUTOSTART = runpy.run_path(os.path.join("pyaudit", "_autostart.py"))
PTH_NAME = _AUTOSTART["PTH_NAME"]
PTH_TEXT = _AUTOSTART["PTH_LINE"] + "\n"


class build_py_with_header(build_py):
    """Ship csrc/pyaudit.h as pyaudit/include/pyaudit.h, for C hosts
    (pyaudit.get_include() returns that directory), and the start-up file
    at the top of the wheel, which installs it in site-packages."""

    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "pyaudit", "include")
        os.makedirs(target, exist_ok=True)
        shutil.copy(os.path.join("csrc", "pyaudit.h"), target)
        with open(os.path.join(self.build_lib, PTH_NAME), "w") as pth:
            pth.write(PTH_TEXT)

    def get_outputs(self, include_bytecode=1):
        return super().get_outputs(include_bytecode) + [
            os.path.join(self.build_lib, PTH_NAME)]


class _WithStartupFile:
    """An editable-install strategy of setuptools that also writes the
    start-up file into the wheel (setuptools leaves build_py's files out
    of editable wheels)."""

    def __init__(self, strategy):
        self._strategy = strategy

    def __enter__(self):
        self._strategy.__enter__()
        return self

    def __exit__(self, *exc_info):
        return self._strategy.__exit__(*exc_info)

    def __call__(self, wheel, files, mapping):
        self._strategy(wheel, files, mapping)
        wheel.writestr(PTH_NAME, PTH_TEXT)


commands = {"build_py": build_py_with_header}
if editable_wheel is not None:
    class editable_wheel_with_startup_file(editable_wheel):
        def _select_strategy(self, *args, **kwargs):
            return _WithStartupFile(super()._select_strategy(*args, **kwargs))

    commands["editable_wheel"] = editable_wheel_with_startup_file


compile_args = []
link_args = []
if sys.platform != "win32":
    # Hidden by default: the C API in csrc/pyaudit.h is all a host sees.
    compile_args += ["-std=c11", "-Wall", "-Wextra", "-fvisibility=hidden"]
    if os.environ.get("PYAUDIT_WERROR") == "1":
        compile_args.append("-Werror")
    if os.environ.get("PYAUDIT_MEMCHECK") == "1":
        # Names read byte by byte, for valgrind (tools/memcheck.sh).
        compile_args += ["-DPYAUDIT_BYTEWISE_LOADS", "-g"]
    sanitize = os.environ.get("PYAUDIT_SANITIZE")
    if sanitize:
        compile_args += ["-fsanitize=" + sanitize, "-fno-omit-frame-pointer",
                         "-g", "-O1"]
        link_args += ["-fsanitize=" + sanitize]
        cc = os.environ.get("CC") or sysconfig.get_config_var("CC") or ""
        if "thread" in sanitize.split(",") and "clang" not in cc:
            # gcc warns that ThreadSanitizer does not model fences; it
            # checks the core's acquire/release pairs instead (see
            # tools/tsan.supp), so the warning must not fail -Werror.
            compile_args.append("-Wno-tsan")

setup(
    cmdclass=commands,
    # The pyaudit command, without the "import re" of pip's console-script
    # template (scripts/pyaudit says why).
    scripts=["scripts/pyaudit"],
    ext_modules=[
        Extension(
            "pyaudit._pyaudit",
            sources=sorted(glob("csrc/*.c")),
            depends=sorted(glob("csrc/*.h")),
            extra_compile_args=compile_args,
            extra_link_args=link_args,
        )
    ],
)
