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

/* The per-process secret the hash mixes into every round (sync.c).  Event
 * names can come from untrusted code (sys.audit) or from data, and the
 * maps that keep names (counts, the name cache) must not be flooded with
 * names chosen to collide: without the seed, such names are easy to make
 * offline. */
extern uint64_t pyaudit_hash_seed;

/* Hash len bytes 8 at a time (overlapping loads for the tail, so nothing
 * outside the name is read): a 20-byte name costs three multiplies, where
 * a byte-at-a-time hash costs twenty. */
static inline uint32_t
pyaudit_hash(const char *name, size_t len)
{
    uint64_t seed = pyaudit_hash_seed;
    uint64_t h = (len + 1) * PYAUDIT_HASH_MULTIPLIER;
    if (len >= 8) {
        for (size_t i = 0; i + 8 < len; i += 8) {
            h = (h ^ pyaudit_load8(name + i) ^ seed)
                * PYAUDIT_HASH_MULTIPLIER;
        }
        h = (h ^ pyaudit_load8(name + len - 8) ^ seed)
            * PYAUDIT_HASH_MULTIPLIER;
    }
    else if (len >= 4) {
        uint64_t word = ((uint64_t)pyaudit_load4(name) << 32)
                        | pyaudit_load4(name + len - 4);
        h = (h ^ word ^ seed) * PYAUDIT_HASH_MULTIPLIER;
    }
    else {
        uint64_t word = len == 0 ? 0
                        : ((uint64_t)(unsigned char)name[0] << 16)
                          | ((uint64_t)(unsigned char)name[len / 2] << 8)
                          | (unsigned char)name[len - 1];
        h = (h ^ word ^ seed) * PYAUDIT_HASH_MULTIPLIER;
    }
    /* The table uses the low bits: fold the well-mixed high half in. */
    return (uint32_t)(h ^ (h >> 32));
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
