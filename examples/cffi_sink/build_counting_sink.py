"""A pyaudit sink written in C, compiled with cffi's out-of-line API mode.

    python examples/cffi_sink/build_counting_sink.py     # builds _counting_sink

then, in Python:

    import _counting_sink, pyaudit.capi as capi
    sink = capi.ffi.cast("pyaudit_sink_fn", _counting_sink.ffi.cast(
        "uintptr_t", _counting_sink.ffi.addressof(_counting_sink.lib,
                                                   "counting_sink")))
    capi.lib.pyaudit_subscribe(b"socket.*", sink, capi.ffi.NULL)
    ...
    _counting_sink.lib.sink_count()

The sink runs no Python code at all, so it is safe in every interpreter.
"""

import sys

from cffi import FFI

ffibuilder = FFI()
ffibuilder.cdef("""
    int counting_sink(const char *event, void *args, void *userdata);
    unsigned long sink_count(void);
    const char *sink_last_event(void);
""")
ffibuilder.set_source("_counting_sink", r"""
    #include <string.h>

    static unsigned long count;         /* updated with the GIL held */
    static char last_event[128];

    int
    counting_sink(const char *event, void *args, void *userdata)
    {
        (void)args;
        (void)userdata;
        count++;
        strncpy(last_event, event, sizeof(last_event) - 1);
        return 0;
    }

    unsigned long
    sink_count(void)
    {
        return count;
    }

    const char *
    sink_last_event(void)
    {
        return last_event;
    }
""")

if __name__ == "__main__":
    ffibuilder.compile(tmpdir=sys.argv[1] if len(sys.argv) > 1 else ".")
