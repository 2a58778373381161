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

/* name and args are borrowed; the ring takes its own references. */
void pyaudit_ring_push(pyaudit_ring *ring, PyObject *name, PyObject *args,
                       int64_t time_ns, unsigned long thread_id);

/* A new list of (name, args, time_ns, thread_id) tuples, oldest first; the
 * ring is empty afterwards.  NULL with an exception set on failure (the
 * records are then lost, and counted as dropped). */
PyObject *pyaudit_ring_drain(pyaudit_ring *ring);

void pyaudit_ring_free(pyaudit_ring *ring);

#endif /* PYAUDIT_RING_H */
