/* error.c: the per-thread error behind every -1 of the core (error.h). */
#include "error.h"
#include "compat.h"

#include <stdarg.h>
#include <stdio.h>

#define MESSAGE_SIZE 600

static PYAUDIT_THREAD_LOCAL char message[MESSAGE_SIZE];
static PYAUDIT_THREAD_LOCAL pyaudit_error_kind last_kind;

int
pyaudit_error(pyaudit_error_kind kind, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(message, sizeof(message), format, args);
    va_end(args);
    last_kind = kind;
    return -1;
}

const char *
pyaudit_error_message(void)
{
    return message;
}

pyaudit_error_kind
pyaudit_error_kind_get(void)
{
    return last_kind;
}
