"""Helpers shared by the test modules: running code in a child interpreter
that imports the pyaudit under test.

Audit hooks are process-global and can never be removed, so anything that
cannot be undone (a vetoing hook, a second plain hook, reloading pyaudit,
a crash) runs in a child via ``run_python``.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
PROGRAMS = os.path.join(TESTS, "programs")
SINK_BUILDER = os.path.join(ROOT, "examples", "cffi_sink",
                            "build_counting_sink.py")


def child_env(backend=None, extra=None):
    """The environment for a child interpreter that can import pyaudit."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [ROOT] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep)
                  if p])
    env.pop("PYAUDIT_BACKEND", None)
    if backend is not None:
        env["PYAUDIT_BACKEND"] = backend
    if extra:
        env.update(extra)
    return env


def run_python(code, backend=None, args=(), env=None, cwd=None, timeout=120):
    """Run ``code`` (dedented) in a fresh ``sys.executable``.

    ``backend`` sets PYAUDIT_BACKEND in the child (None leaves it unset);
    ``env`` adds variables.  Returns ``(returncode, stdout, stderr)``.
    """
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)] + [str(a) for a in args],
        env=child_env(backend, env), cwd=cwd or ROOT,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


def run_program(name, args=(), **kwargs):
    """Run tests/programs/``name`` as a script (its directory first on
    sys.path, so it can import its neighbours); otherwise like
    ``run_python``."""
    code = ("import runpy, sys; sys.argv[0] = %r; sys.path.insert(0, %r); "
            "runpy.run_path(sys.argv[0], run_name='__main__')"
            % (os.path.join(PROGRAMS, name), PROGRAMS))
    return run_python(code, args=args, **kwargs)


def check_python(code, backend=None, **kwargs):
    """Like ``run_python`` but fail the test unless the child exits 0;
    returns its stdout."""
    rc, out, err = run_python(code, backend=backend, **kwargs)
    assert rc == 0, ("child exited with %d\n--- stdout ---\n%s\n"
                     "--- stderr ---\n%s" % (rc, out, err))
    return out


def check_program(name, args=(), **kwargs):
    """Like ``run_program`` but fail the test unless the child exits 0;
    returns the JSON object on the last line of its stdout."""
    rc, out, err = run_program(name, args=args, **kwargs)
    assert rc == 0, ("%s exited with %d\n--- stdout ---\n%s\n"
                     "--- stderr ---\n%s" % (name, rc, out, err))
    return json.loads(out.strip().splitlines()[-1])


def build_counting_sink(directory):
    """Compile examples/cffi_sink (a C sink counting events) into
    ``directory`` and import it."""
    spec = importlib.util.spec_from_file_location("build_counting_sink",
                                                  SINK_BUILDER)
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    library = builder.ffibuilder.compile(tmpdir=str(directory))
    module_spec = importlib.util.spec_from_file_location("_counting_sink",
                                                         library)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return module
