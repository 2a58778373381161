/* hook.c: the native audit hook and delivery (see hook.h). */
#include "hook.h"
#include "core.h"
#include "rules.h"

#include <string.h>
#include <time.h>

/* Set while a watch callback runs on this thread: events that the
 * callback raises are not delivered to watch callbacks again. */
static PYAUDIT_THREAD_LOCAL int in_watch_callback;

/* The interpreter an event comes from.  From 3.12 the hook learns it
 * before anything else (see pyaudit_hook) and hands it down as a
 * parameter; before 3.12 each delivery function finds it, only once some
 * subscription wants the event, as a miss never needs it: while the main
 * interpreter is the only one, without asking CPython. */
#ifdef PYAUDIT_GIL_PER_INTERPRETER
#  define INTERP_PARAMETER , PyInterpreterState *interp
#  define INTERP_ARGUMENT , interp
#  define GET_INTERP()
#else
#  define INTERP_PARAMETER
#  define INTERP_ARGUMENT
#  define GET_INTERP() PyInterpreterState *interp = event_interp()

static inline PyInterpreterState *
event_interp(void)
{
    if (PYAUDIT_LIKELY(pyaudit_core.only_main)) {
        return pyaudit_core.main_interp;
    }
    return PyInterpreterState_Get();
}
#endif

/* The time.time_ns() clock. */
static int64_t
now_ns(void)
{
    struct timespec ts;
    if (PYAUDIT_WALL_CLOCK(&ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int
deny(PyObject *exception_class, PyObject *name, PyObject *args)
{
    PyObject *exc = PyObject_CallFunctionObjArgs(exception_class, name, args,
                                                 NULL);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return -1;
}

static int
call_watch(PyObject *callback, PyObject *name, PyObject *args)
{
    /* Own the callback for the call: the callback may close its own
     * subscription, which releases the sub's reference. */
    Py_INCREF(callback);
    PyObject *argv[2] = {name, args};
    in_watch_callback = 1;
    PyObject *result = PyObject_Vectorcall(callback, argv, 2, NULL);
    in_watch_callback = 0;
    Py_DECREF(callback);
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

/* A new reference to the event-name str for a delivery to target.  Under
 * an exact key the name never changes, so the target remembers the cached
 * str (a table is only read, and written here, with the GIL held). */
static PyObject *
event_name(const pyaudit_targets *targets, const pyaudit_target *target,
           const char *event, size_t len, uint32_t hash)
{
    if (target->name != NULL) {
        return Py_NewRef(target->name);
    }
    int cached;
    PyObject *name = pyaudit_names_get(&target->sub->state->names, event,
                                       len, hash, &cached);
    if (name != NULL && cached && targets->exact) {
        ((pyaudit_target *)target)->name = name;
    }
    return name;
}

/* Whether sub is open and wants events of interp (NULL: of any). */
static inline int
serves(const pyaudit_sub *sub, const PyInterpreterState *interp)
{
    return sub->active && (sub->interp == NULL || sub->interp == interp);
}

/* Count one event for a count target; -1 with MemoryError set. */
static inline int
count_event(const pyaudit_target *target, const char *event, size_t len,
            uint32_t hash)
{
    if (target->count_cell != NULL) {
        (*target->count_cell)++;
        return 0;
    }
    if (pyaudit_counts_add(target->sub->counts, event, len, hash) < 0) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

/* Deliver one event to a list of only count and record targets.  Neither
 * runs Python code, so nothing can replace and free the table meanwhile:
 * no table reference is taken, and the general dispatch is skipped.  Only
 * raising an error (MemoryError, a name that is not UTF-8) can run the
 * garbage collector, and so Python code: after one, the loop stops and
 * touches nothing that came from the table. */
static PYAUDIT_NOINLINE int
deliver_without_python(const pyaudit_targets *targets, const char *event,
                       size_t len, uint32_t hash,
                       PyObject *args INTERP_PARAMETER)
{
    GET_INTERP();
    PyObject *name = NULL;          /* owned, made for the first record */
    int64_t time_ns = 0;
    unsigned long thread_id = 0;
    const pyaudit_target *target = targets->targets;
    const pyaudit_target *end = target + targets->count;
    int result = 0;

    do {
        pyaudit_sub *sub = target->sub;     /* borrowed from the table */
        if (!serves(sub, interp)) {
            continue;
        }
        if (sub->kind == PYAUDIT_KIND_COUNT) {
            if (count_event(target, event, len, hash) < 0) {
                result = -1;
                break;
            }
            continue;
        }
        if (name == NULL) {
            name = event_name(targets, target, event, len, hash);
            if (name == NULL) {
                result = -1;
                break;
            }
            time_ns = now_ns();
            thread_id = PYAUDIT_THREAD_IDENT();
        }
        pyaudit_ring_push(sub->ring, name, args, time_ns, thread_id);
    } while (++target < end);
    Py_XDECREF(name);
    return result;
}

/* Deliver one event to its targets, in the table's order (internal,
 * count, record, sink, watch, deny).  The table is held for the whole
 * delivery, because a callback may subscribe or close and so replace it. */
static PYAUDIT_NOINLINE int
dispatch(pyaudit_table *table, const pyaudit_targets *targets,
         const char *event, size_t len, uint32_t hash,
         PyObject *args INTERP_PARAMETER)
{
    GET_INTERP();
    PyObject *name = NULL;          /* owned, made on first need */
    int64_t time_ns = -1;
    int result = 0;
    int reentered = -1;             /* read on first need: TLS costs */

    pyaudit_table_incref(table);
    for (size_t i = 0; i < targets->count; i++) {
        const pyaudit_target *target = &targets->targets[i];
        pyaudit_sub *sub = target->sub;     /* borrowed from the table */
        if (!serves(sub, interp)) {
            continue;
        }
        /* where= rules: they may run Python code (__fspath__) that closes
         * subscriptions; the table reference held here keeps sub alive,
         * and a sub closed meanwhile gets nothing. */
        if (sub->rules != NULL
            && (!pyaudit_rules_match(sub->rules, event, len, args)
                || !sub->active)) {
            continue;
        }
        if (sub->kind == PYAUDIT_KIND_INTERNAL) {
            pyaudit_core_internal_event(event, interp);
            continue;
        }
        if (sub->kind == PYAUDIT_KIND_SINK) {
            if (sub->sink(event, args, sub->userdata) < 0) {
                if (!PyErr_Occurred()) {
                    PyErr_Format(PyExc_SystemError,
                                 "a pyaudit sink failed on '%s' without "
                                 "setting an exception", event);
                }
                result = -1;
                break;
            }
            continue;
        }
        if (sub->kind == PYAUDIT_KIND_COUNT) {
            if (count_event(target, event, len, hash) < 0) {
                result = -1;
                break;
            }
            continue;
        }
        if (sub->kind == PYAUDIT_KIND_WATCH) {
            if (reentered < 0) {
                reentered = in_watch_callback;
            }
            if (reentered) {
                continue;
            }
        }
        if (name == NULL) {
            name = event_name(targets, target, event, len, hash);
            if (name == NULL) {
                result = -1;
                break;
            }
        }
        if (sub->kind == PYAUDIT_KIND_RECORD) {
            if (time_ns < 0) {
                time_ns = now_ns();
            }
            pyaudit_ring_push(sub->ring, name, args, time_ns,
                              PYAUDIT_THREAD_IDENT());
        }
        else if (sub->kind == PYAUDIT_KIND_WATCH) {
            if (sub->callable != NULL
                && call_watch(sub->callable, name, args) < 0) {
                result = -1;
                break;
            }
        }
        else if (sub->kind == PYAUDIT_KIND_DENY) {
            if (sub->callable != NULL) {
                result = deny(sub->callable, name, args);
                break;
            }
        }
    }
    Py_XDECREF(name);
    pyaudit_table_decref(table);
    return result;
}

/* Everything after the two-byte rejection; out of line, so that the
 * rejection needs no stack frame. */
static PYAUDIT_NOINLINE int
lookup_and_deliver(pyaudit_table *table, const char *event,
                   PyObject *args INTERP_PARAMETER)
{
    uint32_t hash;
    size_t len;
    const pyaudit_targets *targets = pyaudit_table_lookup(table, event,
                                                          &hash, &len);
    if (PYAUDIT_LIKELY(targets == NULL)) {
        return 0;
    }
    if (targets->count_only) {
        /* Counting runs no Python code, so it needs no table reference,
         * no event-name str and no dispatch. */
        GET_INTERP();
        const pyaudit_target *target = targets->targets;
        const pyaudit_target *end = target + targets->count;
        do {
            if (target->sub->active && target->sub->interp == interp) {
                (*target->count_cell)++;
            }
        } while (++target < end);
        return 0;
    }
    if (targets->no_python) {
        return deliver_without_python(targets, event, len, hash,
                                      args INTERP_ARGUMENT);
    }
    return dispatch(table, targets, event, len, hash, args INTERP_ARGUMENT);
}

int
pyaudit_hook(const char *event, PyObject *args, void *userdata)
{
    (void)userdata;
    /* With the GIL held and no Python code run before dispatch takes its
     * reference, the table cannot be freed under this call. */
#ifdef PYAUDIT_GIL_PER_INTERPRETER
    /* An interpreter with a GIL of its own runs in parallel with the core:
     * leave its events alone, before even reading the table (see core.h). */
    PyInterpreterState *interp = PyInterpreterState_Get();
    if (PYAUDIT_UNLIKELY(interp
                         != PYAUDIT_LOAD_RELAXED(pyaudit_core.main_interp))
        && !pyaudit_core_interpreter_allowed(interp)) {
        return 0;
    }
#endif
    pyaudit_table *table = PYAUDIT_LOAD_PTR(pyaudit_core.table);
    if (PYAUDIT_LIKELY(pyaudit_table_rejects(table, event))) {
        return 0;
    }
    return lookup_and_deliver(table, event, args INTERP_ARGUMENT);
}
