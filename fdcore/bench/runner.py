"""`python -m fdcore bench`: fdcore against its peers on the built-in problems, in one run.

Every case is one problem at one n. Each method (fdcore, the plain NumPy loop, SciPy, statsmodels,
numdifftools, scipy.differentiate and JAX when installed) is timed in the same process, one after
the other; the table reports the median time, the number of evaluations of f (counted in a
separate, untimed call), the error against the analytic answer (max-norm relative error
||est - exact|| / ||exact||) and the time relative to fdcore's. Peers that are not installed are
left out of the table, and the table says so. After the tables, the performance goals of the
project's issues are checked against this run's rows (fdcore.bench.goals).

The gradient, jacobian, hessian, accurate and overhead suites are defined here; the others live in
their own modules (see ``_MODULE_SUITES``), the accuracy suite in fdcore.bench.accuracy.
"""

import json
import sys
from dataclasses import asdict
from typing import NamedTuple

import numpy as np

import fdcore
from fdcore import get_problem
from fdcore.bench import checking, compat, compiled, peers, sparse, vectorized, workers
from fdcore.bench import goals as goal_table
from fdcore.bench import report as reporting
from fdcore.bench.core import (
    Context,
    Counter,
    NotApplicable,
    Row,
    floor_row,
    rel_error,
    stderr_progress,
)


class Method(NamedTuple):
    label: str
    make: object  # maker (see fdcore.bench.peers); None for the floor row
    slow: bool = False  # many evaluations per coordinate (or an n x n temporary): n is capped


def _fdcore(kind, **options):
    function = {"gradient": fdcore.gradient, "jacobian": fdcore.jacobian, "hessian": fdcore.hessian}[kind]
    return lambda f, x, problem=None: (lambda: function(f, x, **options))


# Methods per (suite, kind): the first is the fdcore row the ratios refer to; "floor" is replaced
# by bare calls of f as many as that fdcore row spends.
_FLOOR = Method("floor", None)
_JAX = Method("jax.grad, jit (exact derivative: cost reference)", peers.jax_grad)
_METHODS = {
    ("gradient", "gradient"): [
        Method("fdcore gradient", _fdcore("gradient")),
        _FLOOR,
        Method("numpy loop", peers.numpy_loop_gradient),
        Method("scipy approx_fprime", peers.scipy_approx_fprime),
        Method("scipy approx_derivative 3-point", peers.scipy_approx_derivative),
        Method("statsmodels approx_fprime centered", peers.statsmodels("approx_fprime", centered=True)),
        Method("numdifftools Gradient", peers.numdifftools("Gradient"), slow=True),
        Method("scipy.differentiate.jacobian (broadcasting f)", peers.scipy_differentiate("gradient"), slow=True),
        _JAX,
    ],
    ("jacobian", "jacobian"): [
        Method("fdcore jacobian", _fdcore("jacobian")),
        _FLOOR,
        Method("numpy loop", peers.numpy_loop_jacobian),
        Method("scipy approx_derivative 3-point", peers.scipy_approx_derivative),
        Method("statsmodels approx_fprime centered", peers.statsmodels("approx_fprime", centered=True)),
        Method("numdifftools Jacobian", peers.numdifftools("Jacobian"), slow=True),
    ],
    ("hessian", "hessian"): [
        Method("fdcore hessian", _fdcore("hessian")),
        _FLOOR,
        Method("numpy loop (4-corner stencil)", peers.numpy_loop_hessian),
        Method("statsmodels approx_hess3", peers.statsmodels("approx_hess3")),
        Method("numdifftools Hessian", peers.numdifftools("Hessian"), slow=True),
        Method("scipy.differentiate.hessian (broadcasting f)", peers.scipy_differentiate("hessian"), slow=True),
    ],
    ("accurate", "gradient"): [
        Method("fdcore gradient richardson=True", _fdcore("gradient", richardson=True)),
        Method("fdcore gradient order=6", _fdcore("gradient", order=6)),
        Method("fdcore gradient method='complex'", _fdcore("gradient", method="complex")),
        Method("scipy approx_derivative 3-point", peers.scipy_approx_derivative),
        # approx_fprime_cs builds an n x n complex matrix of increments
        Method("statsmodels approx_fprime_cs", peers.statsmodels("approx_fprime_cs"), slow=True),
        Method("numdifftools Gradient", peers.numdifftools("Gradient"), slow=True),
        Method("scipy.differentiate.jacobian (broadcasting f)", peers.scipy_differentiate("gradient"), slow=True),
        _JAX,
    ],
    ("accurate", "hessian"): [
        Method("fdcore hessian richardson=True", _fdcore("hessian", richardson=True)),
        Method("fdcore hessian richardson=2", _fdcore("hessian", richardson=2)),
        Method("fdcore hessian method='complex'", _fdcore("hessian", method="complex")),
        Method("numdifftools Hessian", peers.numdifftools("Hessian"), slow=True),
        Method("scipy.differentiate.hessian (broadcasting f)", peers.scipy_differentiate("hessian"), slow=True),
    ],
}

# Suites with a module of their own: CASES_QUICK, CASES_FULL and run_case(case, context).
_MODULE_SUITES = {
    "compiled": compiled,
    "vectorized": vectorized,
    "workers": workers,
    "checking": checking,
    "sparse": sparse,
    "compat": compat,
}
# (kind, problem, n) per suite; --quick uses the first table.
_CASES_QUICK = {
    "gradient": [("gradient", "rosenbrock", 10), ("gradient", "rosenbrock", 100),
                 ("gradient", "rosenbrock", 1000), ("gradient", "extended_powell", 100)],
    "jacobian": [("jacobian", "broyden_tridiagonal", 100)],
    "hessian": [("hessian", "rosenbrock", 20), ("hessian", "dense_quadratic", 20)],
    "accurate": [("gradient", "rosenbrock", 100), ("hessian", "rosenbrock", 10)],
    "accuracy": [],
    "overhead": [("gradient", "trivial", 1000)],
}
_CASES_FULL = {
    "gradient": [("gradient", "rosenbrock", n) for n in (10, 100, 1000, 10000)]
    + [("gradient", "extended_powell", 100), ("gradient", "dense_quadratic", 100)],
    "jacobian": [("jacobian", "broyden_tridiagonal", 100), ("jacobian", "broyden_tridiagonal", 1000)],
    "hessian": [("hessian", "rosenbrock", 50), ("hessian", "extended_powell", 40), ("hessian", "dense_quadratic", 50)],
    "accurate": [("gradient", "rosenbrock", 1000), ("gradient", "extended_powell", 1000), ("hessian", "rosenbrock", 50)],
    "accuracy": [],
    "overhead": [("gradient", "trivial", 1000), ("gradient", "trivial", 100000)],
}
SUITES = ("gradient", "jacobian", "hessian", "accurate", "accuracy", "compiled", "overhead",
          "vectorized", "workers", "checking", "sparse", "compat")
# numdifftools spends ~30 evaluations per coordinate (per pair for Hessians), scipy.differentiate
# evaluates n x n arrays of points: the slow peers' n is capped.
_SLOW_PEER_MAX_N = {"gradient": 1000, "jacobian": 1000, "hessian": 50}
_SLOW_PEER_MAX_N_QUICK = {"gradient": 100, "jacobian": 100, "hessian": 20}


def _cases(suite, quick):
    module = _MODULE_SUITES.get(suite)
    if module is not None:
        return module.CASES_QUICK if quick else module.CASES_FULL
    return (_CASES_QUICK if quick else _CASES_FULL)[suite]


def _run_derivative_case(suite, case, ctx):
    kind, name, n = case
    problem = get_problem(name, n)
    x, f = problem.x0, problem.f
    exact = problem.hessian(x) if kind == "hessian" else problem.derivative(x)
    cap = (_SLOW_PEER_MAX_N_QUICK if ctx.quick else _SLOW_PEER_MAX_N)[kind]
    rows, missing = [], []
    for method in _METHODS[suite, kind]:
        if method is _FLOOR:
            rows.append(floor_row(suite, name, f, x, rows[0].nfev, ctx))
            continue
        if method.slow and n > cap:
            continue
        counter = Counter(f)
        try:
            counted = method.make(counter, x, problem)
        except NotApplicable:
            continue
        if counted is None:
            missing.append(method.label)
            continue
        ctx.progress(f"bench {suite}: {name} n={n}: {method.label}")
        try:
            estimate = counted()
        except TypeError:  # method='complex' on a function that is not complex-analytic
            continue
        nfev = counter.calls or -1  # 0: the method never calls f (JAX differentiates its own copy)
        rows.append(Row(suite, name, n, method.label, ctx.time(method.make(f, x, problem)), nfev,
                        rel_error(estimate, exact)))
    return rows, missing


def _run_overhead_case(case, ctx):
    """Driver overhead on f = lambda x: x[0]: fdcore and SciPy against 2n bare calls of f."""
    n = case[2]
    x = np.linspace(-1.0, 1.0, n)
    exact = np.zeros(n)
    exact[0] = 1.0

    def f(z):
        return z[0]

    def bare():
        for _ in range(2 * n):
            f(x)

    methods = [
        ("floor: 2n bare calls", lambda f_, x_: bare),
        ("fdcore gradient", lambda f_, x_: (lambda: fdcore.gradient(f_, x_))),
    ]
    if n <= 10000:  # both copy x per evaluation: O(n^2), ~10 s and ~30 s per call at n = 1e5
        methods += [("numpy loop", peers.numpy_loop_gradient), ("scipy approx_derivative 3-point", peers.scipy_approx_derivative)]
    rows, missing = [], []
    for label, make in methods:
        counter = Counter(f)
        counted = make(counter, x)
        if counted is None:
            missing.append(label)
            continue
        ctx.progress(f"bench overhead: n={n}: {label}")
        estimate = counted()
        calls = 2 * n if estimate is None else counter.calls
        err = float("nan") if estimate is None else rel_error(estimate, exact)
        rows.append(Row("overhead", "x[0]", n, label, ctx.time(make(f, x)), calls, err))
    floor = rows[0].median_s
    for row in rows[1:]:
        row.method += f" ({(row.median_s - floor) / row.nfev * 1e9:.0f} ns/eval over floor)"
    return rows, missing


def _run_case(suite, case, ctx):
    module = _MODULE_SUITES.get(suite)
    if module is not None:
        return module.run_case(case, ctx)
    if suite == "overhead":
        return _run_overhead_case(case, ctx)
    return _run_derivative_case(suite, case, ctx)


def run(suites=SUITES, quick=False, progress=True, timing=None):
    """Run the benchmark suites (all but 'accuracy', which fdcore.bench.accuracy runs); return
    (rows, labels of peers that are not installed). ``timing`` = (min_time, repeats) replaces
    the mode's default."""
    if timing is None:
        timing = (0.02, 3) if quick else (0.2, 7)
    ctx = Context(quick, timing, stderr_progress if progress else None)
    rows, missing = [], set()
    # The workers suite forks its process pool: it runs first, before other suites import JAX,
    # which starts threads (a fork after that can deadlock).
    for suite in sorted(suites, key=lambda name: name != "workers"):
        if suite == "accuracy":
            continue
        for case in _cases(suite, quick):
            case_rows, case_missing = _run_case(suite, case, ctx)
            fd = next((r for r in case_rows if r.method.startswith("fdcore")), None)
            if fd is not None:  # None when the case's objective needs a missing library
                for r in case_rows:
                    r.ratio_to_fdcore = r.median_s / fd.median_s
            rows += case_rows
            missing.update(case_missing)
    ctx.progress("")
    return rows, sorted(missing)


def main(args):
    """`python -m fdcore bench` (args: the parsed command line of fdcore.__main__)."""
    suites = args.suite or list(SUITES)
    unknown = [s for s in suites if s not in SUITES]
    if unknown:
        raise SystemExit(f"--suite must be among {', '.join(SUITES)}; got {', '.join(unknown)}")
    print(f"fdcore {fdcore.__version__} bench ({'quick' if args.quick else 'full'}); "
          "median time per call, evaluations of f, max-norm relative error against the analytic answer")
    show = sys.stderr.isatty()
    rows, missing = run(suites, quick=args.quick, progress=show)
    print(reporting.format_table(rows, missing))
    accuracy = problems = None
    if "accuracy" in suites:
        from fdcore.bench import accuracy as accuracy_suite

        problems, accuracy = accuracy_suite.run(progress=stderr_progress if show else None)
        if show:
            stderr_progress("")
        print(accuracy_suite.format_report(problems, accuracy))
    goals = goal_table.evaluate(rows, accuracy, suites)
    print(goal_table.format_goals(goals, args.quick))
    if args.json:
        with open(args.json, "w") as fh:
            report = {"quick": args.quick, "rows": [asdict(r) for r in rows], "missing": missing,
                      "goals": [asdict(g) for g in goals]}
            if accuracy is not None:
                report["accuracy"] = {label: asdict(score) for label, score in accuracy.items()}
            json.dump(report, fh, indent=1)
        print(f"\nwrote {args.json}")
    if args.markdown:
        with open(args.markdown, "w") as fh:
            fh.write(reporting.format_markdown(rows, missing, accuracy, goals, args.quick, problems))
        print(f"wrote {args.markdown}")
    if args.plot:
        try:
            from fdcore.bench.plots import plot_benchmark

            plot_benchmark(rows, args.plot)
            print(f"wrote {args.plot}")
        except ImportError:
            print("python -m fdcore bench: --plot needs matplotlib: pip install '.[bench]'", file=sys.stderr)
            return 2
    return 0
