/* sub.c: subscriptions (see sub.h). */
#include "sub.h"
#include "error.h"
#include "rules.h"

#include <sched.h>
#include <stdlib.h>

const pyaudit_kind_info pyaudit_kinds[PYAUDIT_KIND_LIMIT] = {
    [PYAUDIT_KIND_INTERNAL] = {"internal", 0, 0},
    [PYAUDIT_KIND_COUNT] = {"count", 1, 1},
    [PYAUDIT_KIND_RECORD] = {"record", 1, 1},
    [PYAUDIT_KIND_SINK] = {"sink", 0, 1},
    [PYAUDIT_KIND_WATCH] = {"watch", 1, 0},
    [PYAUDIT_KIND_DENY] = {"deny", 1, 1},
    [PYAUDIT_KIND_FILTER] = {"filter", 0, 0},
};

pyaudit_sub *
pyaudit_sub_new(pyaudit_kind kind, pyaudit_home *home)
{
    pyaudit_sub *sub = calloc(1, sizeof(pyaudit_sub));
    if (sub == NULL) {
        pyaudit_error_nomemory();
        return NULL;
    }
    sub->refcnt = 1;
    sub->kind = kind;
    sub->active = 1;
    sub->audience = home != NULL ? PYAUDIT_AUDIENCE_OWN
                                 : PYAUDIT_AUDIENCE_MAIN;
    sub->home = home;
    if (home != NULL) {
        pyaudit_home_incref(home);
    }
    return sub;
}

/* The sink calls under way on this thread, innermost first (a sink may
 * raise an event that calls a sink), on the C stack. */
typedef struct sink_frame {
    const pyaudit_sub *sub;
    struct sink_frame *outer;
} sink_frame;

static PYAUDIT_THREAD_LOCAL sink_frame *sink_frames;

int
pyaudit_sub_call_sink(pyaudit_sub *sub, const char *event, PyObject *args)
{
    /* With the seq_cst store of close (pyaudit_sub_close_sink): either
     * this call sees the sub closed, or the close sees this call. */
    PYAUDIT_ADD_SEQ_CST(sub->sink_calls, 1);
    int result = 0;
    if (PYAUDIT_LOAD_SEQ_CST(sub->active)) {
        sink_frame frame = {sub, sink_frames};
        sink_frames = &frame;
        result = sub->sink(event, args, sub->userdata);
        sink_frames = frame.outer;
    }
    PYAUDIT_ADD_SEQ_CST(sub->sink_calls, -1);
    return result;
}

void
pyaudit_sub_wait_sink_calls(pyaudit_sub *sub)
{
    int own = 0;                /* this thread's own calls: not waited */
    for (const sink_frame *frame = sink_frames; frame; frame = frame->outer) {
        own += frame->sub == sub;
    }
    while (PYAUDIT_LOAD_SEQ_CST(sub->sink_calls) > own) {
        sched_yield();
    }
}

void
pyaudit_sub_release_callable(pyaudit_sub *sub)
{
    Py_CLEAR(sub->callable);
    Py_CLEAR(sub->keepalive);
}

void
pyaudit_sub_release_python(pyaudit_sub *sub)
{
    pyaudit_sub_release_callable(sub);
    Py_CLEAR(sub->scope);
    if (sub->ring != NULL) {
        pyaudit_ring_clear(sub->ring);
    }
}

void
pyaudit_sub_decref(pyaudit_sub *sub)
{
    if (PYAUDIT_SUB_ACQ_REL(sub->refcnt, 1) != 0) {
        return;
    }
    /* Python objects left here were never released in their interpreter
     * (it cannot be entered from here): leak them rather than touch them
     * from a thread that may belong to another interpreter. */
    pyaudit_ring_free(sub->ring);
    pyaudit_counts_free(sub->counts);
    pyaudit_rules_free(sub->rules);
    pyaudit_patterns_clear(&sub->patterns);
    if (sub->home != NULL) {
        pyaudit_home_decref(sub->home);
    }
    free(sub);
}
