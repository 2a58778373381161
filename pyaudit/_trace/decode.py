"""Names for the integers in event arguments that people cannot read:
open flags, permission bits, socket families and types.

Text output shows them next to the raw value: ``524865
(O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC)``.  The names come from the running
Python (``os``, and the ``_socket`` or ``socket`` module already loaded by
the program that raised a socket event), so they are this platform's.
Nothing is imported to decode.
"""

import os
import sys

# os.O_* names that are bits (the access mode is decoded apart), in the
# order they are shown.  A name missing on this platform is skipped.
_OPEN_BITS = ("O_CREAT", "O_EXCL", "O_NOCTTY", "O_TRUNC", "O_APPEND",
              "O_NONBLOCK", "O_DSYNC", "O_SYNC", "O_DIRECT", "O_LARGEFILE",
              "O_DIRECTORY", "O_NOFOLLOW", "O_NOATIME", "O_CLOEXEC",
              "O_PATH", "O_TMPFILE", "O_ASYNC", "O_BINARY", "O_TEXT")
_ACCESS = ((os.O_RDONLY, "O_RDONLY"), (os.O_WRONLY, "O_WRONLY"),
           (os.O_RDWR, "O_RDWR"))
_ACCESS_MASK = os.O_RDONLY | os.O_WRONLY | os.O_RDWR


def _open_bits():
    bits = []
    for name in _OPEN_BITS:
        value = getattr(os, name, 0)
        # O_TMPFILE includes O_DIRECTORY's bit: show it only when all of
        # its bits are set, before O_DIRECTORY claims its share.
        if value and value not in [bit for bit, _ in bits]:
            bits.append((value, name))
    # Wider values first, so that a composite name wins over its parts.
    bits.sort(key=lambda item: -bin(item[0]).count("1"))
    return tuple(bits)


_BITS = _open_bits()


def open_flags(flags):
    """``O_WRONLY|O_CREAT|O_TRUNC`` for the flags of an ``open`` event;
    bits without a name are shown in hex at the end."""
    access = flags & _ACCESS_MASK
    names = [name for value, name in _ACCESS if value == access] or [
        "0x%x" % access]
    rest = flags & ~_ACCESS_MASK
    shown = []
    for value, name in _BITS:
        if rest & value == value:
            shown.append((_OPEN_BITS.index(name), name))
            rest &= ~value
    names += [name for _, name in sorted(shown)]
    if rest:
        names.append("0x%x" % rest)
    return "|".join(names)


def permissions(mode):
    """``0o755`` for the mode of ``os.mkdir`` or ``os.chmod``."""
    return "0o%o" % mode if mode >= 0 else None


_SOCKET_TYPE_FLAGS = ("SOCK_NONBLOCK", "SOCK_CLOEXEC")
_socket_cache = {}


def _socket_names(prefix):
    """{value: name} of the int constants named ``prefix...`` of the socket
    module the program has loaded (None if it has loaded none); the first
    name in alphabetical order wins among aliases."""
    names = _socket_cache.get(prefix)
    if names is None:
        module = sys.modules.get("_socket") or sys.modules.get("socket")
        if module is None:
            return None
        names = {}
        for name in sorted(dir(module)):
            value = getattr(module, name, None)
            if name.startswith(prefix) and type(value) is int:
                names.setdefault(value, name)
        _socket_cache[prefix] = names
    return names


def socket_family(family):
    """``AF_INET`` for a socket family number."""
    names = _socket_names("AF_")
    return names.get(family) if names else None


def socket_type(kind):
    """``SOCK_STREAM|SOCK_CLOEXEC`` for a socket type with its flags."""
    names = _socket_names("SOCK_")
    if not names:
        return None
    flags = {name: value for value, name in names.items()
             if name in _SOCKET_TYPE_FLAGS}
    shown = []
    base = kind
    for name in _SOCKET_TYPE_FLAGS:
        value = flags.get(name)
        if value and kind & value == value:
            shown.append(name)
            base &= ~value
    if base:
        shown.insert(0, names.get(base, "0x%x" % base))
    return "|".join(shown) or None


# (event name, argument position) -> decoder.  The positions are those of
# the events catalog (pyaudit.describe(name)["args"]).
DECODERS = {
    ("open", 2): open_flags,
    ("os.mkdir", 1): permissions,
    ("os.chmod", 1): permissions,
    ("socket.__new__", 1): socket_family,
    ("socket.__new__", 2): socket_type,
    ("socket.getaddrinfo", 2): socket_family,
    ("socket.getaddrinfo", 3): socket_type,
}
DECODED_EVENTS = frozenset(name for name, _ in DECODERS)


_memo = {}
MEMO_LIMIT = 1024       # programs use few distinct flags: remember them


def describe(name, position, value):
    """The readable form of argument ``position`` of event ``name``, or
    None when there is none (not an int, nothing to decode)."""
    decoder = DECODERS.get((name, position))
    if decoder is None or type(value) is not int:
        return None
    key = (name, position, value)
    if key in _memo:
        return _memo[key]
    try:
        readable = decoder(value)
    except Exception:
        return None
    if len(_memo) >= MEMO_LIMIT:
        _memo.clear()
    _memo[key] = readable
    return readable
