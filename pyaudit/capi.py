"""The C API through cffi (ABI mode), for Python code and tests that want
to drive pyaudit exactly as a C host does.

    from pyaudit.capi import ffi, lib
    @ffi.callback("pyaudit_sink_fn")
    def sink(event, args, userdata):
        print(ffi.string(event))
        return 0
    sub_id = lib.pyaudit_subscribe(b"socket.*", sink, ffi.NULL)

``args`` arrives as ``void *`` (a borrowed ``PyObject *``); keep callbacks
alive as long as they are subscribed.  Needs cffi (the ``capi`` extra);
without it, importing this module says what to install.
"""

from ._build_flags import get_library
from ._version import install_command

try:
    from cffi import FFI
except ModuleNotFoundError as exc:
    if exc.name not in ("cffi", "_cffi_backend"):
        raise
    raise ModuleNotFoundError(
        "pyaudit.capi needs cffi, which is not installed: %s"
        % install_command("capi"), name=exc.name) from None

CDEF = """
typedef int (*pyaudit_sink_fn)(const char *event, void *args,
                               void *userdata);
int pyaudit_install(void);
long pyaudit_subscribe(const char *patterns, pyaudit_sink_fn sink,
                       void *userdata);
#define PYAUDIT_ALL_INTERPRETERS 1
long pyaudit_subscribe_ex(const char *patterns, const char *where,
                          pyaudit_sink_fn sink, void *userdata,
                          unsigned int flags);
int pyaudit_unsubscribe(long id);
const char *pyaudit_last_error(void);
"""

ffi = FFI()
ffi.cdef(CDEF)
# The extension module is already loaded by the import of get_library; the
# loader hands back that same library, so this lib shares its core.
lib = ffi.dlopen(get_library())


def last_error():
    """pyaudit_last_error() as a str."""
    return ffi.string(lib.pyaudit_last_error()).decode("utf-8", "replace")
