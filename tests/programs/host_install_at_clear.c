/* host_install_at_clear.c: a C sink that calls pyaudit_install() and
 * pyaudit_subscribe() while Py_FinalizeEx() drops every audit hook (on
 * cpython._PySys_ClearAuditHooks).  Both must fail with a message and
 * Py_FinalizeEx() must return; pyaudit_install() after it puts the hook
 * back for the next Py_Initialize(), with the C subscriptions intact.
 * tests/reliability/test_round_two.py builds it with the flags
 * `python -m pyaudit config --cflags --libs` prints and reads stdout. */
#include <pyaudit.h>

#include <stdio.h>
#include <string.h>

static int pings;

static int
counting_sink(const char *event, PyObject *args, void *userdata)
{
    (void)event;
    (void)args;
    (void)userdata;
    pings++;
    return 0;
}

static int
reinstalling_sink(const char *event, PyObject *args, void *userdata)
{
    (void)args;
    (void)userdata;
    if (strcmp(event, "cpython._PySys_ClearAuditHooks") != 0) {
        return 0;
    }
    int installed = pyaudit_install();
    printf("install while the hooks are dropped: %d %s\n", installed,
           installed < 0 ? pyaudit_last_error() : "");
    long id = pyaudit_subscribe("host.late", counting_sink, NULL);
    printf("subscribe while the hooks are dropped: %ld %s\n", id,
           id < 0 ? pyaudit_last_error() : "");
    return 0;
}

int
main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (pyaudit_install() < 0
        || pyaudit_subscribe("cpython._PySys_ClearAuditHooks",
                             reinstalling_sink, NULL) < 0
        || pyaudit_subscribe("host.ping", counting_sink, NULL) < 0) {
        printf("set-up failed: %s\n", pyaudit_last_error());
        return 1;
    }
    for (int cycle = 1; cycle <= 2; cycle++) {
        if (cycle == 2) {
            printf("install after finalizing: %d\n", pyaudit_install());
        }
        Py_Initialize();
        int before = pings;
        PyRun_SimpleString("import sys; sys.audit('host.ping')");
        printf("cycle %d pings: %d\n", cycle, pings - before);
        printf("cycle %d finalized: %d\n", cycle, Py_FinalizeEx());
    }
    return 0;
}
