"""The hook's per-thread memos of recent lookups (csrc/table.h): a name of
up to 15 bytes raised again is decided by comparing its bytes with the
memo of its address, so the answer must follow the bytes (a buffer
reused for another name), the table (subscribing and closing), and every
length and page position.

Raised from C through ctypes (PySys_Audit with a buffer of our own), so
that one address carries several names in turn.
"""

import ctypes
import mmap
import threading

import pytest

import pyaudit

native = pyaudit._api_for("native")

PAGE = mmap.PAGESIZE


def audit_at(address):
    """Raise the NUL-terminated name at address from C."""
    audit = ctypes.pythonapi.PySys_Audit
    audit.restype = ctypes.c_int
    audit.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    assert audit(address, None) == 0


class Buffer:
    """A buffer whose address stays while names are written into it."""

    def __init__(self, size=64):
        self.raw = ctypes.create_string_buffer(size)

    def audit(self, name, times=3):
        data = name.encode("ascii") + b"\0"
        ctypes.memmove(self.raw, data, len(data))
        for _ in range(times):
            audit_at(ctypes.addressof(self.raw))


def names_of_every_length(stem, longest=40):
    """One name of each length 1 to longest, each a prefix of the next,
    with dots where prefixes could end."""
    text = (stem + ".abc.de.fghij.klmnopq.rstuvw.xyz0123456789.ABCDEFG")
    return [text[:n] for n in range(1, longest + 1)]


def counts_of(names, raise_name):
    with native.count(names) as counter:
        for name in names_of_every_length("Zq"):
            raise_name(name)
        return counter.counts()


def test_every_length_counted_each_time_from_one_buffer():
    buffer = Buffer()
    every = names_of_every_length("Zq")
    wanted = every[::3]
    counts = counts_of(wanted, buffer.audit)
    assert counts == {name: 3 for name in wanted}


def test_every_length_counted_each_time_from_python_strings():
    every = names_of_every_length("Zq")
    wanted = every[1::3]

    def raise_name(name):
        for _ in range(3):
            pyaudit_sys_audit(name)

    assert counts_of(wanted, raise_name) == {name: 3 for name in wanted}


def pyaudit_sys_audit(name):
    import sys
    sys.audit(name)


@pytest.mark.parametrize("prefix_len", [2, 3, 5, 8, 9, 12])
def test_prefix_keys_at_every_length(prefix_len):
    every = names_of_every_length("Zq")
    # A prefix pattern ending at the first '.' at or after prefix_len.
    text = every[-1]
    dot = text.index(".", prefix_len - 1)
    pattern = text[:dot + 1] + "*"
    buffer = Buffer()
    with native.count(pattern) as counter:
        for name in every:
            buffer.audit(name, times=2)
        counts = counter.counts()
    assert counts == {name: 2 for name in every
                      if name.startswith(text[:dot + 1])}


@pytest.mark.parametrize("pair", [
    ("Zqabcdefgh", "Zqabcdefg"),            # 10 and 9 bytes
    ("Zqabcdefgh", "Zqabcdefghi"),          # 10 and 11
    ("Zqabcdef", "Zqabcde"),                # 8 and 7
    ("Zqabcdef", "Zqabcdefg"),              # 8 and 9
    ("Zqabcde", "Zqabcd"),                  # 7 and 6
    ("Zqabcdefghijklm", "Zqabcdefghijklmn"),  # 15 and 16
    ("Zqabcdefghijklm", "Zqabcdefghijklx"),  # 15 and 15
    ("Zqa", "Zqb"),
])
def test_a_reused_buffer_is_never_taken_for_the_name_it_held(pair):
    wanted, other = pair
    buffer = Buffer()
    with native.count(wanted) as counter:
        for _ in range(3):
            buffer.audit(wanted, times=2)
            buffer.audit(other, times=2)
        assert counter.counts() == {wanted: 6}
    with native.count(other) as counter:
        for _ in range(3):
            buffer.audit(other, times=2)
            buffer.audit(wanted, times=2)
        assert counter.counts() == {other: 6}


def test_answers_follow_the_table():
    buffer = Buffer()
    name = "Zqmemo.x"
    with native.count("Zqmemo.y") as beside:
        buffer.audit(name)                  # remembered as a miss
        with native.count(name) as counter:
            buffer.audit(name)
            assert counter.counts() == {name: 3}
        buffer.audit(name)                  # closed: a miss again
        with native.count("Zqmemo.*") as prefix:
            buffer.audit(name)
            assert prefix.counts() == {name: 3}
        assert beside.counts() == {}


def test_hits_of_every_kind_through_a_memo():
    buffer = Buffer()
    seen = []
    with native.record("Zqkinds") as recorder, \
            native.watch("Zqkinds", lambda n, a: seen.append(n)), \
            native.count(["Zqkinds", "Zqkinds.long.x"]) as counter:
        buffer.audit("Zqkinds", times=4)
        buffer.audit("Zqkinds.long.x", times=4)
        assert [e.name for e in recorder.drain()] == ["Zqkinds"] * 4
        assert seen == ["Zqkinds"] * 4
        assert counter.counts() == {"Zqkinds": 4, "Zqkinds.long.x": 4}


@pytest.mark.parametrize("length", range(1, 21))
def test_names_ending_at_a_page_end(length):
    """The name's NUL is the last byte of a page whose next page cannot be
    read: no lookup may read past it."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mprotect.argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                              ctypes.c_int]
    area = mmap.mmap(-1, 2 * PAGE)
    base = ctypes.addressof(ctypes.c_char.from_buffer(area))
    try:
        assert libc.mprotect(base + PAGE, PAGE, 0) == 0     # PROT_NONE
        name = ("Zqpage.abcdefghijklmnopqrstuvwxyz")[:length]
        start = base + PAGE - length - 1
        ctypes.memmove(start, name.encode("ascii") + b"\0", length + 1)
        with native.count([name, "Zqpage.zz"]) as counter:
            for _ in range(3):
                audit_at(start)
            assert counter.counts() == {name: 3}
        with native.count(["Zqpage.zz", "Zq.*"]) as counter:
            for _ in range(3):
                audit_at(start)
            assert counter.counts() == {}
    finally:
        libc.mprotect(base + PAGE, PAGE, 3)     # PROT_READ | PROT_WRITE
        del base
        area.close()


def test_threads_keep_their_own_memos():
    names = ["Zqthr.%d" % i for i in range(8)]
    rounds = 200
    errors = []

    def run(i):
        try:
            buffer = Buffer()
            for _ in range(rounds):
                buffer.audit(names[i], times=1)
                buffer.audit(names[(i + 1) % 8] + "x", times=1)
        except BaseException as exc:   # pragma: no cover - reported below
            errors.append(exc)

    with native.count(names) as counter:
        threads = [threading.Thread(target=run, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert counter.counts() == {name: rounds for name in names}
