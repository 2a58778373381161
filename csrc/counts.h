/* counts.h: per-event-name counters behind pyaudit.count().
 *
 * An open-addressing map from event name (bytes, copied) to a count cell,
 * keyed with the hash the table lookup already computed.  A name's cell is
 * made the first time it is counted, or when a table is compiled with that
 * exact name as a key: then the table points at the cell and a hit adds
 * one to it without any lookup.  Cells never move.  Every function needs
 * the GIL (or no Python at all).
 */
#ifndef PYAUDIT_COUNTS_H
#define PYAUDIT_COUNTS_H

#include "compat.h"
#include <stdint.h>

typedef struct {
    char *name;                 /* owned copy; NULL if the slot is free */
    size_t len;
    uint32_t hash;
    uint64_t *cell;             /* owned: the count */
} pyaudit_count_slot;

typedef struct {
    pyaudit_count_slot *slots;  /* owned, mask + 1 of them */
    size_t mask;
    size_t used;
} pyaudit_counts;

/* NULL when out of memory (no exception set: callable without Python). */
pyaudit_counts *pyaudit_counts_new(void);

/* The cell for name, made (at 0) if missing; NULL when out of memory. */
uint64_t *pyaudit_counts_cell(pyaudit_counts *counts, const char *name,
                              size_t len, uint32_t hash);

/* Add one to name's count.  0, or -1 when out of memory. */
int pyaudit_counts_add(pyaudit_counts *counts, const char *name, size_t len,
                       uint32_t hash);

/* A new dict of name to count (names counted at least once), or NULL with
 * an exception set. */
PyObject *pyaudit_counts_dict(const pyaudit_counts *counts);

void pyaudit_counts_free(pyaudit_counts *counts);

#endif /* PYAUDIT_COUNTS_H */
