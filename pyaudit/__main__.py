"""Command line: ``python -m pyaudit bench ...``."""

import argparse
import sys

from . import bench


class Parser(argparse.ArgumentParser):
    """Bad input is one line on stderr and exit status 2."""

    def error(self, message):
        self.exit(2, "%s: error: %s (see --help)\n" % (self.prog, message))


def main(argv=None):
    parser = Parser(prog="python -m pyaudit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND",
                                     parser_class=Parser)
    bench_parser = commands.add_parser(
        "bench", help="measure audit hook overhead per event",
        description=bench.__doc__.splitlines()[0])
    bench.add_arguments(bench_parser)
    args = parser.parse_args(argv)
    if args.command == "bench":
        return bench.run(args, bench_parser)
    parser.error("give a command: bench")


if __name__ == "__main__":
    sys.exit(main())
