/* home.h: what pyaudit keeps for one interpreter.
 *
 * Python objects belong to the interpreter that made them, so each
 * interpreter that uses pyaudit has a home: its event-name strings and the
 * Python types the native core builds or raises (pyaudit.Event,
 * pyaudit.Denied) and the context variable behind scoped subscriptions.
 * A home is not the module object: it lives until the interpreter ends
 * (CPython's cpython.PyInterpreterState_Clear event), so that purging
 * pyaudit from sys.modules and importing it again (or importing it twice
 * in one interpreter) neither closes nor forgets any subscription.
 *
 * The struct itself is freed once nothing points at it: module objects
 * and subscriptions each hold a reference.  Its Python objects are
 * released in its own interpreter, when it ends or when the last module
 * object goes while no subscription is left.  Homes are created, listed
 * and closed under the configuration lock; the hook never looks one up.
 */
#ifndef PYAUDIT_HOME_H
#define PYAUDIT_HOME_H

#include "compat.h"
#include "names.h"

typedef struct pyaudit_home {
    long refcnt;                /* atomic: module objects and subscription
                                   structs pointing here */
    int modules;                /* live module objects (config lock) */
    int live;                   /* open subscriptions (config lock) */
    int open;                   /* its Python objects are not released */
    PyInterpreterState *interp; /* borrowed: the identity of its
                                   interpreter, valid while open */
    int64_t interp_id;
    pyaudit_names names;        /* this interpreter's event-name strs */
    PyObject *event_type;       /* owned: pyaudit.Event, or NULL */
    PyObject *denied_type;      /* owned: pyaudit.Denied, or NULL */
    PyObject *scope_var;        /* owned: the ContextVar of scoped
                                   subscriptions, or NULL */
    struct pyaudit_home *next;  /* the list of open homes (home.c) */
} pyaudit_home;

/* For a module object of the current interpreter: its open home, made if
 * missing, with a new reference; NULL with the error set when out of
 * memory.  Takes the configuration lock. */
pyaudit_home *pyaudit_home_acquire_for_module(void);

/* A module object is going (in its interpreter): drops its reference, and
 * releases the home's Python objects if no subscription is open. */
void pyaudit_home_module_gone(pyaudit_home *home);

/* Struct references held by subscriptions (any thread). */
void pyaudit_home_incref(pyaudit_home *home);
void pyaudit_home_decref(pyaudit_home *home);

/* Release the Python objects of an open home whose interpreter ends, or
 * which has no module object and no open subscription left (in its
 * interpreter, configuration lock NOT held). */
void pyaudit_home_close(pyaudit_home *home);
void pyaudit_home_close_if_unused(pyaudit_home *home);

/* The open home of interp, or NULL (configuration lock held). */
pyaudit_home *pyaudit_home_find(PyInterpreterState *interp);

/* Set the types the package provides (module import; GIL held). */
void pyaudit_home_set_types(pyaudit_home *home, PyObject *event_type,
                            PyObject *denied_type, PyObject *scope_var);

#endif /* PYAUDIT_HOME_H */
