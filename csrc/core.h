/* core.h: the process-wide state behind the one audit hook.
 *
 * The core owns the live subscriptions (C and Python ones alike) and the
 * current table, and installs the hook.  Configuration (add, remove) runs
 * with the GIL held (or before Python starts), rebuilds the table and
 * publishes it with one pointer store; the old table lives on while a hook
 * call still dispatches from it (see table.h).
 *
 * Failures return -1 with a message in pyaudit_error_get() and no Python
 * exception, except where a function says otherwise.
 */
#ifndef PYAUDIT_CORE_H
#define PYAUDIT_CORE_H

#include "compat.h"
#include "state.h"
#include "sub.h"
#include "table.h"

#define PYAUDIT_PROBE_EVENT "pyaudit.probe"
/* Raised by Py_FinalizeEx() just before it drops every audit hook. */
#define PYAUDIT_CLEAR_HOOKS_EVENT "cpython._PySys_ClearAuditHooks"
/* Raised, in the creating interpreter, before a new interpreter exists. */
#define PYAUDIT_NEW_INTERPRETER_EVENT "cpython.PyInterpreterState_New"

/* How many subinterpreters sharing the main GIL can import pyaudit. */
#define PYAUDIT_MAX_INTERPRETERS 64

typedef struct {
    pyaudit_table *table;       /* owned reference; never NULL */
    int installed;              /* the hook is in place */
    int installing;             /* pyaudit_core_install is under way */
    int probe_seen;             /* the hook saw the install probe */
    long next_id;
    pyaudit_sub *live;          /* owned references, oldest first */
    pyaudit_sub *internal;      /* borrowed from live: sees the install
                                   probe, and notices when CPython drops
                                   the hook; NULL until first installed */
    /* Interpreters whose events the hook may handle (3.12+, where an
     * interpreter with a GIL of its own would race with the core): the
     * main one, and those that imported pyaudit, which CPython allows only
     * in interpreters sharing the main GIL.  Borrowed; written with the
     * main GIL held, read by the hook in any interpreter. */
    PyInterpreterState *main_interp;
    PyInterpreterState *shared_gil[PYAUDIT_MAX_INTERPRETERS];
    /* Before 3.12: no interpreter but main_interp has existed since the
     * hook was installed (checked then; cleared for good by the internal
     * subscription when a new one is made), so every event comes from
     * main_interp and the hook need not ask.  Read and written with the
     * GIL held, which all interpreters share before 3.12. */
    int only_main;
} pyaudit_core_t;

extern pyaudit_core_t pyaudit_core;

/* Install the hook unless it is in place.  Once Python runs, a probe event
 * checks that the hook really runs (an earlier hook can refuse it).  If an
 * earlier hook raised on "sys.addaudithook", its exception is left set. */
int pyaudit_core_install(void);

/* Give sub an id, make it live and publish a table with it.  The core
 * takes its own reference. */
int pyaudit_core_add(pyaudit_sub *sub);

/* Deactivate sub and publish a table without it.  Idempotent. */
void pyaudit_core_remove(pyaudit_sub *sub);

/* The live C subscription with that id, or NULL. */
pyaudit_sub *pyaudit_core_find_sink(long id);

/* Remove every sub made by the module state that is going away. */
void pyaudit_core_remove_state(pyaudit_state *state);

/* The internal subscription's events (in the hook, GIL held): the install
 * probe, a new interpreter being made, and Py_FinalizeEx() dropping every
 * hook, after which the hook must
 * be installed again and interp's Python subscriptions, which can never
 * see an event again, are closed.  The latter is acted on only while
 * Python really finalizes: anyone can raise an event of that name. */
void pyaudit_core_internal_event(const char *event,
                                 PyInterpreterState *interp);

/* Let the hook handle events of interp, an interpreter sharing the main
 * GIL (module import), or stop (module free).  0, or -1 when full. */
int pyaudit_core_allow_interpreter(PyInterpreterState *interp);
void pyaudit_core_forget_interpreter(PyInterpreterState *interp);

/* Whether the hook may handle an event of interp (see shared_gil). */
static inline int
pyaudit_core_interpreter_allowed(PyInterpreterState *interp)
{
    if (interp == PYAUDIT_LOAD_RELAXED(pyaudit_core.main_interp)) {
        return 1;
    }
    for (int i = 0; i < PYAUDIT_MAX_INTERPRETERS; i++) {
        if (PYAUDIT_LOAD_RELAXED(pyaudit_core.shared_gil[i]) == interp) {
            return 1;
        }
    }
    /* Only the main interpreter itself can find itself here: cache it. */
    if (interp == PyInterpreterState_Main()) {
        PYAUDIT_STORE_RELAXED(pyaudit_core.main_interp, interp);
        return 1;
    }
    return 0;
}

#endif /* PYAUDIT_CORE_H */
