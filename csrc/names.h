/* names.h: one Python str per event name, made once and reused.
 *
 * Each interpreter's module state has its own cache, since a str belongs
 * to the interpreter that made it.  The cache keeps at most
 * PYAUDIT_NAMES_LIMIT names; past that (programs that raise events with
 * generated names) a fresh str is made per event.  Needs the GIL.
 */
#ifndef PYAUDIT_NAMES_H
#define PYAUDIT_NAMES_H

#include "compat.h"
#include <stdint.h>

#define PYAUDIT_NAMES_LIMIT 4096

typedef struct {
    PyObject *str;              /* owned; NULL if the slot is free */
    const char *utf8;           /* borrowed from str */
    size_t len;
    uint32_t hash;
} pyaudit_name_slot;

typedef struct {
    pyaudit_name_slot *slots;   /* owned, mask + 1 of them (or NULL) */
    size_t mask;
    size_t used;
} pyaudit_names;

/* A new reference to the str for name (len bytes, hash as computed by
 * pyaudit_hash), or NULL with an exception set.  *cached is set to 1 when
 * the str is kept by the cache (and so lives as long as it). */
PyObject *pyaudit_names_get(pyaudit_names *names, const char *name,
                            size_t len, uint32_t hash, int *cached);

void pyaudit_names_clear(pyaudit_names *names);

#endif /* PYAUDIT_NAMES_H */
