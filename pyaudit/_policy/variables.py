"""Variables in a policy's ``where`` strings: ``${CWD}``, ``${TMPDIR}``,
``${HOME}``, ``${env:NAME}``, and ``$$`` for a literal ``$``.

Every string inside a rule's ``where`` is substituted once, when the
policy is loaded; the result is then checked like any rule text.  A
``$`` that starts nothing of the above, an unknown name, an environment
variable that is unset or empty, or a built-in that cannot be found is
an error: a path must never silently become something else.

The built-ins are read only when a policy uses them (``${TMPDIR}``
imports ``tempfile``):

    CWD      os.getcwd() when the policy is loaded
    TMPDIR   tempfile.gettempdir(), where tempfile writes
    HOME     os.path.expanduser("~")

``values`` given by the caller (``load_policy(..., variables=...)``,
and the values a process tree shares, see pyaudit._policy.startup)
replace built-ins of the same name and may add names of their own.
"""

import os

BUILTINS = ("CWD", "TMPDIR", "HOME")
ENV_PREFIX = "env:"
ALLOWED = ("allowed: ${CWD}, ${TMPDIR}, ${HOME}, ${env:NAME} (an "
           "environment variable) and $$ for a literal '$'")


def _is_name(text):
    return bool(text) and not text[0].isdigit() and all(
        c == "_" or c.isascii() and c.isalnum() for c in text)


def check_names(values):
    """ValueError unless every key of ``values`` can be written as
    ``${NAME}`` and every value is a str."""
    for name, value in values.items():
        if not isinstance(name, str) or not _is_name(name) \
                or name.startswith(ENV_PREFIX):
            raise ValueError("variable name %r is not a NAME of letters, "
                             "digits and '_'" % (name,))
        if not isinstance(value, str):
            raise TypeError("the value of variable %s must be a str, not %s"
                            % (name, type(value).__name__))


def builtin(name):
    """The value of a built-in variable here and now; ValueError when it
    cannot be found."""
    if name == "CWD":
        try:
            return os.getcwd()
        except OSError as exc:
            raise ValueError("${CWD}: the working directory cannot be read "
                             "(%s)" % (exc.strerror or exc,)) from None
    if name == "TMPDIR":
        import tempfile
        return tempfile.gettempdir()
    home = os.path.expanduser("~")
    if home == "~" or not home.startswith("/"):
        raise ValueError("${HOME}: no home directory (HOME is not set and "
                         "the user has none)")
    return home


class Resolver:
    """Substitutes variables; remembers the built-ins it read."""

    def __init__(self, values=None):
        self.values = dict(values or {})
        self.resolved = {}      # built-ins read here: name -> value

    def value(self, name):
        if name.startswith(ENV_PREFIX):
            variable = name[len(ENV_PREFIX):]
            if not _is_name(variable):
                raise ValueError("${%s}: %r is not an environment variable "
                                 "name" % (name, variable))
            found = os.environ.get(variable)
            if not found:
                raise ValueError("${%s}: the environment variable %s is %s"
                                 % (name, variable,
                                    "empty" if found == "" else "not set"))
            return found
        if name in self.values:
            return self.values[name]
        if name in BUILTINS:
            if name not in self.resolved:
                self.resolved[name] = builtin(name)
            return self.resolved[name]
        raise ValueError("unknown variable ${%s}; %s" % (name, ALLOWED))

    def substitute(self, text):
        """``text`` with its variables replaced; ValueError naming the
        first problem."""
        if "$" not in text:
            return text
        out = []
        index = 0
        while True:
            dollar = text.find("$", index)
            if dollar < 0:
                out.append(text[index:])
                return "".join(out)
            out.append(text[index:dollar])
            following = text[dollar + 1:dollar + 2]
            if following == "$":
                out.append("$")
                index = dollar + 2
                continue
            end = text.find("}", dollar)
            if following != "{" or end < 0:
                raise ValueError("%r: a '$' must start ${NAME} or be "
                                 "doubled ($$); %s" % (text, ALLOWED))
            out.append(self.value(text[dollar + 2:end]))
            index = end + 1

    def substitute_all(self, value):
        """Every str in a TOML value (str, list, dict) substituted."""
        if isinstance(value, str):
            return self.substitute(value)
        if isinstance(value, list):
            return [self.substitute_all(v) for v in value]
        if isinstance(value, dict):
            return {k: self.substitute_all(v) for k, v in value.items()}
        return value
