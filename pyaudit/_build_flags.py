"""Where the C API lives, and the flags a C host needs to use it.

A host compiles against ``pyaudit.h`` and links against pyaudit's own
extension module, the one binary that holds the core.  When the host later
runs ``import pyaudit``, Python loads that same file, which the dynamic
loader already has: so there is one hook and one table.
"""

import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))


def get_include():
    """The directory holding pyaudit.h."""
    candidates = (
        os.path.join(_HERE, "include"),                 # installed wheel
        os.path.join(os.path.dirname(_HERE), "csrc"),   # source checkout
    )
    for directory in candidates:
        if os.path.isfile(os.path.join(directory, "pyaudit.h")):
            return directory
    raise FileNotFoundError("pyaudit.h is in neither of %s; reinstall "
                            "pyaudit" % " nor ".join(candidates))


def get_library():
    """The path of the library that exports the C API (the extension).

    ImportError, saying what to do, when the extension cannot be imported
    (the pure-Python backend has no C API).
    """
    try:
        from . import _pyaudit
    except ImportError as exc:
        from . import _no_extension
        raise ImportError("the C API needs pyaudit's C extension, which "
                          "%s: %s" % _no_extension(exc),
                          name=__package__ + "._pyaudit") from None
    return os.path.abspath(_pyaudit.__file__)


def _sysconfig():
    """sysconfig, imported on first use: ``import pyaudit`` (which
    ``pyaudit run`` does before the program it runs) should not import
    it."""
    import sysconfig
    return sysconfig


def _python_cflags():
    paths = _sysconfig().get_paths()
    include = paths["include"]
    platinclude = paths["platinclude"]
    flags = ["-I" + include]
    if platinclude != include:
        flags.append("-I" + platinclude)
    return flags


def _python_libs():
    """What python3-config --ldflags --embed prints, with an rpath so the
    host finds a shared libpython without LD_LIBRARY_PATH."""
    var = _sysconfig().get_config_var
    libdir = var("LIBDIR") or ""
    flags = []
    if var("Py_ENABLE_SHARED"):
        flags += ["-L" + libdir, "-Wl,-rpath," + libdir]
    else:
        flags += ["-L" + (var("LIBPL") or libdir)]
    flags.append("-lpython%s%s" % (var("VERSION"),
                                   getattr(sys, "abiflags", "")))
    for name in ("LIBS", "SYSLIBS"):
        flags += (var(name) or "").split()
    return flags


def cflags():
    """Compiler flags for a C host: pyaudit.h and Python.h."""
    return ["-I" + get_include()] + _python_cflags()


def libs():
    """Linker flags for a C host: pyaudit's library and libpython."""
    library = get_library()
    directory, name = os.path.split(library)
    return (["-L" + directory, "-l:" + name, "-Wl,-rpath," + directory]
            + _python_libs())
