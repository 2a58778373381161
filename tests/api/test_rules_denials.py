"""Denials are complete: every way CPython offers to change files is
refused by one write guard when it acts outside the allowed directory,
and allowed inside it.

    deny(WRITE_EVENTS, where=Where(writing=True, paths_outside=[inside]))

Each operation runs once in a directory outside (denied: pyaudit.Denied,
and nothing there changes) and once inside (it works), with absolute and
with relative paths, on both backends.  The deny is a ``with`` block:
closing it ends the denial.
"""

import io
import itertools
import os
import pathlib
import shutil
import sys
import tempfile

import pytest

import pyaudit
from pyaudit import Where

WRITE_EVENTS = "open, os.*, shutil.*, tempfile.*"


def make_file(d):
    (d / "f").write_text("data")


def make_tree(d):
    make_file(d)
    (d / "tree").mkdir()
    (d / "tree" / "leaf").write_text("x")


def nothing(d):
    pass


def open_mode(mode):
    def act(d):
        name = "new" if "x" in mode else "f"
        open(str(d / name), mode).close()
    return act


def os_open(flags):
    def act(d):
        os.close(os.open(str(d / "f"), flags))
    return act


OPERATIONS = {}
for mode in ("w", "a", "x", "r+", "w+", "a+", "x+", "wb", "ab", "xb", "rb+",
             "wb+", "ab+", "wt", "at"):
    OPERATIONS["open-" + mode] = (make_file, open_mode(mode))
for access, extra in itertools.product(
        ("O_RDONLY", "O_WRONLY", "O_RDWR"),
        itertools.chain.from_iterable(
            itertools.combinations(("O_CREAT", "O_TRUNC", "O_APPEND"), n)
            for n in range(4))):
    names = (access,) + extra
    if names == ("O_RDONLY",):
        continue                # reading: see the test below
    flags = 0
    for name in names:
        flags |= getattr(os, name)
    OPERATIONS["os.open-" + "|".join(names)] = (make_file, os_open(flags))

OPERATIONS.update({
    "io.open": (make_file, lambda d: io.open(str(d / "f"), "w").close()),
    "io.FileIO": (make_file, lambda d: io.FileIO(str(d / "f"), "a").close()),
    "pathlib.open": (make_file, lambda d: (d / "f").open("a").close()),
    "pathlib.write_text": (nothing, lambda d: (d / "g").write_text("x")),
    "pathlib.write_bytes": (nothing, lambda d: (d / "g").write_bytes(b"x")),
    "pathlib.touch-new": (nothing, lambda d: (d / "g").touch()),
    "pathlib.touch-existing": (make_file, lambda d: (d / "f").touch()),
    "pathlib.mkdir": (nothing, lambda d: (d / "sub").mkdir()),
    "pathlib.mkdir-parents": (
        nothing, lambda d: (d / "a" / "b").mkdir(parents=True)),
    "pathlib.rename": (make_file, lambda d: (d / "f").rename(d / "g")),
    "pathlib.replace": (make_file, lambda d: (d / "f").replace(d / "g")),
    "pathlib.unlink": (make_file, lambda d: (d / "f").unlink()),
    "pathlib.symlink_to": (make_file, lambda d: (d / "ln").symlink_to("f")),
    "pathlib.chmod": (make_file, lambda d: (d / "f").chmod(0o600)),
    "shutil.copyfile": (make_file,
                        lambda d: shutil.copyfile(str(d / "f"), str(d / "g"))),
    "shutil.copy": (make_file,
                    lambda d: shutil.copy(str(d / "f"), str(d / "g"))),
    "shutil.copy2": (make_file,
                     lambda d: shutil.copy2(str(d / "f"), str(d / "g"))),
    "shutil.copymode": (
        make_tree, lambda d: shutil.copymode(str(d / "f"),
                                             str(d / "tree" / "leaf"))),
    "shutil.copystat": (
        make_tree, lambda d: shutil.copystat(str(d / "f"),
                                             str(d / "tree" / "leaf"))),
    "shutil.copytree": (
        make_tree, lambda d: shutil.copytree(str(d / "tree"),
                                             str(d / "copy"))),
    "shutil.move": (make_file,
                    lambda d: shutil.move(str(d / "f"), str(d / "g"))),
    "shutil.rmtree": (make_tree, lambda d: shutil.rmtree(str(d / "tree"))),
    "os.rename": (make_file,
                  lambda d: os.rename(str(d / "f"), str(d / "g"))),
    "os.replace": (make_file,
                   lambda d: os.replace(str(d / "f"), str(d / "g"))),
    "os.remove": (make_file, lambda d: os.remove(str(d / "f"))),
    "os.unlink": (make_file, lambda d: os.unlink(str(d / "f"))),
    "os.mkdir": (nothing, lambda d: os.mkdir(str(d / "sub"))),
    "os.makedirs": (nothing, lambda d: os.makedirs(str(d / "a" / "b"))),
    "os.truncate": (make_file, lambda d: os.truncate(str(d / "f"), 0)),
    "os.utime": (make_file, lambda d: os.utime(str(d / "f"), (1, 1))),
    "os.chmod": (make_file, lambda d: os.chmod(str(d / "f"), 0o600)),
    "os.link": (make_file, lambda d: os.link(str(d / "f"), str(d / "h"))),
    "os.symlink": (make_file, lambda d: os.symlink("f", str(d / "ln"))),
    "tempfile.mkstemp": (
        nothing, lambda d: os.close(tempfile.mkstemp(dir=str(d))[0])),
    "tempfile.mkdtemp": (nothing, lambda d: tempfile.mkdtemp(dir=str(d))),
    "tempfile.NamedTemporaryFile": (
        nothing, lambda d: tempfile.NamedTemporaryFile(
            dir=str(d), delete=False).close()),
    "tempfile.TemporaryFile": (
        nothing, lambda d: tempfile.TemporaryFile(dir=str(d)).close()),
})


def make_empty_dir(d):
    (d / "empty").mkdir()


OPERATIONS["pathlib.rmdir"] = (make_empty_dir,
                               lambda d: (d / "empty").rmdir())
OPERATIONS["os.rmdir"] = (make_empty_dir,
                          lambda d: os.rmdir(str(d / "empty")))
if sys.version_info >= (3, 10):
    OPERATIONS["pathlib.hardlink_to"] = (
        make_file, lambda d: (d / "h").hardlink_to(d / "f"))


def snapshot(directory):
    """Everything in a tree that a write could change."""
    seen = {}
    for root, dirs, files in os.walk(str(directory)):
        for name in dirs + files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            with_data = os.path.isfile(path) and not os.path.islink(path)
            seen[os.path.relpath(path, str(directory))] = (
                st.st_mode, st.st_size, st.st_mtime_ns,
                open(path, "rb").read() if with_data else None)
    return seen


@pytest.fixture(params=["absolute", "relative"])
def places(request, tmp_path, monkeypatch):
    """(inside, outside): where writes are allowed and where they are not,
    as absolute paths or relative to the working directory."""
    for name in ("inside", "outside"):
        (tmp_path / name).mkdir()
    monkeypatch.chdir(tmp_path)
    if request.param == "absolute":
        return tmp_path / "inside", tmp_path / "outside"
    return pathlib.Path("inside"), pathlib.Path("outside")


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_a_write_outside_is_denied_and_inside_allowed(api, places,
                                                      operation):
    prepare, act = OPERATIONS[operation]
    inside, outside = places
    for directory in places:
        prepare(directory)
    before = snapshot(outside)
    guard = Where(writing=True, paths_outside=[inside.resolve()])
    with api.deny(WRITE_EVENTS, where=guard):
        with pytest.raises(pyaudit.Denied):
            act(outside)
        act(inside)
    assert snapshot(outside) == before
    act(outside)        # the denial ended with the block


def test_reading_outside_is_allowed(api, places):
    inside, outside = places
    make_file(outside)
    guard = Where(writing=True, paths_outside=[inside.resolve()])
    with api.deny(WRITE_EVENTS, where=guard):
        assert open(str(outside / "f")).read() == "data"
        os.close(os.open(str(outside / "f"), os.O_RDONLY))
        assert sorted(os.listdir(str(outside))) == ["f"]


def test_copying_from_outside_into_inside_is_denied(api, places):
    """A copy's event names both paths: one outside is enough."""
    inside, outside = places
    make_file(outside)
    guard = Where(writing=True, paths_outside=[inside.resolve()])
    with api.deny(WRITE_EVENTS, where=guard):
        with pytest.raises(pyaudit.Denied):
            shutil.copyfile(str(outside / "f"), str(inside / "g"))
    assert not (inside / "g").exists()
