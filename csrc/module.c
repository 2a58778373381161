/* module.c: pyaudit._pyaudit, the glue between Python and the core.
 *
 * Types: Filter (a compiled pattern list, for pyaudit.Filter) and Handle
 * (one subscription, wrapped by pyaudit.Subscription and friends).
 * Functions: subscribe(kind, items, arg, where) and subscriptions().  Argument
 * policy lives in pyaudit/_api.py; this file checks only what it must to
 * stay memory-safe.
 */
#include "compat.h"
#include "core.h"
#include "error.h"
#include "bench_hooks.h"
#include "hook.h"
#include "pyaudit.h"
#include "rules.h"
#include "state.h"

#include <stdlib.h>
#include <string.h>

static pyaudit_state *
get_state(PyObject *module)
{
    return (pyaudit_state *)PyModule_GetState(module);
}

/* Fill patterns from a tuple of str items.  0, or -1 with ValueError or
 * TypeError set. */
static int
patterns_from_items(pyaudit_patterns *patterns, PyObject *items)
{
    if (!PyTuple_Check(items)) {
        PyErr_Format(PyExc_TypeError, "items must be a tuple of str, not %s",
                     Py_TYPE(items)->tp_name);
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(items); i++) {
        PyObject *item = PyTuple_GET_ITEM(items, i);  /* borrowed */
        if (!PyUnicode_Check(item)) {
            PyErr_Format(PyExc_TypeError, "each pattern must be a str, not %s",
                         Py_TYPE(item)->tp_name);
            return -1;
        }
        Py_ssize_t size;
        const char *utf8 = PyUnicode_AsUTF8AndSize(item, &size);
        if (utf8 == NULL) {
            return -1;
        }
        if (pyaudit_patterns_add(patterns, utf8, (size_t)size) < 0) {
            PyErr_SetString(PyExc_ValueError, pyaudit_error_message());
            return -1;
        }
    }
    return 0;
}

/* Raise the core's error (error.h) as the exception its kind names. */
static void
raise_core_error(void)
{
    pyaudit_error_kind kind = pyaudit_error_kind_get();
    PyErr_SetString(kind == PYAUDIT_ERR_TYPE ? PyExc_TypeError
                    : kind == PYAUDIT_ERR_MEMORY ? PyExc_MemoryError
                    : PyExc_ValueError, pyaudit_error_message());
}

/* Compile where= (rule text, or None for no conditions) into sub->rules,
 * against its patterns.  0, or -1 with an exception set. */
static int
attach_rules(pyaudit_sub *sub, PyObject *where)
{
    if (where == NULL || where == Py_None) {
        return 0;
    }
    if (!PyUnicode_Check(where)) {
        PyErr_Format(PyExc_TypeError, "where must be rule text (str) or "
                     "None, not %s", Py_TYPE(where)->tp_name);
        return -1;
    }
    Py_ssize_t size;
    const char *text = PyUnicode_AsUTF8AndSize(where, &size);
    if (text == NULL) {
        return -1;
    }
    if (strlen(text) != (size_t)size) {
        PyErr_SetString(PyExc_ValueError,
                        "rule text contains a NUL character");
        return -1;
    }
    sub->rules = pyaudit_rules_compile(text, &sub->patterns);
    if (sub->rules == NULL) {
        raise_core_error();
        return -1;
    }
    return 0;
}

/* ---- Filter ----------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    pyaudit_table *table;       /* owned; lists only this filter's sub */
} FilterObject;

static PyObject *
filter_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *items, *where = Py_None;
    static char *kwlist[] = {"items", "where", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:Filter", kwlist,
                                     &items, &where)) {
        return NULL;
    }
    pyaudit_sub *sub = pyaudit_sub_new(PYAUDIT_KIND_FILTER);
    if (sub == NULL) {
        return PyErr_NoMemory();
    }
    if (patterns_from_items(&sub->patterns, items) < 0
        || attach_rules(sub, where) < 0) {
        pyaudit_sub_decref(sub);
        return NULL;
    }
    pyaudit_table *table = pyaudit_table_compile(&sub, 1);
    pyaudit_sub_decref(sub);    /* the table holds its own reference */
    if (table == NULL) {
        return PyErr_NoMemory();
    }
    FilterObject *self = (FilterObject *)type->tp_alloc(type, 0);
    if (self == NULL) {
        pyaudit_table_decref(table);
        return NULL;
    }
    self->table = table;
    return (PyObject *)self;
}

static void
filter_dealloc(FilterObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    if (self->table != NULL) {
        pyaudit_table_decref(self->table);
    }
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

static PyObject *
filter_matches(FilterObject *self, PyObject *call_args)
{
    PyObject *name, *args = NULL;
    if (!PyArg_ParseTuple(call_args, "O|O!:matches", &name, &PyTuple_Type,
                          &args)) {
        return NULL;
    }
    if (!PyUnicode_Check(name)) {
        PyErr_Format(PyExc_TypeError, "event name must be a str, not %s",
                     Py_TYPE(name)->tp_name);
        return NULL;
    }
    Py_ssize_t size;
    const char *utf8 = PyUnicode_AsUTF8AndSize(name, &size);
    if (utf8 == NULL) {
        return NULL;
    }
    if (memchr(utf8, '\0', (size_t)size) != NULL) {
        PyErr_SetString(PyExc_ValueError,
                        "event name contains a NUL character");
        return NULL;
    }
    uint32_t hash;
    size_t len;
    const pyaudit_targets *targets = NULL;
    if (!pyaudit_table_rejects(self->table, utf8)) {
        targets = pyaudit_table_lookup(self->table, utf8, &hash, &len);
    }
    if (targets == NULL) {
        Py_RETURN_FALSE;
    }
    /* where= rules (the filter's one sub): decided on args, () if none. */
    const pyaudit_rules *rules = targets->targets[0].sub->rules;
    if (rules == NULL) {
        Py_RETURN_TRUE;
    }
    PyObject *empty = args == NULL ? PyTuple_New(0) : NULL;
    if (args == NULL && empty == NULL) {
        return NULL;
    }
    int matched = pyaudit_rules_match(rules, utf8, len,
                                      args != NULL ? args : empty);
    Py_XDECREF(empty);
    return PyBool_FromLong(matched);
}

static PyMethodDef filter_methods[] = {
    {"matches", (PyCFunction)filter_matches, METH_VARARGS,
     "matches(name, args=()) -> bool: whether an event of that name (and "
     "those args, for where= rules) matches."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot filter_slots[] = {
    {Py_tp_new, filter_new},
    {Py_tp_dealloc, filter_dealloc},
    {Py_tp_methods, filter_methods},
    {Py_tp_doc, "Filter(items, where=None): a compiled tuple of pattern "
                "items, with rule text or None."},
    {0, NULL},
};

static PyType_Spec filter_spec = {
    .name = "pyaudit._pyaudit.Filter",
    .basicsize = sizeof(FilterObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = filter_slots,
};

/* ---- Handle ----------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    pyaudit_sub *sub;           /* owned reference */
} HandleObject;

static void
handle_dealloc(HandleObject *self)
{
    /* Dropping the handle does not close the subscription: the core keeps
     * it live until close() is called. */
    PyTypeObject *type = Py_TYPE(self);
    if (self->sub != NULL) {
        pyaudit_sub_decref(self->sub);
    }
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

static PyObject *
handle_close(HandleObject *self, PyObject *unused)
{
    (void)unused;
    pyaudit_core_remove(self->sub);
    Py_RETURN_NONE;
}

static PyObject *
handle_drain(HandleObject *self, PyObject *unused)
{
    (void)unused;
    if (self->sub->ring == NULL) {
        PyErr_SetString(PyExc_TypeError, "only record subscriptions drain");
        return NULL;
    }
    return pyaudit_ring_drain(self->sub->ring);
}

static PyObject *
handle_clear(HandleObject *self, PyObject *unused)
{
    (void)unused;
    if (self->sub->ring == NULL) {
        PyErr_SetString(PyExc_TypeError, "only record subscriptions clear");
        return NULL;
    }
    Py_ssize_t cleared = pyaudit_ring_clear(self->sub->ring);
    return cleared < 0 ? NULL : PyLong_FromSsize_t(cleared);
}

static PyObject *
handle_counts(HandleObject *self, PyObject *unused)
{
    (void)unused;
    if (self->sub->counts == NULL) {
        PyErr_SetString(PyExc_TypeError, "only count subscriptions count");
        return NULL;
    }
    return pyaudit_counts_dict(self->sub->counts);
}

static PyObject *
handle_get_active(HandleObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(self->sub->active);
}

static PyObject *
handle_get_id(HandleObject *self, void *closure)
{
    (void)closure;
    return PyLong_FromLong(self->sub->id);
}

static PyObject *
handle_get_dropped(HandleObject *self, void *closure)
{
    (void)closure;
    pyaudit_ring *ring = self->sub->ring;
    return PyLong_FromUnsignedLongLong(ring ? ring->dropped : 0);
}

static PyObject *
handle_get_capacity(HandleObject *self, void *closure)
{
    (void)closure;
    pyaudit_ring *ring = self->sub->ring;
    return PyLong_FromSize_t(ring ? ring->capacity : 0);
}

static PyMethodDef handle_methods[] = {
    {"close", (PyCFunction)handle_close, METH_NOARGS,
     "Stop delivery; idempotent."},
    {"drain", (PyCFunction)handle_drain, METH_NOARGS,
     "Recorded events as (name, args, time_ns, thread_id), oldest first."},
    {"clear", (PyCFunction)handle_clear, METH_NOARGS,
     "Discard the recorded events; returns how many."},
    {"counts", (PyCFunction)handle_counts, METH_NOARGS,
     "A dict of event name to count."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef handle_getset[] = {
    {"active", (getter)handle_get_active, NULL, NULL, NULL},
    {"id", (getter)handle_get_id, NULL, NULL, NULL},
    {"dropped", (getter)handle_get_dropped, NULL, NULL, NULL},
    {"capacity", (getter)handle_get_capacity, NULL, NULL, NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyObject *
handle_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    (void)type;
    (void)args;
    (void)kwargs;
    PyErr_SetString(PyExc_TypeError,
                    "Handle objects are made by subscribe(), not directly");
    return NULL;
}

static PyType_Slot handle_slots[] = {
    {Py_tp_new, handle_new},
    {Py_tp_dealloc, handle_dealloc},
    {Py_tp_methods, handle_methods},
    {Py_tp_getset, handle_getset},
    {Py_tp_doc, "One subscription in the native core."},
    {0, NULL},
};

static PyType_Spec handle_spec = {
    .name = "pyaudit._pyaudit.Handle",
    .basicsize = sizeof(HandleObject),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = handle_slots,
};

/* ---- module functions --------------------------------------------------- */

static int
kind_from_name(const char *name, pyaudit_kind *kind)
{
    static const pyaudit_kind python_kinds[] = {
        PYAUDIT_KIND_WATCH, PYAUDIT_KIND_RECORD, PYAUDIT_KIND_COUNT,
        PYAUDIT_KIND_DENY,
    };
    for (size_t i = 0; i < sizeof(python_kinds) / sizeof(*python_kinds);
         i++) {
        if (strcmp(name, pyaudit_kind_names[python_kinds[i]]) == 0) {
            *kind = python_kinds[i];
            return 0;
        }
    }
    PyErr_Format(PyExc_ValueError,
                 "kind must be 'watch', 'record', 'count' or 'deny', not '%s'",
                 name);
    return -1;
}

/* Give a new sub what its kind needs from arg.  0, or -1 with an error. */
static int
attach_sink(pyaudit_sub *sub, PyObject *arg)
{
    switch (sub->kind) {
    case PYAUDIT_KIND_WATCH:
    case PYAUDIT_KIND_DENY:
        if (!PyCallable_Check(arg)) {
            PyErr_SetString(PyExc_TypeError,
                            "watch needs a callback and deny an exception "
                            "class");
            return -1;
        }
        sub->callable = Py_NewRef(arg);
        return 0;
    case PYAUDIT_KIND_RECORD: {
        Py_ssize_t capacity = PyLong_AsSsize_t(arg);
        if (capacity == -1 && PyErr_Occurred()) {
            return -1;
        }
        if (capacity < 1) {
            PyErr_SetString(PyExc_ValueError, "capacity must be at least 1");
            return -1;
        }
        sub->ring = pyaudit_ring_new((size_t)capacity);
        return sub->ring == NULL ? -1 : 0;
    }
    case PYAUDIT_KIND_COUNT:
        sub->counts = pyaudit_counts_new();
        if (sub->counts == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        return 0;
    default:
        return 0;
    }
}

static PyObject *
module_subscribe(PyObject *module, PyObject *args)
{
    const char *kind_name;
    PyObject *items, *arg, *where = Py_None;
    pyaudit_kind kind;
    if (!PyArg_ParseTuple(args, "sOO|O:subscribe", &kind_name, &items, &arg,
                          &where)
        || kind_from_name(kind_name, &kind) < 0) {
        return NULL;
    }
    pyaudit_state *state = get_state(module);
    pyaudit_sub *sub = pyaudit_sub_new(kind);
    if (sub == NULL) {
        return PyErr_NoMemory();
    }
    sub->interp = PyInterpreterState_Get();
    sub->state = state;
    HandleObject *handle = NULL;
    if (patterns_from_items(&sub->patterns, items) < 0
        || attach_sink(sub, arg) < 0 || attach_rules(sub, where) < 0) {
        goto fail;
    }
    if (pyaudit_core_install() < 0) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(state->install_error, pyaudit_error_message());
        }
        goto fail;
    }
    handle = PyObject_New(HandleObject,
                          (PyTypeObject *)state->handle_type);
    if (handle == NULL) {
        goto fail;
    }
    handle->sub = sub;          /* the handle takes our reference */
    if (pyaudit_core_add(sub) < 0) {
        Py_DECREF(handle);
        return PyErr_NoMemory();
    }
    return (PyObject *)handle;

fail:
    pyaudit_sub_decref(sub);
    return NULL;
}

/* One (id, kind, items, where) tuple for sub (where: the rule text or
 * None), or NULL with an exception set. */
static PyObject *
describe_sub(const pyaudit_sub *sub)
{
    PyObject *items = PyTuple_New((Py_ssize_t)sub->patterns.count);
    if (items == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sub->patterns.count; i++) {
        PyObject *item = PyUnicode_FromString(sub->patterns.items[i].item);
        if (item == NULL) {
            Py_DECREF(items);
            return NULL;
        }
        PyTuple_SET_ITEM(items, (Py_ssize_t)i, item);
    }
    return Py_BuildValue("(lsNz)", sub->id, pyaudit_kind_names[sub->kind],
                         items,
                         sub->rules ? pyaudit_rules_text(sub->rules) : NULL);
}

static PyObject *
module_subscriptions(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    /* Take a reference on each live sub first: making the Python objects
     * can run the garbage collector, and a finalizer can close (and so
     * free) a subscription while the list is walked. */
    size_t n = 0;
    for (pyaudit_sub *sub = pyaudit_core.live; sub; sub = sub->next) {
        n += sub->kind != PYAUDIT_KIND_INTERNAL;
    }
    pyaudit_sub **subs = malloc((n ? n : 1) * sizeof(pyaudit_sub *));
    if (subs == NULL) {
        return PyErr_NoMemory();
    }
    size_t at = 0;
    for (pyaudit_sub *sub = pyaudit_core.live; sub; sub = sub->next) {
        if (sub->kind != PYAUDIT_KIND_INTERNAL) {
            pyaudit_sub_incref(sub);
            subs[at++] = sub;
        }
    }
    PyObject *list = PyList_New((Py_ssize_t)n);
    for (size_t i = 0; i < n && list != NULL; i++) {
        PyObject *entry = describe_sub(subs[i]);
        if (entry == NULL) {
            Py_CLEAR(list);
            break;
        }
        PyList_SET_ITEM(list, (Py_ssize_t)i, entry);
    }
    for (size_t i = 0; i < n; i++) {
        pyaudit_sub_decref(subs[i]);
    }
    free(subs);
    return list;
}

static PyObject *
module_install_noop_hook(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    if (PySys_AddAuditHook(pyaudit_noop_hook, NULL) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
module_install_retain_hook(PyObject *module, PyObject *arg)
{
    (void)module;
    Py_ssize_t capacity = PyLong_AsSsize_t(arg);
    if ((capacity == -1 && PyErr_Occurred())
        || pyaudit_retain_hook_reserve(capacity) < 0
        || PySys_AddAuditHook(pyaudit_retain_hook, NULL) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

static PyObject *
module_release_retained(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    pyaudit_retain_hook_release();
    Py_RETURN_NONE;
}

static PyMethodDef module_methods[] = {
    {"_release_retained", module_release_retained, METH_NOARGS,
     "Release what the retain hook kept (benchmarks only)."},
    {"_install_noop_hook", module_install_noop_hook, METH_NOARGS,
     "Add a native hook that does nothing, for benchmarks only: it is the "
     "floor pyaudit is measured against.  It can never be removed."},
    {"_install_retain_hook", module_install_retain_hook, METH_O,
     "_install_retain_hook(capacity): add a native hook that only keeps a "
     "reference to each args tuple, for benchmarks only: the floor for "
     "recording.  It can never be removed."},
    {"subscribe", module_subscribe, METH_VARARGS,
     "subscribe(kind, items, arg, where=None) -> Handle; where is rule "
     "text or None"},
    {"subscriptions", module_subscriptions, METH_NOARGS,
     "[(id, kind, items, where), ...] for every live subscription, oldest "
     "first."},
    {NULL, NULL, 0, NULL},
};

/* ---- module life cycle ------------------------------------------------ */

static int
module_exec(PyObject *module)
{
    pyaudit_state *state = get_state(module);
    PyObject *errors = PyImport_ImportModule("pyaudit._errors");
    if (errors == NULL) {
        return -1;
    }
    state->install_error = PyObject_GetAttrString(errors, "InstallError");
    Py_DECREF(errors);
    if (state->install_error == NULL) {
        return -1;
    }
    state->filter_type = PyType_FromSpec(&filter_spec);
    state->handle_type = PyType_FromSpec(&handle_spec);
    if (state->filter_type == NULL || state->handle_type == NULL) {
        return -1;
    }
    if (PyModule_AddObject(module, "Filter",
                           Py_NewRef(state->filter_type)) < 0) {
        Py_DECREF(state->filter_type);
        return -1;
    }
    if (PyModule_AddStringConstant(module, "backend", "native") < 0) {
        return -1;
    }
    /* CPython imports this module only where the GIL is the main one. */
    if (pyaudit_core_allow_interpreter(PyInterpreterState_Get()) < 0) {
        PyErr_SetString(PyExc_ImportError, pyaudit_error_message());
        return -1;
    }
    return 0;
}

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    pyaudit_state *state = get_state(module);
    Py_VISIT(state->filter_type);
    Py_VISIT(state->handle_type);
    Py_VISIT(state->install_error);
    return 0;
}

static int
module_clear(PyObject *module)
{
    pyaudit_state *state = get_state(module);
    Py_CLEAR(state->filter_type);
    Py_CLEAR(state->handle_type);
    Py_CLEAR(state->install_error);
    return 0;
}

static void
module_free(void *module)
{
    pyaudit_state *state = get_state((PyObject *)module);
    /* This interpreter's subscriptions hold its objects: close them before
     * those objects go. */
    pyaudit_core_remove_state(state);
    if (PyInterpreterState_Get() != PyInterpreterState_Main()) {
        pyaudit_core_forget_interpreter(PyInterpreterState_Get());
    }
    pyaudit_names_clear(&state->names);
    module_clear((PyObject *)module);
}

static PyModuleDef_Slot module_slots[] = {
    {Py_mod_exec, module_exec},
    PYAUDIT_SLOT_INTERPRETERS
    PYAUDIT_SLOT_GIL
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pyaudit._pyaudit",
    .m_doc = "pyaudit's native core: one filtered audit hook.",
    .m_size = sizeof(pyaudit_state),
    .m_methods = module_methods,
    .m_slots = module_slots,
    .m_traverse = module_traverse,
    .m_clear = module_clear,
    .m_free = module_free,
};

/* PyMODINIT_FUNC exports the symbol from 3.9 on; say it for 3.8 too, as
 * everything else is built hidden. */
PYAUDIT_API PyMODINIT_FUNC
PyInit__pyaudit(void)
{
    return PyModuleDef_Init(&module_def);
}
