"""Event arguments as short text and as JSON, without the ``json`` module.

``pyaudit run`` must not import ``json`` into the program it traces (the
program's own ``import json`` would then raise no ``import`` event), so
this module writes JSON itself.  It writes what ``json.dumps`` writes with
its defaults (ASCII only, ", " and ": " separators) for the values
``json_safe`` returns; the tests hold the two to each other.
"""

REPR_LIMIT = 200        # longest repr kept of a value that is not JSON
MAX_DEPTH = 4           # lists/tuples deeper than this become a repr
MAX_ITEMS = 100         # list/tuple items kept; the rest become one marker


def cut(text, limit):
    """``text`` shortened to ``limit`` characters and followed by a marker
    saying how many were cut (``'abc...(+1200 chars)``), or ``text`` itself
    when it fits or when ``limit`` is 0."""
    if not limit or len(text) <= limit:
        return text
    return "%s...(+%d chars)" % (text[:limit], len(text) - limit)


def short_repr(value, limit=REPR_LIMIT):
    """``repr(value)`` cut to ``limit`` characters (0: whole) with a marker
    when cut; never raises.  The repr of a bytes-like value longer than
    ``limit`` is never built whole: it shows its first bytes and its size
    (``b'\\x00\\x01...(1000000 bytes)``)."""
    try:
        if isinstance(value, (bytes, bytearray)) and limit \
                and len(value) > limit:
            return "%s...(%d bytes)" % (repr(value[:limit])[:limit],
                                        len(value))
        text = repr(value)
        if not isinstance(text, str):
            raise TypeError("__repr__ returned %s" % type(text).__name__)
    except Exception as exc:
        return "<%s object (repr failed: %s)>" % (type(value).__name__,
                                                  type(exc).__name__)
    return cut(text, limit)


def json_safe(value, depth=0):
    """``value`` as something JSON can hold; never raises.

    None, bool, int and str stay as they are (subclasses become the plain
    type), finite floats too; nan and infinities become their repr.  Lists
    and tuples become lists, recursively (up to MAX_DEPTH levels and
    MAX_ITEMS items).  Anything else (bytes, dicts, objects) becomes its
    ``short_repr``.
    """
    try:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return int.__int__(value)
        if isinstance(value, float):
            number = float.__float__(value)
            finite = number - number == 0.0   # False for nan, inf
            return number if finite else repr(number)
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, (list, tuple)) and depth < MAX_DEPTH:
            values = list(value)
            items = [json_safe(item, depth + 1) for item in values[:MAX_ITEMS]]
            if len(values) > MAX_ITEMS:
                items.append("... %d more" % (len(values) - MAX_ITEMS))
            return items
    except Exception:
        pass
    return short_repr(value)


# -- writing JSON ------------------------------------------------------------

_ESCAPES = {code: "\\u%04x" % code for code in list(range(0x20)) + [0x7f]}
_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", ord("\n"): "\\n",
                 ord("\r"): "\\r", ord("\t"): "\\t", ord("\b"): "\\b",
                 ord("\f"): "\\f"})


def _escape_char(char):
    code = ord(char)
    if code < 0x80:
        return _ESCAPES.get(code, char)
    if code < 0x10000:
        return "\\u%04x" % code
    code -= 0x10000     # a surrogate pair, as JSON spells astral characters
    return "\\u%04x\\u%04x" % (0xd800 | (code >> 10), 0xdc00 | (code & 0x3ff))


def json_string(text):
    """``text`` as a JSON string literal, ASCII only."""
    if text.isascii():
        if text.isprintable() and '"' not in text and "\\" not in text:
            return '"%s"' % text        # the common case: nothing to escape
        return '"%s"' % text.translate(_ESCAPES)
    return '"%s"' % "".join(map(_escape_char, text))


def json_value(value):
    """The JSON text of a value made by ``json_safe`` (None, bool, int,
    finite float, str, or a list of these)."""
    if isinstance(value, str):
        return json_string(value)
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return float.__repr__(value)
    return "[%s]" % ", ".join(map(json_value, value))


def json_text(value, depth=0):
    """``json_value(json_safe(value))``, faster for the common arguments
    (str, int, None, bool, and lists and tuples of them)."""
    kind = type(value)
    if kind is str:
        return json_string(value)
    if kind is int:
        return int.__repr__(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if (kind is tuple or kind is list) and depth < MAX_DEPTH:
        items = [json_text(item, depth + 1) for item in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append('"... %d more"' % (len(value) - MAX_ITEMS))
        return "[%s]" % ", ".join(items)
    return json_value(json_safe(value, depth))
