"""Where each key of a policy file is written: line numbers for messages.

tomllib (and tomli) parse a document without keeping positions.  This
module reads the same text again for its structure only (tables, array
tables, keys, dotted keys, inline tables and arrays), after tomllib has
accepted it, and records the line of every key and of every element of
an array.  Values themselves are skipped, never decoded.

``Lines(text).line_of(path)`` takes the path of a value in the parsed
document, e.g. ``("rule", 1, "where", "paths_outside", 2)``: the line
where the deepest part of that path that the text spells out is written.
So the answer is exact for a key (on its own line, in a ``[table]``,
dotted, or inside an inline table spread over several lines) and for an
element of an array; a path the text does not spell out (a key given
twice is already a TOML error) gets the line of its nearest written
ancestor, and None when there is none.
"""

OPENERS = {"[": "]", "{": "}"}
PUNCTUATION = "[]{},=."


class _Token:
    __slots__ = ("kind", "text", "line", "offset")

    def __init__(self, kind, text, line, offset):
        self.kind = kind        # "punct", "string", "word" or "newline"
        self.text = text
        self.line = line
        self.offset = offset


def _string_end(text, start, quote):
    """The offset just past the string starting at ``start`` with
    ``quote`` (one or three quote characters)."""
    index = start + len(quote)
    escapes = quote[0] == '"'
    while index < len(text):
        if escapes and text[index] == "\\":
            index += 2
            continue
        if text.startswith(quote, index):
            end = index + len(quote)
            # A multi-line string may end with up to two more quotes.
            while len(quote) == 3 and text[end:end + 1] == quote[0] \
                    and end - index < 5:
                end += 1
            return end
        index += 1
    return len(text)


def tokens(text):
    """The structural tokens of a TOML text, with their lines."""
    out = []
    line = 1
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\n":
            out.append(_Token("newline", char, line, index))
            line += 1
            index += 1
        elif char in " \t\r":
            index += 1
        elif char == "#":
            end = text.find("\n", index)
            index = len(text) if end < 0 else end
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, index) else char
            end = _string_end(text, index, quote)
            body = text[index + len(quote):end - len(quote)]
            out.append(_Token("string", body, line, index))
            line += text.count("\n", index, end)
            index = end
        elif char in PUNCTUATION:
            out.append(_Token("punct", char, line, index))
            index += 1
        else:
            start = index
            while index < len(text) and text[index] not in \
                    " \t\r\n#\"'" + PUNCTUATION:
                index += 1
            out.append(_Token("word", text[start:index], line, start))
    return out


class _Node:
    """A table, an array or a scalar, and the line it is written at."""

    __slots__ = ("line", "items")

    def __init__(self, line, items=None):
        self.line = line
        self.items = items      # dict (table), list (array) or None


class _Reader:
    def __init__(self, text):
        self.tokens = tokens(text)
        self.index = 0
        self.root = _Node(None, {})

    def peek(self, skip_newlines=False):
        while skip_newlines and self._at("newline"):
            self.index += 1
        if self.index < len(self.tokens):
            return self.tokens[self.index]
        return None

    def _at(self, kind, text=None):
        token = self.tokens[self.index] if self.index < len(self.tokens) \
            else None
        return token is not None and token.kind == kind and (
            text is None or token.text == text)

    def take(self):
        token = self.tokens[self.index]
        self.index += 1
        return token

    def key(self):
        """A dotted key: [(part, line)]."""
        parts = [self.take()]
        while self._at("punct", "."):
            self.take()
            parts.append(self.take())
        return [(part.text, part.line) for part in parts]

    def value(self, line):
        token = self.peek(skip_newlines=True)
        if token is None:
            return _Node(line)
        if token.kind == "punct" and token.text in OPENERS:
            self.take()
            return self.container(line, OPENERS[token.text])
        # A scalar: everything up to the next separator at this level.
        while self.peek() is not None and not (
                self._at("newline") or self._at("punct", ",")
                or self._at("punct", "]") or self._at("punct", "}")):
            self.take()
        return _Node(line)

    def container(self, line, closer):
        """An array (``closer`` "]") or an inline table ("}") whose opening
        bracket was taken."""
        node = _Node(line, [] if closer == "]" else {})
        while True:
            token = self.peek(skip_newlines=True)
            if token is None:
                return node
            if token.kind == "punct" and token.text in closer + ",":
                self.take()
                if token.text == closer:
                    return node
            elif closer == "]":
                node.items.append(self.value(token.line))
            else:
                self.assign(node, self.key())

    def assign(self, table, key):
        """``key = value`` into ``table`` (dotted keys make tables)."""
        for part, line in key[:-1]:
            child = table.items.get(part)
            if child is None or not isinstance(child.items, dict):
                child = table.items[part] = _Node(line, {})
            table = child
        if self._at("punct", "="):
            self.take()
        name, line = key[-1]
        table.items[name] = self.value(line)

    def header(self):
        """``[a.b]`` or ``[[a.b]]``: the table statements go into."""
        start = self.take()
        nxt = self.peek()
        array = nxt is not None and nxt.kind == "punct" and \
            nxt.text == "[" and nxt.offset == start.offset + 1
        if array:
            self.take()
        key = self.key()
        while self.peek() is not None and self._at("punct", "]"):
            self.take()
        table = self.root
        for position, (part, line) in enumerate(key):
            last = position == len(key) - 1
            child = table.items.get(part)
            if last and array:
                if child is None or not isinstance(child.items, list):
                    child = table.items[part] = _Node(line, [])
                element = _Node(start.line, {})
                child.items.append(element)
                return element
            if child is None:
                child = table.items[part] = _Node(
                    start.line if last else line, {})
            if isinstance(child.items, list) and child.items:
                child = child.items[-1]
            table = child
        return table

    def read(self):
        current = self.root
        while True:
            token = self.peek(skip_newlines=True)
            if token is None:
                return self.root
            if token.kind == "punct" and token.text == "[":
                current = self.header()
            elif token.kind in ("word", "string"):
                self.assign(current, self.key())
            else:
                self.take()     # not reached in a valid document


class Lines:
    """Line numbers of the values of one policy text."""

    def __init__(self, text):
        try:
            self._root = _Reader(text).read()
        except (IndexError, AttributeError):    # not TOML after all
            self._root = _Node(None, {})

    def line_of(self, path):
        node = self._root
        line = None
        for part in path:
            items = node.items
            if isinstance(items, dict) and isinstance(part, str) \
                    and part in items:
                node = items[part]
            elif isinstance(items, list) and isinstance(part, int) \
                    and 0 <= part < len(items):
                node = items[part]
            else:
                break
            line = node.line if node.line is not None else line
        return line
