"""Hosts, addresses and ports for the ``hosts*`` and ``ports`` conditions
(the reference for csrc/net.c).

Addresses are parsed strictly and the same way in C: IPv4 as four decimal
numbers without leading zeros, IPv6 as RFC 4291 text (with an optional
dotted IPv4 tail); a zone ("%eth0") of an event's IPv6 host is ignored.
Host names are compared, never resolved.
"""

HEX_DIGITS = frozenset(b"0123456789abcdefABCDEF")
NAME_CHARACTERS = frozenset(b"abcdefghijklmnopqrstuvwxyz"
                            b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
SCHEME_CHARACTERS = NAME_CHARACTERS.union(b"+.") - {ord("_")}
DEFAULT_PORTS = {b"http": 80, b"https": 443, b"ftp": 21}


def _small_decimal(text):
    """Whether text is 1-3 decimal digits without a leading zero."""
    return 0 < len(text) <= 3 and text.isdigit() and (
        text == b"0" or not text.startswith(b"0"))


def _is_name(text):
    """Labels of letters, digits, '_' and '-', one trailing dot allowed."""
    labels = (text[:-1] if text.endswith(b".") else text).split(b".")
    return all(label and NAME_CHARACTERS.issuperset(label)
               for label in labels)


def parse_ipv4(text):
    """The address as an int, or None."""
    parts = text.split(b".")
    if len(parts) != 4:
        return None
    value = 0
    for part in parts:
        if not _small_decimal(part) or int(part) > 255:
            return None
        value = value << 8 | int(part)
    return value


def _words(part, may_end_in_ipv4):
    """The 16-bit words of colon-separated groups, or None."""
    if not part:
        return []
    groups = part.split(b":")
    words = []
    for i, group in enumerate(groups):
        if may_end_in_ipv4 and i == len(groups) - 1 and b"." in group:
            v4 = parse_ipv4(group)
            if v4 is None:
                return None
            words += [v4 >> 16, v4 & 0xFFFF]
        elif 0 < len(group) <= 4 and HEX_DIGITS.issuperset(group):
            words.append(int(group, 16))
        else:
            return None
    return words


def parse_ipv6(text):
    """The address as an int, or None."""
    head_text, gap, tail_text = text.partition(b"::")
    head = _words(head_text, not gap)
    tail = _words(tail_text, True)
    if head is None or tail is None or b"::" in tail_text:
        return None
    if gap:
        if len(head) + len(tail) > 7:
            return None
        words = head + [0] * (8 - len(head) - len(tail)) + tail
    elif len(head) != 8:
        return None
    else:
        words = head
    value = 0
    for word in words:
        value = value << 16 | word
    return value


def parse_address(text):
    """(4 or 6, int) for an IPv4 or IPv6 address, else None."""
    v4 = parse_ipv4(text)
    if v4 is not None:
        return 4, v4
    v6 = parse_ipv6(text)
    return None if v6 is None else (6, v6)


def normalise_name(name):
    """A host name as compared: ASCII-lowercased, one trailing dot off."""
    name = name.lower()
    return name[:-1] if name.endswith(b".") and len(name) > 1 else name


def parse_host_entry(text):
    """A ``hosts`` entry (bytes) as ("net", version, network, prefix) or
    ("name", name); None when malformed."""
    if b"/" in text:
        address, _, prefix = text.partition(b"/")
        parsed = parse_address(address)
        if parsed is None or not _small_decimal(prefix):
            return None
        version, value = parsed
        bits = 32 if version == 4 else 128
        length = int(prefix)
        if length > bits or value & ((1 << (bits - length)) - 1):
            return None
        return ("net", version, value, length)
    parsed = parse_address(text)
    if parsed is not None:
        version, value = parsed
        return ("net", version, value, 32 if version == 4 else 128)
    if b":" in text or set(text) <= set(b"0123456789.") \
            or not _is_name(text):
        return None
    return ("name", normalise_name(text))


def host_key(host):
    """An event's host (bytes) as compared: ("net", version, int) for an
    address, ("name", name) otherwise; None for an empty host."""
    if not host:
        return None
    if b":" in host and b"%" in host:
        host = host[:host.index(b"%")]
    parsed = parse_address(host)
    if parsed is not None:
        return ("net",) + parsed
    return ("name", normalise_name(host))


def entry_holds(entry, key):
    """Whether host key ``key`` is the entry's name or in its network."""
    if entry[0] == "name" or key[0] == "name":
        return entry == key
    _, version, network, length = entry
    bits = 32 if version == 4 else 128
    return key[1] == version and key[2] >> (bits - length) == \
        network >> (bits - length)


def port_of(value):
    """A port argument as an int 0-65535: an int, or str/bytes digits;
    None for anything else (a service name, None, ...)."""
    if type(value) is int:
        return value if 0 <= value <= 65535 else None
    if isinstance(value, str):
        value = value.encode("utf-8", "replace")
    if isinstance(value, bytes) and 0 < len(value) <= 5 \
            and value.isdigit() and int(value) <= 65535:
        return int(value)
    return None


def url_endpoint(url):
    """(host bytes or None, port or None) of a URL (bytes): the host of
    its authority, and its port, or the scheme's default (http 80, https
    443, ftp 21)."""
    scheme, sep, rest = url.partition(b"://")
    if not sep or not scheme[:1].isalpha() \
            or not SCHEME_CHARACTERS.issuperset(scheme):
        return None, None
    end = min([i for i in (rest.find(b"/"), rest.find(b"?"),
                           rest.find(b"#")) if i >= 0] + [len(rest)])
    authority = rest[:end]
    authority = authority[authority.rfind(b"@") + 1:]
    if authority.startswith(b"["):
        close = authority.find(b"]")
        if close < 0:
            return None, None
        host, after = authority[1:close], authority[close + 1:]
        if after and not after.startswith(b":"):
            return None, None
        port_text = after[1:]
    else:
        colon = authority.rfind(b":")
        host = authority if colon < 0 else authority[:colon]
        port_text = b"" if colon < 0 else authority[colon + 1:]
    if port_text:
        port = port_of(port_text)
    else:
        port = DEFAULT_PORTS.get(scheme.lower())
    return host or None, port
