/* hook.c: the native audit hook and delivery (see hook.h).
 *
 * Delivery order within one event is the table's: the core's own
 * subscription, then count, record, sink, watch and deny (oldest first
 * within each), so a denied attempt is still counted and recorded.
 */
#include "hook.h"
#include "core.h"
#include "frames.h"
#include "rule_quick.h"
#include "rules.h"
#include "scope.h"
#include "sync.h"

#include <pthread.h>
#include <string.h>
#include <time.h>

/* Set while a watch callback runs on this thread: events that the
 * callback raises are not delivered to watch callbacks again. */
static PYAUDIT_FAST_THREAD_LOCAL int in_watch_callback;
uint64_t pyaudit_scope_generation;
PYAUDIT_FAST_THREAD_LOCAL pyaudit_scope_memo pyaudit_scope_memo_of;

/* One event being delivered: what every kind may need, made once. */
typedef struct {
    const char *event;
    size_t len;
    uint32_t hash;              /* unless hash_pending */
    int hash_pending;           /* hash is made from block on first need */
    uint64_t block;             /* a name of up to 7 bytes: its block;
                                   otherwise 0 */
    PyObject *args;             /* borrowed */
    PyInterpreterState *interp; /* the event's interpreter; NULL until
                                   asked for */
    PyObject *name;             /* owned: the event-name str of interp,
                                   made on first need */
    int64_t time_ns;            /* -1 until read; shared by all records */
    unsigned long thread_id;
    int dropping_hooks;         /* the event is CPython dropping every
                                   hook (core.h) */
} delivery;

static inline uint32_t
event_hash(delivery *d)
{
    if (d->hash_pending) {
        d->hash = pyaudit_hash_finish(
            d->len ? pyaudit_hash_mix(pyaudit_hash_seed, d->block)
                   : pyaudit_hash_seed, d->len);
        d->hash_pending = 0;
    }
    return d->hash;
}

static inline PyInterpreterState *
event_interp(delivery *d)
{
    if (d->interp == NULL) {
        d->interp = pyaudit_core_sole_interpreter();
        if (d->interp == NULL) {
            d->interp = PyInterpreterState_Get();
        }
    }
    return d->interp;
}

/* Whether sub receives events of the event's interpreter. */
static inline int
audience_ok(const pyaudit_sub *sub, delivery *d)
{
    switch (sub->audience) {
    case PYAUDIT_AUDIENCE_OWN:
        return sub->home->interp == event_interp(d);
    case PYAUDIT_AUDIENCE_MAIN:
        return event_interp(d) == PyInterpreterState_Main();
    default:
        return 1;
    }
}

/* Whether token is in tokens (a tuple, or anything else: not). */
static inline int
token_in(PyObject *tokens, PyObject *token)
{
    int found = 0;
    if (PyTuple_Check(tokens)) {
        for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tokens); i++) {
            found |= PyTuple_GET_ITEM(tokens, i) == token;
        }
    }
    return found;
}

/* Whether the current context is inside sub's scope: its token is in the
 * tuple its home's context variable holds (no Python code runs), as this
 * thread remembers it (scope.h) or as the context says. */
static PYAUDIT_NOINLINE int
in_scope_asking(const pyaudit_sub *sub, PyThreadState *ts);

static PYAUDIT_NOINLINE int
in_scope(const pyaudit_sub *sub)
{
    PyThreadState *ts = PyThreadState_Get();
    PyObject *tokens;           /* borrowed */
    if (pyaudit_scope_recall(sub->home->scope_var, ts, &tokens)) {
        return tokens != NULL && token_in(tokens, sub->scope);
    }
    return in_scope_asking(sub, ts);
}

/* in_scope when this thread does not remember the variable's value: ask
 * the context, and remember.  Out of line, so that in_scope needs almost
 * no stack frame. */
static PYAUDIT_NOINLINE int
in_scope_asking(const pyaudit_sub *sub, PyThreadState *ts)
{
    PyObject *var = sub->home->scope_var;
    uint64_t generation = pyaudit_scope_generation_now();
    PyObject *value = NULL;     /* owned */
    if (PyContextVar_Get(var, NULL, &value) < 0) {
        PyErr_Clear();
        return 0;
    }
    int found = value != NULL && token_in(value, sub->scope);
    /* The context (or the variable, for its default) keeps value. */
    pyaudit_scope_remember(var, ts, generation, value);
    Py_XDECREF(value);
    return found;
}

/* Whether target's rules hold for the event (target's roles when its
 * list found them at compile time). */
static inline int
rules_hold(const pyaudit_target *target, delivery *d)
{
    const pyaudit_sub *sub = target->sub;
    return target->roles_known
           ? pyaudit_rules_match_roles(sub->rules, target->roles, d->args)
           : pyaudit_rules_match(sub->rules, d->event, d->len, d->args);
}

/* Whether target's sub gets this event: open, its interpreter's, in scope
 * and satisfying its where= rules.  Rules may run Python code
 * (__fspath__) that closes subscriptions, so whether it is open is asked
 * again after them (the delivery holds the table, which keeps sub). */
static inline int
serves(const pyaudit_target *target, delivery *d)
{
    const pyaudit_sub *sub = target->sub;
    return pyaudit_sub_active(sub) && audience_ok(sub, d)
           && (sub->scope == NULL || in_scope(sub))
           && (sub->rules == NULL
               || (rules_hold(target, d) && pyaudit_sub_active(sub)));
}

/* For a list whose every target has rules: whether one of them holds,
 * decided inside the reader section without running Python code.  -1:
 * they cannot be decided so (a path argument needs __fspath__). */
static int
some_rule_holds(const pyaudit_targets *targets, const char *event,
                size_t len, PyObject *args)
{
    for (uint32_t i = 0; i < targets->count; i++) {
        const pyaudit_target *target = &targets->targets[i];
        if (!pyaudit_sub_active(target->sub)) {
            continue;
        }
        const pyaudit_event_roles *roles = target->roles_known
            ? target->roles : pyaudit_roles_find(event, len);
        int holds = pyaudit_rules_decide_in_c(target->sub->rules, roles,
                                              args);
        if (holds != 0) {
            return holds;
        }
    }
    return 0;
}

/* The time.time_ns() clock and threading.get_ident(), read once per
 * event. */
static void
stamp(delivery *d)
{
    if (d->time_ns < 0) {
        struct timespec ts;
        d->time_ns = PYAUDIT_WALL_CLOCK(&ts) != 0
                     ? 0 : (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        d->thread_id = PYAUDIT_THREAD_IDENT();
    }
}

/* ---- one function per kind ---------------------------------------------- */

static int
deliver_internal(const pyaudit_target *target, delivery *d)
{
    (void)target;
    d->dropping_hooks |= pyaudit_core_internal_event(d->event,
                                                     event_interp(d));
    return 0;
}

static int
deliver_count(const pyaudit_target *target, delivery *d)
{
    uint64_t *cell = target->count_cell;
    if (cell == NULL) {
        cell = pyaudit_counts_cell(target->sub->counts, d->event, d->len,
                                   event_hash(d));
        if (cell == NULL) {
            PyErr_NoMemory();
            return -1;
        }
    }
    pyaudit_counts_bump(cell);
    return 0;
}

/* The event-name str of the event's interpreter, whose home is home. */
static inline PyObject *
event_name(delivery *d, pyaudit_home *home)
{
    if (d->name == NULL) {
        d->name = d->block != 0
            ? pyaudit_names_find_short(&home->names, d->block) : NULL;
        if (d->name == NULL) {
            d->name = d->block != 0
                ? pyaudit_names_get_short_slow(&home->names, d->block,
                                               d->event, d->len,
                                               event_hash(d))
                : pyaudit_names_get(&home->names, d->event, d->len,
                                    event_hash(d));
        }
    }
    return d->name;
}

static int
deliver_record(const pyaudit_target *target, delivery *d)
{
    pyaudit_sub *sub = target->sub;
    pyaudit_ring *ring = sub->ring;
    pyaudit_frame frames[PYAUDIT_MAX_STACK];
    int nframes = ring->depth ? pyaudit_frames_take(frames, ring->depth) : 0;
    stamp(d);
    if (sub->home->interp == event_interp(d)) {
        if (event_name(d, sub->home) == NULL) {
            pyaudit_frames_release(frames, nframes);
            return -1;
        }
        if (pyaudit_ring_push_fast(ring, d->name, d->args, frames, nframes,
                                   d->time_ns, d->thread_id,
                                   sub->home->interp_id) < 0) {
            pyaudit_ring_push(ring, d->name, d->args, NULL, frames, nframes,
                              d->time_ns, d->thread_id,
                              sub->home->interp_id);
        }
        return 0;
    }
    /* Another interpreter's event, for a recorder of all of them (NULL
     * frames: a recorder without stack=, whose events have no stack). */
    pyaudit_xdata *flat = pyaudit_xdata_make(d->event, d->len, d->args,
                                             ring->depth ? frames : NULL,
                                             nframes);
    pyaudit_frames_release(frames, nframes);
    if (flat == NULL) {
        return -1;
    }
    pyaudit_ring_push(ring, NULL, NULL, flat, NULL, 0, d->time_ns,
                      d->thread_id, PYAUDIT_INTERPRETER_ID(d->interp));
    return 0;
}

static int
deliver_sink(const pyaudit_target *target, delivery *d)
{
    pyaudit_sub *sub = target->sub;
    if (pyaudit_sub_call_sink(sub, d->event, d->args) < 0) {
        if (!PyErr_Occurred()) {
            PyErr_Format(PyExc_SystemError,
                         "a pyaudit sink failed on '%s' without setting an "
                         "exception", d->event);
        }
        return -1;
    }
    return 0;
}

static int
deliver_watch(const pyaudit_target *target, delivery *d)
{
    if (in_watch_callback) {
        return 0;
    }
    /* Own the callback for the call: the callback may close its own
     * subscription, which releases the sub's reference. */
    PyObject *callback = Py_XNewRef(target->sub->callable);
    if (callback == NULL) {
        return 0;               /* closed meanwhile */
    }
    if (event_name(d, target->sub->home) == NULL) {
        Py_DECREF(callback);
        return -1;
    }
    PyObject *argv[2] = {d->name, d->args};
    in_watch_callback = 1;
    PyObject *result = PyObject_Vectorcall(callback, argv, 2, NULL);
    in_watch_callback = 0;
    Py_DECREF(callback);
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

/* (filename, lineno, function) of the innermost Python frame, or None. */
static PyObject *
caller(void)
{
    pyaudit_frame frame;
    if (pyaudit_frames_take(&frame, 1) == 0) {
        Py_RETURN_NONE;
    }
    PyObject *where = pyaudit_frame_resolve(&frame);
    pyaudit_frames_release(&frame, 1);
    return where;
}

/* The message of a denial where pyaudit.Denied does not exist (an
 * interpreter that never imported pyaudit): the format of
 * pyaudit._errors.denial_message. */
static PyObject *
denial_message(PyObject *name, PyObject *args, PyObject *where)
{
    PyObject *shown = PyObject_Repr(args);
    if (shown == NULL) {
        PyErr_Clear();
        shown = PyUnicode_FromString("(...)");
        if (shown == NULL) {
            return NULL;
        }
    }
    if (PyUnicode_GET_LENGTH(shown) > 100) {
        PyObject *cut = PyUnicode_Substring(shown, 0, 97);
        Py_SETREF(shown, cut == NULL ? NULL
                         : PyUnicode_FromFormat("%U...", cut));
        Py_XDECREF(cut);
        if (shown == NULL) {
            return NULL;
        }
    }
    PyObject *message;
    if (where != Py_None) {
        message = PyUnicode_FromFormat(
            "audit event %R %U denied at %S:%S in %S()", name, shown,
            PyTuple_GET_ITEM(where, 0), PyTuple_GET_ITEM(where, 1),
            PyTuple_GET_ITEM(where, 2));
    }
    else {
        message = PyUnicode_FromFormat("audit event %R %U denied", name,
                                       shown);
    }
    Py_DECREF(shown);
    return message;
}

static int
deliver_deny(const pyaudit_target *target, delivery *d)
{
    pyaudit_sub *sub = target->sub;
    int own = sub->home != NULL && sub->home->interp == event_interp(d)
              && sub->home->denied_type != NULL;
    PyObject *name = own ? pyaudit_names_get(&sub->home->names, d->event,
                                             d->len, event_hash(d))
                         : pyaudit_name_str(d->event, d->len);
    PyObject *where = name != NULL ? caller() : NULL;
    if (where == NULL) {
        Py_XDECREF(name);
        return -1;
    }
    PyObject *exc;
    if (own) {
        exc = PyObject_CallFunctionObjArgs(sub->home->denied_type, name,
                                           d->args, where, NULL);
    }
    else {
        /* An exception that exists in every interpreter. */
        PyObject *message = denial_message(name, d->args, where);
        exc = message == NULL ? NULL
              : PyObject_CallFunctionObjArgs(PyExc_PermissionError, message,
                                             NULL);
        Py_XDECREF(message);
    }
    Py_DECREF(name);
    Py_DECREF(where);
    if (exc != NULL) {
        PyErr_SetObject((PyObject *)Py_TYPE(exc), exc);
        Py_DECREF(exc);
    }
    return -1;
}

typedef int (*deliver_fn)(const pyaudit_target *, delivery *);

static const deliver_fn deliver[PYAUDIT_KIND_LIMIT] = {
    [PYAUDIT_KIND_INTERNAL] = deliver_internal,
    [PYAUDIT_KIND_COUNT] = deliver_count,
    [PYAUDIT_KIND_RECORD] = deliver_record,
    [PYAUDIT_KIND_SINK] = deliver_sink,
    [PYAUDIT_KIND_WATCH] = deliver_watch,
    [PYAUDIT_KIND_DENY] = deliver_deny,
};

/* ---- the dispatcher ----------------------------------------------------- */

/* The early exit for lists of plain counts and plain records of their own
 * interpreter (PYAUDIT_TARGETS_NO_PYTHON): no scope or rules to check, no
 * Python code to run, so no indirect calls either. */
static int
dispatch_plain(const pyaudit_targets *targets, delivery *d)
{
    int one_interpreter = pyaudit_core_sole_interpreter() != NULL;
    int result = 0;
    for (uint32_t i = 0; i < targets->count; i++) {
        const pyaudit_target *target = &targets->targets[i];
        pyaudit_sub *sub = target->sub;
        if (!pyaudit_sub_active(sub)
            || (!one_interpreter && !audience_ok(sub, d))
            || (sub->scope != NULL && !in_scope(sub))) {
            continue;
        }
        if (sub->kind == PYAUDIT_KIND_COUNT) {
            if (deliver_count(target, d) < 0) {
                result = -1;
                break;
            }
            continue;
        }
        if (event_name(d, sub->home) == NULL) {
            result = -1;
            break;
        }
        stamp(d);
        if (pyaudit_ring_push_fast(sub->ring, d->name, d->args, NULL, 0,
                                   d->time_ns, d->thread_id,
                                   sub->home->interp_id) < 0) {
            pyaudit_ring_push(sub->ring, d->name, d->args, NULL, NULL, 0,
                              d->time_ns, d->thread_id,
                              sub->home->interp_id);
        }
    }
    Py_XDECREF(d->name);
    return result;
}

/* Deliver one event to its targets in order; stops at the first failure
 * (an exception is then set). */
static int
dispatch(const pyaudit_targets *targets, delivery *d)
{
    int result = 0;
    for (uint32_t i = 0; i < targets->count; i++) {
        const pyaudit_target *target = &targets->targets[i];
        if (serves(target, d)
            && deliver[target->sub->kind](target, d) < 0) {
            result = -1;
            break;
        }
    }
    Py_XDECREF(d->name);
    return result;
}

/* Leave the reader section this hook call entered (sync.h): the slot is
 * this thread's, read again rather than passed down. */
static inline void
leave_reader_section(void)
{
    if (PYAUDIT_READERS_MARK) {
        pyaudit_read_end(pyaudit_my_reader);
    }
}

/* count_hit with several interpreters: each subscription's audience. */
static PYAUDIT_NOINLINE int
count_hit_by_audience(const pyaudit_targets *targets)
{
    const pyaudit_target *target = targets->targets;
    const pyaudit_target *end = target + targets->count;
    delivery d;
    d.interp = NULL;
    do {
        if (pyaudit_sub_active(target->sub)
            && audience_ok(target->sub, &d)
            && (target->sub->scope == NULL || in_scope(target->sub))) {
            pyaudit_counts_bump(target->count_cell);
        }
    } while (++target < end);
    leave_reader_section();
    return 0;
}

/* count_hit with one interpreter, for a list with a scoped count. */
static PYAUDIT_NOINLINE int
count_hit_scoped(const pyaudit_targets *targets)
{
    const pyaudit_target *target = targets->targets;
    const pyaudit_target *end = target + targets->count;
    do {
        if (pyaudit_sub_active(target->sub)
            && (target->sub->scope == NULL || in_scope(target->sub))) {
            pyaudit_counts_bump(target->count_cell);
        }
    } while (++target < end);
    leave_reader_section();
    return 0;
}

/* A hit on a list of plain counts of a known name: add one to the cells
 * the table points at.  With one interpreter, every subscription is its
 * own; without a scope, the loop calls nothing and needs no frame. */
static PYAUDIT_NOINLINE int
count_hit(const pyaudit_targets *targets)
{
    if (PYAUDIT_UNLIKELY(pyaudit_core_sole_interpreter() == NULL)) {
        return count_hit_by_audience(targets);
    }
    if (PYAUDIT_UNLIKELY(targets->flags & PYAUDIT_TARGETS_SCOPED)) {
        return count_hit_scoped(targets);
    }
    const pyaudit_target *target = targets->targets;
    if (PYAUDIT_LIKELY(targets->count == 1)) {
        if (pyaudit_sub_active(target->sub)) {
            pyaudit_counts_bump(target->count_cell);
        }
    }
    else {
        const pyaudit_target *end = target + targets->count;
        do {
            if (pyaudit_sub_active(target->sub)) {
                pyaudit_counts_bump(target->count_cell);
            }
        } while (++target < end);
    }
    leave_reader_section();
    return 0;
}

/* Where a hit's name length and hash come from: a name of at most 7 bytes
 * passes its first block, from which the hash is made only if a kind
 * needs it. */
#define SHORT_NAME ((size_t)1 << (sizeof(size_t) * 8 - 1))

/* What a delivery knows of an event before its first target: len is the
 * name's length, with SHORT_NAME set when hash_or_block is its first
 * block rather than its hash. */
static inline void
start_delivery(delivery *d, const char *event, PyObject *args,
               uint64_t hash_or_block, size_t len)
{
    d->event = event;
    d->len = len & ~SHORT_NAME;
    d->block = len & SHORT_NAME ? hash_or_block : 0;
    d->hash = (uint32_t)hash_or_block;
    d->hash_pending = (len & SHORT_NAME) != 0;
    d->args = args;
    d->interp = NULL;
    d->name = NULL;
    d->time_ns = -1;
    d->dropping_hooks = 0;
}

/* deliver_hit past the guards' early exit: out of line, so that the exit
 * needs no stack frame for the delivery. */
static PYAUDIT_NOINLINE int
deliver_hit_to(pyaudit_table *table, const pyaudit_targets *targets,
               const char *event, PyObject *args, uint64_t hash_or_block,
               size_t len)
{
    delivery d;
    start_delivery(&d, event, args, hash_or_block, len);
    int result;
    if (targets->flags & PYAUDIT_TARGETS_NO_PYTHON) {
        /* Counting and recording run no Python code and never wait, so
         * they need no table reference.  Only a failure (MemoryError) can
         * run Python code, after which dispatch touches nothing of the
         * table. */
        result = dispatch_plain(targets, &d);
        leave_reader_section();
        return result;
    }
    /* Python code may run, subscribe or close, and replace the table:
     * hold it, outside the reader section. */
    pyaudit_table_incref(table);
    leave_reader_section();
    result = dispatch(targets, &d);
    if (d.dropping_hooks) {
        pyaudit_core_hooks_dropped();
    }
    pyaudit_table_decref(table);
    return result;
}

/* deliver_hit for a list of one watch without rules, the commonest
 * callback (PYAUDIT_TARGETS_ONE_WATCH): what deliver_hit_to and
 * deliver_watch do for it, without the general dispatch.  The callback
 * and the name are owned for the call, so nothing of the table is read
 * after the reader section and the table needs no reference. */
static PYAUDIT_NOINLINE int
watch_one(const pyaudit_targets *targets, const char *event, PyObject *args,
          uint64_t hash_or_block, size_t len)
{
    const pyaudit_sub *sub = targets->targets[0].sub;
    delivery d;
    start_delivery(&d, event, args, hash_or_block, len);
    if (in_watch_callback || !pyaudit_sub_active(sub)
        || !audience_ok(sub, &d)
        || (sub->scope != NULL && !in_scope(sub))) {
        leave_reader_section();
        return 0;
    }
    /* Own the callback for the call: the callback may close its own
     * subscription, which releases the sub's reference.  The home is this
     * interpreter's, which outlives the call. */
    PyObject *callback = Py_XNewRef(sub->callable);
    pyaudit_home *home = sub->home;
    leave_reader_section();
    if (callback == NULL) {
        return 0;               /* closed meanwhile */
    }
    PyObject *name = event_name(&d, home);
    if (name == NULL) {
        Py_DECREF(callback);
        return -1;
    }
    PyObject *argv[2] = {name, args};
    in_watch_callback = 1;
    PyObject *result = PyObject_Vectorcall(callback, argv, 2, NULL);
    in_watch_callback = 0;
    Py_DECREF(callback);
    Py_DECREF(name);
    if (result == NULL) {
        return -1;
    }
    Py_DECREF(result);
    return 0;
}

/* deliver_hit for a list whose every target has rules: whether one
 * holds is decided in C first where it can be. */
static PYAUDIT_NOINLINE int
deliver_guarded(pyaudit_table *table, const pyaudit_targets *targets,
                const char *event, PyObject *args, uint64_t hash_or_block,
                size_t len)
{
    if (some_rule_holds(targets, event, len & ~SHORT_NAME, args) == 0) {
        /* A guard's common case: its rules hold for none (an open for
         * reading, a connection to an allowed host). */
        leave_reader_section();
        return 0;
    }
    return deliver_hit_to(table, targets, event, args, hash_or_block, len);
}

/* In the len of write_guard_writes: pyaudit_quick_writing could not
 * decide (-2) rather than found a write (1). */
#define WRITES_UNDECIDED ((size_t)1 << (sizeof(size_t) * 8 - 2))

/* write_guard_one past a read: the rest of the rules, then the delivery
 * if they hold.  Out of line, so that a read needs no stack frame; six
 * arguments, so that the call needs none either. */
static PYAUDIT_NOINLINE int
write_guard_writes(pyaudit_table *table, const pyaudit_targets *targets,
                   const char *event, PyObject *args, uint64_t hash_or_block,
                   size_t len)
{
    const pyaudit_target *target = targets->targets;
    int writes = len & WRITES_UNDECIDED ? -2 : 1;
    if (pyaudit_rules_decide_writes_in_c(target->sub->rules, target->roles,
                                         args, writes) == 0) {
        leave_reader_section();
        return 0;
    }
    return deliver_hit_to(table, targets, event, args, hash_or_block,
                          len & ~WRITES_UNDECIDED);
}

/* deliver_guarded for a list of one write guard
 * (PYAUDIT_TARGETS_ONE_WRITE_GUARD): a read is decided without a call, so
 * without a stack frame. */
static PYAUDIT_NOINLINE int
write_guard_one(pyaudit_table *table, const pyaudit_targets *targets,
                const char *event, PyObject *args, uint64_t hash_or_block,
                size_t len)
{
    const pyaudit_target *target = targets->targets;
    int writes = pyaudit_quick_open_writing(target->roles, args);
    if (PYAUDIT_LIKELY(writes == 0) || !pyaudit_sub_active(target->sub)) {
        leave_reader_section();
        return 0;
    }
    return write_guard_writes(table, targets, event, args, hash_or_block,
                              writes < 0 ? len | WRITES_UNDECIDED : len);
}

/* Any other hit: deliver to targets (a list whose every target has rules
 * is decided first, by deliver_guarded).  Out of line, so that the lookups
 * before it need few registers; two tail calls, so that it needs no stack
 * frame itself.  len is the name's length, with SHORT_NAME set when
 * hash_or_block is its first block rather than its hash. */
static PYAUDIT_NOINLINE int
deliver_hit(pyaudit_table *table, const pyaudit_targets *targets,
            const char *event, PyObject *args, uint64_t hash_or_block,
            size_t len)
{
    if (targets->flags & PYAUDIT_TARGETS_ONE_WRITE_GUARD) {
        return write_guard_one(table, targets, event, args, hash_or_block,
                               len);
    }
    if (targets->flags & PYAUDIT_TARGETS_ONE_WATCH) {
        return watch_one(targets, event, args, hash_or_block, len);
    }
    if (targets->flags & PYAUDIT_TARGETS_ALL_RULES) {
        return deliver_guarded(table, targets, event, args, hash_or_block,
                               len);
    }
    return deliver_hit_to(table, targets, event, args, hash_or_block, len);
}

/* A name of 8 bytes or more (or any name, on a big-endian machine). */
static PYAUDIT_NOINLINE int
lookup_long_and_deliver(pyaudit_table *table, const char *event,
                        PyObject *args)
{
    uint32_t hash;
    size_t len;
    const pyaudit_targets *targets = pyaudit_table_lookup_long(
        table, event, &hash, &len);
    if (PYAUDIT_LITTLE_ENDIAN && len <= PYAUDIT_MEMO_MAX_LEN) {
        uint64_t block1 = 0;
        (void)pyaudit_memo_len(event, &block1);
        pyaudit_table_remember(table, event, pyaudit_load8(event), block1,
                               len, hash, targets);
    }
    if (PYAUDIT_LIKELY(targets == NULL)) {
        leave_reader_section();
        return 0;
    }
    if (targets->flags & PYAUDIT_TARGETS_COUNT_ONLY) {
        return count_hit(targets);
    }
    return deliver_hit(table, targets, event, args, hash, len);
}

/* The targets found for a name of at most 7 bytes: remember and deliver
 * them. */
static inline int
deliver_short(pyaudit_table *table, const pyaudit_targets *targets,
              const char *event, PyObject *args, uint64_t block,
              size_t len)
{
    pyaudit_table_remember(table, event, block, 0, len, 0, targets);
    if (targets == NULL) {
        leave_reader_section();
        return 0;
    }
    if (targets->flags & PYAUDIT_TARGETS_COUNT_ONLY) {
        return count_hit(targets);
    }
    return deliver_hit(table, targets, event, args, block, len | SHORT_NAME);
}

/* A miss of 8 bytes or more that the filters of its first block (no NUL
 * in it) decided: remember it if it is short enough. */
static inline int
long_miss(pyaudit_table *table, const char *event, uint64_t block)
{
    uint64_t block1;
    size_t len = pyaudit_memo_len(event, &block1);
    if (len != 0) {
        pyaudit_table_remember(table, event, block, block1, len, 0, NULL);
    }
    leave_reader_section();
    return 0;
}

/* A name this thread found wanted in this table before (table.h). */
static inline int
deliver_recalled(pyaudit_table *table, const pyaudit_name_memo *memo,
                 const char *event, PyObject *args)
{
    const pyaudit_targets *targets = memo->targets;
    if (targets->flags & PYAUDIT_TARGETS_COUNT_ONLY) {
        return count_hit(targets);
    }
    uint64_t hash_or_block = memo->len < 8 ? memo->block0 : memo->hash;
    size_t len = memo->len < 8 ? memo->len | SHORT_NAME : memo->len;
    if (targets->flags & PYAUDIT_TARGETS_ONE_WRITE_GUARD) {
        /* A write guard's common case, a read, straight to its test. */
        return write_guard_one(table, targets, event, args, hash_or_block,
                               len);
    }
    return deliver_hit(table, targets, event, args, hash_or_block, len);
}

/* A name of at most 7 bytes with a '.' where a prefix key ends: its
 * longest prefix key, unless it is an exact key. */
static PYAUDIT_NOINLINE int
short_name_with_prefixes(pyaudit_table *table, const char *event,
                         PyObject *args, uint64_t block, uint64_t dots,
                         size_t len)
{
    const pyaudit_block_slot *slot = pyaudit_block_find(&table->short_exact,
                                                        block);
    const pyaudit_targets *targets = slot != NULL ? slot->targets
        : pyaudit_table_short_prefix(table, block, dots,
                                     table->default_targets);
    return deliver_short(table, targets, event, args, block, len);
}

/* A name of 8 bytes or more whose first block the Bloom filter does not
 * know but which has a '.' where a short prefix key ends. */
static PYAUDIT_NOINLINE int
long_name_with_prefixes(pyaudit_table *table, const char *event,
                        PyObject *args, uint64_t block, uint64_t dots)
{
    if (pyaudit_table_short_prefix(table, block, dots, NULL) == NULL) {
        return long_miss(table, event, block);
    }
    return lookup_long_and_deliver(table, event, args);
}

/* A name whose first two bytes some key shares, without a memo: the
 * filters of its first block, then the lookup; a name of up to
 * PYAUDIT_MEMO_MAX_LEN bytes is remembered whatever decides it.  Out of
 * line, so that the hook's paths to a memo need no stack frame. */
static PYAUDIT_NOINLINE int
lookup_filtered(pyaudit_table *table, const char *event, PyObject *args,
                uint64_t block)
{
    uint64_t zeros = pyaudit_zero_bytes(block);
    uint64_t dots = table->prefix_dots[0];
    if (zeros != 0) {
        block = pyaudit_before_end(block, zeros);
        size_t len = PYAUDIT_CTZ64(zeros) >> 3;
        if (dots != 0) {
            dots &= pyaudit_zero_bytes(block ^ PYAUDIT_DOTS);
            if (PYAUDIT_UNLIKELY(dots != 0)) {
                return short_name_with_prefixes(table, event, args, block,
                                                dots, len);
            }
        }
        if (table->fast_reject) {
            /* No default: a miss unless an exact key, which the Bloom
             * filter (cheaper than the map) may know. */
            unsigned bit = pyaudit_bloom_bit(block);
            if (!((table->bloom[bit >> 6] >> (bit & 63)) & 1)) {
                return deliver_short(table, NULL, event, args, block, len);
            }
        }
        const pyaudit_block_slot *slot = block == 0 ? NULL
            : pyaudit_block_find(&table->short_exact, block);
        return deliver_short(table, slot != NULL ? slot->targets
                                                 : table->default_targets,
                             event, args, block, len);
    }
    if (table->fast_reject) {
        unsigned bit = pyaudit_bloom_bit(block);
        if (!((table->bloom[bit >> 6] >> (bit & 63)) & 1)) {
            if (dots != 0) {
                dots &= pyaudit_zero_bytes(block ^ PYAUDIT_DOTS);
                if (dots != 0) {
                    return long_name_with_prefixes(table, event, args,
                                                   block, dots);
                }
            }
            return long_miss(table, event, block);
        }
    }
    return lookup_long_and_deliver(table, event, args);
}

/* Enter the reader section (sync.h) where hook calls may overlap a
 * writer; elsewhere every hook call and every writer hold the one GIL,
 * and the table cannot go while this call runs no Python code. */
static inline void
enter_reader_section(void)
{
    if (PYAUDIT_READERS_MARK) {
        pyaudit_reader *reader = pyaudit_my_reader;
        if (PYAUDIT_UNLIKELY(reader == NULL)) {
            pyaudit_read_begin_slow();
        }
        else {
            pyaudit_read_enter(reader);
        }
    }
}

/* The rest of the hook for a name that the copies of the filter and the
 * memos could not decide, inside the reader section: memo is this
 * thread's memo of a wanted name, or NULL. */
static inline int
read_current_table(const pyaudit_name_memo *memo, const char *event,
                   PyObject *args, uint64_t block)
{
    pyaudit_table *table = PYAUDIT_LOAD_ACQUIRE(pyaudit_hot.table);
    /* Where hook calls never overlap a writer, the memo's generation was
     * read as the current one: it is of this table. */
    if (PYAUDIT_LIKELY(memo != NULL)
        && (!PYAUDIT_READERS_MARK
            || PYAUDIT_LIKELY(memo->generation == table->generation))) {
        return deliver_recalled(table, memo, event, args);
    }
    return lookup_filtered(table, event, args, block);
}

/* read_table on this thread's first hook call that reads a table. */
static PYAUDIT_NOINLINE int
read_table_first(const pyaudit_name_memo *memo, const char *event,
                 PyObject *args, uint64_t block)
{
    pyaudit_read_begin_slow();
    return read_current_table(memo, event, args, block);
}

/* Enter the reader section and read the table.  Out of line, so that the
 * misses need no stack frame; the slot is made out of line too, so that
 * this needs none either. */
static PYAUDIT_NOINLINE int
read_table(const pyaudit_name_memo *memo, const char *event, PyObject *args,
           uint64_t block)
{
    if (PYAUDIT_READERS_MARK) {
        pyaudit_reader *reader = pyaudit_my_reader;
        if (PYAUDIT_UNLIKELY(reader == NULL)) {
            return read_table_first(memo, event, args, block);
        }
        pyaudit_read_enter(reader);
    }
    return read_current_table(memo, event, args, block);
}

/* Every call below is a tail call, so that no path needs a stack frame
 * until it has found a hit. */
int
pyaudit_hook(const char *event, PyObject *args, void *userdata)
{
    (void)userdata;
    if (!PYAUDIT_LITTLE_ENDIAN) {
        enter_reader_section();
        pyaudit_table *table = PYAUDIT_LOAD_ACQUIRE(pyaudit_hot.table);
        if (PYAUDIT_LIKELY(pyaudit_table_rejects(table, event))) {
            leave_reader_section();
            return 0;
        }
        return lookup_long_and_deliver(table, event, args);
    }
    /* A miss is decided outside the reader section, from what no writer
     * frees: the name's first 8 bytes, two of which reject most misses
     * against the copy of the table's filter (core.h), then this thread's
     * memo of the name (table.h).  Only a name that may be wanted reads
     * the table: by the memo's targets if the memo is of that table, or
     * by the filters of the first block and the lookup. */
    uint64_t block = pyaudit_load_block(event);
    if (PYAUDIT_LIKELY(pyaudit_hot_rejects_block(block))) {
        return 0;
    }
    const pyaudit_name_memo *memo = pyaudit_recall(
        PYAUDIT_LOAD_RELAXED(pyaudit_hot.generation), event, block);
    if (PYAUDIT_LIKELY(memo != NULL)
        && PYAUDIT_LIKELY(memo->targets == NULL)) {
        return 0;       /* a miss this thread remembers */
    }
    return read_table(memo, event, args, block);
}

/* A process forked inside a watch callback: the child's only thread is
 * no longer inside one (whatever it runs next gets callbacks). */
static void
after_fork_in_child(void)
{
    in_watch_callback = 0;
}

static pthread_once_t fork_handler_once = PTHREAD_ONCE_INIT;

static void
register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

void
pyaudit_hook_init(void)
{
    pthread_once(&fork_handler_once, register_fork_handler);
}
