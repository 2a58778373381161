/* host_lifecycle.c: a C host that exercises pyaudit's C API across
 * Py_Initialize / Py_FinalizeEx cycles.  tests/embed/test_host.py
 * compiles it with the flags `pyaudit config --cflags --libs` prints, runs
 * it and checks the lines it writes to stdout. */
#include <pyaudit.h>

#include <stdio.h>
#include <string.h>

static int cleared_seen;
static int startup_imports;
static int host_events;

static int
sink(const char *event, PyObject *args, void *userdata)
{
    (void)args;
    int *calls = (int *)userdata;
    (*calls)++;
    if (strcmp(event, "cpython._PySys_ClearAuditHooks") == 0) {
        cleared_seen++;
    }
    else if (strcmp(event, "import") == 0) {
        startup_imports++;
    }
    else if (strncmp(event, "host.", 5) == 0) {
        host_events++;
    }
    return 0;
}

static int
refusing_sink(const char *event, PyObject *args, void *userdata)
{
    (void)args;
    (void)userdata;
    PyErr_Format(PyExc_PermissionError, "host refuses %s", event);
    return -1;
}

static void
expect_failure(const char *what, long result)
{
    printf("%s: %ld %s\n", what, result,
           result == -1 ? pyaudit_last_error() : "(no error)");
}

int
main(void)
{
    int calls = 0;
    /* Unbuffered, so C and Python output interleave in order. */
    setvbuf(stdout, NULL, _IONBF, 0);
    /* Bad input, before Python exists: -1 and a message, no crash. */
    expect_failure("null patterns", pyaudit_subscribe(NULL, sink, NULL));
    expect_failure("null sink", pyaudit_subscribe("open", NULL, NULL));
    expect_failure("bad pattern", pyaudit_subscribe("os*", sink, NULL));
    expect_failure("empty item", pyaudit_subscribe("open,,x", sink, NULL));
    expect_failure("unknown id", pyaudit_unsubscribe(12345));

    if (pyaudit_install() < 0 || pyaudit_install() < 0) {
        printf("install failed: %s\n", pyaudit_last_error());
        return 1;
    }
    long id = pyaudit_subscribe("import,host.*,cpython._PySys_ClearAuditHooks",
                                sink, &calls);
    long refuse = pyaudit_subscribe("host.refused", refusing_sink, NULL);
    printf("subscribed: %s\n", id > 0 && refuse > 0 ? "yes" : "no");

    for (int cycle = 1; cycle <= 2; cycle++) {
        if (cycle == 2 && pyaudit_install() < 0) {
            printf("reinstall failed: %s\n", pyaudit_last_error());
            return 1;
        }
        int imports_before = startup_imports;
        Py_Initialize();
        printf("cycle %d startup imports seen: %s\n", cycle,
               startup_imports > imports_before ? "yes" : "no");
        int events_before = host_events;
        PyRun_SimpleString(
            "import sys, pyaudit\n"
            "sys.audit('host.ping', 1)\n"
            "kinds = sorted(s.kind for s in pyaudit.subscriptions())\n"
            "print('python sees subscriptions:', kinds)\n"
            "with pyaudit.count('host.ping') as c:\n"
            "    sys.audit('host.ping', 2)\n"
            "print('python count:', c.counts())\n"
            "try:\n"
            "    sys.audit('host.refused')\n"
            "except PermissionError as exc:\n"
            "    print('refused:', exc)\n");
        printf("cycle %d host events seen by C: %d\n", cycle,
               host_events - events_before);
        int cleared_before = cleared_seen;
        if (Py_FinalizeEx() < 0) {
            printf("finalize failed\n");
        }
        printf("cycle %d clear-hooks seen: %s\n", cycle,
               cleared_seen > cleared_before ? "yes" : "no");
    }
    printf("unsubscribe: %d\n", pyaudit_unsubscribe(id));
    expect_failure("unsubscribe twice", pyaudit_unsubscribe(id));
    printf("calls: %s\n", calls > 0 ? "some" : "none");
    return 0;
}
