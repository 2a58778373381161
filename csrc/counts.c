/* counts.c: per-event-name counters (see counts.h). */
#include "counts.h"
#include "error.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint64_t count;             /* added to atomically */
    size_t len;
    char name[1];               /* len bytes and a NUL: the map's key */
} count_cell;

pyaudit_counts *
pyaudit_counts_new(void)
{
    pyaudit_counts *counts = calloc(1, sizeof(pyaudit_counts));
    if (counts == NULL) {
        pyaudit_error_nomemory();
        return NULL;
    }
    if (pyaudit_map_init(&counts->map, 8) < 0) {
        free(counts);
        return NULL;
    }
    return counts;
}

uint64_t *
pyaudit_counts_cell(pyaudit_counts *counts, const char *name, size_t len,
                    uint32_t hash)
{
    uint64_t *cell = NULL;
    pyaudit_spin_lock(&counts->lock);
    const pyaudit_map_slot *found = pyaudit_map_find(&counts->map, name, len,
                                                     hash);
    if (found != NULL) {
        cell = &((count_cell *)found->value)->count;
        pyaudit_spin_unlock(&counts->lock);
        return cell;
    }
    count_cell *made = malloc(offsetof(count_cell, name) + len + 1);
    if (made == NULL) {
        pyaudit_spin_unlock(&counts->lock);
        pyaudit_error_nomemory();
        return NULL;
    }
    made->count = 0;
    made->len = len;
    memcpy(made->name, name, len);
    made->name[len] = '\0';
    int added;
    pyaudit_map_slot *slot = pyaudit_map_put(&counts->map, made->name, len,
                                             hash, &added);
    if (slot == NULL) {
        free(made);
    }
    else {
        slot->value = made;
        cell = &made->count;
    }
    pyaudit_spin_unlock(&counts->lock);
    return cell;
}

PyObject *
pyaudit_counts_dict(pyaudit_counts *counts)
{
    /* Copy the cells' addresses under the lock; make Python objects (which
     * can run any code) after it. */
    pyaudit_spin_lock(&counts->lock);
    size_t n = counts->map.used;
    count_cell **cells = malloc((n ? n : 1) * sizeof(count_cell *));
    size_t at = 0;
    if (cells != NULL) {
        for (uint32_t i = 0; i <= counts->map.mask; i++) {
            if (counts->map.slots[i].key != NULL) {
                cells[at++] = counts->map.slots[i].value;
            }
        }
    }
    pyaudit_spin_unlock(&counts->lock);
    if (cells == NULL) {
        return PyErr_NoMemory();
    }
    PyObject *dict = PyDict_New();
    for (size_t i = 0; i < at && dict != NULL; i++) {
        uint64_t count = PYAUDIT_LOAD_RELAXED(cells[i]->count);
        if (count == 0) {
            continue;
        }
        PyObject *key = PyUnicode_DecodeUTF8(cells[i]->name,
                                             (Py_ssize_t)cells[i]->len,
                                             "surrogateescape");
        PyObject *value = PyLong_FromUnsignedLongLong(count);
        if (key == NULL || value == NULL
            || PyDict_SetItem(dict, key, value) < 0) {
            Py_CLEAR(dict);
        }
        Py_XDECREF(key);
        Py_XDECREF(value);
    }
    free(cells);
    return dict;
}

void
pyaudit_counts_free(pyaudit_counts *counts)
{
    if (counts == NULL) {
        return;
    }
    for (uint32_t i = 0; i <= counts->map.mask; i++) {
        if (counts->map.slots[i].key != NULL) {
            free(counts->map.slots[i].value);
        }
    }
    pyaudit_map_free(&counts->map);
    free(counts);
}
