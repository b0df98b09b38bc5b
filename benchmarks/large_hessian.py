"""Second derivatives at large n, against the peers, in one run; prints markdown tables.

    PYTHONPATH=. python benchmarks/large_hessian.py            # n = 1000 for (a), (b); 10^6 for (c)
    PYTHONPATH=. python benchmarks/large_hessian.py --quick    # n = 200 for (a), (b); 10^5 for (c)

(a) The Hessian's diagonal: fdcore.hessian_diagonal (2n + 1 evaluations) against numdifftools'
    Hessdiag and the diagonal of statsmodels' approx_hess3 (the full Hessian), on smooth
    functions with a known diagonal: max relative error, evaluations of f, median time.
(b) Hessian-vector products: fdcore.hvp from f alone (4n evaluations; richardson=True, the
    accurate mode) and from the gradient
    (2 gradient evaluations): error against the analytic product, median time.
(c) hessian_eigenvalues and classify_critical_point from the gradient at n = 10^6: time,
    Hessian-vector products, whether the answer is right, peak memory of the process.
(d) hessian_diagonal of a compiled Rosenbrock (the problem suite's C callback, nogil kernels)
    against the floor: the time of 2n + 1 bare calls of the same C function. Every evaluation
    costs O(n), so n is 2 x 10^4 (10^5 without --quick): at n = 10^6 the 2 x 10^6 evaluations
    took over 35 minutes single-threaded on a 2-core machine.
(e) hvp from f, plain and richardson=True, on the problem suite's scalar problems: cases within
    1e-6 of the analytic product, median error, evaluations per component, error coverage.

Times are wall-clock medians on this machine; compare rows of one run, not runs of different
machines.
"""

import argparse
import resource
import statistics
import time
import warnings

import numpy as np
from scipy.optimize import rosen, rosen_der, rosen_hess

import fdcore
from fdcore.bench.core import Counter, rel_error


def timed(run, repeats):
    """(the last result, median seconds) of ``repeats`` runs."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return result, statistics.median(times)


def quartic(x):
    return float(np.sum(np.cos(x)) + 0.25 * np.sum(x**4) + np.sum(x[:-1] * x[1:]))


def quartic_grad(x):
    g = -np.sin(x) + x**3
    g[:-1] += x[1:]
    g[1:] += x[:-1]
    return g


def quartic_hess(x):
    n = x.size
    return np.diag(-np.cos(x) + 3 * x**2) + np.eye(n, k=1) + np.eye(n, k=-1)


FUNCTIONS = {
    "rosen": (rosen, rosen_der, rosen_hess, lambda n: np.linspace(-1.0, 1.5, n)),
    "cos + x^4/4 + chain": (quartic, quartic_grad, quartic_hess, lambda n: np.linspace(-2.0, 2.0, n)),
}


def diagonal_rows(n, repeats):
    import numdifftools as nd
    from statsmodels.tools.numdiff import approx_hess3

    rows = []
    for name, (f, _, hess, point) in FUNCTIONS.items():
        x = point(n)
        exact = np.diag(hess(x))
        peers = [("fdcore.hessian_diagonal", lambda g: fdcore.hessian_diagonal(g, x), repeats),
                 ("fdcore.hessian_diagonal(richardson=True)",
                  lambda g: fdcore.hessian_diagonal(g, x, richardson=True), repeats),
                 ("numdifftools.Hessdiag", lambda g: nd.Hessdiag(g)(x), max(1, repeats // 3)),
                 ("statsmodels approx_hess3 (diagonal)", lambda g: np.diag(approx_hess3(x, g)), 1)]
        for label, run, count in peers:
            g = Counter(f)
            value, seconds = timed(lambda: run(g), count)  # noqa: B023 - run now
            rows.append((name, label, rel_error(value, exact), g.calls // count, seconds))
    return rows


def hvp_rows(n, repeats):
    rows = []
    v = np.cos(np.arange(n))
    for name, (f, grad, hess, point) in FUNCTIONS.items():
        x = point(n)
        exact = hess(x) @ v
        for label, run, counted in [("hvp from f", lambda g: fdcore.hvp(g, x, v), "f"),
                                    ("hvp from f (richardson=True)", lambda g: fdcore.hvp(g, x, v, richardson=True), "f"),
                                    ("hvp from grad", lambda g: fdcore.hvp(None, x, v, grad=g), "grad")]:
            g = Counter(f if counted == "f" else grad)
            value, seconds = timed(lambda: run(g), repeats)  # noqa: B023 - run now
            rows.append((name, label, rel_error(value, exact), f"{g.calls // repeats} of {counted}", seconds))
    return rows


def coupled_grad(a):
    """The gradient of sum(a x^2 / 2 + x^4 / 4) + sum((x_{i+1} - x_i)^2) / 2, critical at x = 0 with
    Hessian diag(a) + the path Laplacian."""

    def grad(x):
        g = a * x + x * x * x
        dx = np.diff(x)
        g[:-1] -= dx
        g[1:] += dx
        return g

    return grad


def large_rows(n):
    a = np.linspace(1.0, 3.0, n)
    a[n // 2] = 40.0  # a separated top eigenvalue
    dip = a.copy()
    dip[n // 3] = -5.0  # a bound state of negative curvature: a saddle
    cases = [("rosen at its minimum (grad rosen_der)", rosen_der, np.ones(n), "minimum"),
             ("coupled quartic, a_i in [1, 3] (grad)", coupled_grad(a), np.zeros(n), "minimum"),
             ("coupled quartic with one a_i = -5 (grad)", coupled_grad(dip), np.zeros(n), "saddle")]
    rows = []
    for name, grad, x, expected in cases:
        g = Counter(grad)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            cp = fdcore.classify_critical_point(None, x, grad=g)
            seconds = time.perf_counter() - start
        note = "; Lanczos did not converge" if caught else ""
        rows.append((name, "classify_critical_point", f"{cp.kind} (expected {expected}){note}",
                     f"[{cp.eigenvalues[0]:.6g}, {cp.eigenvalues[1]:.6g}]", cp.nhvp, g.calls, seconds))
        if expected == "saddle":
            g = Counter(grad)
            start = time.perf_counter()
            r = fdcore.hessian_eigenvalues(None, x, which="smallest", grad=g, rng=0)
            seconds = time.perf_counter() - start
            rows.append((name, "hessian_eigenvalues(which='smallest')",
                         f"{r.smallest[0]:.8g} +- {r.error[0]:.2g}, converged={r.converged}",
                         f"[{r.smallest[0]:.6g}]", r.nhvp, g.calls, seconds))
    return rows


def floor_rows(n, repeats):
    """(d): fdcore's compiled diagonal with 1 and 2 threads, and the floor: 2n + 1 bare calls of the
    same C function (through ctypes; the ~1 us per call that adds makes the floor a little high)."""
    import ctypes

    problem = fdcore.get_problem("rosenbrock", n)
    callback, x = problem.compiled, problem.x0.copy()
    result = fdcore.hessian_diagonal(callback, x, full_output=True)
    rows = []
    for threads in (1, 2):
        _, seconds = timed(lambda: fdcore.hessian_diagonal(callback, x, num_threads=threads), repeats)
        rows.append((f"fdcore.hessian_diagonal, compiled, {threads} thread(s)", result.nfev, seconds))
    prototype = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)
    function = prototype(callback.address)
    pointer = x.ctypes.data_as(ctypes.POINTER(ctypes.c_double))
    user_data = ctypes.c_void_p(callback.user_data_address or None)
    calls = max(10, 4 * 10**7 // n)

    def bare():
        for _ in range(calls):
            function(n, pointer, user_data)

    _, seconds = timed(bare, repeats)
    rows.append(("floor: 2n + 1 bare calls of the same C function", 2 * n + 1, seconds / calls * (2 * n + 1)))
    return rows


def suite_hvp_rows():
    """hvp from f on every scalar problem of the suite with an analytic Hessian (v standard
    normal): cases within 1e-6 relative, the median error, median evaluations per component, and
    (accurate mode) the share of components whose error estimate covers the error."""
    problems = [fdcore.get_problem(name) for name in fdcore.PROBLEM_NAMES]
    problems = [p for p in problems if not p.vector and p.hessian is not None]
    rows = []
    for label, options in [("hvp from f", {}), ("hvp from f (richardson=True)", {"richardson": True})]:
        errors, per_component, covered, components = [], [], 0, 0
        for p in problems:
            v = np.random.default_rng(3).standard_normal(p.n)
            exact = p.hessian(p.x0) @ v
            g = Counter(p.f)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                r = fdcore.hvp(g, p.x0, v, full_output=bool(options), **options)
            value = r.value if options else r
            errors.append(float(np.linalg.norm(value - exact) / np.linalg.norm(exact)))
            per_component.append(g.calls / p.n)
            if options:
                covered += int(np.sum(np.abs(value - exact) <= r.error))
                components += p.n
        errors = np.array(errors)
        coverage = f"{100 * covered / components:.1f}%" if options else "-"
        rows.append((label, f"{int(np.sum(errors < 1e-6))} / {len(problems)}", float(np.nanmedian(errors)),
                     int(np.sum(~np.isfinite(errors))), float(np.median(per_component)), coverage))
    return rows


def table(header, rows, formats):
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for row in rows:
        lines.append("| " + " | ".join(fmt.format(value) for fmt, value in zip(formats, row)) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="n = 200 for (a), (b) and 10^5 for (c)")
    options = parser.parse_args()
    n_small, n_large, repeats = (200, 10**5, 3) if options.quick else (1000, 10**6, 5)
    print(f"fdcore {fdcore.__version__}; (a), (b) at n = {n_small}, (c) at n = {n_large}\n")
    print(f"(a) Hessian diagonal, n = {n_small}\n")
    print(table(["function", "method", "max rel. error", "evaluations of f", "median s"],
                diagonal_rows(n_small, repeats), ["{}", "{}", "{:.2e}", "{}", "{:.4f}"]))
    print(f"\n(b) Hessian-vector product, n = {n_small}\n")
    print(table(["function", "method", "max rel. error", "evaluations", "median s"],
                hvp_rows(n_small, repeats), ["{}", "{}", "{:.2e}", "{}", "{:.5f}"]))
    print(f"\n(c) Lanczos at n = {n_large}\n")
    print(table(["objective", "call", "result", "eigenvalues", "HVPs", "grad calls", "s"],
                large_rows(n_large), ["{}", "{}", "{}", "{}", "{}", "{}", "{:.1f}"]))
    n_floor = 2 * 10**4 if options.quick else 10**5
    print(f"\n(d) compiled diagonal against the floor, n = {n_floor}\n")
    rows = floor_rows(n_floor, repeats)
    floor = rows[-1][2]
    print(table(["driver", "evaluations of f", "median s", "/ floor"],
                [(name, count, seconds, seconds / floor) for name, count, seconds in rows],
                ["{}", "{}", "{:.3f}", "{:.2f}"]))
    print("\n(e) hvp from f on the problem suite (relative 2-norm error against the analytic H v)\n")
    print(table(["method", "within 1e-6", "median error", "NaN", "evaluations / component", "estimate >= error"],
                suite_hvp_rows(), ["{}", "{}", "{:.1e}", "{}", "{:.1f}", "{}"]))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of the process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
