/* pyaudit.h: the C API of pyaudit, for programs that embed Python.
 *
 * One native audit hook, one compiled table: subscriptions made here and
 * from Python (import pyaudit) share both.  Build flags for a host:
 *     python -m pyaudit config --cflags --libs
 *
 * Every function returns -1 on failure; pyaudit_last_error() then says why
 * (per thread).  They never need a Python exception, so they can be called
 * before Py_Initialize().  Once Python runs they may be called from any
 * thread, attached to any interpreter or to none (then installing takes
 * the main interpreter's GIL for the call).
 */
#ifndef PYAUDIT_H
#define PYAUDIT_H

#include <Python.h>

#ifdef __cplusplus
extern "C" {
#endif

/* pyaudit is built with hidden visibility; these are its only exports. */
#if defined(_WIN32)
#  define PYAUDIT_API
#else
#  define PYAUDIT_API __attribute__((visibility("default")))
#endif

/* Install pyaudit's audit hook.  Safe before Py_Initialize() (then the
 * start-up events are seen too) and idempotent.  CPython drops native
 * hooks in Py_FinalizeEx(); call this again before the next
 * Py_Initialize() to put the hook back, with C subscriptions intact.
 * Returns 0, or -1. */
PYAUDIT_API int pyaudit_install(void);

/* A sink receives each matching event on the thread that raised it, with
 * the GIL of the event's interpreter held: by default the main
 * interpreter's events only; with PYAUDIT_ALL_INTERPRETERS every
 * interpreter's, and then, from 3.12, in parallel on several threads
 * (interpreters with a GIL of their own): such a sink must be thread-safe
 * and must not touch Python objects of one interpreter from another.
 * args is borrowed.  Return 0, or -1 with a Python exception set to abort
 * the audited operation. */
typedef int (*pyaudit_sink_fn)(const char *event, PyObject *args,
                               void *userdata);

/* Subscribe sink to the events matching patterns (comma-separated, the
 * same syntax as the Python API: "open", "socket.*", "*", "!os.*"),
 * installing the hook first if it is not in place.  Returns the
 * subscription's id (> 0), or -1 for a bad pattern, a NULL argument, a
 * hook that cannot be installed or no memory. */
PYAUDIT_API long pyaudit_subscribe(const char *patterns,
                                   pyaudit_sink_fn sink, void *userdata);

/* Flags of pyaudit_subscribe_ex. */
#define PYAUDIT_ALL_INTERPRETERS 1u

/* pyaudit_subscribe with rules on the event's arguments and flags.  where
 * is rule text, the same as pyaudit.Where's (docs/rules.md), for example
 * "{writing = true, paths_outside = [\"/srv/app\"]}", or NULL for none;
 * the sink then sees only events whose arguments satisfy it, decided
 * before the sink is called.  flags: 0 or PYAUDIT_ALL_INTERPRETERS.
 * Returns the id (> 0), or -1 (bad rule text too, with its line and
 * column in pyaudit_last_error()). */
PYAUDIT_API long pyaudit_subscribe_ex(const char *patterns,
                                      const char *where,
                                      pyaudit_sink_fn sink, void *userdata,
                                      unsigned int flags);

/* End a subscription made by pyaudit_subscribe.  Returns 0, or -1 if no
 * live C subscription has that id (for example it was removed already). */
PYAUDIT_API int pyaudit_unsubscribe(long id);

/* Why the last call on this thread returned -1 (never NULL). */
PYAUDIT_API const char *pyaudit_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* PYAUDIT_H */
