/* frames.c: taking and resolving Python frames (see frames.h). */
#include "frames.h"

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
