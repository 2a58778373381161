/* core.c: live subscriptions, table publishing and hook installation
 * (see core.h). */
#include "core.h"
#include "error.h"
#include "frames.h"
#include "hook.h"
#include "sync.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

pyaudit_hot_state pyaudit_hot = {
    .table = &pyaudit_empty_table,
};

/* Everything else; the configuration lock guards it. */
static struct {
    int installed;              /* the hook runs */
    int added;                  /* PySys_AddAuditHook took it (verified or
                                   not): never add it twice */
    int installing;             /* an install is under way ... */
    unsigned long installer;    /* ... on this thread */
    int probe_seen;             /* the hook saw the install probe */
    int hooks_dropping;         /* CPython is dropping every hook */
    long next_id;
    pyaudit_sub **live;         /* owned array of references, in delivery
                                   order: by kind, then age */
    size_t nlive;
    size_t live_room;           /* of live */
    pyaudit_sub *internal;      /* borrowed from live */
} core = {.next_id = 1};

void
pyaudit_core_init(void)
{
    pyaudit_sync_init();
    pyaudit_hook_init();
}

/* ---- where CPython keeps its interpreters ------------------------------- */

#ifdef PYAUDIT_RUNTIME_OFFSETS
/* CPython's runtime state (exported data), which starts with its debug
 * offsets; the first fields, the same from 3.13 to 3.15, are these. */
extern char _PyRuntime[];

typedef struct {
    char cookie[8];             /* "xdebugpy" */
    uint64_t version;           /* PY_VERSION_HEX of the runtime */
    uint64_t free_threaded;
    uint64_t runtime_size;
    uint64_t runtime_finalizing;
    uint64_t runtime_interpreters_head;
    uint64_t interpreter_size;
    uint64_t interpreter_id;
    uint64_t interpreter_next;
} debug_offsets;
#endif

PyInterpreterState *
pyaudit_core_sole_interpreter_by_calls(void)
{
    PyInterpreterState *head = PyInterpreterState_Head();
    return head != NULL && PyInterpreterState_Next(head) == NULL ? head
                                                                 : NULL;
}

const char *
pyaudit_core_interpreter_check(void)
{
    if (PYAUDIT_NEW_INTERPRETERS_ANNOUNCED) {
        return "flag";
    }
    return PYAUDIT_LOAD_ACQUIRE(pyaudit_hot.interpreters_head) != NULL
           ? "in place" : "calls";
}

/* Let pyaudit_core_sole_interpreter read the list of interpreters in
 * place, if CPython describes where it is and the description agrees
 * with PyInterpreterState_Head and _Next now (with Python initialized);
 * otherwise it keeps calling them. */
static void
find_interpreter_list(void)
{
#ifdef PYAUDIT_RUNTIME_OFFSETS
    if (PYAUDIT_LOAD_RELAXED(pyaudit_hot.interpreters_head) != NULL) {
        return;
    }
    const debug_offsets *offsets = (const debug_offsets *)_PyRuntime;
    if (memcmp(offsets->cookie, "xdebugpy", 8) != 0
        || offsets->version >> 16 != PY_VERSION_HEX >> 16
        || offsets->free_threaded != 0
        || offsets->runtime_interpreters_head + sizeof(void *)
           > offsets->runtime_size
        || offsets->interpreter_next + sizeof(void *)
           > offsets->interpreter_size) {
        return;
    }
    PyInterpreterState *const *head_at = (PyInterpreterState *const *)(
        _PyRuntime + offsets->runtime_interpreters_head);
    PyInterpreterState *head = *head_at;
    if (head == NULL || head != PyInterpreterState_Head()
        || *(PyInterpreterState *const *)(
               (const char *)head + offsets->interpreter_next)
           != PyInterpreterState_Next(head)) {
        return;
    }
    pyaudit_hot.next_offset = (size_t)offsets->interpreter_next;
    PYAUDIT_STORE_RELEASE(pyaudit_hot.interpreters_head, head_at);
#endif
}

/* ---- publishing ----------------------------------------------------------- */

/* Whether a thread outside the writer's GIL may run the hook (sync.h). */
static int
others_may_read(void)
{
    return Py_IsInitialized() && pyaudit_core_sole_interpreter() == NULL;
}

/* Make the hook's copies of table's filter and generation (core.h),
 * after table is published. */
static void
copy_filter(const pyaudit_table *table)
{
    for (size_t i = 0; i < 256; i++) {
        uint64_t bits = table->fast_reject ? table->first_two[i] : ~0ull;
        PYAUDIT_STORE_RELAXED(pyaudit_hot.first_two[i], bits);
    }
    PYAUDIT_STORE_RELEASE(pyaudit_hot.generation, table->generation);
}

/* Compile the live subs and make that table current.  retiring (a list
 * through retired_next, references) are the subs just taken off the live
 * list: they go to the retired list of the table they were last current
 * in, which is freed after every hook call that could reach them.
 * changed, when not NULL, is the one sub just linked (adding) or
 * unlinked: the current table is updated for it when it can be, which
 * costs what its own keys do rather than a compile of every sub. */
static int
publish(pyaudit_sub *retiring, pyaudit_sub *changed, int adding)
{
    pyaudit_table *old = pyaudit_hot.table;
    pyaudit_table *table = NULL;
    if (changed != NULL) {
        table = pyaudit_table_update(old, changed, adding);
    }
    if (table == NULL) {
        table = pyaudit_table_compile(core.live, core.nlive);
    }
    /* Retire onto the table that may still list them (the current one,
     * which stays current if compiling failed: they are inactive). */
    while (retiring != NULL) {
        pyaudit_sub *next = retiring->retired_next;
        if (old == &pyaudit_empty_table) {
            pyaudit_sub_decref(retiring);   /* listed by no table */
        }
        else {
            retiring->retired_next = old->retired;
            old->retired = retiring;
        }
        retiring = next;
    }
    if (table == NULL) {
        return -1;
    }
    if (old != &pyaudit_empty_table) {
        pyaudit_table_incref(table);
        old->successor = table;
    }
    PYAUDIT_STORE_RELEASE(pyaudit_hot.table, table);
    copy_filter(table);
    pyaudit_synchronize(others_may_read);
    pyaudit_table_decref(old);
    return 0;
}

/* Put sub (the caller's reference) in the live array after every sub of
 * its kind or earlier; -1 when out of memory (error set).  The array is
 * sorted by kind: a binary search reads a few subs, not all of them. */
static int
link_live(pyaudit_sub *sub)
{
    if (core.nlive == core.live_room) {
        size_t room = core.live_room ? core.live_room * 2 : 16;
        pyaudit_sub **live = room > SIZE_MAX / sizeof(pyaudit_sub *)
            ? NULL : realloc(core.live, room * sizeof(pyaudit_sub *));
        if (live == NULL) {
            return pyaudit_error_nomemory();
        }
        core.live = live;
        core.live_room = room;
    }
    size_t low = 0, high = core.nlive;
    while (low < high) {
        size_t middle = low + (high - low) / 2;
        if (core.live[middle]->kind <= sub->kind) {
            low = middle + 1;
        }
        else {
            high = middle;
        }
    }
    memmove(&core.live[low + 1], &core.live[low],
            (core.nlive - low) * sizeof(pyaudit_sub *));
    core.live[low] = sub;
    core.nlive++;
    return 0;
}

/* Take sub out of the live array (its reference goes to the caller);
 * whether it was there.  Pointers compared only: no sub is read. */
static int
unlink_live(pyaudit_sub *sub)
{
    for (size_t i = 0; i < core.nlive; i++) {
        if (core.live[i] == sub) {
            memmove(&core.live[i], &core.live[i + 1],
                    (core.nlive - i - 1) * sizeof(pyaudit_sub *));
            core.nlive--;
            return 1;
        }
    }
    return 0;
}

static int
add_locked(pyaudit_sub *sub)
{
    if (link_live(sub) < 0) {
        return -1;
    }
    pyaudit_sub_incref(sub);        /* the live array's */
    if (publish(NULL, sub, 1) < 0) {
        unlink_live(sub);
        pyaudit_sub_decref(sub);
        return -1;
    }
    sub->id = core.next_id++;
    if (sub->home != NULL) {
        sub->home->live++;
    }
    return 0;
}

int
pyaudit_core_add(pyaudit_sub *sub)
{
    pyaudit_core_init();
    pyaudit_config_lock();
    int result = add_locked(sub);
    pyaudit_config_unlock();
    return result;
}

/* Take sub off the live list into *retiring; the caller publishes. */
static void
retire_locked(pyaudit_sub *sub, pyaudit_sub **retiring)
{
    PYAUDIT_STORE_SEQ_CST(sub->active, 0);  /* see pyaudit_sub_call_sink */
    if (unlink_live(sub)) {
        if (sub->home != NULL) {
            sub->home->live--;
        }
        sub->retired_next = *retiring;
        *retiring = sub;        /* the live list's reference */
    }
}

void
pyaudit_core_remove(pyaudit_sub *sub)
{
    pyaudit_config_lock();
    if (pyaudit_sub_active(sub)) {
        pyaudit_sub *retiring = NULL;
        retire_locked(sub, &retiring);
        /* On failure the current table keeps listing the inactive sub,
         * which it retires: nothing is delivered to it. */
        (void)publish(retiring, sub, 0);
    }
    pyaudit_config_unlock();
    if (sub->kind == PYAUDIT_KIND_SINK) {
        pyaudit_sub_wait_sink_calls(sub);
    }
}

pyaudit_sub **
pyaudit_core_snapshot(size_t *n)
{
    pyaudit_config_lock();
    size_t count = 0;
    for (size_t i = 0; i < core.nlive; i++) {
        count += core.live[i] != core.internal;
    }
    pyaudit_sub **subs = malloc((count ? count : 1) * sizeof(pyaudit_sub *));
    if (subs != NULL) {
        size_t at = 0;
        for (size_t i = 0; i < core.nlive; i++) {
            pyaudit_sub *sub = core.live[i];
            if (sub != core.internal) {
                pyaudit_sub_incref(sub);
                subs[at++] = sub;
            }
        }
    }
    pyaudit_config_unlock();
    if (subs == NULL) {
        pyaudit_error_nomemory();
        return NULL;
    }
    /* In delivery order; pyaudit.subscriptions() lists by age. */
    for (size_t i = 1; i < count; i++) {
        pyaudit_sub *sub = subs[i];
        size_t j = i;
        while (j > 0 && subs[j - 1]->id > sub->id) {
            subs[j] = subs[j - 1];
            j--;
        }
        subs[j] = sub;
    }
    *n = count;
    return subs;
}

pyaudit_sub *
pyaudit_core_find_sink(long id)
{
    pyaudit_config_lock();
    pyaudit_sub *found = NULL;
    for (size_t i = 0; i < core.nlive; i++) {
        pyaudit_sub *sub = core.live[i];
        if (sub->id == id && sub->kind == PYAUDIT_KIND_SINK) {
            pyaudit_sub_incref(sub);
            found = sub;
            break;
        }
    }
    pyaudit_config_unlock();
    if (found == NULL) {
        pyaudit_error(PYAUDIT_ERR_VALUE,
                      "no live C subscription has id %ld (ids come from "
                      "pyaudit_subscribe; each can be removed once)", id);
    }
    return found;
}

/* ---- installing ------------------------------------------------------------ */

static int
add_internal_sub_locked(void)
{
    if (core.internal != NULL) {
        return 0;
    }
    pyaudit_sub *sub = pyaudit_sub_new(PYAUDIT_KIND_INTERNAL, NULL);
    if (sub == NULL) {
        return -1;
    }
    sub->audience = PYAUDIT_AUDIENCE_ALL;
    static const char patterns[] = PYAUDIT_PROBE_EVENT ","
        PYAUDIT_NEW_INTERPRETER_EVENT "," PYAUDIT_INTERPRETER_ENDS_EVENT ","
        PYAUDIT_CLEAR_HOOKS_EVENT;
    if (pyaudit_patterns_parse(&sub->patterns, patterns,
                               sizeof(patterns) - 1) < 0
        || add_locked(sub) < 0) {
        pyaudit_sub_decref(sub);
        return -1;
    }
    core.internal = sub;
    pyaudit_sub_decref(sub);        /* the live list keeps it */
    return 0;
}

/* Add the hook (once) and check with the probe that it runs.  Without the
 * configuration lock: both raise audit events that other hooks see, and
 * those may run any Python code, release the GIL or subscribe. */
static int
add_and_probe(void)
{
    if (!core.added) {
        if (PySys_AddAuditHook(pyaudit_hook, NULL) < 0) {
            /* An earlier hook raised a BaseException on
             * "sys.addaudithook": its exception is left set. */
            return pyaudit_error(PYAUDIT_ERR_INSTALL,
                                 "an audit hook added earlier failed "
                                 "sys.addaudithook, so pyaudit's hook was "
                                 "not installed");
        }
        core.added = 1;
    }
    if (!Py_IsInitialized()) {
        /* Before Python starts no hook can refuse ours: CPython raises
         * "sys.addaudithook" only once an interpreter exists. */
        return 0;
    }
    core.probe_seen = 0;
    int raised = PySys_Audit(PYAUDIT_PROBE_EVENT, NULL);
    if (raised < 0) {
        PyErr_Clear();
    }
    if (core.probe_seen) {
        return 0;
    }
    if (raised < 0) {
        /* The hook may well be in place (an earlier hook stopped the probe
         * before it): never add it again, probe again next time. */
        return pyaudit_error(PYAUDIT_ERR_INSTALL,
                             "an audit hook added earlier refused the "
                             "event '" PYAUDIT_PROBE_EVENT "', so pyaudit "
                             "cannot check that its hook runs; allow that "
                             "event in the other hook");
    }
    /* CPython reported success without adding it: an earlier hook
     * refused "sys.addaudithook" (with an Exception, which it hides). */
    core.added = 0;
    return pyaudit_error(PYAUDIT_ERR_INSTALL,
                         "pyaudit's audit hook was not installed: an audit "
                         "hook added earlier refused sys.addaudithook, so no "
                         "event would be seen");
}

/* Wait a little for another thread's install, without holding a GIL that
 * thread may need. */
static void
wait_for_installer(void)
{
    struct timespec pause = {0, 200000};
    if (Py_IsInitialized() && PYAUDIT_THIS_THREAD_HOLDS_GIL()) {
        Py_BEGIN_ALLOW_THREADS
        nanosleep(&pause, NULL);
        Py_END_ALLOW_THREADS
    }
    else {
        nanosleep(&pause, NULL);
    }
}

int
pyaudit_core_install(void)
{
    pyaudit_core_init();
    unsigned long me = PYAUDIT_THREAD_IDENT();
    for (;;) {
        pyaudit_config_lock();
        if (core.installed) {
            pyaudit_config_unlock();
            return 0;
        }
        if (core.hooks_dropping) {
            pyaudit_config_unlock();
            return pyaudit_error(
                PYAUDIT_ERR_STATE,
                "Py_FinalizeEx() is dropping every audit hook: install "
                "pyaudit's hook after it returns (before the next "
                "Py_Initialize()), not while it runs");
        }
        if (!core.installing) {
            break;
        }
        int mine = core.installer == me;
        pyaudit_config_unlock();
        if (mine) {
            return pyaudit_error(
                PYAUDIT_ERR_INSTALL,
                "pyaudit's audit hook is being installed by this thread, "
                "which was called back by another audit hook meanwhile; "
                "subscribe again once the install is done");
        }
        wait_for_installer();
    }
    core.installing = 1;
    core.installer = me;
    int result = add_internal_sub_locked();
    if (result == 0 && Py_IsInitialized()) {
        PyInterpreterState *main_interp = PyInterpreterState_Main();
        find_interpreter_list();
        PYAUDIT_STORE_RELAXED(pyaudit_hot.main_interp, main_interp);
        PYAUDIT_STORE_RELAXED(
            pyaudit_hot.only_main,
            pyaudit_core_sole_interpreter_by_calls() == main_interp);
    }
    pyaudit_config_unlock();
    if (result == 0) {
        result = add_and_probe();
    }
    pyaudit_config_lock();
    core.installing = 0;
    core.installed = result == 0;
    pyaudit_config_unlock();
    return result;
}

/* ---- the core's own events -------------------------------------------------- */

/* interp is ending: close its subscriptions and release what they and its
 * home hold (in interp). */
static void
interpreter_ends(PyInterpreterState *interp)
{
    pyaudit_config_lock();
    pyaudit_home *home = pyaudit_home_find(interp);
    pyaudit_sub *retiring = NULL;
    if (home != NULL) {
        size_t i = 0;
        while (i < core.nlive) {
            pyaudit_sub *sub = core.live[i];
            if (sub->home == home) {
                pyaudit_sub_incref(sub);    /* ours, to release below */
                retire_locked(sub, &retiring);  /* the rest move down */
            }
            else {
                i++;
            }
        }
        pyaudit_home_incref(home);
    }
    /* publish() moves the retiring list onto a table: note the subs to
     * release first. */
    size_t n = 0;
    for (pyaudit_sub *sub = retiring; sub; sub = sub->retired_next) {
        n++;
    }
    pyaudit_sub **closed = malloc((n ? n : 1) * sizeof(pyaudit_sub *));
    size_t at = 0;
    for (pyaudit_sub *sub = retiring; sub && closed; sub = sub->retired_next) {
        closed[at++] = sub;
    }
    if (retiring != NULL) {
        (void)publish(retiring, NULL, 0);
    }
    pyaudit_config_unlock();
    if (home == NULL) {
        free(closed);
        return;
    }
    for (size_t i = 0; i < at; i++) {
        if (closed[i]->kind == PYAUDIT_KIND_SINK) {
            pyaudit_sub_wait_sink_calls(closed[i]);
        }
        pyaudit_sub_release_python(closed[i]);
        pyaudit_sub_decref(closed[i]);
    }
    if (closed == NULL) {
        /* Out of memory: their Python objects stay (leaked), never
         * touched again. */
    }
    free(closed);
    pyaudit_home_close(home);
    pyaudit_home_decref(home);
}

int
pyaudit_core_internal_event(const char *event, PyInterpreterState *interp)
{
    if (strcmp(event, PYAUDIT_PROBE_EVENT) == 0) {
        pyaudit_config_lock();
        core.probe_seen = core.installing;
        pyaudit_config_unlock();
        return 0;
    }
    if (strcmp(event, PYAUDIT_NEW_INTERPRETER_EVENT) == 0) {
        /* Even if making it fails later: a cleared flag is always safe. */
        PYAUDIT_STORE_RELAXED(pyaudit_hot.only_main, 0);
        return 0;
    }
    /* Anyone can raise events of these names with sys.audit(), from a
     * Python frame; CPython raises them from C with no frame running. */
    if (pyaudit_frames_running()) {
        return 0;
    }
    if (strcmp(event, PYAUDIT_INTERPRETER_ENDS_EVENT) == 0) {
        interpreter_ends(interp);
        return 0;
    }
    if (!PYAUDIT_IS_FINALIZING()) {
        return 0;
    }
    pyaudit_config_lock();
    core.installed = 0;
    core.added = 0;
    core.hooks_dropping = 1;
    PYAUDIT_STORE_RELAXED(pyaudit_hot.only_main, 0);
    PYAUDIT_STORE_RELAXED(pyaudit_hot.main_interp, NULL);
    pyaudit_config_unlock();
    return 1;
}

void
pyaudit_core_hooks_dropped(void)
{
    pyaudit_config_lock();
    core.hooks_dropping = 0;
    pyaudit_config_unlock();
}
