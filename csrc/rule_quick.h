/* rule_quick.h: the writing test of a guard's common case, an open for
 * reading, decided from the mode and flags open() gives without a call:
 * inlined into rule_match.c and into the hook's path for a list of one
 * write guard (hook.c), so that a read needs no stack frame there. */
#ifndef PYAUDIT_RULE_QUICK_H
#define PYAUDIT_RULE_QUICK_H

#include "compat.h"
#include "roles.h"

#include <fcntl.h>

#define WRITE_FLAGS (O_WRONLY | O_RDWR | O_CREAT | O_TRUNC | O_APPEND)

/* Whether an ASCII character of open()'s mode asks to write ('w', 'a',
 * 'x', '+'): 1 at those indexes (rule_match.c). */
extern const unsigned char pyaudit_mode_writes[128];

/* Inlined even where the compiler would rather call. */
#if defined(__GNUC__)
#  define PYAUDIT_HOT_INLINE static inline __attribute__((always_inline))
#else
#  define PYAUDIT_HOT_INLINE static inline
#endif

/* args[position] (borrowed), or NULL when the event has no such
 * argument. */
static inline PyObject *
argument(PyObject *args, int position)
{
    if (position < 0 || position >= PyTuple_GET_SIZE(args)) {
        return NULL;
    }
    return PyTuple_GET_ITEM(args, position);
}

static inline int
is_none(PyObject *value)
{
    return value == NULL || value == Py_None;
}

/* pyaudit_quick_writing for an event whose roles say where open()'s mode
 * or flags are and that writes only by them. */
PYAUDIT_HOT_INLINE int
pyaudit_quick_open_writing(const pyaudit_event_roles *roles, PyObject *args)
{
    int decided = 0, writes = 0;
    PyObject *mode = argument(args, roles->open_mode);
    if (!is_none(mode)) {
        /* Compact ASCII: ready, its characters right after the header. */
        if (!PyUnicode_Check(mode) || !PyUnicode_IS_COMPACT_ASCII(mode)) {
            return -2;
        }
        const unsigned char *c =
            (const unsigned char *)((PyASCIIObject *)mode + 1);
        for (; *c != '\0'; c++) {
            writes |= pyaudit_mode_writes[*c];     /* ASCII */
        }
        decided = 1;
    }
    PyObject *flags = argument(args, roles->open_flags);
    if (!is_none(flags)) {
        long long small;
        if (!PyLong_CheckExact(flags)
            || !pyaudit_compact_long(flags, &small)) {
            return -2;
        }
        writes |= (small & WRITE_FLAGS) != 0;
        decided = 1;
    }
    return decided ? writes : -2;
}

/* decide_writing() for the shapes open() gives (a compact ASCII mode, flags
 * of one digit, None), without a call, so without a stack frame; -2 for
 * any other shape (then ask decide_writing). */
PYAUDIT_HOT_INLINE int
pyaudit_quick_writing(const pyaudit_event_roles *roles, PyObject *args)
{
    if (roles == NULL || roles->writes
        || (roles->open_mode < 0 && roles->open_flags < 0)) {
        return -2;
    }
    return pyaudit_quick_open_writing(roles, args);
}

#endif /* PYAUDIT_RULE_QUICK_H */
