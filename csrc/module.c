/* module.c: pyaudit._pyaudit, the glue between Python and the core.
 *
 * Types: Filter (a compiled pattern list, for pyaudit.Filter) and Handle
 * (one subscription, wrapped by pyaudit.Subscription and friends).
 * Functions: subscribe(), subscriptions(), _set_types() and
 * _subscribe_sink() (pyaudit.capi); _getrlimit_nofile() and
 * _setrlimit_nofile() for pyaudit run.  This module is the native
 * backend's one checker of its input: patterns, capacity, stack depth and
 * interpreters are validated here and in the core, not in Python.
 */
#include "capi.h"
#include "compat.h"
#include "core.h"
#include "error.h"
#include "home.h"
#include "hook.h"
#include "pyaudit.h"
#include "rules.h"
#include "scope.h"

#include <stdlib.h>
#include <string.h>
#ifdef HAVE_SYS_RESOURCE_H
#  include <errno.h>
#  include <sys/resource.h>
#endif

#define MAX_CAPACITY ((Py_ssize_t)1 << 30)

typedef struct {
    PyObject *filter_type;      /* owned: _pyaudit.Filter */
    PyObject *handle_type;      /* owned: _pyaudit.Handle */
    PyObject *install_error;    /* owned: pyaudit._errors.InstallError */
    pyaudit_home *home;         /* a struct reference: this interpreter's */
} module_state;

static module_state *
get_state(PyObject *module)
{
    return (module_state *)PyModule_GetState(module);
}

/* Raise the core's last error as the exception its kind names (state is
 * needed only for InstallError). */
static PyObject *
raise_core_error(module_state *state)
{
    static PyObject *const *const kinds[] = {
        [PYAUDIT_ERR_VALUE] = &PyExc_ValueError,
        [PYAUDIT_ERR_TYPE] = &PyExc_TypeError,
        [PYAUDIT_ERR_MEMORY] = &PyExc_MemoryError,
        [PYAUDIT_ERR_STATE] = &PyExc_RuntimeError,
    };
    pyaudit_error_kind kind = pyaudit_error_kind_get();
    PyObject *type = kind != PYAUDIT_ERR_INSTALL ? *kinds[kind]
                     : state != NULL ? state->install_error
                                     : PyExc_RuntimeError;
    PyErr_SetString(type, pyaudit_error_message());
    return NULL;
}

/* ---- patterns ------------------------------------------------------------- */

/* The ValueError for the pattern the core just rejected, showing the
 * offending text as its repr(), as the Python reference does. */
static int
raise_pattern_error(void)
{
    const pyaudit_pattern_failure *failure = pyaudit_patterns_last_failure();
    PyObject *text = PyUnicode_DecodeUTF8(failure->item,
                                          (Py_ssize_t)failure->len,
                                          "surrogateescape");
    if (text == NULL) {
        return -1;
    }
    if (failure->whole_list) {
        PyErr_Format(PyExc_ValueError, "empty pattern in %R; %s", text,
                     PYAUDIT_PATTERNS_ALLOWED);
    }
    else {
        PyErr_Format(PyExc_ValueError, "pattern %R %s; %s", text,
                     failure->problem, PYAUDIT_PATTERNS_ALLOWED);
    }
    Py_DECREF(text);
    return -1;
}

/* The UTF-8 of a pattern str; NULL with ValueError for one that has none
 * (lone surrogates). */
static const char *
pattern_utf8(PyObject *text, Py_ssize_t *size)
{
    const char *utf8 = PyUnicode_AsUTF8AndSize(text, size);
    if (utf8 == NULL) {
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError,
                     "pattern %R cannot be encoded as UTF-8, so no event "
                     "can have that name; %s", text,
                     PYAUDIT_PATTERNS_ALLOWED);
    }
    return utf8;
}

static int
type_error_patterns(PyObject *patterns)
{
    PyErr_Format(PyExc_TypeError,
                 "patterns must be a str or an iterable of str, not %s",
                 Py_TYPE(patterns)->tp_name);
    return -1;
}

/* Fill parsed from what the user gave: a str of comma-separated items
 * (each stripped) or an iterable of clean str items.  0, or -1 with an
 * exception set. */
static int
parse_patterns(pyaudit_patterns *parsed, PyObject *patterns)
{
    Py_ssize_t size;
    if (PyUnicode_Check(patterns)) {
        const char *utf8 = pattern_utf8(patterns, &size);
        if (utf8 == NULL) {
            return -1;
        }
        if (pyaudit_patterns_parse(parsed, utf8, (size_t)size) < 0) {
            return raise_pattern_error();
        }
        return 0;
    }
    if (PyBytes_Check(patterns) || PyByteArray_Check(patterns)) {
        return type_error_patterns(patterns);
    }
    PyObject *iterator = PyObject_GetIter(patterns);
    if (iterator == NULL) {
        if (PyErr_ExceptionMatches(PyExc_TypeError)) {
            PyErr_Clear();
            return type_error_patterns(patterns);
        }
        return -1;
    }
    PyObject *item;
    int result = 0;
    while (result == 0 && (item = PyIter_Next(iterator)) != NULL) {
        if (!PyUnicode_Check(item)) {
            PyErr_Format(PyExc_TypeError,
                         "each pattern must be a str, not %s (%R)",
                         Py_TYPE(item)->tp_name, item);
            result = -1;
        }
        else {
            const char *utf8 = pattern_utf8(item, &size);
            if (utf8 == NULL) {
                result = -1;
            }
            else if (pyaudit_patterns_add_list_item(parsed, utf8,
                                                    (size_t)size) < 0) {
                result = raise_pattern_error();
            }
        }
        Py_DECREF(item);
    }
    Py_DECREF(iterator);
    if (result == 0 && PyErr_Occurred()) {
        result = -1;
    }
    if (result == 0 && parsed->count == 0) {
        PyErr_Format(PyExc_ValueError, "no patterns given; %s",
                     PYAUDIT_PATTERNS_ALLOWED);
        result = -1;
    }
    return result;
}

/* The items as written (str), and as parsed: (excluded, kind, text). */
static PyObject *
items_of(const pyaudit_patterns *patterns)
{
    PyObject *items = PyTuple_New((Py_ssize_t)patterns->count);
    for (size_t i = 0; i < patterns->count && items != NULL; i++) {
        PyObject *item = PyUnicode_DecodeUTF8(
            patterns->items[i].item,
            (Py_ssize_t)strlen(patterns->items[i].item), "surrogateescape");
        if (item == NULL) {
            Py_CLEAR(items);
            break;
        }
        PyTuple_SET_ITEM(items, (Py_ssize_t)i, item);
    }
    return items;
}

static PyObject *
parsed_of(const pyaudit_patterns *patterns)
{
    static const char *const kinds[] = {
        [PYAUDIT_MATCH_EXACT] = "exact",
        [PYAUDIT_MATCH_PREFIX] = "prefix",
        [PYAUDIT_MATCH_ALL] = "all",
    };
    PyObject *parsed = PyTuple_New((Py_ssize_t)patterns->count);
    for (size_t i = 0; i < patterns->count && parsed != NULL; i++) {
        const pyaudit_pattern *p = &patterns->items[i];
        PyObject *entry = Py_BuildValue("(Nss#)", PyBool_FromLong(p->excluded),
                                        kinds[p->kind], p->text,
                                        (Py_ssize_t)p->len);
        if (entry == NULL) {
            Py_CLEAR(parsed);
            break;
        }
        PyTuple_SET_ITEM(parsed, (Py_ssize_t)i, entry);
    }
    return parsed;
}

/* Compile where= (rule text, or None) into sub->rules, against its
 * patterns.  0, or -1 with an exception set. */
static int
attach_rules(module_state *state, pyaudit_sub *sub, PyObject *where)
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
        raise_core_error(state);
        return -1;
    }
    return 0;
}

/* ---- Filter ----------------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    pyaudit_table *table;       /* a reference; lists only sub */
    pyaudit_sub *sub;           /* a reference: the table's one sub */
    PyObject *items;            /* owned: the items, a tuple of str */
} FilterObject;

static PyObject *
filter_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    PyObject *patterns, *where = Py_None;
    static char *kwlist[] = {"patterns", "where", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "O|O:Filter", kwlist,
                                     &patterns, &where)) {
        return NULL;
    }
    pyaudit_sub *sub = pyaudit_sub_new(PYAUDIT_KIND_FILTER, NULL);
    if (sub == NULL) {
        return PyErr_NoMemory();
    }
    FilterObject *self = NULL;
    if (parse_patterns(&sub->patterns, patterns) == 0
        && attach_rules(NULL, sub, where) == 0) {
        self = (FilterObject *)type->tp_alloc(type, 0);
    }
    if (self != NULL) {
        self->sub = sub;
        self->items = items_of(&sub->patterns);
        self->table = pyaudit_table_compile(&self->sub, 1);
        if (self->table == NULL || self->items == NULL) {
            if (self->table == NULL && !PyErr_Occurred()) {
                PyErr_NoMemory();
            }
            Py_CLEAR(self);
        }
        return (PyObject *)self;
    }
    pyaudit_sub_decref(sub);
    return NULL;
}

static void
filter_dealloc(FilterObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    if (self->table != NULL) {
        pyaudit_table_decref(self->table);
    }
    if (self->sub != NULL) {
        pyaudit_sub_decref(self->sub);
    }
    Py_XDECREF(self->items);
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
        PyErr_Clear();
        PyErr_Format(PyExc_ValueError, "event name %R cannot be encoded as "
                     "UTF-8; no event can have that name", name);
        return NULL;
    }
    if (memchr(utf8, '\0', (size_t)size) != NULL) {
        PyErr_Format(PyExc_ValueError, "event name %R contains a NUL "
                     "character; no event can have that name", name);
        return NULL;
    }
    uint32_t hash;
    size_t len;
    if (pyaudit_table_rejects(self->table, utf8)
        || pyaudit_table_lookup(self->table, utf8, &hash, &len) == NULL) {
        Py_RETURN_FALSE;
    }
    /* where= rules, decided on args (() if none given). */
    if (self->sub->rules == NULL) {
        Py_RETURN_TRUE;
    }
    PyObject *empty = args == NULL ? PyTuple_New(0) : NULL;
    if (args == NULL && empty == NULL) {
        return NULL;
    }
    int matched = pyaudit_rules_match(self->sub->rules, utf8, len,
                                      args != NULL ? args : empty);
    Py_XDECREF(empty);
    return PyBool_FromLong(matched);
}

/* A sub's rule text, or None. */
static PyObject *
where_of(const pyaudit_sub *sub)
{
    if (sub->rules == NULL) {
        Py_RETURN_NONE;
    }
    return PyUnicode_FromString(pyaudit_rules_text(sub->rules));
}

static PyObject *
filter_get_where(FilterObject *self, void *closure)
{
    (void)closure;
    return where_of(self->sub);
}

static PyObject *
filter_get_items(FilterObject *self, void *closure)
{
    (void)closure;
    return Py_NewRef(self->items);
}

static PyMethodDef filter_methods[] = {
    {"matches", (PyCFunction)filter_matches, METH_VARARGS,
     "matches(name, args=()) -> bool: whether an event of that name (and "
     "those args, for where= rules) matches."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef filter_getset[] = {
    {"items", (getter)filter_get_items, NULL, "The items, as written.",
     NULL},
    {"where", (getter)filter_get_where, NULL, "The rule text, or None.",
     NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyType_Slot filter_slots[] = {
    {Py_tp_new, filter_new},
    {Py_tp_dealloc, filter_dealloc},
    {Py_tp_methods, filter_methods},
    {Py_tp_getset, filter_getset},
    {Py_tp_doc, "Filter(patterns, where=None): a compiled pattern list, "
                "with rule text or None."},
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
    pyaudit_sub *sub;           /* a reference */
    PyObject *items;            /* owned: the items, a tuple of str */
    PyObject *undelivered;      /* owned: a list of events a drain built
                                   but could not hand over (a signal
                                   handler raised), for the next drain;
                                   or NULL */
} HandleObject;

/* The records of a closed recorder are the handle's to release: nothing
 * else can drain them. */
static void
release_closed_records(HandleObject *self)
{
    if (self->sub != NULL && self->sub->ring != NULL
        && !pyaudit_sub_active(self->sub)) {
        pyaudit_ring_clear(self->sub->ring);
    }
}

static int
handle_traverse(HandleObject *self, visitproc visit, void *arg)
{
    Py_VISIT(Py_TYPE(self));
    Py_VISIT(self->items);
    Py_VISIT(self->undelivered);
    /* Recorded events can refer back to their recorder: let the collector
     * see them.  A watch callback is the core's while the subscription is
     * live (it stays live without its handle), so it is not visited. */
    if (self->sub != NULL && self->sub->ring != NULL) {
        return pyaudit_ring_traverse(self->sub->ring, visit, arg);
    }
    return 0;
}

static int
handle_clear(HandleObject *self)
{
    /* An unreachable handle can never drain: its records may go. */
    Py_CLEAR(self->undelivered);
    if (self->sub != NULL && self->sub->ring != NULL) {
        pyaudit_ring_clear(self->sub->ring);
    }
    return 0;
}

static void
handle_dealloc(HandleObject *self)
{
    /* Dropping the handle does not close the subscription: the core keeps
     * it live until it is closed. */
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_CLEAR(self->undelivered);
    release_closed_records(self);
    if (self->sub != NULL) {
        pyaudit_sub_decref(self->sub);
    }
    Py_XDECREF(self->items);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

/* What closing a sealed subscription raises (pyaudit/_python.py raises
 * the same). */
#define SEALED_MESSAGE \
    "this subscription is sealed (a rule of a sealed policy): it stays " \
    "in force for the life of the process and cannot be closed"

static PyObject *
handle_close(HandleObject *self, PyObject *unused)
{
    (void)unused;
    if (PYAUDIT_LOAD_RELAXED(self->sub->sealed)) {
        PyErr_SetString(PyExc_RuntimeError, SEALED_MESSAGE);
        return NULL;
    }
    pyaudit_core_remove(self->sub);
    /* Releasing the callback can run any Python code, which is safe now
     * that the core no longer delivers to it. */
    pyaudit_sub_release_callable(self->sub);
    if (self->sub->home != NULL) {
        pyaudit_home_close_if_unused(self->sub->home);
    }
    Py_RETURN_NONE;
}

/* Seal a live subscription: from now on close() refuses, and nothing in
 * Python can lift it (dropping the handle or re-importing pyaudit never
 * closed a subscription).  One way only; sealing twice is fine. */
static PyObject *
handle_seal(HandleObject *self, PyObject *unused)
{
    (void)unused;
    if (!pyaudit_sub_active(self->sub)) {
        PyErr_SetString(PyExc_RuntimeError,
                        "a closed subscription cannot be sealed");
        return NULL;
    }
    PYAUDIT_STORE_RELAXED(self->sub->sealed, 1);
    Py_RETURN_NONE;
}

static pyaudit_ring *
ring_of(HandleObject *self, const char *what)
{
    if (self->sub->ring == NULL) {
        PyErr_Format(PyExc_TypeError, "only record subscriptions %s", what);
    }
    return self->sub->ring;
}

static PyObject *
handle_drain(HandleObject *self, PyObject *unused)
{
    (void)unused;
    pyaudit_ring *ring = ring_of(self, "drain");
    if (ring == NULL) {
        return NULL;
    }
    pyaudit_home *home = self->sub->home;
    if (home == NULL || home->event_type == NULL) {
        PyErr_SetString(PyExc_RuntimeError,
                        "pyaudit's Event type is not set: import pyaudit, "
                        "not only pyaudit._pyaudit");
        return NULL;
    }
    /* A signal handler that raises now takes nothing from the ring. */
    if (PyErr_CheckSignals() < 0) {
        return NULL;
    }
    PyObject *events = pyaudit_ring_drain(ring, home->event_type);
    if (events == NULL) {
        return NULL;
    }
    if (self->undelivered != NULL) {
        PyObject *joined = PySequence_Concat(self->undelivered, events);
        if (joined == NULL) {
            /* No memory to join them: the older ones now, these next
             * time, in order. */
            PyErr_Clear();
            PyObject *older = self->undelivered;
            self->undelivered = events;
            return older;
        }
        Py_CLEAR(self->undelivered);
        Py_SETREF(events, joined);
    }
    /* A signal that arrived while draining: its handler runs here, where
     * the events can still be kept for the next drain (raised in the
     * caller's code, as soon as this returns, it would lose them). */
    if (PyErr_CheckSignals() < 0) {
        self->undelivered = events;
        return NULL;
    }
    return events;
}

static PyObject *
handle_clear_records(HandleObject *self, PyObject *unused)
{
    (void)unused;
    pyaudit_ring *ring = ring_of(self, "clear");
    if (ring == NULL) {
        return NULL;
    }
    size_t cleared = 0;
    if (self->undelivered != NULL) {
        cleared = (size_t)PyList_GET_SIZE(self->undelivered);
        Py_CLEAR(self->undelivered);
    }
    return PyLong_FromSize_t(cleared + pyaudit_ring_clear(ring));
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
    return PyBool_FromLong(pyaudit_sub_active(self->sub));
}

static PyObject *
handle_get_sealed(HandleObject *self, void *closure)
{
    (void)closure;
    return PyBool_FromLong(PYAUDIT_LOAD_RELAXED(self->sub->sealed));
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
    return PyLong_FromUnsignedLongLong(ring ? pyaudit_ring_dropped(ring) : 0);
}

static PyObject *
handle_get_capacity(HandleObject *self, void *closure)
{
    (void)closure;
    pyaudit_ring *ring = self->sub->ring;
    return PyLong_FromSize_t(ring ? ring->capacity : 0);
}

static PyObject *
handle_get_items(HandleObject *self, void *closure)
{
    (void)closure;
    return Py_NewRef(self->items);
}

static PyObject *
handle_get_where(HandleObject *self, void *closure)
{
    (void)closure;
    return where_of(self->sub);
}

static PyObject *
handle_get_parsed(HandleObject *self, void *closure)
{
    (void)closure;
    return parsed_of(&self->sub->patterns);
}

static PyMethodDef handle_methods[] = {
    {"close", (PyCFunction)handle_close, METH_NOARGS,
     "Stop delivery; idempotent.  RuntimeError if sealed."},
    {"seal", (PyCFunction)handle_seal, METH_NOARGS,
     "Refuse every later close(), for the life of the process."},
    {"drain", (PyCFunction)handle_drain, METH_NOARGS,
     "Recorded events as pyaudit.Event objects, oldest first."},
    {"clear", (PyCFunction)handle_clear_records, METH_NOARGS,
     "Discard the recorded events; returns how many."},
    {"counts", (PyCFunction)handle_counts, METH_NOARGS,
     "A dict of event name to count."},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef handle_getset[] = {
    {"active", (getter)handle_get_active, NULL, NULL, NULL},
    {"sealed", (getter)handle_get_sealed, NULL, NULL, NULL},
    {"id", (getter)handle_get_id, NULL, NULL, NULL},
    {"dropped", (getter)handle_get_dropped, NULL, NULL, NULL},
    {"capacity", (getter)handle_get_capacity, NULL, NULL, NULL},
    {"items", (getter)handle_get_items, NULL, NULL, NULL},
    {"parsed", (getter)handle_get_parsed, NULL,
     "The items as (excluded, kind, text) tuples.", NULL},
    {"where", (getter)handle_get_where, NULL,
     "The rule text of its where= conditions, or None.", NULL},
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
    {Py_tp_traverse, handle_traverse},
    {Py_tp_clear, handle_clear},
    {Py_tp_methods, handle_methods},
    {Py_tp_getset, handle_getset},
    {Py_tp_doc, "One subscription in the native core."},
    {0, NULL},
};

static PyType_Spec handle_spec = {
    .name = "pyaudit._pyaudit.Handle",
    .basicsize = sizeof(HandleObject),
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .slots = handle_slots,
};

/* ---- subscribing -------------------------------------------------------- */

static int
kind_from_name(PyObject *name, pyaudit_kind *kind)
{
    const char *text = PyUnicode_Check(name) ? PyUnicode_AsUTF8(name) : NULL;
    for (int k = 0; text != NULL && k < PYAUDIT_KIND_LIMIT; k++) {
        if (pyaudit_kinds[k].from_python
            && strcmp(text, pyaudit_kinds[k].name) == 0) {
            *kind = (pyaudit_kind)k;
            return 0;
        }
    }
    PyErr_Clear();
    PyErr_Format(PyExc_ValueError, "no subscription kind %R", name);
    return -1;
}

/* interpreters="own" or "all": the audience. */
static int
audience_from(PyObject *value, pyaudit_kind kind, pyaudit_audience *out)
{
    const char *text = PyUnicode_Check(value) ? PyUnicode_AsUTF8(value)
                                              : NULL;
    if (text != NULL && strcmp(text, "own") == 0) {
        *out = PYAUDIT_AUDIENCE_OWN;
        return 0;
    }
    if (text != NULL && strcmp(text, "all") == 0) {
        if (!pyaudit_kinds[kind].may_be_all) {
            PyErr_Format(PyExc_ValueError,
                         "interpreters='all' is for count, record and deny, "
                         "not %s: a callback belongs to the interpreter "
                         "that made it", pyaudit_kinds[kind].name);
            return -1;
        }
        *out = PYAUDIT_AUDIENCE_ALL;
        return 0;
    }
    PyErr_Clear();
    PyErr_Format(PyExc_ValueError,
                 "interpreters must be 'own' or 'all', not %R", value);
    return -1;
}

/* An int argument that is not a bool, within [low, high]. */
static int
bounded_int(PyObject *value, const char *what, Py_ssize_t low,
            Py_ssize_t high, Py_ssize_t *out)
{
    if (PyBool_Check(value) || !PyLong_Check(value)) {
        PyErr_Format(PyExc_TypeError, "%s must be an int, not %s", what,
                     Py_TYPE(value)->tp_name);
        return -1;
    }
    int overflow;
    long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
    if (overflow || number < low || number > high) {
        PyErr_Format(PyExc_ValueError, "%s must be between %zd and %zd, "
                     "not %S", what, low, high, value);
        return -1;
    }
    *out = (Py_ssize_t)number;
    return 0;
}

/* Give a new sub what its kind needs from arg.  0, or -1 with an error. */
static int
attach(pyaudit_sub *sub, PyObject *arg, Py_ssize_t stack)
{
    if (stack != 0 && sub->kind != PYAUDIT_KIND_RECORD) {
        PyErr_SetString(PyExc_ValueError,
                        "stack= is for record subscriptions");
        return -1;
    }
    switch (sub->kind) {
    case PYAUDIT_KIND_WATCH:
        if (!PyCallable_Check(arg)) {
            PyErr_Format(PyExc_TypeError, "callback must be callable, not "
                         "%s", Py_TYPE(arg)->tp_name);
            return -1;
        }
        sub->callable = Py_NewRef(arg);
        return 0;
    case PYAUDIT_KIND_RECORD: {
        Py_ssize_t capacity;
        if (bounded_int(arg, "capacity", 1, MAX_CAPACITY, &capacity) < 0) {
            return -1;
        }
        sub->ring = pyaudit_ring_new(
            (size_t)capacity, (int)stack,
            sub->audience == PYAUDIT_AUDIENCE_ALL);
        return sub->ring == NULL ? -1 : 0;
    }
    case PYAUDIT_KIND_COUNT:
        sub->counts = pyaudit_counts_new();
        return sub->counts == NULL ? -1 : 0;
    default:
        return 0;
    }
}

static PyObject *
module_subscribe(PyObject *module, PyObject *args, PyObject *kwargs)
{
    static char *kwlist[] = {"kind", "patterns", "arg", "where",
                             "interpreters", "scope", "stack", NULL};
    PyObject *kind_name, *patterns, *arg = Py_None, *where = Py_None;
    PyObject *interpreters = NULL, *scope = Py_None, *stack_obj = NULL;
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|O$OOOO:subscribe",
                                     kwlist, &kind_name, &patterns, &arg,
                                     &where, &interpreters, &scope,
                                     &stack_obj)) {
        return NULL;
    }
    module_state *state = get_state(module);
    pyaudit_kind kind;
    pyaudit_audience audience = PYAUDIT_AUDIENCE_OWN;
    Py_ssize_t stack = 0;
    if (kind_from_name(kind_name, &kind) < 0
        || (interpreters != NULL
            && audience_from(interpreters, kind, &audience) < 0)
        || (stack_obj != NULL
            && bounded_int(stack_obj, "stack", 0, PYAUDIT_MAX_STACK,
                           &stack) < 0)) {
        return NULL;
    }
    if (scope != Py_None && audience != PYAUDIT_AUDIENCE_OWN) {
        PyErr_SetString(PyExc_ValueError,
                        "scoped=True and interpreters='all' do not go "
                        "together: a scope is a context of one "
                        "interpreter");
        return NULL;
    }
    pyaudit_sub *sub = pyaudit_sub_new(kind, state->home);
    if (sub == NULL) {
        return raise_core_error(state);
    }
    sub->audience = audience;
    HandleObject *handle = NULL;
    if (parse_patterns(&sub->patterns, patterns) < 0
        || attach(sub, arg, stack) < 0
        || attach_rules(state, sub, where) < 0) {
        if (!PyErr_Occurred()) {
            raise_core_error(state);
        }
        goto fail;
    }
    if (scope != Py_None) {
        sub->scope = Py_NewRef(scope);
    }
    if (pyaudit_core_install() < 0) {
        if (!PyErr_Occurred()) {
            raise_core_error(state);
        }
        goto fail;
    }
    handle = PyObject_GC_New(HandleObject,
                             (PyTypeObject *)state->handle_type);
    if (handle == NULL) {
        goto fail;
    }
    handle->items = items_of(&sub->patterns);
    handle->undelivered = NULL;
    handle->sub = sub;          /* the handle takes our reference */
    if (handle->items == NULL) {
        Py_DECREF(handle);
        return NULL;
    }
    PyObject_GC_Track(handle);
    if (pyaudit_core_add(sub) < 0) {
        pyaudit_sub_release_python(sub);
        Py_DECREF(handle);
        return raise_core_error(state);
    }
    return (PyObject *)handle;

fail:
    pyaudit_sub_release_python(sub);
    pyaudit_sub_decref(sub);
    return NULL;
}

/* ---- listing ---------------------------------------------------------- */

/* One (id, kind, items, interpreters, where, sealed) tuple for sub
 * (where: the rule text or None). */
static PyObject *
describe_sub(const pyaudit_sub *sub)
{
    static const char *const audiences[] = {
        [PYAUDIT_AUDIENCE_OWN] = "own",
        [PYAUDIT_AUDIENCE_MAIN] = "main",
        [PYAUDIT_AUDIENCE_ALL] = "all",
    };
    PyObject *items = items_of(&sub->patterns);
    if (items == NULL) {
        return NULL;
    }
    return Py_BuildValue("(lsNsNN)", sub->id, pyaudit_kinds[sub->kind].name,
                         items, audiences[sub->audience], where_of(sub),
                         PyBool_FromLong(PYAUDIT_LOAD_RELAXED(sub->sealed)));
}

/* Whether sub is listed by pyaudit.subscriptions() in the interpreter of
 * home: the subscriptions that receive its events (its own, and those of
 * every interpreter or, in the main interpreter, of the main one).  A
 * subscription of another interpreter's own events is that
 * interpreter's business. */
static int
listed_for(const pyaudit_sub *sub, const pyaudit_home *home)
{
    switch (sub->audience) {
    case PYAUDIT_AUDIENCE_OWN:
        return sub->home == home;
    case PYAUDIT_AUDIENCE_MAIN:
        return home->interp == PyInterpreterState_Main();
    default:
        return 1;
    }
}

static PyObject *
module_subscriptions(PyObject *module, PyObject *unused)
{
    (void)unused;
    pyaudit_home *home = get_state(module)->home;
    size_t n;
    pyaudit_sub **subs = pyaudit_core_snapshot(&n);
    if (subs == NULL) {
        return raise_core_error(get_state(module));
    }
    /* Making the Python objects can run the garbage collector, whose
     * finalizers may close subscriptions: the snapshot holds references. */
    PyObject *list = PyList_New(0);
    for (size_t i = 0; i < n && list != NULL; i++) {
        if (!listed_for(subs[i], home)) {
            continue;
        }
        PyObject *entry = describe_sub(subs[i]);
        if (entry == NULL || PyList_Append(list, entry) < 0) {
            Py_CLEAR(list);
        }
        Py_XDECREF(entry);
    }
    for (size_t i = 0; i < n; i++) {
        pyaudit_sub_decref(subs[i]);
    }
    free(subs);
    return list;
}

/* ---- the package's types, and C sinks made from Python ------------------ */

static PyObject *
module_set_types(PyObject *module, PyObject *args)
{
    PyObject *event_type, *denied_type, *scope_var;
    if (!PyArg_ParseTuple(args, "O!O!O:_set_types", &PyType_Type,
                          &event_type, &PyType_Type, &denied_type,
                          &scope_var)) {
        return NULL;
    }
    if (!PyType_IsSubtype((PyTypeObject *)event_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "the Event type must be a tuple "
                        "subclass");
        return NULL;
    }
    pyaudit_home_set_types(get_state(module)->home, event_type, denied_type,
                           scope_var);
    Py_RETURN_NONE;
}

/* A C sink subscribed from Python (pyaudit.capi): the C API's rules, with
 * patterns as the bytes it takes, but tied to this interpreter, which
 * keeps keepalive (the cffi callback behind address, say) alive until the
 * sink is unsubscribed or the interpreter ends.  interpreters: "main" (the
 * C API's default) or "all" (PYAUDIT_ALL_INTERPRETERS); where: rule text
 * (str) or None.  Failures raise
 * with the C API's message, which pyaudit_last_error() also gives. */
static PyObject *
module_subscribe_sink(PyObject *module, PyObject *args)
{
    const char *patterns;
    const char *where = NULL;   /* rule text, or NULL (None) for none */
    PyObject *keepalive;
    const char *interpreters;
    unsigned long long address, userdata;
    if (!PyArg_ParseTuple(args, "yKKOs|z:_subscribe_sink", &patterns,
                          &address, &userdata, &keepalive, &interpreters,
                          &where)) {
        return NULL;
    }
    unsigned int flags;
    if (strcmp(interpreters, "main") == 0) {
        flags = 0;
    }
    else if (strcmp(interpreters, "all") == 0) {
        flags = PYAUDIT_ALL_INTERPRETERS;
    }
    else {
        PyErr_Format(PyExc_ValueError, "interpreters must be 'main' (the C "
                     "API's default) or 'all', not '%s'", interpreters);
        return NULL;
    }
    module_state *state = get_state(module);
    long id = pyaudit_capi_subscribe(
        patterns, where, (pyaudit_sink_fn)(uintptr_t)address,
        (void *)(uintptr_t)userdata, flags, state->home, keepalive);
    return id < 0 ? raise_core_error(state) : PyLong_FromLong(id);
}

/* Unsubscribe a C sink; what keeps one made in this interpreter alive is
 * released (one made elsewhere keeps it until its interpreter ends). */
static PyObject *
module_unsubscribe_sink(PyObject *module, PyObject *arg)
{
    long id = PyLong_AsLong(arg);
    if (id == -1 && PyErr_Occurred()) {
        return NULL;
    }
    module_state *state = get_state(module);
    pyaudit_sub *sub = pyaudit_core_find_sink(id);
    if (sub == NULL) {
        return raise_core_error(state);
    }
    pyaudit_core_remove(sub);
    if (sub->home != NULL && sub->home == state->home) {
        pyaudit_sub_release_callable(sub);
        pyaudit_home_close_if_unused(sub->home);
    }
    pyaudit_sub_decref(sub);
    Py_RETURN_NONE;
}

static PyObject *
module_scopes_changed(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    pyaudit_scopes_changed();
    Py_RETURN_NONE;
}

static PyObject *
module_interpreter_check(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    return PyUnicode_FromString(pyaudit_core_interpreter_check());
}

/* ---- the limit on open files, for pyaudit run ------------------------- */

/* pyaudit run puts its private descriptors just above the soft limit on
 * open files (pyaudit/_trace/output.py).  The resource module would tell
 * it the limits, but importing it is the traced program's first import
 * from the standard library's directories, which costs about 1 ms of
 * start-up: these two functions are all pyaudit needs of it. */
#ifdef HAVE_SYS_RESOURCE_H
static PyObject *
rlimit_value(rlim_t value)
{
    if (value == RLIM_INFINITY) {
        return PyLong_FromLong(-1);
    }
    return PyLong_FromUnsignedLongLong((unsigned long long)value);
}

static PyObject *
module_getrlimit_nofile(PyObject *module, PyObject *unused)
{
    (void)module;
    (void)unused;
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    PyObject *soft = rlimit_value(limit.rlim_cur);
    PyObject *hard = soft == NULL ? NULL : rlimit_value(limit.rlim_max);
    PyObject *result = hard == NULL ? NULL : PyTuple_Pack(2, soft, hard);
    Py_XDECREF(soft);
    Py_XDECREF(hard);
    return result;
}

static int
rlimit_from(PyObject *value, rlim_t *out)
{
    long long number = PyLong_AsLongLong(value);
    if (number == -1 && PyErr_Occurred()) {
        return -1;
    }
    if (number < -1) {
        PyErr_SetString(PyExc_ValueError, "a limit must be -1 "
                        "(unlimited) or more");
        return -1;
    }
    *out = number == -1 ? RLIM_INFINITY : (rlim_t)number;
    return 0;
}

static PyObject *
module_setrlimit_nofile(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *soft, *hard;
    struct rlimit limit;
    if (!PyArg_ParseTuple(args, "OO:_setrlimit_nofile", &soft, &hard)
            || rlimit_from(soft, &limit.rlim_cur) < 0
            || rlimit_from(hard, &limit.rlim_max) < 0) {
        return NULL;
    }
    /* The event resource.setrlimit raises, with the same arguments. */
    PyObject *limits = PyTuple_Pack(2, soft, hard);
    int audited = limits == NULL ? -1 : PySys_Audit(
        "resource.setrlimit", "iO", (int)RLIMIT_NOFILE, limits);
    Py_XDECREF(limits);
    if (audited < 0) {
        return NULL;
    }
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
        if (errno == EINVAL) {
            PyErr_SetString(PyExc_ValueError, "current limit exceeds "
                            "maximum limit");
            return NULL;
        }
        return PyErr_SetFromErrno(PyExc_OSError);
    }
    Py_RETURN_NONE;
}
#endif

static PyMethodDef module_methods[] = {
    {"subscribe", (PyCFunction)(void (*)(void))module_subscribe,
     METH_VARARGS | METH_KEYWORDS,
     "subscribe(kind, patterns, arg=None, *, where=None, "
     "interpreters='own', scope=None, stack=0) -> Handle; where is rule "
     "text or None"},
    {"subscriptions", module_subscriptions, METH_NOARGS,
     "[(id, kind, items, interpreters, where, sealed), ...] for every "
     "live subscription that receives this interpreter's events, oldest "
     "first."},
    {"_set_types", module_set_types, METH_VARARGS,
     "_set_types(Event, Denied, scope_var): what the core builds, raises "
     "and reads in this interpreter."},
    {"_subscribe_sink", module_subscribe_sink, METH_VARARGS,
     "_subscribe_sink(patterns, address, userdata, keepalive, "
     "interpreters, where=None) -> id: the C sink at address (patterns: "
     "bytes; interpreters: 'main' or 'all'; where: rule text) kept alive "
     "with keepalive, closed "
     "when this interpreter ends."},
    {"_unsubscribe_sink", module_unsubscribe_sink, METH_O,
     "_unsubscribe_sink(id): close a sink made by _subscribe_sink."},
    {"_scopes_changed", module_scopes_changed, METH_NOARGS,
     "_scopes_changed(): a scope variable was set; forget what each "
     "thread remembers of its value."},
    {"_interpreter_check", module_interpreter_check, METH_NOARGS,
     "_interpreter_check() -> 'flag', 'in place' or 'calls': how a hit "
     "learns whether the main interpreter is the only one."},
#ifdef HAVE_SYS_RESOURCE_H
    {"_getrlimit_nofile", module_getrlimit_nofile, METH_NOARGS,
     "_getrlimit_nofile() -> (soft, hard): the limits on open files, as "
     "resource.getrlimit(resource.RLIMIT_NOFILE) gives them (-1: "
     "unlimited)."},
    {"_setrlimit_nofile", module_setrlimit_nofile, METH_VARARGS,
     "_setrlimit_nofile(soft, hard): resource.setrlimit("
     "resource.RLIMIT_NOFILE, (soft, hard)), its audit event included."},
#endif
    {NULL, NULL, 0, NULL},
};

/* ---- module life cycle ------------------------------------------------ */

static PyObject *
python_kinds(void)
{
    PyObject *kinds = PyList_New(0);
    for (int k = 0; kinds != NULL && k < PYAUDIT_KIND_LIMIT; k++) {
        if (!pyaudit_kinds[k].from_python) {
            continue;
        }
        PyObject *name = PyUnicode_FromString(pyaudit_kinds[k].name);
        if (name == NULL || PyList_Append(kinds, name) < 0) {
            Py_CLEAR(kinds);
        }
        Py_XDECREF(name);
    }
    PyObject *tuple = kinds != NULL ? PyList_AsTuple(kinds) : NULL;
    Py_XDECREF(kinds);
    return tuple;
}

static int
module_exec(PyObject *module)
{
    module_state *state = get_state(module);
    pyaudit_core_init();
    state->home = pyaudit_home_acquire_for_module();
    if (state->home == NULL) {
        PyErr_NoMemory();
        return -1;
    }
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
    PyObject *kinds = python_kinds();
    if (kinds == NULL || PyModule_AddObject(module, "KINDS", kinds) < 0) {
        Py_XDECREF(kinds);
        return -1;
    }
    if (PyModule_AddIntConstant(module, "MAX_CAPACITY",
                                (long)MAX_CAPACITY) < 0
        || PyModule_AddIntConstant(module, "MAX_STACK",
                                   PYAUDIT_MAX_STACK) < 0
        || PyModule_AddStringConstant(module, "backend", "native") < 0) {
        return -1;
    }
    return 0;
}

static int
module_traverse(PyObject *module, visitproc visit, void *arg)
{
    module_state *state = get_state(module);
    Py_VISIT(state->filter_type);
    Py_VISIT(state->handle_type);
    Py_VISIT(state->install_error);
    return 0;
}

static int
module_clear(PyObject *module)
{
    module_state *state = get_state(module);
    Py_CLEAR(state->filter_type);
    Py_CLEAR(state->handle_type);
    Py_CLEAR(state->install_error);
    return 0;
}

static void
module_free(void *module)
{
    module_state *state = get_state((PyObject *)module);
    module_clear((PyObject *)module);
    /* Subscriptions do not depend on this module object: they stay live
     * (a re-imported pyaudit lists them) until closed or until the
     * interpreter ends. */
    if (state->home != NULL) {
        pyaudit_home_module_gone(state->home);
        state->home = NULL;
    }
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
    .m_size = sizeof(module_state),
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
