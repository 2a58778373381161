/* rule_text.h: the subset of TOML that rule text is written in.
 *
 * One TOML value (the right-hand side of "rules = ..."): basic and literal
 * strings with escapes, decimal integers (64-bit), floats (with inf and
 * nan), booleans, arrays (over several lines, with comments) and inline
 * tables.  Multi-line strings, dates and times, hexadecimal, octal and
 * binary integers and dotted keys are outside the subset: an error says
 * so.  Pure C: usable before Python starts.
 */
#ifndef PYAUDIT_RULE_TEXT_H
#define PYAUDIT_RULE_TEXT_H

#include <stddef.h>

typedef enum {
    PYAUDIT_TOML_STRING,
    PYAUDIT_TOML_INTEGER,
    PYAUDIT_TOML_FLOAT,
    PYAUDIT_TOML_BOOLEAN,
    PYAUDIT_TOML_ARRAY,
    PYAUDIT_TOML_TABLE
} pyaudit_toml_kind;

typedef struct pyaudit_toml_value {
    pyaudit_toml_kind kind;
    char *key;              /* owned: its key, for a member of a table */
    char *string;           /* owned, NUL-terminated UTF-8 (STRING) */
    size_t length;          /* of string, which may hold NUL bytes */
    long long integer;      /* INTEGER; BOOLEAN: 0 or 1 */
    double number;          /* FLOAT */
    struct pyaudit_toml_value *items;   /* owned: ARRAY items, TABLE
                                           members in the written order */
    size_t count;
} pyaudit_toml_value;

/* Parse text into *value.  0, or -1 with a VALUE error ("invalid rule
 * text (line L, column C): ...") and *value left empty. */
int pyaudit_toml_parse(const char *text, pyaudit_toml_value *value);

/* Release what value owns (not value itself). */
void pyaudit_toml_clear(pyaudit_toml_value *value);

/* "a string", "an integer", ...: the value's type, for messages. */
const char *pyaudit_toml_type(const pyaudit_toml_value *value);

#endif /* PYAUDIT_RULE_TEXT_H */
