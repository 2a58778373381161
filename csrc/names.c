/* names.c: the cache of event-name strings (see names.h). */
#include "names.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_SLOTS 64

static pyaudit_name_slot *
find_slot(pyaudit_name_slot *slots, size_t mask, const char *name,
          size_t len, uint32_t hash)
{
    size_t i = hash & mask;
    while (slots[i].str != NULL
           && !(slots[i].hash == hash && slots[i].len == len
                && pyaudit_bytes_equal(slots[i].utf8, name, len))) {
        i = (i + 1) & mask;
    }
    return &slots[i];
}

static int
grow(pyaudit_names *names)
{
    size_t size = names->slots == NULL ? INITIAL_SLOTS : (names->mask + 1) * 2;
    pyaudit_name_slot *slots = calloc(size, sizeof(pyaudit_name_slot));
    if (slots == NULL) {
        return -1;
    }
    if (names->slots != NULL) {
        for (size_t i = 0; i <= names->mask; i++) {
            pyaudit_name_slot *old = &names->slots[i];
            if (old->str != NULL) {
                *find_slot(slots, size - 1, old->utf8, old->len, old->hash) =
                    *old;
            }
        }
        free(names->slots);
    }
    names->slots = slots;
    names->mask = size - 1;
    return 0;
}

PyObject *
pyaudit_names_get(pyaudit_names *names, const char *name, size_t len,
                  uint32_t hash, int *cached)
{
    *cached = 0;
    if (names->slots != NULL) {
        pyaudit_name_slot *slot = find_slot(names->slots, names->mask, name,
                                            len, hash);
        if (slot->str != NULL) {
            *cached = 1;
            return Py_NewRef(slot->str);
        }
    }
    PyObject *str = PyUnicode_FromStringAndSize(name, (Py_ssize_t)len);
    if (str == NULL || names->used >= PYAUDIT_NAMES_LIMIT) {
        return str;
    }
    if ((names->used + 1) * 2 > (names->slots ? names->mask + 1 : 0)
        && grow(names) < 0) {
        return str;     /* not cached, still correct */
    }
    /* Interned, so the name compares by identity with the same name made
     * elsewhere; the UTF-8 buffer lives as long as the str. */
    PyUnicode_InternInPlace(&str);
    const char *utf8 = PyUnicode_AsUTF8(str);
    if (utf8 == NULL) {
        PyErr_Clear();
        return str;
    }
    pyaudit_name_slot *slot = find_slot(names->slots, names->mask, name, len,
                                        hash);
    slot->str = Py_NewRef(str);
    slot->utf8 = utf8;
    slot->len = len;
    slot->hash = hash;
    names->used++;
    *cached = 1;
    return str;
}

void
pyaudit_names_clear(pyaudit_names *names)
{
    if (names->slots != NULL) {
        for (size_t i = 0; i <= names->mask; i++) {
            Py_XDECREF(names->slots[i].str);
        }
        free(names->slots);
    }
    names->slots = NULL;
    names->mask = 0;
    names->used = 0;
}

