/* compat.h: every difference between compilers and CPython versions that
 * pyaudit's C code cares about, one small macro each, so that no #if for a
 * version appears in the logic itself. */
#ifndef PYAUDIT_COMPAT_H
#define PYAUDIT_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>

/* Branch hints for the hook's hot path. */
#if defined(__GNUC__) || defined(__clang__)
#  define PYAUDIT_LIKELY(x) __builtin_expect(!!(x), 1)
#  define PYAUDIT_UNLIKELY(x) __builtin_expect(!!(x), 0)
#  define PYAUDIT_NOINLINE __attribute__((noinline))
#  define PYAUDIT_THREAD_LOCAL __thread
#elif defined(_MSC_VER)
#  define PYAUDIT_LIKELY(x) (x)
#  define PYAUDIT_UNLIKELY(x) (x)
#  define PYAUDIT_NOINLINE __declspec(noinline)
#  define PYAUDIT_THREAD_LOCAL __declspec(thread)
#else
#  define PYAUDIT_LIKELY(x) (x)
#  define PYAUDIT_UNLIKELY(x) (x)
#  define PYAUDIT_NOINLINE
#  define PYAUDIT_THREAD_LOCAL _Thread_local
#endif

/* The current table is published with a release store and read with an
 * acquire load, so a hook on another thread never sees a half-built
 * table.  On x86-64 both are plain moves. */
#if defined(__GNUC__) || defined(__clang__)
#  define PYAUDIT_LOAD_PTR(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#  define PYAUDIT_STORE_PTR(p, v) __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#  define PYAUDIT_LOAD_RELAXED(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
#  define PYAUDIT_STORE_RELAXED(p, v) \
    __atomic_store_n(&(p), (v), __ATOMIC_RELAXED)
#else
#  define PYAUDIT_LOAD_PTR(p) (p)
#  define PYAUDIT_STORE_PTR(p, v) ((p) = (v))
#  define PYAUDIT_LOAD_RELAXED(p) (p)
#  define PYAUDIT_STORE_RELAXED(p, v) ((p) = (v))
#endif

/* The wall clock (time.time_ns()): clock_gettime where POSIX has it, as
 * it is one call cheaper than C11's timespec_get; 0 on success. */
#include <time.h>
#if defined(CLOCK_REALTIME)
#  define PYAUDIT_WALL_CLOCK(ts) clock_gettime(CLOCK_REALTIME, (ts))
#else
#  define PYAUDIT_WALL_CLOCK(ts) (timespec_get((ts), TIME_UTC) == 0)
#endif

/* threading.get_ident() of the calling thread.  CPython's POSIX thread
 * layer returns pthread_self() itself; calling that directly saves a call
 * per recorded event.  Elsewhere, ask CPython. */
#if defined(HAVE_PTHREAD_H) && !defined(_WIN32)
#  include <pthread.h>
#  define PYAUDIT_THREAD_IDENT() ((unsigned long)pthread_self())
#else
#  define PYAUDIT_THREAD_IDENT() PyThread_get_thread_ident()
#endif

/* Py_NewRef arrived in 3.10. */
#if PY_VERSION_HEX < 0x030A0000
static inline PyObject *
pyaudit_newref(PyObject *obj)
{
    Py_INCREF(obj);
    return obj;
}
#  define Py_NewRef(obj) pyaudit_newref((PyObject *)(obj))
#endif

/* Whether the calling thread holds the GIL.  From 3.12 the unchecked
 * thread-state getter reads a thread-local (public as
 * PyThreadState_GetUnchecked from 3.13); before, it returns whichever
 * thread holds the GIL, so compare that thread's id with ours. */
#if PY_VERSION_HEX >= 0x030D0000
#  define PYAUDIT_THIS_THREAD_HOLDS_GIL() \
    (PyThreadState_GetUnchecked() != NULL)
#elif PY_VERSION_HEX >= 0x030C0000
#  define PYAUDIT_THIS_THREAD_HOLDS_GIL() \
    (_PyThreadState_UncheckedGet() != NULL)
#else
static inline int
pyaudit_this_thread_holds_gil(void)
{
    PyThreadState *holder = _PyThreadState_UncheckedGet();
    return holder != NULL && holder->thread_id == PyThread_get_thread_ident();
}
#  define PYAUDIT_THIS_THREAD_HOLDS_GIL() pyaudit_this_thread_holds_gil()
#endif

/* Whether Py_FinalizeEx() is under way (public from 3.13). */
#if PY_VERSION_HEX >= 0x030D0000
#  define PYAUDIT_IS_FINALIZING() Py_IsFinalizing()
#else
#  define PYAUDIT_IS_FINALIZING() _Py_IsFinalizing()
#endif

/* From 3.12 a subinterpreter can have a GIL of its own, and the one
 * process-wide hook is called there too, in parallel with the main
 * interpreter: the hook then must not touch the core (see core.h). */
#if PY_VERSION_HEX >= 0x030C0000
#  define PYAUDIT_GIL_PER_INTERPRETER 1
#endif

/* Vectorcall is public from 3.9; 3.8 has the same function under a
 * leading underscore. */
#if PY_VERSION_HEX < 0x03090000
#  define PyObject_Vectorcall _PyObject_Vectorcall
#  define PyInterpreterState_Get _PyInterpreterState_Get
#endif

/* Module slots that state what the module supports: Python subscriptions
 * are kept per interpreter, but the one process-wide table is guarded by
 * the GIL, so interpreters must share it (3.12+), and the module needs
 * the GIL (3.13+, free-threaded builds). */
#if PY_VERSION_HEX >= 0x030C0000
#  define PYAUDIT_SLOT_INTERPRETERS \
    {Py_mod_multiple_interpreters, Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED},
#else
#  define PYAUDIT_SLOT_INTERPRETERS
#endif
#if PY_VERSION_HEX >= 0x030D0000
#  define PYAUDIT_SLOT_GIL {Py_mod_gil, Py_MOD_GIL_USED},
#else
#  define PYAUDIT_SLOT_GIL
#endif

/* Before 3.12 a str made by the legacy API may need PyUnicode_READY()
 * before its data can be read; from 3.12 every str is ready. */
#if PY_VERSION_HEX < 0x030C0000
#  define PYAUDIT_UNICODE_READY(op) PyUnicode_READY(op)
#else
#  define PYAUDIT_UNICODE_READY(op) 0
#endif

/* An int small enough for one CPython digit, read without a call: 1 with
 * *value set, or 0 (then ask PyLong_As*()).  The layout of int objects
 * is public as functions from 3.12, and in longintrepr.h before. */
#if PY_VERSION_HEX >= 0x030C0000
static inline int
pyaudit_compact_long(PyObject *op, long long *value)
{
    if (!PyUnstable_Long_IsCompact((PyLongObject *)op)) {
        return 0;
    }
    *value = (long long)PyUnstable_Long_CompactValue((PyLongObject *)op);
    return 1;
}
#else
#  if PY_VERSION_HEX < 0x030B0000
#    include <longintrepr.h>
#  endif
static inline int
pyaudit_compact_long(PyObject *op, long long *value)
{
    Py_ssize_t size = Py_SIZE(op);
    if (size < -1 || size > 1) {
        return 0;
    }
    *value = (long long)size * ((PyLongObject *)op)->ob_digit[0];
    return 1;
}
#endif

/* The working directory into a buffer of size bytes (NULL on failure). */
#ifdef _WIN32
#  include <direct.h>
#  define PYAUDIT_GETCWD(buffer, size) _getcwd((buffer), (int)(size))
#else
#  include <unistd.h>
#  define PYAUDIT_GETCWD(buffer, size) getcwd((buffer), (size))
#endif

#endif /* PYAUDIT_COMPAT_H */
