"""Command line: ``pyaudit COMMAND ...`` (or ``python -m pyaudit COMMAND``).

Each command lives in its own module, which provides ``HELP`` (one line),
``add_arguments(parser)`` and ``run(args, parser) -> exit status``.

``run`` is dispatched before anything else is imported: it runs a program
that should find the interpreter as plain ``python`` leaves it, so it
parses its own command line (``pyaudit.cli.run.main``) without argparse.
"""

import sys

COMMANDS = {
    "run": "pyaudit.cli.run",          # run a program with auditing
    "events": "pyaudit.cli.events",    # the events catalog
    "bench": "pyaudit.cli.bench",      # measure hook overhead
    "config": "pyaudit.cli.config",    # build flags for C hosts
    "check-policy": "pyaudit.cli.check_policy",    # check a policy file
}


def version_line():
    """What ``--version`` prints: pyaudit's version and distribution, the
    backend in use and the Python running it."""
    import platform
    from .. import _version, backend
    return "pyaudit %s (%s), %s backend, %s %s" % (
        _version.__version__, _version.DISTRIBUTION, backend,
        platform.python_implementation(), platform.python_version())


def main(argv=None, prog="pyaudit"):
    if argv is None:
        argv = sys.argv[1:]
    if argv and argv[0] == "run":
        from . import run
        return run.main(argv[1:], prog + " run")
    return _main_with_argparse(argv, prog)


def _main_with_argparse(argv, prog):
    import argparse
    import importlib

    class Parser(argparse.ArgumentParser):
        """Bad input is one line on stderr and exit status 2."""

        def error(self, message):
            self.exit(2, "%s: error: %s (see --help)\n" % (self.prog, message))

    parser = Parser(prog=prog)
    parser.add_argument("--version", action="version", version=version_line(),
                        help="print the version and the backend in use")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     parser_class=Parser)
    modules = {}
    for name, module_name in COMMANDS.items():
        module = importlib.import_module(module_name)
        modules[name] = module
        sub = commands.add_parser(name, help=module.HELP,
                                  description=module.HELP)
        module.add_arguments(sub)
    args = parser.parse_args(argv)
    if args.command is None:
        parser.error("give a command: " + ", ".join(COMMANDS))
    module = modules[args.command]
    return module.run(args, commands.choices[args.command])
