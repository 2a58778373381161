/* core.h: the process-wide state behind the one audit hook.
 *
 * The core owns the live subscriptions and the current table, and
 * installs the hook.  Configuration (add, remove) runs with the GIL held,
 * rebuilds the table and publishes it with one pointer store; the old
 * table lives on while a hook call still dispatches from it (see table.h).
 */
#ifndef PYAUDIT_CORE_H
#define PYAUDIT_CORE_H

#include "compat.h"
#include "state.h"
#include "sub.h"
#include "table.h"

#define PYAUDIT_PROBE_EVENT "pyaudit.probe"

typedef struct {
    pyaudit_table *table;       /* owned reference; never NULL */
    int installed;              /* the hook is in place and seen working */
    int probe_seen;             /* the hook saw the probe */
    long next_id;
    pyaudit_sub *live;          /* owned references, oldest first */
} pyaudit_core_t;

extern PYAUDIT_INTERNAL pyaudit_core_t pyaudit_core;

/* Install the hook once per process, and check that it really runs.
 * 0, or -1 with an exception set (install_error when the hook was not
 * added). */
int pyaudit_core_install(PyObject *install_error);

/* Give sub an id, make it live and publish a table with it.  The core
 * takes its own reference.  0, or -1 with an exception set. */
int pyaudit_core_add(pyaudit_sub *sub);

/* Deactivate sub and publish a table without it.  Idempotent. */
void pyaudit_core_remove(pyaudit_sub *sub);

/* Remove every sub made by the module state that is going away. */
void pyaudit_core_remove_state(pyaudit_state *state);

#endif /* PYAUDIT_CORE_H */
