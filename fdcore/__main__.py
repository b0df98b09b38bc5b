"""Command line.

    python -m fdcore bench [--quick] [--suite NAME ...] [--json FILE] [--markdown FILE] [--plot FILE.png]
    python -m fdcore bench --function MODULE:FUNC --x0 X [--repeat N] [--rtol R] [--json FILE] [--plot FILE.png]
    python -m fdcore check MODULE:FUNC MODULE:GRAD (--x0 FILE.npy | --n N [--seed S] | --params MODULE:NAME)
                           [--mode M] [--k K]
    python -m fdcore config

``bench`` times fdcore against its peers (suites: gradient, jacobian, hessian, accurate, accuracy,
compiled, overhead, vectorized, workers, checking, sparse, compat; all by default) and ends with
the performance goals of the project's issues, each MET / NOT MET / not run for this run's rows.
``bench --function`` instead runs every method on the user's own f and ranks them
(fdcore.bench.function).

``check`` prints the gradient check's report; its exit codes are in CHECK_EXIT_CODES.
"""

import argparse
import importlib
import re
import sys
import traceback

import numpy as np

CHECK_EXIT_CODES = """exit codes: 0 the check passed, 1 it failed, 2 bad usage (options, files, or what the
functions return), 3 the objective or its gradient raised (its traceback is printed)"""
BENCH_EXIT_CODES = """exit codes: 0 the benchmark ran (goals NOT MET are results, not failures), 2 bad usage
(options, files, what --function's f returns, or --plot without matplotlib), 3 --function's objective raised (its
traceback is printed)"""
CONFIG_EXIT_CODES = "exit codes: 0"
# check_grad's arguments as the check command's options and operands (its errors name the former)
_CHECK_OPTIONS = {"f": "MODULE:FUNC", "grad": "MODULE:GRAD", "x": "--x0/--n/--params (the point x)", "k": "--k",
                  "mode": "--mode", "seed": "--seed"}
# rank_methods' arguments as bench --function's options (its errors name the former)
_FUNCTION_OPTIONS = {"f": "--function MODULE:FUNC", "x0": "--x0", "repeat": "--repeat", "rtol": "--rtol"}
_PLOT_HINT = "pip install '.[bench]'"


def _parser():
    parser = argparse.ArgumentParser(prog="python -m fdcore",
                                     description="fdcore command line: benchmarks, gradient checks, the build "
                                                 "configuration. Each command's --help gives its exit codes.")
    commands = parser.add_subparsers(dest="command", required=True)
    from fdcore.bench.runner import SUITES

    bench = commands.add_parser(
        "bench", help="compare fdcore with its peers; check the performance goals",
        description="Time fdcore and the installed peers (SciPy, numdifftools, statsmodels, jacobi, fdm, optimagic, "
                    "JAX, numba, dask) on the built-in problems, side by side in this run: median time, evaluations "
                    "of f and error against the analytic answer per method, then each performance goal of the "
                    "project as MET / NOT MET / not run. Peers that are not installed are listed with the command "
                    "that installs them. With --function MODULE:FUNC --x0 X: every method on your own f "
                    "instead, ranked.",
        epilog=BENCH_EXIT_CODES)
    bench.add_argument("--quick", action="store_true", help="small sizes, short timings (under a minute)")
    bench.add_argument("--suite", action="append", choices=SUITES,
                       help="run only this suite (repeatable; default: all)")
    bench.add_argument("--json", metavar="FILE", help="also write the rows, missing peers and goals as JSON "
                                                         "(with --function: the ranked methods)")
    bench.add_argument("--markdown", metavar="FILE", help="also write the tables and the goals as Markdown")
    bench.add_argument("--plot", metavar="FILE.png", help="also draw time against n and error against step (matplotlib); "
                                                          "with --function: the ranking's plot")
    mine = bench.add_argument_group(
        "your own function",
        "--function runs every method (default, order 4/6/8, richardson=True, the complex step where f is "
        "complex-analytic, step='adaptive') on f at --x0 and ranks them by estimated error, then cost (evaluations "
        "of f, median time); --plot draws error against step where the methods differ most, and error against "
        "evaluations. Example: python -m fdcore bench --function mymodel:loss --x0 1,2,3 --plot ranking.png")
    mine.add_argument("--function", metavar="MODULE:FUNC",
                      help="f(x) -> float (gradient) or 1-D array (Jacobian), e.g. mypkg.model:loss")
    mine.add_argument("--x0", metavar="X",
                      help="the point: comma-separated numbers (1,2,3), a list ([1, 2, 3]) or a FILE.npy; "
                           "write --x0=-1,2 when it starts with a minus")
    mine.add_argument("--repeat", type=int, default=None, metavar="N",
                      help="timed calls per method, the median is reported (default 5; 1 with --quick)")
    mine.add_argument("--rtol", type=float, default=None, metavar="R",
                      help="relative error that is good enough: methods within it rank by cost alone")
    commands.add_parser("config", help="print the build configuration",
                        description="Print fdcore's version and build: compiler flags, OpenMP, the default thread count "
                                    "(the same as fdcore.show_config()).",
                        epilog=CONFIG_EXIT_CODES)

    from fdcore.checking.checks import MODES

    check = commands.add_parser("check", help="check a gradient function against finite differences",
                                description="Check MODULE:GRAD, the gradient of MODULE:FUNC, against fdcore's "
                                            "finite differences and print the report.",
                                epilog=CHECK_EXIT_CODES)
    check.add_argument("function", metavar="MODULE:FUNC", help="the objective, e.g. mypkg.model:loss")
    check.add_argument("gradient", metavar="MODULE:GRAD", help="its gradient, e.g. mypkg.model:loss_grad")
    where = check.add_mutually_exclusive_group(required=True)
    where.add_argument("--x0", metavar="FILE.npy", help="the point, an array saved with numpy.save (not 1-D: parameters of that shape)")
    where.add_argument("--n", type=int, help="check at a random point of this dimension")
    where.add_argument("--params", metavar="MODULE:NAME",
                       help="the point as parameters in a tree (nested dicts, lists, tuples of arrays): a module "
                            "attribute, or a function of no arguments returning it; FUNC and GRAD take and return "
                            "that tree, and the report names faults by path, e.g. x['layers'][1]['w'][17, :]")
    check.add_argument("--seed", type=int, default=0, help="seed of the random point and directions")
    check.add_argument("--mode", choices=MODES, default="auto")
    check.add_argument("--k", type=int, default=8, help="probes or sampled coordinates")
    return parser


def _load(parser, spec, option=None):
    """The object MODULE:NAME names (errors name ``option``, e.g. '--function', if given)."""
    named = "" if option is None else f"{option}: "
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        parser.error(f"{named}{spec!r} must have the form MODULE:NAME")
    try:
        target = importlib.import_module(module_name)
        for part in attribute.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError) as exc:
        parser.error(f"{named}cannot load {spec!r}: {exc}")
    return target


class _UserCodeRaised(Exception):
    """The objective or its gradient raised (the original exception is the __cause__)."""


def _guarded(function):
    """function, its exceptions marked as the user's (exit code 3, not a usage error)."""
    from fdcore.derivatives.validation import is_compiled_callback

    if not callable(function) or is_compiled_callback(function):
        return function  # check_grad names a non-callable; a compiled f raises nothing

    def guarded(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except Exception as exc:
            raise _UserCodeRaised() from exc

    return guarded


def _check(parser, args):
    from fdcore import check_grad

    if args.seed < 0:
        parser.error(f"--seed must be >= 0, got {args.seed}")
    if args.k < 1:
        parser.error(f"--k must be a positive int, got {args.k}")
    f, grad = _guarded(_load(parser, args.function)), _guarded(_load(parser, args.gradient))
    if args.x0 is not None:
        try:
            x0 = np.load(args.x0)
        except (OSError, ValueError) as exc:
            parser.error(f"cannot read --x0 {args.x0!r}: {exc}")
    elif args.params is not None:
        x0 = _load(parser, args.params)
        if callable(x0):
            try:
                x0 = x0()
            except Exception as exc:
                traceback.print_exception(exc)
                print("python -m fdcore check: --params raised (above)", file=sys.stderr)
                return 3
    else:
        if args.n < 1:
            parser.error("--n must be positive")
        x0 = np.random.default_rng(args.seed).standard_normal(args.n)
    try:
        result = check_grad(f, grad, x0, mode=args.mode, k=args.k, seed=args.seed)
    except _UserCodeRaised as exc:
        traceback.print_exception(exc.__cause__)
        print("python -m fdcore check: the objective or its gradient raised (above)", file=sys.stderr)
        return 3
    except (TypeError, ValueError) as exc:
        parser.error(_as_cli_message(str(exc)))
    print(result)
    return 0 if result.passed else 1


def _as_cli_message(message, options=_CHECK_OPTIONS):
    """An API error, with the argument it starts by named as the command line's option."""
    name = re.match(r"(\w+) ", message)
    if name is None or name.group(1) not in options:
        return message
    return options[name.group(1)] + message[len(name.group(1)):]


def _parse_point(parser, text):
    """--x0 of bench --function: "1,2,3", "[1, 2, 3]", "0.5" or a FILE.npy."""
    if text.endswith(".npy"):
        try:
            return np.load(text)
        except (OSError, ValueError) as exc:
            parser.error(f"cannot read --x0 {text!r}: {exc}")
    try:
        return np.array([float(item) for item in re.split(r"[,\s]+", text.strip().strip("[]()").strip())], dtype=float)
    except ValueError:
        parser.error(f"--x0 must be comma-separated numbers (1,2,3), a list ([1, 2, 3]) or a FILE.npy, got {text!r}")


def _bench_function(parser, args):
    """bench --function: every method on the user's f, ranked (fdcore.bench.function)."""
    from fdcore.bench.function import format_ranking, plot_ranking, rank_methods

    if args.x0 is None:
        parser.error("--function needs --x0 (the point)")
    for option, given in (("--suite", args.suite), ("--markdown", args.markdown)):
        if given:
            parser.error(f"{option} does not apply with --function")
    repeat = args.repeat if args.repeat is not None else (1 if args.quick else 5)
    if repeat < 1:
        parser.error(f"--repeat must be a positive int, got {repeat}")
    if args.rtol is not None and not (0 < args.rtol < float("inf")):
        parser.error(f"--rtol must be a positive number, got {args.rtol}")
    f = _load(parser, args.function, "--function")
    if not callable(f):
        parser.error(f"--function {args.function!r} is not callable ({type(f).__name__})")
    x0 = _parse_point(parser, args.x0)
    if args.plot:
        try:
            import matplotlib

            matplotlib.use("Agg")
        except ImportError:
            print(f"python -m fdcore bench: --plot needs matplotlib: {_PLOT_HINT}", file=sys.stderr)
            return 2
    guarded = _guarded(f)
    try:
        rows = rank_methods(guarded, x0, repeat=repeat, rtol=args.rtol)
    except _UserCodeRaised as exc:
        traceback.print_exception(exc.__cause__)
        print("python -m fdcore bench: the objective raised (above)", file=sys.stderr)
        return 3
    except (TypeError, ValueError) as exc:
        parser.error(_as_cli_message(str(exc), _FUNCTION_OPTIONS))
    kind = "Jacobian" if np.ndim(rows[0].value) == 2 else "gradient"
    print(f"fdcore {_version()} bench --function {args.function} at x0 of n = {x0.shape[0]}: every method's {kind}, "
          f"ranked (median time over {repeat} call{'s' if repeat > 1 else ''})")
    print(format_ranking(rows, args.rtol))
    if args.json:
        import json

        with open(args.json, "w") as fh:
            json.dump([dict(vars(r), value=None if r.value is None else np.asarray(r.value).tolist()) for r in rows],
                      fh, indent=1)
        print(f"\nwrote {args.json}")
    if args.plot:
        import matplotlib.pyplot as plt

        try:
            figure = plot_ranking(guarded, x0, rows, args.plot)
        except _UserCodeRaised as exc:
            traceback.print_exception(exc.__cause__)
            print("python -m fdcore bench: the objective raised (above)", file=sys.stderr)
            return 3
        plt.close(figure)
        print(f"wrote {args.plot}")
    return 0


def _version():
    from fdcore import __version__

    return __version__


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command == "check":
        return _check(parser, args)
    if args.command == "bench":
        if args.function is not None:
            return _bench_function(parser, args)
        for option, given in (("--x0", args.x0), ("--repeat", args.repeat), ("--rtol", args.rtol)):
            if given is not None:
                parser.error(f"{option} needs --function MODULE:FUNC")
        from fdcore.bench.runner import main as bench_main

        return bench_main(args)
    from fdcore import show_config

    show_config()
    return 0


if __name__ == "__main__":
    sys.exit(main())
