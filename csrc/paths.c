/* paths.c: lexical path normalisation (see paths.h). */
#include "paths.h"
#include "compat.h"

#include <string.h>

size_t
pyaudit_path_collapse(char *path, size_t n)
{
    size_t out = 0;             /* bytes kept: "/a/b" without a final "/" */
    size_t i = 0;
    while (i < n) {
        while (i < n && path[i] == '/') {
            i++;
        }
        size_t start = i;
        while (i < n && path[i] != '/') {
            i++;
        }
        size_t len = i - start;
        if (len == 0 || (len == 1 && path[start] == '.')) {
            continue;
        }
        if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
            while (out > 0 && path[out - 1] != '/') {
                out--;
            }
            if (out > 0) {
                out--;          /* the "/" before the dropped component */
            }
            continue;
        }
        path[out++] = '/';
        if (out != start) {
            memmove(path + out, path + start, len);
        }
        out += len;
    }
    if (out == 0) {
        path[out++] = '/';
    }
    return out;
}

long
pyaudit_path_normalise(const char *path, size_t n, char *out)
{
    size_t at = 0;
    if (memchr(path, '\0', n) != NULL) {
        return -1;
    }
    if (n == 0 || path[0] != '/') {
        if (PYAUDIT_GETCWD(out, PYAUDIT_PATH_LIMIT) == NULL) {
            return -1;
        }
        at = strlen(out);
        if (at + 1 >= PYAUDIT_PATH_LIMIT) {
            return -1;
        }
        out[at++] = '/';
    }
    if (at + n >= PYAUDIT_PATH_LIMIT) {
        return -1;
    }
    memcpy(out + at, path, n);
    return (long)pyaudit_path_collapse(out, at + n);
}

int
pyaudit_path_is_under(const char *path, size_t n, const char *directory,
                      size_t dir_n)
{
    if (dir_n == 1) {
        return 1;               /* "/" holds every absolute path */
    }
    return n >= dir_n && memcmp(path, directory, dir_n) == 0
           && (n == dir_n || path[dir_n] == '/');
}

size_t
pyaudit_path_basename_at(const char *path, size_t n)
{
    size_t at = n;
    while (at > 0 && path[at - 1] != '/') {
        at--;
    }
    return at;
}
