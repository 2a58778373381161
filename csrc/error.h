/* error.h: the one error channel below module.c and hook.c.
 *
 * Every function of the core that can fail returns -1 (or NULL) and sets
 * this thread's error: a kind and a message.  No Python exception is
 * involved, so the core works before Python starts; module.c turns the
 * error into the exception its kind names, and the C API hands the
 * message to the caller (pyaudit_last_error()). */
#ifndef PYAUDIT_ERROR_H
#define PYAUDIT_ERROR_H

typedef enum {
    PYAUDIT_ERR_VALUE,          /* bad input: ValueError */
    PYAUDIT_ERR_TYPE,           /* input of the wrong type: TypeError */
    PYAUDIT_ERR_MEMORY,         /* out of memory: MemoryError */
    PYAUDIT_ERR_INSTALL,        /* the hook is not in place: InstallError */
    PYAUDIT_ERR_STATE           /* not possible now: RuntimeError */
} pyaudit_error_kind;

/* Set this thread's error (printf-style message).  Returns -1, so that
 * "return pyaudit_error(...)" reads as the failure it is. */
int pyaudit_error(pyaudit_error_kind kind, const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Shorthand for the most common error. */
#define pyaudit_error_nomemory() \
    pyaudit_error(PYAUDIT_ERR_MEMORY, "out of memory")

/* This thread's last error message ("" if none) and kind. */
const char *pyaudit_error_message(void);
pyaudit_error_kind pyaudit_error_kind_get(void);

#endif /* PYAUDIT_ERROR_H */
