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

typedef struct {
    pyaudit_map map;            /* name -> struct name_entry (owned) */
    size_t bytes;               /* name bytes kept */
} pyaudit_names;

void pyaudit_names_init(pyaudit_names *names);

/* A new reference to the str for name (len bytes, hash as computed by
 * pyaudit_hash), or NULL with an exception set. */
PyObject *pyaudit_names_get(pyaudit_names *names, const char *name,
                            size_t len, uint32_t hash);

/* A new str for name, not cached (NULL with an exception set). */
PyObject *pyaudit_name_str(const char *name, size_t len);

/* Release every str (with the interpreter's GIL held). */
void pyaudit_names_clear(pyaudit_names *names);

#endif /* PYAUDIT_NAMES_H */
