/* pattern.c: parsing and checking subscription patterns (see pattern.h). */
#include "pattern.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOWED \
    "allowed: an exact name ('open'), a prefix ending in '.*' " \
    "('socket.*'), '*' for every event, or '!' before one of these " \
    "to exclude it"

static int
is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
           || c == '\v';
}

static int
fail(char *err, const char *what, const char *item, size_t len)
{
    int shown = len > 200 ? 200 : (int)len;
    snprintf(err, PYAUDIT_ERROR_SIZE, "pattern '%.*s%s' %s; " ALLOWED,
             shown, item, len > 200 ? "..." : "", what);
    return -1;
}

int
pyaudit_patterns_add(pyaudit_patterns *patterns, const char *item,
                     size_t len, char *err)
{
    const char *body = item;
    size_t body_len = len;
    int excluded = 0;
    pyaudit_match_kind kind = PYAUDIT_MATCH_EXACT;

    if (len == 0) {
        return fail(err, "is empty", item, len);
    }
    if (memchr(item, '\0', len) != NULL) {
        return fail(err, "contains a NUL character", item, len);
    }
    if (is_space(item[0]) || is_space(item[len - 1])) {
        return fail(err, "has surrounding whitespace", item, len);
    }
    if (item[0] == '!') {
        excluded = 1;
        body++;
        body_len--;
        if (body_len == 0) {
            return fail(err, "excludes nothing", item, len);
        }
        if (body[0] == '!') {
            return fail(err, "has more than one '!'", item, len);
        }
        if (is_space(body[0])) {
            return fail(err, "has whitespace after '!'", item, len);
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
            return fail(err, "uses '*' in an unsupported place", item, len);
        }
    }

    pyaudit_pattern *grown = realloc(
        patterns->items, (patterns->count + 1) * sizeof(pyaudit_pattern));
    if (grown == NULL) {
        snprintf(err, PYAUDIT_ERROR_SIZE, "out of memory");
        return -1;
    }
    patterns->items = grown;
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        snprintf(err, PYAUDIT_ERROR_SIZE, "out of memory");
        return -1;
    }
    memcpy(copy, item, len);
    copy[len] = '\0';
    pyaudit_pattern *added = &patterns->items[patterns->count++];
    added->item = copy;
    added->text = copy + (body - item);
    added->len = body_len;
    added->excluded = excluded;
    added->kind = kind;
    return 0;
}

int
pyaudit_patterns_parse(pyaudit_patterns *patterns, const char *list,
                       char *err)
{
    const char *start = list;
    for (;;) {
        const char *end = strchr(start, ',');
        const char *stop = end != NULL ? end : start + strlen(start);
        const char *first = start;
        while (first < stop && is_space(*first)) {
            first++;
        }
        while (stop > first && is_space(stop[-1])) {
            stop--;
        }
        if (first == stop) {
            snprintf(err, PYAUDIT_ERROR_SIZE,
                     "empty pattern in '%.200s'; " ALLOWED, list);
            return -1;
        }
        if (pyaudit_patterns_add(patterns, first, (size_t)(stop - first),
                                 err) < 0) {
            return -1;
        }
        if (end == NULL) {
            return 0;
        }
        start = end + 1;
    }
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
