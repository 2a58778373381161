#!/usr/bin/env python3
"""Test pyaudit on a CPython that this machine lacks, taken from Debian.

    python3 tools/debian_python.py [options] VERSION [pytest arguments...]
    python3 tools/debian_python.py 3.14
    python3 tools/debian_python.py 3.15 tests/test_embed.py -x

Fetches Debian's python3.X packages (unstable by default) and the shared
libraries they need, glibc included, from the Debian mirror named in this
machine's own apt configuration, with apt-get and a private apt
configuration (lists, cache and .debs under .cpython-debian/, git-ignored;
nothing is installed system-wide); unpacks them with dpkg-deb into
.cpython-debian/X/root; installs pyproject's "test" extra (wheels from PyPI)
into .cpython-debian/X/site-packages; copies the working tree (tracked and
untracked, not ignored files) to .cpython-debian/X/tree; builds pyaudit's
extension there with the system gcc against Debian's headers (setup.py's
flags and CI's -Werror); puts pyaudit's start-up file in the
interpreter's site-packages, as pip does; and runs `python -m pytest -q
-p no:cacheprovider tests` in it.  Downloads are cached, so a second run only copies the tree,
rebuilds the extension and runs the tests.

How the interpreter runs: Debian's python needs a newer glibc than the
host's, so .cpython-debian/X/root/usr/local/bin/pythonX is a small shell
script that starts Debian's binary through Debian's dynamic loader
(ld.so --library-path ROOT-LIBS --argv0 $0).  sys.executable is that script,
so tests that start `sys.executable` get the same interpreter.  C code that
tests compile with $CC (tests/test_embed.py's hosts, cffi's modules) goes
through .cpython-debian/X/bin/cc, a gcc wrapper: Debian's include directory
last (its pyconfig.h includes <x86_64-linux-gnu/python3.X/pyconfig.h>), and
for executables Debian's loader as ELF interpreter and an RPATH to the
fetched libraries.  PYTHONHOME tells an embedded interpreter where its
stdlib is.

Options go before VERSION (everything after it goes to pytest):
  --suite S     Debian suite(s), comma-separated (default unstable; e.g.
                testing, or unstable,experimental)
  --refresh     re-read the archive's package lists even if they are less
                than a day old
  --setup-only  stop before pytest
  --rev REV     test commit REV (git archive) instead of the working tree,
                e.g. --rev HEAD while others edit the working tree
Exit status: pytest's; 75 if anything before pytest failed (mirror or PyPI
out of reach, a version that Debian does not package, a build error).
"""

import argparse
import contextlib
import fcntl
import glob
import hashlib
import json
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(REPO, ".cpython-debian")
LIST_MAX_AGE = 24 * 3600
# The exit status when anything before pytest fails (mirror or PyPI out of
# reach, a version Debian does not package, a build error); otherwise the
# exit status is pytest's.
SETUP_FAILED = 75
# The Debian packages of one CPython version, {v} = "3.14".
PYTHON_PACKAGES = ["python{v}-minimal", "libpython{v}-minimal",
                   "libpython{v}-stdlib", "python{v}", "libpython{v}",
                   "libpython{v}-dev"]


def log(message):
    print("[debian_python] " + message, flush=True)


def die(message):
    print("[debian_python] error: " + message, file=sys.stderr, flush=True)
    sys.exit(SETUP_FAILED)


def run(command, **kwargs):
    kwargs.setdefault("check", True)
    return subprocess.run(command, **kwargs)


def output(command, **kwargs):
    return subprocess.run(command, check=True, stdout=subprocess.PIPE,
                          universal_newlines=True, **kwargs).stdout


@contextlib.contextmanager
def locked(name):
    """An exclusive lock on .cpython-debian/NAME.lock for the block, so that
    concurrent runs never share a half-made directory."""
    os.makedirs(CACHE, exist_ok=True)
    with open(os.path.join(CACHE, name + ".lock"), "w") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log("waiting for another run holding %s.lock" % name)
            fcntl.flock(f, fcntl.LOCK_EX)
        yield


def write_if_changed(path, text, mode=None):
    """Write text to path unless it already holds it; True if written."""
    try:
        with open(path) as f:
            if f.read() == text:
                return False
    except OSError:
        pass
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    if mode is not None:
        os.chmod(path, mode)
    return True


# -- the mirror, from this machine's apt configuration ------------------------

def apt_source_files():
    etc = output(["apt-config", "shell", "E", "Dir::Etc/d",
                  "L", "Dir::Etc::sourcelist/f",
                  "P", "Dir::Etc::sourceparts/d"])
    values = dict(re.findall(r"^(\w+)='(.*)'$", etc, re.M))
    files = []
    if values.get("L"):
        files.append(values["L"])
    parts = values.get("P") or "/etc/apt/sources.list.d/"
    files += sorted(glob.glob(os.path.join(parts, "*.list"))
                    + glob.glob(os.path.join(parts, "*.sources")))
    return [f for f in files if os.path.isfile(f)]


def debian_mirror():
    """(URI, Signed-By or None) of the machine's Debian archive entry: the
    first 'deb' source whose suites are Debian's (not -security)."""
    entries = []
    for path in apt_source_files():
        with open(path) as f:
            text = f.read()
        if path.endswith(".sources"):
            for stanza in re.split(r"\n\s*\n", text):
                fields = {}
                for line in stanza.splitlines():
                    if line.startswith("#") or ":" not in line:
                        continue
                    key, _, value = line.partition(":")
                    fields[key.strip().lower()] = value.strip()
                if fields.get("enabled", "yes").lower() == "no":
                    continue
                if "deb" not in fields.get("types", "").split():
                    continue
                for uri in fields.get("uris", "").split():
                    entries.append((uri, fields.get("suites", "").split(),
                                    fields.get("components", "").split(),
                                    fields.get("signed-by")))
        else:
            for line in text.splitlines():
                m = re.match(r"\s*deb\s+(\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)",
                             line)
                if m:
                    options = m.group(1) or ""
                    signed = re.search(r"signed-by=(\S+?)\s*[\]\s]", options)
                    entries.append((m.group(2), [m.group(3)],
                                    m.group(4).split(),
                                    signed.group(1) if signed else None))
    for uri, suites, components, signed_by in entries:
        if "security" in uri or not suites:
            continue
        if any(s.endswith(("-security", "-backports")) for s in suites):
            continue
        if "main" not in components:
            continue
        return uri.rstrip("/"), signed_by
    die("no Debian archive (a 'deb' source with component main) in %s"
        % ", ".join(apt_source_files()))


# -- a private apt: lists, cache and .debs under .cpython-debian/apt ---------

class Apt:
    def __init__(self, suites):
        self.suite = suites
        self.dir = os.path.join(CACHE, "apt", suites.replace(",", "+"))
        self.debs = os.path.join(CACHE, "debs")
        self.arch = output(["dpkg", "--print-architecture"]).strip()
        empty = os.path.join(self.dir, "empty")
        self.options = [
            "-o", "Dir::Etc::sourcelist=" + os.path.join(self.dir,
                                                         "sources.list"),
            "-o", "Dir::Etc::sourceparts=" + empty,
            "-o", "Dir::Etc::preferences=" + os.path.join(empty, "none"),
            "-o", "Dir::Etc::preferencesparts=" + empty,
            "-o", "Dir::State=" + os.path.join(self.dir, "state"),
            "-o", "Dir::State::status=" + os.path.join(self.dir, "status"),
            "-o", "Dir::Cache=" + os.path.join(self.dir, "cache"),
            "-o", "Dir::Cache::pkgcache=pkgcache.bin",
            "-o", "Dir::Cache::srcpkgcache=",
            "-o", "APT::Architectures=" + self.arch,
            "-o", "APT::Architecture=" + self.arch,
            "-o", "APT::Default-Release=",
            "-o", "Acquire::Languages=none",
            "-o", "APT::Sandbox::User=root",
            "-o", "Debug::NoLocking=1",
        ]
        for sub in ("empty", "state/lists/partial", "cache/archives/partial"):
            os.makedirs(os.path.join(self.dir, sub), exist_ok=True)
        os.makedirs(self.debs, exist_ok=True)
        if not os.path.exists(os.path.join(self.dir, "status")):
            open(os.path.join(self.dir, "status"), "w").close()
        uri, signed_by = debian_mirror()
        if not (signed_by or "").startswith("/"):     # none, or a key inline
            signed_by = "/usr/share/keyrings/debian-archive-keyring.gpg"
        keyring = signed_by
        self.source = "".join("deb [signed-by=%s] %s %s main\n"
                              % (keyring, uri, suite)
                              for suite in suites.split(","))
        changed = write_if_changed(os.path.join(self.dir, "sources.list"),
                                   self.source)
        self.stamp = os.path.join(self.dir, "updated")
        self.stale = changed or not os.path.exists(self.stamp) or (
            time.time() - os.path.getmtime(self.stamp) > LIST_MAX_AGE)
        self.fresh = False      # updated by this run

    def update(self, force=False):
        if not (force or self.stale):
            return
        log("apt-get update (%s)" % "; ".join(self.source.splitlines()))
        done = subprocess.run(["apt-get", "-q"] + self.options + ["update"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True)
        if (done.returncode != 0 or re.search(r"^E: |^W: Failed to fetch",
                                              done.stdout, re.M)):
            die("apt-get update of %s failed:\n%s" % (self.suite,
                                                       done.stdout))
        for line in re.findall(r"^W: .*", done.stdout, re.M):
            log(line)
        open(self.stamp, "w").close()
        self.stale = False
        self.fresh = True

    def cache(self, *args):
        return subprocess.run(["apt-cache"] + self.options + list(args),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True)

    def show(self, names):
        """{name: {field: value}} for the candidate version of each name
        that exists as a real package."""
        done = self.cache("show", "--no-all-versions", *names)
        found = {}
        for stanza in done.stdout.split("\n\n"):
            fields, key = {}, None
            for line in stanza.splitlines():
                if line.startswith(" ") and key:
                    fields[key] += "\n" + line
                elif ":" in line:
                    key, _, value = line.partition(":")
                    fields[key] = value.strip()
            if "Package" in fields:
                found[fields["Package"]] = fields
        return found

    def provider(self, name):
        """The real package providing a virtual one, or None."""
        done = self.cache("showpkg", name)
        m = re.search(r"^Reverse Provides:\s*\n(\S+)", done.stdout, re.M)
        return m.group(1) if m else None

    def download(self, packages):
        """The cached .deb paths of packages {name: version}, fetched with
        apt-get download (which checks them against the signed index)."""
        specs = ["%s=%s" % item for item in sorted(packages.items())]
        # (From an empty directory: apt-get prints no URI for a file that
        # is already in its working directory.)
        empty = os.path.join(self.dir, "empty")
        uris = output(["apt-get", "-q"] + self.options
                      + ["download", "--print-uris"] + specs, cwd=empty)
        paths, missing = [], []
        for line in uris.splitlines():
            m = re.match(r"'(\S+)' (\S+) (\d+) (\w+):(\w+)", line)
            if not m:
                continue
            name, size, algorithm, digest = m.group(2, 3, 4, 5)
            path = os.path.join(self.debs, name)
            paths.append(path)
            if not good_file(path, int(size), algorithm, digest):
                missing.append(name)
                if os.path.exists(path):
                    os.unlink(path)
        if len(paths) != len(specs):
            die("apt-get download --print-uris gave %d of %d packages:\n%s"
                % (len(paths), len(specs), uris))
        if missing:
            log("downloading %d .deb files into %s" % (len(missing),
                                                       self.debs))
            wanted = [s for s in specs
                      if deb_name(s) in {deb_prefix(m) for m in missing}]
            run(["apt-get", "-q", "-q"] + self.options + ["download"] + wanted,
                cwd=self.debs)
            for path in paths:
                if not os.path.isfile(path):
                    die("apt-get download did not give %s" % path)
        return paths


def deb_name(spec):
    return spec.split("=", 1)[0]


def deb_prefix(filename):
    return filename.split("_", 1)[0]


def good_file(path, size, algorithm, digest):
    if not os.path.isfile(path) or os.path.getsize(path) != size:
        return False
    algorithm = {"SHA256": "sha256", "SHA512": "sha512",
                 "SHA1": "sha1", "MD5Sum": "md5"}.get(algorithm, "sha256")
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest() == digest


def is_library(name):
    """A package that we follow when resolving dependencies: shared
    libraries, not their -dev, -data, -common or -bin companions."""
    if not (name.startswith("lib") or name in ("zlib1g",)):
        return False
    return not re.search(r"-(dev|data|common|bin|doc|dbg|tools)$", name)


def resolve(apt, version):
    """{package: version}: the python packages of `version` and, followed
    recursively through Depends and Pre-Depends, the shared libraries they
    need (glibc included), each at the suite's candidate version."""
    roots = [p.format(v=version) for p in PYTHON_PACKAGES]
    chosen, queue = {}, list(roots)
    while queue:
        names = [n for n in dict.fromkeys(queue) if n not in chosen]
        queue = []
        if not names:
            break
        found = apt.show(names)
        for name in names:
            if name not in found:
                real = apt.provider(name)
                if real is None:
                    die("Debian %s has no package %s" % (apt.suite, name))
                if real not in chosen:
                    queue.append(real)
                chosen[name] = None       # virtual: provided by `real`
                continue
            fields = found[name]
            chosen[name] = fields["Version"]
            depends = ", ".join(fields.get(k, "") for k in
                                ("Pre-Depends", "Depends"))
            for group in depends.split(","):
                alternatives = [a.strip().split()[0].split(":")[0]
                                for a in group.split("|") if a.strip()]
                libraries = [a for a in alternatives
                             if is_library(a) or a in roots]
                if libraries and not any(a in chosen for a in libraries):
                    queue.append(libraries[0])
    return {name: v for name, v in chosen.items() if v is not None}


# -- the interpreter's root ---------------------------------------------------

class Root:
    def __init__(self, version):
        self.version = version
        self.base = os.path.join(CACHE, version)
        self.root = os.path.join(self.base, "root")
        self.bin = os.path.join(self.base, "bin")
        self.python = os.path.join(self.root, "usr", "local", "bin",
                                   "python" + version)
        self.prefix = os.path.join(self.root, "usr")
        self.site = os.path.join(self.base, "site-packages")
        self.tree = os.path.join(self.base, "tree")
        self.cc = os.path.join(self.bin, "cc")

    def extract(self, debs):
        stamp = os.path.join(self.base, "root.stamp")
        want = "\n".join(sorted(os.path.basename(d) for d in debs)) + "\n"
        try:
            with open(stamp) as f:
                if f.read() == want and os.path.exists(self.python):
                    log("root up to date: %s" % self.root)
                    self.find_loader()
                    return
        except OSError:
            pass
        log("extracting %d packages into %s" % (len(debs), self.root))
        if os.path.exists(stamp):
            os.unlink(stamp)
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root)
        for deb in sorted(debs):
            run(["dpkg-deb", "-x", deb, self.root])
        self.find_loader()
        self.write_wrappers()
        # What Debian's postinst (py3compile) would do: without it every
        # child interpreter of the tests compiles the stdlib it imports.
        subprocess.run([self.python, "-m", "compileall", "-q", "-j0",
                        os.path.join(self.prefix, "lib",
                                     "python" + self.version)],
                       stdout=subprocess.DEVNULL)
        with open(stamp, "w") as f:
            f.write(want)

    def find_loader(self):
        candidates = sorted(glob.glob(os.path.join(
            self.root, "usr", "lib64", "ld-linux*.so.*")) + glob.glob(
            os.path.join(self.root, "lib64", "ld-linux*.so.*")) + glob.glob(
            os.path.join(self.root, "usr", "lib", "*-linux-gnu",
                         "ld-linux*.so.*")))
        if not candidates:
            die("no dynamic loader (ld-linux*.so.*) in %s" % self.root)
        self.loader = candidates[0]
        self.libdirs = [d for d in (
            sorted(glob.glob(os.path.join(self.root, "usr", "lib",
                                          "*-linux-gnu")))
            + sorted(glob.glob(os.path.join(self.root, "lib", "*-linux-gnu"))))
            if os.path.isdir(d) and not os.path.islink(d)]

    def write_wrappers(self):
        real = os.path.join(self.root, "usr", "bin", "python" + self.version)
        # In usr/local/bin the interpreter finds its prefix (ROOT/usr) from
        # its own path, without PYTHONHOME.
        write_if_changed(self.python, (
            "#!/bin/sh\n"
            "# Debian's CPython %s through Debian's glibc "
            "(tools/debian_python.py)\n"
            "exec %s --library-path %s --argv0 \"$0\" %s \"$@\"\n")
            % (self.version, shlex.quote(self.loader),
               shlex.quote(":".join(self.libdirs)), shlex.quote(real)),
            0o755)
        rpath = ":".join(self.libdirs)
        write_if_changed(self.cc, (
            "#!/bin/sh\n"
            "# gcc for C code built against Debian's CPython %s:\n"
            "# ROOT/usr/include last (Debian's pyconfig.h includes\n"
            "# <x86_64-linux-gnu/python3.X/pyconfig.h>); for executables,\n"
            "# Debian's loader as ELF interpreter and an RPATH (which the\n"
            "# libraries they load inherit) to the fetched libraries; the\n"
            "# system's older libc.so is linked, so libpython's newer\n"
            "# glibc symbol versions are left to the loader.\n"
            "exec gcc -idirafter %s -Wl,--dynamic-linker=%s "
            "-Wl,--allow-shlib-undefined "
            "-Wl,--disable-new-dtags -Wl,-rpath,%s -Wl,-rpath-link,%s -L%s "
            "\"$@\"\n")
            % (self.version, shlex.quote(os.path.join(self.prefix, "include")),
               shlex.quote(self.loader), shlex.quote(rpath),
               shlex.quote(rpath), shlex.quote(self.libdirs[0])), 0o755)


# -- test requirements: wheels from PyPI for that interpreter ----------------

def test_requirements():
    """pyproject.toml's [project.optional-dependencies] test list."""
    path = os.path.join(REPO, "pyproject.toml")
    try:
        import tomllib
    except ImportError:         # Python < 3.11 runs this script
        with open(path) as f:
            m = re.search(r"^test\s*=\s*\[([^\]]*)\]", f.read(), re.M)
        return re.findall(r"\"([^\"]+)\"", m.group(1))
    with open(path, "rb") as f:
        project = tomllib.load(f)["project"]
    return project["optional-dependencies"]["test"]


def install_requirements(root):
    requirements = test_requirements() + ["pip"]
    stamp = os.path.join(root.base, "site-packages.stamp")
    want = json.dumps(requirements) + "\n"
    try:
        with open(stamp) as f:
            if f.read() == want and os.path.isdir(root.site):
                log("test requirements up to date: %s" % root.site)
                return
    except OSError:
        pass
    wheels = os.path.join(CACHE, "wheels", root.version)
    os.makedirs(wheels, exist_ok=True)
    log("downloading wheels for %s into %s" % (root.version, wheels))
    run([sys.executable, "-m", "pip", "download", "-qq",
         "--disable-pip-version-check", "--only-binary=:all:",
         "--python-version", root.version, "--implementation", "cp",
         "-d", wheels] + requirements)
    pip = sorted(glob.glob(os.path.join(wheels, "pip-*.whl")))[-1]
    shutil.rmtree(root.site, ignore_errors=True)
    if os.path.exists(stamp):
        os.unlink(stamp)
    log("installing %s into %s" % (" ".join(requirements), root.site))
    # Debian's interpreter runs pip (from its wheel) itself, so it checks
    # each wheel's tags against its own.
    run([root.python, os.path.join(pip, "pip"), "install", "-q",
         "--root-user-action=ignore",
         "--disable-pip-version-check", "--no-index", "--find-links", wheels,
         "--no-warn-script-location", "--target", root.site]
        + test_requirements())
    with open(stamp, "w") as f:
        f.write(want)


# -- the tree, the extension, the tests ---------------------------------------

def copy_tree(root, rev=None):
    """A copy of the working tree (tracked and untracked, not ignored
    files), or of commit `rev`, so that runs for different versions never
    share build products."""
    shutil.rmtree(root.tree, ignore_errors=True)
    # tests/test_catalog.py reads ../shared/data beside the checkout.
    shared = os.path.join(os.path.dirname(REPO), "shared")
    link = os.path.join(root.base, "shared")
    if os.path.lexists(link):
        os.unlink(link)
    if os.path.isdir(shared):
        os.symlink(shared, link)
    if rev is not None:
        os.makedirs(root.tree)
        archive = subprocess.Popen(["git", "archive", "--format=tar", rev],
                                   cwd=REPO, stdout=subprocess.PIPE)
        run(["tar", "-x", "-C", root.tree], stdin=archive.stdout)
        archive.stdout.close()
        if archive.wait() != 0:
            die("git archive %s failed" % rev)
        return
    files = output(["git", "ls-files", "-z", "--cached", "--others",
                    "--exclude-standard"], cwd=REPO).split("\0")
    for name in files:
        source = os.path.join(REPO, name)
        if not name or not os.path.lexists(source):
            continue           # deleted in the working tree
        target = os.path.join(root.tree, name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)


def build_extension(root):
    """csrc/*.c -> pyaudit/_pyaudit.<SOABI>.so with setup.py's flags (and
    CI's -Werror), by the system gcc against Debian's headers."""
    info = json.loads(output([root.python, "-c", (
        "import json, sysconfig; print(json.dumps({"
        "'ext': sysconfig.get_config_var('EXT_SUFFIX'), "
        "'include': sysconfig.get_paths()['include'], "
        "'platinclude': sysconfig.get_paths()['platinclude']}))")]))
    includes = []
    for directory in (info["include"], info["platinclude"]):
        if "-I" + directory not in includes:
            includes.append("-I" + directory)
    # Debian's pyconfig.h includes <x86_64-linux-gnu/python3.X/pyconfig.h>.
    multiarch = glob.glob(os.path.join(root.prefix, "include", "*-linux-gnu",
                                       "python" + root.version))
    if multiarch:
        includes += ["-idirafter", os.path.join(root.prefix, "include")]
    target = os.path.join(root.tree, "pyaudit", "_pyaudit" + info["ext"])
    sources = sorted(glob.glob(os.path.join(root.tree, "csrc", "*.c")))
    command = (["gcc", "-shared", "-fPIC", "-O2", "-g", "-DNDEBUG",
                "-fwrapv", "-std=c11", "-Wall", "-Wextra", "-Werror",
                "-fvisibility=hidden"] + includes + sources
               + ["-o", target])
    log("building %s" % os.path.relpath(target, REPO))
    run(command)
    versions = sorted(set(re.findall(r"GLIBC_([\d.]+)", output(
        ["objdump", "-T", target]))), key=lambda v: [int(x) for x in
                                                     v.split(".")])
    log("extension needs glibc symbol versions: %s" % " ".join(versions))


def install_startup_file(root):
    """What ``pip install -e`` puts in site-packages, in Debian's
    interpreter's: a .pth file naming the tree (so that pyaudit imports even
    where PYTHONPATH is ignored, in ``python -I``), and pyaudit's start-up
    file (pyaudit/_autostart.py), without which ``pyaudit run`` cannot
    follow child processes.  The tree's file sorts first, as setuptools'
    "__editable__" files do."""
    autostart = runpy.run_path(os.path.join(root.tree, "pyaudit",
                                            "_autostart.py"))
    site_packages = json.loads(output([root.python, "-c", (
        "import json, site; print(json.dumps(site.getsitepackages()))")]))[0]
    os.makedirs(site_packages, exist_ok=True)
    with open(os.path.join(site_packages, "_pyaudit-tree.pth"), "w") as pth:
        pth.write(root.tree + "\n")
    with open(os.path.join(site_packages, autostart["PTH_NAME"]), "w") as pth:
        pth.write(autostart["PTH_LINE"] + "\n")
    log("start-up file in %s" % site_packages)


def test_environment(root):
    env = dict(os.environ)
    env.pop("PYTHONHOME", None)
    env.pop("PYAUDIT_BACKEND", None)
    env["PYTHONPATH"] = root.site
    # For the C hosts of tests/test_embed.py: the embedded interpreter
    # cannot find its stdlib from the host's path.
    env["PYTHONHOME"] = root.prefix
    env["CC"] = root.cc
    env["PYAUDIT_WERROR"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        usage="%(prog)s [--suite S] [--refresh] [--setup-only] [--rev REV] "
              "VERSION "
              "[pytest arguments...]")
    parser.add_argument("--suite", default="unstable",
                        help="Debian suite(s), comma-separated")
    parser.add_argument("--refresh", action="store_true")
    parser.add_argument("--setup-only", action="store_true")
    parser.add_argument("--rev", help="test this commit (git archive) "
                        "instead of the working tree")
    parser.add_argument("version")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if not re.match(r"^3\.\d+$", args.version):
        parser.error("VERSION is like 3.14")
    for tool in ("apt-get", "apt-cache", "dpkg-deb", "gcc", "objdump",
                 "git"):
        if shutil.which(tool) is None:
            die("%s is needed and not found" % tool)
    started = time.time()

    python = "python" + args.version
    with locked("apt-" + args.suite):
        apt = Apt(args.suite)
        apt.update(force=args.refresh)
        if not apt.show([python]) and not apt.fresh:
            apt.update(force=True)      # lists of up to a day ago may lack it
        if not apt.show([python]):
            die("Debian %s does not package CPython %s (it has no package "
                "%s); try --suite unstable,experimental, or a version that "
                "Debian packages" % (args.suite, args.version, python))
        packages = resolve(apt, args.version)
        log("%d packages: %s" % (len(packages), ", ".join(
            "%s=%s" % p for p in sorted(packages.items()))))
        debs = apt.download(packages)
    with locked(args.version):
        return setup_and_test(args, packages, debs, started)


def setup_and_test(args, packages, debs, started):
    root = Root(args.version)
    root.extract(debs)
    root.write_wrappers()
    probe = output([root.python, "-c",
                    "import sys, ssl, ctypes, sqlite3, zlib, _ctypes; "
                    "print(sys.version.split()[0], sys.prefix, "
                    "ssl.OPENSSL_VERSION)"])
    log("interpreter %s: %s" % (root.python, probe.strip()))
    install_requirements(root)
    copy_tree(root, args.rev)
    if args.rev is not None:
        log("testing commit %s" % output(
            ["git", "rev-parse", "--short", args.rev], cwd=REPO).strip())
    build_extension(root)
    install_startup_file(root)
    log("setup took %.0f s" % (time.time() - started))
    if args.setup_only:
        return 0
    return run_tests(root, args, packages, started)


def run_tests(root, args, packages, started):
    python = "python" + args.version
    command = ([root.python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
               + (args.pytest_args or ["tests"]))
    log("cd %s && %s" % (root.tree, " ".join(map(shlex.quote, command))))
    done = subprocess.run(command, cwd=root.tree,
                          env=test_environment(root))
    log("CPython %s (Debian %s): pytest exit %d, %.0f s in all"
        % (args.version, packages.get(python), done.returncode,
           time.time() - started))
    return done.returncode


if __name__ == "__main__":
    try:
        sys.exit(main())
    except subprocess.CalledProcessError as exc:
        die("%s exited with %s" % (" ".join(map(shlex.quote, map(
            str, exc.cmd))), exc.returncode))
