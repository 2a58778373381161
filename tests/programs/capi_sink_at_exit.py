"""pyaudit.capi's own docstring example, left subscribed when the process
exits: a sink written in Python with ffi.callback, subscribed through
lib.pyaudit_subscribe and never unsubscribed.

    python capi_sink_at_exit.py PATTERNS [drop]

With "drop", no reference to the callback is kept: pyaudit.capi must keep
it alive itself.  The sink prints each event name it receives.
"""

import gc
import sys

from pyaudit.capi import ffi, lib

patterns = sys.argv[1].encode()


def sink(event, args, userdata):
    print(ffi.string(event).decode(), flush=True)
    return 0


if sys.argv[2:] == ["drop"]:
    sub_id = lib.pyaudit_subscribe(
        patterns, ffi.callback("pyaudit_sink_fn", sink), ffi.NULL)
    gc.collect()
else:
    callback = ffi.callback("pyaudit_sink_fn", sink)
    sub_id = lib.pyaudit_subscribe(patterns, callback, ffi.NULL)
assert sub_id > 0, sub_id
sys.audit("capi_exit.ping")
print("subscribed", flush=True)
