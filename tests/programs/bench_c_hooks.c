/* Native hooks for tests/cli/test_bench.py to hand to pyaudit bench
 * --c-hook.  counting_hook counts the events it sees and, when the
 * process exits, writes the count to a new file in $BENCH_TEST_COUNTS. */
#include <Python.h>

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long seen;

int
counting_hook(const char *event, PyObject *args, void *userdata)
{
    (void)event;
    (void)args;
    (void)userdata;
    seen++;
    return 0;
}

int
refusing_hook(const char *event, PyObject *args, void *userdata)
{
    (void)args;
    (void)userdata;
    PyErr_Format(PyExc_RuntimeError, "%s is not allowed here", event);
    return -1;
}

__attribute__((destructor)) static void
write_count(void)
{
    const char *directory = getenv("BENCH_TEST_COUNTS");
    char path[4096];
    if (directory == NULL || seen == 0) {
        return;
    }
    snprintf(path, sizeof(path), "%s/c-%ld.txt", directory, (long)getpid());
    FILE *f = fopen(path, "w");
    if (f != NULL) {
        fprintf(f, "%lu\n", seen);
        fclose(f);
    }
}
