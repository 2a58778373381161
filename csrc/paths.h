/* paths.h: lexical path normalisation for the paths_* and programs*
 * conditions (the reference is pyaudit/_paths.py).  Paths are bytes; the
 * file system is never asked, so symbolic links are not resolved. */
#ifndef PYAUDIT_PATHS_H
#define PYAUDIT_PATHS_H

#include "bytes.h"

#include <stddef.h>

/* The longest absolute path judged is PYAUDIT_PATH_LIMIT - 1 bytes (before
 * normalisation); a longer one makes its condition undecided. */
#define PYAUDIT_PATH_LIMIT 4096

/* Remove ".", ".." and repeated "/" from the absolute path of n bytes in
 * place; returns the new length ("/" for the root). */
size_t pyaudit_path_collapse(char *path, size_t n);

/* path (n bytes, not NUL-terminated) made absolute against the current
 * working directory (asked now, never cached) and collapsed into out
 * (PYAUDIT_PATH_LIMIT bytes).  Returns the length, or -1 when it cannot
 * be judged: a NUL byte, no working directory, or too long. */
long pyaudit_path_normalise(const char *path, size_t n, char *out);

/* Whether the absolute path of n bytes (0 < n < PYAUDIT_PATH_LIMIT) is
 * already what pyaudit_path_normalise makes of it: no NUL byte, no "//",
 * no "/" followed by "." (a name starting with a dot is sent the long way
 * too), and no final "/" unless it is "/".  path[n] must be readable (the
 * terminator of a str's or bytes' buffer): it is read, never judged. */
int pyaudit_path_is_plain(const char *path, size_t n);

/* Whether normalised path is directory (normalised) or inside it. */
static inline int
pyaudit_path_is_under(const char *path, size_t n, const char *directory,
                      size_t dir_n)
{
    if (dir_n == 1) {
        return 1;               /* "/" holds every absolute path */
    }
    return n >= dir_n && pyaudit_bytes_equal(path, directory, dir_n)
           && (n == dir_n || path[dir_n] == '/');
}

/* Where the last component of path starts. */
size_t pyaudit_path_basename_at(const char *path, size_t n);

#endif /* PYAUDIT_PATHS_H */
