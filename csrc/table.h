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
 * A lookup reads the name once, 8 bytes at a time, finding its end and
 * its dots and hashing it as it goes; it probes the prefix map only at a
 * '.' where some prefix key is that long, then the exact map.  When no
 * subscription has "*", a bitmap of every wanted key's first two bytes
 * rejects most misses after reading two bytes.
 *
 * Lifetime: the core holds one reference on the current table, and a hook
 * call that delivers outside its reader section (sync.h) holds one while
 * it does.  The table does not own its subscriptions: the core's live
 * list does.  When a subscription is closed, the live list's reference
 * moves to the retired list of the table it was last current in, and each
 * table holds a reference on the table that replaced it, so a table (and
 * every subscription and key it points at) outlives every older table.
 * Target lists and keys' text live in the table's store, which a table
 * updated from it shares (pyaudit_table_update; table.c): an updated table
 * lists no closed subscription, since every list that held one is made
 * anew without it.
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
    const struct pyaudit_event_roles_s *roles;  /* static: for a sub with
                                   rules under an exact key, the catalog
                                   roles of that name (NULL: unknown) */
    int roles_known;            /* roles was looked up */
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
#define PYAUDIT_TARGETS_ALL_RULES 8     /* every target has rules, so most
                                           hits deliver nothing */
#define PYAUDIT_TARGETS_SCOPED 16       /* some target has a scope */
#define PYAUDIT_TARGETS_ONE_WATCH 32    /* one target: a watch of its own
                                           interpreter without rules */
#define PYAUDIT_TARGETS_ONE_WRITE_GUARD 64  /* one target, whose rules
                                           hold only for writes, under an
                                           exact key whose roles say where
                                           open()'s mode or flags are */

typedef struct {
    uint32_t count;             /* at least 1: empty lists are NULL */
    uint32_t flags;
    pyaudit_target targets[1];  /* count of them, in delivery order */
} pyaudit_targets;

typedef struct pyaudit_store pyaudit_store;

/* A name of at most 7 bytes is its first 8-byte block (the bytes after its
 * end zero): maps of such keys compare one word, with no hash to finish
 * and no bytes to compare.  An empty block never is a key. */
typedef struct {
    uint64_t block;             /* 0 if the slot is free */
    const pyaudit_targets *targets;     /* borrowed from the table */
} pyaudit_block_slot;

typedef struct {
    pyaudit_block_slot *slots;  /* owned, mask + 1 of them */
    uint32_t mask;
    uint32_t shift;             /* 64 - log2(mask + 1) */
} pyaudit_block_map;

#define PYAUDIT_BLOCK_MULTIPLIER 0xA24BAED4963EE407ull
#define PYAUDIT_BLOOM_BITS 4096

typedef struct pyaudit_table {
    uint64_t first_two[256];    /* bit (c1 & 63) of [c0]: some wanted key
                                   starts with c0 c1 */
    int fast_reject;            /* first_two may be used (no default) */
    const pyaudit_targets *default_targets;
    pyaudit_map exact;          /* name -> targets; keys borrowed from the
                                   subs' patterns */
    pyaudit_map prefix;         /* "os." -> targets; likewise */
    uint64_t prefix_dots[8];    /* [k]: top bit of byte j set when some
                                   prefix key is 8k + j + 1 bytes long */
    int long_prefixes;          /* some prefix key is over 64 bytes long */
    /* The second filter, on a name's first block (fast_reject only): a
     * Bloom filter of the first 8 bytes (or fewer: the whole key) of every
     * exact key and every prefix key longer than 8 bytes; prefix keys of
     * up to 8 bytes are looked up in short_prefix at the name's dots. */
    uint64_t bloom[PYAUDIT_BLOOM_BITS / 64];
    pyaudit_block_map short_exact;      /* exact keys of up to 7 bytes */
    pyaudit_block_map short_prefix;     /* prefix keys of up to 8 bytes */
    long refcnt;                /* atomic */
    struct pyaudit_table *successor;    /* a reference: the table published
                                           after this one, or NULL */
    pyaudit_sub *retired;       /* references: subs closed while this
                                   table was current */
    pyaudit_store *store;       /* a reference: the target lists and the
                                   keys' text, shared with the tables
                                   updated from this one (table.c) */
    /* For pyaudit_table_update: when to compile afresh instead. */
    size_t items;               /* exact and prefix items of the subs */
    size_t depth;               /* updates since the last full compile */
    size_t stored;              /* bytes in the store and its parents */
    size_t garbage;             /* of them, lists no longer used */
    uint64_t generation;        /* unique to this table among every table
                                   compiled or updated in the process (0:
                                   the empty one); keys the memos below */
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

/* The table old with one subscription added (adding: sub is the newest
 * of its kind, already live) or taken out (sub no longer live), made
 * without compiling the others: old's maps are copied, only the target
 * lists sub is in (or joins) are made again, and the rest are shared
 * with old through its store.  old is not changed.  NULL (error set or
 * not) when an update does not apply: the caller compiles afresh. */
pyaudit_table *pyaudit_table_update(const pyaudit_table *old,
                                    pyaudit_sub *sub, int adding);

/* Drop a reference; the last one frees the table, the subs it retired and
 * its reference on its successor (any thread). */
void pyaudit_table_decref(pyaudit_table *table);


/* ---- the lookup ---------------------------------------------------------- */

#define PYAUDIT_LOW7 0x7f7f7f7f7f7f7f7full
#define PYAUDIT_DOTS 0x2e2e2e2e2e2e2e2eull

/* One bit (the top one) for each zero byte of v, exactly. */
static inline uint64_t
pyaudit_zero_bytes(uint64_t v)
{
    return ~(((v & PYAUDIT_LOW7) + PYAUDIT_LOW7) | v | PYAUDIT_LOW7);
}

/* The 8-byte block of a NUL-terminated name at p, read as one word unless
 * that would cross into the next page (then byte by byte, stopping at the
 * NUL): bytes past the name's end are read but never used.  Built with
 * PYAUDIT_BYTEWISE_LOADS (setup.py: PYAUDIT_MEMCHECK=1), always byte by
 * byte: valgrind cannot follow that the masked-off bytes never matter. */
static inline PYAUDIT_NO_SANITIZE_ADDRESS uint64_t
pyaudit_load_block(const char *p)
{
#ifndef PYAUDIT_BYTEWISE_LOADS
    if (PYAUDIT_LIKELY(((uintptr_t)p & 4095) <= 4096 - 8)) {
        uint64_t block;
        memcpy(&block, p, 8);   /* here, not a helper: not sanitized */
        return block;
    }
#endif
    uint64_t block = 0;
    for (size_t i = 0; i < 8 && p[i] != '\0'; i++) {
        block |= (uint64_t)(unsigned char)p[i] << (8 * i);
    }
    return block;
}

/* The bytes of a block before its first NUL (given its zero_bytes). */
static inline uint64_t
pyaudit_before_end(uint64_t block, uint64_t zeros)
{
    return zeros ? block & ((zeros & (0 - zeros)) - 1) : block;
}

static inline unsigned
pyaudit_bloom_bit(uint64_t block)
{
    return (unsigned)((block * PYAUDIT_BLOCK_MULTIPLIER) >> 52);
}

static inline const pyaudit_block_slot *
pyaudit_block_find(const pyaudit_block_map *map, uint64_t block)
{
    uint32_t i = (uint32_t)((block * PYAUDIT_BLOCK_MULTIPLIER) >> map->shift);
    for (;;) {
        const pyaudit_block_slot *slot = &map->slots[i];
        if (slot->block == block) {
            return slot;
        }
        if (slot->block == 0) {
            return NULL;
        }
        i = (i + 1) & map->mask;
    }
}

/* The best prefix target list for a dot found at plen - 1, where state
 * holds the blocks before the one the dot is in, block the bytes of that
 * one up to the dot (out of line: names rarely have a dot where a prefix
 * key ends). */
const pyaudit_targets *
pyaudit_table_prefix_at(const pyaudit_table *t, const char *name,
                        size_t plen, uint64_t state, uint64_t block,
                        const pyaudit_targets *best);

/* A lookup one byte at a time, for big-endian machines. */
const pyaudit_targets *
pyaudit_table_lookup_bytes(const pyaudit_table *t, const char *name,
                           uint32_t *hash_out, size_t *len_out);

/* The targets of the longest prefix key of up to 8 bytes that ends at one
 * of dots (the top bits of the '.' bytes of block where such keys end),
 * or best.  Out of line: the hook's common paths then need no frame. */
const pyaudit_targets *
pyaudit_table_short_prefix(const pyaudit_table *t, uint64_t block,
                           uint64_t dots, const pyaudit_targets *best);

/* The second filter, for a name of 8 bytes or more (block: its first 8):
 * whether it can be a key or start with a prefix key. */
static inline int
pyaudit_table_may_hold(const pyaudit_table *t, uint64_t block)
{
    unsigned bit = pyaudit_bloom_bit(block);
    if ((t->bloom[bit >> 6] >> (bit & 63)) & 1) {
        return 1;
    }
    uint64_t dots = t->prefix_dots[0];
    if (dots != 0) {
        dots &= pyaudit_zero_bytes(block ^ PYAUDIT_DOTS);
        if (dots != 0) {
            return pyaudit_table_short_prefix(t, block, dots, NULL) != NULL;
        }
    }
    return 0;
}

/* The targets for a name of at most 7 bytes (first: its block, bytes
 * after its end zero), or NULL: its prefixes where a prefix key is that
 * long, then the name itself, each one word compared. */
static inline const pyaudit_targets *
pyaudit_table_lookup_short(const pyaudit_table *t, uint64_t first)
{
    const pyaudit_targets *best = t->default_targets;
    if (first == 0) {
        return best;            /* the empty name: no key is empty */
    }
    uint64_t dots = t->prefix_dots[0];
    if (dots != 0) {
        dots &= pyaudit_zero_bytes(first ^ PYAUDIT_DOTS);
        if (PYAUDIT_UNLIKELY(dots != 0)) {
            best = pyaudit_table_short_prefix(t, first, dots, best);
        }
    }
    const pyaudit_block_slot *slot = pyaudit_block_find(&t->short_exact,
                                                        first);
    return slot != NULL ? slot->targets : best;
}

/* The targets for a name of 8 bytes or more, or NULL on a miss; *hash_out
 * and *len_out receive the name's hash and length.  One pass over the
 * name, 8 bytes at a time, finds its end, hashes it and probes the prefix
 * map at each '.' where a prefix key of that length exists (longer
 * prefixes later, so they win); then the exact map. */
static inline PYAUDIT_NO_SANITIZE_ADDRESS const pyaudit_targets *
pyaudit_table_lookup_long(const pyaudit_table *t, const char *name,
                          uint32_t *hash_out, size_t *len_out)
{
    if (!PYAUDIT_LITTLE_ENDIAN) {
        return pyaudit_table_lookup_bytes(t, name, hash_out, len_out);
    }
    const pyaudit_targets *best = t->default_targets;
    uint64_t state = pyaudit_hash_seed;
    size_t at = 0;
    for (;;) {
        uint64_t block = pyaudit_load_block(name + at);
        uint64_t zeros = pyaudit_zero_bytes(block);
        block = pyaudit_before_end(block, zeros);
        uint64_t wanted = at < 64 ? t->prefix_dots[at >> 3]
                                  : t->long_prefixes ? ~0ull : 0;
        if (PYAUDIT_UNLIKELY(wanted != 0)) {
            uint64_t dots = pyaudit_zero_bytes(block ^ PYAUDIT_DOTS) & wanted;
            for (; dots != 0; dots &= dots - 1) {
                uint64_t dot = dots & (0 - dots);   /* top bit of its byte */
                best = pyaudit_table_prefix_at(
                    t, name, at + (PYAUDIT_CTZ64(dot) >> 3) + 1, state,
                    block & ((dot << 1) - 1), best);
            }
        }
        if (zeros != 0) {
            size_t n = PYAUDIT_CTZ64(zeros) >> 3;
            if (n != 0) {
                state = pyaudit_hash_mix(state, block);
            }
            at += n;
            break;
        }
        state = pyaudit_hash_mix(state, block);
        at += 8;
    }
    uint32_t hash = pyaudit_hash_finish(state, at);
    const pyaudit_map_slot *slot = pyaudit_map_find(&t->exact, name, at,
                                                    hash);
    if (slot != NULL) {
        best = slot->value;
    }
    *hash_out = hash;
    *len_out = at;
    return best;
}

/* Any name: the targets, or NULL on a miss, with its hash and length. */
static inline const pyaudit_targets *
pyaudit_table_lookup(const pyaudit_table *t, const char *name,
                     uint32_t *hash_out, size_t *len_out)
{
    uint64_t first = pyaudit_load_block(name);
    uint64_t zeros = pyaudit_zero_bytes(first);
    if (PYAUDIT_LITTLE_ENDIAN && zeros != 0) {
        *len_out = PYAUDIT_CTZ64(zeros) >> 3;
        first = pyaudit_before_end(first, zeros);
        *hash_out = pyaudit_hash_finish(
            *len_out ? pyaudit_hash_mix(pyaudit_hash_seed, first)
                     : pyaudit_hash_seed, *len_out);
        return pyaudit_table_lookup_short(t, first);
    }
    return pyaudit_table_lookup_long(t, name, hash_out, len_out);
}

/* ---- this thread's memos of recent answers ------------------------------- */

/* Each thread remembers the answers of its last few lookups of names of
 * up to 15 bytes, so that a name raised again (most names are string
 * literals at a stable address) is decided by comparing its bytes with a
 * memo rather than hashing it and probing the maps.  A memo is found by
 * the name's address but trusted only for the same bytes and the same
 * table: the address is a hint (a buffer reused for another name fails
 * the comparison), and a memo of an older table is ignored.  Thread-local
 * (written only by its own thread's hook calls), so the miss path still
 * writes no shared memory; the targets it holds belong to the table of
 * its generation, which the hook holds while it reads them. */
#define PYAUDIT_MEMO_BITS 3
#define PYAUDIT_MEMOS (1 << PYAUDIT_MEMO_BITS)
#define PYAUDIT_MEMO_MAX_LEN 15

typedef struct {
    uint64_t block0;            /* the name's bytes 0-7, zero after its end */
    uint64_t block1;            /* bytes 8-15 likewise (0: len < 8) */
    uint64_t mask;              /* the bytes of the name's last block to
                                   compare: the name's, then its NUL (the
                                   other block has no NUL: all compared) */
    uint64_t generation;        /* of the table that answered; 0: none */
    const pyaudit_targets *targets;     /* borrowed from that table; NULL:
                                           a miss */
    uint32_t hash;              /* the name's pyaudit_hash */
    uint32_t len;
} pyaudit_name_memo;

extern PYAUDIT_FAST_THREAD_LOCAL pyaudit_name_memo
    pyaudit_memos[PYAUDIT_MEMOS];

static inline pyaudit_name_memo *
pyaudit_memo_slot(const char *name)
{
    return &pyaudit_memos[((uintptr_t)name * PYAUDIT_BLOCK_MULTIPLIER)
                          >> (64 - PYAUDIT_MEMO_BITS)];
}

/* This thread's memo of name in the table of that generation, given the
 * name's first block as pyaudit_load_block reads it, or NULL (also,
 * rarely, for a name whose second block would cross a page: the lookup
 * then decides it).  Reads no table: a memo that is a miss needs none. */
static inline PYAUDIT_NO_SANITIZE_ADDRESS const pyaudit_name_memo *
pyaudit_recall(uint64_t generation, const char *name, uint64_t block)
{
    const pyaudit_name_memo *memo = pyaudit_memo_slot(name);
    PYAUDIT_KEEP(memo);
    if (memo->generation != generation) {
        return NULL;
    }
    if (memo->len < 8) {
        return (block & memo->mask) == memo->block0 ? memo : NULL;
    }
    /* A memo of 8 to 15 bytes whose first 8 the name has (none of them
     * NUL): its next block may be read, up to the page's end. */
    if (block != memo->block0) {
        return NULL;
    }
#ifndef PYAUDIT_BYTEWISE_LOADS
    if (PYAUDIT_UNLIKELY(((uintptr_t)name & 4095) > 4096 - 16)) {
        return NULL;
    }
    uint64_t next;
    memcpy(&next, name + 8, 8);     /* here: not sanitized (see above) */
#else
    uint64_t next = pyaudit_load_block(name + 8);
#endif
    return (next & memo->mask) == memo->block1 ? memo : NULL;
}

/* Remember table t's answer for a name of at most PYAUDIT_MEMO_MAX_LEN
 * bytes on this thread: block0 and block1 are its bytes 0-7 and 8-15,
 * zero after its end (block1 0 when len < 8); hash is used for names of
 * 8 bytes or more that are hits.  This thread's own memo: no other thread
 * reads or writes it, and no hook call of this thread runs meanwhile. */
static inline void
pyaudit_table_remember(const pyaudit_table *t, const char *name,
                       uint64_t block0, uint64_t block1, size_t len,
                       uint32_t hash, const pyaudit_targets *targets)
{
    pyaudit_name_memo *memo = pyaudit_memo_slot(name);
    size_t last = len & 7;      /* the bytes of its last block */
    memo->block0 = block0;
    memo->block1 = block1;
    memo->mask = last == 7 ? ~0ull : ((uint64_t)1 << (8 * (last + 1))) - 1;
    memo->len = (uint32_t)len;
    memo->hash = hash;
    memo->targets = targets;
    memo->generation = t->generation;
}

/* For a name of 8 bytes or more: its length if at most
 * PYAUDIT_MEMO_MAX_LEN, with its bytes 8-15 (zero after its end) in
 * *block1; otherwise 0. */
static inline PYAUDIT_NO_SANITIZE_ADDRESS size_t
pyaudit_memo_len(const char *name, uint64_t *block1)
{
    uint64_t next = pyaudit_load_block(name + 8);
    uint64_t zeros = pyaudit_zero_bytes(next);
    if (zeros == 0) {
        return 0;
    }
    *block1 = pyaudit_before_end(next, zeros);
    return 8 + (PYAUDIT_CTZ64(zeros) >> 3);
}

/* The first step of the hot path: whether name is a miss that its first
 * two bytes prove (only when the table has no default targets). */
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

#endif /* PYAUDIT_TABLE_H */
