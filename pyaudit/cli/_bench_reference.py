"""The reference hooks of ``pyaudit bench``, built on first use.

``reference_hooks.c`` (beside this file) is compiled with cffi's API mode
into a module of its own, cached per user under a directory named after
the interpreter's ABI and the source's hash, and reused afterwards.
``build()`` runs in the parent before anything is measured; each child
process loads the module from the path it was given
(``_bench_child.load_reference``).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile

MODULE = "_pyaudit_bench_reference"
SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      "reference_hooks.c")
# What Python code may call (cffi's declarations for reference_hooks.c).
DECLARATIONS = """
    int pyaudit_bench_add_noop_hook(void);
    int pyaudit_bench_add_retain_hook(long capacity);
    void pyaudit_bench_release_retained(void);
    int pyaudit_bench_add_hook_at(void *address);
"""
NEEDS = ("pyaudit bench needs a C compiler and cffi to build its reference "
         "hooks: ")


class BuildError(Exception):
    """The reference hooks cannot be built here; the message is one line
    that starts with NEEDS."""


def cache_root():
    """Where built reference modules are kept: $PYAUDIT_BENCH_CACHE, or
    pyaudit/bench under the user's cache directory."""
    explicit = os.environ.get("PYAUDIT_BENCH_CACHE")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(
        os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pyaudit", "bench")


def cache_key(source_bytes):
    """The interpreter's ABI and the source's hash, as a directory name."""
    abi = sysconfig.get_config_var("SOABI") or sys.implementation.cache_tag
    digest = hashlib.sha256(source_bytes + DECLARATIONS.encode())
    return "%s-%s" % (abi, digest.hexdigest()[:16])


def _find_built(directory):
    if not os.path.isdir(directory):
        return None
    for name in sorted(os.listdir(directory)):
        if name.startswith(MODULE + ".") and name.endswith(
                tuple(s for s in (".so", ".pyd"))):
            return os.path.join(directory, name)
    return None


def _compiler_missing():
    """The compiler cffi would run, when it is not on PATH; else None."""
    compiler = os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc"
    program = compiler.split()[0]
    return None if shutil.which(program) else program


def build():
    """The path of the built reference module, building it if needed.

    The compiler runs in a child process, so that what it prints is kept
    out of the benchmark's output.  Raises BuildError (one line) without
    cffi or a compiler, or when the build fails."""
    with open(SOURCE, "rb") as f:
        source = f.read()
    directory = os.path.join(cache_root(), cache_key(source))
    built = _find_built(directory)
    if built is not None:
        return built
    try:
        import cffi  # noqa: F401 (checked here, used by the child)
    except ImportError:
        from .._version import install_command
        raise BuildError(NEEDS + "cffi is not installed (%s)"
                         % install_command("bench")) from None
    missing = _compiler_missing()
    if missing is not None:
        raise BuildError(NEEDS + "no C compiler: %r is not on PATH"
                         % missing)
    done = subprocess.run([sys.executable, "-m", __name__, directory],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          universal_newlines=True)
    built = _find_built(directory)
    if done.returncode != 0 or built is None:
        raise BuildError(NEEDS + "building %s in %s failed: %s"
                         % (os.path.basename(SOURCE), directory,
                            _why(done.stdout)))
    return built


def _why(output):
    """The line of a failed build's output that says most."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    for line in lines:
        if "error" in line.lower():
            return line
    return lines[-1] if lines else "no output"


def _build_into(directory):
    """Compile the reference module into directory (in a child process:
    ``python -m pyaudit.cli._bench_reference DIRECTORY``)."""
    import cffi
    with open(SOURCE, encoding="utf-8") as f:
        source = f.read()
    ffi = cffi.FFI()
    ffi.cdef(DECLARATIONS)
    flags = ["-O2", "-Wall", "-Wextra"]
    if os.environ.get("PYAUDIT_WERROR") == "1":
        flags.append("-Werror")
    # PySys_AddAuditHook is not in the limited API, which cffi would ask for.
    ffi.set_source(MODULE, source, py_limited_api=False,
                   define_macros=[("_CFFI_NO_LIMITED_API", None)],
                   extra_compile_args=flags)
    parent = os.path.dirname(directory)
    os.makedirs(parent, exist_ok=True)
    # Build beside the cache and move into place in one step, so that two
    # benchmarks starting at once never load a half-written file.
    work = tempfile.mkdtemp(prefix=".build-", dir=parent)
    try:
        ffi.compile(tmpdir=work)
        staged = os.path.join(work, "staged")
        os.mkdir(staged)
        shutil.move(_find_built(work), staged)
        try:
            os.rename(staged, directory)
        except OSError:
            if _find_built(directory) is None:      # not a lost race
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    _build_into(sys.argv[1])
