/* counts.h: per-event-name counters behind pyaudit.count().
 *
 * A map from event name (copied) to a cell.  A name's cell is made the
 * first time it is counted, or when a table is compiled with that exact
 * name as a key: then the table points at the cell and a hit adds one to
 * it without any lookup.  Cells never move and are added to atomically,
 * so counts are exact however many threads count at once; the map itself
 * is guarded by a spinlock (a hit takes it only for names without a cell
 * in the table).  No Python API below pyaudit_counts_dict.
 */
#ifndef PYAUDIT_COUNTS_H
#define PYAUDIT_COUNTS_H

#include "compat.h"
#include "map.h"
#include "sync.h"

#include <stdint.h>

typedef struct {
    pyaudit_spinlock lock;      /* guards map */
    pyaudit_map map;            /* name -> pyaudit_count_cell (owned) */
} pyaudit_counts;

/* NULL when out of memory (error set). */
pyaudit_counts *pyaudit_counts_new(void);

/* The cell for name, made (at 0) if missing; NULL when out of memory
 * (error set). */
uint64_t *pyaudit_counts_cell(pyaudit_counts *counts, const char *name,
                              size_t len, uint32_t hash);

/* Add one to a cell (any thread). */
static inline void
pyaudit_counts_bump(uint64_t *cell)
{
    PYAUDIT_ADD_RELAXED(*cell, 1);
}

/* A new dict of name to count (names counted at least once; a name that
 * is not UTF-8 is decoded with surrogateescape), or NULL with an
 * exception set. */
PyObject *pyaudit_counts_dict(pyaudit_counts *counts);

void pyaudit_counts_free(pyaudit_counts *counts);

#endif /* PYAUDIT_COUNTS_H */
