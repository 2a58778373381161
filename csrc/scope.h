/* scope.h: this thread's memo of the scope variable, for the scope check
 * of scoped subscriptions (hook.c).
 *
 * A scoped subscription applies where its token is in the tuple its
 * home's context variable holds.  PyContextVar_Get searches the current
 * context for it (CPython caches only a found value, and only until
 * another thread reads the variable), so each thread remembers the value
 * it last read instead, with what keeps that value the current one:
 *
 *   - the thread state (its id) and its context version: CPython moves
 *     context_ver on whenever the thread enters or leaves a context, and
 *     so does every library that swaps contexts (CPython's own cache of a
 *     variable relies on the same);
 *   - pyaudit_scope_generation: the variable changes within a context
 *     only when it is set, which only pyaudit does, and pyaudit then calls
 *     pyaudit_scopes_changed (so does a new home's variable).
 *
 * While all three hold, the remembered tuple is the one the context maps
 * the variable to (or the variable's default), so it is still alive: the
 * memo borrows it.  The memo is the thread's own, written only by its
 * hook calls.
 */
#ifndef PYAUDIT_SCOPE_H
#define PYAUDIT_SCOPE_H

#include "compat.h"

#include <stdint.h>

typedef struct {
    PyObject *var;              /* compared only: the variable read */
    PyObject *tokens;           /* borrowed: its value then, or NULL */
    uint64_t tsid;              /* the thread state's id ... */
    uint64_t tsver;             /* ... and context version then */
    uint64_t generation;        /* pyaudit_scope_generation before */
} pyaudit_scope_memo;

extern uint64_t pyaudit_scope_generation;
extern PYAUDIT_FAST_THREAD_LOCAL pyaudit_scope_memo pyaudit_scope_memo_of;

/* A scope variable was set, or a home has a new one: forget every memo. */
static inline void
pyaudit_scopes_changed(void)
{
    __atomic_add_fetch(&pyaudit_scope_generation, 1, __ATOMIC_RELEASE);
}

static inline uint64_t
pyaudit_scope_generation_now(void)
{
    return __atomic_load_n(&pyaudit_scope_generation, __ATOMIC_ACQUIRE);
}

/* 1 with *tokens (borrowed, or NULL) when this thread remembers var's
 * value in its current context (ts: the current thread state); else 0. */
static inline int
pyaudit_scope_recall(PyObject *var, const PyThreadState *ts,
                     PyObject **tokens)
{
    const pyaudit_scope_memo *memo = &pyaudit_scope_memo_of;
    if (memo->var != var || memo->tsid != ts->id
        || memo->tsver != ts->context_ver
        || memo->generation != pyaudit_scope_generation_now()) {
        return 0;
    }
    *tokens = memo->tokens;
    return 1;
}

/* Remember tokens (var's value in the current context, or NULL), read
 * after generation was. */
static inline void
pyaudit_scope_remember(PyObject *var, const PyThreadState *ts,
                       uint64_t generation, PyObject *tokens)
{
    pyaudit_scope_memo *memo = &pyaudit_scope_memo_of;
    memo->var = var;
    memo->tokens = tokens;
    memo->tsid = ts->id;
    memo->tsver = ts->context_ver;
    memo->generation = generation;
}

#endif /* PYAUDIT_SCOPE_H */
