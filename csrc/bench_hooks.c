/* bench_hooks.c: reference hooks for the benchmarks (see bench_hooks.h). */
#include "bench_hooks.h"

#include <stdlib.h>

static PyObject **retained;     /* owned references, for the process life */
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
        retained[retained_count++] = Py_NewRef(args);
    }
    return 0;
}

void
pyaudit_retain_hook_release(void)
{
    for (Py_ssize_t i = 0; i < retained_count; i++) {
        Py_DECREF(retained[i]);
    }
    retained_count = 0;
}

int
pyaudit_retain_hook_reserve(Py_ssize_t capacity)
{
    if (capacity < 1 || (size_t)capacity > SIZE_MAX / sizeof(PyObject *)) {
        PyErr_SetString(PyExc_ValueError, "capacity out of range");
        return -1;
    }
    PyObject **grown = realloc(retained,
                               (size_t)capacity * sizeof(PyObject *));
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    retained = grown;
    retained_capacity = capacity;
    return 0;
}
