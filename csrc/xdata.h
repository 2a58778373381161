/* xdata.h: an event made plain, to cross from one interpreter to another.
 *
 * A recorder of every interpreter (record(..., interpreters="all")) keeps,
 * for an event of another interpreter, only what can safely leave it: no
 * Python object crosses interpreters.  The raising interpreter flattens
 * the name, the args and the resolved stack into bytes: None, bool, int,
 * float, str and bytes as they are, tuples and lists as tuples (8 levels
 * deep), anything else as its repr(), made there.  The recorder's own
 * interpreter rebuilds plain objects from the bytes when it drains.
 */
#ifndef PYAUDIT_XDATA_H
#define PYAUDIT_XDATA_H

#include "compat.h"
#include "frames.h"

typedef struct pyaudit_xdata pyaudit_xdata;

/* Flatten an event in the raising interpreter (its GIL held).  Can run
 * Python code (repr).  NULL with an exception set on failure. */
pyaudit_xdata *pyaudit_xdata_make(const char *name, size_t len,
                                  PyObject *args,
                                  const pyaudit_frame *frames, int nframes);

/* Rebuild in the draining interpreter: new references to the name str,
 * the args tuple and the stack tuple (None when no stack was kept).  -1
 * with an exception set on failure (nothing is returned then). */
int pyaudit_xdata_unpack(const pyaudit_xdata *data, PyObject **name,
                         PyObject **args, PyObject **stack);

/* Any thread, no GIL needed. */
void pyaudit_xdata_free(pyaudit_xdata *data);

#endif /* PYAUDIT_XDATA_H */
