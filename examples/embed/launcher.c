/* launcher.c: an audited Python launcher, written against pyaudit's C API.
 *
 *     launcher PATTERNS [python arguments...]
 *     launcher "import,cpython.*,socket.*" -c "import json"
 *
 * pyaudit is installed before Py_Initialize(), so start-up events (the
 * import of site, cpython.run_command, ...) are seen too.  Each matching
 * event is written to stderr from C as one line: its name and a short repr
 * of its arguments.  Then Python runs exactly as `python` would.
 *
 * Build with the flags pyaudit prints:
 *     cc launcher.c $(python -m pyaudit config --cflags --libs) -o launcher
 */
#include <pyaudit.h>

#include <stdio.h>
#include <string.h>

#define REPR_LIMIT 120

/* Writing a repr runs Python code, which can raise events of its own: do
 * not report those from inside the sink. */
static int in_sink;

static int
print_event(const char *event, PyObject *args, void *userdata)
{
    FILE *out = (FILE *)userdata;
    if (in_sink) {
        return 0;
    }
    in_sink = 1;
    const char *shown = "(args unavailable)";
    PyObject *repr = NULL;
    if (args != NULL) {
        /* Keep the audited operation's own exception state untouched. */
        PyObject *type, *value, *traceback;
        PyErr_Fetch(&type, &value, &traceback);
        repr = PyObject_Repr(args);
        if (repr != NULL) {
            shown = PyUnicode_AsUTF8(repr);
        }
        if (shown == NULL) {
            shown = "(repr failed)";
        }
        PyErr_Clear();
        PyErr_Restore(type, value, traceback);
    }
    size_t length = strlen(shown);
    fprintf(out, "audit: %s %.*s%s\n", event, REPR_LIMIT, shown,
            length > REPR_LIMIT ? "..." : "");
    fflush(out);
    Py_XDECREF(repr);
    in_sink = 0;
    return 0;
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s PATTERNS [python arguments...]\n",
                argv[0]);
        return 2;
    }
    if (pyaudit_install() < 0
        || pyaudit_subscribe(argv[1], print_event, stderr) < 0) {
        fprintf(stderr, "%s: %s\n", argv[0], pyaudit_last_error());
        return 2;
    }
    /* Python sees the arguments after PATTERNS, under our own name. */
    argv[1] = argv[0];
    return Py_BytesMain(argc - 1, argv + 1);
}
