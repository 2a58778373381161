"""The events ``pyaudit run`` reports when no ``-e`` says otherwise:
what a program does to the world outside itself."""

import os

# (group, patterns), in the order --help and ``pyaudit events --defaults``
# show them.
DEFAULT_GROUPS = (
    ("network", (
        "socket.*", "http.client.connect", "urllib.Request",
        "ftplib.connect", "smtplib.connect", "poplib.connect",
        "imaplib.open", "nntplib.connect", "telnetlib.Telnet.open",
        "webbrowser.open")),
    ("programs started, Python ones included", (
        "subprocess.Popen", "os.system", "os.exec", "os.spawn",
        "os.posix_spawn", "os.fork", "os.forkpty", "pty.spawn",
        "os.kill", "os.killpg", "cpython.run_command", "cpython.run_file",
        "cpython.run_module", "cpython.run_stdin")),
    ("native code", (
        "ctypes.*", "sqlite3.enable_load_extension",
        "sqlite3.load_extension")),
    ("files written, removed, moved or re-permissioned ('open': writes "
     "only)", (
        "open", "os.remove", "os.rmdir", "os.rename", "os.truncate",
        "os.mkdir", "os.link", "os.symlink", "os.chmod", "os.chown",
        "shutil.rmtree", "shutil.move", "shutil.copyfile", "shutil.chown",
        "shutil.unpack_archive")),
    ("code loaded from data, auditing tampered with", (
        "pickle.find_class", "sys.addaudithook")),
)

DEFAULT_EVENTS = tuple(pattern for _, patterns in DEFAULT_GROUPS
                       for pattern in patterns)

# With the default selection, an "open" event is reported only when it
# opens for writing: its mode has one of these characters, or its flags
# one of these bits.
WRITE_MODE_CHARS = "wax+"
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC


def opens_for_writing(args):
    """True if the args of an ``open`` event open the file for writing."""
    mode = args[1] if len(args) > 1 else None
    flags = args[2] if len(args) > 2 else 0
    if isinstance(mode, str) and any(c in mode for c in WRITE_MODE_CHARS):
        return True
    return (isinstance(flags, int) and not isinstance(flags, bool)
            and bool(flags & WRITE_FLAGS))
