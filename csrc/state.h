/* state.h: the per-interpreter module state of pyaudit._pyaudit. */
#ifndef PYAUDIT_STATE_H
#define PYAUDIT_STATE_H

#include "compat.h"
#include "names.h"

typedef struct pyaudit_state {
    PyObject *filter_type;      /* owned: _pyaudit.Filter */
    PyObject *handle_type;      /* owned: _pyaudit.Handle */
    PyObject *install_error;    /* owned: pyaudit._errors.InstallError */
    pyaudit_names names;        /* event-name strings of this interpreter */
} pyaudit_state;

#endif /* PYAUDIT_STATE_H */
