/* event.h: pyaudit.Event as the native core makes it.
 *
 * Everything an Event is (its fields and their order, tuple behaviour,
 * repr, _replace, pickling, named_args()) is defined once, in Python:
 * the tuple subclass pyaudit._types.EventBase.  Each import of pyaudit
 * derives pyaudit.Event from it here, adding only what a class statement
 * cannot: a dealloc of its own instead of CPython's generic one for
 * classes (subtype_dealloc), and a free list of dead events, which
 * record's drains take their events from.  A drain of a
 * thousand events then neither allocates nor frees one (nor their time_ns
 * ints), and, as allocations are what start the collector, does not start
 * it either.
 *
 * Every full collection empties the free list, as it empties CPython's
 * own (through gc.callbacks), so that dead events keep no memory the
 * program gave back.
 *
 * The type is a heap type of the interpreter that makes it.  Its free
 * list is the state of a module object of its own (the type's module, as
 * CPython sees it): so the type keeps no module of pyaudit's alive (the
 * extension's module object is freed when pyaudit is imported again,
 * even while events of the old type live), and its dead events go with
 * it.  With CPython 3.8 (whose types know no module) events have no free
 * list.
 */
#ifndef PYAUDIT_EVENT_H
#define PYAUDIT_EVENT_H

#include "compat.h"

/* An Event's items: name, args, time_ns, thread_id, interpreter_id,
 * stack (pyaudit._types.EventBase._fields). */
#define PYAUDIT_EVENT_ITEMS 6

/* Dead events of one Event type, kept for reuse.  A dead event
 * also keeps its time_ns int when nothing else referred to it, for the
 * next event to take over with its own value written in (event.c). */
typedef struct {
    PyObject *head;             /* owned memory, not references: a dead
                                   event, the next one in its item 0 */
    Py_ssize_t size;
} pyaudit_event_freelist;

/* pyaudit.Event derived from base (a tuple subclass laid out as a tuple,
 * with no __dict__, __weakref__ or finalizer), with an empty free list.
 * A new reference, or NULL with an exception set. */
PyObject *pyaudit_event_type_new(PyObject *base);

/* Whether type was made by pyaudit_event_type_new. */
int pyaudit_event_type_check(PyObject *type);

/* The free list of type (made by pyaudit_event_type_new), borrowed, or
 * NULL when it has none. */
pyaudit_event_freelist *pyaudit_event_freelist_of(PyTypeObject *type);

/* A new event of type (made by pyaudit_event_type_new), taken from spare
 * (pyaudit_event_freelist_of(type)) if it is not empty, with time_ns set
 * and its other items NULL, not tracked by the collector: the caller sets
 * every other item, then tracks it if an item can be in a cycle.  NULL
 * with MemoryError set. */
PyObject *pyaudit_event_new(PyTypeObject *type,
                            pyaudit_event_freelist *spare, int64_t time_ns);

#endif /* PYAUDIT_EVENT_H */
