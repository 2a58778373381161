"""``python -m pyaudit config``: build flags for C hosts."""

from .. import _build_flags

HELP = "print the flags a C host needs to compile and link with pyaudit"


def add_arguments(parser):
    parser.add_argument("--cflags", action="store_true",
                        help="compiler flags (pyaudit.h and Python.h)")
    parser.add_argument("--libs", action="store_true",
                        help="linker flags (pyaudit's library, libpython)")
    parser.add_argument("--include", action="store_true",
                        help="the directory holding pyaudit.h")
    parser.add_argument("--library", action="store_true",
                        help="the path of the library exporting the C API")


def run(args, parser):
    if not (args.include or args.library or args.cflags or args.libs):
        parser.error("give at least one of --cflags, --libs, --include, "
                     "--library")
    parts = []
    try:
        if args.include:
            parts.append(_build_flags.get_include())
        if args.library:
            parts.append(_build_flags.get_library())
        if args.cflags:
            parts += _build_flags.cflags()
        if args.libs:
            parts += _build_flags.libs()
    except (ImportError, FileNotFoundError) as exc:  # no extension, no header
        parser.exit(2, "%s: error: %s\n" % (parser.prog, exc))
    print(" ".join(parts))
    return 0
