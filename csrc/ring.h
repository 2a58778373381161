/* ring.h: the bounded buffer behind pyaudit.record().
 *
 * A queue of records in chunks allocated as it fills (so a large capacity
 * costs nothing until it is used) and freed as it drains.  A push into a
 * full buffer counts the event as dropped instead of blocking or growing,
 * so drained + cleared + dropped is always what was raised.  Pushes may
 * come from many threads at once (every interpreter's, for a recorder of
 * all interpreters); a spinlock guards the few stores of a push and the
 * moment a drain takes the records out.  Python objects in a record
 * belong to the recorder's interpreter; an event of another interpreter
 * arrives flattened (xdata.h).
 */
#ifndef PYAUDIT_RING_H
#define PYAUDIT_RING_H

#include "compat.h"
#include "frames.h"
#include "sync.h"
#include "xdata.h"

#include <stdint.h>
#include <string.h>

typedef struct {
    PyObject *name;             /* owned, or NULL when flat is set */
    PyObject *args;             /* owned, or NULL when flat is set */
    pyaudit_xdata *flat;        /* owned: an event of another interpreter */
    int64_t time_ns;
    unsigned long thread_id;
    int64_t interp_id;
    int nframes;                /* frames kept in the chunk, or -1: none
                                   asked for */
} pyaudit_record;

#define PYAUDIT_CHUNK_RECORDS 128

typedef struct pyaudit_chunk pyaudit_chunk;

struct pyaudit_chunk {
    pyaudit_chunk *next;
    size_t start;               /* records [start, end) are live */
    size_t end;
    pyaudit_frame *frames;      /* borrowed from this allocation: depth
                                   frames per record, or NULL */
    pyaudit_record records[PYAUDIT_CHUNK_RECORDS];
};

typedef struct {
    pyaudit_spinlock lock;      /* guards everything below, when shared */
    int shared;                 /* pushes may come from threads that do
                                   not share a GIL (a recorder of every
                                   interpreter, or a free-threaded build) */
    size_t capacity;
    int depth;                  /* frames kept per record (stack=) */
    size_t count;
    uint64_t dropped;
    pyaudit_chunk *head;        /* owned chain, oldest first */
    pyaudit_chunk *tail;        /* borrowed: the last of the chain */
    pyaudit_chunk *spare;       /* owned: one empty chunk kept for reuse */
} pyaudit_ring;

/* NULL with the error set (error.h) when out of memory. */
pyaudit_ring *pyaudit_ring_new(size_t capacity, int depth, int shared);

static inline void
pyaudit_ring_lock(pyaudit_ring *ring)
{
    if (ring->shared) {
        pyaudit_spin_lock(&ring->lock);
    }
}

static inline void
pyaudit_ring_unlock(pyaudit_ring *ring)
{
    if (ring->shared) {
        pyaudit_spin_unlock(&ring->lock);
    }
}

/* Fill the next record of chunk (the lock held, when shared); the
 * references to name and args are taken, flat and frames move in. */
static inline void
pyaudit_ring_fill(pyaudit_ring *ring, pyaudit_chunk *chunk, PyObject *name,
                  PyObject *args, pyaudit_xdata *flat,
                  const pyaudit_frame *frames, int nframes, int64_t time_ns,
                  unsigned long thread_id, int64_t interp_id)
{
    size_t at = chunk->end++;
    pyaudit_record *record = &chunk->records[at];
    record->name = Py_XNewRef(name);
    record->args = Py_XNewRef(args);
    record->flat = flat;
    record->time_ns = time_ns;
    record->thread_id = thread_id;
    record->interp_id = interp_id;
    record->nframes = ring->depth ? nframes : -1;
    if (ring->depth && nframes > 0) {
        memcpy(&chunk->frames[at * (size_t)ring->depth], frames,
               (size_t)nframes * sizeof(pyaudit_frame));
    }
    ring->count++;
}

/* The common push, inline: an event of the recorder's own interpreter,
 * room in the last chunk.  frames: ring->depth taken frames (their
 * references move to the ring) or NULL.  Returns 0 when done, -1 when the
 * caller must use pyaudit_ring_push. */
static inline int
pyaudit_ring_push_fast(pyaudit_ring *ring, PyObject *name, PyObject *args,
                       const pyaudit_frame *frames, int nframes,
                       int64_t time_ns, unsigned long thread_id,
                       int64_t interp_id)
{
    pyaudit_ring_lock(ring);
    pyaudit_chunk *chunk = ring->tail;
    if (PYAUDIT_UNLIKELY(chunk == NULL || ring->count >= ring->capacity
                         || chunk->end == PYAUDIT_CHUNK_RECORDS)) {
        pyaudit_ring_unlock(ring);
        return -1;
    }
    pyaudit_ring_fill(ring, chunk, name, args, NULL, frames, nframes,
                      time_ns, thread_id, interp_id);
    pyaudit_ring_unlock(ring);
    return 0;
}

/* One event.  name and args are borrowed (the ring takes references), or
 * NULL with flat given (the ring takes it).  frames: depth taken frames,
 * whose references the ring takes (NULL when depth is 0).  Returns 0, or
 * 1 when the event was dropped (the ring was full or out of memory; what
 * it was given is released then). */
int pyaudit_ring_push(pyaudit_ring *ring, PyObject *name, PyObject *args,
                      pyaudit_xdata *flat, pyaudit_frame *frames,
                      int nframes, int64_t time_ns, unsigned long thread_id,
                      int64_t interp_id);

/* The records buffered when called, as a new list of event_type objects
 * (a tuple subclass: name, args, time_ns, thread_id, interpreter_id,
 * stack), oldest first; the ring keeps what arrives meanwhile.  NULL with
 * an exception set on failure: the records not yet built go back into the
 * ring, in order, and those built are counted as dropped. */
PyObject *pyaudit_ring_drain(pyaudit_ring *ring, PyObject *event_type);

/* Take every record buffered when called and release them without
 * building anything; returns how many.  Not counted as dropped: the
 * caller asked for them to go. */
size_t pyaudit_ring_clear(pyaudit_ring *ring);

uint64_t pyaudit_ring_dropped(pyaudit_ring *ring);

/* Call visit on every Python object the ring holds (for the garbage
 * collector; with the recorder's interpreter's GIL held). */
int pyaudit_ring_traverse(pyaudit_ring *ring, visitproc visit, void *arg);

/* Free the ring; its Python objects must be gone (pyaudit_ring_clear). */
void pyaudit_ring_free(pyaudit_ring *ring);

#endif /* PYAUDIT_RING_H */
