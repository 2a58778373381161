"""C helpers for the reliability tests, compiled with cffi's out-of-line
API mode: ``build(directory)`` compiles them and returns the module's
path, ``load(path)`` imports it (in a child process, say).

* ``refuse_event(name, times)`` adds a native audit hook, ahead of any
  hook added later, that refuses the next ``times`` events called
  ``name`` (a PermissionError) and lets everything else through;
  ``refusals_left()`` says how many refusals remain.
* ``colliding_names(n, out)`` writes ``n`` distinct 8-byte ASCII names
  (each followed by a NUL) into ``out`` whose hash under the name hash of
  the core before 3221924 (commit 601f77d, which had no seed) is the same
  32-bit value: it inverts that hash's last multiply, as an attacker did.
* ``bucket_colliding_names(seed, bits, n, out)`` writes ``n`` such names
  whose hash under pyaudit's current name hash (``pyaudit_hash`` of
  csrc/bytes.h, compiled in here), computed with ``seed`` instead of the
  process's secret, agrees in its low ``bits`` bits: they would share a
  few buckets of every map, if the seed were the one the attacker
  guessed.  It searches, so it costs about ``n * 2**bits`` hashes.
"""

import importlib.util
import os

from cffi import FFI

CSRC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "csrc")

CDEF = """
int refuse_event(const char *name, int times);
int refusals_left(void);
size_t colliding_names(size_t n, char *out);
size_t bucket_colliding_names(uint64_t seed, int bits, size_t n, char *out);
"""

SOURCE = r"""
#include <Python.h>
#include <stdint.h>
#include <string.h>

static char refused[256];
static int refusals;

static int
refusing_hook(const char *event, PyObject *args, void *userdata)
{
    (void)args;
    (void)userdata;
    if (refusals > 0 && strcmp(event, refused) == 0) {
        refusals--;
        PyErr_Format(PyExc_PermissionError, "native hook refuses %s",
                     event);
        return -1;
    }
    return 0;
}

int
refuse_event(const char *name, int times)
{
    PyGILState_STATE state = PyGILState_Ensure();
    strncpy(refused, name, sizeof(refused) - 1);
    refusals = times;
    int result = PySys_AddAuditHook(refusing_hook, NULL);
    if (result < 0) {
        PyErr_Clear();
    }
    PyGILState_Release(state);
    return result;
}

int
refusals_left(void)
{
    return refusals;
}

#define MULTIPLIER 0x9E3779B97F4A7C15ull

/* The name hash of 601f77d for an 8-byte name: one round, no seed. */
static uint32_t
old_hash8(uint64_t word)
{
    uint64_t h = ((9 * MULTIPLIER) ^ word) * MULTIPLIER;
    return (uint32_t)(h ^ (h >> 32));
}

static int
plain_ascii(uint64_t word)
{
    for (int i = 0; i < 8; i++) {
        unsigned char c = (unsigned char)(word >> (8 * i));
        if (c == 0 || c >= 0x80) {
            return 0;
        }
    }
    return 1;
}

size_t
colliding_names(size_t n, char *out)
{
    const uint32_t target = 0x5eed1e55u;
    uint64_t inverse = MULTIPLIER;          /* Newton's iteration mod 2**64 */
    for (int i = 0; i < 6; i++) {
        inverse *= 2 - MULTIPLIER * inverse;
    }
    size_t made = 0;
    /* Every h whose halves XOR to target folds to target; distinct h give
     * distinct words.  Keep the words that are plain ASCII. */
    for (uint64_t high = 1; made < n && high < (1ull << 32); high++) {
        uint64_t h = (high << 32) | (uint32_t)(target ^ (uint32_t)high);
        uint64_t word = (h * inverse) ^ (9 * MULTIPLIER);
        if (plain_ascii(word) && old_hash8(word) == target) {
            memcpy(out + 9 * made, &word, 8);
            out[9 * made + 8] = '\0';
            made++;
        }
    }
    return made;
}

/* pyaudit's own hash (bytes.h), with this module's copy of the seed. */
#include "bytes.h"

uint64_t pyaudit_hash_seed;

size_t
bucket_colliding_names(uint64_t seed, int bits, size_t n, char *out)
{
    pyaudit_hash_seed = seed;
    const uint32_t mask = (1u << bits) - 1;
    uint32_t target = 0;
    size_t made = 0;
    char name[8];
    /* Candidates: the counter's digits in base 94, as '!' to '~'. */
    for (uint64_t i = 0; made < n; i++) {
        uint64_t digits = i;
        for (int j = 0; j < 8; j++) {
            name[j] = (char)('!' + digits % 94);
            digits /= 94;
        }
        uint32_t bucket = pyaudit_hash(name, 8) & mask;
        if (made == 0) {
            target = bucket;
        }
        if (bucket == target) {
            memcpy(out + 9 * made, name, 8);
            out[9 * made + 8] = '\0';
            made++;
        }
    }
    return made;
}
"""


def builder():
    ffibuilder = FFI()
    ffibuilder.cdef(CDEF)
    # PySys_AddAuditHook is not in the limited API cffi builds for.
    ffibuilder.set_source("_native_helpers", SOURCE, py_limited_api=False,
                          define_macros=[("_CFFI_NO_LIMITED_API", None)],
                          include_dirs=[CSRC])
    return ffibuilder


def build(directory):
    """Compile the helpers into ``directory``; returns the module's path."""
    return builder().compile(tmpdir=str(directory))


def load(path):
    """Import the compiled helpers from ``path``."""
    spec = importlib.util.spec_from_file_location("_native_helpers", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _names(helpers, out, made):
    raw = helpers.ffi.buffer(out)[:9 * made]
    return [raw[i:i + 8].decode("ascii") for i in range(0, len(raw), 9)]


def colliding_names(helpers, n):
    """``n`` names (str) sharing one hash under 601f77d's name hash."""
    out = helpers.ffi.new("char[]", 9 * n)
    return _names(helpers, out, helpers.lib.colliding_names(n, out))


def bucket_colliding_names(helpers, seed, bits, n):
    """``n`` names (str) whose current pyaudit hash with ``seed`` agrees in
    its low ``bits`` bits."""
    out = helpers.ffi.new("char[]", 9 * n)
    return _names(helpers, out, helpers.lib.bucket_colliding_names(
        seed, bits, n, out))
