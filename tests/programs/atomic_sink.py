"""A pyaudit C sink that counts with atomic operations, for sinks of every
interpreter called from several threads at once; compiled with cffi.

    sink = build(directory)          # the compiled module
    address = sink_address(sink)     # the C function, as an int
    sink.lib.sink_calls(), sink.lib.sink_count(i), sink.lib.sink_overlap()

Each call adds one to the total and, when the event's first argument is
an int i in [0, SLOTS), to slot i (read with the event's GIL held, as a
sink may).  It also notes the most calls it has seen running at once, and
how many are running now (sink_running()); events named "slow.*" take it
10 ms.
"""

import importlib.util

from cffi import FFI

SOURCE = r"""
#include <Python.h>
#include <string.h>
#include <time.h>

#define SLOTS 16

static unsigned long long calls;
static unsigned long long slots[SLOTS];
static int running;
static int most_running;

static void
note_running(int now)
{
    int seen = __atomic_load_n(&most_running, __ATOMIC_RELAXED);
    while (now > seen
           && !__atomic_compare_exchange_n(&most_running, &seen, now, 0,
                                           __ATOMIC_RELAXED,
                                           __ATOMIC_RELAXED)) {
    }
}

int
atomic_sink(const char *event, void *args, void *userdata)
{
    (void)userdata;
    note_running(__atomic_add_fetch(&running, 1, __ATOMIC_SEQ_CST));
    if (strncmp(event, "slow.", 5) == 0) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    /* cffi builds with the limited API: no macros into the tuple. */
    PyObject *first = PyTuple_Size((PyObject *)args) > 0
                      ? PyTuple_GetItem((PyObject *)args, 0) : NULL;
    if (first != NULL && PyLong_CheckExact(first)) {
        long slot = PyLong_AsLong(first);
        if (slot >= 0 && slot < SLOTS) {
            __atomic_add_fetch(&slots[slot], 1, __ATOMIC_RELAXED);
        }
        else if (slot == -1 && PyErr_Occurred()) {
            PyErr_Clear();      /* too big: in no slot */
        }
    }
    __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
    __atomic_sub_fetch(&running, 1, __ATOMIC_SEQ_CST);
    return 0;
}

int
sink_running(void)
{
    return __atomic_load_n(&running, __ATOMIC_SEQ_CST);
}

unsigned long long
sink_calls(void)
{
    return __atomic_load_n(&calls, __ATOMIC_RELAXED);
}

unsigned long long
sink_count(int slot)
{
    return slot >= 0 && slot < SLOTS
           ? __atomic_load_n(&slots[slot], __ATOMIC_RELAXED) : 0;
}

int
sink_overlap(void)
{
    return __atomic_load_n(&most_running, __ATOMIC_RELAXED);
}
"""

CDEF = """
int atomic_sink(const char *event, void *args, void *userdata);
unsigned long long sink_calls(void);
unsigned long long sink_count(int slot);
int sink_overlap(void);
int sink_running(void);
"""


def build(directory):
    """Compile the sink into directory and import it."""
    builder = FFI()
    builder.cdef(CDEF)
    builder.set_source("_pyaudit_atomic_sink", SOURCE)
    library = builder.compile(tmpdir=str(directory))
    spec = importlib.util.spec_from_file_location("_pyaudit_atomic_sink",
                                                  library)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sink_address(module):
    """The address of atomic_sink, as an int."""
    return int(module.ffi.cast("uintptr_t", module.ffi.addressof(
        module.lib, "atomic_sink")))
