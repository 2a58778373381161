/* hook.h: the one native audit hook, and delivery to subscriptions.
 *
 * The hook reads the current table, looks the event up and returns at
 * once on a miss: no allocation, no Python API call, no lock.  Only a hit
 * goes on to dispatch, which makes the event-name str, calls callbacks,
 * records, counts or denies.
 */
#ifndef PYAUDIT_HOOK_H
#define PYAUDIT_HOOK_H

#include "compat.h"

/* The function given to PySys_AddAuditHook.  args is borrowed. */
int pyaudit_hook(const char *event, PyObject *args, void *userdata);

#endif /* PYAUDIT_HOOK_H */
