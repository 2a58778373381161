/* pattern.c: parsing and checking subscription patterns (see pattern.h). */
#include "pattern.h"
#include "error.h"

/* pattern.c is pure C (the fuzzer builds it alone): its own TLS word. */
#if defined(__GNUC__) || defined(__clang__)
#  define PYAUDIT_PATTERN_THREAD_LOCAL __thread
#else
#  define PYAUDIT_PATTERN_THREAD_LOCAL _Thread_local
#endif

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOWED PYAUDIT_PATTERNS_ALLOWED

static PYAUDIT_PATTERN_THREAD_LOCAL pyaudit_pattern_failure last_failure;

const pyaudit_pattern_failure *
pyaudit_patterns_last_failure(void)
{
    return &last_failure;
}

static void
note_failure(const char *problem, const char *item, size_t len,
             int whole_list)
{
    last_failure.problem = problem;
    last_failure.item = item;
    last_failure.len = len;
    last_failure.whole_list = whole_list;
}

#define SHOWN_LIMIT 200

/* An item that is not UTF-8 could never be an event name, and could not be
 * shown as a str. */
int
pyaudit_valid_utf8(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        size_t need;
        unsigned char low = 0x80, high = 0xBF;  /* range of the 2nd byte */
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            need = 1;
        }
        else if (c >= 0xE0 && c <= 0xEF) {
            need = 2;
            low = c == 0xE0 ? 0xA0 : 0x80;
            high = c == 0xED ? 0x9F : 0xBF;
        }
        else if (c >= 0xF0 && c <= 0xF4) {
            need = 3;
            low = c == 0xF0 ? 0x90 : 0x80;
            high = c == 0xF4 ? 0x8F : 0xBF;
        }
        else {
            return 0;
        }
        if (n - i - 1 < need || s[i + 1] < low || s[i + 1] > high) {
            return 0;
        }
        for (size_t k = 2; k <= need; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return 0;
            }
        }
        i += need + 1;
    }
    return 1;
}

/* Whether code point cp is whitespace to Python's str.strip(). */
static int
is_space_code_point(unsigned long cp)
{
    return cp == 0x20 || (cp >= 0x09 && cp <= 0x0D)
           || (cp >= 0x1C && cp <= 0x1F) || cp == 0x85 || cp == 0xA0
           || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A)
           || cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F
           || cp == 0x3000;
}

/* Decode the code point of valid UTF-8 starting at s; *size gets its
 * length in bytes. */
static unsigned long
decode_at(const unsigned char *s, size_t *size)
{
    if (s[0] < 0x80) {
        *size = 1;
        return s[0];
    }
    size_t extra = s[0] >= 0xF0 ? 3 : s[0] >= 0xE0 ? 2 : 1;
    unsigned long cp = s[0] & (0x3F >> extra);
    for (size_t k = 1; k <= extra; k++) {
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    *size = extra + 1;
    return cp;
}

/* Bytes of whitespace that start s (n > 0 bytes of valid UTF-8): the
 * length of its first character if that is whitespace, else 0. */
static size_t
space_at_start(const char *s, size_t n)
{
    (void)n;
    size_t size;
    unsigned long cp = decode_at((const unsigned char *)s, &size);
    return is_space_code_point(cp) ? size : 0;
}

/* The same for the last character of s. */
static size_t
space_at_end(const char *s, size_t n)
{
    size_t start = n - 1;
    while (start > 0 && ((unsigned char)s[start] & 0xC0) == 0x80) {
        start--;
    }
    return space_at_start(s + start, n - start) == n - start ? n - start
                                                             : 0;
}

/* How many bytes of s to show in a message: at most SHOWN_LIMIT, never
 * cutting a UTF-8 character in half. */
static int
shown_length(const char *s, size_t len)
{
    size_t shown = len > SHOWN_LIMIT ? SHOWN_LIMIT : len;
    while (shown > 0 && shown < len
           && ((unsigned char)s[shown] & 0xC0) == 0x80) {
        shown--;
    }
    return (int)shown;
}

/* For text that is not UTF-8: the message shows bytes outside ASCII as
 * \xNN, so that the message itself is valid UTF-8. */
static int
fail_not_utf8(const char *item, size_t len)
{
    note_failure("is not valid UTF-8, so no event can have that name",
                 item, len, 0);
    char shown[4 * 64 + 1];
    size_t at = 0;
    for (size_t i = 0; i < len && i < 64; i++) {
        unsigned char c = (unsigned char)item[i];
        if (c >= 0x20 && c < 0x7F) {
            shown[at++] = (char)c;
        }
        else {
            at += (size_t)snprintf(shown + at, sizeof(shown) - at, "\\x%02x",
                                   c);
        }
    }
    shown[at] = '\0';
    return pyaudit_error(PYAUDIT_ERR_VALUE,
                         "pattern '%s%s' is not valid UTF-8, so no event can "
                         "have that name; " ALLOWED, shown,
                         len > 64 ? "..." : "");
}

static int
fail(const char *what, const char *item, size_t len)
{
    note_failure(what, item, len, 0);
    int shown = shown_length(item, len);
    return pyaudit_error(PYAUDIT_ERR_VALUE, "pattern '%.*s%s' %s; " ALLOWED,
                         shown, item, (size_t)shown < len ? "..." : "", what);
}

int
pyaudit_patterns_add(pyaudit_patterns *patterns, const char *item,
                     size_t len)
{
    const char *body = item;
    size_t body_len = len;
    int excluded = 0;
    pyaudit_match_kind kind = PYAUDIT_MATCH_EXACT;

    if (len == 0) {
        return fail("is empty", item, len);
    }
    if (memchr(item, '\0', len) != NULL) {
        return fail("contains a NUL character", item, len);
    }
    if (!pyaudit_valid_utf8((const unsigned char *)item, len)) {
        return fail_not_utf8(item, len);
    }
    if (space_at_start(item, len) || space_at_end(item, len)) {
        return fail("has surrounding whitespace", item, len);
    }
    if (item[0] == '!') {
        excluded = 1;
        body++;
        body_len--;
        if (body_len == 0) {
            return fail("excludes nothing", item, len);
        }
        if (body[0] == '!') {
            return fail("has more than one '!'", item, len);
        }
        if (space_at_start(body, body_len)) {
            return fail("has whitespace after '!'", item, len);
        }
    }
    if (body_len == 1 && body[0] == '*') {
        kind = PYAUDIT_MATCH_ALL;
        body_len = 0;
    }
    else if (memchr(body, '*', body_len) != NULL) {
        if (body_len > 2 && body[body_len - 1] == '*'
            && body[body_len - 2] == '.'
            && memchr(body, '*', body_len - 1) == NULL) {
            kind = PYAUDIT_MATCH_PREFIX;
            body_len--;          /* keep the '.', drop the '*' */
        }
        else {
            return fail("uses '*' in an unsupported place", item, len);
        }
    }

    pyaudit_pattern *grown = realloc(
        patterns->items, (patterns->count + 1) * sizeof(pyaudit_pattern));
    if (grown == NULL) {
        return pyaudit_error_nomemory();
    }
    patterns->items = grown;
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        return pyaudit_error_nomemory();
    }
    memcpy(copy, item, len);
    copy[len] = '\0';
    pyaudit_pattern *added = &patterns->items[patterns->count++];
    added->item = copy;
    added->text = copy + (body - item);
    added->len = body_len;
    added->excluded = excluded;
    added->kind = kind;
    added->hashed = 0;
    added->hash = 0;
    return 0;
}

int
pyaudit_patterns_parse(pyaudit_patterns *patterns, const char *list,
                       size_t list_len)
{
    const char *list_end = list + list_len;
    if (!pyaudit_valid_utf8((const unsigned char *)list, list_len)) {
        return fail_not_utf8(list, list_len);
    }
    const char *start = list;
    for (;;) {
        const char *end = memchr(start, ',', (size_t)(list_end - start));
        const char *first = start;
        const char *stop = end != NULL ? end : list_end;
        /* Strip what Python's str.strip() strips. */
        size_t space;
        while (first < stop
               && (space = space_at_start(first, (size_t)(stop - first)))) {
            first += space;
        }
        while (stop > first
               && (space = space_at_end(first, (size_t)(stop - first)))) {
            stop -= space;
        }
        if (first == stop) {
            note_failure("empty", list, list_len, 1);
            int shown = shown_length(list, list_len);
            return pyaudit_error(PYAUDIT_ERR_VALUE,
                                 "empty pattern in '%.*s%s'; " ALLOWED, shown,
                                 list, (size_t)shown < list_len ? "..." : "");
        }
        if (pyaudit_patterns_add(patterns, first,
                                 (size_t)(stop - first)) < 0) {
            return -1;
        }
        if (end == NULL) {
            return 0;
        }
        start = end + 1;
    }
}

int
pyaudit_patterns_add_list_item(pyaudit_patterns *patterns, const char *item,
                               size_t len)
{
    if (memchr(item, ',', len) != NULL) {
        return fail("contains a comma; give one pattern per list item, or "
                    "pass 'a,b' as one str", item, len);
    }
    return pyaudit_patterns_add(patterns, item, len);
}

void
pyaudit_patterns_clear(pyaudit_patterns *patterns)
{
    for (size_t i = 0; i < patterns->count; i++) {
        free(patterns->items[i].item);
    }
    free(patterns->items);
    patterns->items = NULL;
    patterns->count = 0;
}

static int
item_matches(const pyaudit_pattern *p, const char *name, size_t len,
             pyaudit_match_mode mode)
{
    switch (p->kind) {
    case PYAUDIT_MATCH_ALL:
        return 1;
    case PYAUDIT_MATCH_PREFIX:
        return len >= p->len && memcmp(name, p->text, p->len) == 0;
    default:
        return mode == PYAUDIT_AS_NAME && len == p->len
               && memcmp(name, p->text, len) == 0;
    }
}

int
pyaudit_patterns_match(const pyaudit_patterns *patterns, const char *name,
                       size_t len, pyaudit_match_mode mode)
{
    int included = 0;
    for (size_t i = 0; i < patterns->count; i++) {
        const pyaudit_pattern *p = &patterns->items[i];
        if (item_matches(p, name, len, mode)) {
            if (p->excluded) {
                return 0;
            }
            included = 1;
        }
    }
    return included;
}
