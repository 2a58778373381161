"""Build script for pyaudit's C extension (metadata is in pyproject.toml).

Set PYAUDIT_WERROR=1 to turn compiler warnings into errors (CI does), and
PYAUDIT_SANITIZE=address,undefined (or thread, see tools/tsan.sh) to build
with sanitizers.
"""

import os
import shutil
import sys
import sysconfig
from glob import glob

from setuptools import Extension, setup
from setuptools.command.build_py import build_py


class build_py_with_header(build_py):
    """Ship csrc/pyaudit.h as pyaudit/include/pyaudit.h, for C hosts
    (pyaudit.get_include() returns that directory)."""

    def run(self):
        super().run()
        target = os.path.join(self.build_lib, "pyaudit", "include")
        os.makedirs(target, exist_ok=True)
        shutil.copy(os.path.join("csrc", "pyaudit.h"), target)


compile_args = []
link_args = []
if sys.platform != "win32":
    # Hidden by default: the C API in csrc/pyaudit.h is all a host sees.
    compile_args += ["-std=c11", "-Wall", "-Wextra", "-fvisibility=hidden"]
    if os.environ.get("PYAUDIT_WERROR") == "1":
        compile_args.append("-Werror")
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
    cmdclass={"build_py": build_py_with_header},
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
