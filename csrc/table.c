/* table.c: compiling subscriptions into a lookup table (see table.h).
 *
 * Compiling is linear in the patterns and in the target lists it makes:
 * each pattern item is filed under its key once (who includes, who
 * excludes), then each key's list is merged from its own entries, those
 * of the prefix keys it starts with and those of "*".  Ten thousand
 * subscriptions compile in about a millisecond.
 *
 * Updating (pyaudit_table_update) adds or takes out one subscription
 * without compiling the others: it copies the current table's maps and
 * makes new lists only for the keys that subscription names or starts,
 * sharing the rest through the store; a new key gets the list the current
 * table gives its name, with the subscription put in.
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

/* The last generation given to a compiled or updated table (atomic:
 * tables of pyaudit.Filter objects are compiled under their own
 * interpreter's GIL only). */
static uint64_t last_generation;

/* A generation for a new table, compiled or updated: one of its own, so
 * that no thread's memo of another table (table.h) answers for it. */
static uint64_t
new_generation(void)
{
    return PYAUDIT_ADD_RELAXED(last_generation, 1) + 1;
}

pyaudit_table pyaudit_empty_table = {
    .fast_reject = 1,
    .exact = {&empty_slot, 0, 0},
    .prefix = {&empty_slot, 0, 0},
    .short_exact = {&empty_block_slot, 0, 64},
    .short_prefix = {&empty_block_slot, 0, 64},
    .refcnt = 2,    /* the core's, and one never dropped: it is static */
};

/* ---- the store that holds a table's target lists and keys -------------- */

/* A store is a chain of arena blocks.  A fully compiled table has a store
 * of its own; a table updated from another (pyaudit_table_update) has a
 * new, small store whose parent is the other table's: it shares every
 * list and key it did not make again.  Stores are reference counted
 * (atomically: the last table may be freed on any thread that ran the
 * hook); a store holds a reference on its parent. */

#define ARENA_BLOCK (64 * 1024)
#define UPDATE_BLOCK 1024

typedef struct pyaudit_arena {
    struct pyaudit_arena *next;
    size_t used;
    size_t size;
    _Alignas(16) char data[];
} pyaudit_arena;

struct pyaudit_store {
    long refcnt;                /* atomic */
    pyaudit_store *parent;      /* a reference, or NULL */
    pyaudit_arena *arena;       /* owned: the blocks */
    size_t block;               /* size of a new block */
};

static pyaudit_store *
store_new(pyaudit_store *parent, size_t block)
{
    pyaudit_store *store = calloc(1, sizeof(pyaudit_store));
    if (store == NULL) {
        return NULL;
    }
    store->refcnt = 1;
    store->block = block;
    store->parent = parent;
    if (parent != NULL) {
        PYAUDIT_ADD_RELAXED(parent->refcnt, 1);
    }
    return store;
}

static void
store_decref(pyaudit_store *store)
{
    /* Along the chain without recursion: it is as long as the updates
     * since the last full compile. */
    while (store != NULL && PYAUDIT_SUB_ACQ_REL(store->refcnt, 1) == 0) {
        pyaudit_store *parent = store->parent;
        pyaudit_arena *arena = store->arena;
        while (arena != NULL) {
            pyaudit_arena *next = arena->next;
            free(arena);
            arena = next;
        }
        free(store);
        store = parent;
    }
}

/* bytes from t's own store (never a parent's: those are shared). */
static void *
table_alloc(pyaudit_table *t, size_t bytes)
{
    bytes = (bytes + 15) & ~(size_t)15;
    pyaudit_store *store = t->store;
    pyaudit_arena *block = store->arena;
    if (block == NULL || block->size - block->used < bytes) {
        size_t size = bytes > store->block ? bytes : store->block;
        block = malloc(sizeof(pyaudit_arena) + size);
        if (block == NULL) {
            return NULL;
        }
        block->next = store->arena;
        block->used = 0;
        block->size = size;
        store->arena = block;
    }
    void *at = block->data + block->used;
    block->used += bytes;
    t->stored += bytes;
    return at;
}

/* A copy of a key's text in t's store (keys outlive the subs they came
 * from when tables are updated). */
static const char *
store_key(pyaudit_table *t, const char *text, size_t len)
{
    char *copy = table_alloc(t, len ? len : 1);
    if (copy != NULL && len != 0) {
        memcpy(copy, text, len);
    }
    return copy;
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
            if (added) {
                slot->key = store_key(t, item->text, item->len);
                if (slot->key == NULL) {
                    return -1;      /* the map is freed, never probed */
                }
            }
            c->table->items++;
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

/* The flags of a list whose targets are set (see table.h). */
static void
set_flags(pyaudit_targets *list, int exact)
{
    list->flags = PYAUDIT_TARGETS_COUNT_ONLY | PYAUDIT_TARGETS_NO_PYTHON
                  | PYAUDIT_TARGETS_ALL_RULES
                  | (exact ? PYAUDIT_TARGETS_EXACT : 0);
    for (size_t i = 0; i < list->count; i++) {
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
        if (sub->scope != NULL) {
            list->flags |= PYAUDIT_TARGETS_SCOPED;
        }
    }
    const pyaudit_target *only = &list->targets[0];
    const pyaudit_sub *first = only->sub;
    if (list->count == 1 && first->kind == PYAUDIT_KIND_WATCH
        && plain(first) && first->audience == PYAUDIT_AUDIENCE_OWN) {
        list->flags |= PYAUDIT_TARGETS_ONE_WATCH;
    }
    if (list->count == 1 && first->rules != NULL && only->roles_known
        && only->roles != NULL && !only->roles->writes
        && (only->roles->open_mode >= 0 || only->roles->open_flags >= 0)
        && pyaudit_rules_want_writes_only(first->rules)) {
        list->flags |= PYAUDIT_TARGETS_ONE_WRITE_GUARD;
    }
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
    pyaudit_targets *list = table_alloc(
        c->table, offsetof(pyaudit_targets, targets)
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
    set_flags(list, exact_key != NULL);
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
    t->store = store_new(NULL, ARENA_BLOCK);
    t->generation = new_generation();
    compiler c = {.table = t, .subs = subs, .n = n};
    int ok = t->store != NULL
             && pyaudit_map_init(&t->exact, exact_items) == 0
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

/* ---- updating --------------------------------------------------------- */

/* An update applies while the tables since the last full compile stay
 * small: at most this many in a row, with garbage (lists replaced) no
 * more than the lists in use, and keys no more than twice the items
 * (keys whose last item went stay, with the list a full compile would
 * give them).  So memory stays linear in the patterns, and a full
 * compile comes at most once per that many updates. */
#define UPDATE_MAX_DEPTH 256
#define UPDATE_MAX_ITEMS 64
#define UPDATE_MAX_PREFIXES 8

static uint32_t
item_hash(pyaudit_pattern *item)
{
    if (!item->hashed) {
        /* Only the configuration lock's holder writes this. */
        item->hash = pyaudit_hash(item->text, item->len);
        item->hashed = 1;
    }
    return item->hash;
}

/* Whether an update can add or remove sub: a few exact and prefix items,
 * none of them excluded ("*", "!*" and exclusions change lists a key
 * at a time does not find). */
static int
updatable(const pyaudit_sub *sub)
{
    const pyaudit_patterns *p = &sub->patterns;
    size_t prefixes = 0;
    if (p->count == 0 || p->count > UPDATE_MAX_ITEMS) {
        return 0;
    }
    for (size_t j = 0; j < p->count; j++) {
        const pyaudit_pattern *item = &p->items[j];
        if (item->kind == PYAUDIT_MATCH_ALL || item->excluded) {
            return 0;
        }
        prefixes += item->kind == PYAUDIT_MATCH_PREFIX;
    }
    return prefixes <= UPDATE_MAX_PREFIXES;
}

/* The list old gives a name (len bytes) that is no key of its: that of
 * its longest prefix key, or the default.  For a new exact key it is
 * what merge() would make from the prefix keys it starts with and "*";
 * for a new prefix key, likewise without its own entries. */
static const pyaudit_targets *
fallback_list(const pyaudit_table *old, const char *name, size_t len)
{
    const pyaudit_targets *best = old->default_targets;
    if (old->prefix.used == 0) {
        return best;
    }
    for (size_t i = 0; i < len; i++) {
        if (name[i] == '.') {
            const pyaudit_map_slot *slot = pyaudit_map_find(
                &old->prefix, name, i + 1, pyaudit_hash(name, i + 1));
            if (slot != NULL) {
                best = slot->value;
            }
        }
    }
    return best;
}

/* What an exact key's target needs that a prefix list's lacks: the count
 * cell of that name, the catalog roles. */
static int
fill_exact(pyaudit_target *target, const pyaudit_map_slot *key)
{
    pyaudit_sub *sub = target->sub;
    if (sub->rules != NULL && !target->roles_known) {
        target->roles = pyaudit_roles_find(key->key, key->len);
        target->roles_known = 1;
    }
    if (sub->kind == PYAUDIT_KIND_COUNT && target->count_cell == NULL) {
        target->count_cell = pyaudit_counts_cell(sub->counts, key->key,
                                                 key->len, key->hash);
        if (target->count_cell == NULL) {
            return -1;
        }
    }
    return 0;
}

static size_t
list_bytes(const pyaudit_targets *list)
{
    size_t bytes = offsetof(pyaudit_targets, targets)
                   + list->count * sizeof(pyaudit_target);
    return (bytes + 15) & ~(size_t)15;
}

/* Give key (a slot of t's maps) a new list with sub added (as the last of
 * its kind: delivery order) or taken out; nothing if it already is or is
 * not there.  fresh: the key is new, its list borrowed from the old
 * table's fallback (not garbage when replaced).  *short_key is set when
 * the key is in a block map. */
static int
revise(pyaudit_table *t, pyaudit_map_slot *key, pyaudit_sub *sub,
       int adding, int exact, int fresh, int *short_key)
{
    const pyaudit_targets *from = key->value;
    uint32_t n = from != NULL ? from->count : 0;
    uint32_t at = n;
    for (uint32_t i = 0; i < n; i++) {
        if (from->targets[i].sub == sub) {
            at = i;
            break;
        }
    }
    int present = at < n;
    if (adding == present) {
        return 0;
    }
    if (adding) {
        at = 0;
        while (at < n && from->targets[at].sub->kind <= sub->kind) {
            at++;
        }
    }
    size_t count = adding ? (size_t)n + 1 : (size_t)n - 1;
    pyaudit_targets *list = NULL;
    if (count > 0) {
        list = table_alloc(t, offsetof(pyaudit_targets, targets)
                              + count * sizeof(pyaudit_target));
        if (list == NULL) {
            return -1;
        }
        if (at > 0) {
            memcpy(list->targets, from->targets, at * sizeof(pyaudit_target));
        }
        size_t rest = adding ? n - at : n - at - 1;
        if (rest > 0) {
            memcpy(&list->targets[adding ? at + 1 : at],
                   &from->targets[adding ? at : at + 1],
                   rest * sizeof(pyaudit_target));
        }
        if (adding) {
            pyaudit_target *target = &list->targets[at];
            target->sub = sub;
            target->count_cell = NULL;
            target->roles = NULL;
            target->roles_known = 0;
        }
        list->count = (uint32_t)count;
        if (exact) {
            for (size_t i = 0; i < count; i++) {
                if (fill_exact(&list->targets[i], key) < 0) {
                    return -1;
                }
            }
        }
        set_flags(list, exact);
        mark_filters(t, key->key, key->len, !exact);
    }
    if (from != NULL && !fresh) {
        t->garbage += list_bytes(from);
    }
    key->value = list;
    if (key->len <= 8) {
        *short_key = 1;
    }
    return 0;
}

static int
block_map_copy(pyaudit_block_map *out, const pyaudit_block_map *from)
{
    size_t bytes = ((size_t)from->mask + 1) * sizeof(pyaudit_block_slot);
    out->slots = malloc(bytes);
    if (out->slots == NULL) {
        return -1;
    }
    memcpy(out->slots, from->slots, bytes);
    out->mask = from->mask;
    out->shift = from->shift;
    return 0;
}

/* Revise every key sub's items name or start (see revise). */
static int
revise_all(pyaudit_table *t, pyaudit_sub *sub, int adding,
           pyaudit_map_slot **fresh, size_t nfresh, int *short_key)
{
    const pyaudit_patterns *p = &sub->patterns;
    for (size_t j = 0; j < p->count; j++) {
        pyaudit_pattern *item = &p->items[j];
        if (item->kind == PYAUDIT_MATCH_EXACT) {
            const pyaudit_map_slot *found = pyaudit_map_find(
                &t->exact, item->text, item->len, item_hash(item));
            if (found == NULL) {
                return -1;      /* not filed: compile afresh */
            }
            pyaudit_map_slot *key = &t->exact.slots[found - t->exact.slots];
            int is_fresh = 0;
            for (size_t f = 0; f < nfresh; f++) {
                is_fresh |= fresh[f] == key;
            }
            if (revise(t, key, sub, adding, 1, is_fresh, short_key) < 0) {
                return -1;
            }
            continue;
        }
        /* A prefix: every key that starts with it, itself included. */
        for (int exact = 1; exact >= 0; exact--) {
            pyaudit_map *map = exact ? &t->exact : &t->prefix;
            for (uint32_t i = 0; i <= map->mask && map->used != 0; i++) {
                pyaudit_map_slot *key = &map->slots[i];
                if (key->key == NULL || key->len < item->len
                    || key->key[0] != item->text[0]
                    || memcmp(key->key, item->text, item->len) != 0) {
                    continue;
                }
                int is_fresh = 0;
                for (size_t f = 0; f < nfresh; f++) {
                    is_fresh |= fresh[f] == key;
                }
                if (revise(t, key, sub, adding, exact, is_fresh,
                           short_key) < 0) {
                    return -1;
                }
            }
        }
    }
    return 0;
}

pyaudit_table *
pyaudit_table_update(const pyaudit_table *old, pyaudit_sub *sub,
                     int adding)
{
    const pyaudit_patterns *p = &sub->patterns;
    /* A current table with retired subs failed to be replaced when they
     * closed (core.c): it still lists them, and they go with it. */
    if (old == &pyaudit_empty_table || old->store == NULL
        || old->retired != NULL || !updatable(sub) || old->depth >= UPDATE_MAX_DEPTH
        || old->garbage > old->stored - old->garbage + ARENA_BLOCK
        || (!adding && old->items < p->count)) {
        return NULL;
    }
    size_t items = adding ? old->items + p->count : old->items - p->count;
    if ((size_t)old->exact.used + old->prefix.used
        > 2 * items + UPDATE_MAX_ITEMS) {
        return NULL;            /* too many keys without items */
    }
    pyaudit_table *t = malloc(sizeof(pyaudit_table));
    if (t == NULL) {
        pyaudit_error_nomemory();
        return NULL;
    }
    /* The filters, the default and the flags as they were; what t owns
     * is made below (each set first so that a failure can free t). */
    memcpy(t, old, sizeof(pyaudit_table));
    t->refcnt = 1;
    t->generation = new_generation();     /* the memcpy gave it old's */
    t->successor = NULL;
    t->retired = NULL;
    t->short_exact.slots = NULL;
    t->short_prefix.slots = NULL;
    (void)pyaudit_map_init(&t->exact, 0);
    (void)pyaudit_map_init(&t->prefix, 0);
    t->items = items;
    t->depth = old->depth + 1;
    t->store = store_new(old->store, UPDATE_BLOCK);
    pyaudit_map_slot *fresh[UPDATE_MAX_ITEMS];
    size_t nfresh = 0;
    int short_key = 0;
    int ok = t->store != NULL
             && pyaudit_map_copy(&t->exact, &old->exact,
                                 adding ? p->count : 0) == 0
             && pyaudit_map_copy(&t->prefix, &old->prefix,
                                 adding ? p->count : 0) == 0;
    /* Adding: file the keys that are new, with the list old gives them
     * (borrowed until revised). */
    for (size_t j = 0; ok && adding && j < p->count; j++) {
        pyaudit_pattern *item = &p->items[j];
        int exact = item->kind == PYAUDIT_MATCH_EXACT;
        pyaudit_map *map = exact ? &t->exact : &t->prefix;
        uint32_t hash = item_hash(item);
        if (pyaudit_map_find(map, item->text, item->len, hash) != NULL) {
            continue;
        }
        const char *text = store_key(t, item->text, item->len);
        int added;
        pyaudit_map_slot *key = text == NULL ? NULL : pyaudit_map_put(
            map, text, item->len, hash, &added);
        if (key == NULL) {
            ok = 0;
            break;
        }
        key->value = (void *)fallback_list(old, item->text, item->len);
        fresh[nfresh++] = key;
        if (!exact) {
            if (item->len <= 64) {      /* the '.' is byte len - 1 */
                size_t dot = item->len - 1;
                t->prefix_dots[dot >> 3] |= (uint64_t)0x80 << (8 * (dot & 7));
            }
            else {
                t->long_prefixes = 1;
            }
        }
    }
    ok = ok && revise_all(t, sub, adding, fresh, nfresh, &short_key) == 0;
    if (ok && short_key) {
        ok = make_block_map(&t->short_exact, &t->exact, 7) == 0
             && make_block_map(&t->short_prefix, &t->prefix, 8) == 0;
    }
    else if (ok) {
        ok = block_map_copy(&t->short_exact, &old->short_exact) == 0
             && block_map_copy(&t->short_prefix, &old->short_prefix) == 0;
    }
    if (!ok) {
        pyaudit_error_nomemory();
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
    store_decref(t->store);
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
