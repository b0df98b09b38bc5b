"""The drop-in interfaces (issue 7's goals) against the libraries they replace, Rosenbrock at
n = 1000, same run:

- fdcore.compat.scipy.approx_derivative (dense '3-point') >= 1.5x faster than SciPy's, same answer
  to rounding (same steps, same stencil);
- fdcore.compat.numdifftools.Gradient >= 10x faster than numdifftools.Gradient at equal or better
  accuracy (not met: the accurate mode spends 8 evaluations per coordinate against 30).

Run: pytest benchmarks/test_bench_compat.py --benchmark-group-by=group
"""

import numpy as np
import pytest

import fdcore

N = 1000


@pytest.fixture(scope="module")
def problem():
    return fdcore.get_problem("rosenbrock", N)


def _normwise(estimate, exact):
    return np.max(np.abs(estimate - exact)) / np.max(np.abs(exact))


def test_compat_scipy_approx_derivative(benchmark, problem):
    from fdcore.compat.scipy import approx_derivative

    benchmark.group = f"approx_derivative 3-point rosen n={N}"
    g = benchmark(approx_derivative, problem.f, problem.x0, method="3-point")
    assert _normwise(g, problem.derivative(problem.x0)) <= 1e-8


def test_scipy_approx_derivative(benchmark, problem):
    numdiff = pytest.importorskip("scipy.optimize._numdiff")
    benchmark.group = f"approx_derivative 3-point rosen n={N}"
    g = benchmark(numdiff.approx_derivative, problem.f, problem.x0, method="3-point")
    assert _normwise(g, problem.derivative(problem.x0)) <= 1e-8


def test_compat_numdifftools_gradient(benchmark, problem):
    from fdcore.compat import numdifftools as compat

    benchmark.group = f"numdifftools-style Gradient rosen n={N}"
    g = benchmark(compat.Gradient(problem.f), problem.x0)
    assert _normwise(g, problem.derivative(problem.x0)) <= 1e-11


def test_numdifftools_gradient(benchmark, problem):
    nd = pytest.importorskip("numdifftools")
    benchmark.group = f"numdifftools-style Gradient rosen n={N}"
    g = benchmark.pedantic(nd.Gradient(problem.f), args=(problem.x0,), rounds=3)
    assert _normwise(g, problem.derivative(problem.x0)) <= 1e-11
