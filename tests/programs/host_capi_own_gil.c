/* host_capi_own_gil.c: the C API called from a thread attached to an
 * interpreter with a GIL of its own (CPython 3.12+), while the main
 * interpreter raises events that a C sink and a Python count receive.
 *
 *     host_capi_own_gil CYCLES NAMES
 *
 * A second thread makes the interpreter and subscribes and unsubscribes
 * CYCLES times (each subscription with NAMES exact names besides
 * host.hit, so that every table is large enough to be given back to the
 * system when freed), every other time after releasing that
 * interpreter's GIL:
 * the C API then takes a GIL itself, and PyGILState_Ensure() hands back
 * that interpreter's thread state, not the main one's.  Meanwhile the
 * main thread raises host.hit events in bursts until the other thread is
 * done.  Every event must be counted exactly once, by both. */
#include <pyaudit.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned long sink_calls;    /* main interpreter only: its GIL */
static long cycles;
static long names;
static char *patterns;              /* "host.churn.1, ..., host.hit" */
static int churn_done;              /* atomic */
static char churn_failure[600];

static int
counting_sink(const char *event, PyObject *args, void *userdata)
{
    (void)event;
    (void)args;
    (void)userdata;
    sink_calls++;
    return 0;
}

static int
passing_sink(const char *event, PyObject *args, void *userdata)
{
    (void)event;
    (void)args;
    (void)userdata;
    return 0;
}

static void *
churn(void *unused)
{
    (void)unused;
    PyInterpreterConfig config = {
        .use_main_obmalloc = 0,
        .allow_fork = 0,
        .allow_exec = 0,
        .allow_threads = 1,
        .allow_daemon_threads = 0,
        .check_multi_interp_extensions = 1,
        .gil = PyInterpreterConfig_OWN_GIL,
    };
    PyThreadState *tstate = NULL;
    PyStatus status = Py_NewInterpreterFromConfig(&tstate, &config);
    if (PyStatus_Exception(status) || tstate == NULL) {
        snprintf(churn_failure, sizeof(churn_failure),
                 "no interpreter with its own GIL");
        __atomic_store_n(&churn_done, 1, __ATOMIC_RELEASE);
        return NULL;
    }
    for (long i = 0; i < cycles; i++) {
        PyThreadState *released = i % 2 == 0 ? PyEval_SaveThread() : NULL;
        long id = pyaudit_subscribe(patterns, passing_sink, NULL);
        int removed = id > 0 ? pyaudit_unsubscribe(id) : -1;
        if (id <= 0 || removed != 0) {
            snprintf(churn_failure, sizeof(churn_failure),
                     "cycle %ld: subscribe %ld, unsubscribe %d: %s", i, id,
                     removed, pyaudit_last_error());
        }
        if (released != NULL) {
            PyEval_RestoreThread(released);
        }
        if (churn_failure[0] != '\0') {
            break;
        }
    }
    Py_EndInterpreter(tstate);
    __atomic_store_n(&churn_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

int
main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc != 3 || sscanf(argv[1], "%ld", &cycles) != 1
        || sscanf(argv[2], "%ld", &names) != 1 || names < 0) {
        fprintf(stderr, "usage: host_capi_own_gil CYCLES NAMES\n");
        return 2;
    }
    patterns = malloc((size_t)names * 24 + 16);
    if (patterns == NULL) {
        return 1;
    }
    char *at = patterns;
    for (long i = 0; i < names; i++) {
        at += sprintf(at, "host.churn.%ld, ", i);
    }
    strcpy(at, "host.hit");
    Py_Initialize();
    if (pyaudit_subscribe("host.hit", counting_sink, NULL) < 0) {
        printf("subscribe failed: %s\n", pyaudit_last_error());
        return 1;
    }
    PyRun_SimpleString(
        "import sys, pyaudit\n"
        "counter = pyaudit.count('host.hit')\n"
        "def burst(n, audit=sys.audit):\n"
        "    for i in range(n):\n"
        "        audit('host.hit', i)\n");
    pthread_t thread;
    if (pthread_create(&thread, NULL, churn, NULL) != 0) {
        printf("no thread\n");
        return 1;
    }
    long raised = 0;
    while (!__atomic_load_n(&churn_done, __ATOMIC_ACQUIRE)) {
        PyRun_SimpleString("burst(500)");
        raised += 500;
    }
    Py_BEGIN_ALLOW_THREADS
    pthread_join(thread, NULL);
    Py_END_ALLOW_THREADS
    printf("churn: %s\n", churn_failure[0] ? churn_failure : "ok");
    printf("raised: %ld\n", raised);
    printf("c sink: %lu\n", sink_calls);
    PyRun_SimpleString("print('python count:', counter.counts().get("
                       "'host.hit', 0), flush=True)");
    printf("finalized: %d\n", Py_FinalizeEx());
    free(patterns);
    return 0;
}
