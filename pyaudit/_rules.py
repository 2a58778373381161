"""Argument conditions ("where"): the rule text, its checks and its
meaning.  This is the reference that the native rules (csrc/rules.c) are
held to; the messages of every check are the same there.

The rule text is TOML: an inline table of conditions, all of which must
hold, or an array of inline tables, any of which may match, e.g.
``{writing = true, paths_outside = ["/srv/app"]}``.  A parsed text is a
*model*: a list of dicts of condition name to a TOML value (str, int,
bool, float, list, dict).  ``check()`` validates a model and returns it
normalised; ``render()`` writes the canonical text of a normalised model;
``Rules`` decides events.
"""

import os
import sys

from . import _catalog, _net, _paths
from ._patterns import Compiled
from ._patterns import parse as parse_item

CONDITIONS = ("paths_under", "paths_outside", "writing", "hosts",
              "hosts_outside", "ports", "programs", "programs_outside",
              "modules", "modules_outside", "args")
ALLOWED = ", ".join(CONDITIONS)
LIST_CONDITIONS = {     # condition -> what each entry is, for messages
    "paths_under": "directory", "paths_outside": "directory",
    "hosts": "host", "hosts_outside": "host",
    "programs": "program", "programs_outside": "program",
    "modules": "module", "modules_outside": "module",
}
# What a condition needs of an event (its catalog roles), and the message
# naming the events it applies to.
NEEDS = {
    "paths": (("paths",),
              "events with path arguments (open, os.remove, "
              "shutil.copyfile, ...)"),
    "writing": (("paths", "writes", "open_mode", "open_flags"),
                "file events (open, os.remove, shutil.copyfile, ...)"),
    "hosts": (("address", "host", "url"),
              "network events (socket.connect, socket.getaddrinfo, "
              "urllib.Request, ...)"),
    "ports": (("address", "port", "url"),
              "network events with a port (socket.connect, "
              "socket.getaddrinfo, urllib.Request, ...)"),
    "programs": (("program",),
                 "process events (subprocess.Popen, os.exec, os.system, "
                 "...)"),
    "modules": (("module",), "the import event"),
}
PORT_ALLOWED = "allowed: an integer 0-65535 or a range string 'a-b' with " \
    "a <= b"
WRITE_FLAGS = (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC
               | os.O_APPEND)
INT64 = (-2 ** 63, 2 ** 63 - 1)


def _need(condition):
    return NEEDS[condition.split("_")[0]]


# -- parsing ------------------------------------------------------------------

def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
        return tomllib
    import tomli
    return tomli


def parse(text):
    """The model of rule text; ValueError when it is not TOML of that
    shape."""
    if not isinstance(text, str):
        raise TypeError("rule text must be a str, not %s"
                        % type(text).__name__)
    toml = _toml()
    try:
        document = toml.loads("rules = " + text)
    except toml.TOMLDecodeError as exc:
        raise ValueError("invalid rule text: %s" % (exc,)) from None
    if list(document) != ["rules"]:
        raise ValueError("invalid rule text: more than one value")
    return document["rules"]


# -- checking -----------------------------------------------------------------

def toml_type(value):
    """The TOML name of a value's type, for messages."""
    for kind, name in ((bool, "a boolean"), (int, "an integer"),
                       (float, "a float"), (str, "a string"),
                       (list, "an array"), (dict, "a table")):
        if isinstance(value, kind):
            return name
    return "a %s" % type(value).__name__


def _strings(condition, value):
    what = LIST_CONDITIONS[condition]
    if not isinstance(value, list):
        raise TypeError("%s must be an array of strings, not %s"
                        % (condition, toml_type(value)))
    if not value:
        raise ValueError("%s must list at least one %s" % (condition, what))
    for entry in value:
        if not isinstance(entry, str):
            raise TypeError("%s must be an array of strings, not an array "
                            "holding %s" % (condition, toml_type(entry)))
        if "\0" in entry:
            raise ValueError("%s: an entry contains a NUL character"
                             % condition)
    return value


def _check_directory(condition, entry):
    if not entry.startswith("/"):
        raise ValueError("%s: '%s' is not an absolute directory; directories "
                         "must start with '/'" % (condition, entry))
    return _paths.collapse(entry.encode("utf-8")).decode("utf-8")


def _check_host(condition, entry):
    parsed = _net.parse_host_entry(entry.encode("utf-8"))
    if parsed is None:
        raise ValueError(
            "%s: '%s' is malformed; allowed: an IPv4 or IPv6 address, a CIDR "
            "range such as '10.0.0.0/8' or 'fe80::/10' (no bits set after "
            "the prefix) or an ASCII host name" % (condition, entry))
    return entry if parsed[0] == "net" else parsed[1].decode("ascii")


def _check_program(condition, entry):
    if "/" not in entry and entry not in ("", ".", ".."):
        return entry
    if not entry.startswith("/"):
        raise ValueError("%s: '%s' is neither a program name (no '/') nor an "
                         "absolute path" % (condition, entry))
    return _check_directory(condition, entry)


def _check_module(condition, entry):
    for part in entry.split("."):
        if not part or "0" <= part[0] <= "9" or not all(
                c.isalnum() and c.isascii() or c == "_" or not c.isascii()
                for c in part):
            raise ValueError("%s: '%s' is not a module name; allowed: dotted "
                             "names such as 'pkg' or 'pkg.sub'"
                             % (condition, entry))
    return entry


ENTRY_CHECKS = {"directory": _check_directory, "host": _check_host,
                "program": _check_program, "module": _check_module}


def _check_port(entry):
    if isinstance(entry, bool) or not isinstance(entry, (int, str)):
        raise TypeError("ports must be an array of integers or 'a-b' "
                        "strings, not an array holding %s"
                        % toml_type(entry))
    if isinstance(entry, int):
        if not 0 <= entry <= 65535:
            raise ValueError("ports: %d is not a port; %s"
                             % (entry, PORT_ALLOWED))
        return entry
    low, dash, high = entry.partition("-")
    ports = [_net.port_of(side.encode("utf-8", "replace"))
             if side.isascii() and side.isdigit() else None
             for side in (low, high)]
    if not dash or None in ports or ports[0] > ports[1]:
        raise ValueError("ports: '%s' is not a port range; %s"
                         % (entry, PORT_ALLOWED))
    return entry


def _check_value(key, value):
    if isinstance(value, (str, bool, float)):
        return value
    if isinstance(value, int):
        if not INT64[0] <= value <= INT64[1]:
            raise ValueError("args: the value for '%s' does not fit in 64 "
                             "bits" % (key,))
        return value
    raise TypeError("args: the value for '%s' must be a string, integer, "
                    "boolean or float, or an array of them, not %s"
                    % (key, toml_type(value)))


def _check_args(value):
    if not isinstance(value, dict):
        raise TypeError("args must be an inline table of argument names or "
                        "positions to values, not %s" % toml_type(value))
    if not value:
        raise ValueError("args must name at least one argument")
    checked = {}
    for key, wanted in value.items():
        if isinstance(wanted, list):
            if not wanted:
                raise ValueError("args: '%s' has an empty array of values, "
                                 "which no argument equals" % (key,))
            wanted = [_check_value(key, v) for v in wanted]
        else:
            wanted = _check_value(key, wanted)
        if key.isascii() and key.isdigit():
            if len(key) > 1 and key[0] == "0" or int(key) > 255:
                raise ValueError("args: position '%s' must be a decimal "
                                 "number 0-255 without leading zeros"
                                 % (key,))
            key = int(key)
        elif not key:
            raise ValueError("args: an argument name must not be empty")
        checked[key] = wanted
    positions = sorted(k for k in checked if isinstance(k, int))
    names = sorted(k for k in checked if isinstance(k, str))
    return {k: checked[k] for k in positions + names}


def _check_alternative(table):
    if not isinstance(table, dict):
        raise TypeError("each alternative must be an inline table of "
                        "conditions, not %s" % toml_type(table))
    if not table:
        raise ValueError("an alternative has no conditions; give at least "
                         "one of: %s" % ALLOWED)
    for condition in table:
        if condition not in CONDITIONS:
            raise ValueError("unknown condition '%s'; allowed: %s"
                             % (condition, ALLOWED))
    checked = {}
    for condition in CONDITIONS:
        if condition not in table:
            continue
        value = table[condition]
        if condition == "writing":
            if not isinstance(value, bool):
                raise TypeError("writing must be a boolean, not %s"
                                % toml_type(value))
        elif condition == "ports":
            if not isinstance(value, list):
                raise TypeError("ports must be an array of integers or "
                                "'a-b' strings, not %s" % toml_type(value))
            if not value:
                raise ValueError("ports must list at least one port")
            value = [_check_port(entry) for entry in value]
        elif condition == "args":
            value = _check_args(value)
        else:
            check = ENTRY_CHECKS[LIST_CONDITIONS[condition]]
            value = [check(condition, entry)
                     for entry in _strings(condition, value)]
        checked[condition] = value
    return checked


def check(model):
    """The model (from ``parse`` or ``pyaudit.Where``) checked and
    normalised: a list of alternatives with conditions in canonical
    order, directories normalised and host names lowercased."""
    if isinstance(model, dict):
        model = [model]
    elif not isinstance(model, list):
        raise TypeError("rule text must be an inline table or an array of "
                        "inline tables, not %s" % toml_type(model))
    if not model:
        raise ValueError("rule text has no alternatives: an empty array "
                         "matches nothing; give at least one inline table")
    return [_check_alternative(table) for table in model]


# -- the patterns must allow every condition ----------------------------------

def _supports(condition, key, raw):
    """Whether catalog entry ``raw`` can satisfy the condition (for args:
    the given key)."""
    if condition == "args":
        if isinstance(key, int):
            return key < len(raw["args"])
        return key in raw["args"]
    roles = raw.get("roles", {})
    return any(role in roles for role in _need(condition)[0])


def check_supported(model, items):
    """ValueError unless every condition of the checked ``model`` can hold
    for some event the pattern ``items`` match."""
    matches = Compiled(tuple(parse_item(item) for item in items)).matches
    events = [raw for name, raw in sorted(_catalog.catalog_events().items())
              if matches(name)]
    unknown = any(
        not item.startswith("!") and "*" not in item
        and item not in _catalog.catalog_events() and matches(item)
        for item in items)
    shown = ", ".join(items)
    for table in model:
        for condition, value in table.items():
            keys = list(value) if condition == "args" else [None]
            for key in keys:
                if any(_supports(condition, key, raw) for raw in events) \
                        or condition == "args" and isinstance(key, int) \
                        and unknown:
                    continue
                if condition != "args":
                    reason = "it applies only to %s" % _need(condition)[1]
                elif isinstance(key, int):
                    reason = "none of them has an argument at position %d" \
                        % key
                else:
                    reason = "none of them has an argument named '%s'" % key
                raise ValueError("condition '%s' cannot hold for any event "
                                 "that '%s' matches: %s"
                                 % (condition, shown, reason))


# -- the canonical text -------------------------------------------------------

_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t",
            "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def _render_string(text):
    out = []
    for c in text:
        if c in _ESCAPES:
            out.append(_ESCAPES[c])
        elif c < " " or c == "\x7f":
            out.append("\\u%04X" % ord(c))
        else:
            out.append(c)
    return '"%s"' % "".join(out)


def _render_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, str)):
        return str(value) if isinstance(value, int) else \
            _render_string(value)
    if isinstance(value, float):
        return repr(value)      # TOML spells inf, -inf and nan alike
    if isinstance(value, list):
        return "[%s]" % ", ".join(_render_value(v) for v in value)
    return "{%s}" % ", ".join(
        "%s = %s" % (_render_key(k), _render_value(v))
        for k, v in value.items())


def _render_key(key):
    key = str(key)
    if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        return key
    return _render_string(key)


def render(model):
    """The canonical text of a checked model."""
    tables = [_render_value(table) for table in model]
    return tables[0] if len(tables) == 1 else "[%s]" % ", ".join(tables)


# -- deciding events ----------------------------------------------------------

def _utf8(value):
    """str as UTF-8 bytes, bytes as they are; None for anything else and
    for a str that is not valid Unicode text."""
    if isinstance(value, str):
        try:
            return value.encode("utf-8")
        except UnicodeEncodeError:
            return None
    return bytes(value) if isinstance(value, bytes) else None


def _argument(args, position):
    """args[position], or None when the tuple is too short."""
    return args[position] if position is not None and \
        position < len(args) else None


def _writing(roles, args):
    """True/False: whether the event changes the file system; None when
    it cannot be told."""
    if roles.get("writes"):
        return True
    decided = writes = False
    for key in ("open_mode", "open_flags"):
        if key not in roles:
            continue
        value = _argument(args, roles[key])
        if value is None:
            continue
        if key == "open_mode" and isinstance(value, str):
            writes = writes or any(c in value for c in "wax+")
        elif key == "open_flags" and type(value) is int:
            writes = writes or bool(value & WRITE_FLAGS)
        else:
            return None
        decided = True
    if decided:
        return writes
    return False if "paths" in roles and "open_mode" not in roles else None


def _no_dir_fd(value):
    return value is None or type(value) is int and value == -1


def _event_paths(roles, args):
    """The normalised path arguments (None for each one that cannot be
    judged); absent and None arguments are left out."""
    paths = []
    for position, dir_fd in zip(roles["paths"], roles["dir_fds"]):
        value = _argument(args, position)
        if value is None:
            continue
        path = _paths.as_bytes(value)
        if path is not None and not path.startswith(b"/") \
                and not _no_dir_fd(_argument(args, dir_fd)):
            path = None     # relative to a directory descriptor
        paths.append(None if path is None else _paths.normalise(path))
    return paths


def _endpoint(roles, args):
    """(host key or None, port or None) of a network event."""
    host = port = None
    if "address" in roles:
        address = _argument(args, roles["address"])
        if isinstance(address, tuple) and len(address) >= 2:
            host, port = address[0], address[1]
    elif "url" in roles:
        url = _utf8(_argument(args, roles["url"]))
        if url is not None:
            host, port = _net.url_endpoint(url)
    else:
        host = _argument(args, roles.get("host"))
        port = _argument(args, roles.get("port"))
    host = _utf8(host)
    return None if host is None else _net.host_key(host), _net.port_of(port)


def _first_word(command):
    command = _utf8(command)
    if command is None:
        return None
    words = command.split(None, 1)
    return words[0] if words else None


def _event_programs(roles, args):
    """The program arguments as bytes (None for one that cannot be
    judged)."""
    value = _argument(args, roles["program"])
    shape = roles["program_shape"]
    if shape == "command":
        return [_first_word(value)]
    sequence = isinstance(value, (list, tuple))
    if shape == "path" or shape == "argv" and not sequence:
        values = [value]
    elif not sequence or not value:
        values = [None]
    else:
        values = list(value) if shape == "list" else [value[0]]
    return [_paths.as_bytes(v) or None for v in values]


class _Alternative:
    """One checked inline table, ready to decide events."""

    def __init__(self, table):
        self.writing = table.get("writing")
        self.paths = {}
        self.hosts = {}
        self.programs = {}
        self.modules = {}
        for condition, value in table.items():
            if condition.startswith("paths_"):
                self.paths[condition] = [v.encode("utf-8")
                                         for v in value]
            elif condition.startswith("hosts"):
                self.hosts[condition] = [
                    _net.parse_host_entry(v.encode("utf-8"))
                    for v in value]
            elif condition.startswith("programs"):
                self.programs[condition] = [
                    v.encode("utf-8") for v in value]
            elif condition.startswith("modules"):
                self.modules[condition] = value
        self.ports = None if "ports" not in table else [
            (p, p) if isinstance(p, int) else
            tuple(int(side) for side in p.split("-"))
            for p in table["ports"]]
        self.args = table.get("args", {})

    def matches(self, roles, names, args):
        """Whether every condition holds (False when one is undecided)."""
        if self.writing is not None and \
                _writing(roles, args) is not self.writing:
            return False
        if self.paths and not self._paths_hold(roles, args):
            return False
        if (self.hosts or self.ports is not None) and \
                not self._endpoint_holds(roles, args):
            return False
        if self.programs and not self._programs_hold(roles, args):
            return False
        if self.modules and not self._modules_hold(roles, args):
            return False
        return all(self._argument_holds(key, wanted, names, args)
                   for key, wanted in self.args.items())

    def _paths_hold(self, roles, args):
        if "paths" not in roles:
            return False
        paths = _event_paths(roles, args)
        for condition, dirs in self.paths.items():
            inside = [None if p is None else
                      any(_paths.is_under(p, d) for d in dirs)
                      for p in paths]
            if not _list_holds(inside, condition == "paths_under"):
                return False
        return True

    def _endpoint_holds(self, roles, args):
        host, port = _endpoint(roles, args)
        for condition, entries in self.hosts.items():
            if host is None:
                return False
            inside = any(_net.entry_holds(e, host) for e in entries)
            if inside != (condition == "hosts"):
                return False
        if self.ports is not None:
            return port is not None and any(low <= port <= high
                                            for low, high in self.ports)
        return True

    def _programs_hold(self, roles, args):
        if "program" not in roles:
            return False
        programs = _event_programs(roles, args)
        for condition, entries in self.programs.items():
            inside = [_program_in(p, entries) for p in programs]
            if not _list_holds(inside, condition == "programs"):
                return False
        return True

    def _modules_hold(self, roles, args):
        module = _argument(args, roles.get("module"))
        if not isinstance(module, str) or _utf8(module) is None:
            return False
        for condition, entries in self.modules.items():
            inside = any(module == e or module.startswith(e + ".")
                         for e in entries)
            if inside != (condition == "modules"):
                return False
        return True

    @staticmethod
    def _argument_holds(key, wanted, names, args):
        position = key if isinstance(key, int) else (
            names.index(key) if key in names else None)
        if position is None or position >= len(args):
            return False
        value = args[position]
        return any(_equal(value, w)
                   for w in (wanted if isinstance(wanted, list)
                             else [wanted]))


def _list_holds(inside, wanted_inside):
    """A condition on several arguments (paths, programs), given whether
    each is inside (None: it cannot be judged): the plain form holds when
    there is one and every one is inside, the _outside form when any one
    that can be judged is outside."""
    if wanted_inside:
        return bool(inside) and all(inside)
    return False in inside


def _equal(value, wanted):
    """Equality of an argument and a rule value, of the same type only."""
    if isinstance(wanted, str):
        return isinstance(value, str) and value == wanted
    return type(value) is type(wanted) and value == wanted


def _program_in(program, entries):
    """True/False: whether the program is one of the entries; None when
    it cannot be judged."""
    if program is None:
        return None
    if b"/" in program:
        program = _paths.normalise(program)
        if program is None:
            return None
        return program in entries or _paths.basename(program) in entries
    return program in entries


class Rules:
    """Compiled rules for one subscription: ``matches(name, args)``."""

    def __init__(self, text, items):
        model = check(parse(text))
        check_supported(model, items)
        self.text = render(model)
        self._alternatives = [_Alternative(table) for table in model]

    def matches(self, name, args):
        raw = _catalog.catalog_events().get(name)
        roles = _positions(raw)
        names = raw["args"] if raw is not None else ()
        return any(alternative.matches(roles, names, args)
                   for alternative in self._alternatives)


_positions_cache = {}


def _positions(raw):
    """An event's roles with argument names turned into positions."""
    if raw is None:
        return {}
    roles = _positions_cache.get(raw["name"])
    if roles is None:
        args = raw["args"]
        named = raw.get("roles", {})
        roles = {key: args.index(value) for key, value in named.items()
                 if key in ("open_mode", "open_flags", "address", "host",
                            "port", "url", "program", "module")}
        if "paths" in named:
            roles["paths"] = [args.index(p) for p in named["paths"]]
            roles["dir_fds"] = [
                args.index(named["dir_fds"][p])
                if p in named.get("dir_fds", {}) else None
                for p in named["paths"]]
        for key in ("writes", "program_shape"):
            if key in named:
                roles[key] = named[key]
        _positions_cache[raw["name"]] = roles
    return roles
