"""Pattern syntax: splitting, validation and the reference matcher.

This module is the single Python statement of what a pattern means.  The
native core (csrc/pattern.c) checks items with the same rules and the same
messages; the tests hold the two against each other.

Grammar of one item:
    name        exact, case-sensitive event name
    prefix.*    every event whose name starts with "prefix."
    *           every event
    !pattern    removes what pattern matches (exclusions win)
"""

ALLOWED = ("allowed: an exact name ('open'), a prefix ending in '.*' "
           "('socket.*'), '*' for every event, or '!' before one of these "
           "to exclude it")


def split(patterns):
    """Return the checked pattern items as a tuple of str.

    A str is split on commas and each item stripped; any other iterable must
    yield str items that are already clean.  Every item is checked with
    parse(), so both backends reject bad patterns with the same message.
    """
    if isinstance(patterns, str):
        items = tuple(item.strip() for item in patterns.split(","))
        for item in items:
            if not item:
                raise ValueError(
                    "empty pattern in %r; %s" % (patterns, ALLOWED))
            parse(item)
        return items
    if isinstance(patterns, (bytes, bytearray)):
        raise TypeError("patterns must be a str or an iterable of str, "
                        "not %s" % type(patterns).__name__)
    try:
        iterator = iter(patterns)
    except TypeError:
        raise TypeError("patterns must be a str or an iterable of str, "
                        "not %s" % type(patterns).__name__) from None
    items = []
    for item in iterator:
        if not isinstance(item, str):
            raise TypeError("each pattern must be a str, not %s (%r)"
                            % (type(item).__name__, item))
        if not item.strip():
            raise ValueError("empty pattern %r; %s" % (item, ALLOWED))
        if item != item.strip():
            raise ValueError("pattern %r has surrounding whitespace; "
                             "remove it" % (item,))
        if "," in item:
            raise ValueError("pattern %r contains a comma; give one pattern "
                             "per list item, or pass 'a,b' as one str"
                             % (item,))
        parse(item)
        items.append(item)
    if not items:
        raise ValueError("no patterns given; " + ALLOWED)
    return tuple(items)


def parse(item):
    """Check one item; return (excluded, kind, text).

    kind is "exact" (text is the name), "prefix" (text ends with ".") or
    "all" (text is "").
    """
    excluded = item.startswith("!")
    body = item[1:] if excluded else item
    if "\0" in item:
        raise ValueError("pattern %r contains a NUL character; %s"
                         % (item, ALLOWED))
    try:
        item.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("pattern %r cannot be encoded as UTF-8, so no "
                         "event can have that name" % (item,)) from None
    if excluded:
        if not body:
            raise ValueError("pattern %r excludes nothing; %s"
                             % (item, ALLOWED))
        if body.startswith("!"):
            raise ValueError("pattern %r has more than one '!'; %s"
                             % (item, ALLOWED))
        if body != body.strip():
            raise ValueError("pattern %r has whitespace after '!'; %s"
                             % (item, ALLOWED))
    if body == "*":
        return excluded, "all", ""
    if "*" in body:
        if (body.endswith(".*") and "*" not in body[:-1]
                and len(body) > 2):
            return excluded, "prefix", body[:-1]
        raise ValueError("pattern %r uses '*' in an unsupported place; %s"
                         % (item, ALLOWED))
    return excluded, "exact", body


class Compiled:
    """The parsed form of a pattern list, and the reference matcher."""

    __slots__ = ("include_all", "include_exact", "include_prefixes",
                 "exclude_all", "exclude_exact", "exclude_prefixes")

    def __init__(self, items):
        self.include_all = self.exclude_all = False
        self.include_exact, self.exclude_exact = set(), set()
        include_prefixes, exclude_prefixes = set(), set()
        for item in items:
            excluded, kind, text = parse(item)
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
