/* table.h: the compiled lookup table, and the hot lookup itself.
 *
 * A table is immutable once published.  It maps an event name to the list
 * of subscriptions that want it ("targets"), with every subscription's
 * prefixes and exclusions folded in at compile time:
 *   - keys are every exact name and every prefix ("os.") in any pattern;
 *   - an exact key's targets are the subscriptions matching that name;
 *   - a prefix key's targets are those matching every name whose longest
 *     prefix key it is, and which is not an exact key;
 *   - default_targets are those matching every other name (via "*").
 * A lookup measures the name, probes the prefix map only at the lengths
 * some prefix key has (and only where the name has a '.' there), and
 * hashes the whole name once for the exact map.  When no subscription has
 * "*", a bitmap of every wanted key's first two bytes rejects most misses
 * after reading two bytes.
 *
 * Lifetime: the core holds one reference on the current table, and a hook
 * call that delivers outside its reader section (sync.h) holds one while
 * it does.  The table does not own its subscriptions: the core's live
 * list does.  When a subscription is closed, the live list's reference
 * moves to the retired list of the table it was last current in, and each
 * table holds a reference on the table that replaced it, so a table (and
 * every subscription and key it points at) outlives every older table.
 */
#ifndef PYAUDIT_TABLE_H
#define PYAUDIT_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "compat.h"
#include "map.h"

typedef struct pyaudit_sub pyaudit_sub;

typedef struct {
    pyaudit_sub *sub;           /* borrowed (see Lifetime above) */
    uint64_t *count_cell;       /* borrowed from sub->counts: for a count
                                   sub under an exact key, the cell of that
                                   name; otherwise NULL */
} pyaudit_target;

/* Flags of a target list, for the hook's early exits. */
#define PYAUDIT_TARGETS_EXACT 1         /* every event that finds it has
                                           the same name */
#define PYAUDIT_TARGETS_COUNT_ONLY 2    /* every target is a plain count
                                           with a count_cell */
#define PYAUDIT_TARGETS_NO_PYTHON 4     /* every target is a plain count or
                                           a plain record of its own
                                           interpreter: delivery runs no
                                           Python code and never waits */

typedef struct {
    uint32_t count;             /* at least 1: empty lists are NULL */
    uint32_t flags;
    pyaudit_target targets[1];  /* count of them, in delivery order */
} pyaudit_targets;

typedef struct pyaudit_arena pyaudit_arena;

typedef struct pyaudit_table {
    uint64_t first_two[256];    /* bit (c1 & 63) of [c0]: some wanted key
                                   starts with c0 c1 */
    int fast_reject;            /* first_two may be used (no default) */
    const pyaudit_targets *default_targets;
    pyaudit_map exact;          /* name -> targets; keys borrowed from the
                                   subs' patterns */
    pyaudit_map prefix;         /* "os." -> targets; likewise */
    size_t *prefix_lengths;     /* owned: distinct prefix key lengths,
                                   ascending */
    size_t nprefix_lengths;
    size_t min_prefix_length;   /* prefix_lengths[0], or SIZE_MAX if none */
    long refcnt;                /* atomic */
    struct pyaudit_table *successor;    /* a reference: the table published
                                           after this one, or NULL */
    pyaudit_sub *retired;       /* references: subs closed while this
                                   table was current */
    pyaudit_arena *arena;       /* owned: the target lists */
} pyaudit_table;

/* The shared empty table (static; never freed). */
extern pyaudit_table pyaudit_empty_table;

/* Compile the subscriptions (already in delivery order) into a new table
 * with refcount 1, in time linear in their patterns and the target lists
 * made.  NULL with the error set when out of memory. */
pyaudit_table *pyaudit_table_compile(pyaudit_sub *const *subs, size_t n);

static inline void
pyaudit_table_incref(pyaudit_table *table)
{
    PYAUDIT_ADD_RELAXED(table->refcnt, 1);
}

/* Drop a reference; the last one frees the table, the subs it retired and
 * its reference on its successor (any thread). */
void pyaudit_table_decref(pyaudit_table *table);

/* The first step of the hot path: whether name is a miss that two bytes
 * prove (only when the table has no default targets). */
static inline int
pyaudit_table_rejects(const pyaudit_table *t, const char *name)
{
    const unsigned char *p = (const unsigned char *)name;
    if (!t->fast_reject) {
        return 0;
    }
    unsigned char c1 = p[0] ? p[1] : 0;
    return !((t->first_two[p[0]] >> (c1 & 63)) & 1);
}

/* The targets of the longest prefix key that name starts with, or best.
 * Out of line: most names are shorter than every prefix key, and the
 * lookup needs fewer registers without this loop. */
const pyaudit_targets *
pyaudit_table_prefix_lookup(const pyaudit_table *t, const char *name,
                            size_t len, const pyaudit_targets *best);

/* The rest of the lookup: the targets for name, or NULL on a miss.
 * *hash_out and *len_out receive the name's hash and length. */
static inline const pyaudit_targets *
pyaudit_table_lookup(const pyaudit_table *t, const char *name,
                     uint32_t *hash_out, size_t *len_out)
{
    const pyaudit_targets *best = t->default_targets;
    size_t len = strlen(name);
    if (len >= t->min_prefix_length) {
        best = pyaudit_table_prefix_lookup(t, name, len, best);
    }
    uint32_t hash = pyaudit_hash(name, len);
    const pyaudit_map_slot *slot = pyaudit_map_find(&t->exact, name, len,
                                                    hash);
    if (slot != NULL) {
        best = slot->value;
    }
    *hash_out = hash;
    *len_out = len;
    return best;
}

#endif /* PYAUDIT_TABLE_H */
