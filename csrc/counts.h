/* counts.h: per-event-name counters behind pyaudit.count().
 *
 * An open-addressing map from event name (bytes, copied) to a count, keyed
 * with the hash the table lookup already computed.  A name's slot is made
 * the first time it is counted; after that counting allocates nothing.
 * Every function needs the GIL.
 */
#ifndef PYAUDIT_COUNTS_H
#define PYAUDIT_COUNTS_H

#include "compat.h"
#include <stdint.h>

typedef struct {
    char *name;                 /* owned copy; NULL if the slot is free */
    size_t len;
    uint32_t hash;
    uint64_t count;
} pyaudit_count_slot;

typedef struct {
    pyaudit_count_slot *slots;  /* owned, mask + 1 of them */
    size_t mask;
    size_t used;
} pyaudit_counts;

/* NULL when out of memory (no exception set: callable without Python). */
pyaudit_counts *pyaudit_counts_new(void);

/* Add one to name's count.  0, or -1 when out of memory. */
int pyaudit_counts_add(pyaudit_counts *counts, const char *name, size_t len,
                       uint32_t hash);

/* A new dict of name to count, or NULL with an exception set. */
PyObject *pyaudit_counts_dict(const pyaudit_counts *counts);

void pyaudit_counts_free(pyaudit_counts *counts);

#endif /* PYAUDIT_COUNTS_H */
