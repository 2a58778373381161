/* rule_text.c: the TOML subset parser for rule text (see rule_text.h). */
#include "rule_text.h"
#include "error.h"
#include "pattern.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

typedef struct {
    const char *text;
    const char *at;
    int depth;
} parser;

static int parse_value(parser *p, pyaudit_toml_value *value);

static int
fail(const parser *p, const char *what)
{
    int line = 1;
    const char *line_start = p->text;
    for (const char *c = p->text; c < p->at; c++) {
        if (*c == '\n') {
            line++;
            line_start = c + 1;
        }
    }
    return pyaudit_error(PYAUDIT_ERR_VALUE,
                         "invalid rule text (line %d, column %d): %s", line,
                         (int)(p->at - line_start) + 1, what);
}

/* Skip spaces and tabs; with lines, also newlines and comments. */
static void
skip_space(parser *p, int lines)
{
    for (;;) {
        char c = *p->at;
        if (c == ' ' || c == '\t') {
            p->at++;
        }
        else if (lines && (c == '\n' || (c == '\r' && p->at[1] == '\n'))) {
            p->at += c == '\r' ? 2 : 1;
        }
        else if (lines && c == '#') {
            while (*p->at != '\0' && *p->at != '\n') {
                p->at++;
            }
        }
        else {
            return;
        }
    }
}

void
pyaudit_toml_clear(pyaudit_toml_value *value)
{
    free(value->key);
    free(value->string);
    for (size_t i = 0; i < value->count; i++) {
        pyaudit_toml_clear(&value->items[i]);
    }
    free(value->items);
    memset(value, 0, sizeof(*value));
}

const char *
pyaudit_toml_type(const pyaudit_toml_value *value)
{
    static const char *const names[] = {
        "a string", "an integer", "a float", "a boolean", "an array",
        "a table",
    };
    return names[value->kind];
}

/* A growing byte buffer for a string being decoded. */
typedef struct {
    char *bytes;
    size_t length;
    size_t size;
} buffer;

static int
append(buffer *b, const char *bytes, size_t n)
{
    if (b->length + n + 1 > b->size) {
        size_t size = (b->length + n + 1) * 2;
        char *grown = realloc(b->bytes, size);
        if (grown == NULL) {
            return pyaudit_error_nomemory();
        }
        b->bytes = grown;
        b->size = size;
    }
    memcpy(b->bytes + b->length, bytes, n);
    b->length += n;
    b->bytes[b->length] = '\0';
    return 0;
}

static int
append_code_point(buffer *b, unsigned long cp)
{
    char out[4];
    size_t n;
    if (cp < 0x80) {
        out[0] = (char)cp;
        n = 1;
    }
    else if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        n = 2;
    }
    else if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        n = 3;
    }
    else {
        out[0] = (char)(0xF0 | (cp >> 18));
        out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[3] = (char)(0x80 | (cp & 0x3F));
        n = 4;
    }
    return append(b, out, n);
}

/* The \uXXXX or \UXXXXXXXX escape at p->at (after the backslash). */
static int
unicode_escape(parser *p, buffer *b)
{
    int digits = *p->at == 'u' ? 4 : 8;
    unsigned long cp = 0;
    p->at++;
    for (int i = 0; i < digits; i++, p->at++) {
        char c = *p->at;
        int v = c >= '0' && c <= '9' ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0) {
            return fail(p, "a \\u or \\U escape needs 4 or 8 hex digits");
        }
        cp = cp * 16 + (unsigned long)v;
    }
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return fail(p, "an escape that is not a Unicode scalar value");
    }
    return append_code_point(b, cp);
}

/* A basic ("...") or literal ('...') string at p->at. */
static int
parse_string(parser *p, char **out, size_t *length)
{
    char quote = *p->at;
    buffer b = {NULL, 0, 0};
    if (p->at[1] == quote && p->at[2] == quote) {
        return fail(p, "multi-line strings are not supported");
    }
    p->at++;
    if (append(&b, "", 0) < 0) {
        return -1;
    }
    for (;;) {
        unsigned char c = (unsigned char)*p->at;
        if (c == (unsigned char)quote) {
            p->at++;
            break;
        }
        if (c == '\0' || c == '\n' || c == '\r') {
            free(b.bytes);
            return fail(p, "a string is not closed on its line");
        }
        if ((c < 0x20 && c != '\t') || c == 0x7F) {
            free(b.bytes);
            return fail(p, "a control character in a string; write it as "
                           "an escape");
        }
        int failed;
        if (c == '\\' && quote == '"') {
            static const char from[] = "btnfr\"\\";
            static const char to[] = "\b\t\n\f\r\"\\";
            const char *escape = p->at[1] ? strchr(from, p->at[1]) : NULL;
            p->at++;
            if (escape != NULL) {
                failed = append(&b, &to[escape - from], 1);
                p->at++;
            }
            else if (*p->at == 'u' || *p->at == 'U') {
                failed = unicode_escape(p, &b);
            }
            else {
                failed = fail(p, "an unknown escape; allowed: \\b \\t \\n "
                                 "\\f \\r \\\" \\\\ \\uXXXX \\UXXXXXXXX");
            }
        }
        else {
            failed = append(&b, p->at++, 1);
        }
        if (failed < 0) {
            free(b.bytes);
            return -1;
        }
    }
    *out = b.bytes;
    *length = b.length;
    return 0;
}

/* Digits with single underscores between them; returns the count of
 * digits copied into digits (NUL-terminated), or -1. */
static int
copy_digits(parser *p, char *digits, size_t *n, size_t size)
{
    int count = 0;
    while ((*p->at >= '0' && *p->at <= '9') || *p->at == '_') {
        if (*p->at == '_') {
            if (count == 0 || !(p->at[1] >= '0' && p->at[1] <= '9')) {
                return fail(p, "an underscore must stand between digits");
            }
        }
        else {
            if (*n + 1 >= size) {
                return fail(p, "a number with too many digits");
            }
            digits[(*n)++] = *p->at;
            count++;
        }
        p->at++;
    }
    digits[*n] = '\0';
    return count;
}

static int
parse_number(parser *p, pyaudit_toml_value *value)
{
    char digits[400];
    size_t n = 0;
    const char *start = p->at;
    if (*p->at == '+' || *p->at == '-') {
        digits[n++] = *p->at++;
    }
    if (strncmp(p->at, "inf", 3) == 0 || strncmp(p->at, "nan", 3) == 0) {
        int negative = *start == '-';
        value->kind = PYAUDIT_TOML_FLOAT;
        value->number = p->at[0] == 'i' ? (negative ? -HUGE_VAL : HUGE_VAL)
                        : (negative ? -NAN : NAN);
        p->at += 3;
        return 0;
    }
    if (p->at[0] == '0' && (p->at[1] == 'x' || p->at[1] == 'o'
                            || p->at[1] == 'b')) {
        return fail(p, "only decimal integers are supported");
    }
    const char *integer_start = p->at;
    int count = copy_digits(p, digits, &n, sizeof(digits));
    if (count < 0) {
        return -1;
    }
    if (count == 0) {
        p->at = start;
        return fail(p, "expected a value");
    }
    if (*integer_start == '0' && count > 1) {
        p->at = integer_start;
        if (p->at[4] == '-' || p->at[2] == ':') {
            return fail(p, "dates and times are not supported");
        }
        return fail(p, "an integer must not start with 0");
    }
    if (*p->at == '-' || *p->at == ':') {
        return fail(p, "dates and times are not supported");
    }
    int is_float = 0;
    if (*p->at == '.') {
        digits[n++] = *p->at++;
        if (copy_digits(p, digits, &n, sizeof(digits)) <= 0) {
            return fail(p, "a float needs digits after '.'");
        }
        is_float = 1;
    }
    if (*p->at == 'e' || *p->at == 'E') {
        digits[n++] = *p->at++;
        if (*p->at == '+' || *p->at == '-') {
            digits[n++] = *p->at++;
        }
        if (copy_digits(p, digits, &n, sizeof(digits)) <= 0) {
            return fail(p, "a float needs digits in its exponent");
        }
        is_float = 1;
    }
    errno = 0;
    if (is_float) {
        value->kind = PYAUDIT_TOML_FLOAT;
        value->number = strtod(digits, NULL);
        return 0;
    }
    value->kind = PYAUDIT_TOML_INTEGER;
    value->integer = strtoll(digits, NULL, 10);
    if (errno == ERANGE) {
        p->at = start;
        return fail(p, "an integer that does not fit in 64 bits");
    }
    return 0;
}

/* Append an empty value to a growing array of count values. */
static pyaudit_toml_value *
add_item(pyaudit_toml_value *container)
{
    pyaudit_toml_value *grown = realloc(
        container->items, (container->count + 1) * sizeof(*grown));
    if (grown == NULL) {
        pyaudit_error_nomemory();
        return NULL;
    }
    container->items = grown;
    memset(&grown[container->count], 0, sizeof(*grown));
    return &grown[container->count++];
}

static int
parse_array(parser *p, pyaudit_toml_value *value)
{
    value->kind = PYAUDIT_TOML_ARRAY;
    p->at++;
    for (;;) {
        skip_space(p, 1);
        if (*p->at == ']') {
            p->at++;
            return 0;
        }
        pyaudit_toml_value *item = add_item(value);
        if (item == NULL || parse_value(p, item) < 0) {
            return -1;
        }
        skip_space(p, 1);
        if (*p->at == ',') {
            p->at++;
        }
        else if (*p->at != ']') {
            return fail(p, "expected ',' or ']' in an array");
        }
    }
}

static int
is_bare_key_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')
           || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

static int
parse_key(parser *p, char **key)
{
    size_t length;
    if (*p->at == '"' || *p->at == '\'') {
        if (parse_string(p, key, &length) < 0) {
            return -1;
        }
        if (strlen(*key) != length) {
            return fail(p, "a key with a NUL character");
        }
        return 0;
    }
    const char *start = p->at;
    while (is_bare_key_char(*p->at)) {
        p->at++;
    }
    if (p->at == start) {
        return fail(p, "expected a key");
    }
    length = (size_t)(p->at - start);
    *key = malloc(length + 1);
    if (*key == NULL) {
        return pyaudit_error_nomemory();
    }
    memcpy(*key, start, length);
    (*key)[length] = '\0';
    return 0;
}

static int
parse_table(parser *p, pyaudit_toml_value *value)
{
    value->kind = PYAUDIT_TOML_TABLE;
    p->at++;
    skip_space(p, 0);
    if (*p->at == '}') {
        p->at++;
        return 0;
    }
    for (;;) {
        skip_space(p, 0);
        const char *key_at = p->at;
        pyaudit_toml_value *member = add_item(value);
        if (member == NULL || parse_key(p, &member->key) < 0) {
            return -1;
        }
        for (size_t i = 0; i + 1 < value->count; i++) {
            if (strcmp(value->items[i].key, member->key) == 0) {
                p->at = key_at;
                return fail(p, "a key given twice");
            }
        }
        skip_space(p, 0);
        if (*p->at == '.') {
            return fail(p, "dotted keys are not supported");
        }
        if (*p->at != '=') {
            return fail(p, "expected '=' after a key");
        }
        p->at++;
        skip_space(p, 0);
        if (parse_value(p, member) < 0) {
            return -1;
        }
        skip_space(p, 0);
        if (*p->at == '}') {
            p->at++;
            return 0;
        }
        if (*p->at != ',') {
            return fail(p, "expected ',' or '}' in an inline table (which "
                           "stays on one line)");
        }
        p->at++;
    }
}

static int
parse_value(parser *p, pyaudit_toml_value *value)
{
    int result;
    if (++p->depth > MAX_DEPTH) {
        return fail(p, "values nested too deeply");
    }
    char c = *p->at;
    if (c == '"' || c == '\'') {
        value->kind = PYAUDIT_TOML_STRING;
        result = parse_string(p, &value->string, &value->length);
    }
    else if (c == '[') {
        result = parse_array(p, value);
    }
    else if (c == '{') {
        result = parse_table(p, value);
    }
    else if (strncmp(p->at, "true", 4) == 0
             && !is_bare_key_char(p->at[4])) {
        value->kind = PYAUDIT_TOML_BOOLEAN;
        value->integer = 1;
        p->at += 4;
        result = 0;
    }
    else if (strncmp(p->at, "false", 5) == 0
             && !is_bare_key_char(p->at[5])) {
        value->kind = PYAUDIT_TOML_BOOLEAN;
        p->at += 5;
        result = 0;
    }
    else if ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'i'
             || c == 'n') {
        result = parse_number(p, value);
    }
    else {
        result = fail(p, "expected a value");
    }
    p->depth--;
    return result;
}

int
pyaudit_toml_parse(const char *text, pyaudit_toml_value *value)
{
    parser p = {text, text, 0};
    memset(value, 0, sizeof(*value));
    if (!pyaudit_valid_utf8((const unsigned char *)text, strlen(text))) {
        return pyaudit_error(PYAUDIT_ERR_VALUE,
                             "invalid rule text: not valid UTF-8");
    }
    skip_space(&p, 1);
    if (parse_value(&p, value) == 0) {
        skip_space(&p, 1);
        if (*p.at == '\0') {
            return 0;
        }
        fail(&p, "more after the value");
    }
    pyaudit_toml_clear(value);
    return -1;
}
