/* table.c: compiling subscriptions into a lookup table (see table.h). */
#include "table.h"
#include "sub.h"

#include <stdlib.h>

static pyaudit_slot empty_slot;     /* key NULL: every probe misses */

pyaudit_table pyaudit_empty_table = {
    .fast_reject = 1,
    .min_prefix_length = SIZE_MAX,
    .exact = &empty_slot,
    .prefix = &empty_slot,
    .refcnt = 2,    /* the core's, and one never dropped: it is static */
};


static uint32_t
slots_for(size_t keys)
{
    uint32_t size = 1;
    while (size < keys * 2) {
        size *= 2;
    }
    return size;
}

/* Insert key unless it is there already.  The table has room. */
static pyaudit_slot *
insert_key(pyaudit_slot *slots, uint32_t mask, const char *key, size_t len)
{
    uint32_t hash = pyaudit_hash(key, len);
    uint32_t i = hash & mask;
    while (slots[i].key != NULL) {
        if (slots[i].hash == hash && slots[i].len == len
            && pyaudit_bytes_equal(slots[i].key, key, len)) {
            return NULL;
        }
        i = (i + 1) & mask;
    }
    slots[i].key = key;
    slots[i].hash = hash;
    slots[i].len = (uint32_t)len;
    return &slots[i];
}

/* Make the target list for one key: every sub whose patterns match key as
 * mode says, in the given order.  NULL (with *failed unset) when none. */
static const pyaudit_targets *
targets_for(pyaudit_table *t, const char *key, size_t len,
            pyaudit_match_mode mode, int *failed)
{
    pyaudit_targets *list = NULL;
    size_t count = 0;
    for (size_t i = 0; i < t->nsubs; i++) {
        pyaudit_sub *sub = t->subs[i];
        if (!pyaudit_patterns_match(&sub->patterns, key, len, mode)) {
            continue;
        }
        if (list == NULL) {
            list = malloc(sizeof(pyaudit_targets)
                          + (t->nsubs - 1) * sizeof(pyaudit_target));
            if (list == NULL) {
                *failed = 1;
                return NULL;
            }
            t->lists[t->nlists++] = list;
        }
        pyaudit_target *target = &list->targets[count++];
        target->sub = sub;
        target->count_cell = NULL;
        target->name = NULL;
        if (sub->kind == PYAUDIT_KIND_COUNT && mode == PYAUDIT_AS_NAME) {
            target->count_cell = pyaudit_counts_cell(
                sub->counts, key, len, pyaudit_hash(key, len));
            if (target->count_cell == NULL) {
                *failed = 1;
            }
        }
    }
    if (list != NULL) {
        list->count = count;
        list->exact = mode == PYAUDIT_AS_NAME;
        list->count_only = 1;
        list->no_python = 1;
        for (size_t i = 0; i < count; i++) {
            pyaudit_kind kind = list->targets[i].sub->kind;
            /* A sub with where= rules goes through dispatch: its rules
             * may run Python code (__fspath__). */
            int no_rules = list->targets[i].sub->rules == NULL;
            list->count_only &= list->targets[i].count_cell != NULL
                                && no_rules;
            list->no_python &= (kind == PYAUDIT_KIND_COUNT
                                || kind == PYAUDIT_KIND_RECORD) && no_rules;
        }
    }
    return list;
}

/* Keep prefix_lengths sorted and distinct.  It has room for every key. */
static void
add_prefix_length(pyaudit_table *t, size_t len)
{
    size_t i = 0;
    while (i < t->nprefix_lengths && t->prefix_lengths[i] < len) {
        i++;
    }
    if (i < t->nprefix_lengths && t->prefix_lengths[i] == len) {
        return;
    }
    memmove(&t->prefix_lengths[i + 1], &t->prefix_lengths[i],
            (t->nprefix_lengths - i) * sizeof(size_t));
    t->prefix_lengths[i] = len;
    t->nprefix_lengths++;
}

static void
mark_first_two(pyaudit_table *t, const char *key, size_t len)
{
    unsigned char c0 = len > 0 ? (unsigned char)key[0] : 0;
    unsigned char c1 = len > 1 ? (unsigned char)key[1] : 0;
    t->first_two[c0] |= (uint64_t)1 << (c1 & 63);
}

pyaudit_table *
pyaudit_table_compile(pyaudit_sub *const *subs, size_t n)
{
    size_t exact_keys = 0, prefix_keys = 0;
    for (size_t i = 0; i < n; i++) {
        const pyaudit_patterns *p = &subs[i]->patterns;
        for (size_t j = 0; j < p->count; j++) {
            exact_keys += p->items[j].kind == PYAUDIT_MATCH_EXACT;
            prefix_keys += p->items[j].kind == PYAUDIT_MATCH_PREFIX;
        }
    }
    if (exact_keys > UINT32_MAX / 4 || prefix_keys > UINT32_MAX / 4) {
        return NULL;
    }
    pyaudit_table *t = calloc(1, sizeof(pyaudit_table));
    if (t == NULL) {
        return NULL;
    }
    t->refcnt = 1;
    uint32_t exact_size = slots_for(exact_keys);
    uint32_t prefix_size = slots_for(prefix_keys);
    t->exact = calloc(exact_size, sizeof(pyaudit_slot));
    t->prefix = calloc(prefix_size, sizeof(pyaudit_slot));
    t->subs = malloc((n ? n : 1) * sizeof(pyaudit_sub *));
    t->prefix_lengths = malloc((prefix_keys ? prefix_keys : 1)
                               * sizeof(size_t));
    t->lists = malloc((exact_keys + prefix_keys + 1)
                      * sizeof(pyaudit_targets *));
    if (t->exact == NULL || t->prefix == NULL || t->subs == NULL
        || t->lists == NULL || t->prefix_lengths == NULL) {
        pyaudit_table_decref(t);
        return NULL;
    }
    t->exact_mask = exact_size - 1;
    t->prefix_mask = prefix_size - 1;
    for (size_t i = 0; i < n; i++) {
        pyaudit_sub_incref(subs[i]);
        t->subs[t->nsubs++] = subs[i];
    }

    int failed = 0;
    for (size_t i = 0; i < n; i++) {
        const pyaudit_patterns *p = &subs[i]->patterns;
        for (size_t j = 0; j < p->count; j++) {
            const pyaudit_pattern *item = &p->items[j];
            pyaudit_slot *slot;
            pyaudit_match_mode mode;
            if (item->kind == PYAUDIT_MATCH_EXACT) {
                slot = insert_key(t->exact, t->exact_mask, item->text,
                                  item->len);
                mode = PYAUDIT_AS_NAME;
            }
            else if (item->kind == PYAUDIT_MATCH_PREFIX) {
                slot = insert_key(t->prefix, t->prefix_mask, item->text,
                                  item->len);
                mode = PYAUDIT_AS_PREFIX_CLASS;
                if (slot != NULL) {
                    add_prefix_length(t, item->len);
                }
            }
            else {
                continue;
            }
            if (slot == NULL) {
                continue;       /* the key is there already */
            }
            slot->targets = targets_for(t, item->text, item->len, mode,
                                        &failed);
            if (slot->targets != NULL) {
                mark_first_two(t, item->text, item->len);
            }
        }
    }
    t->min_prefix_length = t->nprefix_lengths ? t->prefix_lengths[0]
                                              : SIZE_MAX;
    t->default_targets = targets_for(t, "", 0, PYAUDIT_AS_PREFIX_CLASS,
                                     &failed);
    t->fast_reject = t->default_targets == NULL;
    if (failed) {
        pyaudit_table_decref(t);
        return NULL;
    }
    return t;
}

const pyaudit_targets *
pyaudit_table_prefix_lookup(const pyaudit_table *t, const char *name,
                            size_t len, const pyaudit_targets *best)
{
    /* Longer prefixes are tried later and so win. */
    for (size_t i = 0; i < t->nprefix_lengths; i++) {
        size_t plen = t->prefix_lengths[i];
        if (plen > len) {
            break;
        }
        if (name[plen - 1] == '.') {
            const pyaudit_slot *slot = pyaudit_table_find(
                t->prefix, t->prefix_mask, pyaudit_hash(name, plen), name,
                plen);
            if (slot != NULL) {
                best = slot->targets;
            }
        }
    }
    return best;
}

void
pyaudit_table_free(pyaudit_table *t)
{
    for (size_t i = 0; i < t->nlists; i++) {
        free(t->lists[i]);
    }
    free(t->lists);
    for (size_t i = 0; i < t->nsubs; i++) {
        pyaudit_sub_decref(t->subs[i]);
    }
    free(t->subs);
    free(t->exact);
    free(t->prefix);
    free(t->prefix_lengths);
    free(t);
}
