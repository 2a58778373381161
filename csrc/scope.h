/* scope.h: reading a scope's context variable without a call into the
 * context machinery, for the scope check of scoped subscriptions (hook.c).
 *
 * CPython keeps, in each ContextVar, the value last read or set with the
 * thread state and context version it holds for; PyContextVar_Get answers
 * from it when both match.  pyaudit_contextvar_cached reads that cache in
 * place, with exactly PyContextVar_Get's conditions, and leaves every
 * other case to PyContextVar_Get: where the layout is not known (before
 * 3.8, from 3.14, the free-threaded build, which has no cache) it always
 * does.
 */
#ifndef PYAUDIT_SCOPE_H
#define PYAUDIT_SCOPE_H

#include "compat.h"

#if PY_VERSION_HEX >= 0x03080000 && PY_VERSION_HEX < 0x030E0000 \
    && !defined(Py_GIL_DISABLED)
#  define PYAUDIT_CONTEXTVAR_CACHE 1
/* A ContextVar as Include/internal/pycore_context.h lays it out, the same
 * from 3.7 to 3.13 (with the GIL); only the cache is read. */
typedef struct {
    PyObject_HEAD
    PyObject *var_name;
    PyObject *var_default;
    PyObject *var_cached;       /* borrowed by the variable */
    uint64_t var_cached_tsid;
    uint64_t var_cached_tsver;
    Py_hash_t var_hash;
} pyaudit_contextvar_layout;
#endif

/* The value of the context variable var in the current context, when
 * CPython's cache of it holds for this thread and context (a borrowed
 * reference, kept alive by the context); NULL when it does not (then ask
 * PyContextVar_Get).  Needs the GIL of var's interpreter. */
static inline PyObject *
pyaudit_contextvar_cached(PyObject *var)
{
#ifdef PYAUDIT_CONTEXTVAR_CACHE
    const pyaudit_contextvar_layout *v =
        (const pyaudit_contextvar_layout *)var;
    PyThreadState *ts = PyThreadState_Get();
    if (PyContextVar_CheckExact(var) && ts->context != NULL
        && v->var_cached != NULL && v->var_cached_tsid == ts->id
        && v->var_cached_tsver == ts->context_ver) {
        return v->var_cached;
    }
#else
    (void)var;
#endif
    return NULL;
}

#endif /* PYAUDIT_SCOPE_H */
