"""Subscribing and closing update the current table rather than compiling
every subscription again (csrc/table.c, pyaudit_table_update): only the
lists of the keys the one subscription names or starts are made anew,
the rest are shared with the table before.  Updates and full compiles
(after "*", an exclusion, many updates in a row, or much garbage) must
give the same deliveries.

Each test runs in a child interpreter, so that the short event names
("a", "a.b", ...: keys of up to 8 bytes live in the table's block maps)
reach no other test's subscriptions.  Both backends run the same model.
"""

import json

import pytest

from support import check_python

MODEL = r"""
import json
import random
import sys
import warnings

import pyaudit

warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)
backend, seed, steps, live_target = sys.argv[1:5]
api = pyaudit._api_for(backend)
rng = random.Random(int(seed))
steps, live_target = int(steps), int(live_target)

NAMES = ["a", "a.b", "a.b.c", "a.bc", "ab.c", "a.b.cdefghij", "x.y",
         "x.y.z", "longer.name.here", "longer.name.there", "longer.other",
         "q", "q.r.s.t.u.v.w.x.y", "abcdefg", "abcdefgh.i", "zz.top"]
PREFIXES = ["a.", "a.b.", "x.", "longer.", "longer.name.", "q.r.",
            "abcdefgh.", "zz.", "nothing."]


def random_items():
    items = []
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        if rng.random() < 0.5:
            items.append(rng.choice(NAMES))
        else:
            items.append(rng.choice(PREFIXES) + "*")
    roll = rng.random()
    if roll < 0.08:
        items.append("!" + rng.choice(NAMES))      # a full compile
    elif roll < 0.12:
        items.append("!" + rng.choice(PREFIXES) + "*")
    elif roll < 0.15:
        items.append("*")
    return items


def matches(items, name):
    def hit(item):
        if item == "*":
            return True
        if item.endswith("*"):
            return name.startswith(item[:-1])
        return name == item
    included = any(hit(i) for i in items if not i.startswith("!"))
    excluded = any(hit(i[1:]) for i in items if i.startswith("!"))
    return included and not excluded


seen = []           # (serial, name) in the order the callbacks ran
live = {}           # serial -> (kind, items, handle)
serial = 0
counted = {}        # serial -> {name: count} expected


def open_one():
    global serial
    serial += 1
    me = serial
    items = random_items()
    kind = rng.choice(("watch", "watch", "count", "record"))
    if kind == "watch":
        handle = api.watch(items, lambda name, args, me=me:
                           seen.append((me, name)))
    elif kind == "count":
        handle = api.count(items)
        counted[me] = {}
    else:
        handle = api.record(items, capacity=10000)
    live[me] = (kind, items, handle)


def close_one():
    me = rng.choice(sorted(live))
    live.pop(me)[2].close()
    counted.pop(me, None)


def check_event(name):
    del seen[:]
    sys.audit(name)
    want = [me for me in sorted(live)
            if live[me][0] == "watch" and matches(live[me][1], name)]
    got = [me for me, n in seen]
    assert got == want, (name, got, want)
    for me, (kind, items, handle) in live.items():
        if kind == "count" and matches(items, name):
            counted[me][name] = counted[me].get(name, 0) + 1
        if kind == "record":
            drained = [e.name for e in handle.drain()]
            assert drained == ([name] if matches(items, name) else []), (
                name, items, drained)


for step in range(steps):
    if len(live) < live_target and (not live or rng.random() < 0.6):
        open_one()
    else:
        close_one()
    for name in rng.sample(NAMES, 4) + ["nobody.wants.this"]:
        check_event(name)
    for me, (kind, items, handle) in live.items():
        if kind == "count":
            assert handle.counts() == counted[me], (
                items, handle.counts(), counted[me])
for me in sorted(live):
    live.pop(me)[2].close()
for name in NAMES:
    check_event(name)
print(json.dumps({"steps": steps, "opened": serial}))
"""


@pytest.mark.parametrize("backend", ["native", "python"])
@pytest.mark.parametrize("seed,live", [(1, 5), (2, 40), (3, 300)])
def test_random_opens_and_closes_deliver_to_the_live_ones(backend, seed,
                                                          live):
    # 300 live with 900 steps runs past 256 updates in a row and through
    # keys whose last subscription closed.
    steps = 900 if live == 300 else 400
    out = check_python(MODEL, backend=backend,
                       args=[backend, str(seed), str(steps), str(live)])
    assert json.loads(out.splitlines()[-1])["steps"] == steps


MEMORY = r"""
import ctypes
import json
import warnings

import pyaudit

warnings.simplefilter("ignore", pyaudit.UnknownEventWarning)


class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
        "fsmblks", "uordblks", "fordblks", "keepcost")]


libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2


def heap():
    info = libc.mallinfo2()
    return info.uordblks + info.hblkhd


others = [pyaudit.count("mem.e%d" % i) if i % 2 else
          pyaudit.record("mem.p%d.*" % i, capacity=1) for i in range(2000)]
TIMED = ("os.system", "socket.connect", "mem.p8.sub", "mem.*")


def cycles(n):
    for i in range(n):
        sub = pyaudit.count(TIMED[i % len(TIMED)])
        sub.close()


cycles(2000)
before = heap()
cycles(6000)
after = heap()
print(json.dumps({"before": before, "after": after}))
"""


def test_heap_flat_across_updates():
    # 6,000 subscribe/close pairs next to 2,000 others: the stores shared
    # between updated tables are freed with the last table using them,
    # and a full compile comes before garbage outgrows what is in use.
    out = check_python(MEMORY, backend="native")
    result = json.loads(out.splitlines()[-1])
    assert result["after"] - result["before"] < 512 * 1024, result
