"""Running a program in this process as ``python`` would run it.

``prepare`` does, before tracing starts, what ``python`` does before the
program is audited: ``sys.argv``, ``sys.path[0]``, a new ``__main__``
module holding what python's holds (``__builtins__`` the builtins module,
``__loader__``, ``__annotations__``), and, for a script, reading and
compiling its file.  ``Program.run`` then raises the audit events python
raises while it starts a program (``cpython.run_file``, the ``open`` and
``compile`` of the script, ``cpython.run_command``, ``cpython.run_module``
...), with the arguments python gives them, and runs it.

An exception the program does not catch leaves ``run`` and the command
as it would leave python's own runner: python prints it (through
``sys.excepthook``, from which ``hide_frames_above`` removes pyaudit's
frames) and exits with status 1, or by SIGINT for KeyboardInterrupt.
``SystemExit`` is python's to handle too.
"""

import os
import sys

_bootstrap = sys.modules["_frozen_importlib"]
_external = sys.modules["_frozen_importlib_external"]

# From 3.9 python makes a relative script path absolute (without
# normalising it) before it runs it.
ABSOLUTE_RUN_FILENAME = sys.version_info >= (3, 9)
# From 3.10 ``python -c`` compiles its code as text, ignoring a coding
# cookie (before, as UTF-8 bytes that a cookie could re-decode).
COMMAND_AS_TEXT = sys.version_info >= (3, 10)
# From 3.13 ``python -c`` registers its code with linecache, so that
# tracebacks show its lines.
REGISTERS_COMMAND_SOURCE = sys.version_info >= (3, 13)
# Until 3.14 python sets __cached__ (None) in the __main__ of a script.
SETS_MAIN_CACHED = sys.version_info < (3, 15)


def run_filename(path):
    """The script path python runs (and names in ``cpython.run_file``)."""
    if ABSOLUTE_RUN_FILENAME and not os.path.isabs(path):
        return os.path.join(os.getcwd(), path)
    return path


def _path_entry_added():
    """True if this process's launcher put an entry at sys.path[0] (the
    working directory for ``python -m pyaudit``, the script's directory for
    the ``pyaudit`` script), as python does unless -P or -I said not to."""
    return not (sys.flags.isolated or getattr(sys.flags, "safe_path", False))


def _set_path0(entry, always=False):
    """Make ``entry`` sys.path[0] where python would; ``always``: even with
    -P or -I (python always puts a directory or zip file it runs first)."""
    if _path_entry_added():
        sys.path[0] = entry
    elif always:
        sys.path.insert(0, entry)


def get_importer(path, cache=True):
    """What python's ``PyImport_GetImporter`` returns: the importer of a
    directory or zip file, None for anything else.  ``cache``: record the
    answer in sys.path_importer_cache, as python does (False: only look)."""
    if cache:
        if path in sys.path_importer_cache:
            return sys.path_importer_cache[path]
        sys.path_importer_cache[path] = None
    for hook in sys.path_hooks:
        try:
            importer = hook(path)
        except ImportError:
            continue
        if cache:
            sys.path_importer_cache[path] = importer
        return importer
    return None


def fresh_main():
    """A new ``__main__`` module as python creates it at start-up."""
    main = type(sys)("__main__")
    if "__annotations__" in sys.modules["__main__"].__dict__:
        main.__annotations__ = {}
    main.__builtins__ = sys.modules["builtins"]
    main.__loader__ = _bootstrap.BuiltinImporter
    return main


class Program:
    """A program prepared to run as python would run it.

    kind is "command" (-c), "module" (-m) or "script", which becomes
    "file" (a script or .pyc) or "importer" (a directory or zip file with
    __main__.py).
    """

    def __init__(self, kind, target, args):
        self.kind = kind
        self.target = target        # the code, module name or path given
        self.main = fresh_main()
        self.filename = None        # the path python runs, for a script
        self.code = None            # compiled script
        self.error = None           # why the script did not compile
        if kind == "command":
            sys.argv[:] = ["-c"] + args
            _set_path0("")
        elif kind == "module":
            sys.argv[:] = ["-m"] + args
            _set_path0(os.getcwd())
        else:
            sys.argv[:] = [target] + args
            self.filename = run_filename(target)
            if get_importer(self.filename, cache=False) is not None:
                self.kind = "importer"
                _set_path0(self.filename, always=True)
            else:
                self.kind = "file"
                _set_path0(os.path.dirname(os.path.realpath(target)))
                self._compile_file()
        sys.modules["__main__"] = self.main

    def _compile_file(self):
        """Read and compile the script now, before tracing starts: python
        raises ``open`` and ``compile`` events of its own for them, which
        ``run`` raises in their place."""
        with open(self.filename, "rb") as script:
            source = script.read()
        if self.filename.endswith(".pyc") or source[:2] == \
                _external.MAGIC_NUMBER[:2]:
            self.pyc = True
            if source[:4] != _external.MAGIC_NUMBER:
                self.error = RuntimeError("Bad magic number in .pyc file")
            else:
                import marshal
                self.code = marshal.loads(source[16:])
            return
        self.pyc = False
        try:
            self.code = compile(source, self.filename, "exec",
                                dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            self.error = exc

    def run(self):
        """Raise python's start-up events and run the program."""
        getattr(self, "_run_" + self.kind)()

    def _run_command(self):
        command = self.target + "\n"       # python adds the newline
        sys.audit("cpython.run_command", command)
        source = command if COMMAND_AS_TEXT else command.encode("utf-8")
        register = None
        if REGISTERS_COMMAND_SOURCE:
            import linecache
            register = getattr(linecache, "_register_code", None)
        if register is None or not hasattr(linecache, "_interactive_cache"):
            if register is not None:
                # 3.13 keys the source by file name; python passes the
                # key first.
                register("<string>", command, "<string>")
            # exec() compiles the text itself, raising the same "compile"
            # event as compile(); compile() would also make the ast
            # module's types the first time it is called (about 1 ms).
            exec(source, self.main.__dict__)
            return
        # Later versions key the source by code object.
        code = compile(source, "<string>", "exec", dont_inherit=True)
        register(code, command, "<string>")
        exec(code, self.main.__dict__)

    def _run_module(self):
        sys.audit("cpython.run_module", self.target)
        import runpy
        runpy._run_module_as_main(self.target, True)

    def _run_importer(self):
        get_importer(self.filename)     # as python: its hooks, its events
        sys.audit("cpython.run_module", "__main__")
        import runpy
        runpy._run_module_as_main("__main__", False)

    def _run_file(self):
        get_importer(self.filename)
        sys.audit("cpython.run_file", self.filename)
        sys.audit("open", self.filename, "rb", 0)
        namespace = self.main.__dict__
        namespace["__file__"] = self.filename
        if SETS_MAIN_CACHED:
            namespace["__cached__"] = None
        loader = (_external.SourcelessFileLoader if self.pyc
                  else _external.SourceFileLoader)
        namespace["__loader__"] = loader("__main__", self.filename)
        try:
            if self.error is not None:
                raise self.error.with_traceback(None)
            if self.pyc:
                # python runs a .pyc without an "exec" event
                type(fresh_main)(self.code, namespace)()
            else:
                sys.audit("compile", None, self.filename)
                exec(self.code, namespace)
        except SystemExit:
            raise       # python exits from inside its runner: no clean-up
        except BaseException:
            _forget_file(namespace)
            raise
        _forget_file(namespace)


def _forget_file(namespace):
    """What python's runner does once the script is over."""
    namespace.pop("__file__", None)
    namespace.pop("__cached__", None)


def hide_frames_above(stop_frame):
    """Make the uncaught exception python is about to print show only the
    program's frames: those after ``stop_frame`` and this module's."""
    shown = sys.excepthook

    def excepthook(exc_type, exc, tb):
        tb = _program_frames(tb, stop_frame)
        if exc is not None:
            exc = exc.with_traceback(tb)
        sys.last_traceback = tb
        return shown(exc_type, exc, tb)
    sys.excepthook = excepthook


def _program_frames(tb, stop_frame):
    entry = tb
    while entry is not None and entry.tb_frame is not stop_frame:
        entry = entry.tb_next
    if entry is None:           # not raised through pyaudit run
        return tb
    entry = entry.tb_next
    while entry is not None and entry.tb_frame.f_code.co_filename == __file__:
        entry = entry.tb_next
    return entry
