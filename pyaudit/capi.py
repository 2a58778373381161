"""The C API through cffi (ABI mode), for Python code and tests that want
to drive pyaudit exactly as a C host does.

    from pyaudit.capi import ffi, lib
    @ffi.callback("pyaudit_sink_fn")
    def sink(event, args, userdata):
        print(ffi.string(event))
        return 0
    sub_id = lib.pyaudit_subscribe(b"socket.*", sink, ffi.NULL)

``args`` arrives as ``void *`` (a borrowed ``PyObject *``).  A sink given
to ``lib.pyaudit_subscribe`` or ``lib.pyaudit_subscribe_ex`` from Python
(a callback as above, or any other function pointer) belongs to this
interpreter: pyaudit keeps it and its ``userdata`` alive while it is
subscribed, and unsubscribes it when the interpreter ends, before Python
frees them.  Needs cffi (the ``capi`` extra); without it, importing this
module says what to install.
"""

from . import _pyaudit
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
# loader hands back that same library, so these functions share its core.
_c = ffi.dlopen(get_library())


def _address(cdata, kind):
    """The address of a cdata of that kind ("function": a function pointer,
    "pointer": userdata), or None for anything else."""
    if not isinstance(cdata, ffi.CData) or ffi.typeof(cdata).kind != kind:
        return None
    return int(ffi.cast("uintptr_t", cdata))


def _text(patterns):
    """The bytes a C caller's patterns argument stands for (up to its first
    NUL, as C reads it), or None for NULL or anything not text."""
    if isinstance(patterns, ffi.CData) and patterns != ffi.NULL:
        try:
            patterns = ffi.string(patterns)
        except TypeError:
            return None
    if not isinstance(patterns, bytes):
        return None
    return patterns.split(b"\0", 1)[0]


def _rule_text(where):
    """The str of a C caller's rule text, or False when it is not text
    that the module can take (the C function then reports it)."""
    raw = _text(where)
    if raw is None:
        return False
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return False


class _Library:
    """``lib``: the C functions of the C API, except that subscribing from
    Python ties the sink to this interpreter (see the module's doc).  A
    call it cannot route that way (a NULL or ill-typed argument, unknown
    flags, rule text that is not UTF-8) goes to the C function itself, which reports
    the problem as it does for C callers."""

    def __getattr__(self, name):
        return getattr(_c, name)

    def __dir__(self):
        return dir(_c)

    def pyaudit_subscribe(self, patterns, sink, userdata):
        return self.pyaudit_subscribe_ex(patterns, ffi.NULL, sink, userdata,
                                         0)

    def pyaudit_subscribe_ex(self, patterns, where, sink, userdata, flags):
        text = _text(patterns)
        function = _address(sink, "function")
        data = _address(userdata, "pointer")
        rules = None if where in (None, ffi.NULL) else _rule_text(where)
        if (text is None or not function or data is None
                or rules is False
                or flags not in (0, _c.PYAUDIT_ALL_INTERPRETERS)):
            return _c.pyaudit_subscribe_ex(patterns, where, sink, userdata,
                                           flags)
        try:
            return _pyaudit._subscribe_sink(
                text, function, data, (sink, userdata),
                "all" if flags else "main", rules)
        except (ValueError, TypeError, MemoryError, RuntimeError):
            # What the core raises, with the message of the C API's -1,
            # which pyaudit_last_error() gives (InstallError is a
            # RuntimeError).
            return -1

    def pyaudit_unsubscribe(self, sub_id):
        if not isinstance(sub_id, int):
            return _c.pyaudit_unsubscribe(sub_id)
        try:
            _pyaudit._unsubscribe_sink(sub_id)
        except ValueError:
            return -1
        return 0


lib = _Library()


def last_error():
    """pyaudit_last_error() as a str."""
    return ffi.string(lib.pyaudit_last_error()).decode("utf-8", "replace")
