"""The 'compat' suite of `python -m fdcore bench` (issue 7): the drop-in interfaces against the
libraries they stand in for, on the NumPy Rosenbrock at n = 100 (quick) or 1000 (full), errors
against the analytic gradient.

  ("scipy", n)         fdcore.compat.scipy.approx_derivative against SciPy's, dense '3-point'
  ("numdifftools", n)  fdcore.compat.numdifftools.Gradient against numdifftools.Gradient
  ("statsmodels", n)   fdcore.compat.statsmodels.approx_fprime against statsmodels', centered,
                       beside the floor, the 2n + 1 bare calls of f both make
"""

from fdcore import get_problem
from fdcore.bench.core import Counter, Row, floor_row, rel_error

CASES_QUICK = [("scipy", 100), ("numdifftools", 100), ("statsmodels", 100)]
CASES_FULL = [("scipy", 1000), ("numdifftools", 1000), ("statsmodels", 1000)]


def _scipy_pair():
    from fdcore.compat.scipy import approx_derivative as compat

    try:
        from scipy.optimize._numdiff import (
            approx_derivative,  # SciPy's public approx_fprime calls it
        )
    except ImportError:
        approx_derivative = None
    return [("fdcore.compat.scipy approx_derivative 3-point", lambda f, x: compat(f, x, method="3-point")),
            ("scipy approx_derivative 3-point",
             None if approx_derivative is None else (lambda f, x: approx_derivative(f, x, method="3-point")))]


def _numdifftools_pair():
    from fdcore.compat import numdifftools as compat

    try:
        import numdifftools as nd
    except ImportError:
        nd = None
    return [("fdcore.compat.numdifftools Gradient", lambda f, x: compat.Gradient(f)(x)),
            ("numdifftools Gradient", None if nd is None else (lambda f, x: nd.Gradient(f)(x)))]


def _statsmodels_pair():
    from fdcore.compat.statsmodels import approx_fprime as compat

    try:
        from statsmodels.tools.numdiff import approx_fprime
    except ImportError:
        approx_fprime = None

    return [("fdcore.compat.statsmodels approx_fprime centered", lambda f, x: compat(x, f, centered=True)),
            ("statsmodels approx_fprime centered",
             None if approx_fprime is None else (lambda f, x: approx_fprime(x, f, centered=True)))]


_PAIRS = {"scipy": _scipy_pair, "numdifftools": _numdifftools_pair, "statsmodels": _statsmodels_pair}


def run_case(case, ctx):
    library, n = case
    problem = get_problem("rosenbrock", n)
    x, exact = problem.x0, problem.derivative(problem.x0)
    rows, missing = [], []
    for label, call in _PAIRS[library]():
        if call is None:
            missing.append(label)
            continue
        ctx.progress(f"bench compat: rosenbrock n={n}: {label}")
        counter = Counter(problem.f)
        estimate = call(counter, x)
        rows.append(Row("compat", "rosenbrock", n, label, ctx.time(lambda: call(problem.f, x), max_repeats=5),
                        counter.calls, rel_error(estimate, exact)))
    if library == "statsmodels":  # both make 2n + 1 calls of an f that costs O(n): the floor bounds the gain
        rows.append(floor_row("compat", "rosenbrock", problem.f, x, 2 * n + 1, ctx))
    return rows, missing
