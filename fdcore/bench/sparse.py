"""The 'sparse' suite of `python -m fdcore bench` (issue 7): coloured sparse derivatives.

Cases:
  ("tridiagonal jacobian", n)  the Broyden tridiagonal system with ``sparsity=`` its tridiagonal
                               pattern, n = 10^4 (quick) and 10^4, 10^5 (full): evaluations (2 per
                               colour), time, peak traced memory; against SciPy's
                               approx_derivative(..., sparsity=) 3-point in the same run.
  ("banded hessian", n)        the Hessian of Rosenbrock (tridiagonal) at n = 10^4 from its
                               analytic gradient, ``hessian(None, x, grad=g, sparsity=)``: gradient
                               evaluations against 2 x colours; SciPy's approx_derivative of the
                               gradient with the same pattern.
The exact answers are assembled sparse (a dense n = 10^5 Jacobian would take 80 GB).
"""

import functools

import numpy as np

import fdcore
from fdcore import get_problem
from fdcore.bench.core import Counter, Row, peak_memory, rel_error
from fdcore.derivatives.sparse import as_pattern, color_columns

CASES_QUICK = [("tridiagonal jacobian", 10**4), ("banded hessian", 10**4)]
CASES_FULL = [("tridiagonal jacobian", 10**4), ("tridiagonal jacobian", 10**5), ("banded hessian", 10**4)]


def _tridiagonal(lower, diagonal, upper):
    import scipy.sparse as sp

    return sp.diags_array([lower, diagonal, upper], offsets=[-1, 0, 1], format="csr")


def _pattern(n):
    return _tridiagonal(np.ones(n - 1), np.ones(n), np.ones(n - 1)).astype(bool)


def _broyden_jacobian(x):
    n = x.shape[0]
    return _tridiagonal(np.full(n - 1, -1.0), 3.0 - 4.0 * x, np.full(n - 1, -2.0))


def _rosen_hessian(x):
    diagonal = np.zeros(x.shape[0])
    diagonal[:-1] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    diagonal[1:] += 200.0
    off = -400.0 * x[:-1]
    return _tridiagonal(off, diagonal, off)


def _tridiagonal_jacobian(n, pattern):
    """(f, x, exact, fdcore's label, fdcore's call of f, what the evaluations count, for the note)."""
    p = get_problem("broyden_tridiagonal", n)
    return (p.f, p.x0, _broyden_jacobian(p.x0), "fdcore jacobian sparsity=",
            lambda f: fdcore.jacobian(f, p.x0, sparsity=pattern), "")


def _banded_hessian(n, pattern):
    p = get_problem("rosenbrock", n)
    return (p.derivative, p.x0, _rosen_hessian(p.x0), "fdcore hessian(None, x, grad=g, sparsity=)",
            lambda g: fdcore.hessian(None, p.x0, grad=g, sparsity=pattern), " (evals: of the gradient)")


def _row(kind, n, label, f, call, exact, ctx):
    """The row of call(f); f is counted in an untimed run that also measures the peak memory."""
    ctx.progress(f"bench sparse: {kind} n={n}: {label}")
    counter = Counter(f)
    estimate, peak = peak_memory(lambda: call(counter))
    return Row("sparse", kind, n, label, ctx.time(lambda: call(f), max_repeats=5), counter.calls,
               rel_error(estimate, exact), peak_bytes=peak)


def run_case(case, ctx):
    kind, n = case
    try:
        from scipy.optimize._numdiff import (
            approx_derivative,  # SciPy's public approx_fprime calls it
        )
    except ImportError:
        return [], ["scipy (the sparse suite returns scipy.sparse matrices)"]
    pattern = _pattern(n)
    build = _tridiagonal_jacobian if kind == "tridiagonal jacobian" else _banded_hessian
    f, x, exact, label, fdcore_call, counted = build(n, pattern)
    colours = int(color_columns(as_pattern(pattern, (n, n))).max()) + 1
    fd = _row(kind, n, label, f, fdcore_call, exact, ctx)
    fd.facts = {"colours": colours, "nnz": int(exact.nnz)}
    fd.note = f"{colours} colours, {exact.nnz} nonzeros{counted}"
    scipy_call = functools.partial(approx_derivative, x0=x, method="3-point", sparsity=pattern)
    return [fd, _row(kind, n, "scipy approx_derivative 3-point sparsity=", f, scipy_call, exact, ctx)], []
