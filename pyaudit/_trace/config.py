"""What a traced process reports and where: one ``Config``, which
``pyaudit run`` builds from its command line and passes to the Python
processes it follows in the ``PYAUDIT_RUN`` environment variable.

The variable holds ``key=value`` fields separated by ``;``, with ``%``
and ``;`` in values written ``%25`` and ``%3B``: readable in ``env``
output, and parsed without importing anything.
"""

VARIABLE = "PYAUDIT_RUN"
VERSION = "1"
FORMATS = ("jsonl", "text")


class Config:
    """The settings of a trace, the same in every process of the tree.

    events        pattern items to report (tuple of str)
    writes_only   report "open" only when it opens for writing (the
                  default selection)
    format        "jsonl" or "text"
    colour        colour text lines (decided once, by ``pyaudit run``)
    max_arg_len   longest text of one argument in text lines (0: whole)
    lines         write a line per event (False: --summary only)
    output        path every process appends to, "" for pyaudit run's
                  standard error (reached through ``stderr_path``)
    per_process   each process writes ``output.<pid>`` instead
    stderr_path   pyaudit run's private standard error, as a child opens
                  it (``/proc/<pid>/fd/<fd>``)
    stderr_id     "<st_dev>:<st_ino>" of that file, checked before use
    summary       path of the --summary records, "" without --summary
    top_pid       pid of the ``pyaudit run`` process
    follow        trace child processes (False: only ``pyaudit run``'s)
    encoding      of text written to a terminal or pipe
    """

    __slots__ = ("events", "writes_only", "format", "colour", "max_arg_len",
                 "lines", "output", "per_process", "stderr_path", "stderr_id",
                 "summary", "top_pid", "follow", "encoding")

    def __init__(self, events, writes_only=False, format="jsonl",
                 colour=False, max_arg_len=0, lines=True, output="",
                 per_process=False, stderr_path="", stderr_id="", summary="",
                 top_pid=0, follow=True, encoding="utf-8"):
        self.events = tuple(events)
        self.writes_only = writes_only
        self.format = format
        self.colour = colour
        self.max_arg_len = max_arg_len
        self.lines = lines
        self.output = output
        self.per_process = per_process
        self.stderr_path = stderr_path
        self.stderr_id = stderr_id
        self.summary = summary
        self.top_pid = top_pid
        self.follow = follow
        self.encoding = encoding

    def __eq__(self, other):
        return (type(other) is Config
                and all(getattr(self, name) == getattr(other, name)
                        for name in self.__slots__))

    def __repr__(self):
        return "Config(%s)" % ", ".join(
            "%s=%r" % (name, getattr(self, name)) for name in self.__slots__)


_BOOLS = ("writes_only", "colour", "lines", "per_process", "follow")
_INTS = ("max_arg_len", "top_pid")


def _escape(text):
    return text.replace("%", "%25").replace(";", "%3B")


def _unescape(text):
    if "%" not in text:
        return text
    head, *parts = text.split("%")
    return head + "".join(chr(int(part[:2], 16)) + part[2:] for part in parts)


def join_fields(fields):
    """``key=value;...`` of (key, value) pairs, values escaped (the shape
    of pyaudit's environment variables)."""
    return ";".join("%s=%s" % (key, _escape(value)) for key, value in fields)


def split_fields(text, variable):
    """{key: value} of ``join_fields`` text; ValueError naming the
    environment ``variable`` when it is malformed."""
    fields = {}
    for field in text.split(";"):
        key, sep, value = field.partition("=")
        if not sep:
            raise ValueError("%s is malformed (field %r has no '=')"
                             % (variable, field))
        try:
            fields[key] = _unescape(value)
        except ValueError:
            raise ValueError("%s is malformed (field %r has a bad %%-escape)"
                             % (variable, field)) from None
    return fields


def encode(config):
    """The value of PYAUDIT_RUN for ``config``."""
    fields = [("v", VERSION)]
    for name in Config.__slots__:
        value = getattr(config, name)
        if name == "events":
            value = ",".join(value)
        elif name in _BOOLS:
            value = "1" if value else "0"
        fields.append((name, str(value)))
    return join_fields(fields)


def decode(text):
    """The Config in a PYAUDIT_RUN value; ValueError if it is not one this
    version of pyaudit wrote."""
    fields = split_fields(text, VARIABLE)
    if fields.pop("v", None) != VERSION:
        raise ValueError("%s was written by another version of pyaudit "
                         "(format %r, this one reads %r)"
                         % (VARIABLE, text.partition(";")[0], "v=" + VERSION))
    missing = [name for name in Config.__slots__ if name not in fields]
    if missing:
        raise ValueError("%s lacks %s" % (VARIABLE, ", ".join(missing)))
    values = {}
    for name in Config.__slots__:
        value = fields[name]
        if name == "events":
            value = tuple(value.split(","))
        elif name in _BOOLS:
            value = value == "1"
        elif name in _INTS:
            value = int(value)
        values[name] = value
    if values["format"] not in FORMATS:
        raise ValueError("%s names an unknown format %r"
                         % (VARIABLE, values["format"]))
    return Config(**values)
