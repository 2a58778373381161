/* standalone_main.c: replay inputs through the fuzz harness without
 * libFuzzer, so any C compiler (gcc included) can build a driver.
 *
 *     fuzz_patterns_replay FILE_OR_DIR...
 *
 * Runs LLVMFuzzerTestOneInput once per regular file (a directory's files,
 * not recursively; no argument: standard input).  Exits 0 when every input
 * passed; a mismatch aborts with the input's name on stderr.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char *pyaudit_fuzz_input_name;

static unsigned long runs;

static int
run_stream(FILE *f, const char *label)
{
    size_t cap = 4096, size = 0;
    uint8_t *data = malloc(cap);
    if (data == NULL) {
        fprintf(stderr, "out of memory reading %s\n", label);
        return -1;
    }
    for (;;) {
        if (size == cap) {
            uint8_t *grown = realloc(data, cap * 2);
            if (grown == NULL) {
                free(data);
                fprintf(stderr, "out of memory reading %s\n", label);
                return -1;
            }
            data = grown;
            cap *= 2;
        }
        size_t got = fread(data + size, 1, cap - size, f);
        size += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        free(data);
        fprintf(stderr, "cannot read %s\n", label);
        return -1;
    }
    /* An exactly-sized copy, as libFuzzer gives, so over-reads show. */
    uint8_t *exact = malloc(size ? size : 1);
    if (exact == NULL) {
        free(data);
        fprintf(stderr, "out of memory reading %s\n", label);
        return -1;
    }
    memcpy(exact, data, size);
    free(data);
    pyaudit_fuzz_input_name = label;
    LLVMFuzzerTestOneInput(exact, size);
    pyaudit_fuzz_input_name = NULL;
    free(exact);
    runs++;
    return 0;
}

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    int rc = run_stream(f, path);
    fclose(f);
    return rc;
}

static int
run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        perror(path);
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        return run_file(path);
    }
    DIR *dir = opendir(path);
    if (dir == NULL) {
        perror(path);
        return -1;
    }
    int rc = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        size_t len = strlen(path) + strlen(entry->d_name) + 2;
        char *child = malloc(len);
        if (child == NULL) {
            rc = -1;
            break;
        }
        snprintf(child, len, "%s/%s", path, entry->d_name);
        if (stat(child, &st) == 0 && S_ISREG(st.st_mode)
            && run_file(child) < 0) {
            rc = -1;
        }
        free(child);
    }
    closedir(dir);
    return rc;
}

int
main(int argc, char **argv)
{
    int rc = 0;
    if (argc < 2) {
        rc = run_stream(stdin, "<stdin>");
    }
    for (int i = 1; i < argc; i++) {
        if (run_path(argv[i]) < 0) {
            rc = -1;
        }
    }
    fprintf(stderr, "fuzz_patterns_replay: %lu input(s) %s\n", runs,
            rc == 0 ? "passed" : "passed, but some could not be read");
    return rc == 0 ? 0 : 2;
}
