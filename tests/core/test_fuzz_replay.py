"""The libFuzzer harness in fuzz/, built as a plain replay driver.

fuzz/fuzz_patterns.c checks csrc/pattern.c's parser against a reference
and the compiled table (csrc/table.c) against pattern.c's slow matcher; it
aborts on any disagreement.  libFuzzer needs clang, so this test builds the
harness with fuzz/standalone_main.c instead, with the C compiler the other
C tests use ($CC, else gcc, else cc, else clang) and -Wall -Wextra -Werror,
and replays the seed corpus (fuzz/corpus) plus a few hundred random inputs.
A second build adds -fsanitize=address,undefined where the toolchain can
build and run a sanitized program.  Nothing is written in the repository.
"""

import os
import random
import shutil
import subprocess
import sys
import sysconfig

import pytest

from support import ROOT
FUZZ = os.path.join(ROOT, "fuzz")
CSRC = os.path.join(ROOT, "csrc")
CORPUS = os.path.join(FUZZ, "corpus")
# What a FILTER/COUNT sub and a table need; sub.c, ring.c and counts.c
# refer to the Python API (never called here), hence libpython below.
CORE = ["pattern.c", "table.c", "sub.c", "counts.c", "ring.c", "names.c",
        "error.c",
        # A sub owns its where= rules (sub.c frees them).
        "rules.c", "rule_match.c", "rule_text.c", "roles.c", "paths.c",
        "net.c"]
SOURCES = ([os.path.join(FUZZ, "fuzz_patterns.c"),
            os.path.join(FUZZ, "standalone_main.c")]
           + [os.path.join(CSRC, name) for name in CORE])
RANDOM_INPUTS = 300
SANITIZE = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined",
            "-fno-omit-frame-pointer"]


def compiler():
    """The C compiler, or None."""
    if os.environ.get("CC"):
        return os.environ["CC"]
    for name in ("gcc", "cc", "clang"):
        if shutil.which(name):
            return name
    return None


def python_flags():
    """What python3-config --includes, and --embed --ldflags, print for
    this interpreter (with an rpath for a shared libpython)."""
    var = sysconfig.get_config_var
    paths = sysconfig.get_paths()
    cflags = ["-I" + paths["include"]]
    if paths["platinclude"] != paths["include"]:
        cflags.append("-I" + paths["platinclude"])
    libdir = var("LIBDIR") or ""
    if var("Py_ENABLE_SHARED"):
        libs = ["-L" + libdir, "-Wl,-rpath," + libdir]
    else:
        libs = ["-L" + (var("LIBPL") or libdir)]
    libs.append("-lpython%s%s" % (var("VERSION"),
                                  getattr(sys, "abiflags", "")))
    for name in ("LIBS", "SYSLIBS"):
        libs += (var(name) or "").split()
    return cflags, libs


def run(command, **kwargs):
    return subprocess.run(command, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, universal_newlines=True,
                          timeout=300, **kwargs)


def build(cc, target, extra):
    cflags, libs = python_flags()
    command = ([cc, "-std=c11", "-Wall", "-Wextra", "-Werror", "-g", "-O1"]
               + extra + ["-I" + CSRC] + cflags + SOURCES + libs
               + ["-o", target])
    done = run(command)
    assert done.returncode == 0, "%s\n%s" % (" ".join(command), done.stderr)


def sanitizers_work(cc, directory):
    """Whether cc can build and run a program with SANITIZE."""
    source = os.path.join(directory, "probe.c")
    with open(source, "w") as handle:
        handle.write("#include <stdlib.h>\nint main(void) { char *p = "
                     "malloc(4); p[0] = 0; free(p); return 0; }\n")
    target = os.path.join(directory, "probe")
    try:
        done = run([cc] + SANITIZE + [source, "-o", target])
        return done.returncode == 0 and run([target]).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


# -- random inputs ------------------------------------------------------------

TOKENS = ["a", "b", "os", ".", "..", "*", ".*", "!", ",", ", ", ";", " ",
          "\t", "\x0b", "\x0c", "\r", "\x1c", "/", "\x00", "\u00e9",
          "\U0001f600", "x1", "socket", "a.b", "!a.*", "*,!"]
NAME_TOKENS = ["a", "b", "os", ".", "x1", "socket", "\u00e9", "", "!", "*",
               "\x00", "y"]


def random_input(rng):
    """One harness input: a pattern line, then name lines (bytes)."""
    if rng.random() < 0.1:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    line = "".join(rng.choice(TOKENS) for _ in range(rng.randrange(1, 16)))
    if rng.random() < 0.2:
        line += "," + rng.choice(["a.", "\u00e9.", "ab.cd"]) * rng.randrange(
            50, 700) + rng.choice(["*", "", "x", ".*"])
    names = ["".join(rng.choice(NAME_TOKENS)
                     for _ in range(rng.randrange(0, 8)))
             for _ in range(rng.randrange(0, 8))]
    data = "\n".join([line] + names).encode("utf-8", "surrogatepass")
    if rng.random() < 0.1:
        data += b"\n\xff\xfe.\x80"       # not UTF-8: still just bytes
    return data


def write_random_inputs(directory, seed):
    rng = random.Random(seed)
    os.makedirs(directory)
    for i in range(RANDOM_INPUTS):
        with open(os.path.join(directory, "random-%03d" % i), "wb") as f:
            f.write(random_input(rng))


# -- the test -----------------------------------------------------------------

@pytest.mark.parametrize("variant", ["plain", "sanitized"])
def test_replay_driver_passes_corpus_and_random_inputs(tmp_path, variant):
    cc = compiler()
    if cc is None:
        pytest.skip("no C compiler (gcc, cc or clang; or set CC)")
    directory = str(tmp_path)
    extra = []
    if variant == "sanitized":
        if not sanitizers_work(cc, directory):
            pytest.skip("%s cannot build and run a program with %s"
                        % (cc, " ".join(SANITIZE)))
        extra = SANITIZE
    target = os.path.join(directory, "fuzz_patterns_replay")
    build(cc, target, extra)

    seeds = sorted(os.listdir(CORPUS))
    assert len(seeds) >= 10, seeds
    inputs = os.path.join(directory, "random")
    write_random_inputs(inputs, seed=578)
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    done = run([target, CORPUS, inputs], env=env)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "%d input(s) passed" % (len(seeds) + RANDOM_INPUTS) in done.stderr


def test_replay_driver_reads_stdin(tmp_path):
    """No argument: one input from standard input."""
    cc = compiler()
    if cc is None:
        pytest.skip("no C compiler (gcc, cc or clang; or set CC)")
    target = str(tmp_path / "fuzz_patterns_replay")
    build(cc, target, [])
    done = run([target], input="os.*, !os.listdir\nos.remove\nos.listdir\n")
    assert done.returncode == 0, done.stderr
    assert "1 input(s) passed" in done.stderr
