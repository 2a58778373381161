/* capi.h: subscribing a C sink, shared by the C API and the module glue.
 *
 * pyaudit.capi lets Python code subscribe through the C API, and a sink it
 * passes is often Python code itself (a cffi callback) that belongs to one
 * interpreter and is freed with it.  The module glue subscribes such a
 * sink with the C API's rules, but ties it to its interpreter's home and
 * keeps the object behind it alive: it is closed when that interpreter
 * ends, before anything it needs is freed.
 */
#ifndef PYAUDIT_CAPI_H
#define PYAUDIT_CAPI_H

#include "home.h"
#include "pyaudit.h"

/* pyaudit_subscribe_ex's work, by a thread that holds the GIL it needs
 * (or before Python starts).  home (NULL for a sink that belongs to no
 * interpreter) gets a struct reference and keepalive (NULL, or with home)
 * a new reference.  Returns the id, or -1 with the error set (error.h)
 * and no Python exception pending. */
long pyaudit_capi_subscribe(const char *patterns, const char *where,
                            pyaudit_sink_fn sink, void *userdata,
                            unsigned int flags, pyaudit_home *home,
                            PyObject *keepalive);

#endif /* PYAUDIT_CAPI_H */
