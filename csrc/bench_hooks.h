/* bench_hooks.h: reference hooks that exist only for the benchmarks
 * (python -m pyaudit bench), never installed by pyaudit itself.  Each is
 * the floor some configuration is measured against. */
#ifndef PYAUDIT_BENCH_HOOKS_H
#define PYAUDIT_BENCH_HOOKS_H

#include "compat.h"

/* Returns at once: the floor for any native hook. */
int pyaudit_noop_hook(const char *event, PyObject *args, void *userdata);

/* Keeps, for each event up to a capacity, a reference to its args tuple,
 * the wall-clock time and the thread: the floor for any hook that records
 * what pyaudit's recorder records.  Reading the clock costs about as much
 * as the no-op hook's whole overhead, in time though not in instructions
 * (the kernel's vDSO does it); keeping tuples alive costs CPython
 * allocation, and garbage-collector work when many are held. */
int pyaudit_retain_hook(const char *event, PyObject *args, void *userdata);

/* Release what the retain hook kept (a recorder must, eventually). */
void pyaudit_retain_hook_release(void);

/* Make room for the retain hook; 0, or -1 with MemoryError set. */
int pyaudit_retain_hook_reserve(Py_ssize_t capacity);

#endif /* PYAUDIT_BENCH_HOOKS_H */
