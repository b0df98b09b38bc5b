"""`python -m fdcore bench`: fdcore against its peers on the built-in problems, in one run.

Every case is one problem at one n. Each method (fdcore, the plain NumPy loop, SciPy, numdifftools
when installed) is timed in the same process, one after the other; the table reports the median
time, the number of evaluations of f (counted in a separate, untimed call), the error against the
analytic answer (max-norm relative error ||est - exact|| / ||exact||) and the time relative to
fdcore's. Peers that are not installed are left out of the table, and the table says so.
"""

import json
import sys
import time
from dataclasses import asdict, dataclass
from statistics import median

import numpy as np

import fdcore
from fdcore import _bench_compiled
from fdcore._problems import get_problem


# ---------------------------------------------------------------------------------------------
# Peers: each maker takes (f, x) and returns a zero-argument callable computing the estimate,
# or None when the peer is not installed.
# ---------------------------------------------------------------------------------------------

def _numpy_loop_gradient(f, x):
    """The textbook loop: copy x per evaluation, central difference with fdcore's default step."""
    h = np.finfo(float).eps ** (1 / 3) * np.maximum(1.0, np.abs(x))

    def run():
        g = np.empty_like(x)
        for i in range(x.shape[0]):
            xp = x.copy()
            xp[i] += h[i]
            xm = x.copy()
            xm[i] -= h[i]
            g[i] = (f(xp) - f(xm)) / (2 * h[i])
        return g

    return run


def _numpy_loop_jacobian(f, x):
    h = np.finfo(float).eps ** (1 / 3) * np.maximum(1.0, np.abs(x))

    def run():
        cols = []
        for i in range(x.shape[0]):
            xp = x.copy()
            xp[i] += h[i]
            xm = x.copy()
            xm[i] -= h[i]
            cols.append((f(xp) - f(xm)) / (2 * h[i]))
        return np.stack(cols, axis=1)

    return run


def _numpy_loop_hessian(f, x):
    """The textbook four-corner central stencil: 4 evaluations per entry of the upper triangle."""
    h = np.finfo(float).eps ** (1 / 4) * np.maximum(1.0, np.abs(x))

    def point(i, si, j, sj):
        p = x.copy()
        p[i] += si * h[i]
        p[j] += sj * h[j]
        return f(p)

    def run():
        n = x.shape[0]
        H = np.empty((n, n))
        for i in range(n):
            for j in range(i, n):
                H[i, j] = H[j, i] = (
                    point(i, 1, j, 1) - point(i, 1, j, -1) - point(i, -1, j, 1) + point(i, -1, j, -1)
                ) / (4 * h[i] * h[j])
        return H

    return run


def _scipy_approx_fprime(f, x):
    try:
        from scipy.optimize import approx_fprime
    except ImportError:
        return None
    return lambda: approx_fprime(x, f)


def _scipy_approx_derivative(f, x):
    try:
        from scipy.optimize._numdiff import approx_derivative  # SciPy's public approx_fprime calls it
    except ImportError:
        return None
    return lambda: approx_derivative(f, x, method="3-point")


def _numdifftools(kind):
    def make(f, x):
        try:
            import numdifftools as nd
        except ImportError:
            return None
        estimator = getattr(nd, kind)(f)
        return lambda: estimator(x)

    return make


def _fdcore(kind, **options):
    function = {"gradient": fdcore.gradient, "jacobian": fdcore.jacobian, "hessian": fdcore.hessian}[kind]
    return lambda f, x: (lambda: function(f, x, **options))


_NUMPY_LOOP = {"gradient": _numpy_loop_gradient, "jacobian": _numpy_loop_jacobian, "hessian": _numpy_loop_hessian}
# Methods per (suite, kind): the first is the fdcore row the ratios refer to; "floor" is replaced
# by bare calls of f as many as that fdcore row spends.
_METHODS = {
    ("gradient", "gradient"): [
        ("fdcore gradient", _fdcore("gradient")),
        ("floor", None),
        ("numpy loop", _numpy_loop_gradient),
        ("scipy approx_fprime", _scipy_approx_fprime),
        ("scipy approx_derivative 3-point", _scipy_approx_derivative),
        ("numdifftools Gradient", _numdifftools("Gradient")),
    ],
    ("jacobian", "jacobian"): [
        ("fdcore jacobian", _fdcore("jacobian")),
        ("floor", None),
        ("numpy loop", _numpy_loop_jacobian),
        ("scipy approx_derivative 3-point", _scipy_approx_derivative),
        ("numdifftools Jacobian", _numdifftools("Jacobian")),
    ],
    ("hessian", "hessian"): [
        ("fdcore hessian", _fdcore("hessian")),
        ("floor", None),
        ("numpy loop (4-corner stencil)", _numpy_loop_hessian),
        ("numdifftools Hessian", _numdifftools("Hessian")),
    ],
    ("accurate", "gradient"): [
        ("fdcore gradient richardson=True", _fdcore("gradient", richardson=True)),
        ("fdcore gradient order=6", _fdcore("gradient", order=6)),
        ("fdcore gradient method='complex'", _fdcore("gradient", method="complex")),
        ("scipy approx_derivative 3-point", _scipy_approx_derivative),
        ("numdifftools Gradient", _numdifftools("Gradient")),
    ],
    ("accurate", "hessian"): [
        ("fdcore hessian richardson=True", _fdcore("hessian", richardson=True)),
        ("fdcore hessian richardson=2", _fdcore("hessian", richardson=2)),
        ("fdcore hessian method='complex'", _fdcore("hessian", method="complex")),
        ("numdifftools Hessian", _numdifftools("Hessian")),
    ],
}

# (kind, problem, n) per suite; --quick uses the first table.
_CASES_QUICK = {
    "gradient": [("gradient", "rosenbrock", 10), ("gradient", "rosenbrock", 100),
                 ("gradient", "rosenbrock", 1000), ("gradient", "extended_powell", 100)],
    "jacobian": [("jacobian", "broyden_tridiagonal", 100)],
    "hessian": [("hessian", "rosenbrock", 20), ("hessian", "dense_quadratic", 20)],
    "accurate": [("gradient", "rosenbrock", 100), ("hessian", "rosenbrock", 10)],
    "accuracy": [],
    "compiled": _bench_compiled.CASES_QUICK,
    "overhead": [("gradient", "trivial", 1000)],
}
_CASES_FULL = {
    "gradient": [("gradient", "rosenbrock", n) for n in (10, 100, 1000, 10000)]
    + [("gradient", "extended_powell", 100), ("gradient", "dense_quadratic", 100)],
    "jacobian": [("jacobian", "broyden_tridiagonal", 100), ("jacobian", "broyden_tridiagonal", 1000)],
    "hessian": [("hessian", "rosenbrock", 50), ("hessian", "extended_powell", 40), ("hessian", "dense_quadratic", 50)],
    "accurate": [("gradient", "rosenbrock", 1000), ("gradient", "extended_powell", 1000), ("hessian", "rosenbrock", 50)],
    "accuracy": [],
    "compiled": _bench_compiled.CASES_FULL,
    "overhead": [("gradient", "trivial", 1000), ("gradient", "trivial", 100000)],
}
SUITES = tuple(_CASES_FULL)
# numdifftools spends ~30 evaluations per coordinate (per pair for Hessians): cap its n.
_SLOW_PEER_MAX_N = {"gradient": 1000, "jacobian": 1000, "hessian": 50}
_SLOW_PEER_MAX_N_QUICK = {"gradient": 100, "jacobian": 100, "hessian": 20}


@dataclass
class Row:
    suite: str
    problem: str
    n: int
    method: str
    median_s: float
    nfev: int
    max_rel_error: float
    ratio_to_fdcore: float = float("nan")


class _Counter:
    """Wraps f and counts its calls (used only in the untimed counting run)."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x, *args):
        self.calls += 1
        return self.f(x, *args)


def _median_time(fn, min_time, repeats):
    """Median over ``repeats`` of the mean time per call, each repeat lasting >= ``min_time``."""
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    number = max(1, int(min_time / max(once, 1e-9)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return median(samples)


def _rel_error(estimate, exact):
    scale = np.max(np.abs(exact))
    return float(np.max(np.abs(np.asarray(estimate) - exact)) / (scale if scale > 0 else 1.0))


def _progress(text, enabled):
    if enabled:
        sys.stderr.write("\r\033[K" + text[:100])
        sys.stderr.flush()


def _run_derivative_case(suite, kind, name, n, quick, timing, progress):
    problem = get_problem(name, n)
    x, f = problem.x0, problem.f
    exact = problem.hessian(x) if kind == "hessian" else problem.derivative(x)
    cap = (_SLOW_PEER_MAX_N_QUICK if quick else _SLOW_PEER_MAX_N)[kind]
    rows, missing = [], []
    for label, make in _METHODS[suite, kind]:
        if label == "floor":
            rows.append(_floor_row(suite, name, f, x, rows[0].nfev, timing))
            continue
        if "numdifftools" in label and n > cap:
            continue
        counter = _Counter(f)
        counted = make(counter, x)
        if counted is None:
            missing.append(label)
            continue
        _progress(f"bench {suite}: {name} n={n}: {label}", progress)
        try:
            estimate = counted()
        except TypeError:  # method='complex' on a function that is not complex-analytic
            continue
        rows.append(Row(suite, name, n, label, _median_time(make(f, x), *timing), counter.calls,
                        _rel_error(estimate, exact)))
    return rows, missing


def _floor_row(suite, name, f, x, calls, timing):
    """The time of ``calls`` bare calls of f from a Python loop: what any driver must pay."""

    def bare():
        for _ in range(calls):
            f(x)

    return Row(suite, name, x.shape[0], f"floor: {calls} bare calls of f", _median_time(bare, *timing), calls, float("nan"))


def _run_overhead_case(n, timing, progress):
    """Driver overhead on f = lambda x: x[0]: fdcore and SciPy against 2n bare calls of f."""
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
        methods += [("numpy loop", _numpy_loop_gradient), ("scipy approx_derivative 3-point", _scipy_approx_derivative)]
    rows, missing = [], []
    for label, make in methods:
        counter = _Counter(f)
        counted = make(counter, x)
        if counted is None:
            missing.append(label)
            continue
        _progress(f"bench overhead: n={n}: {label}", progress)
        estimate = counted()
        calls = 2 * n if estimate is None else counter.calls
        err = float("nan") if estimate is None else _rel_error(estimate, exact)
        rows.append(Row("overhead", "x[0]", n, label, _median_time(make(f, x), *timing), calls, err))
    floor = rows[0].median_s
    for row in rows[1:]:
        row.method += f" ({(row.median_s - floor) / row.nfev * 1e9:.0f} ns/eval over floor)"
    return rows, missing


def run(suites=SUITES, quick=False, progress=True):
    """Run the benchmark suites; return (rows, labels of peers that are not installed)."""
    timing = (0.02, 3) if quick else (0.2, 7)
    cases = _CASES_QUICK if quick else _CASES_FULL
    rows, missing = [], set()
    for suite in suites:
        for kind, name, n in cases[suite]:
            if suite == "overhead":
                case_rows, case_missing = _run_overhead_case(n, timing, progress)
            elif suite == "compiled":
                case_rows = _bench_compiled.run_case(kind, name, n, timing, lambda t: _progress(t, progress),
                                                     Row, _median_time, _rel_error)
                case_missing = [] if any("numba" in r.method for r in case_rows) or kind != "gradient" \
                    or name != "rosenbrock" else ["numba njit loop"]
            else:
                case_rows, case_missing = _run_derivative_case(suite, kind, name, n, quick, timing, progress)
            fd = next(r for r in case_rows if r.method.startswith("fdcore"))
            for r in case_rows:
                r.ratio_to_fdcore = r.median_s / fd.median_s
            rows += case_rows
            missing.update(case_missing)
    _progress("", progress)
    return rows, sorted(missing)


def _format_time(seconds):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:8.3f} {unit}"
    return f"{seconds / 1e-9:8.1f} ns"


def format_table(rows, missing=()):
    """The rows as plain-text tables, one per suite."""
    lines = []
    for suite in dict.fromkeys(r.suite for r in rows):
        lines.append(f"\n== {suite} ==")
        header = f"{'problem':<20} {'n':>6}  {'method':<58} {'median':>11} {'evals':>8} {'max rel err':>11} {'time/fdcore':>11}"
        lines += [header, "-" * len(header)]
        for r in (r for r in rows if r.suite == suite):
            err = "-" if np.isnan(r.max_rel_error) else f"{r.max_rel_error:.1e}"
            lines.append(
                f"{r.problem:<20} {r.n:>6}  {r.method:<58} {_format_time(r.median_s):>11} {r.nfev:>8} "
                f"{err:>11} {r.ratio_to_fdcore:>10.2f}x"
            )
    if missing:
        lines.append(f"\nnot installed (skipped): {', '.join(missing)}  (pip install '.[bench]')")
    return "\n".join(lines)


def main(args):
    suites = args.suite or list(SUITES)
    unknown = [s for s in suites if s not in SUITES]
    if unknown:
        raise SystemExit(f"--suite must be among {', '.join(SUITES)}; got {', '.join(unknown)}")
    print(f"fdcore {fdcore.__version__} bench ({'quick' if args.quick else 'full'}); "
          "median time per call, evaluations of f, max-norm relative error against the analytic answer")
    show = sys.stderr.isatty()
    rows, missing = run([s for s in suites if s != "accuracy"], quick=args.quick, progress=show)
    print(format_table(rows, missing))
    accuracy = None
    if "accuracy" in suites:
        from fdcore import _bench_accuracy

        problems, accuracy = _bench_accuracy.run(progress=lambda text: _progress(text, show))
        _progress("", show)
        print(_bench_accuracy.format_report(problems, accuracy))
    if args.json:
        with open(args.json, "w") as fh:
            report = {"quick": args.quick, "rows": [asdict(r) for r in rows], "missing": missing}
            if accuracy is not None:
                report["accuracy"] = {label: asdict(score) for label, score in accuracy.items()}
            json.dump(report, fh, indent=1)
        print(f"\nwrote {args.json}")
    if args.plot:
        try:
            from fdcore._plots import plot_benchmark

            plot_benchmark(rows, args.plot)
            print(f"wrote {args.plot}")
        except ImportError:
            print("--plot needs matplotlib: pip install '.[bench]'")
            return 1
    return 0
