"""Helpers shared by the test modules: running code in a child interpreter
that imports the pyaudit under test.

Audit hooks are process-global and can never be removed, so anything that
cannot be undone (a vetoing hook, a second plain hook, reloading pyaudit,
a crash) runs in a child via ``run_python``.
"""

import importlib.util
import json
import os
import pty
import select
import shlex
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
    # The same start-up events whatever the caller's environment: a child
    # that wrote __pycache__ would change the next child's open/compile.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
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
    done = run_program(name, args=args, **kwargs)
    assert done.returncode == 0, (
        "%s exited with %d\n--- stdout ---\n%s\n--- stderr ---\n%s"
        % (name, done.returncode, done.stdout, done.stderr))
    return json.loads(done.stdout.strip().splitlines()[-1])


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


def host_flags():
    """The flags ``python -m pyaudit config --cflags --libs`` prints, for
    building a C host that embeds Python and links pyaudit."""
    done = subprocess.run(
        [sys.executable, "-m", "pyaudit", "config", "--cflags", "--libs"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True, check=True)
    return shlex.split(done.stdout)


def compile_host(source, directory):
    """Compile the C host ``source`` into ``directory`` with
    ``-Wall -Wextra -Werror`` and ``host_flags()``; returns its path."""
    target = os.path.join(str(directory),
                          os.path.splitext(os.path.basename(source))[0])
    done = subprocess.run(
        [os.environ.get("CC", "cc"), "-Wall", "-Wextra", "-Werror", source,
         "-o", target] + host_flags(),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        universal_newlines=True)
    assert done.returncode == 0, done.stderr
    return target


def host_env():
    """The environment for a C host: its embedded interpreter is the base
    Python, not this venv, so point it at the pyaudit under test."""
    return dict(child_env(), PYTHONUNBUFFERED="1")
def run_pyaudit(args, cwd, backend=None, env=None, timeout=120, **kwargs):
    """``python -m pyaudit run ARGS`` in ``cwd`` -> CompletedProcess
    (text)."""
    return subprocess.run(
        [sys.executable, "-m", "pyaudit", "run"] + [str(a) for a in args],
        cwd=str(cwd), env=child_env(backend, env), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout,
        **kwargs)


def run_plain(args, cwd, env=None, timeout=120, backend=None, **kwargs):
    """``python ARGS``: what ``run_pyaudit`` is compared with."""
    return subprocess.run(
        [sys.executable] + [str(a) for a in args], cwd=str(cwd),
        env=child_env(backend, env), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, universal_newlines=True, timeout=timeout,
        **kwargs)


def jsonl(text):
    """Every line of ``text`` that is a JSON object (so warnings and the
    program's own output are skipped), parsed."""
    return [json.loads(line) for line in text.splitlines()
            if line.startswith("{")]


def program(name):
    """The path of a child program in tests/programs/."""
    return os.path.join(PROGRAMS, name)


def run_program(name, args=(), backend=None, env=None, timeout=120):
    """Run the child program tests/programs/<name> with ``args`` (as
    ``run_python`` runs code) -> CompletedProcess (text)."""
    return run_plain([program(name)] + list(args), ROOT, env=env,
                     timeout=timeout, backend=backend)


def run_on_tty(args, cwd, env):
    """Run the command with stderr on a pseudo-terminal; return what it
    wrote there."""
    master, slave = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "pyaudit", "run"] + args, cwd=str(cwd),
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=slave)
        os.close(slave)
        slave = None
        output = b""
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:                 # EIO: the child side closed
                break
            if not chunk:
                break
            output += chunk
        assert proc.wait(timeout=60) == 0
        return output
    finally:
        os.close(master)
        if slave is not None:
            os.close(slave)
