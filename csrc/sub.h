/* sub.h: a subscription, the unit the table maps event names to.
 *
 * A subscription is a plain C struct with its own reference count, so that
 * the core's live list, every table that lists it and the Python handle
 * can each own a reference independently.  Refcounts change only with the
 * GIL held.
 */
#ifndef PYAUDIT_SUB_H
#define PYAUDIT_SUB_H

#include "compat.h"
#include "counts.h"
#include "pattern.h"
#include "pyaudit.h"
#include "ring.h"

/* In delivery order: kinds that cannot abort the event come first, so a
 * denied (or callback-aborted) event is still counted and recorded. */
typedef enum {
    PYAUDIT_KIND_INTERNAL,      /* the core's own: notices finalization */
    PYAUDIT_KIND_COUNT,
    PYAUDIT_KIND_RECORD,
    PYAUDIT_KIND_SINK,          /* a C function (pyaudit_subscribe) */
    PYAUDIT_KIND_WATCH,
    PYAUDIT_KIND_DENY,
    PYAUDIT_KIND_FILTER,        /* only matches: used by pyaudit.Filter */
    PYAUDIT_KIND_LIMIT
} pyaudit_kind;

struct pyaudit_state;
typedef struct pyaudit_sub pyaudit_sub;

struct pyaudit_sub {
    Py_ssize_t refcnt;
    long id;                    /* > 0 once added to the core */
    pyaudit_kind kind;
    int active;                 /* cleared by close; checked per delivery */
    pyaudit_patterns patterns;  /* owned */
    PyInterpreterState *interp; /* borrowed: the interpreter that made it;
                                   events elsewhere are not delivered.
                                   NULL for C subs: every interpreter */
    struct pyaudit_state *state;/* borrowed: that interpreter's module
                                   state, which outlives every active sub;
                                   NULL for C subs */
    PyObject *callable;         /* owned; cleared on close.  watch: the
                                   callback; deny: the exception class,
                                   called with (name, args) */
    pyaudit_ring *ring;         /* owned, record only */
    pyaudit_counts *counts;     /* owned, count only */
    pyaudit_sink_fn sink;       /* sink only */
    void *userdata;             /* sink only: given to sink, not owned */
    struct pyaudit_rules *rules;/* owned; NULL: no where= conditions.
                                   (rules issue: delivery checks it) */
    struct pyaudit_sub *next;   /* the core's live list (see core.h) */
};

/* A new subscription with refcount 1 and no patterns, or NULL when out of
 * memory (no exception set: usable before Python starts). */
pyaudit_sub *pyaudit_sub_new(pyaudit_kind kind);

static inline void
pyaudit_sub_incref(pyaudit_sub *sub)
{
    sub->refcnt++;
}

/* The last reference frees the sub and releases what it owns. */
void pyaudit_sub_decref(pyaudit_sub *sub);

/* Drop the Python object a closed sub no longer needs (its callable),
 * which also breaks cycles through a callback that refers to its own
 * subscription. */
void pyaudit_sub_release_callable(pyaudit_sub *sub);

extern const char *const pyaudit_kind_names[PYAUDIT_KIND_LIMIT];

#endif /* PYAUDIT_SUB_H */
