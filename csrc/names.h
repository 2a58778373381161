/* names.h: one Python str per event name, made once and reused.
 *
 * Each interpreter's home (home.h) has its own cache, since a str belongs
 * to the interpreter that made it; only that interpreter's threads use
 * it, with its GIL held.  The cache is bounded: names longer than
 * PYAUDIT_NAMES_MAX_LEN bytes are never kept, and once it holds
 * PYAUDIT_NAMES_LIMIT names or PYAUDIT_NAMES_MAX_BYTES bytes a fresh str
 * is made per event (programs that raise events with generated names).
 * Names are not interned, so nothing is made immortal.  A name that is not
 * valid UTF-8 (raised from C) is decoded with surrogateescape, as every
 * kind of subscription shows it.
 */
#ifndef PYAUDIT_NAMES_H
#define PYAUDIT_NAMES_H

#include "compat.h"
#include "map.h"

#define PYAUDIT_NAMES_LIMIT 4096
#define PYAUDIT_NAMES_MAX_LEN 128
#define PYAUDIT_NAMES_MAX_BYTES (256 * 1024)

/* Names of up to 7 bytes are also found by their 8-byte block (the bytes
 * after the end zero), in a small direct-mapped array: one compare. */
#define PYAUDIT_SHORT_NAMES 64

typedef struct {
    uint64_t block;             /* 0: empty */
    PyObject *str;              /* owned */
} pyaudit_short_name;

typedef struct {
    pyaudit_map map;            /* name -> struct name_entry (owned) */
    size_t bytes;               /* name bytes kept */
    pyaudit_short_name shorts[PYAUDIT_SHORT_NAMES];
} pyaudit_names;

void pyaudit_names_init(pyaudit_names *names);

/* A new reference to the str for name (len bytes, hash as computed by
 * pyaudit_hash), or NULL with an exception set. */
PyObject *pyaudit_names_get(pyaudit_names *names, const char *name,
                            size_t len, uint32_t hash);

PyObject *pyaudit_names_get_short_slow(pyaudit_names *names,
                                       uint64_t block, const char *name,
                                       size_t len, uint32_t hash);

/* A new reference to the str of a name of up to 7 bytes found by its
 * block, or NULL (no exception) when it is not in the short cache: then
 * pyaudit_names_get_short_slow makes it and keeps it there. */
static inline PyObject *
pyaudit_names_find_short(pyaudit_names *names, uint64_t block)
{
    pyaudit_short_name *entry = &names->shorts[
        (block * 0x9E3779B97F4A7C15ull) >> 58];
    if (PYAUDIT_LIKELY(entry->block == block && block != 0)) {
        return Py_NewRef(entry->str);
    }
    return NULL;
}

/* A new str for name, not cached (NULL with an exception set). */
PyObject *pyaudit_name_str(const char *name, size_t len);

/* Release every str (with the interpreter's GIL held). */
void pyaudit_names_clear(pyaudit_names *names);

#endif /* PYAUDIT_NAMES_H */
