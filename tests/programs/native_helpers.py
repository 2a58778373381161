"""C helpers for the reliability tests, compiled with cffi's out-of-line
API mode: ``build(directory)`` compiles them and returns the module's
path, ``load(path)`` imports it (in a child process, say).

* ``refuse_event(name, times)`` adds a native audit hook, ahead of any
  hook added later, that refuses the next ``times`` events called
  ``name`` (a PermissionError) and lets everything else through;
  ``refusals_left()`` says how many refusals remain.
* ``colliding_names(seed, n, out)`` writes ``n`` distinct 8-byte ASCII
  names (each followed by a NUL) into ``out`` whose hash, as pyaudit's
  name hash computes it with that seed, is the same 32-bit value.  With
  seed 0 this is the hash of the core before 3221924, which had no seed;
  with any other seed it is what an attacker who guessed that seed would
  make.  It inverts the hash's last multiply, as an attacker would.
"""

import importlib.util

from cffi import FFI

CDEF = """
int refuse_event(const char *name, int times);
int refusals_left(void);
size_t colliding_names(uint64_t seed, size_t n, char *out);
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

/* pyaudit_hash (csrc/bytes.h) of an 8-byte name: one round. */
static uint32_t
hash8(uint64_t word, uint64_t seed)
{
    uint64_t h = ((9 * MULTIPLIER) ^ word ^ seed) * MULTIPLIER;
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
colliding_names(uint64_t seed, size_t n, char *out)
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
        uint64_t word = (h * inverse) ^ (9 * MULTIPLIER) ^ seed;
        if (plain_ascii(word) && hash8(word, seed) == target) {
            memcpy(out + 9 * made, &word, 8);
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
                          define_macros=[("_CFFI_NO_LIMITED_API", None)])
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


def colliding_names(helpers, seed, n):
    """``n`` names (str) colliding under pyaudit's hash with ``seed``."""
    out = helpers.ffi.new("char[]", 9 * n)
    made = helpers.lib.colliding_names(seed, n, out)
    raw = helpers.ffi.buffer(out)[:9 * made]
    return [raw[i:i + 8].decode("ascii") for i in range(0, len(raw), 9)]
