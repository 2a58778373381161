/* rules.c: compiling rule text into rules (see rules.h).  Every check and
 * message is that of pyaudit/_rules.py; rule_match.c decides events. */
#include "rules_compiled.h"
#include "bytes.h"
#include "error.h"
#include "paths.h"
#include "rule_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ALLOWED "paths_under, paths_outside, writing, hosts, " \
    "hosts_outside, ports, programs, programs_outside, modules, " \
    "modules_outside, args"
#define PORT_ALLOWED "allowed: an integer 0-65535 or a range string " \
    "'a-b' with a <= b"

/* The conditions in canonical order (that of the rule text Where
 * renders, and of the checks). */
typedef enum {
    PATHS_UNDER, PATHS_OUTSIDE, WRITING, HOSTS, HOSTS_OUTSIDE, PORTS,
    PROGRAMS, PROGRAMS_OUTSIDE, MODULES, MODULES_OUTSIDE, ARGS,
    NCONDITIONS
} condition;

static const char *const condition_names[NCONDITIONS] = {
    "paths_under", "paths_outside", "writing", "hosts", "hosts_outside",
    "ports", "programs", "programs_outside", "modules", "modules_outside",
    "args",
};

/* ---- freeing ----------------------------------------------------------- */

static void
clear_strings(pyaudit_strings *strings)
{
    for (size_t i = 0; i < strings->count; i++) {
        free(strings->items[i]);
    }
    free(strings->items);
    free(strings->lens);
}

static void
clear_alternative(pyaudit_alternative *alt)
{
    for (int side = 0; side < 2; side++) {
        clear_strings(&alt->dirs[side]);
        free(alt->hosts[side].networks);
        clear_strings(&alt->hosts[side].names);
        clear_strings(&alt->programs[side]);
        clear_strings(&alt->modules[side]);
    }
    free(alt->ports);
    for (size_t i = 0; i < alt->nargs; i++) {
        free(alt->args[i].name);
        for (size_t k = 0; k < alt->args[i].nvalues; k++) {
            free(alt->args[i].values[k].string);
        }
        free(alt->args[i].values);
    }
    free(alt->args);
}

void
pyaudit_rules_free(pyaudit_rules *rules)
{
    if (rules == NULL) {
        return;
    }
    for (size_t i = 0; i < rules->nalternatives; i++) {
        clear_alternative(&rules->alternatives[i]);
    }
    free(rules->alternatives);
    free(rules->slots);
    free(rules->text);
    free(rules);
}

const char *
pyaudit_rules_text(const pyaudit_rules *rules)
{
    return rules->text;
}

/* ---- checking the values ------------------------------------------------ */

static int
add_string(pyaudit_strings *strings, const char *text, size_t len)
{
    char **items = realloc(strings->items,
                           (strings->count + 1) * sizeof(char *));
    if (items == NULL) {
        return pyaudit_error_nomemory();
    }
    strings->items = items;
    size_t *lens = realloc(strings->lens,
                           (strings->count + 1) * sizeof(size_t));
    if (lens == NULL) {
        return pyaudit_error_nomemory();
    }
    strings->lens = lens;
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        return pyaudit_error_nomemory();
    }
    memcpy(copy, text, len);
    copy[len] = '\0';
    items[strings->count] = copy;
    lens[strings->count++] = len;
    return 0;
}

/* The array of strings of a list condition: its type, not empty, no
 * NUL characters. */
static int
check_strings(condition c, const char *what, const pyaudit_toml_value *v)
{
    const char *name = condition_names[c];
    if (v->kind != PYAUDIT_TOML_ARRAY) {
        return pyaudit_error(PYAUDIT_ERR_TYPE, "%s must be an array of "
                             "strings, not %s", name, pyaudit_toml_type(v));
    }
    if (v->count == 0) {
        return pyaudit_error(PYAUDIT_ERR_VALUE, "%s must list at least one "
                             "%s", name, what);
    }
    for (size_t i = 0; i < v->count; i++) {
        const pyaudit_toml_value *entry = &v->items[i];
        if (entry->kind != PYAUDIT_TOML_STRING) {
            return pyaudit_error(PYAUDIT_ERR_TYPE, "%s must be an array of "
                                 "strings, not an array holding %s", name,
                                 pyaudit_toml_type(entry));
        }
        if (strlen(entry->string) != entry->length) {
            return pyaudit_error(PYAUDIT_ERR_VALUE, "%s: an entry contains "
                                 "a NUL character", name);
        }
    }
    return 0;
}

/* An absolute directory (or program path), normalised. */
static int
add_directory(pyaudit_strings *out, condition c, const char *entry,
              size_t len)
{
    if (entry[0] != '/') {
        return pyaudit_error(PYAUDIT_ERR_VALUE, "%s: '%s' is not an "
                             "absolute directory; directories must start "
                             "with '/'", condition_names[c], entry);
    }
    char *copy = malloc(len + 1);
    if (copy == NULL) {
        return pyaudit_error_nomemory();
    }
    memcpy(copy, entry, len);
    size_t n = pyaudit_path_collapse(copy, len);
    int result = add_string(out, copy, n);
    free(copy);
    return result;
}

static int
add_host(pyaudit_hosts *hosts, condition c, const char *entry, size_t len)
{
    pyaudit_address address;
    int kind = pyaudit_parse_host_entry(entry, len, &address);
    if (kind == 0) {
        return pyaudit_error(
            PYAUDIT_ERR_VALUE, "%s: '%s' is malformed; allowed: an IPv4 or "
            "IPv6 address, a CIDR range such as '10.0.0.0/8' or 'fe80::/10' "
            "(no bits set after the prefix) or an ASCII host name",
            condition_names[c], entry);
    }
    if (kind == 2) {
        size_t n = pyaudit_host_name_length(entry, len);
        char lower[256];
        char *name = n < sizeof(lower) ? lower : malloc(n + 1);
        if (name == NULL) {
            return pyaudit_error_nomemory();
        }
        for (size_t i = 0; i < n; i++) {
            char ch = entry[i];
            name[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
        }
        int result = add_string(&hosts->names, name, n);
        if (name != lower) {
            free(name);
        }
        return result;
    }
    pyaudit_address *grown = realloc(
        hosts->networks, (hosts->nnetworks + 1) * sizeof(*grown));
    if (grown == NULL) {
        return pyaudit_error_nomemory();
    }
    hosts->networks = grown;
    grown[hosts->nnetworks++] = address;
    return 0;
}

static int
add_program(pyaudit_strings *out, condition c, const char *entry,
            size_t len)
{
    int bare = memchr(entry, '/', len) == NULL && len > 0
               && strcmp(entry, ".") != 0 && strcmp(entry, "..") != 0;
    if (bare) {
        return add_string(out, entry, len);
    }
    if (entry[0] != '/') {
        return pyaudit_error(PYAUDIT_ERR_VALUE, "%s: '%s' is neither a "
                             "program name (no '/') nor an absolute path",
                             condition_names[c], entry);
    }
    return add_directory(out, c, entry, len);
}

static int
add_module(pyaudit_strings *out, condition c, const char *entry, size_t len)
{
    size_t part = 0;
    for (size_t i = 0; i <= len; i++) {
        unsigned char ch = i < len ? (unsigned char)entry[i] : '.';
        int ok;
        if (ch == '.') {
            ok = part > 0;
            part = 0;
        }
        else {
            ok = !(part == 0 && ch >= '0' && ch <= '9')
                 && ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
                     || (ch >= '0' && ch <= '9') || ch == '_' || ch >= 0x80);
            part++;
        }
        if (!ok) {
            return pyaudit_error(PYAUDIT_ERR_VALUE, "%s: '%s' is not a "
                                 "module name; allowed: dotted names such as "
                                 "'pkg' or 'pkg.sub'", condition_names[c],
                                 entry);
        }
    }
    return add_string(out, entry, len);
}

static int
check_ports(pyaudit_alternative *alt, const pyaudit_toml_value *v)
{
    if (v->kind != PYAUDIT_TOML_ARRAY) {
        return pyaudit_error(PYAUDIT_ERR_TYPE, "ports must be an array of "
                             "integers or 'a-b' strings, not %s",
                             pyaudit_toml_type(v));
    }
    if (v->count == 0) {
        return pyaudit_error(PYAUDIT_ERR_VALUE,
                             "ports must list at least one port");
    }
    alt->ports = calloc(v->count, sizeof(pyaudit_port_range));
    if (alt->ports == NULL) {
        return pyaudit_error_nomemory();
    }
    for (size_t i = 0; i < v->count; i++) {
        const pyaudit_toml_value *entry = &v->items[i];
        pyaudit_port_range *range = &alt->ports[alt->nports++];
        if (entry->kind == PYAUDIT_TOML_INTEGER) {
            if (entry->integer < 0 || entry->integer > 65535) {
                return pyaudit_error(PYAUDIT_ERR_VALUE, "ports: %lld is not "
                                     "a port; " PORT_ALLOWED,
                                     entry->integer);
            }
            range->low = range->high = (long)entry->integer;
            continue;
        }
        if (entry->kind != PYAUDIT_TOML_STRING) {
            return pyaudit_error(PYAUDIT_ERR_TYPE, "ports must be an array "
                                 "of integers or 'a-b' strings, not an array "
                                 "holding %s", pyaudit_toml_type(entry));
        }
        const char *dash = memchr(entry->string, '-', entry->length);
        if (dash != NULL) {
            size_t at = (size_t)(dash - entry->string);
            range->low = pyaudit_parse_port(entry->string, at);
            range->high = pyaudit_parse_port(dash + 1,
                                             entry->length - at - 1);
        }
        if (dash == NULL || range->low < 0 || range->high < 0
            || range->low > range->high) {
            return pyaudit_error(PYAUDIT_ERR_VALUE, "ports: '%s' is not a "
                                 "port range; " PORT_ALLOWED, entry->string);
        }
    }
    return 0;
}

static int
check_value(const char *key, const pyaudit_toml_value *v, pyaudit_value *out)
{
    switch (v->kind) {
    case PYAUDIT_TOML_STRING:
        out->kind = PYAUDIT_VALUE_STRING;
        out->string = malloc(v->length + 1);
        if (out->string == NULL) {
            return pyaudit_error_nomemory();
        }
        memcpy(out->string, v->string, v->length + 1);
        out->length = v->length;
        return 0;
    case PYAUDIT_TOML_INTEGER:
    case PYAUDIT_TOML_BOOLEAN:
        out->kind = v->kind == PYAUDIT_TOML_INTEGER ? PYAUDIT_VALUE_INTEGER
                                                    : PYAUDIT_VALUE_BOOLEAN;
        out->integer = v->integer;
        return 0;
    case PYAUDIT_TOML_FLOAT:
        out->kind = PYAUDIT_VALUE_FLOAT;
        out->number = v->number;
        return 0;
    default:
        return pyaudit_error(PYAUDIT_ERR_TYPE, "args: the value for '%s' "
                             "must be a string, integer, boolean or float, "
                             "or an array of them, not %s", key,
                             pyaudit_toml_type(v));
    }
}

/* Positions first (ascending), then names (in code point order). */
static int
compare_tests(const void *a, const void *b)
{
    const pyaudit_arg_test *x = a, *y = b;
    if ((x->position < 0) != (y->position < 0)) {
        return x->position < 0 ? 1 : -1;
    }
    if (x->position >= 0) {
        return (x->position > y->position) - (x->position < y->position);
    }
    return strcmp(x->name, y->name);
}

static int
check_args(pyaudit_alternative *alt, const pyaudit_toml_value *v)
{
    if (v->kind != PYAUDIT_TOML_TABLE) {
        return pyaudit_error(PYAUDIT_ERR_TYPE, "args must be an inline table "
                             "of argument names or positions to values, not "
                             "%s", pyaudit_toml_type(v));
    }
    if (v->count == 0) {
        return pyaudit_error(PYAUDIT_ERR_VALUE,
                             "args must name at least one argument");
    }
    alt->args = calloc(v->count, sizeof(pyaudit_arg_test));
    if (alt->args == NULL) {
        return pyaudit_error_nomemory();
    }
    for (size_t i = 0; i < v->count; i++) {
        const pyaudit_toml_value *member = &v->items[i];
        const char *key = member->key;
        pyaudit_arg_test *test = &alt->args[alt->nargs++];
        int many = member->kind == PYAUDIT_TOML_ARRAY;
        size_t n = many ? member->count : 1;
        if (many && n == 0) {
            return pyaudit_error(PYAUDIT_ERR_VALUE, "args: '%s' has an empty "
                                 "array of values, which no argument equals",
                                 key);
        }
        test->position = -1;
        test->values = calloc(n, sizeof(pyaudit_value));
        if (test->values == NULL) {
            return pyaudit_error_nomemory();
        }
        for (size_t k = 0; k < n; k++) {
            test->nvalues++;
            if (check_value(key, many ? &member->items[k] : member,
                            &test->values[k]) < 0) {
                return -1;
            }
        }
        size_t len = strlen(key), digits = strspn(key, "0123456789");
        if (len > 0 && digits == len) {
            if ((len > 1 && key[0] == '0') || len > 3 || atoi(key) > 255) {
                return pyaudit_error(PYAUDIT_ERR_VALUE, "args: position '%s' "
                                     "must be a decimal number 0-255 without "
                                     "leading zeros", key);
            }
            test->position = atoi(key);
            continue;
        }
        if (len == 0) {
            return pyaudit_error(PYAUDIT_ERR_VALUE,
                                 "args: an argument name must not be empty");
        }
        test->name = malloc(len + 1);
        if (test->name == NULL) {
            return pyaudit_error_nomemory();
        }
        memcpy(test->name, key, len + 1);
    }
    qsort(alt->args, alt->nargs, sizeof(pyaudit_arg_test), compare_tests);
    return 0;
}

/* One list condition: each entry checked and added to out. */
static int
check_list(condition c, const pyaudit_toml_value *v, pyaudit_alternative *alt)
{
    static const char *const what[NCONDITIONS] = {
        [PATHS_UNDER] = "directory", [PATHS_OUTSIDE] = "directory",
        [HOSTS] = "host", [HOSTS_OUTSIDE] = "host",
        [PROGRAMS] = "program", [PROGRAMS_OUTSIDE] = "program",
        [MODULES] = "module", [MODULES_OUTSIDE] = "module",
    };
    int side = c == PATHS_OUTSIDE || c == HOSTS_OUTSIDE
               || c == PROGRAMS_OUTSIDE || c == MODULES_OUTSIDE;
    if (check_strings(c, what[c], v) < 0) {
        return -1;
    }
    for (size_t i = 0; i < v->count; i++) {
        const char *entry = v->items[i].string;
        size_t len = v->items[i].length;
        int result;
        if (c == PATHS_UNDER || c == PATHS_OUTSIDE) {
            alt->dirs[side].given = 1;
            result = add_directory(&alt->dirs[side], c, entry, len);
        }
        else if (c == HOSTS || c == HOSTS_OUTSIDE) {
            alt->hosts_given[side] = 1;
            result = add_host(&alt->hosts[side], c, entry, len);
        }
        else if (c == PROGRAMS || c == PROGRAMS_OUTSIDE) {
            alt->programs[side].given = 1;
            result = add_program(&alt->programs[side], c, entry, len);
        }
        else {
            alt->modules[side].given = 1;
            result = add_module(&alt->modules[side], c, entry, len);
        }
        if (result < 0) {
            return -1;
        }
    }
    return 0;
}

static int
check_alternative(const pyaudit_toml_value *table, pyaudit_alternative *alt)
{
    const pyaudit_toml_value *given[NCONDITIONS] = {NULL};
    alt->writing = -1;
    if (table->kind != PYAUDIT_TOML_TABLE) {
        return pyaudit_error(PYAUDIT_ERR_TYPE, "each alternative must be an "
                             "inline table of conditions, not %s",
                             pyaudit_toml_type(table));
    }
    if (table->count == 0) {
        return pyaudit_error(PYAUDIT_ERR_VALUE, "an alternative has no "
                             "conditions; give at least one of: " ALLOWED);
    }
    for (size_t i = 0; i < table->count; i++) {
        int c = 0;
        while (c < NCONDITIONS
               && strcmp(condition_names[c], table->items[i].key) != 0) {
            c++;
        }
        if (c == NCONDITIONS) {
            return pyaudit_error(PYAUDIT_ERR_VALUE, "unknown condition '%s'; "
                                 "allowed: " ALLOWED, table->items[i].key);
        }
        given[c] = &table->items[i];
    }
    for (int c = 0; c < NCONDITIONS; c++) {
        const pyaudit_toml_value *v = given[c];
        int result = 0;
        if (v == NULL) {
            continue;
        }
        if (c == WRITING) {
            if (v->kind != PYAUDIT_TOML_BOOLEAN) {
                return pyaudit_error(PYAUDIT_ERR_TYPE, "writing must be a "
                                     "boolean, not %s", pyaudit_toml_type(v));
            }
            alt->writing = (int)v->integer;
        }
        else if (c == PORTS) {
            result = check_ports(alt, v);
        }
        else if (c == ARGS) {
            result = check_args(alt, v);
        }
        else {
            result = check_list((condition)c, v, alt);
        }
        if (result < 0) {
            return -1;
        }
    }
    alt->beyond_paths = alt->hosts_given[0] || alt->hosts_given[1]
                        || alt->ports != NULL
                        || alt->programs[0].given || alt->programs[1].given
                        || alt->modules[0].given || alt->modules[1].given
                        || alt->nargs > 0;
    return 0;
}

/* ---- the patterns must allow every condition ---------------------------- */

typedef struct {
    const pyaudit_event_roles **events;     /* matched by the patterns */
    size_t count;
    int unknown;        /* an exact pattern the catalog does not know */
} matched_events;

static int
supports(condition c, const pyaudit_arg_test *test,
         const pyaudit_event_roles *r)
{
    switch (c) {
    case PATHS_UNDER:
    case PATHS_OUTSIDE:
        return r->paths[0] >= 0;
    case WRITING:
        return r->paths[0] >= 0 || r->writes || r->open_mode >= 0
               || r->open_flags >= 0;
    case HOSTS:
    case HOSTS_OUTSIDE:
        return r->address >= 0 || r->host >= 0 || r->url >= 0;
    case PORTS:
        return r->address >= 0 || r->port >= 0 || r->url >= 0;
    case PROGRAMS:
    case PROGRAMS_OUTSIDE:
        return r->program >= 0;
    case MODULES:
    case MODULES_OUTSIDE:
        return r->module >= 0;
    default:
        return test->position >= 0 ? test->position < r->nargs
                                   : pyaudit_roles_position(r, test->name)
                                     >= 0;
    }
}

static const char *
applies_to(condition c)
{
    switch (c) {
    case PATHS_UNDER:
    case PATHS_OUTSIDE:
        return "events with path arguments (open, os.remove, "
               "shutil.copyfile, ...)";
    case WRITING:
        return "file events (open, os.remove, shutil.copyfile, ...)";
    case HOSTS:
    case HOSTS_OUTSIDE:
        return "network events (socket.connect, socket.getaddrinfo, "
               "urllib.Request, ...)";
    case PORTS:
        return "network events with a port (socket.connect, "
               "socket.getaddrinfo, urllib.Request, ...)";
    case PROGRAMS:
    case PROGRAMS_OUTSIDE:
        return "process events (subprocess.Popen, os.exec, os.system, ...)";
    default:
        return "the import event";
    }
}

static int
unsupported(condition c, const pyaudit_arg_test *test,
            const pyaudit_patterns *patterns)
{
    char shown[400];
    size_t at = 0;
    shown[0] = '\0';
    for (size_t i = 0; i < patterns->count && at < sizeof(shown); i++) {
        at += (size_t)snprintf(shown + at, sizeof(shown) - at, "%s%s",
                               i ? ", " : "", patterns->items[i].item);
    }
    if (c != ARGS) {
        return pyaudit_error(PYAUDIT_ERR_VALUE, "condition '%s' cannot hold "
                             "for any event that '%s' matches: it applies "
                             "only to %s", condition_names[c], shown,
                             applies_to(c));
    }
    if (test->position >= 0) {
        return pyaudit_error(PYAUDIT_ERR_VALUE, "condition 'args' cannot "
                             "hold for any event that '%s' matches: none of "
                             "them has an argument at position %d", shown,
                             test->position);
    }
    return pyaudit_error(PYAUDIT_ERR_VALUE, "condition 'args' cannot hold "
                         "for any event that '%s' matches: none of them has "
                         "an argument named '%s'", shown, test->name);
}

static int
condition_given(const pyaudit_alternative *alt, condition c)
{
    switch (c) {
    case PATHS_UNDER:
    case PATHS_OUTSIDE:
        return alt->dirs[c == PATHS_OUTSIDE].given;
    case WRITING:
        return alt->writing >= 0;
    case HOSTS:
    case HOSTS_OUTSIDE:
        return alt->hosts_given[c == HOSTS_OUTSIDE];
    case PORTS:
        return alt->ports != NULL;
    case PROGRAMS:
    case PROGRAMS_OUTSIDE:
        return alt->programs[c == PROGRAMS_OUTSIDE].given;
    case MODULES:
    case MODULES_OUTSIDE:
        return alt->modules[c == MODULES_OUTSIDE].given;
    default:
        return alt->nargs > 0;
    }
}

static int
check_condition(condition c, const pyaudit_arg_test *test,
                const matched_events *matched,
                const pyaudit_patterns *patterns)
{
    for (size_t i = 0; i < matched->count; i++) {
        if (supports(c, test, matched->events[i])) {
            return 0;
        }
    }
    if (c == ARGS && test->position >= 0 && matched->unknown) {
        return 0;
    }
    return unsupported(c, test, patterns);
}

static int
check_supported(const pyaudit_rules *rules, const matched_events *matched,
                const pyaudit_patterns *patterns)
{
    for (size_t a = 0; a < rules->nalternatives; a++) {
        const pyaudit_alternative *alt = &rules->alternatives[a];
        for (int c = 0; c < NCONDITIONS; c++) {
            if (!condition_given(alt, (condition)c)) {
                continue;
            }
            size_t ntests = c == ARGS ? alt->nargs : 1;
            for (size_t t = 0; t < ntests; t++) {
                if (check_condition((condition)c, c == ARGS ? &alt->args[t]
                                                             : NULL,
                                    matched, patterns) < 0) {
                    return -1;
                }
            }
        }
    }
    return 0;
}

/* The catalog events the patterns match, and whether an exact pattern
 * names an event the catalog does not know. */
static int
match_events(const pyaudit_patterns *patterns, matched_events *matched)
{
    size_t count;
    const pyaudit_event_roles *all = pyaudit_roles_all(&count);
    matched->events = malloc((count ? count : 1) * sizeof(*matched->events));
    if (matched->events == NULL) {
        return pyaudit_error_nomemory();
    }
    for (size_t i = 0; i < count; i++) {
        if (pyaudit_patterns_match(patterns, all[i].name, all[i].len,
                                   PYAUDIT_AS_NAME)) {
            matched->events[matched->count++] = &all[i];
        }
    }
    for (size_t i = 0; i < patterns->count; i++) {
        const pyaudit_pattern *p = &patterns->items[i];
        if (!p->excluded && p->kind == PYAUDIT_MATCH_EXACT
            && pyaudit_roles_find(p->text, p->len) == NULL
            && pyaudit_patterns_match(patterns, p->text, p->len,
                                      PYAUDIT_AS_NAME)) {
            matched->unknown = 1;
        }
    }
    return 0;
}

/* The matched events by name hash, for rule_match.c. */
static int
build_slots(pyaudit_rules *rules, const matched_events *matched)
{
    uint32_t size = 4;
    while (size < 2 * matched->count) {
        size *= 2;
    }
    rules->slots = calloc(size, sizeof(*rules->slots));
    if (rules->slots == NULL) {
        return pyaudit_error_nomemory();
    }
    rules->mask = size - 1;
    for (size_t i = 0; i < matched->count; i++) {
        const pyaudit_event_roles *r = matched->events[i];
        uint32_t at = pyaudit_roles_slot(r->name, r->len) & rules->mask;
        while (rules->slots[at] != NULL) {
            at = (at + 1) & rules->mask;
        }
        rules->slots[at] = r;
    }
    return 0;
}

/* ---- compiling ---------------------------------------------------------- */

static int
check_rules(pyaudit_rules *rules, const pyaudit_toml_value *model)
{
    const pyaudit_toml_value *tables = model;
    size_t count = 1;
    if (model->kind == PYAUDIT_TOML_ARRAY) {
        if (model->count == 0) {
            return pyaudit_error(PYAUDIT_ERR_VALUE, "rule text has no "
                                 "alternatives: an empty array matches "
                                 "nothing; give at least one inline table");
        }
        tables = model->items;
        count = model->count;
    }
    else if (model->kind != PYAUDIT_TOML_TABLE) {
        return pyaudit_error(PYAUDIT_ERR_TYPE, "rule text must be an inline "
                             "table or an array of inline tables, not %s",
                             pyaudit_toml_type(model));
    }
    rules->alternatives = calloc(count, sizeof(pyaudit_alternative));
    if (rules->alternatives == NULL) {
        return pyaudit_error_nomemory();
    }
    rules->writing_only = 1;
    for (size_t i = 0; i < count; i++) {
        rules->nalternatives++;
        if (check_alternative(&tables[i], &rules->alternatives[i]) < 0) {
            return -1;
        }
        rules->any_writing |= rules->alternatives[i].writing >= 0;
        rules->writing_only &= rules->alternatives[i].writing == 1;
    }
    return 0;
}

pyaudit_rules *
pyaudit_rules_compile(const char *text, const pyaudit_patterns *patterns)
{
    pyaudit_toml_value model;
    matched_events matched = {NULL, 0, 0};
    pyaudit_rules *rules = calloc(1, sizeof(pyaudit_rules));
    if (rules == NULL) {
        pyaudit_error_nomemory();
        return NULL;
    }
    size_t len = strlen(text);
    rules->text = malloc(len + 1);
    if (rules->text == NULL) {
        pyaudit_error_nomemory();
        pyaudit_rules_free(rules);
        return NULL;
    }
    memcpy(rules->text, text, len + 1);
    if (pyaudit_toml_parse(text, &model) < 0) {
        pyaudit_rules_free(rules);
        return NULL;
    }
    int result = check_rules(rules, &model);
    pyaudit_toml_clear(&model);
    if (result == 0) {
        result = match_events(patterns, &matched);
    }
    if (result == 0) {
        result = check_supported(rules, &matched, patterns);
    }
    if (result == 0) {
        result = build_slots(rules, &matched);
    }
    free(matched.events);
    if (result < 0) {
        pyaudit_rules_free(rules);
        return NULL;
    }
    return rules;
}
