/* capi.c: the public C API (see pyaudit.h), on top of the core. */
#include "pyaudit.h"
#include "core.h"
#include "error.h"

#include <stdio.h>

/* The C API may be called before Python starts, with the GIL held, or
 * from a thread that does not hold it (cffi's ABI mode releases it around
 * every call): take it in the last case only. */
typedef struct {
    int taken;
    PyGILState_STATE state;
} gil_guard;

static gil_guard
gil_enter(void)
{
    gil_guard guard = {0, PyGILState_UNLOCKED};
    if (Py_IsInitialized() && !PYAUDIT_THIS_THREAD_HOLDS_GIL()) {
        guard.state = PyGILState_Ensure();
        guard.taken = 1;
    }
    return guard;
}

static void
gil_exit(gil_guard guard)
{
    if (guard.taken) {
        PyGILState_Release(guard.state);
    }
}

/* Move a pending Python exception (if any) into the error message, since
 * C API callers get -1 and a message, not an exception. */
static void
absorb_exception(void)
{
    if (!Py_IsInitialized() || !PyErr_Occurred()) {
        return;
    }
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyObject *text = value != NULL ? PyObject_Str(value) : NULL;
    const char *utf8 = text != NULL ? PyUnicode_AsUTF8(text) : NULL;
    pyaudit_error(PYAUDIT_ERR_STATE, "%s: %s", ((PyTypeObject *)type)->tp_name,
                      utf8 != NULL ? utf8 : "(no message)");
    PyErr_Clear();
    Py_XDECREF(text);
    Py_XDECREF(type);
    Py_XDECREF(value);
    Py_XDECREF(traceback);
}

static int
install(void)
{
    if (pyaudit_core_install() < 0) {
        if (Py_IsInitialized() && PyErr_Occurred()) {
            char message[600];
            snprintf(message, sizeof(message), "%s", pyaudit_error_message());
            absorb_exception();
            char cause[600];
            snprintf(cause, sizeof(cause), "%s", pyaudit_error_message());
            pyaudit_error(PYAUDIT_ERR_STATE, "%s (%s)", message, cause);
        }
        return -1;
    }
    return 0;
}

int
pyaudit_install(void)
{
    gil_guard guard = gil_enter();
    int result = install();
    gil_exit(guard);
    return result;
}

static long
subscribe(const char *patterns, pyaudit_sink_fn sink, void *userdata)
{
    if (patterns == NULL) {
        pyaudit_error(PYAUDIT_ERR_STATE, "patterns is NULL; give a comma-separated list "
                          "such as \"open,socket.*\"");
        return -1;
    }
    if (sink == NULL) {
        pyaudit_error(PYAUDIT_ERR_STATE, "sink is NULL; give the function to call for "
                          "each matching event");
        return -1;
    }
    pyaudit_sub *sub = pyaudit_sub_new(PYAUDIT_KIND_SINK);
    if (sub == NULL) {
        pyaudit_error_nomemory();
        return -1;
    }
    if (pyaudit_patterns_parse(&sub->patterns, patterns) < 0) {
        pyaudit_sub_decref(sub);
        return -1;
    }
    sub->sink = sink;
    sub->userdata = userdata;
    /* A sink with no hook would silently see nothing: install first. */
    if (install() < 0 || pyaudit_core_add(sub) < 0) {
        pyaudit_sub_decref(sub);
        return -1;
    }
    long id = sub->id;
    pyaudit_sub_decref(sub);        /* the core keeps it live */
    return id;
}

long
pyaudit_subscribe(const char *patterns, pyaudit_sink_fn sink,
                  void *userdata)
{
    gil_guard guard = gil_enter();
    long result = subscribe(patterns, sink, userdata);
    gil_exit(guard);
    return result;
}

static int
unsubscribe(long id)
{
    pyaudit_sub *sub = pyaudit_core_find_sink(id);
    if (sub == NULL) {
        pyaudit_error(PYAUDIT_ERR_STATE, "no live C subscription has id %ld (ids come "
                          "from pyaudit_subscribe; each can be removed "
                          "once)", id);
        return -1;
    }
    pyaudit_core_remove(sub);
    return 0;
}

int
pyaudit_unsubscribe(long id)
{
    gil_guard guard = gil_enter();
    int result = unsubscribe(id);
    gil_exit(guard);
    return result;
}

const char *
pyaudit_last_error(void)
{
    return pyaudit_error_message();
}
