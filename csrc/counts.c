/* counts.c: per-event-name counters (see counts.h). */
#include "counts.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

#define INITIAL_SLOTS 16

pyaudit_counts *
pyaudit_counts_new(void)
{
    pyaudit_counts *counts = malloc(sizeof(pyaudit_counts));
    if (counts == NULL) {
        return NULL;
    }
    counts->slots = calloc(INITIAL_SLOTS, sizeof(pyaudit_count_slot));
    if (counts->slots == NULL) {
        free(counts);
        return NULL;
    }
    counts->mask = INITIAL_SLOTS - 1;
    counts->used = 0;
    return counts;
}

static pyaudit_count_slot *
find_slot(pyaudit_count_slot *slots, size_t mask, const char *name,
          size_t len, uint32_t hash)
{
    size_t i = hash & mask;
    while (slots[i].name != NULL
           && !(slots[i].hash == hash && slots[i].len == len
                && pyaudit_bytes_equal(slots[i].name, name, len))) {
        i = (i + 1) & mask;
    }
    return &slots[i];
}

static int
grow(pyaudit_counts *counts)
{
    size_t size = (counts->mask + 1) * 2;
    pyaudit_count_slot *slots = calloc(size, sizeof(pyaudit_count_slot));
    if (slots == NULL) {
        return -1;
    }
    for (size_t i = 0; i <= counts->mask; i++) {
        pyaudit_count_slot *old = &counts->slots[i];
        if (old->name != NULL) {
            *find_slot(slots, size - 1, old->name, old->len, old->hash) =
                *old;
        }
    }
    free(counts->slots);
    counts->slots = slots;
    counts->mask = size - 1;
    return 0;
}

uint64_t *
pyaudit_counts_cell(pyaudit_counts *counts, const char *name, size_t len,
                    uint32_t hash)
{
    pyaudit_count_slot *slot = find_slot(counts->slots, counts->mask, name,
                                         len, hash);
    if (PYAUDIT_LIKELY(slot->name != NULL)) {
        return slot->cell;
    }
    if ((counts->used + 1) * 2 > counts->mask + 1) {
        if (grow(counts) < 0) {
            return NULL;
        }
        slot = find_slot(counts->slots, counts->mask, name, len, hash);
    }
    char *copy = malloc(len + 1);
    uint64_t *cell = calloc(1, sizeof(uint64_t));
    if (copy == NULL || cell == NULL) {
        free(copy);
        free(cell);
        return NULL;
    }
    memcpy(copy, name, len);
    copy[len] = '\0';
    slot->name = copy;
    slot->len = len;
    slot->hash = hash;
    slot->cell = cell;
    counts->used++;
    return cell;
}

int
pyaudit_counts_add(pyaudit_counts *counts, const char *name, size_t len,
                   uint32_t hash)
{
    uint64_t *cell = pyaudit_counts_cell(counts, name, len, hash);
    if (cell == NULL) {
        return -1;
    }
    (*cell)++;
    return 0;
}

PyObject *
pyaudit_counts_dict(const pyaudit_counts *counts)
{
    PyObject *dict = PyDict_New();
    if (dict == NULL) {
        return NULL;
    }
    for (size_t i = 0; i <= counts->mask; i++) {
        const pyaudit_count_slot *slot = &counts->slots[i];
        if (slot->name == NULL || *slot->cell == 0) {
            continue;
        }
        PyObject *key = PyUnicode_DecodeUTF8(slot->name,
                                             (Py_ssize_t)slot->len,
                                             "surrogateescape");
        PyObject *value = PyLong_FromUnsignedLongLong(*slot->cell);
        if (key == NULL || value == NULL
            || PyDict_SetItem(dict, key, value) < 0) {
            Py_XDECREF(key);
            Py_XDECREF(value);
            Py_DECREF(dict);
            return NULL;
        }
        Py_DECREF(key);
        Py_DECREF(value);
    }
    return dict;
}

void
pyaudit_counts_free(pyaudit_counts *counts)
{
    if (counts == NULL) {
        return;
    }
    for (size_t i = 0; i <= counts->mask; i++) {
        free(counts->slots[i].name);
        free(counts->slots[i].cell);
    }
    free(counts->slots);
    free(counts);
}
