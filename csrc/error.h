/* error.h: the per-thread message behind pyaudit_last_error().
 *
 * The core reports failures as -1 plus this message, without a Python
 * exception, so that it works before Python starts; the module turns the
 * message into an exception, the C API hands it to the caller. */
#ifndef PYAUDIT_ERROR_H
#define PYAUDIT_ERROR_H

/* Set this thread's message (printf-style). */
void pyaudit_error_set(const char *format, ...)
#if defined(__GNUC__) || defined(__clang__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* This thread's message: "" if none was set. */
const char *pyaudit_error_get(void);

#endif /* PYAUDIT_ERROR_H */
