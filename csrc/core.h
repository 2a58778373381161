/* core.h: the process-wide state behind the one audit hook.
 *
 * The core owns the live subscriptions (C and Python ones, of every
 * interpreter) and the current table, and installs the hook.
 * Configuration (add, remove, install) runs under the configuration lock
 * (sync.h), from any thread, with or without a GIL; it rebuilds the table
 * and publishes it with one pointer store, then frees the old one once no
 * hook call can still be reading it.
 *
 * Failures return -1 with the error set (error.h) and no Python
 * exception, except where a function says otherwise.
 */
#ifndef PYAUDIT_CORE_H
#define PYAUDIT_CORE_H

#include "compat.h"
#include "sub.h"
#include "table.h"

#define PYAUDIT_PROBE_EVENT "pyaudit.probe"
/* Raised, in the creating interpreter, before a new interpreter exists. */
#define PYAUDIT_NEW_INTERPRETER_EVENT "cpython.PyInterpreterState_New"
/* Raised as an interpreter ends, before its state is cleared. */
#define PYAUDIT_INTERPRETER_ENDS_EVENT "cpython.PyInterpreterState_Clear"
/* Raised by Py_FinalizeEx() just before it drops every audit hook. */
#define PYAUDIT_CLEAR_HOOKS_EVENT "cpython._PySys_ClearAuditHooks"

/* What the hook reads on every event; written only by core.c.
 *
 * A miss is decided from first_two and generation alone, copies of the
 * current table's filter and generation kept here, outside any table:
 * they are never freed, so the hook reads them before it enters a reader
 * section (sync.h), and a miss never enters one.  Each is stored after
 * the table it copies is published; a hook call that reads one table's
 * copies and meets another table is as one that ran just before or after
 * the publish, which a subscribe or close still under way allows. */
typedef struct {
    uint64_t first_two[256];    /* the current table's first_two, or
                                   every bit set if it may not be used (a
                                   default target); first, so that the
                                   hook indexes it from the symbol */
    pyaudit_table *table;       /* the current table (the core's
                                   reference); never NULL */
    PyInterpreterState *main_interp;    /* borrowed, or NULL before the
                                           hook is installed in Python */
    int only_main;              /* before 3.12: no interpreter but the
                                   main one has existed since the hook was
                                   installed */
    PyInterpreterState *const *interpreters_head;  /* where CPython keeps
                                   its list of interpreters, found at
                                   install (PYAUDIT_RUNTIME_OFFSETS), or
                                   NULL: ask PyInterpreterState_Head */
    size_t next_offset;         /* of an interpreter's link to the next */
    uint64_t generation;        /* the current table's generation: a
                                   memo (table.h) of it is current */
} pyaudit_hot_state;

extern pyaudit_hot_state pyaudit_hot;

/* Whether the current table wants no name with the first two bytes of
 * block, the name's first block as pyaudit_load_block reads it
 * (pyaudit_table_rejects, from the copy): the bytes after a NUL first
 * byte are garbage, but no key starts with NUL, so first_two[0] is empty
 * (unless every bit is set) and such a name is rejected whatever they
 * are. */
static inline int
pyaudit_hot_rejects_block(uint64_t block)
{
    uint64_t bits = PYAUDIT_LOAD_RELAXED(pyaudit_hot.first_two[block & 0xff]);
    return !((bits >> ((block >> 8) & 63)) & 1);
}

/* pyaudit_core_sole_interpreter through PyInterpreterState_Head and _Next
 * (out of line). */
PyInterpreterState *pyaudit_core_sole_interpreter_by_calls(void);

/* The main interpreter, if it is the only one (every event then comes from
 * it); otherwise NULL.  For hits: from 3.12 it reads CPython's list of
 * interpreters, in place where the install found it (3.13 on), else with
 * two calls. */
static inline PyInterpreterState *
pyaudit_core_sole_interpreter(void)
{
    if (PYAUDIT_NEW_INTERPRETERS_ANNOUNCED) {
        return PYAUDIT_LOAD_RELAXED(pyaudit_hot.only_main)
               ? PYAUDIT_LOAD_RELAXED(pyaudit_hot.main_interp) : NULL;
    }
#ifdef PYAUDIT_RUNTIME_OFFSETS
    PyInterpreterState *const *head_at =
        PYAUDIT_LOAD_ACQUIRE(pyaudit_hot.interpreters_head);
    if (PYAUDIT_LIKELY(head_at != NULL)) {
        PyInterpreterState *only = PYAUDIT_LOAD_RELAXED(*head_at);
        PyInterpreterState *const *next_at = (PyInterpreterState *const *)(
            (const char *)only + pyaudit_hot.next_offset);
        return only != NULL && PYAUDIT_LOAD_RELAXED(*next_at) == NULL
               ? only : NULL;
    }
#endif
    return pyaudit_core_sole_interpreter_by_calls();
}

/* How pyaudit_core_sole_interpreter answers: "flag" (the event CPython
 * raises before a new interpreter exists), "in place" (its list of
 * interpreters, read where the install found it) or "calls". */
const char *pyaudit_core_interpreter_check(void);

/* Once per process; idempotent. */
void pyaudit_core_init(void);

/* Install the hook unless it is in place.  Once Python runs, a probe event
 * checks that the hook really runs (an earlier hook can refuse it).  If an
 * earlier hook raised on "sys.addaudithook", its exception is left set.
 * A second thread waits for an install under way (with its GIL released);
 * the installing thread itself (from another audit hook meanwhile) gets
 * an error. */
int pyaudit_core_install(void);

/* Give sub an id, make it live and publish a table with it.  The core
 * takes its own reference. */
int pyaudit_core_add(pyaudit_sub *sub);

/* Deactivate sub and publish a table without it; idempotent.  For a sink,
 * returns once no call of it is under way on another thread.  Releases no
 * Python object: the caller does, in the sub's interpreter. */
void pyaudit_core_remove(pyaudit_sub *sub);

/* The live subscriptions other than the core's own, oldest first, each
 * with a new reference, in a malloc'd array; NULL with the error set when
 * out of memory. */
pyaudit_sub **pyaudit_core_snapshot(size_t *n);

/* The live C subscription with that id, with a new reference, or NULL
 * with the error set. */
pyaudit_sub *pyaudit_core_find_sink(long id);

/* The core's own subscription received an event (in the hook, outside its
 * reader section, GIL of interp held).  Returns 1 when the event was
 * CPython dropping every hook: installing must fail until the delivery of
 * that event is over (pyaudit_core_hooks_dropped). */
int pyaudit_core_internal_event(const char *event,
                                PyInterpreterState *interp);
void pyaudit_core_hooks_dropped(void);

#endif /* PYAUDIT_CORE_H */
