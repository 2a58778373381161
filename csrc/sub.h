/* sub.h: a subscription, the unit the table maps event names to.
 *
 * A subscription is a plain C struct with its own reference count, so
 * that the core's live list, the table that retires it and the Python
 * handle can each own a reference independently; references move with
 * atomic operations, since the last one may go on any thread.
 *
 * Python objects a subscription holds (a watch callback, recorded events,
 * a scope token, the object keeping a C sink's code alive) belong to the
 * interpreter that made it and are released there: when it is closed
 * (its callback), when its handle goes after it was closed (its records),
 * or when its interpreter ends (everything).  Freeing the struct itself
 * releases no Python object, so any thread may do it.
 */
#ifndef PYAUDIT_SUB_H
#define PYAUDIT_SUB_H

#include "compat.h"
#include "counts.h"
#include "home.h"
#include "pattern.h"
#include "pyaudit.h"
#include "ring.h"

/* In delivery order: kinds that cannot abort the event come first, so a
 * denied (or callback-aborted) event is still counted and recorded. */
typedef enum {
    PYAUDIT_KIND_INTERNAL,      /* the core's own (core.c) */
    PYAUDIT_KIND_COUNT,
    PYAUDIT_KIND_RECORD,
    PYAUDIT_KIND_SINK,          /* a C function (pyaudit_subscribe) */
    PYAUDIT_KIND_WATCH,
    PYAUDIT_KIND_DENY,
    PYAUDIT_KIND_FILTER,        /* only matches: used by pyaudit.Filter */
    PYAUDIT_KIND_LIMIT
} pyaudit_kind;

/* Which interpreters' events a subscription receives. */
typedef enum {
    PYAUDIT_AUDIENCE_OWN,       /* its home's interpreter (Python) */
    PYAUDIT_AUDIENCE_MAIN,      /* the main interpreter (C sinks) */
    PYAUDIT_AUDIENCE_ALL        /* every interpreter, in parallel */
} pyaudit_audience;

/* The one table of kinds. */
typedef struct {
    const char *name;           /* as pyaudit.subscriptions() shows it */
    int from_python;            /* pyaudit's Python API makes it */
    int may_be_all;             /* interpreters="all" is allowed */
} pyaudit_kind_info;

extern const pyaudit_kind_info pyaudit_kinds[PYAUDIT_KIND_LIMIT];

typedef struct pyaudit_sub pyaudit_sub;

struct pyaudit_sub {
    long refcnt;                /* atomic */
    long id;                    /* > 0 once added to the core */
    pyaudit_kind kind;
    pyaudit_audience audience;
    int active;                 /* cleared by close; read per delivery */
    int sink_calls;             /* a sink's calls under way (seq_cst
                                   atomic): closing waits for them */
    int sealed;                 /* set once by seal() (a sealed policy's
                                   subscription): closing it from Python
                                   is refused; never cleared; relaxed
                                   atomic (listed from any interpreter) */
    pyaudit_patterns patterns;  /* owned */
    pyaudit_home *home;         /* a struct reference: the interpreter
                                   that made it (NULL for C sinks made
                                   without one) */
    PyObject *callable;         /* owned: the watch callback; cleared on
                                   close */
    PyObject *scope;            /* owned: the token of a scoped sub (in
                                   its home's scope variable), or NULL */
    PyObject *keepalive;        /* owned: what a C sink made from Python
                                   needs alive (its cffi callback), or
                                   NULL */
    pyaudit_ring *ring;         /* owned, record only */
    pyaudit_counts *counts;     /* owned, count only */
    pyaudit_sink_fn sink;       /* sink only */
    void *userdata;             /* sink only: given to sink, not owned */
    struct pyaudit_rules *rules;/* owned: where= conditions on the args
                                   (rules.h), or NULL */
    pyaudit_sub *retired_next;  /* a table's retired list (table.c) */
};

/* A new subscription with refcount 1 and no patterns, or NULL with the
 * error set.  home (may be NULL) gets a struct reference. */
pyaudit_sub *pyaudit_sub_new(pyaudit_kind kind, pyaudit_home *home);

static inline void
pyaudit_sub_incref(pyaudit_sub *sub)
{
    PYAUDIT_ADD_RELAXED(sub->refcnt, 1);
}

/* The last reference frees the sub (any thread: see above). */
void pyaudit_sub_decref(pyaudit_sub *sub);

static inline int
pyaudit_sub_active(const pyaudit_sub *sub)
{
    return PYAUDIT_LOAD_RELAXED(sub->active);
}

/* Call a sink's function unless the sub is closed (0 then), counted in
 * sink_calls so that pyaudit_sub_wait_sink_calls can wait for it. */
int pyaudit_sub_call_sink(pyaudit_sub *sub, const char *event,
                          PyObject *args);

/* After closing a sink: wait until no call of it that began before the
 * close is still under way (on any thread but this one), so that its
 * userdata and keepalive can go. */
void pyaudit_sub_wait_sink_calls(pyaudit_sub *sub);

/* Release the Python objects a closed sub no longer needs: its callback
 * and keepalive (in its interpreter).  Records stay for draining. */
void pyaudit_sub_release_callable(pyaudit_sub *sub);

/* Release every Python object of the sub (in its interpreter). */
void pyaudit_sub_release_python(pyaudit_sub *sub);

#endif /* PYAUDIT_SUB_H */
