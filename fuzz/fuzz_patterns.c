/* fuzz_patterns.c: a libFuzzer harness for the pattern parser and the
 * compiled lookup table (csrc/pattern.c, csrc/table.c).
 *
 * Input format (any bytes are valid input):
 *
 *     <pattern list>\n<name>\n<name>\n...
 *
 * The first line is the comma-separated pattern list; every later line is
 * one event name.  For each input the harness:
 *
 *   1. feeds every raw comma-separated segment of the first line, exactly
 *      as written (NULs and whitespace included), to pyaudit_patterns_add
 *      and checks accept/reject against an independent reference parser
 *      written here from the rules in README.md;
 *   2. parses the first line (as a C string: up to its first NUL) with
 *      pyaudit_patterns_parse, which must return 0 or -1 with a
 *      NUL-terminated, non-empty message, and must agree with the reference
 *      parser on accept/reject and on every item (text, kind, '!');
 *   3. when it parsed, compiles a table from one PYAUDIT_KIND_FILTER sub and
 *      checks, for every name line and for names derived from the patterns
 *      (each pattern's text, one byte shorter or longer, cut at each '.',
 *      ...), that the hot path (!pyaudit_table_rejects && lookup != NULL)
 *      equals pyaudit_patterns_match(..., PYAUDIT_AS_NAME), the slow
 *      reference in pattern.c, and the reference matcher written here;
 *   4. splits the first line on ';' into up to four groups (the last one
 *      keeps any further ';') and, when every group parses, compiles one
 *      table from one sub per group (FILTER and COUNT alternately) and
 *      checks each name (lines and derived names again) for its target
 *      list: exactly the subs whose patterns match, in order, with count
 *      cells under exact keys only.
 * Any disagreement prints the input and aborts.
 *
 * No Python API is called (FILTER and COUNT subs own no Python objects);
 * libpython is linked only because sub.c, ring.c and counts.c refer to it.
 * Build with fuzz/build.sh; see fuzz/README.md.
 */
#include "sub.h"        /* first: it includes Python.h */
#include "error.h"
#include "pattern.h"
#include "table.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Set by standalone_main.c to the file being replayed (NULL under
 * libFuzzer, which reports the crashing input itself). */
const char *pyaudit_fuzz_input_name = NULL;

#define MAX_GROUPS 4
#define MAX_DERIVING_ITEMS 64   /* items whose text seeds derived names */
#define MAX_NAMES 4096          /* names checked per input */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- reporting -------------------------------------------------------- */

static void
put_escaped(const char *s, size_t len)
{
    fputc('\'', stderr);
    for (size_t i = 0; i < len && i < 400; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\\' || c == '\'') {
            fprintf(stderr, "\\%c", c);
        }
        else if (c >= 0x20 && c < 0x7f) {
            fputc(c, stderr);
        }
        else {
            fprintf(stderr, "\\x%02x", c);
        }
    }
    fputs(len > 400 ? "'..." : "'", stderr);
}

static void
report(const char *what, const char *list, size_t list_len,
       const char *name, size_t name_len, long got, long want)
{
    fprintf(stderr, "\nfuzz_patterns: MISMATCH: %s\n", what);
    if (pyaudit_fuzz_input_name != NULL) {
        fprintf(stderr, "  input file: %s\n", pyaudit_fuzz_input_name);
    }
    fputs("  patterns: ", stderr);
    put_escaped(list, list_len);
    if (name != NULL) {
        fputs("\n  name:     ", stderr);
        put_escaped(name, name_len);
    }
    fprintf(stderr, "\n  got %ld, expected %ld\n", got, want);
    fflush(stderr);
    abort();
}

#define CHECK(cond, what, list, list_len, name, name_len, got, want) \
    do { \
        if (!(cond)) { \
            report((what), (list), (list_len), (name), (name_len), \
                   (long)(got), (long)(want)); \
        } \
    } while (0)

/* ---- the reference: README.md's rules, written independently ---------- */

enum { REF_EXACT, REF_PREFIX, REF_ALL };

typedef struct {
    const char *item;       /* borrowed: the item as written (stripped) */
    size_t item_len;
    const char *text;       /* what is matched: the name, "os." or "" */
    size_t text_len;
    int excluded;
    int kind;
} ref_item;

/* Decode one UTF-8 character the way Python's strict codec accepts it.
 * Returns its length (1 to 4) and the code point in *cp, or 0 if the
 * bytes at s (n of them) do not start a valid character. */
static size_t
ref_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
    static const unsigned long smallest[5] = {0, 0, 0x80, 0x800, 0x10000};
    size_t size = s[0] < 0x80 ? 1 : (s[0] & 0xE0) == 0xC0 ? 2
                  : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
    if (size == 0 || size > n) {
        return 0;
    }
    unsigned long value = size == 1 ? s[0] : s[0] & (0x7F >> size);
    for (size_t k = 1; k < size; k++) {
        if ((s[k] & 0xC0) != 0x80) {
            return 0;
        }
        value = (value << 6) | (s[k] & 0x3F);
    }
    if (value < smallest[size] || value > 0x10FFFF
        || (value >= 0xD800 && value <= 0xDFFF)) {
        return 0;                       /* overlong, too big, surrogate */
    }
    *cp = value;
    return size;
}

static int
ref_valid_utf8(const char *s, size_t n)
{
    unsigned long cp;
    for (size_t i = 0, size; i < n; i += size) {
        size = ref_decode((const unsigned char *)s + i, n - i, &cp);
        if (size == 0) {
            return 0;
        }
    }
    return 1;
}

/* Python's str.isspace() code points, as a table. */
static const unsigned long ref_spaces[] = {
    0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20, 0x85, 0xA0,
    0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
    0x2008, 0x2009, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000,
};

/* Length of the whitespace character at s (valid UTF-8), or 0. */
static size_t
ref_space_len(const char *s, size_t n)
{
    unsigned long cp;
    size_t size = ref_decode((const unsigned char *)s, n, &cp);
    for (size_t i = 0; size && i < sizeof(ref_spaces) / sizeof(*ref_spaces);
         i++) {
        if (ref_spaces[i] == cp) {
            return size;
        }
    }
    return 0;
}

/* Length of the whitespace character that ends s + n, or 0. */
static size_t
ref_space_len_before(const char *s, size_t n)
{
    for (size_t size = 1; size <= 4 && size <= n; size++) {
        if (ref_space_len(s + n - size, size) == size) {
            return size;
        }
    }
    return 0;
}

/* One item exactly as given (no stripping).  1 and *out if valid. */
static int
ref_parse_item(const char *s, size_t len, ref_item *out)
{
    if (len == 0 || memchr(s, '\0', len) != NULL
        || !ref_valid_utf8(s, len)) {
        return 0;
    }
    if (ref_space_len(s, len) || ref_space_len_before(s, len)) {
        return 0;                       /* surrounding whitespace */
    }
    int excluded = s[0] == '!';
    const char *body = s + excluded;
    size_t body_len = len - (size_t)excluded;
    if (excluded && (body_len == 0 || body[0] == '!'
                     || ref_space_len(body, body_len))) {
        return 0;                       /* "!", "!!x", "! x" */
    }
    size_t stars = 0;
    for (size_t i = 0; i < body_len; i++) {
        stars += body[i] == '*';
    }
    out->item = s;
    out->item_len = len;
    out->excluded = excluded;
    out->text = body;
    if (stars == 0) {
        out->kind = REF_EXACT;
        out->text_len = body_len;
        return 1;
    }
    if (body_len == 1) {
        out->kind = REF_ALL;            /* "*" */
        out->text_len = 0;
        return 1;
    }
    /* "prefix.*": one '*', last, after a '.', with a non-empty prefix. */
    if (stars == 1 && body_len >= 3 && body[body_len - 1] == '*'
        && body[body_len - 2] == '.') {
        out->kind = REF_PREFIX;
        out->text_len = body_len - 1;   /* keep the '.' */
        return 1;
    }
    return 0;
}

/* Split a C string on ',' and strip each part.  Returns the number of
 * items (all valid), or -1 if any item is empty or invalid.  items has
 * room for every part (the list has at most strlen + 1 of them). */
static long
ref_parse_list(const char *list, ref_item *items)
{
    size_t n = 0;
    const char *start = list;
    if (!ref_valid_utf8(list, strlen(list))) {
        return -1;
    }
    for (;;) {
        const char *comma = strchr(start, ',');
        const char *stop = comma != NULL ? comma : start + strlen(start);
        const char *first = start;
        size_t size;
        while (first < stop
               && (size = ref_space_len(first, (size_t)(stop - first)))) {
            first += size;
        }
        while (stop > first && (size = ref_space_len_before(
                                    first, (size_t)(stop - first)))) {
            stop -= size;
        }
        if (!ref_parse_item(first, (size_t)(stop - first), &items[n])) {
            return -1;
        }
        n++;
        if (comma == NULL) {
            return (long)n;
        }
        start = comma + 1;
    }
}

static int
ref_item_matches(const ref_item *it, const char *name, size_t len)
{
    switch (it->kind) {
    case REF_ALL:
        return 1;
    case REF_PREFIX:
        return len >= it->text_len
               && memcmp(name, it->text, it->text_len) == 0;
    default:
        return len == it->text_len && memcmp(name, it->text, len) == 0;
    }
}

/* An exclusion that matches wins; otherwise any inclusion that matches. */
static int
ref_matches(const ref_item *items, size_t n, const char *name, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (items[i].excluded && ref_item_matches(&items[i], name, len)) {
            return 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!items[i].excluded && ref_item_matches(&items[i], name, len)) {
            return 1;
        }
    }
    return 0;
}

static int
ref_is_exact_key(const ref_item *items, size_t n, const char *name,
                 size_t len)
{
    for (size_t i = 0; i < n; i++) {
        if (items[i].kind == REF_EXACT && items[i].text_len == len
            && memcmp(items[i].text, name, len) == 0) {
            return 1;
        }
    }
    return 0;
}

/* ---- names ------------------------------------------------------------ */

typedef struct {
    char **names;           /* owned, each malloc'd to exactly len + 1 */
    size_t count;
} name_set;

/* Add the C string a + b (each cut at its first NUL, as a C caller's name
 * would be).  Each name gets a buffer of exactly its size, so a read past
 * its NUL is caught by ASan. */
static void
add_name(name_set *set, const char *a, size_t a_len, const char *b,
         size_t b_len)
{
    if (set->count >= MAX_NAMES) {
        return;
    }
    const char *nul = memchr(a, '\0', a_len);
    if (nul != NULL) {
        a_len = (size_t)(nul - a);
        b_len = 0;
    }
    nul = b_len ? memchr(b, '\0', b_len) : NULL;
    if (nul != NULL) {
        b_len = (size_t)(nul - b);
    }
    char *name = malloc(a_len + b_len + 1);
    if (name == NULL) {
        abort();
    }
    memcpy(name, a, a_len);
    if (b_len) {
        memcpy(name + a_len, b, b_len);
    }
    name[a_len + b_len] = '\0';
    set->names[set->count++] = name;
}

/* The name lines, then names that share prefixes with every item. */
static void
make_names(name_set *set, const char *lines, size_t lines_len,
           const ref_item *items, size_t n)
{
    const char *first_line = NULL;
    size_t first_line_len = 0;
    const char *p = lines;
    const char *end = lines + lines_len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *stop = nl != NULL ? nl : end;
        add_name(set, p, (size_t)(stop - p), "", 0);
        if (first_line == NULL) {
            first_line = p;
            first_line_len = (size_t)(stop - p);
        }
        p = nl != NULL ? nl + 1 : end;
    }
    add_name(set, "", 0, "", 0);
    for (size_t i = 0; i < n && i < MAX_DERIVING_ITEMS; i++) {
        const char *t = items[i].text;
        size_t len = items[i].text_len;
        add_name(set, t, len, "", 0);
        add_name(set, t, len, "x", 1);
        add_name(set, t, len, ".", 1);
        add_name(set, t, len, ".x", 2);
        add_name(set, t, len, "\xc3\xa9", 2);
        if (first_line != NULL) {
            add_name(set, t, len, first_line, first_line_len);
        }
        for (size_t k = 0; k < len && k < 3; k++) {
            add_name(set, t, k, "", 0);     /* first bytes only */
        }
        if (len > 0) {
            add_name(set, t, len - 1, "", 0);
            add_name(set, t, len - 1, "x", 1);
        }
        /* Cut at (and just after) each '.', at most 8 of them. */
        size_t cuts = 0;
        for (size_t k = 0; k < len && cuts < 8; k++) {
            if (t[k] == '.') {
                add_name(set, t, k, "", 0);
                add_name(set, t, k + 1, "", 0);
                add_name(set, t, k + 1, "y", 1);
                cuts++;
            }
        }
    }
}

static void
free_names(name_set *set)
{
    for (size_t i = 0; i < set->count; i++) {
        free(set->names[i]);
    }
    set->count = 0;
}

/* ---- the checks --------------------------------------------------------- */

/* 1: pyaudit_patterns_add on each raw segment, NULs and all. */
static void
check_add_raw(const char *line, size_t line_len)
{
    const char *start = line;
    const char *end = line + line_len;
    for (;;) {
        const char *comma = memchr(start, ',', (size_t)(end - start));
        const char *stop = comma != NULL ? comma : end;
        size_t len = (size_t)(stop - start);
        /* An exactly-sized copy, so over-reads are caught. */
        char *seg = malloc(len ? len : 1);
        if (seg == NULL) {
            abort();
        }
        memcpy(seg, start, len);
        ref_item want;
        int valid = ref_parse_item(seg, len, &want);
        pyaudit_patterns p = {NULL, 0};
        pyaudit_error(PYAUDIT_ERR_VALUE, "%s", "");
        int rc = pyaudit_patterns_add(&p, seg, len);
        CHECK(rc == 0 || rc == -1, "pyaudit_patterns_add returned neither "
              "0 nor -1", seg, len, NULL, 0, rc, 0);
        CHECK((rc == 0) == valid, "pyaudit_patterns_add accepts an item "
              "the reference does not (or the reverse)", seg, len, NULL, 0,
              rc == 0, valid);
        if (rc == 0) {
            CHECK(p.count == 1, "one add, not one item", seg, len, NULL, 0,
                  p.count, 1);
            CHECK(memcmp(p.items[0].item, seg, len) == 0
                  && p.items[0].item[len] == '\0',
                  "item not copied as given", seg, len, NULL, 0, 0, 1);
        }
        else {
            CHECK(pyaudit_error_message()[0] != '\0',
                  "error message missing", seg, len,
                  NULL, 0, 0, 1);
            CHECK(p.count == 0, "rejected item was added", seg, len, NULL, 0,
                  p.count, 0);
        }
        pyaudit_patterns_clear(&p);
        free(seg);
        if (comma == NULL) {
            return;
        }
        start = comma + 1;
    }
}

/* 2: pyaudit_patterns_parse against the reference.  Returns the number of
 * items (then *patterns holds them), or -1 (then *patterns is cleared). */
static long
check_parse(const char *list, pyaudit_patterns *patterns, ref_item *ref)
{
    size_t list_len = strlen(list);
    pyaudit_error(PYAUDIT_ERR_VALUE, "%s", "");
    int rc = pyaudit_patterns_parse(patterns, list, list_len);
    long n = ref_parse_list(list, ref);
    CHECK(rc == 0 || rc == -1, "pyaudit_patterns_parse returned neither 0 "
          "nor -1", list, list_len, NULL, 0, rc, 0);
    CHECK((rc == 0) == (n >= 0), "pyaudit_patterns_parse accepts a list the "
          "reference rejects (or the reverse)", list, list_len, NULL, 0,
          rc == 0, n >= 0);
    if (rc < 0) {
        CHECK(pyaudit_error_message()[0] != '\0',
              "error message missing", list, list_len,
              NULL, 0, 0, 1);
        pyaudit_patterns_clear(patterns);  /* it may hold the good items */
        return -1;
    }
    CHECK(patterns->count == (size_t)n, "item count", list, list_len, NULL, 0,
          patterns->count, n);
    static const int kinds[] = {
        [REF_EXACT] = PYAUDIT_MATCH_EXACT,
        [REF_PREFIX] = PYAUDIT_MATCH_PREFIX,
        [REF_ALL] = PYAUDIT_MATCH_ALL,
    };
    for (size_t i = 0; i < (size_t)n; i++) {
        const pyaudit_pattern *got = &patterns->items[i];
        const ref_item *want = &ref[i];
        CHECK(strlen(got->item) == want->item_len
              && memcmp(got->item, want->item, want->item_len) == 0,
              "item not stripped as the reference strips it", list, list_len,
              got->item, strlen(got->item), i, 0);
        CHECK(got->excluded == want->excluded, "'!'", list, list_len,
              got->item, strlen(got->item), got->excluded, want->excluded);
        CHECK((int)got->kind == kinds[want->kind], "kind", list, list_len,
              got->item, strlen(got->item), got->kind, kinds[want->kind]);
        CHECK(got->len == want->text_len
              && memcmp(got->text, want->text, want->text_len) == 0,
              "matched text", list, list_len, got->item, strlen(got->item),
              got->len, want->text_len);
    }
    return n;
}

/* 3: one FILTER sub: the hot path against both slow matchers. */
static void
check_one_filter(const char *list, pyaudit_sub *sub, const ref_item *ref,
                 size_t n, const name_set *names)
{
    size_t list_len = strlen(list);
    pyaudit_table *t = pyaudit_table_compile(&sub, 1);
    CHECK(t != NULL, "pyaudit_table_compile failed", list, list_len, NULL, 0,
          0, 1);
    for (size_t i = 0; i < names->count; i++) {
        const char *name = names->names[i];
        size_t len = strlen(name);
        uint32_t hash = 0;
        size_t got_len = 0;
        int rejects = pyaudit_table_rejects(t, name);
        const pyaudit_targets *targets =
            pyaudit_table_lookup(t, name, &hash, &got_len);
        int fast = !rejects && targets != NULL;
        int slow = pyaudit_patterns_match(&sub->patterns, name, len,
                                          PYAUDIT_AS_NAME);
        int want = ref_matches(ref, n, name, len);
        CHECK(slow == want, "pyaudit_patterns_match disagrees with the "
              "reference", list, list_len, name, len, slow, want);
        CHECK(fast == slow, "table (!rejects && lookup) disagrees with "
              "pyaudit_patterns_match", list, list_len, name, len, fast,
              slow);
        CHECK(!(rejects && targets != NULL), "rejects a name lookup finds",
              list, list_len, name, len, rejects, 0);
        CHECK(got_len == len, "lookup's length", list, list_len, name, len,
              got_len, len);
        CHECK(hash == pyaudit_hash(name, len), "lookup's hash", list,
              list_len, name, len, hash, pyaudit_hash(name, len));
        if (targets != NULL) {
            CHECK(targets->count == 1 && targets->targets[0].sub == sub,
                  "target list of a one-sub table", list, list_len, name,
                  len, targets->count, 1);
            int exact = (targets->flags & PYAUDIT_TARGETS_EXACT) != 0;
            CHECK(exact == ref_is_exact_key(ref, n, name, len),
                  "exact flag of the target list", list, list_len, name, len,
                  exact, ref_is_exact_key(ref, n, name, len));
        }
    }
    pyaudit_table_decref(t);    /* the sub stays the caller's */
}

/* 4: up to MAX_GROUPS subs from the ';'-separated groups of line. */
static void
check_groups(const char *line, const char *rest, size_t rest_len)
{
    size_t line_len = strlen(line);
    if (memchr(line, ';', line_len) == NULL) {
        return;
    }
    char *copy = malloc(line_len + 1);
    ref_item *ref = malloc((line_len + 1) * sizeof(ref_item));
    if (copy == NULL || ref == NULL) {
        abort();
    }
    memcpy(copy, line, line_len + 1);
    pyaudit_sub *subs[MAX_GROUPS];
    size_t ref_start[MAX_GROUPS + 1];
    size_t nsubs = 0, nref = 0;
    int ok = 1;
    char *group = copy;
    while (ok && group != NULL) {
        char *semi = nsubs + 1 < MAX_GROUPS ? strchr(group, ';') : NULL;
        if (semi != NULL) {
            *semi = '\0';
        }
        pyaudit_kind kind = nsubs % 2 ? PYAUDIT_KIND_COUNT
                                      : PYAUDIT_KIND_FILTER;
        pyaudit_sub *sub = pyaudit_sub_new(kind, NULL);
        if (sub == NULL) {
            abort();
        }
        if (kind == PYAUDIT_KIND_COUNT) {
            sub->counts = pyaudit_counts_new();
            if (sub->counts == NULL) {
                abort();
            }
        }
        subs[nsubs] = sub;
        ref_start[nsubs++] = nref;
        long n = check_parse(group, &sub->patterns, ref + nref);
        if (n < 0) {
            ok = 0;
        }
        else {
            nref += (size_t)n;
        }
        group = semi != NULL ? semi + 1 : NULL;
    }
    ref_start[nsubs] = nref;
    name_set own = {NULL, 0};
    const name_set *names = &own;
    if (ok) {
        own.names = malloc(MAX_NAMES * sizeof(char *));
        if (own.names == NULL) {
            abort();
        }
        make_names(&own, rest, rest_len, ref, nref);
        pyaudit_table *t = pyaudit_table_compile(subs, nsubs);
        CHECK(t != NULL, "pyaudit_table_compile failed (groups)", line,
              line_len, NULL, 0, 0, 1);
        for (size_t i = 0; i < names->count; i++) {
            const char *name = names->names[i];
            size_t len = strlen(name);
            uint32_t hash = 0;
            size_t got_len = 0;
            const pyaudit_targets *targets =
                pyaudit_table_rejects(t, name)
                ? NULL : pyaudit_table_lookup(t, name, &hash, &got_len);
            size_t got = targets != NULL ? targets->count : 0;
            size_t k = 0;
            int exact_key = 0;
            for (size_t s = 0; s < nsubs; s++) {
                const ref_item *r = ref + ref_start[s];
                size_t rn = ref_start[s + 1] - ref_start[s];
                exact_key |= ref_is_exact_key(r, rn, name, len);
                if (!ref_matches(r, rn, name, len)) {
                    continue;
                }
                CHECK(k < got && targets->targets[k].sub == subs[s],
                      "multi-sub target list: missing or misordered sub",
                      line, line_len, name, len, (long)k, (long)s);
                const pyaudit_target *target = &targets->targets[k];
                if (subs[s]->kind == PYAUDIT_KIND_COUNT
                    && (targets->flags & PYAUDIT_TARGETS_EXACT)) {
                    CHECK(target->count_cell == pyaudit_counts_cell(
                              subs[s]->counts, name, len, hash),
                          "count cell of an exact key", line, line_len, name,
                          len, 0, 1);
                }
                else {
                    CHECK(target->count_cell == NULL,
                          "count cell outside an exact key", line, line_len,
                          name, len, 1, 0);
                }
                k++;
            }
            CHECK(k == got, "multi-sub target list: extra subs", line,
                  line_len, name, len, got, k);
            if (targets != NULL) {
                int exact = (targets->flags & PYAUDIT_TARGETS_EXACT) != 0;
                CHECK(exact == exact_key, "multi-sub exact flag",
                      line, line_len, name, len, exact, exact_key);
                int count_only = 1;
                for (size_t j = 0; j < got; j++) {
                    count_only &= targets->targets[j].count_cell != NULL;
                }
                int flagged = (targets->flags
                               & PYAUDIT_TARGETS_COUNT_ONLY) != 0;
                CHECK(flagged == count_only, "count_only flag",
                      line, line_len, name, len, flagged, count_only);
            }
        }
        pyaudit_table_decref(t);
        free_names(&own);
        free(own.names);
    }
    for (size_t s = 0; s < nsubs; s++) {
        pyaudit_sub_decref(subs[s]);
    }
    free(ref);
    free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *bytes = (const char *)data;
    const char *nl = memchr(bytes, '\n', size);
    size_t line_len = nl != NULL ? (size_t)(nl - bytes) : size;
    const char *rest = nl != NULL ? nl + 1 : bytes + size;
    size_t rest_len = (size_t)(bytes + size - rest);

    check_add_raw(bytes, line_len);

    /* The list as a C caller passes it: cut at the first NUL. */
    char *list = malloc(line_len + 1);
    ref_item *ref = malloc((line_len + 1) * sizeof(ref_item));
    name_set names = {malloc(MAX_NAMES * sizeof(char *)), 0};
    if (list == NULL || ref == NULL || names.names == NULL) {
        abort();
    }
    memcpy(list, bytes, line_len);
    list[line_len] = '\0';

    pyaudit_sub *sub = pyaudit_sub_new(PYAUDIT_KIND_FILTER, NULL);
    if (sub == NULL) {
        abort();
    }
    long n = check_parse(list, &sub->patterns, ref);
    make_names(&names, rest, rest_len, ref, n > 0 ? (size_t)n : 0);
    if (n > 0) {
        check_one_filter(list, sub, ref, (size_t)n, &names);
    }
    pyaudit_sub_decref(sub);
    check_groups(list, rest, rest_len);

    free_names(&names);
    free(names.names);
    free(ref);
    free(list);
    return 0;
}
