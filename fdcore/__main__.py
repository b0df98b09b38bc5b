"""Command line: ``python -m fdcore bench [--quick] [--suite NAME ...] [--json FILE]``."""

import argparse
import sys


def _parser():
    parser = argparse.ArgumentParser(prog="python -m fdcore", description="fdcore command line")
    commands = parser.add_subparsers(dest="command", required=True)
    from fdcore._bench import SUITES

    bench = commands.add_parser("bench", help="compare fdcore with its peers on the built-in problems")
    bench.add_argument("--quick", action="store_true", help="small sizes, short timings (under a minute)")
    bench.add_argument("--suite", action="append", choices=SUITES, help="run only this suite (repeatable)")
    bench.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    commands.add_parser("config", help="print the build configuration")
    return parser


def main(argv=None):
    args = _parser().parse_args(argv)
    if args.command == "bench":
        from fdcore._bench import main as bench_main

        return bench_main(args)
    from fdcore import show_config

    show_config()
    return 0


if __name__ == "__main__":
    sys.exit(main())
