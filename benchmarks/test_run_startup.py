"""Start-up cost of ``pyaudit run``: wall time of ``-c pass`` in a fresh
process, against plain ``python -c pass``.

    python benchmarks/test_run_startup.py [--rounds N] [--runs N]
        [--python PYTHON ...]

prints a table for each PYTHON (default: this one; give the pythons of
a venv with ``pip install .`` and of one with ``pip install -e .`` to
compare the two kinds of install): for each command, the median over
the rounds of the fastest of ``--runs`` runs, and its ratio to ``python
-c pass`` of the same PYTHON.  The kind of install is printed with it:
in an editable install, setuptools' finder already makes plain python
import much of what ``python -m`` and pyaudit import, so ratios there
are lower.
Rounds interleave the commands, so that the machine's drift reaches
them all.  ``python -m pyaudit`` pays for python's ``-m`` (runpy and
what it imports) and the ``pyaudit`` script for the ``re`` import of
pip's script template: ``python -m <an empty module>`` is measured too,
to show the launcher's share.

``pytest benchmarks/ --benchmark-only`` runs each command through
pytest-benchmark as well (never asserting a time).
"""

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time

PYTHON = sys.executable


def script_of(python):
    return os.path.join(os.path.dirname(python), "pyaudit")


def install_kind(python):
    """"editable" or "regular": how pyaudit is installed for ``python``."""
    code = ("import os, site; print(any(name.startswith('__editable__') "
            "and 'pyaudit' in name for directory in site.getsitepackages() "
            "if os.path.isdir(directory) for name in os.listdir(directory)))")
    done = subprocess.run([python, "-c", code], stdout=subprocess.PIPE,
                          universal_newlines=True, check=True)
    return "editable" if done.stdout.strip() == "True" else "regular"


@contextlib.contextmanager
def prepared(python=PYTHON):
    """(the commands, the environment to run them in): bytecode caches
    written and used (runs warm them up), an empty module importable."""
    with tempfile.TemporaryDirectory() as directory:
        open(os.path.join(directory, "empty_module.py"), "w").close()
        env = {name: value for name, value in os.environ.items()
               if name not in ("PYTHONDONTWRITEBYTECODE", "PYAUDIT_RUN")}
        env["PYTHONPATH"] = os.pathsep.join(
            [directory] + [p for p in env.get("PYTHONPATH", "").split(
                os.pathsep) if p])
        table = [
            ("python -c pass", [python, "-c", "pass"]),
            ("python -m <empty module>", [python, "-m", "empty_module"]),
            ("python -m pyaudit run -c pass",
             [python, "-m", "pyaudit", "run", "-c", "pass"]),
        ]
        script = script_of(python)
        if os.path.exists(script):
            table.append(("pyaudit run -c pass",
                          [script, "run", "-c", "pass"]))
        yield table, env


def run_once(argv, env):
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def measure(rounds, runs, python=PYTHON):
    with prepared(python) as (table, env):
        for _, argv in table:           # warm caches: files, bytecode
            for _ in range(3):
                run_once(argv, env)
        best = {name: [] for name, _ in table}
        for _ in range(rounds):
            for name, argv in table:
                best[name].append(min(run_once(argv, env)
                                      for _ in range(runs)))
    return [(name, statistics.median(best[name])) for name, _ in table]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--python", action="append", default=[],
                        help="measure this python (repeatable; default: "
                        "the one running this script)")
    args = parser.parse_args(argv)
    for python in args.python or [PYTHON]:
        results = measure(args.rounds, args.runs, python)
        version = subprocess.run(
            [python, "-c", "import sys; print(sys.version.split()[0])"],
            stdout=subprocess.PIPE, universal_newlines=True,
            check=True).stdout.strip()
        base = results[0][1]
        print("Python %s, %s (%s install)" % (version, python,
                                               install_kind(python)))
        print("%-32s %9s %7s" % ("command", "ms", "ratio"))
        for name, seconds in results:
            print("%-32s %9.2f %7.2f" % (name, seconds * 1000,
                                         seconds / base))


# -- pytest-benchmark -----------------------------------------------------------

def _benchmark_command(benchmark, index):
    import pytest
    with prepared() as (table, env):
        if index >= len(table):
            pytest.skip("no pyaudit script beside this python")
        argv = table[index][1]
        run_once(argv, env)
        benchmark.pedantic(run_once, args=(argv, env), rounds=5,
                           iterations=1)


def test_plain_python_start_up(benchmark):
    _benchmark_command(benchmark, 0)


def test_python_m_start_up(benchmark):
    _benchmark_command(benchmark, 1)


def test_python_m_pyaudit_run_start_up(benchmark):
    _benchmark_command(benchmark, 2)


def test_pyaudit_script_run_start_up(benchmark):
    _benchmark_command(benchmark, 3)


if __name__ == "__main__":
    main()
