/* core.c: live subscriptions, table publishing and hook installation
 * (see core.h). */
#include "core.h"
#include "error.h"
#include "hook.h"

#include <stdlib.h>
#include <string.h>

pyaudit_core_t pyaudit_core = {
    .table = &pyaudit_empty_table,
    .next_id = 1,
};

/* The core's own subscription to its probe, PYAUDIT_NEW_INTERPRETER_EVENT
 * and PYAUDIT_CLEAR_HOOKS_EVENT, made once. */
static int
add_internal_sub(void)
{
    if (pyaudit_core.internal != NULL) {
        return 0;
    }
    pyaudit_sub *sub = pyaudit_sub_new(PYAUDIT_KIND_INTERNAL);
    if (sub == NULL
        || pyaudit_patterns_parse(&sub->patterns, PYAUDIT_PROBE_EVENT ","
                                  PYAUDIT_NEW_INTERPRETER_EVENT ","
                                  PYAUDIT_CLEAR_HOOKS_EVENT) < 0
        || pyaudit_core_add(sub) < 0) {
        if (sub != NULL) {
            pyaudit_sub_decref(sub);
        }
        pyaudit_error_nomemory();
        return -1;
    }
    pyaudit_core.internal = sub;
    pyaudit_sub_decref(sub);        /* the live list keeps it */
    return 0;
}

static int
install(void)
{
    if (add_internal_sub() < 0) {
        return -1;
    }
    if (PySys_AddAuditHook(pyaudit_hook, NULL) < 0) {
        /* An earlier hook raised on "sys.addaudithook": its exception is
         * left set. */
        pyaudit_error(PYAUDIT_ERR_STATE, "an audit hook added earlier failed "
                          "sys.addaudithook, so pyaudit's hook was not "
                          "installed");
        return -1;
    }
    if (!Py_IsInitialized()) {
        /* Before Python starts no hook can refuse ours: CPython raises
         * "sys.addaudithook" only once an interpreter exists. */
        pyaudit_core.installed = 1;
        return 0;
    }
    PyInterpreterState *main_interp = PyInterpreterState_Main();
    PYAUDIT_STORE_RELAXED(pyaudit_core.main_interp, main_interp);
    /* Interpreters made from now on announce themselves to the internal
     * subscription; those made before are in the list. */
    pyaudit_core.only_main = PyInterpreterState_Head() == main_interp
                             && PyInterpreterState_Next(main_interp) == NULL;
    /* CPython reports success without adding the hook when an earlier
     * hook refuses "sys.addaudithook"; a probe event, which the internal
     * subscription sees, tells the truth.  If an attempt failed, the hook
     * was never added, so trying again cannot install it twice. */
    pyaudit_core.probe_seen = 0;
    if (PySys_Audit(PYAUDIT_PROBE_EVENT, "") < 0) {
        PyErr_Clear();      /* another hook failed on the probe */
    }
    if (!pyaudit_core.probe_seen) {
        pyaudit_error(PYAUDIT_ERR_STATE, "pyaudit's audit hook was not installed: an audit "
                          "hook added earlier refused sys.addaudithook, so "
                          "no event would be seen");
        return -1;
    }
    pyaudit_core.installed = 1;
    return 0;
}

int
pyaudit_core_install(void)
{
    if (pyaudit_core.installed) {
        return 0;
    }
    if (pyaudit_core.installing) {
        /* Another audit hook ran pyaudit code while pyaudit added its own
         * hook (on "sys.addaudithook" or the probe): adding it again would
         * install it twice. */
        pyaudit_error(PYAUDIT_ERR_STATE, "pyaudit's audit hook is being installed (this "
                          "call came from another audit hook meanwhile); "
                          "subscribe again once it is");
        return -1;
    }
    pyaudit_core.installing = 1;
    int result = install();
    pyaudit_core.installing = 0;
    return result;
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
        pyaudit_error_nomemory();
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
        pyaudit_error_nomemory();
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
    /* On failure the stale table keeps a reference until the next
     * publish; nothing is delivered through it. */
    (void)publish();
    /* Releasing the callable can run any Python code, which is safe now
     * that the core no longer lists the sub. */
    pyaudit_sub_release_callable(sub);
    pyaudit_sub_decref(sub);
}

pyaudit_sub *
pyaudit_core_find_sink(long id)
{
    for (pyaudit_sub *sub = pyaudit_core.live; sub; sub = sub->next) {
        if (sub->id == id && sub->kind == PYAUDIT_KIND_SINK) {
            return sub;
        }
    }
    return NULL;
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

void
pyaudit_core_internal_event(const char *event, PyInterpreterState *interp)
{
    if (strcmp(event, PYAUDIT_PROBE_EVENT) == 0) {
        pyaudit_core.probe_seen = pyaudit_core.installing;
        return;
    }
    if (strcmp(event, PYAUDIT_NEW_INTERPRETER_EVENT) == 0) {
        /* Even if making it fails later: a clear flag is always safe. */
        pyaudit_core.only_main = 0;
        return;
    }
    if (!PYAUDIT_IS_FINALIZING()) {
        return;                 /* raised by someone else: ignore it */
    }
    pyaudit_core.installed = 0;
    pyaudit_core.only_main = 0;
    PYAUDIT_STORE_RELAXED(pyaudit_core.main_interp, NULL);
    /* Close interp's Python subscriptions without releasing any Python
     * object: from 3.12 CPython raises this event after it has cleared the
     * interpreter's state, where a __del__ run by a decref crashes.  The
     * live list's references are kept (leaked), so neither this publish
     * nor a later decref frees a sub; the process is ending anyway. */
    pyaudit_sub **link = &pyaudit_core.live;
    while (*link != NULL) {
        pyaudit_sub *sub = *link;
        if (sub->interp == interp) {
            sub->active = 0;
            sub->state = NULL;
            *link = sub->next;
            sub->next = NULL;
        }
        else {
            link = &sub->next;
        }
    }
    (void)publish();
}

int
pyaudit_core_allow_interpreter(PyInterpreterState *interp)
{
    int free_slot = -1;
    for (int i = 0; i < PYAUDIT_MAX_INTERPRETERS; i++) {
        if (pyaudit_core.shared_gil[i] == interp) {
            return 0;
        }
        if (pyaudit_core.shared_gil[i] == NULL && free_slot < 0) {
            free_slot = i;
        }
    }
    if (free_slot < 0) {
        pyaudit_error(PYAUDIT_ERR_STATE, "pyaudit is imported in more than %d interpreters",
                          PYAUDIT_MAX_INTERPRETERS);
        return -1;
    }
    PYAUDIT_STORE_RELAXED(pyaudit_core.shared_gil[free_slot], interp);
    return 0;
}

void
pyaudit_core_forget_interpreter(PyInterpreterState *interp)
{
    for (int i = 0; i < PYAUDIT_MAX_INTERPRETERS; i++) {
        if (pyaudit_core.shared_gil[i] == interp) {
            PYAUDIT_STORE_RELAXED(pyaudit_core.shared_gil[i], NULL);
        }
    }
}
