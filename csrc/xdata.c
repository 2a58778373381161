/* xdata.c: events made plain between interpreters (see xdata.h).
 *
 * The bytes are a sequence of tagged values: a tag byte, then for
 * variable-sized values a size_t length and the bytes, for numbers their
 * native representation (both ends are the same process).
 */
#include "xdata.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 8

enum {
    TAG_NONE = 'N', TAG_TRUE = 'T', TAG_FALSE = 'F', TAG_INT = 'I',
    TAG_BIGINT = 'L', TAG_FLOAT = 'D', TAG_STR = 'S', TAG_BYTES = 'B',
    TAG_TUPLE = 'U', TAG_NO_STACK = '0'
};

struct pyaudit_xdata {
    size_t size;
    char bytes[1];
};

typedef struct {
    char *data;                 /* owned */
    size_t size;
    size_t room;
} buffer;

static int
put(buffer *b, const void *data, size_t n)
{
    if (b->size + n > b->room) {
        size_t room = b->room ? b->room * 2 : 256;
        while (room < b->size + n) {
            room *= 2;
        }
        char *grown = realloc(b->data, room);
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        b->data = grown;
        b->room = room;
    }
    memcpy(b->data + b->size, data, n);
    b->size += n;
    return 0;
}

static int
put_tag(buffer *b, char tag)
{
    return put(b, &tag, 1);
}

static int
put_sized(buffer *b, char tag, const char *data, size_t n)
{
    return put_tag(b, tag) < 0 || put(b, &n, sizeof(n)) < 0
           || put(b, data, n) < 0 ? -1 : 0;
}

/* A str's UTF-8, lone surrogates kept (surrogatepass), as tag. */
static int
put_str(buffer *b, char tag, PyObject *str)
{
    PyObject *utf8 = PyUnicode_AsEncodedString(str, "utf-8",
                                               "surrogatepass");
    if (utf8 == NULL) {
        return -1;
    }
    int result = put_sized(b, tag, PyBytes_AS_STRING(utf8),
                           (size_t)PyBytes_GET_SIZE(utf8));
    Py_DECREF(utf8);
    return result;
}

static int put_value(buffer *b, PyObject *value, int depth);

static int
put_repr(buffer *b, PyObject *value)
{
    PyObject *text = PyObject_Repr(value);
    if (text == NULL) {
        /* Say what it was, as pyaudit run does for a failing repr. */
        PyErr_Clear();
        text = PyUnicode_FromFormat("<%s object (repr failed)>",
                                    Py_TYPE(value)->tp_name);
        if (text == NULL) {
            return -1;
        }
    }
    int result = put_str(b, TAG_STR, text);
    Py_DECREF(text);
    return result;
}

static int
put_sequence(buffer *b, PyObject *value, int depth)
{
    PyObject *items = PySequence_Fast(value, "not a sequence");
    if (items == NULL) {
        return -1;
    }
    size_t n = (size_t)PySequence_Fast_GET_SIZE(items);
    int result = put_tag(b, TAG_TUPLE) < 0 || put(b, &n, sizeof(n)) < 0
                 ? -1 : 0;
    for (size_t i = 0; i < n && result == 0; i++) {
        result = put_value(b, PySequence_Fast_GET_ITEM(items, i), depth + 1);
    }
    Py_DECREF(items);
    return result;
}

static int
put_value(buffer *b, PyObject *value, int depth)
{
    if (value == Py_None) {
        return put_tag(b, TAG_NONE);
    }
    if (PyBool_Check(value)) {
        return put_tag(b, value == Py_True ? TAG_TRUE : TAG_FALSE);
    }
    if (PyLong_Check(value)) {
        int overflow;
        long long number = PyLong_AsLongLongAndOverflow(value, &overflow);
        if (!overflow && !(number == -1 && PyErr_Occurred())) {
            return put_tag(b, TAG_INT) < 0
                   || put(b, &number, sizeof(number)) < 0 ? -1 : 0;
        }
        PyErr_Clear();
        PyObject *text = PyLong_Type.tp_repr(value);
        if (text == NULL) {
            return -1;
        }
        int result = put_str(b, TAG_BIGINT, text);
        Py_DECREF(text);
        return result;
    }
    if (PyFloat_Check(value)) {
        double number = PyFloat_AS_DOUBLE(value);
        return put_tag(b, TAG_FLOAT) < 0
               || put(b, &number, sizeof(number)) < 0 ? -1 : 0;
    }
    if (PyUnicode_Check(value)) {
        return put_str(b, TAG_STR, value);
    }
    if (PyBytes_Check(value)) {
        return put_sized(b, TAG_BYTES, PyBytes_AS_STRING(value),
                         (size_t)PyBytes_GET_SIZE(value));
    }
    if ((PyTuple_Check(value) || PyList_Check(value)) && depth < MAX_DEPTH) {
        return put_sequence(b, value, depth);
    }
    return put_repr(b, value);
}

static int
put_stack(buffer *b, const pyaudit_frame *frames, int nframes)
{
    if (frames == NULL) {
        return put_tag(b, TAG_NO_STACK);
    }
    PyObject *stack = pyaudit_frames_resolve(frames, nframes);
    if (stack == NULL) {
        return -1;
    }
    int result = put_value(b, stack, 0);
    Py_DECREF(stack);
    return result;
}

pyaudit_xdata *
pyaudit_xdata_make(const char *name, size_t len, PyObject *args,
                   const pyaudit_frame *frames, int nframes)
{
    buffer b = {NULL, 0, 0};
    size_t header = offsetof(pyaudit_xdata, bytes);
    char zeros[sizeof(pyaudit_xdata)] = {0};
    if (put(&b, zeros, header) < 0
        || put_sized(&b, TAG_STR, name, len) < 0
        || put_value(&b, args, 0) < 0
        || put_stack(&b, frames, nframes) < 0) {
        free(b.data);
        return NULL;
    }
    pyaudit_xdata *data = (pyaudit_xdata *)b.data;
    data->size = b.size - header;
    return data;
}

/* ---- rebuilding --------------------------------------------------------- */

typedef struct {
    const char *at;
    const char *end;
} reader;

static int
take(reader *r, void *out, size_t n)
{
    if ((size_t)(r->end - r->at) < n) {
        PyErr_SetString(PyExc_SystemError, "pyaudit: truncated event data");
        return -1;
    }
    memcpy(out, r->at, n);
    r->at += n;
    return 0;
}

static PyObject *
take_value(reader *r)
{
    char tag;
    size_t n;
    if (take(r, &tag, 1) < 0) {
        return NULL;
    }
    switch (tag) {
    case TAG_NONE:
        Py_RETURN_NONE;
    case TAG_TRUE:
        Py_RETURN_TRUE;
    case TAG_FALSE:
        Py_RETURN_FALSE;
    case TAG_INT: {
        long long number;
        return take(r, &number, sizeof(number)) < 0
               ? NULL : PyLong_FromLongLong(number);
    }
    case TAG_FLOAT: {
        double number;
        return take(r, &number, sizeof(number)) < 0
               ? NULL : PyFloat_FromDouble(number);
    }
    case TAG_STR:
    case TAG_BYTES:
    case TAG_BIGINT: {
        if (take(r, &n, sizeof(n)) < 0 || (size_t)(r->end - r->at) < n) {
            PyErr_SetString(PyExc_SystemError,
                            "pyaudit: truncated event data");
            return NULL;
        }
        const char *data = r->at;
        r->at += n;
        if (tag == TAG_BYTES) {
            return PyBytes_FromStringAndSize(data, (Py_ssize_t)n);
        }
        PyObject *text = PyUnicode_DecodeUTF8(data, (Py_ssize_t)n,
                                              "surrogatepass");
        if (tag == TAG_STR || text == NULL) {
            return text;
        }
        PyObject *number = PyLong_FromUnicodeObject(text, 10);
        Py_DECREF(text);
        return number;
    }
    case TAG_TUPLE: {
        if (take(r, &n, sizeof(n)) < 0) {
            return NULL;
        }
        if (n > (size_t)(r->end - r->at)) {     /* >= 1 byte per item */
            PyErr_SetString(PyExc_SystemError,
                            "pyaudit: truncated event data");
            return NULL;
        }
        PyObject *tuple = PyTuple_New((Py_ssize_t)n);
        for (size_t i = 0; i < n && tuple != NULL; i++) {
            PyObject *item = take_value(r);
            if (item == NULL) {
                Py_CLEAR(tuple);
                break;
            }
            PyTuple_SET_ITEM(tuple, (Py_ssize_t)i, item);
        }
        return tuple;
    }
    case TAG_NO_STACK:
        Py_RETURN_NONE;
    default:
        PyErr_Format(PyExc_SystemError, "pyaudit: bad event data tag %d",
                     tag);
        return NULL;
    }
}

int
pyaudit_xdata_unpack(const pyaudit_xdata *data, PyObject **name,
                     PyObject **args, PyObject **stack)
{
    reader r = {data->bytes, data->bytes + data->size};
    *name = take_value(&r);
    *args = *name != NULL ? take_value(&r) : NULL;
    *stack = *args != NULL ? take_value(&r) : NULL;
    if (*stack == NULL) {
        Py_CLEAR(*name);
        Py_CLEAR(*args);
        return -1;
    }
    if (!PyTuple_Check(*args)) {     /* a tuple flattens as a tuple */
        PyObject *tuple = PySequence_Tuple(*args);
        Py_SETREF(*args, tuple);
        if (tuple == NULL) {
            Py_CLEAR(*name);
            Py_CLEAR(*stack);
            return -1;
        }
    }
    return 0;
}

void
pyaudit_xdata_free(pyaudit_xdata *data)
{
    free(data);
}
