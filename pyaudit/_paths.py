"""Lexical path normalisation for the ``paths_*`` and ``programs*``
conditions (the reference for csrc/paths.c).

Paths are bytes, as the file system sees them.  Nothing here touches the
file system: symbolic links are not resolved.
"""

import os

# The longest absolute path (before normalisation) that is judged; longer
# ones make a condition undecided.  PATH_MAX on Linux.
PATH_LIMIT = 4096


def normalise(path, cwd=None):
    """``path`` (bytes) made absolute against ``cwd`` (bytes, or None to
    ask ``os.getcwdb()``) with ``.``, ``..`` and repeated ``/`` removed; or
    None when it cannot be judged (a NUL byte, no working directory, or
    longer than PATH_LIMIT - 1 bytes before normalisation)."""
    if b"\0" in path:
        return None
    if not path.startswith(b"/"):
        if cwd is None:
            try:
                cwd = os.getcwdb()
            except OSError:
                return None
        path = cwd + b"/" + path
    if len(path) >= PATH_LIMIT:
        return None
    return collapse(path)


def collapse(path):
    """Absolute ``path`` (bytes) without ``.``, ``..`` and repeated ``/``
    (``..`` at the root stays there)."""
    parts = []
    for part in path.split(b"/"):
        if part == b".." and parts:
            parts.pop()
        elif part not in (b"", b".", b".."):
            parts.append(part)
    return b"/" + b"/".join(parts)


def is_under(path, directory):
    """Whether normalised ``path`` is ``directory`` or inside it."""
    return (path == directory or directory == b"/"
            or path.startswith(directory + b"/"))


def basename(path):
    """What follows the last ``/`` of ``path``."""
    return path[path.rfind(b"/") + 1:]


def as_bytes(value):
    """A path argument as bytes: str (os.fsencode), bytes, or an
    os.PathLike's ``__fspath__()``; None for anything else (an int file
    descriptor, None, ...), and when ``__fspath__`` fails."""
    if isinstance(value, int) or value is None:
        return None
    if not isinstance(value, (str, bytes)):
        try:
            value = os.fspath(value)
        except BaseException:   # whatever it raised: the path is unknown
            return None
    if isinstance(value, str):
        try:
            return os.fsencode(value)
        except UnicodeError:
            return None
    return bytes(value)
