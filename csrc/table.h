/* table.h: the compiled lookup table, and the hot lookup itself.
 *
 * A table is immutable once compiled.  It maps an event name to the list
 * of subscriptions that want it ("targets"), with every subscription's
 * prefixes and exclusions folded in at compile time:
 *   - keys are every exact name and every prefix ("os.") in any pattern;
 *   - an exact key's targets are the subscriptions matching that name;
 *   - a prefix key's targets are those matching every name whose longest
 *     prefix key it is, and which is not an exact key;
 *   - default_targets are those matching every other name (via "*").
 * A lookup measures the name, probes the prefix table only at the lengths
 * some prefix key has (and only where the name has a '.' there), and hashes
 * the whole name once for the exact table.  When no subscription has "*",
 * a bitmap of every wanted key's first two bytes rejects most misses after
 * reading two bytes.
 *
 * A table holds a reference on each subscription in its targets.  Its own
 * refcount counts the core (while current) and every hook call that is
 * dispatching from it; all of that happens with the GIL held.
 */
#ifndef PYAUDIT_TABLE_H
#define PYAUDIT_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include "bytes.h"
#include "compat.h"

typedef struct pyaudit_sub pyaudit_sub;

typedef struct {
    pyaudit_sub *sub;           /* borrowed: the table owns the reference
                                   (see pyaudit_table.subs) */
    uint64_t *count_cell;       /* borrowed from sub->counts: for a count
                                   sub under an exact key, the cell of that
                                   name; otherwise NULL */
    PyObject *name;             /* borrowed from sub->state's name cache:
                                   under an exact key, that name's str once
                                   an event delivered it; otherwise NULL */
} pyaudit_target;

typedef struct {
    size_t count;               /* at least 1: empty lists are NULL */
    int exact;                  /* the list of an exact key: every event
                                   that finds it has the same name */
    int count_only;             /* every target has a count_cell, so the
                                   hook can count without dispatching */
    int no_python;              /* every target is a count or a record:
                                   delivery runs no Python code */
    pyaudit_target targets[1];  /* count of them, in delivery order */
} pyaudit_targets;

typedef struct {
    const char *key;            /* borrowed from a sub's patterns; NULL if
                                   the slot is free */
    uint32_t hash;
    uint32_t len;
    const pyaudit_targets *targets;  /* borrowed from the table; NULL when
                                        nothing matches */
} pyaudit_slot;

typedef struct pyaudit_table {
    uint64_t first_two[256];    /* bit (c1 & 63) of [c0]: some wanted key
                                   starts with c0 c1 */
    int fast_reject;            /* first_two may be used (no default) */
    const pyaudit_targets *default_targets;
    pyaudit_slot *exact;        /* owned, exact_mask + 1 slots */
    pyaudit_slot *prefix;       /* owned, prefix_mask + 1 slots */
    uint32_t exact_mask;
    uint32_t prefix_mask;
    size_t *prefix_lengths;     /* owned: distinct prefix key lengths,
                                   ascending */
    size_t nprefix_lengths;
    size_t min_prefix_length;   /* prefix_lengths[0], or SIZE_MAX if none */
    Py_ssize_t refcnt;          /* the core while current + running hooks */
    pyaudit_sub **subs;         /* owned references, nsubs of them */
    size_t nsubs;
    pyaudit_targets **lists;    /* owned target lists, nlists of them */
    size_t nlists;
} pyaudit_table;

/* The shared empty table (static; never freed). */
extern pyaudit_table pyaudit_empty_table;


/* Compile the subscriptions (already in delivery order) into a new table
 * with refcount 1.  Returns NULL when out of memory. */
pyaudit_table *pyaudit_table_compile(pyaudit_sub *const *subs, size_t n);

/* Free a table whose last reference is gone, releasing its subs. */
void pyaudit_table_free(pyaudit_table *table);

static inline void
pyaudit_table_incref(pyaudit_table *table)
{
    table->refcnt++;
}

/* Drop a reference; the last one frees the table (never the static
 * empty table, whose count the core's reference keeps above zero). */
static inline void
pyaudit_table_decref(pyaudit_table *table)
{
    if (--table->refcnt == 0) {
        pyaudit_table_free(table);
    }
}

static inline const pyaudit_slot *
pyaudit_table_find(const pyaudit_slot *slots, uint32_t mask, uint32_t hash,
                   const char *name, size_t len)
{
    uint32_t i = hash & mask;
    for (;;) {
        const pyaudit_slot *slot = &slots[i];
        if (slot->key == NULL) {
            return NULL;
        }
        if (slot->hash == hash && slot->len == len
            && pyaudit_bytes_equal(slot->key, name, len)) {
            return slot;
        }
        i = (i + 1) & mask;
    }
}

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
    const pyaudit_slot *slot = pyaudit_table_find(t->exact, t->exact_mask,
                                                  hash, name, len);
    if (slot != NULL) {
        best = slot->targets;
    }
    *hash_out = hash;
    *len_out = len;
    return best;
}

#endif /* PYAUDIT_TABLE_H */
