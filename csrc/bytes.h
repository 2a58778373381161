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

/* FNV-1a, 32 bits: one xor and one multiply per byte, computed while the
 * hook walks the name anyway. */
#define PYAUDIT_FNV_OFFSET 2166136261u
#define PYAUDIT_FNV_PRIME 16777619u

static inline uint32_t
pyaudit_hash(const char *name, size_t len)
{
    uint32_t hash = PYAUDIT_FNV_OFFSET;
    for (size_t i = 0; i < len; i++) {
        hash = (hash ^ (unsigned char)name[i]) * PYAUDIT_FNV_PRIME;
    }
    return hash;
}

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
