/* names.c: the cache of event-name strings (see names.h). */
#include "names.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    PyObject *str;              /* owned */
    char name[1];               /* the key: len bytes and a NUL */
} name_entry;

void
pyaudit_names_init(pyaudit_names *names)
{
    (void)pyaudit_map_init(&names->map, 0);     /* empty: cannot fail */
    names->bytes = 0;
    memset(names->shorts, 0, sizeof(names->shorts));
}

PyObject *
pyaudit_names_get_short_slow(pyaudit_names *names, uint64_t block,
                             const char *name, size_t len, uint32_t hash)
{
    PyObject *str = pyaudit_names_get(names, name, len, hash);
    if (str != NULL && block != 0) {
        pyaudit_short_name *entry = &names->shorts[
            (block * 0x9E3779B97F4A7C15ull) >> 58];
        Py_XSETREF(entry->str, Py_NewRef(str));
        entry->block = block;
    }
    return str;
}

PyObject *
pyaudit_name_str(const char *name, size_t len)
{
    return PyUnicode_DecodeUTF8(name, (Py_ssize_t)len, "surrogateescape");
}

PyObject *
pyaudit_names_get(pyaudit_names *names, const char *name, size_t len,
                  uint32_t hash)
{
    const pyaudit_map_slot *found = pyaudit_map_find(&names->map, name, len,
                                                     hash);
    if (found != NULL) {
        return Py_NewRef(((name_entry *)found->value)->str);
    }
    PyObject *str = pyaudit_name_str(name, len);
    if (str == NULL || len > PYAUDIT_NAMES_MAX_LEN
        || names->map.used >= PYAUDIT_NAMES_LIMIT
        || names->bytes + len > PYAUDIT_NAMES_MAX_BYTES) {
        return str;
    }
    name_entry *entry = malloc(offsetof(name_entry, name) + len + 1);
    if (entry == NULL) {
        return str;                 /* not cached, still correct */
    }
    memcpy(entry->name, name, len);
    entry->name[len] = '\0';
    int added;
    pyaudit_map_slot *slot = pyaudit_map_put(&names->map, entry->name, len,
                                             hash, &added);
    if (slot == NULL) {
        free(entry);
        return str;
    }
    entry->str = Py_NewRef(str);
    slot->value = entry;
    names->bytes += len;
    return str;
}

void
pyaudit_names_clear(pyaudit_names *names)
{
    for (size_t i = 0; i < PYAUDIT_SHORT_NAMES; i++) {
        names->shorts[i].block = 0;
        Py_CLEAR(names->shorts[i].str);
    }
    for (uint32_t i = 0; i <= names->map.mask; i++) {
        name_entry *entry = names->map.slots[i].value;
        if (names->map.slots[i].key != NULL) {
            Py_DECREF(entry->str);
            free(entry);
        }
    }
    pyaudit_map_free(&names->map);
    names->bytes = 0;
}
