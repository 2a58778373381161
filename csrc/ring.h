/* ring.h: the bounded buffer behind pyaudit.record().
 *
 * Fixed capacity, allocated once; a push into a full ring counts the event
 * as dropped instead of blocking or growing.  Every function needs the GIL.
 */
#ifndef PYAUDIT_RING_H
#define PYAUDIT_RING_H

#include "compat.h"
#include <stdint.h>

typedef struct {
    PyObject *name;             /* owned */
    PyObject *args;             /* owned */
    int64_t time_ns;
    unsigned long thread_id;
} pyaudit_record;

typedef struct {
    size_t capacity;
    size_t head;                /* index of the oldest record */
    size_t count;
    uint64_t dropped;
    pyaudit_record records[1];  /* capacity of them */
} pyaudit_ring;

/* NULL with MemoryError set when out of memory. */
pyaudit_ring *pyaudit_ring_new(size_t capacity);

/* The slot of the i-th oldest record. */
static inline size_t
pyaudit_ring_slot(const pyaudit_ring *ring, size_t i)
{
    size_t index = ring->head + i;
    return index >= ring->capacity ? index - ring->capacity : index;
}

/* name and args are borrowed; the ring takes its own references.  Inline:
 * it runs for every recorded event. */
static inline void
pyaudit_ring_push(pyaudit_ring *ring, PyObject *name, PyObject *args,
                  int64_t time_ns, unsigned long thread_id)
{
    if (ring->count == ring->capacity) {
        ring->dropped++;
        return;
    }
    pyaudit_record *record = &ring->records[pyaudit_ring_slot(ring,
                                                              ring->count)];
    record->name = Py_NewRef(name);
    record->args = Py_NewRef(args);
    record->time_ns = time_ns;
    record->thread_id = thread_id;
    ring->count++;
}

/* A new list of (name, args, time_ns, thread_id) tuples, oldest first; the
 * ring is empty afterwards.  NULL with an exception set on failure (the
 * records are then lost, and counted as dropped). */
PyObject *pyaudit_ring_drain(pyaudit_ring *ring);

/* Take every record buffered when called, then release them, without
 * building any object; returns how many, or -1 with MemoryError set (the
 * ring untouched).  Not counted as dropped: the caller asked for them to
 * go.  Events raised while they are released stay in the ring. */
Py_ssize_t pyaudit_ring_clear(pyaudit_ring *ring);

void pyaudit_ring_free(pyaudit_ring *ring);

#endif /* PYAUDIT_RING_H */
