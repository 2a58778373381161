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

typedef struct {
    pyaudit_table *table;       /* owned reference; never NULL */
    int installed;              /* the hook is in place */
    int probe_seen;             /* the hook saw the install probe */
    long next_id;
    pyaudit_sub *live;          /* owned references, oldest first */
    pyaudit_sub *internal;      /* borrowed from live: notices when CPython
                                   drops the hook; NULL until installed */
} pyaudit_core_t;

extern pyaudit_core_t pyaudit_core;

/* Install the hook unless it is in place.  Once Python runs, a probe event
 * checks that the hook really runs (an earlier hook can refuse it); if the
 * probe itself fails, its Python exception is left set as well. */
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

/* Py_FinalizeEx() is dropping every hook (seen in the hook, GIL held):
 * the hook must be installed again, and interp's Python subscriptions,
 * which can never see an event again, are closed. */
void pyaudit_core_hooks_cleared(PyInterpreterState *interp);

#endif /* PYAUDIT_CORE_H */
