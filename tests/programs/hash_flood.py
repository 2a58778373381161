"""How long count("*") takes over event names an attacker chose to collide
in pyaudit's name hash, against as many random names of the same length.

    python hash_flood.py HELPERS N

HELPERS is the compiled tests/programs/native_helpers module.  Prints one
JSON object: for each kind of names, the best of three runs in seconds,
each run counting N names with a fresh count("*"):

* random: random 8-byte names (the baseline);
* old_hash: names that all have the same hash under the hash of the core
  before 3221924, which had no seed;
* guessed_seed: names that would share a few buckets of every map (the
  same low 13 bits of pyaudit's current hash) if the seed were the one an
  attacker guessed;
* low_bits: names that differ only in the top bits of their last 8
  bytes, whatever the seed (see docs/guarantees.md).
"""

import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import native_helpers  # noqa: E402
import pyaudit  # noqa: E402

GUESSED_SEED = 0x0123456789ABCDEF


def random_names(n):
    rng = random.Random(15)
    names = set()
    while len(names) < n:
        names.add("".join(chr(rng.randrange(1, 128)) for _ in range(8)))
    return list(names)


def low_bits_names(n):
    """8-byte names sharing their first six bytes and the two low bits of
    the seventh, in families of 24 x 127."""
    names = []
    family = 0
    while len(names) < n:
        head = "fam%03d" % family
        for seventh in range(0x20, 0x80, 4):
            for eighth in range(1, 128):
                names.append(head + chr(seventh) + chr(eighth))
        family += 1
    return names[:n]


def timed(names):
    with pyaudit.count("*") as counter:
        audit = sys.audit
        start = time.perf_counter()
        for name in names:
            audit(name)
        elapsed = time.perf_counter() - start
    assert len(counter.counts()) >= len(names)
    return elapsed


def main():
    helpers = native_helpers.load(sys.argv[1])
    n = int(sys.argv[2])
    kinds = {
        "random": random_names(n),
        "old_hash": native_helpers.colliding_names(helpers, n),
        "guessed_seed": native_helpers.bucket_colliding_names(
            helpers, GUESSED_SEED, 13, n),
        "low_bits": low_bits_names(n),
    }
    assert all(len(set(names)) == n for names in kinds.values())
    best = {kind: float("inf") for kind in kinds}
    for _ in range(3):
        for kind, names in kinds.items():
            best[kind] = min(best[kind], timed(names))
    print(json.dumps(best))


main()
