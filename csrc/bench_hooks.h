/* bench_hooks.h: reference hooks that exist only for the benchmarks
 * (python -m pyaudit bench), never installed by pyaudit itself.  Each is
 * the floor some configuration is measured against. */
#ifndef PYAUDIT_BENCH_HOOKS_H
#define PYAUDIT_BENCH_HOOKS_H

#include "compat.h"

/* Returns at once: the floor for any native hook. */
int pyaudit_noop_hook(const char *event, PyObject *args, void *userdata);

/* Keeps a reference to each event's args tuple, up to a capacity, and
 * nothing else: the floor for any hook that records events, since keeping
 * the tuple alive costs CPython allocation and garbage-collector work. */
int pyaudit_retain_hook(const char *event, PyObject *args, void *userdata);

/* Release what the retain hook kept (a recorder must, eventually). */
void pyaudit_retain_hook_release(void);

/* Make room for the retain hook; 0, or -1 with MemoryError set. */
int pyaudit_retain_hook_reserve(Py_ssize_t capacity);

#endif /* PYAUDIT_BENCH_HOOKS_H */
