"""The accuracy suite of `python -m fdcore bench`: every method on every scalar problem of the suite.

For each problem (fdcore.problem_suite()) and method the gradient is compared with the analytic
one. Reported per method:
  median rel   median over all components (of the smooth problems, exact component nonzero) of
               |estimate - exact| / |exact|
  max normwise max over the smooth problems of ||estimate - exact||_inf / ||exact||_inf
               (the zero-gradient problem: absolute error)
  evals/coord  evaluations of f per coordinate: median / largest over the problems
  est >= err   for methods with an error estimate, the share of components whose estimate is at
               least the true error, and the median of estimate / true error
"""

from dataclasses import dataclass, field

import numpy as np

import fdcore
from fdcore import problem_suite
from fdcore.bench.core import Counter


@dataclass
class MethodScore:
    method: str
    short: str
    componentwise: list = field(default_factory=list)
    normwise: dict = field(default_factory=dict)  # problem name -> normwise error
    evals_per_coordinate: float = 0.0
    evals_per_problem: dict = field(default_factory=dict)  # problem name -> evaluations / coordinate
    covered: int = 0
    estimated: int = 0
    ratios: list = field(default_factory=list)
    skipped: list = field(default_factory=list)


def _methods():
    """(label, short label, function(problem, f) -> (estimate, error or None) or None) per method."""
    methods = [
        ("fdcore central (default)", "central", lambda p, f: (fdcore.gradient(f, p.x0), None)),
        ("fdcore richardson=True", "accurate", lambda p, f: _fd_full(f, p.x0, richardson=True)),
        ("fdcore order=6", "order=6", lambda p, f: _fd_full(f, p.x0, order=6)),
        ("fdcore step='adaptive'", "adaptive", lambda p, f: _fd_full(f, p.x0, step="adaptive")),
        ("fdcore method='complex'", "complex", lambda p, f: _fd_full(f, p.x0, method="complex") if p.analytic else None),
    ]
    try:
        from scipy.optimize._numdiff import (
            approx_derivative,  # SciPy's public approx_fprime calls it
        )
    except ImportError:
        approx_derivative = None
    if approx_derivative is not None:
        methods.append(("scipy approx_derivative 3-point", "scipy 3-pt", lambda p, f: (approx_derivative(f, p.x0, method="3-point"), None)))
    try:
        import scipy.differentiate as sd
    except ImportError:
        sd = None
    if sd is not None:

        def differentiate(p, f):
            def columns(X):
                flat = X.reshape(X.shape[0], -1)
                return np.array([f(flat[:, k]) for k in range(flat.shape[1])]).reshape(X.shape[1:])

            r = sd.jacobian(columns, p.x0)
            return r.df, r.error

        methods.append(("scipy.differentiate.jacobian", "sp.differ.", differentiate))
    try:
        import numdifftools as nd
    except ImportError:
        nd = None
    if nd is not None:

        def numdifftools(p, f):
            result = nd.Gradient(f, full_output=True)(p.x0)
            return result.estimate, result.error_estimate

        methods.append(("numdifftools Gradient", "numdifftools", numdifftools))
    return methods


def _fd_full(f, x, **options):
    r = fdcore.gradient(f, x, full_output=True, **options)
    return r.value, r.error


def run(progress=None):
    """Score every available method on the scalar problem suite; returns {label: MethodScore}."""
    import warnings

    problems = problem_suite()
    scores = {}
    for label, short, method in _methods():
        score = scores.setdefault(label, MethodScore(label, short))
        for p in problems:
            if progress:
                progress(f"bench accuracy: {label}: {p.name}")
            counter = Counter(p.f)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    result = method(p, counter)
                except Exception:  # noqa: BLE001 - a peer failing on a problem is reported, not fatal
                    result = None
            if result is None:
                score.skipped.append(p.name)
                continue
            estimate, error = result
            estimate = np.asarray(estimate, dtype=np.float64).reshape(-1)
            exact = p.derivative(p.x0)
            err = np.abs(estimate - exact)
            scale = np.max(np.abs(exact))
            score.evals_per_coordinate = max(score.evals_per_coordinate, counter.calls / p.n)
            score.evals_per_problem[p.name] = counter.calls / p.n
            if not p.smooth:
                continue
            score.normwise[p.name] = float(np.max(err) / (scale if scale > 0 else 1.0))
            nonzero = exact != 0
            score.componentwise += list(err[nonzero] / np.abs(exact[nonzero]))
            if error is not None:
                error = np.broadcast_to(np.asarray(error, dtype=np.float64).reshape(-1), err.shape)
                score.estimated += err.size
                score.covered += int(np.sum(error >= err))
                positive = err > 0
                score.ratios += list(error[positive] / err[positive])
    return problems, scores


_SUMMARY_HEADER = ["method", "median rel", "max normwise", "evals/coord med / max", "est >= err", "est/err median", "skipped"]


def _summary_cells(s):
    """One method's summary line (the columns of _SUMMARY_HEADER) as strings."""
    return [s.method,
            f"{np.median(s.componentwise):.1e}" if s.componentwise else "-",
            f"{max(s.normwise.values()):.1e}" if s.normwise else "-",
            f"{np.median(list(s.evals_per_problem.values())):.1f} / {s.evals_per_coordinate:.1f}",
            f"{100 * s.covered / s.estimated:.1f}%" if s.estimated else "-",
            f"{np.median(s.ratios):.1f}" if s.ratios else "-",
            ", ".join(s.skipped) if len(s.skipped) <= 3 else f"{len(s.skipped)} problems"]


def _text_line(cells):
    *columns, skipped = cells
    return " ".join(c.ljust(w) if k == 0 else c.rjust(w)
                    for k, (c, w) in enumerate(zip(columns, (34, 10, 12, 21, 10, 14)))) + "  " + skipped


def format_markdown(scores):
    """The summary table as Markdown (for `python -m fdcore bench --markdown`)."""
    from fdcore.bench.report import markdown_table

    return markdown_table(_SUMMARY_HEADER, [_summary_cells(s) for s in scores.values()], numeric=range(1, 6))


def format_report(problems, scores):
    lines = [
        f"\n== accuracy: gradients on the {len(problems)} scalar problems of fdcore.problem_suite() ==",
        "(relative errors against the analytic gradient; see fdcore/bench/accuracy.py for definitions)",
    ]
    header = _text_line(_SUMMARY_HEADER)
    lines += [header, "-" * len(header)]
    lines += [_text_line(_summary_cells(s)).rstrip() for s in scores.values()]
    labels = list(scores)
    lines.append("\nmax-norm relative error per problem:")
    lines.append(f"{'problem':<28} {'n':>5} " + " ".join(f"{scores[label].short:>12}" for label in labels))
    for p in problems:
        if not p.smooth:
            continue
        cells = [scores[label].normwise.get(p.name) for label in labels]
        lines.append(f"{p.name:<28} {p.n:>5} " + " ".join(f"{c:>12.1e}" if c is not None else f"{'-':>12}" for c in cells))
    return "\n".join(lines)
