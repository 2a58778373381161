/* roles.c: lookups in the generated table of argument roles (roles.h). */
#include "roles.h"

#include <string.h>

#include "event_roles.h"

const pyaudit_event_roles *
pyaudit_roles_all(size_t *count)
{
    *count = PYAUDIT_EVENT_COUNT;
    return pyaudit_event_roles_table;
}

const pyaudit_event_roles *
pyaudit_roles_find(const char *name, size_t len)
{
    size_t low = 0, high = PYAUDIT_EVENT_COUNT;
    while (low < high) {
        size_t mid = (low + high) / 2;
        const pyaudit_event_roles *entry = &pyaudit_event_roles_table[mid];
        size_t common = len < entry->len ? len : entry->len;
        int order = memcmp(name, entry->name, common);
        if (order == 0) {
            order = len < entry->len ? -1 : len > entry->len;
        }
        if (order == 0) {
            return entry;
        }
        if (order < 0) {
            high = mid;
        }
        else {
            low = mid + 1;
        }
    }
    return NULL;
}

int
pyaudit_roles_position(const pyaudit_event_roles *roles, const char *name)
{
    const char *arg = roles->args;
    for (int i = 0; i < roles->nargs; i++) {
        if (strcmp(arg, name) == 0) {
            return i;
        }
        arg += strlen(arg) + 1;
    }
    return -1;
}
