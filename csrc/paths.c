/* paths.c: lexical path normalisation (see paths.h). */
#include "paths.h"
#include "bytes.h"
#include "compat.h"

#include <string.h>

size_t
pyaudit_path_collapse(char *path, size_t n)
{
    size_t out = 0;             /* bytes kept: "/a/b" without a final "/" */
    size_t i = 0;
    while (i < n) {
        while (i < n && path[i] == '/') {
            i++;
        }
        size_t start = i;
        while (i < n && path[i] != '/') {
            i++;
        }
        size_t len = i - start;
        if (len == 0 || (len == 1 && path[start] == '.')) {
            continue;
        }
        if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
            while (out > 0 && path[out - 1] != '/') {
                out--;
            }
            if (out > 0) {
                out--;          /* the "/" before the dropped component */
            }
            continue;
        }
        path[out++] = '/';
        if (out != start) {
            memmove(path + out, path + start, len);
        }
        out += len;
    }
    if (out == 0) {
        path[out++] = '/';
    }
    return out;
}

long
pyaudit_path_normalise(const char *path, size_t n, char *out)
{
    size_t at = 0;
    if (memchr(path, '\0', n) != NULL) {
        return -1;
    }
    if (n == 0 || path[0] != '/') {
        if (PYAUDIT_GETCWD(out, PYAUDIT_PATH_LIMIT) == NULL) {
            return -1;
        }
        at = strlen(out);
        if (at + 1 >= PYAUDIT_PATH_LIMIT) {
            return -1;
        }
        out[at++] = '/';
    }
    if (at + n >= PYAUDIT_PATH_LIMIT) {
        return -1;
    }
    memcpy(out + at, path, n);
    return (long)pyaudit_path_collapse(out, at + n);
}

/* A high bit in every byte of x that is zero; also, at most, in a byte
 * holding 1 above one that is (so "any byte is zero" is exact, and a
 * reported byte may be a false alarm only beside a true one). */
static inline uint64_t
zero_bytes(uint64_t x)
{
    return (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
}

#define SLASHES 0x2F2F2F2F2F2F2F2Full
#define ONES 0x0101010101010101ull

/* For the 8 bytes at p and the byte after them: a high bit where a byte is
 * NUL, or is a "/" followed by "/" or "." (which differ in their low bit
 * only).  False alarms only make a path take the long way. */
static inline uint64_t
not_plain(const char *p)
{
    uint64_t here = pyaudit_load8(p), next = pyaudit_load8(p + 1);
    return zero_bytes(here)
           | (zero_bytes(here ^ SLASHES)
              & zero_bytes((next | ONES) ^ SLASHES));
}

#if defined(__SSE2__)
#  include <emmintrin.h>

/* For the 16 bytes at p: a bit where a byte is NUL, or (in the first 15)
 * is a "/" followed by "/" or ".". */
static inline unsigned
not_plain16(const char *p)
{
    __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned zero = (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(bytes, _mm_setzero_si128()));
    unsigned slash = (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(bytes, _mm_set1_epi8('/')));
    unsigned slash_or_dot = (unsigned)_mm_movemask_epi8(
        _mm_cmpeq_epi8(_mm_or_si128(bytes, _mm_set1_epi8(1)),
                       _mm_set1_epi8('/')));
    return zero | (slash & (slash_or_dot >> 1));
}
#endif

int
pyaudit_path_is_plain(const char *path, size_t n)
{
    if (n < 8) {
        for (size_t i = 0; i < n; i++) {
            if (path[i] == '\0'
                || (path[i] == '/' && (path[i + 1] | 1) == '/')) {
                return 0;
            }
        }
        return n == 1 || path[n - 1] != '/';
    }
    if (path[n - 1] == '/') {
        return 0;
    }
#if defined(__SSE2__)
    if (n >= 16) {
        /* Blocks 15 bytes apart, so that every pair of neighbours is
         * inside one; the last block ends at the path's end, and its last
         * byte has no neighbour to judge but the terminator. */
        unsigned bad = 0;
        size_t i = 0;
        for (; i + 16 < n; i += 15) {
            bad |= not_plain16(path + i);
        }
        return (bad | not_plain16(path + n - 16)) == 0;
    }
#endif
    uint64_t bad = 0;
    size_t i = 0;
    for (; i + 8 < n; i += 8) {
        bad |= not_plain(path + i);
    }
    /* The last 8 bytes (overlapping), whose next byte is path[n]. */
    bad |= not_plain(path + n - 8);
    return bad == 0;
}

size_t
pyaudit_path_basename_at(const char *path, size_t n)
{
    size_t at = n;
    while (at > 0 && path[at - 1] != '/') {
        at--;
    }
    return at;
}
