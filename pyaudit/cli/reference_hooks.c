/* reference_hooks.c: the reference audit hooks of ``pyaudit bench``.
 *
 * Compiled on first use by pyaudit/cli/_bench_reference.py (cffi, API
 * mode) into a module of its own, never into pyaudit's extension: these
 * hooks exist only to be measured against.
 *
 *   noop    returns at once: the floor for any hook, what CPython itself
 *           costs to call a native hook.
 *   retain  keeps each args tuple alive with the wall-clock time and the
 *           thread, as any recorder must: the floor for recording.
 *
 * cffi calls these functions with the GIL released, so each one that
 * touches the interpreter takes it back first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The signature PySys_AddAuditHook wants (CPython's Py_AuditHookFunction,
 * which not every build's headers show to cffi's modules). */
typedef int (*pyaudit_bench_hook_fn)(const char *event, PyObject *args,
                                     void *userdata);

typedef struct {
    PyObject *args;             /* owned: a reference taken by the hook */
    int64_t time_ns;
    unsigned long thread_id;
} pyaudit_bench_retained;

/* What the retain hook keeps, until pyaudit_bench_release_retained().
 * Touched only with the GIL held. */
static pyaudit_bench_retained *pyaudit_bench_kept;
static Py_ssize_t pyaudit_bench_kept_count;
static Py_ssize_t pyaudit_bench_kept_capacity;

static int
pyaudit_bench_noop_hook(const char *event, PyObject *args, void *userdata)
{
    (void)event;
    (void)args;
    (void)userdata;
    return 0;
}

static int
pyaudit_bench_retain_hook(const char *event, PyObject *args, void *userdata)
{
    (void)event;
    (void)userdata;
    if (pyaudit_bench_kept_count < pyaudit_bench_kept_capacity) {
        struct timespec ts;
        pyaudit_bench_retained *kept =
            &pyaudit_bench_kept[pyaudit_bench_kept_count++];
        Py_INCREF(args);
        kept->args = args;
        kept->time_ns = timespec_get(&ts, TIME_UTC) == 0
                        ? 0 : (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
        kept->thread_id = PyThread_get_thread_ident();
    }
    return 0;
}

/* Add hook with PySys_AddAuditHook; 0 on success, -1 if CPython refused
 * (an earlier hook vetoed sys.addaudithook). */
static int
pyaudit_bench_add(pyaudit_bench_hook_fn hook)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    int status = PySys_AddAuditHook(hook, NULL);
    if (status < 0) {
        PyErr_Clear();
    }
    PyGILState_Release(gil);
    return status < 0 ? -1 : 0;
}

static int
pyaudit_bench_add_noop_hook(void)
{
    return pyaudit_bench_add(pyaudit_bench_noop_hook);
}

/* Room for capacity events; -1 if capacity is not positive or the memory
 * cannot be had. */
static int
pyaudit_bench_add_retain_hook(long capacity)
{
    if (capacity < 1
        || (size_t)capacity > SIZE_MAX / sizeof(pyaudit_bench_retained)) {
        return -1;
    }
    pyaudit_bench_kept = calloc((size_t)capacity,
                                sizeof(pyaudit_bench_retained));
    if (pyaudit_bench_kept == NULL) {
        return -1;
    }
    pyaudit_bench_kept_capacity = capacity;
    return pyaudit_bench_add(pyaudit_bench_retain_hook);
}

/* Release what the retain hook kept, as a recorder that is drained
 * releases its records. */
static void
pyaudit_bench_release_retained(void)
{
    PyGILState_STATE gil = PyGILState_Ensure();
    for (Py_ssize_t i = 0; i < pyaudit_bench_kept_count; i++) {
        Py_DECREF(pyaudit_bench_kept[i].args);
    }
    pyaudit_bench_kept_count = 0;
    PyGILState_Release(gil);
}

/* Add someone else's native hook, found at address (the signature of
 * PySys_AddAuditHook's hooks is the caller's promise). */
static int
pyaudit_bench_add_hook_at(void *address)
{
    pyaudit_bench_hook_fn hook;
    memcpy(&hook, &address, sizeof(hook));
    return pyaudit_bench_add(hook);
}
