"""The 'compiled' suite of `python -m fdcore bench`: compiled objectives through the nogil kernels.

Rows per case (same run, ratios to the first row): fdcore on the compiled problem with 1 and 2
threads; a hand-written compiled central-difference loop (numba ``njit``, the objective inlined:
the floor for any driver) when numba is installed; fdcore on the NumPy version of the same problem
(the Python-callable path); the accurate mode on the compiled objective and numdifftools' default
Gradient on the NumPy version (the accurate-mode comparison).
"""

import numpy as np

import fdcore
from fdcore import get_problem
from fdcore.bench.core import Row, rel_error

CASES_QUICK = [("gradient", "rosenbrock", 1000), ("hessian", "rosenbrock", 50)]
CASES_FULL = [("gradient", "rosenbrock", 1000), ("gradient", "rosenbrock", 20000),
              ("gradient", "extended_powell", 1000), ("hessian", "rosenbrock", 200)]


def _numba_loop():
    """A numba central-difference loop over an inlined Rosenbrock, or None without numba."""
    try:
        from numba import njit
    except ImportError:
        return None

    @njit(cache=False)
    def rosen(x):
        s = 0.0
        for i in range(x.shape[0] - 1):
            t = x[i + 1] - x[i] * x[i]
            s += 100.0 * t * t + (1.0 - x[i]) * (1.0 - x[i])
        return s

    @njit(cache=False)
    def gradient(x, h):
        w = x.copy()
        g = np.empty_like(x)
        for i in range(x.shape[0]):
            xi = w[i]
            w[i] = xi + h[i]
            f_hi = rosen(w)
            w[i] = xi - h[i]
            f_lo = rosen(w)
            w[i] = xi
            g[i] = (f_hi - f_lo) / ((xi + h[i]) - (xi - h[i]))
        return g

    return gradient


def methods(kind, problem, n):
    """(label, zero-argument callable, nfev or None) for one case."""
    f, x, c = problem.f, problem.x0, problem.compiled
    rows = []
    if kind == "gradient":
        for threads in (1, 2):
            rows.append((f"fdcore compiled, {threads} thread{'s' * (threads > 1)}",
                         lambda t=threads: fdcore.gradient(c, x, num_threads=t), 2 * n))
        loop = _numba_loop() if problem.name == "rosenbrock" else None
        if loop is not None:
            h = np.finfo(float).eps ** (1 / 3) * np.maximum(1.0, np.abs(x))
            loop(x, h)  # compile outside the timing
            rows.append(("numba njit loop (rosen inlined)", lambda: loop(x, h), 2 * n))
        if n <= 10000:
            rows.append(("fdcore Python path (NumPy f)", lambda: fdcore.gradient(f, x), 2 * n))
            rows.append(("fdcore compiled richardson=True, 2 threads",
                         lambda: fdcore.gradient(c, x, richardson=True, num_threads=2), None))
        if n <= 1000:
            try:
                import numdifftools as nd
            except ImportError:
                nd = None
            if nd is not None:
                rows.append(("numdifftools Gradient (NumPy f)", lambda: nd.Gradient(f)(x), 30 * n + 1))
    else:
        for threads in (1, 2):
            rows.append((f"fdcore compiled hessian, {threads} thread{'s' * (threads > 1)}",
                         lambda t=threads: fdcore.hessian(c, x, num_threads=t), n * n + n + 1))
        rows.append(("fdcore Python path hessian (NumPy f)", lambda: fdcore.hessian(f, x), n * n + n + 1))
    return rows


def run_case(case, ctx):
    """Rows of one (kind, problem, n) case; numba's loop is reported missing where it applies."""
    kind, name, n = case
    problem = get_problem(name, n)
    exact = problem.hessian(problem.x0) if kind == "hessian" else problem.derivative(problem.x0)
    rows = []
    for label, run, nfev in methods(kind, problem, n):
        ctx.progress(f"bench compiled: {name} n={n}: {label}")
        estimate = run()
        if nfev is None:  # the accurate mode's count depends on retries
            nfev = fdcore.gradient(problem.compiled, problem.x0, richardson=True, full_output=True).nfev
        rows.append(Row("compiled", name, n, label, ctx.time(run), nfev, rel_error(estimate, exact)))
    expected = {"numba njit loop": kind == "gradient" and name == "rosenbrock",
                "numdifftools Gradient": kind == "gradient" and n <= 1000}
    missing = [peer for peer, wanted in expected.items()
               if wanted and not any(r.method.startswith(peer) for r in rows)]
    return rows, missing
