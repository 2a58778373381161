/* capi.c: the public C API (see pyaudit.h), on top of the core. */
#include "capi.h"
#include "core.h"
#include "rules.h"
#include "error.h"

#include <stdio.h>
#include <string.h>

/* Once Python runs, configuration needs a GIL (sync.h: while hook calls
 * cannot overlap, the writer holds the GIL they share) and installing
 * raises audit events, which needs a thread state.  A thread that holds
 * none (cffi's ABI mode and ctypes release the GIL around every call)
 * takes the main interpreter's for the call; a thread attached to any
 * interpreter, with its own GIL or not, uses its own. */
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

/* Move a pending Python exception into the error message, since C API
 * callers get -1 and a message, not an exception. */
static void
absorb_exception(void)
{
    if (!Py_IsInitialized() || !PyErr_Occurred()) {
        return;
    }
    char message[600];
    snprintf(message, sizeof(message), "%s", pyaudit_error_message());
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    PyObject *text = value != NULL ? PyObject_Str(value) : NULL;
    const char *utf8 = text != NULL ? PyUnicode_AsUTF8(text) : NULL;
    pyaudit_error(PYAUDIT_ERR_INSTALL, "%s (%s: %s)", message,
                  ((PyTypeObject *)type)->tp_name,
                  utf8 != NULL ? utf8 : "no message");
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
        absorb_exception();
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

long
pyaudit_capi_subscribe(const char *patterns, const char *where,
                       pyaudit_sink_fn sink, void *userdata,
                       unsigned int flags, pyaudit_home *home,
                       PyObject *keepalive)
{
    if (patterns == NULL) {
        return pyaudit_error(PYAUDIT_ERR_VALUE,
                             "patterns is NULL; give a comma-separated "
                             "list such as \"open,socket.*\"");
    }
    if (sink == NULL) {
        return pyaudit_error(PYAUDIT_ERR_VALUE,
                             "sink is NULL; give the function to call for "
                             "each matching event");
    }
    if (flags & ~(unsigned int)PYAUDIT_ALL_INTERPRETERS) {
        return pyaudit_error(PYAUDIT_ERR_VALUE,
                             "unknown flags 0x%x; the only flag is "
                             "PYAUDIT_ALL_INTERPRETERS",
                             flags & ~(unsigned int)PYAUDIT_ALL_INTERPRETERS);
    }
    pyaudit_sub *sub = pyaudit_sub_new(PYAUDIT_KIND_SINK, home);
    if (sub == NULL) {
        return -1;
    }
    sub->audience = flags & PYAUDIT_ALL_INTERPRETERS ? PYAUDIT_AUDIENCE_ALL
                                                     : PYAUDIT_AUDIENCE_MAIN;
    sub->sink = sink;
    sub->userdata = userdata;
    sub->keepalive = Py_XNewRef(keepalive);
    /* A sink with no hook would silently see nothing: install first. */
    if (pyaudit_patterns_parse(&sub->patterns, patterns, strlen(patterns)) < 0
        || (where != NULL
            && (sub->rules = pyaudit_rules_compile(where,
                                                   &sub->patterns)) == NULL)
        || install() < 0 || pyaudit_core_add(sub) < 0) {
        pyaudit_sub_release_python(sub);
        pyaudit_sub_decref(sub);
        return -1;
    }
    long id = sub->id;
    pyaudit_sub_decref(sub);        /* the core keeps it live */
    return id;
}

long
pyaudit_subscribe_ex(const char *patterns, const char *where,
                     pyaudit_sink_fn sink, void *userdata,
                     unsigned int flags)
{
    gil_guard guard = gil_enter();
    long result = pyaudit_capi_subscribe(patterns, where, sink, userdata,
                                         flags, NULL, NULL);
    gil_exit(guard);
    return result;
}

long
pyaudit_subscribe(const char *patterns, pyaudit_sink_fn sink,
                  void *userdata)
{
    return pyaudit_subscribe_ex(patterns, NULL, sink, userdata, 0);
}

static int
unsubscribe(long id)
{
    pyaudit_sub *sub = pyaudit_core_find_sink(id);
    if (sub == NULL) {
        return -1;
    }
    /* A sink made through pyaudit.capi keeps a Python object alive; it is
     * released when its interpreter ends (this call may come from any
     * thread, so it does not touch it). */
    pyaudit_core_remove(sub);
    pyaudit_sub_decref(sub);
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
