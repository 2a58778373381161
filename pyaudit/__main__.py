"""Command line: ``python -m pyaudit bench ...``."""

import argparse
import sys

from . import bench


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m pyaudit")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    bench_parser = commands.add_parser(
        "bench", help="measure audit hook overhead per event",
        description=bench.__doc__.splitlines()[0])
    bench.add_arguments(bench_parser)
    args = parser.parse_args(argv)
    if args.command == "bench":
        return bench.run(args, bench_parser)
    parser.print_usage(sys.stderr)
    print("python -m pyaudit: error: give a command: bench", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
