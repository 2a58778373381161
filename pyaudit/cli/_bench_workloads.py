"""The real workloads of pyaudit.cli.bench, each chosen for the hot events it
raises.  Imported by pyaudit.cli._bench_child only for a workload run, so that
neither the benchmark loop nor ``python -m pyaudit`` loads what they need.
"""

import copy
import logging
import os
import pickle
import tempfile
import time

NESTED = [{"id": i, "tags": ["a", "b", (i, i + 1)], "child": {"x": [i] * 5}}
          for i in range(300)]


class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y


POINTS = [Point(i, -i) for i in range(500)]
IMPORTS = ("json", "csv", "decimal", "fractions", "statistics", "difflib",
           "textwrap", "string", "heapq", "bisect", "calendar", "uuid",
           "ipaddress", "shlex", "glob", "fnmatch", "configparser",
           "argparse", "gettext", "pprint", "dataclasses", "enum",
           "typing", "email.message", "http.client", "urllib.parse",
           "xml.dom.minidom", "zipfile", "tarfile", "sqlite3")


def deepcopy_workload():
    """builtins.id for every object copied."""
    copy.deepcopy(NESTED)


def pickle_workload():
    """pickle.find_class for the global in each small pickle."""
    for point in POINTS:
        pickle.loads(pickle.dumps(point))


_logger = logging.getLogger("pyaudit.cli.bench")
_logger.addHandler(logging.NullHandler())
_logger.propagate = False
_logger.setLevel(logging.INFO)


def logging_workload():
    """sys._getframe (3.11 and older) or sys._getframemodulename per record."""
    for i in range(500):
        _logger.info("record %d", i)


_tree = None


def make_tree():
    global _tree
    _tree = tempfile.mkdtemp(prefix="pyaudit-bench-")
    for a in range(10):
        for b in range(10):
            path = os.path.join(_tree, str(a), str(b))
            os.makedirs(path)
            open(os.path.join(path, "f"), "w").close()


def walk_workload():
    """os.scandir per directory."""
    for _ in range(5):
        for _ in os.walk(_tree):
            pass


_files = None
FILES = 10000


def make_files():
    global _files
    directory = tempfile.mkdtemp(prefix="pyaudit-bench-files-")
    _files = [os.path.join(directory, "f%05d" % i) for i in range(FILES)]
    for path in _files:
        with open(path, "wb") as f:
            f.write(b"x" * 100)


def read_files_workload():
    """open per file read (10,000 small files)."""
    for path in _files:
        with open(path, "rb") as f:
            f.read()


def import_workload():
    """open, exec, import, marshal.loads and compile per module."""
    for name in IMPORTS:
        __import__(name)


WORKLOADS = {
    "deepcopy": deepcopy_workload,
    "pickle": pickle_workload,
    "logging": logging_workload,
    "os.walk": walk_workload,
    "read-files": read_files_workload,
    "import": import_workload,       # once per fresh process
}


# What a workload needs on disk, made before any hook is installed (a write
# guard would refuse it).
PREPARE = {"os.walk": make_tree, "read-files": make_files}


def prepare(name):
    if name in PREPARE:
        PREPARE[name]()


def run(name, repeat):
    """Run workload name repeat times; the fastest run's nanoseconds."""
    workload = WORKLOADS[name]
    if name == "import":
        repeat = 1                  # a module is imported once per process
    else:
        workload()                  # warm up (caches, the tree)
    best = None
    for _ in range(repeat):
        start = time.perf_counter_ns()
        workload()
        elapsed = time.perf_counter_ns() - start
        best = elapsed if best is None else min(best, elapsed)
    import shutil
    if _tree is not None:
        shutil.rmtree(_tree)
    if _files is not None:
        shutil.rmtree(os.path.dirname(_files[0]))
    return best
