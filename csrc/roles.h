/* roles.h: the catalog's argument roles, as a static table.
 *
 * The table itself is generated (event_roles.h, by tools/gen_events.py
 * from data/audit-events.json and data/event-roles.json) and checked in,
 * so that building needs no generator.  Positions are indexes into the
 * args tuple (of the newest version: where an older one raises fewer
 * arguments, a position past its end is an argument it lacks); -1 means
 * the event has no such argument. */
#ifndef PYAUDIT_ROLES_H
#define PYAUDIT_ROLES_H

#include <stddef.h>

#define PYAUDIT_MAX_PATHS 2

typedef enum {
    PYAUDIT_PROGRAM_NONE,
    PYAUDIT_PROGRAM_PATH,       /* one path or program name */
    PYAUDIT_PROGRAM_COMMAND,    /* a shell command: its first word */
    PYAUDIT_PROGRAM_ARGV,       /* an argv list (its first item) or a str */
    PYAUDIT_PROGRAM_LIST        /* every candidate path of a list */
} pyaudit_program_shape;

typedef struct pyaudit_event_roles_s {
    const char *name;
    size_t len;
    const char *args;           /* argument names, each NUL-terminated */
    int nargs;
    int writes;                 /* every such event changes the files */
    int paths[PYAUDIT_MAX_PATHS];
    int dir_fds[PYAUDIT_MAX_PATHS];     /* of each path */
    int open_mode;
    int open_flags;
    int address;                /* a socket address */
    int host;
    int port;
    int url;
    int program;
    pyaudit_program_shape program_shape;
    int module;
} pyaudit_event_roles;

/* Every event of the catalog, sorted by name; *count gets how many. */
const pyaudit_event_roles *pyaudit_roles_all(size_t *count);

/* The entry of an event name (binary search), or NULL. */
const pyaudit_event_roles *pyaudit_roles_find(const char *name, size_t len);

/* The position of the argument called name, or -1. */
int pyaudit_roles_position(const pyaudit_event_roles *roles,
                           const char *name);

#endif /* PYAUDIT_ROLES_H */
