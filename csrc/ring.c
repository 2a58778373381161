/* ring.c: the bounded buffer behind pyaudit.record() (see ring.h). */
#include "ring.h"

#include <stdlib.h>

pyaudit_ring *
pyaudit_ring_new(size_t capacity)
{
    size_t limit = (SIZE_MAX - sizeof(pyaudit_ring)) / sizeof(pyaudit_record);
    if (capacity == 0 || capacity > limit) {
        PyErr_Format(PyExc_ValueError,
                     "capacity must be between 1 and %zu", limit);
        return NULL;
    }
    pyaudit_ring *ring = malloc(sizeof(pyaudit_ring)
                                + (capacity - 1) * sizeof(pyaudit_record));
    if (ring == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    ring->capacity = capacity;
    ring->head = 0;
    ring->count = 0;
    ring->dropped = 0;
    return ring;
}

static void
release_records(pyaudit_record *records, size_t start, size_t n)
{
    for (size_t i = start; i < n; i++) {
        Py_DECREF(records[i].name);
        Py_DECREF(records[i].args);
    }
}

/* Move every record out into a new array (free() it), oldest first, and
 * empty the ring; NULL with MemoryError set, the ring untouched.  Callers
 * take the records before making or releasing any object: either can run
 * Python code (the garbage collector, a finalizer) that raises events
 * into this same ring, or drains it. */
static pyaudit_record *
take_records(pyaudit_ring *ring, size_t *n)
{
    *n = ring->count;
    pyaudit_record *taken = malloc((*n ? *n : 1) * sizeof(pyaudit_record));
    if (taken == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (size_t i = 0; i < *n; i++) {
        taken[i] = ring->records[pyaudit_ring_slot(ring, i)];
    }
    ring->head = 0;
    ring->count = 0;
    return taken;
}

PyObject *
pyaudit_ring_drain(pyaudit_ring *ring)
{
    size_t n;
    pyaudit_record *taken = take_records(ring, &n);
    if (taken == NULL) {
        return NULL;
    }

    PyObject *list = PyList_New((Py_ssize_t)n);
    size_t done = 0;
    if (list != NULL) {
        for (; done < n; done++) {
            pyaudit_record *r = &taken[done];
            /* "N" steals the name and args references from the record. */
            PyObject *item = Py_BuildValue("(NNLk)", r->name, r->args,
                                           (long long)r->time_ns,
                                           r->thread_id);
            if (item == NULL) {
                done++;     /* Py_BuildValue released that record's refs */
                Py_CLEAR(list);
                break;
            }
            PyList_SET_ITEM(list, (Py_ssize_t)done, item);
        }
    }
    if (list == NULL) {
        release_records(taken, done, n);
        ring->dropped += n;
    }
    free(taken);
    return list;
}

Py_ssize_t
pyaudit_ring_clear(pyaudit_ring *ring)
{
    size_t n;
    pyaudit_record *taken = take_records(ring, &n);
    if (taken == NULL) {
        return -1;
    }
    release_records(taken, 0, n);
    free(taken);
    return (Py_ssize_t)n;
}

void
pyaudit_ring_free(pyaudit_ring *ring)
{
    if (ring == NULL) {
        return;
    }
    for (size_t i = 0; i < ring->count; i++) {
        pyaudit_record *record = &ring->records[pyaudit_ring_slot(ring, i)];
        Py_DECREF(record->name);
        Py_DECREF(record->args);
    }
    free(ring);
}
