"""Someone else's hook, for ``pyaudit bench``: ``--hook``, ``--c-hook`` and
``--peers``.

A hook is given to the child process as ``KIND=SPEC``:

    python=MODULE:FUNCTION   a Python hook, added with sys.addaudithook
    c=LIBRARY:SYMBOL         a native hook with PySys_AddAuditHook's
                             signature, added through the reference module
    peer=NAME                an audit-hook library from PyPI, set up with a
                             filter comparable to pyaudit's security filter
    policy=FILE              a pyaudit policy file, put in force with
                             pyaudit.load_policy

Each is measured on the events of ``_bench_configs.HOOK_CASES``, with the
same loop, floor and workloads as pyaudit.
"""

import importlib
import os
import sys

from pyaudit.cli import _bench_configs as configs

KINDS = ("python", "c", "peer", "policy")


def split_spec(spec, what):
    """(left, right) of "left:right", split at the last colon; ValueError
    naming ``what`` when either side is empty."""
    left, colon, right = spec.rpartition(":")
    if not colon or not left or not right:
        raise ValueError("%r is not %s" % (spec, what))
    return left, right


def label(kind, spec):
    """The name of a hook's rows: MODULE:FUNCTION, LIBRARY-FILE:SYMBOL or
    the peer's name."""
    if kind == "c":
        library, symbol = split_spec(spec, "LIB.so:SYMBOL")
        return "%s:%s" % (os.path.basename(library), symbol)
    if kind == "policy":
        return "policy:" + os.path.basename(spec)
    return spec


# -- Python hooks

def load_python_hook(spec):
    """The callable named MODULE:FUNCTION; SetupError when it is not
    there."""
    module_name, attribute = split_spec(spec, "MODULE:FUNCTION")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise configs.SetupError("cannot import module %r: %s"
                                 % (module_name, exc)) from None
    except Exception as exc:
        raise configs.SetupError("importing module %r raised %s: %s"
                                 % (module_name, type(exc).__name__,
                                    exc)) from None
    hook = module
    for part in attribute.split("."):
        try:
            hook = getattr(hook, part)
        except AttributeError:
            raise configs.SetupError("module %r has no attribute %r"
                                     % (module_name, attribute)) from None
    if not callable(hook):
        raise configs.SetupError("%s is not callable (it is a %s)"
                                 % (spec, type(hook).__name__))
    return hook


def setup_python_hook(spec, context):
    sys.addaudithook(load_python_hook(spec))


# -- native hooks

def setup_c_hook(spec, context):
    import ctypes
    library, symbol = split_spec(spec, "LIB.so:SYMBOL")
    try:
        loaded = ctypes.CDLL(library)
    except OSError as exc:
        raise configs.SetupError("cannot load library %r: %s"
                                 % (library, exc)) from None
    try:
        function = getattr(loaded, symbol)
    except AttributeError:
        raise configs.SetupError("library %r has no symbol %r"
                                 % (library, symbol)) from None
    address = ctypes.cast(function, ctypes.c_void_p).value
    lib, ffi = context.reference()
    if lib.pyaudit_bench_add_hook_at(ffi.cast("void *", address)) != 0:
        raise configs.SetupError("CPython refused to add %s" % (spec,))


# -- peers: audit-hook libraries from PyPI, each with a filter comparable
#    to pyaudit's security filter and the same write check on open

def _security_names():
    """The security filter as exact names (for libraries without
    prefixes): its names, and the catalog's events under its prefixes."""
    from pyaudit import _catalog
    names = set(configs.SECURITY_EXACT)
    names.update(name for name in _catalog.known_events()
                 if name.startswith(configs.SECURITY_PREFIXES))
    return sorted(names)


def setup_subaudit(context):
    """subaudit: one listener per exact event name (it has no prefixes),
    called with the event's args spread."""
    import subaudit

    def ignore_args(*args):
        return None

    guard = configs.python_write_guard(configs.allowed_dir())
    for name in _security_names():
        subaudit.subscribe(name, ignore_args)
    subaudit.subscribe("open", lambda *args: guard("open", args))


def setup_malwi_box(context):
    """malwi-box: its C hook passes its own fixed list of security events
    (open, os.system, socket.connect, ...) to one Python callback, here the
    same write check.  Installing it also sets a profile function and
    wraps os.environ and os.getenv, as it always does."""
    import malwi_box
    malwi_box.install_hook(configs.python_write_guard(configs.allowed_dir()))


# name: (import name, distribution, setup)
PEERS = {
    "subaudit": ("subaudit", "subaudit", setup_subaudit),
    "malwi-box": ("malwi_box", "malwi-box", setup_malwi_box),
}


def setup_peer(name, context):
    if name not in PEERS:
        raise configs.SetupError("unknown peer %r; known: %s"
                                 % (name, ", ".join(PEERS)))
    PEERS[name][2](context)


def installed_peers():
    """[(name, version)] of the peers installed here, and [name] of those
    not installed; nothing is imported."""
    import importlib.util
    try:
        from importlib import metadata
    except ImportError:     # pragma: no cover (3.8 has it)
        metadata = None
    found, missing = [], []
    for name, (module, distribution, _) in PEERS.items():
        if importlib.util.find_spec(module) is None:
            missing.append(name)
            continue
        try:
            version = metadata.version(distribution)
        except Exception:
            version = "?"
        found.append((name, version))
    return found, missing


# -- policies

def setup_policy(path, context):
    """The policy's rules in force (the patterns it names that this Python
    never raises are fine, as in any policy)."""
    import pyaudit
    from pyaudit._policy.startup import first_problem
    try:
        pyaudit.load_policy(path)
    except pyaudit.PolicyError as exc:
        raise configs.SetupError(first_problem(exc)) from None


SETUPS = {"python": setup_python_hook, "c": setup_c_hook,
          "peer": setup_peer, "policy": setup_policy}


def setup(hook, context):
    """Install the hook given as KIND=SPEC."""
    kind, _, spec = hook.partition("=")
    SETUPS[kind](spec, context)


def probe(hook_label):
    """Raise every event a hook is measured on once; SetupError if the
    hook raises (it could not be measured)."""
    audit = sys.audit
    for case, event in configs.HOOK_CASES:
        loop, args = configs.loop_for(event)
        try:
            loop(audit, event, args, 1)
        except BaseException as exc:
            raise configs.SetupError(
                "%s raised %s on the probe event %r (%s): a hook is "
                "measured on events it lets pass"
                % (hook_label, type(exc).__name__,
                   "open" if event in configs.OPEN_EVENTS else event,
                   exc)) from None
