/* compat.h: every difference between compilers and CPython versions that
 * pyaudit's C code cares about, one small macro each, so that no #if for a
 * version appears in the logic itself. */
#ifndef PYAUDIT_COMPAT_H
#define PYAUDIT_COMPAT_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#if PY_VERSION_HEX < 0x030B0000
#  include <frameobject.h>     /* PyFrameObject's fields, before 3.11 */
#endif

/* The byte order, for the hook's word-at-a-time scan of event names. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#  define PYAUDIT_LITTLE_ENDIAN 1
#else
#  define PYAUDIT_LITTLE_ENDIAN 0
#endif

/* The index of the lowest set bit of a non-zero word. */
#if defined(__GNUC__) || defined(__clang__)
#  define PYAUDIT_CTZ64(x) ((unsigned)__builtin_ctzll(x))
#else
static inline unsigned
pyaudit_ctz64(unsigned long long x)
{
    unsigned n = 0;
    while (!(x & 1)) {
        x >>= 1;
        n++;
    }
    return n;
}
#  define PYAUDIT_CTZ64(x) pyaudit_ctz64(x)
#endif

/* Not checked by AddressSanitizer: the hook's scan of event names reads
 * whole 8-byte blocks, past a name's end but never into another page. */
#if defined(__clang__) || (defined(__GNUC__) && __GNUC__ >= 8)
#  define PYAUDIT_NO_SANITIZE_ADDRESS __attribute__((no_sanitize_address))
#else
#  define PYAUDIT_NO_SANITIZE_ADDRESS
#endif

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

/* Keep a computed pointer in its register: the compiler would otherwise
 * compute a thread-local address again at each use. */
#if defined(__GNUC__) || defined(__clang__)
#  define PYAUDIT_KEEP(p) __asm__("" : "+r"(p))
#else
#  define PYAUDIT_KEEP(p) ((void)0)
#endif

/* Atomics (GCC/Clang builtins; C11 <stdatomic.h> is not usable with
 * every compiler CPython supports).  Relaxed where only the value matters,
 * acquire/release where a pointer publishes what it points to.  On x86-64
 * loads and stores of either order are plain moves. */
#define PYAUDIT_LOAD_RELAXED(p) __atomic_load_n(&(p), __ATOMIC_RELAXED)
#define PYAUDIT_LOAD_ACQUIRE(p) __atomic_load_n(&(p), __ATOMIC_ACQUIRE)
#define PYAUDIT_STORE_RELAXED(p, v) \
    __atomic_store_n(&(p), (v), __ATOMIC_RELAXED)
#define PYAUDIT_STORE_RELEASE(p, v) \
    __atomic_store_n(&(p), (v), __ATOMIC_RELEASE)
#define PYAUDIT_ADD_RELAXED(p, v) \
    __atomic_fetch_add(&(p), (v), __ATOMIC_RELAXED)
#define PYAUDIT_SUB_ACQ_REL(p, v) \
    __atomic_sub_fetch(&(p), (v), __ATOMIC_ACQ_REL)
#define PYAUDIT_CAS(p, expected, desired) \
    __atomic_compare_exchange_n(&(p), &(expected), (desired), 0, \
                                __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)
#define PYAUDIT_ADD_SEQ_CST(p, v) __atomic_add_fetch(&(p), (v), __ATOMIC_SEQ_CST)
#define PYAUDIT_STORE_SEQ_CST(p, v) \
    __atomic_store_n(&(p), (v), __ATOMIC_SEQ_CST)
#define PYAUDIT_LOAD_SEQ_CST(p) __atomic_load_n(&(p), __ATOMIC_SEQ_CST)
#define PYAUDIT_FENCE() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define PYAUDIT_COMPILER_BARRIER() __atomic_signal_fence(__ATOMIC_SEQ_CST)

/* A thread-local the hook reads on every event while interpreters run in
 * parallel: the initial-exec model makes it one load (the module's few
 * bytes come from the static TLS that glibc reserves for libraries loaded
 * later), where the default model calls __tls_get_addr. */
#if defined(__GNUC__) && defined(__ELF__)
#  define PYAUDIT_FAST_THREAD_LOCAL \
    __thread __attribute__((tls_model("initial-exec")))
#else
#  define PYAUDIT_FAST_THREAD_LOCAL PYAUDIT_THREAD_LOCAL
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

/* From 3.12 an interpreter can have a GIL of its own, and the one
 * process-wide hook then runs in parallel in several interpreters; on a
 * free-threaded build every thread runs it in parallel.  Before 3.12 every
 * interpreter shares the one GIL, so hook calls never overlap. */
#if defined(Py_GIL_DISABLED)
#  define PYAUDIT_FREE_THREADED 1
#endif
#if PY_VERSION_HEX >= 0x030C0000 || defined(PYAUDIT_FREE_THREADED)
#  define PYAUDIT_INTERPRETERS_MAY_RUN_IN_PARALLEL 1
#else
#  define PYAUDIT_INTERPRETERS_MAY_RUN_IN_PARALLEL 0
#endif
#if defined(PYAUDIT_FREE_THREADED)
#  define PYAUDIT_THREADS_RUN_IN_PARALLEL 1
#else
#  define PYAUDIT_THREADS_RUN_IN_PARALLEL 0
#endif

/* Before 3.12 CPython raises cpython.PyInterpreterState_New in the
 * creating interpreter for every new interpreter, so a flag can follow
 * whether the main interpreter is the only one.  3.13 makes interpreters
 * with no thread state attached and so raises nothing: from 3.12 the
 * core asks the interpreter list instead. */
#if PY_VERSION_HEX < 0x030C0000
#  define PYAUDIT_NEW_INTERPRETERS_ANNOUNCED 1
#else
#  define PYAUDIT_NEW_INTERPRETERS_ANNOUNCED 0
#endif

/* From 3.13 CPython describes the layout of its runtime state for
 * debuggers (_Py_DebugOffsets, at the start of _PyRuntime), among it
 * where the list of interpreters starts and where each links the next:
 * the core reads the list in place rather than through two calls. */
#if PY_VERSION_HEX >= 0x030D0000 && !defined(PYAUDIT_FREE_THREADED)
#  define PYAUDIT_RUNTIME_OFFSETS 1
#endif

/* Vectorcall is public from 3.9; 3.8 has the same function under a
 * leading underscore. */
#if PY_VERSION_HEX < 0x03090000
#  define PyObject_Vectorcall _PyObject_Vectorcall
#  define PyInterpreterState_Get _PyInterpreterState_Get
#endif

/* The interpreter's id (PyInterpreterState_GetID), never reused. */
#define PYAUDIT_INTERPRETER_ID(interp) PyInterpreterState_GetID(interp)

/* The code object and the offset of the last instruction of a frame, and
 * the line of an offset: what a captured stack keeps, resolved to a line
 * only when drained.  3.11 made frame access functions public; before,
 * f_lasti counts bytes up to 3.9 and code units in 3.10. */
#if PY_VERSION_HEX >= 0x030B0000
#  define PYAUDIT_FRAME_CODE(frame) PyFrame_GetCode(frame)      /* new */
#  define PYAUDIT_FRAME_LASTI(frame) PyFrame_GetLasti(frame)
#  define PYAUDIT_FRAME_BACK(frame) PyFrame_GetBack(frame)      /* new */
#elif PY_VERSION_HEX >= 0x030A0000
#  define PYAUDIT_FRAME_CODE(frame) \
    ((PyCodeObject *)Py_NewRef((frame)->f_code))
#  define PYAUDIT_FRAME_LASTI(frame) ((frame)->f_lasti * 2)
#  define PYAUDIT_FRAME_BACK(frame) ((PyFrameObject *)Py_XNewRef((frame)->f_back))
#else
#  define PYAUDIT_FRAME_CODE(frame) \
    ((PyCodeObject *)Py_NewRef((frame)->f_code))
#  define PYAUDIT_FRAME_LASTI(frame) ((frame)->f_lasti)
#  define PYAUDIT_FRAME_BACK(frame) ((PyFrameObject *)Py_XNewRef((frame)->f_back))
#endif

/* Whether the garbage collector tracks a GC object (public from 3.9). */
#if PY_VERSION_HEX >= 0x03090000
#  define PYAUDIT_GC_IS_TRACKED(op) PyObject_GC_IsTracked(op)
#else
#  define PYAUDIT_GC_IS_TRACKED(op) _PyObject_GC_IS_TRACKED(op)
#endif

/* Py_XNewRef arrived in 3.10. */
#if PY_VERSION_HEX < 0x030A0000
static inline PyObject *
pyaudit_xnewref(PyObject *obj)
{
    Py_XINCREF(obj);
    return obj;
}
#  define Py_XNewRef(obj) pyaudit_xnewref((PyObject *)(obj))
#endif

/* Module slots that state what the module supports: every interpreter
 * has its own module state and subscriptions, and the core is safe when
 * interpreters with their own GIL run the hook in parallel (3.12+).  On a
 * free-threaded build the module still declares that it needs the GIL:
 * the core is designed for parallel threads, but no free-threaded CPython
 * was available to test it on (see docs/interpreters.md). */
#if PY_VERSION_HEX >= 0x030C0000
#  define PYAUDIT_SLOT_INTERPRETERS \
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
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
