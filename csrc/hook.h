/* hook.h: the one native audit hook, and delivery to subscriptions.
 *
 * The hook decides most misses from a copy of the current table's filter
 * and its thread's memos, without reading the table; any other name is
 * looked up in the table.  A miss returns at once: no allocation, no
 * Python API call, no lock, and no store to memory another thread
 * writes.  A hit is delivered by one
 * dispatcher, one small function per kind of subscription.
 */
#ifndef PYAUDIT_HOOK_H
#define PYAUDIT_HOOK_H

#include "compat.h"

/* The function given to PySys_AddAuditHook.  args is borrowed. */
int pyaudit_hook(const char *event, PyObject *args, void *userdata);

/* Once per process (pyaudit_core_init): the fork handler. */
void pyaudit_hook_init(void);

#endif /* PYAUDIT_HOOK_H */
