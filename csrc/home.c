/* home.c: one interpreter's part of pyaudit (see home.h). */
#include "home.h"
#include "scope.h"
#include "error.h"
#include "sync.h"

#include <stdlib.h>

static pyaudit_home *homes;     /* open homes; configuration lock */

pyaudit_home *
pyaudit_home_find(PyInterpreterState *interp)
{
    for (pyaudit_home *home = homes; home != NULL; home = home->next) {
        if (home->interp == interp) {
            return home;
        }
    }
    return NULL;
}

pyaudit_home *
pyaudit_home_acquire_for_module(void)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    pyaudit_config_lock();
    pyaudit_home *home = pyaudit_home_find(interp);
    if (home == NULL) {
        home = calloc(1, sizeof(pyaudit_home));
        if (home != NULL) {
            home->interp = interp;
            home->interp_id = PYAUDIT_INTERPRETER_ID(interp);
            home->open = 1;
            pyaudit_names_init(&home->names);
            home->next = homes;
            homes = home;
        }
    }
    if (home != NULL) {
        home->modules++;
        pyaudit_home_incref(home);
    }
    pyaudit_config_unlock();
    if (home == NULL) {
        pyaudit_error_nomemory();
    }
    return home;
}

void
pyaudit_home_incref(pyaudit_home *home)
{
    PYAUDIT_ADD_RELAXED(home->refcnt, 1);
}

void
pyaudit_home_decref(pyaudit_home *home)
{
    if (PYAUDIT_SUB_ACQ_REL(home->refcnt, 1) != 0) {
        return;
    }
    /* Every module object and subscription is gone, so the home was
     * closed by the last of them in its interpreter.  Were it open still,
     * its Python objects could not be released from here: keep them. */
    if (!home->open) {
        free(home);
    }
}

/* Take home off the list if it is open; returns whether it was. */
static int
take_off_list(pyaudit_home *home)
{
    pyaudit_config_lock();
    int was_open = home->open;
    if (was_open) {
        for (pyaudit_home **link = &homes; *link != NULL;
             link = &(*link)->next) {
            if (*link == home) {
                *link = home->next;
                break;
            }
        }
        home->next = NULL;
        home->open = 0;
    }
    pyaudit_config_unlock();
    return was_open;
}

static void
release_python(pyaudit_home *home)
{
    pyaudit_names_clear(&home->names);
    Py_CLEAR(home->event_type);
    Py_CLEAR(home->denied_type);
    Py_CLEAR(home->scope_var);
}

void
pyaudit_home_close(pyaudit_home *home)
{
    if (take_off_list(home)) {
        release_python(home);
    }
}

void
pyaudit_home_close_if_unused(pyaudit_home *home)
{
    pyaudit_config_lock();
    int unused = home->open && home->modules == 0 && home->live == 0;
    pyaudit_config_unlock();
    if (unused) {
        pyaudit_home_close(home);
    }
}

void
pyaudit_home_module_gone(pyaudit_home *home)
{
    pyaudit_config_lock();
    home->modules--;
    pyaudit_config_unlock();
    pyaudit_home_close_if_unused(home);
    pyaudit_home_decref(home);
}

void
pyaudit_home_set_types(pyaudit_home *home, PyObject *event_type,
                       PyObject *denied_type, PyObject *scope_var)
{
    Py_XSETREF(home->event_type, Py_NewRef(event_type));
    Py_XSETREF(home->denied_type, Py_NewRef(denied_type));
    Py_XSETREF(home->scope_var, Py_NewRef(scope_var));
    pyaudit_scopes_changed();   /* no memo of an older variable holds */
}
