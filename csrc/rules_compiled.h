/* rules_compiled.h: compiled rules, shared by rules.c (which builds them
 * from rule text) and rule_match.c (which decides events with them).
 * Every string is owned, NUL-terminated and normalised when compiled. */
#ifndef PYAUDIT_RULES_COMPILED_H
#define PYAUDIT_RULES_COMPILED_H

#include "net.h"
#include "roles.h"
#include "rules.h"

#include <stdint.h>

/* The conditions with a list of entries, by index: "_under"/plain ones
 * and "_outside" ones side by side. */
enum {
    PYAUDIT_IN = 0,             /* paths_under, hosts, programs, modules */
    PYAUDIT_OUT = 1             /* paths_outside, hosts_outside, ... */
};

typedef struct {
    char **items;               /* owned strings */
    size_t *lens;               /* owned */
    size_t count;
    int given;                  /* the condition is part of the rules */
} pyaudit_strings;

typedef struct {
    pyaudit_address *networks;  /* owned */
    size_t nnetworks;
    pyaudit_strings names;      /* lowercase, no trailing dot */
} pyaudit_hosts;

typedef struct {
    long low;
    long high;
} pyaudit_port_range;

typedef enum {
    PYAUDIT_VALUE_STRING,
    PYAUDIT_VALUE_INTEGER,
    PYAUDIT_VALUE_BOOLEAN,
    PYAUDIT_VALUE_FLOAT
} pyaudit_value_kind;

typedef struct {
    pyaudit_value_kind kind;
    char *string;               /* owned (STRING) */
    size_t length;
    long long integer;          /* INTEGER; BOOLEAN: 0 or 1 */
    double number;              /* FLOAT */
} pyaudit_value;

typedef struct {
    int position;               /* -1 when given by name */
    char *name;                 /* owned, when given by name */
    pyaudit_value *values;      /* owned: any of them */
    size_t nvalues;
} pyaudit_arg_test;

typedef struct {
    int writing;                /* -1: not given; else 0 or 1 */
    pyaudit_strings dirs[2];
    pyaudit_hosts hosts[2];
    int hosts_given[2];
    pyaudit_port_range *ports;  /* owned; NULL: not given */
    size_t nports;
    pyaudit_strings programs[2];
    pyaudit_strings modules[2];
    pyaudit_arg_test *args;     /* owned */
    size_t nargs;
    int beyond_paths;           /* a host, port, program, module or args
                                   condition is given (else the paths
                                   decide what writing leaves) */
} pyaudit_alternative;

/* Where an event name's roles start their search in slots: a hash of its
 * length and two of its bytes, cheaper than hashing the whole name (the
 * probe then compares whole names). */
static inline uint32_t
pyaudit_roles_slot(const char *name, size_t len)
{
    uint32_t h = (uint32_t)len * 0x9E3779B1u;
    h ^= (uint32_t)(unsigned char)name[len - 1] * 0x85EBCA6Bu;
    h ^= (uint32_t)(unsigned char)name[len / 2] * 0xC2B2AE35u;
    return h ^ (h >> 15);
}

struct pyaudit_rules {
    char *text;                 /* owned: the text compiled */
    pyaudit_alternative *alternatives;  /* owned */
    size_t nalternatives;
    const pyaudit_event_roles **slots;  /* owned array of borrowed
                                           entries: the events the
                                           patterns match, by name hash */
    uint32_t mask;              /* slots has mask + 1 entries */
    int any_writing;            /* some alternative gives writing */
    int writing_only;           /* every alternative asks writing = true:
                                   an event that writes nothing matches
                                   none */
};

#endif /* PYAUDIT_RULES_COMPILED_H */
