/* error.c: the per-thread message behind pyaudit_last_error(). */
#include "error.h"
#include "compat.h"

#include <stdarg.h>
#include <stdio.h>

#define MESSAGE_SIZE 600

static PYAUDIT_THREAD_LOCAL char message[MESSAGE_SIZE];

void
pyaudit_error_set(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);
}

const char *
pyaudit_error_get(void)
{
    return message;
}
