/* frames.h: who raised an event: the Python frames of the raising thread.
 *
 * record(..., stack=N) keeps the innermost N frames of each event as code
 * objects and instruction offsets, cheap to take; they become (filename,
 * lineno, function) tuples only when drained.  deny names the innermost
 * frame (the caller) in its message.  Everything here needs the GIL of
 * the raising interpreter, and taking frames can run Python code (3.11+
 * makes frame objects on demand, and making one can collect garbage).
 */
#ifndef PYAUDIT_FRAMES_H
#define PYAUDIT_FRAMES_H

#include "compat.h"

/* The deepest stack= a recorder accepts. */
#define PYAUDIT_MAX_STACK 64

typedef struct {
    PyObject *code;             /* owned: the frame's code object */
    int lasti;                  /* byte offset of its last instruction */
} pyaudit_frame;

/* Take up to depth frames of the current thread, innermost first, into
 * out; returns how many (0 when no Python frame runs).  Never fails. */
int pyaudit_frames_take(pyaudit_frame *out, int depth);

/* ((filename, lineno, function), ...) for n taken frames: a new tuple,
 * or NULL with an exception set.  The frames stay owned by the caller. */
PyObject *pyaudit_frames_resolve(const pyaudit_frame *frames, int n);

/* Resolving many stacks (a drain): the same frames, and often the same
 * whole stack, come again and again, and finding a line costs a walk of
 * the code's line table, so resolved frames and the last stack are kept
 * for the resolver's life.  Every tuple it makes holds only str and int,
 * and is not tracked by the garbage collector. */
#define PYAUDIT_RESOLVER_SLOTS 64

typedef struct {
    struct {
        PyObject *code;         /* owned: the key (kept alive so that no
                                   other code object takes its address) */
        int lasti;
        PyObject *entry;        /* owned: (filename, lineno, function) */
    } slots[PYAUDIT_RESOLVER_SLOTS];
    pyaudit_frame last[PYAUDIT_MAX_STACK];  /* owned codes: the key */
    int nlast;
    PyObject *last_stack;       /* owned, or NULL */
} pyaudit_resolver;

void pyaudit_resolver_init(pyaudit_resolver *resolver);
void pyaudit_resolver_clear(pyaudit_resolver *resolver);

/* pyaudit_frames_resolve through a resolver. */
PyObject *pyaudit_resolver_stack(pyaudit_resolver *resolver,
                                 const pyaudit_frame *frames, int n);

/* One (filename, lineno, function) tuple for a frame: new reference. */
PyObject *pyaudit_frame_resolve(const pyaudit_frame *frame);

void pyaudit_frames_release(pyaudit_frame *frames, int n);

/* Whether a Python frame is executing on this thread: CPython raises its
 * own finalization events from C with none, while a sys.audit() call
 * always has one. */
int pyaudit_frames_running(void);

#endif /* PYAUDIT_FRAMES_H */
