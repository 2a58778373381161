/* frames.c: taking and resolving Python frames (see frames.h). */
#include "frames.h"

#include <string.h>

int
pyaudit_frames_take(pyaudit_frame *out, int depth)
{
    PyFrameObject *frame = PyEval_GetFrame();       /* borrowed */
    Py_XINCREF(frame);
    int n = 0;
    while (frame != NULL && n < depth) {
        out[n].code = (PyObject *)PYAUDIT_FRAME_CODE(frame);
        out[n].lasti = PYAUDIT_FRAME_LASTI(frame);
        n++;
        PyFrameObject *back = PYAUDIT_FRAME_BACK(frame);   /* new */
        Py_DECREF(frame);
        frame = back;
    }
    Py_XDECREF(frame);
    return n;
}

PyObject *
pyaudit_frame_resolve(const pyaudit_frame *frame)
{
    PyCodeObject *code = (PyCodeObject *)frame->code;
    int line = PyCode_Addr2Line(code, frame->lasti < 0 ? 0 : frame->lasti);
    return Py_BuildValue("(OiO)", code->co_filename, line, code->co_name);
}

PyObject *
pyaudit_frames_resolve(const pyaudit_frame *frames, int n)
{
    PyObject *stack = PyTuple_New(n);
    for (int i = 0; i < n && stack != NULL; i++) {
        PyObject *entry = pyaudit_frame_resolve(&frames[i]);
        if (entry == NULL) {
            Py_CLEAR(stack);
            break;
        }
        PyTuple_SET_ITEM(stack, i, entry);
    }
    return stack;
}

void
pyaudit_resolver_init(pyaudit_resolver *resolver)
{
    memset(resolver, 0, sizeof(*resolver));
}

void
pyaudit_resolver_clear(pyaudit_resolver *resolver)
{
    for (int i = 0; i < PYAUDIT_RESOLVER_SLOTS; i++) {
        Py_CLEAR(resolver->slots[i].entry);
        Py_CLEAR(resolver->slots[i].code);
    }
    Py_CLEAR(resolver->last_stack);
    pyaudit_frames_release(resolver->last, resolver->nlast);
    resolver->nlast = 0;
}

static PyObject *
resolved_frame(pyaudit_resolver *resolver, const pyaudit_frame *frame)
{
    uintptr_t key = (uintptr_t)frame->code ^ ((uintptr_t)frame->lasti << 4);
    size_t i = (size_t)((key * 0x9E3779B97F4A7C15ull) >> 58);
    if (resolver->slots[i].entry != NULL
        && resolver->slots[i].code == frame->code
        && resolver->slots[i].lasti == frame->lasti) {
        return Py_NewRef(resolver->slots[i].entry);
    }
    PyObject *entry = pyaudit_frame_resolve(frame);
    if (entry == NULL) {
        return NULL;
    }
    PyObject_GC_UnTrack(entry);         /* str and int only */
    Py_XSETREF(resolver->slots[i].entry, Py_NewRef(entry));
    Py_XSETREF(resolver->slots[i].code, Py_NewRef(frame->code));
    resolver->slots[i].lasti = frame->lasti;
    return entry;
}

PyObject *
pyaudit_resolver_stack(pyaudit_resolver *resolver,
                       const pyaudit_frame *frames, int n)
{
    if (resolver->last_stack != NULL && resolver->nlast == n) {
        int same = 1;
        for (int i = 0; i < n && same; i++) {
            same = frames[i].code == resolver->last[i].code
                   && frames[i].lasti == resolver->last[i].lasti;
        }
        if (same) {
            return Py_NewRef(resolver->last_stack);
        }
    }
    PyObject *stack = PyTuple_New(n);
    for (int i = 0; i < n && stack != NULL; i++) {
        PyObject *entry = resolved_frame(resolver, &frames[i]);
        if (entry == NULL) {
            Py_CLEAR(stack);
            break;
        }
        PyTuple_SET_ITEM(stack, i, entry);
    }
    if (stack == NULL) {
        return NULL;
    }
    PyObject_GC_UnTrack(stack);         /* tuples of str and int */
    Py_XSETREF(resolver->last_stack, Py_NewRef(stack));
    pyaudit_frames_release(resolver->last, resolver->nlast);
    for (int i = 0; i < n; i++) {
        resolver->last[i].code = Py_NewRef(frames[i].code);
        resolver->last[i].lasti = frames[i].lasti;
    }
    resolver->nlast = n;
    return stack;
}

void
pyaudit_frames_release(pyaudit_frame *frames, int n)
{
    for (int i = 0; i < n; i++) {
        Py_CLEAR(frames[i].code);
    }
}

int
pyaudit_frames_running(void)
{
    return PyEval_GetFrame() != NULL;
}
