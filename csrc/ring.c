/* ring.c: the bounded buffer behind pyaudit.record() (see ring.h). */
#include "ring.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

#define CHUNK_RECORDS PYAUDIT_CHUNK_RECORDS

static pyaudit_chunk *
chunk_new(int depth)
{
    size_t frames = (size_t)depth * CHUNK_RECORDS * sizeof(pyaudit_frame);
    pyaudit_chunk *chunk = malloc(sizeof(pyaudit_chunk) + frames);
    if (chunk == NULL) {
        return NULL;
    }
    chunk->next = NULL;
    chunk->start = chunk->end = 0;
    chunk->frames = depth ? (pyaudit_frame *)(chunk + 1) : NULL;
    return chunk;
}

pyaudit_ring *
pyaudit_ring_new(size_t capacity, int depth, int shared)
{
    pyaudit_ring *ring = calloc(1, sizeof(pyaudit_ring));
    if (ring == NULL) {
        pyaudit_error_nomemory();
        return NULL;
    }
    ring->capacity = capacity;
    ring->depth = depth;
    ring->shared = shared || PYAUDIT_THREADS_RUN_IN_PARALLEL;
    return ring;
}

/* Release what a record holds (its interpreter's GIL held). */
static void
release_record(pyaudit_record *record, pyaudit_frame *frames)
{
    Py_XDECREF(record->name);
    Py_XDECREF(record->args);
    pyaudit_xdata_free(record->flat);
    if (frames != NULL && record->nframes > 0) {
        pyaudit_frames_release(frames, record->nframes);
    }
}

static void
release_given(PyObject *name, PyObject *args, pyaudit_xdata *flat,
              pyaudit_frame *frames, int nframes)
{
    (void)name;     /* borrowed: no reference was taken yet */
    (void)args;
    pyaudit_xdata_free(flat);
    pyaudit_frames_release(frames, nframes);
}

int
pyaudit_ring_push(pyaudit_ring *ring, PyObject *name, PyObject *args,
                  pyaudit_xdata *flat, pyaudit_frame *frames, int nframes,
                  int64_t time_ns, unsigned long thread_id, int64_t interp_id)
{
    pyaudit_chunk *fresh = NULL;
    for (;;) {
        pyaudit_ring_lock(ring);
        if (ring->count >= ring->capacity) {
            ring->dropped++;
            pyaudit_ring_unlock(ring);
            release_given(name, args, flat, frames, nframes);
            free(fresh);
            return 1;
        }
        pyaudit_chunk *chunk = ring->tail;
        if (chunk == NULL || chunk->end == CHUNK_RECORDS) {
            pyaudit_chunk *next = fresh != NULL ? fresh : ring->spare;
            if (next != NULL) {
                if (next == fresh) {
                    fresh = NULL;
                }
                else {
                    ring->spare = NULL;
                }
                next->start = next->end = 0;
                next->next = NULL;
                if (chunk == NULL) {
                    ring->head = next;
                }
                else {
                    chunk->next = next;
                }
                ring->tail = chunk = next;
            }
        }
        if (chunk != NULL && chunk->end < CHUNK_RECORDS) {
            pyaudit_ring_fill(ring, chunk, name, args, flat, frames,
                              nframes, time_ns, thread_id, interp_id);
            pyaudit_ring_unlock(ring);
            free(fresh);        /* another push linked a chunk meanwhile */
            return 0;
        }
        pyaudit_ring_unlock(ring);
        /* No room and no spare: allocate outside the lock, then retry. */
        fresh = chunk_new(ring->depth);
        if (fresh == NULL) {
            pyaudit_ring_lock(ring);
            ring->dropped++;
            pyaudit_ring_unlock(ring);
            release_given(name, args, flat, frames, nframes);
            return 1;
        }
    }
}

/* Take the whole chain out under the lock; *count gets how many. */
static pyaudit_chunk *
take_all(pyaudit_ring *ring, size_t *count)
{
    pyaudit_ring_lock(ring);
    pyaudit_chunk *chain = ring->head;
    *count = ring->count;
    ring->head = ring->tail = NULL;
    ring->count = 0;
    pyaudit_ring_unlock(ring);
    return chain;
}

/* Free drained chunks, keeping one as the ring's spare. */
static void
recycle(pyaudit_ring *ring, pyaudit_chunk *chain)
{
    while (chain != NULL) {
        pyaudit_chunk *next = chain->next;
        pyaudit_ring_lock(ring);
        if (ring->spare == NULL) {
            ring->spare = chain;
            chain = NULL;
        }
        pyaudit_ring_unlock(ring);
        free(chain);
        chain = next;
    }
}

/* Put the records from chunk's start on (and the chunks after it) back in
 * front of whatever the ring received meanwhile. */
static void
put_back(pyaudit_ring *ring, pyaudit_chunk *chunk, size_t count)
{
    pyaudit_chunk *last = chunk;
    while (last->next != NULL) {
        last = last->next;
    }
    pyaudit_ring_lock(ring);
    last->next = ring->head;
    if (ring->head == NULL) {
        ring->tail = last;
    }
    ring->head = chunk;
    ring->count += count;
    pyaudit_ring_unlock(ring);
}

/* Whether none of a tuple's items can be part of a reference cycle (none
 * is of a type the collector follows). */
static int
holds_no_cycle(PyObject *tuple)
{
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tuple); i++) {
        if (PyType_IS_GC(Py_TYPE(PyTuple_GET_ITEM(tuple, i)))) {
            return 0;
        }
    }
    return 1;
}

/* A new event_type instance of 6 items, not tracked by the collector yet
 * (its items are unset).  Made directly when the type is laid out as a
 * tuple (a NamedTuple is), else with its tp_alloc (then tracked). */
static PyObject *
alloc_event(PyTypeObject *type, int *tracked)
{
    *tracked = !(type->tp_basicsize == PyTuple_Type.tp_basicsize
                 && type->tp_itemsize == PyTuple_Type.tp_itemsize
                 && type->tp_dictoffset == 0
                 && type->tp_alloc == PyType_GenericAlloc);
    if (*tracked) {
        return type->tp_alloc(type, 6);
    }
    return (PyObject *)PyObject_GC_NewVar(PyTupleObject, type, 6);
}

/* One event_type instance for a record, taking over its references (the
 * record is left empty). */
static PyObject *
make_event(PyTypeObject *type, pyaudit_record *record,
           pyaudit_frame *frames, PyObject *thread_id,
           pyaudit_resolver *resolver)
{
    PyObject *name, *args, *stack;
    if (record->flat != NULL) {
        if (pyaudit_xdata_unpack(record->flat, &name, &args, &stack) < 0) {
            return NULL;
        }
        pyaudit_xdata_free(record->flat);
        record->flat = NULL;
    }
    else {
        stack = record->nframes < 0
                ? Py_NewRef(Py_None)
                : pyaudit_resolver_stack(resolver, frames, record->nframes);
        if (stack == NULL) {
            return NULL;
        }
        if (record->nframes > 0) {
            pyaudit_frames_release(frames, record->nframes);
        }
        record->nframes = -1;
        name = record->name;
        args = record->args;
        record->name = record->args = NULL;
    }
    PyObject *time_ns = PyLong_FromLongLong(record->time_ns);
    PyObject *interp_id = PyLong_FromLongLong(record->interp_id);
    int tracked = 0;
    PyObject *event = time_ns != NULL && interp_id != NULL
                      ? alloc_event(type, &tracked) : NULL;
    if (event == NULL) {
        /* The record keeps what it had, so that it can go back. */
        if (record->flat == NULL && record->name == NULL
            && name != NULL) {
            record->name = name;
            record->args = args;
        }
        else {
            Py_XDECREF(name);
            Py_XDECREF(args);
        }
        Py_XDECREF(stack);
        Py_XDECREF(time_ns);
        Py_XDECREF(interp_id);
        return NULL;
    }
    PyTuple_SET_ITEM(event, 0, name);
    PyTuple_SET_ITEM(event, 1, args);
    PyTuple_SET_ITEM(event, 2, time_ns);
    PyTuple_SET_ITEM(event, 3, Py_NewRef(thread_id));
    PyTuple_SET_ITEM(event, 4, interp_id);
    PyTuple_SET_ITEM(event, 5, stack);
    /* Recorded events are drained by the thousand; the collector need not
     * walk those that can be in no cycle (names, numbers and the like),
     * as it stops walking such tuples itself. */
    /* (The name, numbers and stack hold no object of the program: a stack
     * is tuples of str and int, or plain data from another interpreter.) */
    if (holds_no_cycle(args)) {
        PyObject_GC_UnTrack(args);      /* as the collector itself would */
    }
    else if (!tracked) {
        PyObject_GC_Track(event);
    }
    return event;
}

PyObject *
pyaudit_ring_drain(pyaudit_ring *ring, PyObject *event_type)
{
    size_t count;
    pyaudit_chunk *chain = take_all(ring, &count);
    PyObject *list = PyList_New((Py_ssize_t)count);
    PyObject *thread_id = NULL;         /* the last one made */
    unsigned long last_thread = 0;
    pyaudit_resolver resolver;
    pyaudit_resolver_init(&resolver);
    size_t built = 0;
    pyaudit_chunk *chunk = chain;
    while (list != NULL && chunk != NULL) {
        for (; chunk->start < chunk->end; chunk->start++) {
            pyaudit_record *record = &chunk->records[chunk->start];
            if (thread_id == NULL || record->thread_id != last_thread) {
                Py_XDECREF(thread_id);
                thread_id = PyLong_FromUnsignedLong(record->thread_id);
                last_thread = record->thread_id;
            }
            pyaudit_frame *frames = chunk->frames == NULL ? NULL
                : &chunk->frames[chunk->start * (size_t)ring->depth];
            PyObject *event = thread_id == NULL ? NULL
                : make_event((PyTypeObject *)event_type, record, frames,
                             thread_id, &resolver);
            if (event == NULL) {
                Py_CLEAR(list);
                break;
            }
            PyList_SET_ITEM(list, (Py_ssize_t)built++, event);
        }
        if (list == NULL) {
            break;
        }
        pyaudit_chunk *next = chunk->next;
        chunk->next = NULL;
        recycle(ring, chunk);
        chunk = next;
    }
    Py_XDECREF(thread_id);
    pyaudit_resolver_clear(&resolver);
    if (list == NULL) {
        if (chunk != NULL) {        /* what was not built goes back */
            put_back(ring, chunk, count - built);
        }
        pyaudit_ring_lock(ring);
        ring->dropped += built;
        pyaudit_ring_unlock(ring);
    }
    return list;
}

size_t
pyaudit_ring_clear(pyaudit_ring *ring)
{
    size_t count;
    pyaudit_chunk *chain = take_all(ring, &count);
    /* Oldest first, outside the lock: a release can run any Python code,
     * which may raise events into this same ring. */
    for (pyaudit_chunk *chunk = chain; chunk != NULL; chunk = chunk->next) {
        for (size_t i = chunk->start; i < chunk->end; i++) {
            release_record(&chunk->records[i], chunk->frames == NULL ? NULL
                           : &chunk->frames[i * (size_t)ring->depth]);
        }
    }
    recycle(ring, chain);
    return count;
}

uint64_t
pyaudit_ring_dropped(pyaudit_ring *ring)
{
    pyaudit_ring_lock(ring);
    uint64_t dropped = ring->dropped;
    pyaudit_ring_unlock(ring);
    return dropped;
}

int
pyaudit_ring_traverse(pyaudit_ring *ring, visitproc visit, void *arg)
{
    int result = 0;
    pyaudit_ring_lock(ring);
    for (pyaudit_chunk *chunk = ring->head; chunk != NULL && result == 0;
         chunk = chunk->next) {
        for (size_t i = chunk->start; i < chunk->end && result == 0; i++) {
            pyaudit_record *record = &chunk->records[i];
            if (record->name != NULL) {
                result = visit(record->name, arg);
            }
            if (result == 0 && record->args != NULL) {
                result = visit(record->args, arg);
            }
        }
    }
    pyaudit_ring_unlock(ring);
    return result;
}

void
pyaudit_ring_free(pyaudit_ring *ring)
{
    if (ring == NULL) {
        return;
    }
    /* Python objects were released in their interpreter (clear); only
     * flattened events, which any thread may free, can remain. */
    for (pyaudit_chunk *chunk = ring->head; chunk != NULL;) {
        pyaudit_chunk *next = chunk->next;
        for (size_t i = chunk->start; i < chunk->end; i++) {
            pyaudit_xdata_free(chunk->records[i].flat);
        }
        free(chunk);
        chunk = next;
    }
    free(ring->spare);
    free(ring);
}
