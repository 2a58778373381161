/* event.c: pyaudit.Event as the native core makes it (see event.h). */
#include "event.h"

/* Dead events kept per module at most: as many as CPython keeps tuples
 * of one size (about 280 KiB, with the ints they keep). */
#define FREELIST_MAX 2000

/* The item of time_ns (pyaudit._types.EventBase._fields). */
#define TIME_ITEM 2

static void event_dealloc(PyObject *self);

/* None on 3.8, and none once the collector has cleared the type (the
 * list's owner may be gone then). */
pyaudit_event_freelist *
pyaudit_event_freelist_of(PyTypeObject *type)
{
    PyObject *module = PYAUDIT_TYPE_MODULE(type);   /* borrowed */
    return module != NULL
           ? (pyaudit_event_freelist *)PyModule_GetState(module) : NULL;
}

/* Where a dead event keeps the next one: its first item's slot, read
 * directly as its type may be gone. */
static PyObject **
next_dead(PyObject *dead)
{
    return &((PyTupleObject *)dead)->ob_item[0];
}

/* Where a dead event keeps the int it may hand on (TIME_ITEM). */
static PyObject **
kept_int(PyObject *dead)
{
    return &((PyTupleObject *)dead)->ob_item[TIME_ITEM];
}

/* Free a dead event.  Its type may be gone already (owner_free runs as
 * the type goes), so it is freed as the plain tuple it is laid out as
 * (the collector reads the type to find where the allocation starts). */
static void
free_dead(PyObject *dead)
{
    Py_XDECREF(*kept_int(dead));
    Py_SET_TYPE(dead, &PyTuple_Type);
    PyObject_GC_Del(dead);
}

/* The int at an event's TIME_ITEM when nothing but the event refers to
 * it (the event's own time_ns, usually): taken out of the event, for
 * its dead self to keep.  NULL when there is none such. */
static PyObject *
take_sole_int(PyObject *self)
{
    PyObject *item = PyTuple_GET_ITEM(self, TIME_ITEM);
    if (item == NULL || !PyLong_CheckExact(item) || Py_REFCNT(item) != 1) {
        return NULL;
    }
    PyTuple_SET_ITEM(self, TIME_ITEM, NULL);
    return item;
}

/* Write value into op, an int nothing else refers to, when value has the
 * same shape (digit count and sign): 1 when done, 0 when not.  Only
 * values of two digits or more are written: smaller ones are CPython's
 * compact or cached ints, which it makes its own way. */
static int
rewrite_int(PyObject *op, int64_t value)
{
    if (value < ((int64_t)1 << PyLong_SHIFT)) {
        return 0;
    }
    size_t ndigits = 0;
    for (uint64_t rest = (uint64_t)value; rest != 0; rest >>= PyLong_SHIFT) {
        ndigits++;
    }
    if (PYAUDIT_LONG_SHAPE(op) != PYAUDIT_LONG_POSITIVE_SHAPE(ndigits)) {
        return 0;
    }
    digit *digits = PYAUDIT_LONG_DIGITS(op);
    for (uint64_t rest = (uint64_t)value; rest != 0; rest >>= PyLong_SHIFT) {
        *digits++ = (digit)(rest & PyLong_MASK);
    }
    return 1;
}

/* Like tuple's dealloc (the same trashcan against deep recursion), but
 * an Event of the exact type goes to its module's free list, and no
 * generic work for classes (finalizers, __dict__, __slots__) is done:
 * pyaudit_event_type_new allows a base with none of them. */
static void
event_dealloc(PyObject *self)
{
    PyTypeObject *type = Py_TYPE(self);
    PyObject_GC_UnTrack(self);
    Py_TRASHCAN_BEGIN(self, event_dealloc)
    Py_ssize_t size = Py_SIZE(self);
    /* A subclass's instance (subtype_dealloc calls this for it) or an
     * event of another length is freed at once. */
    int reusable = type->tp_dealloc == event_dealloc
                   && size == PYAUDIT_EVENT_ITEMS;
    PyObject *sole_int = reusable ? take_sole_int(self) : NULL;  /* owned */
    for (Py_ssize_t i = size; --i >= 0;) {
        Py_XDECREF(PyTuple_GET_ITEM(self, i));
    }
    /* Asked only now: releasing the items can run code that frees or
     * makes events. */
    pyaudit_event_freelist *list = reusable
                                   ? pyaudit_event_freelist_of(type) : NULL;
    if (list != NULL && list->size < FREELIST_MAX) {
        *next_dead(self) = list->head;
        *kept_int(self) = sole_int;
        list->head = self;
        list->size++;
    }
    else {
        Py_XDECREF(sole_int);
        type->tp_free(self);
    }
    /* Every instance holds a reference to its heap type (a dead event
     * does not: pyaudit_event_new takes a new one). */
    Py_DECREF(type);
    Py_TRASHCAN_END
}

PyObject *
pyaudit_event_new(PyTypeObject *type, pyaudit_event_freelist *spare,
                  int64_t time_ns)
{
    PyObject *event;
    PyObject *time_int = NULL;      /* owned */
    if (spare != NULL && spare->head != NULL) {
        event = spare->head;
        spare->head = *next_dead(event);
        spare->size--;
        time_int = *kept_int(event);
        /* A new reference to the type, and the object's start again (what
         * allocating would do). */
        (void)PyObject_InitVar((PyVarObject *)event, type,
                               PYAUDIT_EVENT_ITEMS);
    }
    else {
        event = (PyObject *)PyObject_GC_NewVar(PyTupleObject, type,
                                               PYAUDIT_EVENT_ITEMS);
        if (event == NULL) {
            return NULL;
        }
    }
    PYAUDIT_TUPLE_RESET_HASH(event);
    for (Py_ssize_t i = 0; i < PYAUDIT_EVENT_ITEMS; i++) {
        PyTuple_SET_ITEM(event, i, NULL);
    }
    /* The int a dead event kept was its own time_ns, which nothing else
     * refers to: the same shape takes this one's value in place of
     * freeing one int and allocating the next. */
    if (time_int == NULL || !rewrite_int(time_int, time_ns)) {
        Py_XDECREF(time_int);
        time_int = PyLong_FromLongLong(time_ns);
        if (time_int == NULL) {
            Py_DECREF(event);
            return NULL;
        }
    }
    PyTuple_SET_ITEM(event, TIME_ITEM, time_int);
    return event;
}

static void
empty(pyaudit_event_freelist *list)
{
    while (list != NULL && list->head != NULL) {
        PyObject *dead = list->head;
        list->head = *next_dead(dead);
        list->size--;
        free_dead(dead);
    }
}

/* A gc.callbacks entry, self a weak reference to an Event type: after a
 * full collection, its dead events are freed, as CPython empties its own
 * free lists then, so that they keep no memory the program gave back. */
static PyObject *
empty_after_full_collection(PyObject *type_ref, PyObject *args)
{
    PyObject *phase, *info;     /* borrowed */
    if (!PyArg_ParseTuple(args, "UO!", &phase, &PyDict_Type, &info)) {
        return NULL;
    }
    PyObject *generation = PyDict_GetItemString(info, "generation");
    if (PyUnicode_CompareWithASCIIString(phase, "stop") != 0
        || generation == NULL || !PyLong_Check(generation)
        || PyLong_AsLong(generation) != 2) {
        Py_RETURN_NONE;
    }
    PyObject *type = pyaudit_weakref_get(type_ref);    /* new, or NULL */
    if (type != NULL) {
        empty(pyaudit_event_freelist_of((PyTypeObject *)type));
        Py_DECREF(type);
    }
    Py_RETURN_NONE;
}

static PyMethodDef emptier_def = {
    "empty_after_full_collection", empty_after_full_collection,
    METH_VARARGS, "Free the dead events pyaudit.Event keeps for reuse.",
};

/* Put type's emptier in gc.callbacks: 0, or -1 with an exception set. */
static int
empty_at_full_collections(PyObject *type)
{
    PyObject *type_ref = PyWeakref_NewRef(type, NULL);
    PyObject *emptier = type_ref != NULL
                        ? PyCFunction_New(&emptier_def, type_ref) : NULL;
    Py_XDECREF(type_ref);       /* the emptier holds it */
    PyObject *gc = emptier != NULL ? PyImport_ImportModule("gc") : NULL;
    PyObject *callbacks = gc != NULL
                          ? PyObject_GetAttrString(gc, "callbacks") : NULL;
    int result = callbacks != NULL && PyList_Check(callbacks)
                 ? PyList_Append(callbacks, emptier) : -1;
    if (result < 0 && !PyErr_Occurred()) {
        PyErr_SetString(PyExc_TypeError, "gc.callbacks is not a list");
    }
    Py_XDECREF(callbacks);
    Py_XDECREF(gc);
    Py_XDECREF(emptier);
    return result;
}

/* The free list's owner goes with its type (or after the collector
 * cleared it): no event comes back to the list any more. */
static void
owner_free(void *owner)
{
    empty(PyModule_GetState((PyObject *)owner));
}

static PyModuleDef owner_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pyaudit._event_freelist",
    .m_size = sizeof(pyaudit_event_freelist),
    .m_free = owner_free,
};

/* Tuple's traverse, and the reference every instance holds to its heap
 * type (for a Python subclass's instance, unless its own traverse visits
 * it already: compat.h). */
static int
event_traverse(PyObject *self, visitproc visit, void *arg)
{
    if (PYAUDIT_BASE_TRAVERSE_VISITS_TYPE(Py_TYPE(self), event_traverse)) {
        Py_VISIT(Py_TYPE(self));
    }
    return PyTuple_Type.tp_traverse(self, visit, arg);
}

static PyType_Slot event_slots[] = {
    {Py_tp_dealloc, event_dealloc},
    {Py_tp_traverse, event_traverse},
    {0, NULL},
};

/* The name gives it the __module__ and the name pickles know Event by. */
static PyType_Spec event_spec = {
    .name = "pyaudit._types.Event",
    .basicsize = 0,             /* the base's: a tuple's */
    .itemsize = 0,
    .flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .slots = event_slots,
};

/* Whether instances of base need nothing freed but their tuple items. */
static int
laid_out_as_tuple(PyTypeObject *base)
{
    return PyType_IsSubtype(base, &PyTuple_Type)
           && base->tp_basicsize == PyTuple_Type.tp_basicsize
           && base->tp_itemsize == PyTuple_Type.tp_itemsize
           && base->tp_dictoffset == 0 && base->tp_weaklistoffset == 0
           && base->tp_finalize == NULL && base->tp_del == NULL;
}

PyObject *
pyaudit_event_type_new(PyObject *base)
{
    if (!PyType_Check(base) || !laid_out_as_tuple((PyTypeObject *)base)) {
        PyErr_SetString(PyExc_TypeError, "Event's base must be a tuple "
                        "subclass with __slots__ = () and no __del__");
        return NULL;
    }
    PyObject *bases = PyTuple_Pack(1, base);
    /* A module object only as the holder of the free list: made with no
     * import, found in no sys.modules. */
    PyObject *owner = bases != NULL ? PyModule_Create(&owner_def) : NULL;
    PyObject *type = owner != NULL
                     ? PYAUDIT_TYPE_FROM_SPEC(owner, &event_spec, bases)
                     : NULL;
    Py_XDECREF(owner);          /* the type holds it (from 3.9) */
    Py_XDECREF(bases);
    if (type != NULL && empty_at_full_collections(type) < 0) {
        Py_CLEAR(type);
    }
    return type;
}

int
pyaudit_event_type_check(PyObject *type)
{
    return PyType_Check(type)
           && ((PyTypeObject *)type)->tp_dealloc == event_dealloc;
}
