"""The 'compat' suite of `python -m fdcore bench` (issue 7): the drop-in interfaces against the
libraries they stand in for, on the NumPy Rosenbrock at n = 100 (quick) or 1000 (full), errors
against the analytic gradient.

  ("scipy", n)         fdcore.compat.scipy.approx_derivative against SciPy's, dense '3-point'
  ("numdifftools", n)  fdcore.compat.numdifftools.Gradient against numdifftools.Gradient
"""

from fdcore import get_problem
from fdcore.bench.core import Counter, Row, rel_error

CASES_QUICK = [("scipy", 100), ("numdifftools", 100)]
CASES_FULL = [("scipy", 1000), ("numdifftools", 1000)]


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


def run_case(case, ctx):
    library, n = case
    problem = get_problem("rosenbrock", n)
    x, exact = problem.x0, problem.derivative(problem.x0)
    rows, missing = [], []
    for label, call in _scipy_pair() if library == "scipy" else _numdifftools_pair():
        if call is None:
            missing.append(label)
            continue
        ctx.progress(f"bench compat: rosenbrock n={n}: {label}")
        counter = Counter(problem.f)
        estimate = call(counter, x)
        rows.append(Row("compat", "rosenbrock", n, label, ctx.time(lambda: call(problem.f, x), max_repeats=5),
                        counter.calls, rel_error(estimate, exact)))
    return rows, missing
