"""Jacobian of the Broyden tridiagonal system (fdcore.get_problem) at n = 100 and 1000: fdcore
against the floor (2n bare calls), SciPy's approx_derivative '3-point' and the textbook NumPy
loop, same run (dense Jacobians; the coloured sparse ones are in test_bench_sparse.py).

Run: pytest benchmarks/test_bench_jacobian.py --benchmark-group-by=group
"""

import numpy as np
import pytest
from bench_helpers import bare_calls

import fdcore
from fdcore.bench.peers import numpy_loop_jacobian

SIZES = [100, 1000]


def _problem(n):
    return fdcore.get_problem("broyden_tridiagonal", n)


def _assert_right(J, problem):
    exact = problem.derivative(problem.x0)
    assert np.max(np.abs(J - exact)) <= 1e-8 * np.max(np.abs(exact))


@pytest.mark.parametrize("n", SIZES)
class TestBroydenJacobian:
    def test_fdcore(self, benchmark, n):
        benchmark.group = f"broyden jacobian n={n}"
        p = _problem(n)
        _assert_right(benchmark(fdcore.jacobian, p.f, p.x0), p)

    def test_floor_2n_bare_calls(self, benchmark, n):
        benchmark.group = f"broyden jacobian n={n}"
        p = _problem(n)
        benchmark(bare_calls, p.f, p.x0, 2 * n)

    def test_numpy_loop(self, benchmark, n):
        benchmark.group = f"broyden jacobian n={n}"
        p = _problem(n)
        _assert_right(benchmark(numpy_loop_jacobian(p.f, p.x0)), p)

    def test_scipy_approx_derivative_3point(self, benchmark, n):
        numdiff = pytest.importorskip("scipy.optimize._numdiff")
        benchmark.group = f"broyden jacobian n={n}"
        p = _problem(n)
        _assert_right(benchmark(numdiff.approx_derivative, p.f, p.x0, method="3-point"), p)
