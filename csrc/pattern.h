/* pattern.h: parsing and checking subscription patterns.
 *
 * Pure C with no Python API, so that it works before Py_Initialize().  The
 * rules are those of pyaudit/_patterns.py (the reference):
 *     name        exact, case-sensitive event name
 *     prefix.*    every event whose name starts with "prefix."
 *     *           every event
 *     !pattern    removes what pattern matches; exclusions always win
 *
 * A pyaudit_patterns owns copies of its item strings.
 */
#ifndef PYAUDIT_PATTERN_H
#define PYAUDIT_PATTERN_H

#include <stddef.h>

typedef enum {
    PYAUDIT_MATCH_EXACT,    /* text is the whole event name */
    PYAUDIT_MATCH_PREFIX,   /* text is a prefix ending in '.' */
    PYAUDIT_MATCH_ALL       /* every event; text is empty */
} pyaudit_match_kind;

typedef struct {
    char *item;             /* owned: the item as written, NUL-terminated */
    const char *text;       /* borrowed from item: what is matched */
    size_t len;             /* length of text */
    int excluded;           /* 1 for a '!' item */
    pyaudit_match_kind kind;
    int hashed;             /* hash is set (by the table compiler, the
                               first time it files the item) */
    unsigned int hash;      /* pyaudit_hash(text, len) */
} pyaudit_pattern;

typedef struct {
    pyaudit_pattern *items; /* owned array of count items */
    size_t count;
} pyaudit_patterns;

/* Which patterns apply when matching a key while compiling a table. */
typedef enum {
    PYAUDIT_AS_NAME,        /* a concrete event name: every pattern */
    PYAUDIT_AS_PREFIX_CLASS /* names sharing a prefix key: no exact ones */
} pyaudit_match_mode;

/* Check one item (exactly as given: no stripping) and append it.
 * Return 0, or -1 with the error set (error.h). */
int pyaudit_patterns_add(pyaudit_patterns *patterns, const char *item,
                         size_t len);

/* The same for one item of a list: a comma in it is an error too (a list
 * gives one item per element). */
int pyaudit_patterns_add_list_item(pyaudit_patterns *patterns,
                                   const char *item, size_t len);

/* What was wrong with the last pattern rejected on this thread, for front
 * ends that show the offending text their own way (the Python module
 * shows its repr()).  item/len: the item, or the whole list when
 * whole_list is set ("empty pattern in ..."). */
typedef struct {
    const char *problem;    /* e.g. "has surrounding whitespace" */
    const char *item;       /* borrowed from the caller's input */
    size_t len;
    int whole_list;
} pyaudit_pattern_failure;

const pyaudit_pattern_failure *pyaudit_patterns_last_failure(void);

/* The end of every pattern error message: what is allowed. */
#define PYAUDIT_PATTERNS_ALLOWED \
    "allowed: an exact name ('open'), a prefix ending in '.*' " \
    "('socket.*'), '*' for every event, or '!' before one of these " \
    "to exclude it"

/* Split a comma-separated list of len bytes, strip each item and add it
 * (a NUL in it is an error of the item it is in). */
int pyaudit_patterns_parse(pyaudit_patterns *patterns, const char *list,
                           size_t len);

void pyaudit_patterns_clear(pyaudit_patterns *patterns);

/* The plain matcher used to compile tables (not on the hot path). */
int pyaudit_patterns_match(const pyaudit_patterns *patterns,
                           const char *name, size_t len,
                           pyaudit_match_mode mode);

/* Whether s (n bytes) is UTF-8 as strict as Python's codec: no overlong
 * forms, no encoded surrogates, nothing above U+10FFFF. */
int pyaudit_valid_utf8(const unsigned char *s, size_t n);

#endif /* PYAUDIT_PATTERN_H */
