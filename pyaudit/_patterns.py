"""Pattern syntax: splitting, validation and the reference matcher.

This module is the Python statement of what a pattern means, used by the
pure-Python backend; the native core (csrc/pattern.c, csrc/module.c)
checks items by the same rules, in the same order, with the same
messages, and the tests hold the two to each other.

Grammar of one item:
    name        exact, case-sensitive event name
    prefix.*    every event whose name starts with "prefix."
    *           every event
    !pattern    removes what pattern matches (exclusions win)
"""

ALLOWED = ("allowed: an exact name ('open'), a prefix ending in '.*' "
           "('socket.*'), '*' for every event, or '!' before one of these "
           "to exclude it")


def _problem(item, problem):
    return ValueError("pattern %r %s; %s" % (item, problem, ALLOWED))


def _utf8(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("pattern %r cannot be encoded as UTF-8, so no "
                         "event can have that name; %s"
                         % (text, ALLOWED)) from None


def split(patterns):
    """Return ``(items, parsed)`` for what a user gave.

    A str is split on commas and each item stripped; any other iterable
    must yield str items that are already clean.  ``items`` are the item
    strs, ``parsed`` their ``(excluded, kind, text)`` (see ``parse``).
    """
    if isinstance(patterns, str):
        _utf8(patterns)
        items = tuple(item.strip() for item in patterns.split(","))
        parsed = []
        for item in items:      # in order: the first problem is reported
            if not item:
                raise ValueError("empty pattern in %r; %s"
                                 % (patterns, ALLOWED))
            parsed.append(parse(item))
        return items, tuple(parsed)
    if isinstance(patterns, (bytes, bytearray)):
        raise TypeError("patterns must be a str or an iterable of str, "
                        "not %s" % type(patterns).__name__)
    try:
        iterator = iter(patterns)
    except TypeError:
        raise TypeError("patterns must be a str or an iterable of str, "
                        "not %s" % type(patterns).__name__) from None
    items, parsed = [], []
    for item in iterator:
        if not isinstance(item, str):
            raise TypeError("each pattern must be a str, not %s (%r)"
                            % (type(item).__name__, item))
        _utf8(item)
        if "," in item:
            raise _problem(item, "contains a comma; give one pattern per "
                                 "list item, or pass 'a,b' as one str")
        parsed.append(parse(item))
        items.append(item)
    if not items:
        raise ValueError("no patterns given; " + ALLOWED)
    return tuple(items), tuple(parsed)


def parse(item):
    """Check one item; return (excluded, kind, text).

    kind is "exact" (text is the name), "prefix" (text ends with ".") or
    "all" (text is "").
    """
    if not item:
        raise _problem(item, "is empty")
    if "\0" in item:
        raise _problem(item, "contains a NUL character")
    if item != item.strip():
        raise _problem(item, "has surrounding whitespace")
    excluded = item.startswith("!")
    body = item[1:] if excluded else item
    if excluded:
        if not body:
            raise _problem(item, "excludes nothing")
        if body.startswith("!"):
            raise _problem(item, "has more than one '!'")
        if body != body.lstrip():
            raise _problem(item, "has whitespace after '!'")
    if body == "*":
        return excluded, "all", ""
    if "*" in body:
        if (body.endswith(".*") and "*" not in body[:-1]
                and len(body) > 2):
            return excluded, "prefix", body[:-1]
        raise _problem(item, "uses '*' in an unsupported place")
    return excluded, "exact", body


class Compiled:
    """The parsed form of a pattern list, and the reference matcher."""

    __slots__ = ("include_all", "include_exact", "include_prefixes",
                 "exclude_all", "exclude_exact", "exclude_prefixes")

    def __init__(self, parsed):
        self.include_all = self.exclude_all = False
        self.include_exact, self.exclude_exact = set(), set()
        include_prefixes, exclude_prefixes = set(), set()
        for excluded, kind, text in parsed:
            if kind == "all":
                if excluded:
                    self.exclude_all = True
                else:
                    self.include_all = True
            elif kind == "prefix":
                (exclude_prefixes if excluded else include_prefixes).add(text)
            else:
                (self.exclude_exact if excluded
                 else self.include_exact).add(text)
        self.include_prefixes = tuple(sorted(include_prefixes))
        self.exclude_prefixes = tuple(sorted(exclude_prefixes))

    def matches(self, name):
        if self.exclude_all or name in self.exclude_exact:
            return False
        if any(name.startswith(p) for p in self.exclude_prefixes):
            return False
        return (self.include_all or name in self.include_exact
                or any(name.startswith(p) for p in self.include_prefixes))
