/* bytes.h: hashing and comparing event names, inline for the hot path.
 *
 * Names are short (5 to 30 bytes), so a call to the C library's memcmp
 * costs more than the comparison itself; these helpers compare with
 * overlapping 8- or 4-byte loads that never read outside the buffers.
 */
#ifndef PYAUDIT_BYTES_H
#define PYAUDIT_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint64_t
pyaudit_load8(const char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static inline uint32_t
pyaudit_load4(const char *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

#define PYAUDIT_HASH_MULTIPLIER 0x9E3779B97F4A7C15ull

/* The per-process secret the hash starts from (sync.c).  Event names can
 * come from untrusted code (sys.audit) or from data, and the maps that
 * keep names (counts, the name cache) must not be flooded with names
 * chosen to collide: after the first block, how two names' states differ
 * depends on the secret, so colliding names cannot be made offline. */
extern uint64_t pyaudit_hash_seed;

/* The hash works on 8-byte blocks, the last one zero-padded, so that the
 * hook can compute it in the same pass that finds the name's length and
 * its dots (table.h), and a prefix's hash from the blocks before it. */
static inline uint64_t
pyaudit_hash_mix(uint64_t state, uint64_t block)
{
    return (state ^ block) * PYAUDIT_HASH_MULTIPLIER;
}

static inline uint32_t
pyaudit_hash_finish(uint64_t state, size_t len)
{
    state = (state ^ len) * PYAUDIT_HASH_MULTIPLIER;
    /* A multiply carries only upward, so the low bits have not seen the
     * high bits of any block: fold the high half down and multiply again,
     * then keep the high half, which every input bit has reached (the maps
     * index by the low bits of what this returns). */
    state ^= state >> 32;
    state *= PYAUDIT_HASH_MULTIPLIER;
    return (uint32_t)(state >> 32);
}

/* The first n (<= 8) bytes of p as a block, the rest zero. */
static inline uint64_t
pyaudit_load_partial(const char *p, size_t n)
{
    uint64_t block = 0;
    memcpy(&block, p, n);
    return block;
}

/* The hash of len bytes (any buffer; the hook's pass gives the same). */
static inline uint32_t
pyaudit_hash(const char *name, size_t len)
{
    uint64_t state = pyaudit_hash_seed;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        state = pyaudit_hash_mix(state, pyaudit_load8(name + i));
    }
    if (i < len) {
        state = pyaudit_hash_mix(state, pyaudit_load_partial(name + i,
                                                             len - i));
    }
    return pyaudit_hash_finish(state, len);
}

/* Whether a and b, both len bytes long, are equal. */
static inline int
pyaudit_bytes_equal(const char *a, const char *b, size_t len)
{
    if (len >= 8) {
        size_t i = 0;
        for (; i + 8 < len; i += 8) {
            if (pyaudit_load8(a + i) != pyaudit_load8(b + i)) {
                return 0;
            }
        }
        /* The last 8 bytes, overlapping what was compared already. */
        return pyaudit_load8(a + len - 8) == pyaudit_load8(b + len - 8);
    }
    if (len >= 4) {
        return pyaudit_load4(a) == pyaudit_load4(b)
               && pyaudit_load4(a + len - 4) == pyaudit_load4(b + len - 4);
    }
    for (size_t i = 0; i < len; i++) {
        if (a[i] != b[i]) {
            return 0;
        }
    }
    return 1;
}

#endif /* PYAUDIT_BYTES_H */
