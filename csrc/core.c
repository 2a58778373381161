/* core.c: live subscriptions, table publishing and hook installation
 * (see core.h). */
#include "core.h"
#include "hook.h"

#include <stdlib.h>

pyaudit_core_t pyaudit_core = {
    .table = &pyaudit_empty_table,
    .next_id = 1,
};

int
pyaudit_core_install(PyObject *install_error)
{
    if (pyaudit_core.installed) {
        return 0;
    }
    /* CPython reports success without adding the hook when an earlier
     * hook vetoes "sys.addaudithook"; a probe event tells the truth.  If
     * an attempt failed, the hook was never added, so trying again cannot
     * install it twice. */
    if (PySys_AddAuditHook(pyaudit_hook, NULL) < 0) {
        return -1;
    }
    /* Nothing is subscribed before the hook is installed, so the current
     * table is the empty one; the probe table stands in for it. */
    pyaudit_table *current = pyaudit_core.table;
    pyaudit_core.probe_seen = 0;
    PYAUDIT_STORE_PTR(pyaudit_core.table, &pyaudit_probe_table);
    int result = PySys_Audit(PYAUDIT_PROBE_EVENT, "");
    PYAUDIT_STORE_PTR(pyaudit_core.table, current);
    if (result < 0) {
        return -1;
    }
    if (!pyaudit_core.probe_seen) {
        PyErr_SetString(install_error,
                        "pyaudit's audit hook was not installed: an audit "
                        "hook added earlier refused sys.addaudithook, so no "
                        "event would be seen");
        return -1;
    }
    pyaudit_core.installed = 1;
    return 0;
}

/* Compile the live subs in delivery order (by kind, then age) and make
 * that table current. */
static int
publish(void)
{
    size_t n = 0;
    for (pyaudit_sub *sub = pyaudit_core.live; sub; sub = sub->next) {
        n++;
    }
    pyaudit_sub **ordered = malloc((n ? n : 1) * sizeof(pyaudit_sub *));
    if (ordered == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t at = 0;
    for (int kind = 0; kind < PYAUDIT_KIND_LIMIT; kind++) {
        for (pyaudit_sub *sub = pyaudit_core.live; sub; sub = sub->next) {
            if ((int)sub->kind == kind) {
                ordered[at++] = sub;
            }
        }
    }
    pyaudit_table *table = pyaudit_table_compile(ordered, n);
    free(ordered);
    if (table == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    pyaudit_table *old = pyaudit_core.table;
    PYAUDIT_STORE_PTR(pyaudit_core.table, table);
    pyaudit_table_decref(old);
    return 0;
}

int
pyaudit_core_add(pyaudit_sub *sub)
{
    pyaudit_sub **link = &pyaudit_core.live;
    while (*link != NULL) {
        link = &(*link)->next;
    }
    pyaudit_sub_incref(sub);
    sub->next = NULL;
    *link = sub;
    if (publish() < 0) {
        *link = NULL;
        pyaudit_sub_decref(sub);
        return -1;
    }
    sub->id = pyaudit_core.next_id++;
    return 0;
}

void
pyaudit_core_remove(pyaudit_sub *sub)
{
    if (!sub->active) {
        return;
    }
    /* Inactive subs get no more deliveries, even from a table that is
     * still in use, so removal is immediate whatever publish() does. */
    sub->active = 0;
    pyaudit_sub **link = &pyaudit_core.live;
    while (*link != NULL && *link != sub) {
        link = &(*link)->next;
    }
    if (*link != sub) {
        return;
    }
    *link = sub->next;
    sub->next = NULL;
    if (publish() < 0) {
        /* The stale table keeps a reference until the next publish;
         * nothing is delivered through it. */
        PyErr_Clear();
    }
    /* Releasing the callable can run any Python code, which is safe now
     * that the core no longer lists the sub. */
    pyaudit_sub_release_callable(sub);
    pyaudit_sub_decref(sub);
}

void
pyaudit_core_remove_state(pyaudit_state *state)
{
    /* Removing can run Python code that changes the list, so look again
     * from the start after each removal. */
    for (;;) {
        pyaudit_sub *sub = pyaudit_core.live;
        while (sub != NULL && sub->state != state) {
            sub = sub->next;
        }
        if (sub == NULL) {
            return;
        }
        sub->state = NULL;
        pyaudit_core_remove(sub);
    }
}
