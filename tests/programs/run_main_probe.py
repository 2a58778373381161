_names = list(globals())        # first: before this file adds its own
import json  # noqa: E402
import sys  # noqa: E402


def describe(value):
    """A comparable description of a __main__ global."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "dict %r" % (value,)
    if isinstance(value, type(sys)):
        return "module %s" % value.__name__
    if isinstance(value, type):
        return "class %s.%s" % (value.__module__, value.__qualname__)
    if type(value).__name__ == "ModuleSpec":
        return "spec %s %s" % (value.name, value.origin)
    # a loader: its class and what it loads
    return "%s %s %s" % (type(value).__qualname__, getattr(value, "name", ""),
                         getattr(value, "path", ""))


_main = sys.modules["__main__"]
print(json.dumps({
    "globals": [(name, describe(globals()[name])) for name in _names],
    "main_is_this_module": _main.__dict__ is globals(),
    "argv": sys.argv,
    "path0": sys.path[0],
}))
