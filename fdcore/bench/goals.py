"""The performance goals of the project's issues, checked against the rows of one bench run.

Each goal names the suite, problem and n it is measured at and computes its figure from the rows
of that case (ratios of median times measured in the same run, evaluation counts, errors, traced
memory). Status:

  MET / NOT MET                   measured at the goal's n in this run
  reported                        a figure without a threshold
  quick sizes: not the goal's n   the suite ran at other sizes (--quick): the figure at the
                                  largest n that has the rows
  not run (...)                   the suite did not run, or a peer the goal needs is missing

"Equal accuracy" allows the max-norm relative error to be up to ACCURACY_FACTOR times the peer's
(errors of the same size, not merely the same order); timing-based statuses of a --quick run rest on short timings.
"""

import math
from dataclasses import dataclass
from statistics import median
from typing import Callable

import numpy as np

from fdcore.bench.accuracy import ACCURATE
from fdcore.bench.report import format_time, markdown_table

ACCURACY_FACTOR = 2.0


@dataclass
class GoalResult:
    key: str
    goal: str
    figure: str
    status: str


@dataclass(frozen=True)
class Goal:
    key: str
    text: str
    suite: str
    problem: str  # the rows' problem column
    n: int
    # measure(pick) -> (figure, True / False, or None for a figure without a threshold); the
    # accuracy suite's goal gets the suite's scores instead of pick
    measure: Callable


class _MissingRow(LookupError):
    """No row of the case has a method starting with this label."""


def _picker(rows, suite, problem, n):
    """pick(prefix, at=n): the row of the case whose method starts with ``prefix``."""

    def pick(prefix, at=n):
        for r in rows:
            if r.suite == suite and r.problem == problem and r.n == at and r.method.startswith(prefix):
                return r
        raise _MissingRow(prefix)

    return pick


# --- measures -------------------------------------------------------------------------------

def _faster(fast, slow, minimum, accuracy=False):
    """The ``fast`` row >= ``minimum`` times faster than the ``slow`` one (and equally accurate)."""

    def measure(pick):
        a, b = pick(fast), pick(slow)
        speedup = b.median_s / a.median_s
        figure = f"{format_time(a.median_s)} vs {format_time(b.median_s)}: speedup {speedup:.2f}x"
        met = speedup >= minimum
        if accuracy:
            figure += f"; error {a.max_rel_error:.1e} vs {b.max_rel_error:.1e}"
            met = met and a.max_rel_error <= ACCURACY_FACTOR * b.max_rel_error
        return figure, met

    return measure


def _faster_than_peer_and_floor(fast, slow, floor, minimum):
    """As `_faster`, with both rows against the ``floor`` row (the same number of bare calls of f
    from a Python loop): where the slow row is itself within ``minimum`` of the floor, f's own
    cost leaves too little to gain."""

    against_peer = _faster(fast, slow, minimum)

    def measure(pick):
        figure, met = against_peer(pick)
        a, b, c = pick(fast), pick(slow), pick(floor)
        return (f"{figure}; the floor {format_time(c.median_s)}: fdcore.compat at {a.median_s / c.median_s:.2f}x "
                f"of it, the peer at {b.median_s / c.median_s:.2f}x"), met

    return measure


def _within(row, reference, factor):
    """The ``row`` takes at most ``factor`` times the ``reference`` row's time."""

    def measure(pick):
        a, b = pick(row), pick(reference)
        ratio = a.median_s / b.median_s
        return f"{format_time(a.median_s)} = {ratio:.2f}x of '{b.method}' ({format_time(b.median_s)})", ratio <= factor

    return measure


def _overhead(pick):
    fd, floor = pick("fdcore gradient"), pick("floor")
    ns = (fd.median_s - floor.median_s) / fd.nfev * 1e9
    return f"{ns:.0f} ns per evaluation over the floor", ns <= 1000


def _accurate_hessian(pick):
    fd, nd = pick("fdcore hessian richardson=True"), pick("numdifftools Hessian")
    speedup = nd.median_s / fd.median_s
    return (f"error {fd.max_rel_error:.1e}; {format_time(fd.median_s)} vs {format_time(nd.median_s)}: "
            f"speedup {speedup:.1f}x"), fd.max_rel_error <= 1e-9 and speedup >= 50


def _compiled_hessian(pick):
    two, python = pick("fdcore compiled hessian, 2 threads"), pick("fdcore Python path hessian")
    return f"{format_time(two.median_s)}; the Python path takes {python.median_s / two.median_s:.1f}x as long", None


def _batch_memory(pick):
    r = pick("fdcore gradient vectorized=True, f = einsum")
    budget = r.facts["budget_bytes"]
    extra = (r.peak_bytes - budget) / (8 * r.n)
    return (f"peak {r.peak_bytes / 2**20:.1f} MiB = budget {budget / 2**20:.0f} MiB + {extra:.1f} n-vectors",
            r.peak_bytes <= budget + 64 * 8 * r.n)


def _check_directions(pick):
    r = pick("fdcore check_grad directions (")
    vectors = r.facts["vectors"]
    return (f"{r.nfev} evaluations, {vectors:.2f} n-vectors, {'passed' if r.facts['passed'] else 'FAILED'}, "
            f"{format_time(r.median_s)}"), r.nfev <= 40 and vectors <= 4.05 and r.facts["passed"]


def _check_localised(pick):
    r = pick("fdcore check_grad directions, one wrong")
    return f"{r.nfev} evaluations, {r.note}, {format_time(r.median_s)}", r.nfev <= 200 and r.facts["localised"]


def _sparse_jacobian(pick):
    r = pick("fdcore jacobian sparsity=")
    per_nonzero = r.peak_bytes / r.facts["nnz"]
    figure = f"{r.nfev} evaluations, peak {r.peak_bytes / 2**20:.1f} MiB = {per_nonzero:.0f} bytes per nonzero"
    try:
        smaller = pick("fdcore jacobian sparsity=", at=r.n // 10)
    except _MissingRow:
        return figure + " (O(nnz) needs the n/10 row to compare)", None
    smaller_per_nonzero = smaller.peak_bytes / smaller.facts["nnz"]
    figure += f" ({smaller_per_nonzero:.0f} at n={smaller.n})"
    return figure, r.nfev <= 8 and per_nonzero <= 1.5 * smaller_per_nonzero


def _sparse_hessian(pick):
    r = pick("fdcore hessian(None, x, grad=g, sparsity=)")
    colours = r.facts["colours"]
    return f"{r.nfev} gradient evaluations, {colours} colours", r.nfev <= 2 * colours


def _accuracy_suite(scores):
    """G3c from the accuracy suite's gradient scores of fdcore richardson=True (per-case errors:
    the worst component's relative error, see fdcore.bench.accuracy)."""
    s = scores["fdcore richardson=True"]
    median_err, worst = s.median_error(), s.max_error()
    evals = median(s.evals.values())
    covered = s.covered / s.estimated
    figure = (f"median {median_err:.1e}, max {worst:.1e} (per case), {evals:.1f} evaluations/coordinate "
              f"(median; max {max(s.evals.values()):.1f}), estimate >= error for {100 * covered:.1f}%")
    return figure, median_err <= 1e-12 and worst <= 1e-9 and evals <= 8 and covered >= 0.95


def _against_peers(label, median_bound, evals_bound, evals_max=None):
    """The accurate mode against the best peer per case (the peers: every scored method not
    labelled 'fdcore'): median per-case error, cases above 1e-9 where a peer reaches it or more
    than 10x the best peer where none does, NaN cases, evaluations (per coordinate or entry)."""

    def measure(scores):
        if label not in scores:
            return f"not scored (no '{label}' in this run)", None
        ours = scores[label]
        peers = [s for name, s in scores.items() if not name.startswith("fdcore") and s.kind == ours.kind]
        behind = []
        for case, error in ours.errors.items():
            best = min((s.errors[case] for s in peers if case in s.errors and not math.isnan(s.errors[case])),
                       default=math.nan)
            if math.isnan(error) or (best <= ACCURATE and error > ACCURATE) or (best > ACCURATE and error > 10 * best):
                behind.append(f"{case} {error:.1e} (best peer {best:.1e})")
        evals = list(ours.evals.values())
        met = (ours.median_error() <= median_bound and not behind and median(evals) <= evals_bound
               and (evals_max is None or max(evals) <= evals_max))
        figure = (f"median {ours.median_error():.1e}; behind the best peer on {len(behind)} of {len(ours.errors)} cases"
                  f"{': ' + ', '.join(behind) if behind else ''}; {ours.nan_cases()} NaN; evaluations median "
                  f"{median(evals):.1f}, max {max(evals):.1f}")
        return figure, met

    return measure


def _coverage_per_class(label):
    """Share of components whose error estimate >= the true error, in every tag class (>= 95%),
    and the median estimate / true error (<= 1e3)."""

    def measure(scores):
        if label not in scores:
            return f"not scored (no '{label}' in this run)", None
        s = scores[label]
        short = {tag: c / e for tag, (c, e) in s.coverage.items() if e and c / e < 0.95}
        ratio = float(np.median(s.ratios)) if s.ratios else math.nan
        figure = (f"classes under 95%: {', '.join(f'{t} {100 * v:.0f}%' for t, v in short.items()) or 'none'}; "
                  f"median estimate / true error {ratio:.0f}")
        return figure, not short and ratio <= 1e3

    return measure


GOALS = [
    Goal("G2a", "rosen gradient n=1000, Python f: within 1.05x of the floor (2n bare calls)",
         "gradient", "rosenbrock", 1000, _within("fdcore gradient", "floor", 1.05)),
    Goal("G2b", "rosen gradient n=1000: >= 1.5x faster than SciPy approx_derivative 3-point, equal accuracy",
         "gradient", "rosenbrock", 1000,
         _faster("fdcore gradient", "scipy approx_derivative 3-point", 1.5, accuracy=True)),
    Goal("G2c", "driver overhead, f = x[0], n=1000: <= 1 us per evaluation", "overhead", "x[0]", 1000, _overhead),
    Goal("G3a", "accurate gradient (richardson=True) n=1000: >= 10x faster than numdifftools.Gradient, equal accuracy",
         "accurate", "rosenbrock", 1000,
         _faster("fdcore gradient richardson=True", "numdifftools Gradient", 10, accuracy=True)),
    Goal("G3b", "accurate Hessian n=50: error <= 1e-9, >= 50x faster than numdifftools.Hessian",
         "accurate", "rosenbrock", 50, _accurate_hessian),
    Goal("G3c", "accurate mode on the problem suite: median error <= 1e-12, max <= 1e-9, <= 8 evaluations/"
         "coordinate, estimate >= error for >= 95%", "accuracy", "", 0, _accuracy_suite),
    Goal("G3d", "accurate gradient vs the peers, per case: median <= 1e-13; <= 1e-9 where a peer reaches it, "
         "else within 10x of the best; no NaN; <= 8 evaluations/coordinate median, <= 24 max", "accuracy", "", 0,
         _against_peers("fdcore richardson=True", 1e-13, 8, 24)),
    Goal("G3e", "accurate Hessian vs the peers, per case: median <= 1e-11; within 10x of the best peer; no NaN; "
         "<= 10 evaluations per unique entry median", "accuracy", "", 0,
         _against_peers("fdcore hessian richardson=True", 1e-11, 10)),
    Goal("G3f", "accurate gradient error estimates: >= the true error for >= 95% of components in every class, "
         "median estimate / true error <= 1e3", "accuracy", "", 0, _coverage_per_class("fdcore richardson=True")),
    Goal("G3g", "accurate Hessian error estimates: as G3f", "accuracy", "", 0,
         _coverage_per_class("fdcore hessian richardson=True")),
    Goal("G4a", "compiled rosen n=1000, 1 thread: within 1.15x of a numba njit loop",
         "compiled", "rosenbrock", 1000, _within("fdcore compiled, 1 thread", "numba njit loop", 1.15)),
    Goal("G4b", "compiled rosen n=1000: 2 threads >= 1.7x faster than 1", "compiled", "rosenbrock", 1000,
         _faster("fdcore compiled, 2 threads", "fdcore compiled, 1 thread", 1.7)),
    Goal("G4c", "compiled rosen n=1000, 1 thread: >= 10x faster than the Python-callable path",
         "compiled", "rosenbrock", 1000, _faster("fdcore compiled, 1 thread", "fdcore Python path", 10)),
    Goal("G4d", "accurate mode compiled n=1000 (2 threads): >= 100x faster than numdifftools.Gradient",
         "compiled", "rosenbrock", 1000,
         _faster("fdcore compiled richardson=True", "numdifftools Gradient", 100)),
    Goal("G4e", "compiled Hessian n=200, 2 threads: time and ratio to the Python path",
         "compiled", "rosenbrock", 200, _compiled_hessian),
    Goal("G5a", "vectorized rosen n=100: >= 10x faster than the Python path", "vectorized", "rosen", 100,
         _faster("fdcore gradient vectorized=True", "fdcore gradient (Python f", 10)),
    Goal("G5b", "vectorized gradient n=3000: peak memory <= batch budget + O(n) (64 n-vectors)",
         "vectorized", "sum of squares", 3000, _batch_memory),
    Goal("G5c", "expensive f (~5 ms), n=64: workers=2 >= 1.7x faster than serial",
         "workers", "expensive (~5 ms at n=64)", 64,
         _faster("fdcore gradient workers=2", "fdcore gradient, serial", 1.7)),
    Goal("G5c-dask", "expensive f (~5 ms), n=64: dask LocalCluster, 2 workers >= 1.5x faster than serial",
         "workers", "expensive (~5 ms at n=64)", 64,
         _faster("fdcore gradient workers=dask", "fdcore gradient, serial", 1.5)),
    Goal("G6a", "check_grad n=10^7, 8 probes: <= 40 evaluations, <= 4 extra n-vectors, passes",
         "checking", "x.x + sum(sin x)", 10**7, _check_directions),
    Goal("G6b", "check_grad n=10^7: one wrong coordinate localised with <= 200 evaluations",
         "checking", "x.x + sum(sin x)", 10**7, _check_localised),
    Goal("G7a", "compat.scipy.approx_derivative n=1000, dense 3-point: >= 1.5x faster than SciPy",
         "compat", "rosenbrock", 1000,
         _faster("fdcore.compat.scipy", "scipy approx_derivative 3-point", 1.5)),
    Goal("G7b", "compat.numdifftools.Gradient n=1000: >= 10x faster than numdifftools, equal accuracy",
         "compat", "rosenbrock", 1000,
         _faster("fdcore.compat.numdifftools", "numdifftools Gradient", 10, accuracy=True)),
    Goal("G7d", "compat.statsmodels.approx_fprime centered n=1000: >= 1.5x faster than statsmodels",
         "compat", "rosenbrock", 1000, _faster_than_peer_and_floor("fdcore.compat.statsmodels",
                                                                  "statsmodels approx_fprime", "floor: ", 1.5)),
    Goal("G7c", "tridiagonal Jacobian n=10^5: <= 8 evaluations, memory O(nnz) (bytes per nonzero vs n/10)",
         "sparse", "tridiagonal jacobian", 10**5, _sparse_jacobian),
    Goal("G7c-hess", "banded Hessian n=10^4 from a gradient: <= 2 x colours gradient evaluations",
         "sparse", "banded hessian", 10**4, _sparse_hessian),
]


def _status(met):
    return "reported" if met is None else "MET" if met else "NOT MET"


def _evaluate(goal, rows, suites):
    sizes = sorted({r.n for r in rows if r.suite == goal.suite and r.problem == goal.problem}, reverse=True)
    if goal.n in sizes:
        sizes.remove(goal.n)
        sizes.insert(0, goal.n)
    for n in sizes:
        try:
            figure, met = goal.measure(_picker(rows, goal.suite, goal.problem, n))
        except _MissingRow as missing:
            if n == goal.n:
                return GoalResult(goal.key, goal.text, "-", f"not run (no '{missing}' row: not installed?)")
            continue
        if n != goal.n:
            return GoalResult(goal.key, goal.text, f"n={n}: {figure}", "quick sizes: not the goal's n")
        return GoalResult(goal.key, goal.text, figure, _status(met))
    needs = "a full run" if goal.suite in suites else f"--suite {goal.suite} or a full run"
    return GoalResult(goal.key, goal.text, "-", f"not run (needs {needs})")


def evaluate(rows, accuracy, suites):
    """GoalResult per goal from this run's rows, the accuracy suite's scores (None if it did not
    run) and the names of the suites that ran. A --quick run is told apart by its sizes."""
    results = []
    for goal in GOALS:
        if goal.suite != "accuracy":
            results.append(_evaluate(goal, rows, suites))
        elif accuracy is None:
            results.append(GoalResult(goal.key, goal.text, "-", "not run (needs --suite accuracy or a full run)"))
        else:
            figure, met = goal.measure(accuracy)
            results.append(GoalResult(goal.key, goal.text, figure, _status(met)))
    return results


_LEGEND = ("ratios of median times from this run; 'equal accuracy': error at most "
           f"{ACCURACY_FACTOR:g}x the peer's")
_QUICK_LEGEND = "--quick: short timings, and most goals are measured at other sizes"


def format_goals(results, quick):
    """The goals section of the plain-text report."""
    lines = ["\n== performance goals ==", f"({_LEGEND}{'; ' + _QUICK_LEGEND if quick else ''})"]
    key_width = max(len(r.key) for r in results)
    status_width = max(len(r.status) for r in results)
    for r in results:
        measured = "" if r.figure == "-" else f"  |  {r.figure}"
        lines.append(f"{r.key:<{key_width}}  {r.status:<{status_width}}  {r.goal}{measured}")
    return "\n".join(lines)


def format_markdown(results, quick):
    legend = f"({_LEGEND}{'; ' + _QUICK_LEGEND if quick else ''})"
    return markdown_table(["id", "goal", "measured", "status"],
                          [[r.key, r.goal, r.figure, r.status] for r in results]) + "\n\n" + legend
