/* bench_hooks.c: reference hooks for the benchmarks (see bench_hooks.h). */
#include "bench_hooks.h"

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
    PyObject *args;             /* owned */
    int64_t time_ns;
    unsigned long thread_id;
} retained_event;

static retained_event *retained;
static Py_ssize_t retained_count;
static Py_ssize_t retained_capacity;

int
pyaudit_noop_hook(const char *event, PyObject *args, void *userdata)
{
    (void)event;
    (void)args;
    (void)userdata;
    return 0;
}

int
pyaudit_retain_hook(const char *event, PyObject *args, void *userdata)
{
    (void)event;
    (void)userdata;
    if (retained_count < retained_capacity) {
        struct timespec ts;
        retained_event *kept = &retained[retained_count++];
        kept->args = Py_NewRef(args);
        kept->time_ns = PYAUDIT_WALL_CLOCK(&ts) != 0
                        ? 0 : (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        kept->thread_id = PYAUDIT_THREAD_IDENT();
    }
    return 0;
}

void
pyaudit_retain_hook_release(void)
{
    for (Py_ssize_t i = 0; i < retained_count; i++) {
        Py_DECREF(retained[i].args);
    }
    retained_count = 0;
}

int
pyaudit_retain_hook_reserve(Py_ssize_t capacity)
{
    if (capacity < 1
        || (size_t)capacity > SIZE_MAX / sizeof(retained_event)) {
        PyErr_SetString(PyExc_ValueError, "capacity out of range");
        return -1;
    }
    retained_event *grown = realloc(retained,
                                    (size_t)capacity * sizeof(retained_event));
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    retained = grown;
    retained_capacity = capacity;
    return 0;
}
