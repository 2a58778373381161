/* table.c: compiling subscriptions into a lookup table (see table.h).
 *
 * Compiling is linear in the patterns and in the target lists it makes:
 * each pattern item is filed under its key once (who includes, who
 * excludes), then each key's list is merged from its own entries, those
 * of the prefix keys it starts with and those of "*".  Ten thousand
 * subscriptions compile in about a millisecond.
 */
#include "table.h"
#include "error.h"
#include "roles.h"
#include "rules.h"
#include "sub.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

static pyaudit_map_slot empty_slot;     /* key NULL: every probe misses */
static pyaudit_block_slot empty_block_slot;     /* block 0: likewise */

PYAUDIT_FAST_THREAD_LOCAL pyaudit_name_memo pyaudit_memos[PYAUDIT_MEMOS];

/* The last generation given to a compiled table (atomic: tables of
 * pyaudit.Filter objects are compiled under their own interpreter's GIL
 * only). */
static uint64_t last_generation;

pyaudit_table pyaudit_empty_table = {
    .fast_reject = 1,
    .exact = {&empty_slot, 0, 0},
    .prefix = {&empty_slot, 0, 0},
    .short_exact = {&empty_block_slot, 0, 64},
    .short_prefix = {&empty_block_slot, 0, 64},
    .refcnt = 2,    /* the core's, and one never dropped: it is static */
};

/* ---- the arena that holds a table's target lists ------------------------ */

#define ARENA_BLOCK (64 * 1024)

struct pyaudit_arena {
    pyaudit_arena *next;
    size_t used;
    size_t size;
    _Alignas(16) char data[];
};

static void *
arena_alloc(pyaudit_arena **arena, size_t bytes)
{
    bytes = (bytes + 15) & ~(size_t)15;
    pyaudit_arena *block = *arena;
    if (block == NULL || block->size - block->used < bytes) {
        size_t size = bytes > ARENA_BLOCK ? bytes : ARENA_BLOCK;
        block = malloc(sizeof(pyaudit_arena) + size);
        if (block == NULL) {
            return NULL;
        }
        block->next = *arena;
        block->used = 0;
        block->size = size;
        *arena = block;
    }
    void *at = block->data + block->used;
    block->used += bytes;
    return at;
}

static void
arena_free(pyaudit_arena *arena)
{
    while (arena != NULL) {
        pyaudit_arena *next = arena->next;
        free(arena);
        arena = next;
    }
}

/* ---- compiling ------------------------------------------------------------ */

/* Who files an item under a key: a singly linked list through one array,
 * in ascending subscription order. */
typedef struct {
    uint32_t sub;               /* index into the ordered subs */
    uint32_t next;              /* index + 1 of the next entry; 0: end */
} entry;

typedef struct {
    uint32_t includes;          /* index + 1 of the first entry; 0: none */
    uint32_t excludes;
} key_entries;

typedef struct {
    pyaudit_table *table;
    pyaudit_sub *const *subs;
    size_t n;
    entry *entries;             /* owned */
    uint32_t nentries;
    key_entries *exact_entries; /* owned: one per exact map slot */
    key_entries *prefix_entries;/* owned: one per prefix map slot */
    uint32_t *star;             /* owned: subs with "*", ascending */
    uint32_t nstar;
    unsigned char *never;       /* owned: subs with "!*" */
    uint32_t *included;         /* owned: epoch marks per sub */
    uint32_t *excluded;         /* owned: epoch marks per sub */
    uint32_t epoch;
    uint32_t *candidates;       /* owned: n of them */
    uint64_t prefix_lengths;    /* bit n: some prefix key is n bytes long */
    int long_prefix;            /* some prefix key is 64 bytes or longer */
    const key_entries **sources;/* owned: room for the most '.' a key has,
                                   plus two */
} compiler;

static void
file_entry(compiler *c, uint32_t *head, uint32_t sub)
{
    entry *e = &c->entries[c->nentries++];
    e->sub = sub;
    e->next = *head;
    *head = c->nentries;
}

/* File every pattern item of every sub under its key.  Subs are visited
 * last to first, so that each list comes out in ascending order. */
static int
file_items(compiler *c)
{
    pyaudit_table *t = c->table;
    for (size_t k = c->n; k-- > 0;) {
        const pyaudit_patterns *p = &c->subs[k]->patterns;
        for (size_t j = 0; j < p->count; j++) {
            pyaudit_pattern *item = &p->items[j];
            if (item->kind == PYAUDIT_MATCH_ALL) {
                if (item->excluded) {
                    c->never[k] = 1;
                }
                else if (c->nstar == 0 || c->star[c->nstar - 1] != k) {
                    c->star[c->nstar++] = (uint32_t)k;
                }
                continue;
            }
            int exact = item->kind == PYAUDIT_MATCH_EXACT;
            pyaudit_map *map = exact ? &t->exact : &t->prefix;
            if (!item->hashed) {
                /* Only the configuration lock's holder writes this. */
                item->hash = pyaudit_hash(item->text, item->len);
                item->hashed = 1;
            }
            if (!exact) {
                if (item->len < 64) {
                    c->prefix_lengths |= (uint64_t)1 << item->len;
                }
                else {
                    c->long_prefix = 1;
                }
            }
            int added;
            pyaudit_map_slot *slot = pyaudit_map_put(
                map, item->text, item->len, item->hash, &added);
            if (slot == NULL) {
                return -1;
            }
            key_entries *keys = exact ? c->exact_entries : c->prefix_entries;
            key_entries *ke = &keys[slot - map->slots];
            file_entry(c, item->excluded ? &ke->excludes : &ke->includes,
                       (uint32_t)k);
        }
    }
    /* Visited last to first: put "*" in ascending order. */
    for (uint32_t i = 0; i < c->nstar / 2; i++) {
        uint32_t swap = c->star[i];
        c->star[i] = c->star[c->nstar - 1 - i];
        c->star[c->nstar - 1 - i] = swap;
    }
    return 0;
}

/* The entries of every prefix key that name (len bytes) starts with,
 * itself included if it is one: up to one per '.' in it. */
static size_t
prefix_keys_of(const compiler *c, const char *name, size_t len,
               const key_entries **out)
{
    const pyaudit_map *prefix = &c->table->prefix;
    size_t n = 0;
    if (prefix->used == 0) {
        return 0;
    }
    for (size_t i = 0; i < len; i++) {
        if (name[i] != '.'
            || (i + 1 < 64 ? !((c->prefix_lengths >> (i + 1)) & 1)
                           : !c->long_prefix)) {
            continue;
        }
        const pyaudit_map_slot *slot = pyaudit_map_find(
            prefix, name, i + 1, pyaudit_hash(name, i + 1));
        if (slot != NULL) {
            out[n++] = &c->prefix_entries[slot - prefix->slots];
        }
    }
    return n;
}

static void
sort_ascending(uint32_t *values, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        uint32_t value = values[i];
        size_t j = i;
        while (j > 0 && values[j - 1] > value) {
            values[j] = values[j - 1];
            j--;
        }
        values[j] = value;
    }
}

static int
compare_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* Whether a sub can be delivered to without the general dispatch: no
 * where= rules (they may run Python code: __fspath__).  A scope is
 * checked in C there too. */
static int
plain(const pyaudit_sub *sub)
{
    return sub->rules == NULL;
}

/* Make the target list of one key from the entries that apply to it;
 * NULL with *failed unset when no subscription matches. */
static pyaudit_targets *
merge(compiler *c, const key_entries *const *sources, size_t nsources,
      const char *exact_key, size_t exact_len, int *failed)
{
    uint32_t epoch = ++c->epoch;
    for (size_t s = 0; s < nsources; s++) {
        for (uint32_t e = sources[s]->excludes; e != 0;
             e = c->entries[e - 1].next) {
            c->excluded[c->entries[e - 1].sub] = epoch;
        }
    }
    size_t n = 0;
    for (size_t s = 0; s < nsources; s++) {
        for (uint32_t e = sources[s]->includes; e != 0;
             e = c->entries[e - 1].next) {
            uint32_t sub = c->entries[e - 1].sub;
            if (c->excluded[sub] != epoch && c->included[sub] != epoch
                && !c->never[sub]) {
                c->included[sub] = epoch;
                c->candidates[n++] = sub;
            }
        }
    }
    if (nsources > 1) {
        if (n < 32) {
            sort_ascending(c->candidates, n);
        }
        else {
            qsort(c->candidates, n, sizeof(uint32_t), compare_u32);
        }
    }
    /* Merge with "*" (ascending too), into the list. */
    size_t star_left = 0;
    for (uint32_t i = 0; i < c->nstar; i++) {
        uint32_t sub = c->star[i];
        star_left += c->excluded[sub] != epoch && c->included[sub] != epoch
                     && !c->never[sub];
    }
    size_t total = n + star_left;
    if (total == 0) {
        return NULL;
    }
    pyaudit_targets *list = arena_alloc(
        &c->table->arena, offsetof(pyaudit_targets, targets)
                          + total * sizeof(pyaudit_target));
    if (list == NULL) {
        *failed = 1;
        return NULL;
    }
    size_t a = 0, b = 0, out = 0;
    while (a < n || b < c->nstar) {
        uint32_t sub;
        if (b >= c->nstar || (a < n && c->candidates[a] < c->star[b])) {
            sub = c->candidates[a++];
        }
        else {
            sub = c->star[b++];
            if (c->excluded[sub] == epoch || c->included[sub] == epoch
                || c->never[sub]) {
                continue;
            }
        }
        pyaudit_target *target = &list->targets[out++];
        target->sub = c->subs[sub];
        target->count_cell = NULL;
        target->roles = NULL;
        target->roles_known = 0;
        if (exact_key != NULL && target->sub->rules != NULL) {
            target->roles = pyaudit_roles_find(exact_key, exact_len);
            target->roles_known = 1;
        }
        if (exact_key != NULL && target->sub->kind == PYAUDIT_KIND_COUNT) {
            target->count_cell = pyaudit_counts_cell(
                target->sub->counts, exact_key, exact_len,
                pyaudit_hash(exact_key, exact_len));
            if (target->count_cell == NULL) {
                *failed = 1;
                return NULL;
            }
        }
    }
    list->count = (uint32_t)out;
    list->flags = PYAUDIT_TARGETS_COUNT_ONLY | PYAUDIT_TARGETS_NO_PYTHON
                  | PYAUDIT_TARGETS_ALL_RULES
                  | (exact_key != NULL ? PYAUDIT_TARGETS_EXACT : 0);
    for (size_t i = 0; i < out; i++) {
        const pyaudit_target *target = &list->targets[i];
        const pyaudit_sub *sub = target->sub;
        int plain_count = sub->kind == PYAUDIT_KIND_COUNT && plain(sub);
        int plain_record = sub->kind == PYAUDIT_KIND_RECORD && plain(sub)
                           && sub->audience == PYAUDIT_AUDIENCE_OWN
                           && sub->ring->depth == 0;
        if (!(plain_count && target->count_cell != NULL)) {
            list->flags &= ~(uint32_t)PYAUDIT_TARGETS_COUNT_ONLY;
        }
        if (!plain_count && !plain_record) {
            list->flags &= ~(uint32_t)PYAUDIT_TARGETS_NO_PYTHON;
        }
        if (sub->rules == NULL) {
            list->flags &= ~(uint32_t)PYAUDIT_TARGETS_ALL_RULES;
        }
    }
    return list;
}

/* The block of a key's first n (at most 8) bytes. */
static uint64_t
key_block(const char *key, size_t n)
{
    return pyaudit_load_partial(key, n > 8 ? 8 : n);
}

/* Let the hook's filters pass names that may find this key's list (see
 * pyaudit_table_may_hold: a prefix key of up to 8 bytes is found in
 * short_prefix instead of the Bloom filter). */
static void
mark_filters(pyaudit_table *t, const char *key, size_t len, int prefix)
{
    unsigned char c0 = len > 0 ? (unsigned char)key[0] : 0;
    unsigned char c1 = len > 1 ? (unsigned char)key[1] : 0;
    t->first_two[c0] |= (uint64_t)1 << (c1 & 63);
    if (!prefix || len > 8) {
        unsigned bit = pyaudit_bloom_bit(key_block(key, len));
        t->bloom[bit >> 6] |= (uint64_t)1 << (bit & 63);
    }
}

/* A map of the keys of map no longer than max_len bytes, keyed by their
 * block. */
static int
make_block_map(pyaudit_block_map *out, const pyaudit_map *map,
               size_t max_len)
{
    uint32_t keys = 0;
    for (uint32_t i = 0; i <= map->mask; i++) {
        keys += map->slots[i].key != NULL && map->slots[i].len <= max_len
                && map->slots[i].len > 0;
    }
    uint32_t bits = 3;
    while (((uint32_t)1 << bits) < keys * 2) {
        bits++;
    }
    out->slots = calloc((size_t)1 << bits, sizeof(pyaudit_block_slot));
    if (out->slots == NULL) {
        return -1;
    }
    out->mask = ((uint32_t)1 << bits) - 1;
    out->shift = 64 - bits;
    for (uint32_t i = 0; i <= map->mask; i++) {
        const pyaudit_map_slot *key = &map->slots[i];
        if (key->key == NULL || key->len > max_len || key->len == 0) {
            continue;
        }
        uint64_t block = key_block(key->key, key->len);
        uint32_t j = (uint32_t)((block * PYAUDIT_BLOCK_MULTIPLIER)
                                >> out->shift);
        while (out->slots[j].block != 0) {
            j = (j + 1) & out->mask;
        }
        out->slots[j].block = block;
        out->slots[j].targets = key->value;
    }
    return 0;
}

/* Every key's target list, and the prefix lengths. */
static int
make_lists(compiler *c)
{
    pyaudit_table *t = c->table;
    const key_entries **sources = c->sources;
    int failed = 0;
    for (uint32_t i = 0; i <= t->prefix.mask && !failed; i++) {
        pyaudit_map_slot *slot = &t->prefix.slots[i];
        if (slot->key == NULL) {
            continue;
        }
        /* A prefix key's own '.' positions give every prefix key it
         * starts with, itself included (it ends with '.'). */
        size_t n = prefix_keys_of(c, slot->key, slot->len, sources);
        slot->value = merge(c, sources, n, NULL, 0, &failed);
        if (slot->value != NULL) {
            mark_filters(t, slot->key, slot->len, 1);
        }
        if (slot->len <= 64) {      /* the '.' is byte len - 1 */
            size_t dot = slot->len - 1;
            t->prefix_dots[dot >> 3] |= (uint64_t)0x80 << (8 * (dot & 7));
        }
        else {
            t->long_prefixes = 1;
        }
    }
    for (uint32_t i = 0; i <= t->exact.mask && !failed; i++) {
        pyaudit_map_slot *slot = &t->exact.slots[i];
        if (slot->key == NULL) {
            continue;
        }
        sources[0] = &c->exact_entries[i];
        size_t n = 1 + prefix_keys_of(c, slot->key, slot->len, sources + 1);
        slot->value = merge(c, sources, n, slot->key, slot->len,
                                    &failed);
        if (slot->value != NULL) {
            mark_filters(t, slot->key, slot->len, 0);
        }
    }
    if (!failed) {
        /* Names under no key: "*" alone. */
        t->default_targets = merge(c, sources, 0, NULL, 0, &failed);
    }
    t->fast_reject = t->default_targets == NULL;
    if (!failed && (make_block_map(&t->short_exact, &t->exact, 7) < 0
                    || make_block_map(&t->short_prefix, &t->prefix, 8) < 0)) {
        failed = 1;
    }
    return failed ? -1 : 0;
}

pyaudit_table *
pyaudit_table_compile(pyaudit_sub *const *subs, size_t n)
{
    size_t exact_items = 0, prefix_items = 0, most_dots = 0;
    for (size_t i = 0; i < n; i++) {
        const pyaudit_patterns *p = &subs[i]->patterns;
        for (size_t j = 0; j < p->count; j++) {
            const pyaudit_pattern *item = &p->items[j];
            exact_items += item->kind == PYAUDIT_MATCH_EXACT;
            prefix_items += item->kind == PYAUDIT_MATCH_PREFIX;
            size_t dots = 0;
            for (size_t k = 0; k < item->len; k++) {
                dots += item->text[k] == '.';
            }
            most_dots = dots > most_dots ? dots : most_dots;
        }
    }
    if (n > UINT32_MAX / 2 || exact_items + prefix_items > UINT32_MAX / 4) {
        pyaudit_error_nomemory();
        return NULL;
    }
    pyaudit_table *t = calloc(1, sizeof(pyaudit_table));
    if (t == NULL) {
        pyaudit_error_nomemory();
        return NULL;
    }
    t->refcnt = 1;
    t->generation = PYAUDIT_ADD_RELAXED(last_generation, 1) + 1;
    compiler c = {.table = t, .subs = subs, .n = n};
    int ok = pyaudit_map_init(&t->exact, exact_items) == 0
             && pyaudit_map_init(&t->prefix, prefix_items) == 0;
    if (ok) {
        size_t entries = exact_items + prefix_items;
        c.entries = malloc((entries ? entries : 1) * sizeof(entry));
        c.exact_entries = calloc((size_t)t->exact.mask + 1,
                                 sizeof(key_entries));
        c.prefix_entries = calloc((size_t)t->prefix.mask + 1,
                                  sizeof(key_entries));
        c.star = malloc((n ? n : 1) * sizeof(uint32_t));
        c.never = calloc(n ? n : 1, 1);
        c.included = calloc(n ? n : 1, sizeof(uint32_t));
        c.excluded = calloc(n ? n : 1, sizeof(uint32_t));
        c.candidates = malloc((n ? n : 1) * sizeof(uint32_t));
        c.sources = malloc((most_dots + 2) * sizeof(key_entries *));
        ok = c.entries != NULL && c.exact_entries != NULL
             && c.prefix_entries != NULL && c.star != NULL
             && c.never != NULL && c.included != NULL && c.excluded != NULL
             && c.candidates != NULL && c.sources != NULL;
        if (!ok) {
            pyaudit_error_nomemory();
        }
    }
    /* The maps were sized for every item: filing never grows them, so the
     * entry arrays stay parallel to their slots. */
    ok = ok && file_items(&c) == 0 && make_lists(&c) == 0;
    free(c.entries);
    free(c.exact_entries);
    free(c.prefix_entries);
    free(c.star);
    free(c.never);
    free(c.included);
    free(c.excluded);
    free(c.candidates);
    free(c.sources);
    if (!ok) {
        pyaudit_error_nomemory();       /* every failure here is one */
        pyaudit_table_decref(t);
        return NULL;
    }
    return t;
}

const pyaudit_targets *
pyaudit_table_prefix_at(const pyaudit_table *t, const char *name,
                        size_t plen, uint64_t state, uint64_t block,
                        const pyaudit_targets *best)
{
    uint32_t hash = pyaudit_hash_finish(pyaudit_hash_mix(state, block),
                                        plen);
    const pyaudit_map_slot *slot = pyaudit_map_find(&t->prefix, name, plen,
                                                    hash);
    return slot != NULL ? slot->value : best;
}

const pyaudit_targets *
pyaudit_table_short_prefix(const pyaudit_table *t, uint64_t block,
                           uint64_t dots, const pyaudit_targets *best)
{
    for (; dots != 0; dots &= dots - 1) {
        uint64_t dot = dots & (0 - dots);   /* top bit of its byte */
        const pyaudit_block_slot *slot = pyaudit_block_find(
            &t->short_prefix, block & ((dot << 1) - 1));
        if (slot != NULL) {
            best = slot->targets;
        }
    }
    return best;
}

const pyaudit_targets *
pyaudit_table_lookup_bytes(const pyaudit_table *t, const char *name,
                           uint32_t *hash_out, size_t *len_out)
{
    const pyaudit_targets *best = t->default_targets;
    size_t len = strlen(name);
    for (size_t i = 0; i < len; i++) {      /* longer prefixes win */
        if (name[i] == '.') {
            const pyaudit_map_slot *slot = pyaudit_map_find(
                &t->prefix, name, i + 1, pyaudit_hash(name, i + 1));
            if (slot != NULL) {
                best = slot->value;
            }
        }
    }
    uint32_t hash = pyaudit_hash(name, len);
    const pyaudit_map_slot *slot = pyaudit_map_find(&t->exact, name, len,
                                                    hash);
    *hash_out = hash;
    *len_out = len;
    return slot != NULL ? slot->value : best;
}

static void
table_free(pyaudit_table *t)
{
    pyaudit_map_free(&t->exact);
    pyaudit_map_free(&t->prefix);
    free(t->short_exact.slots);
    free(t->short_prefix.slots);
    arena_free(t->arena);
    pyaudit_sub *sub = t->retired;
    while (sub != NULL) {
        pyaudit_sub *next = sub->retired_next;
        pyaudit_sub_decref(sub);
        sub = next;
    }
    pyaudit_table *successor = t->successor;
    free(t);
    if (successor != NULL) {
        pyaudit_table_decref(successor);
    }
}

void
pyaudit_table_decref(pyaudit_table *table)
{
    /* Iterative along the successor chain is not needed: each table
     * holds at most one successor, released after it is freed. */
    if (PYAUDIT_SUB_ACQ_REL(table->refcnt, 1) == 0) {
        table_free(table);
    }
}
