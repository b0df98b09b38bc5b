"""Gradient and Hessian of scipy.optimize.rosen: fdcore against its peers, same run.

Run: pytest benchmarks/ --benchmark-group-by=group
Goals (issue 2): at n = 1000 fdcore's central gradient is within 1.05x of the floor (2n bare calls
of f from a Python loop) and >= 1.5x faster than SciPy's approx_derivative '3-point'; the driver
overhead on f = lambda x: x[0] (n = 1000) is <= 1 us per evaluation.
"""

import numpy as np
import pytest

import fdcore
from fdcore._bench_peers import numpy_loop_gradient  # the textbook loop, as in `python -m fdcore bench`

scipy_optimize = pytest.importorskip("scipy.optimize")
rosen = scipy_optimize.rosen
GRADIENT_SIZES = [10, 100, 1000]
HESSIAN_SIZE = 50


def _point(n):
    return np.random.default_rng(n).uniform(-1.0, 2.0, n)


def _assert_normwise_close(estimate, exact, rtol):
    """Max-norm relative error: rosen's value grows with n, so its round-off error does too."""
    assert np.max(np.abs(estimate - exact)) <= rtol * np.max(np.abs(exact))


def _bare_calls(f, x, k):
    for _ in range(k):
        f(x)


def _approx_derivative():
    try:
        from scipy.optimize import approx_derivative
    except ImportError:
        from scipy.optimize._numdiff import approx_derivative
    return approx_derivative


@pytest.mark.parametrize("n", GRADIENT_SIZES)
class TestRosenGradient:
    def test_fdcore(self, benchmark, n):
        benchmark.group = f"rosen gradient n={n}"
        x = _point(n)
        g = benchmark(fdcore.gradient, rosen, x)
        _assert_normwise_close(g, scipy_optimize.rosen_der(x), 1e-7)

    def test_floor_2n_bare_calls(self, benchmark, n):
        benchmark.group = f"rosen gradient n={n}"
        benchmark(_bare_calls, rosen, _point(n), 2 * n)

    def test_numpy_loop(self, benchmark, n):
        benchmark.group = f"rosen gradient n={n}"
        benchmark(numpy_loop_gradient(rosen, _point(n)))

    def test_scipy_approx_fprime(self, benchmark, n):
        benchmark.group = f"rosen gradient n={n}"
        benchmark(scipy_optimize.approx_fprime, _point(n), rosen)

    def test_scipy_approx_derivative_3point(self, benchmark, n):
        benchmark.group = f"rosen gradient n={n}"
        benchmark(_approx_derivative(), rosen, _point(n), method="3-point")



# numdifftools spends ~30 evaluations per coordinate: measured at n <= 100 only.
@pytest.mark.parametrize("n", [n for n in GRADIENT_SIZES if n <= 100])
def test_rosen_gradient_numdifftools(benchmark, n):
    nd = pytest.importorskip("numdifftools")
    benchmark.group = f"rosen gradient n={n}"
    benchmark(nd.Gradient(rosen), _point(n))


class TestRosenHessian:
    group = f"rosen hessian n={HESSIAN_SIZE}"

    def test_fdcore(self, benchmark):
        benchmark.group = self.group
        x = _point(HESSIAN_SIZE)
        H = benchmark(fdcore.hessian, rosen, x)
        _assert_normwise_close(H, scipy_optimize.rosen_hess(x), 1e-6)

    def test_floor_bare_calls(self, benchmark):
        benchmark.group = self.group
        n = HESSIAN_SIZE
        benchmark(_bare_calls, rosen, _point(n), n * n + n + 1)

    def test_numdifftools(self, benchmark):
        nd = pytest.importorskip("numdifftools")
        benchmark.group = self.group
        benchmark.pedantic(nd.Hessian(rosen), args=(_point(HESSIAN_SIZE),), rounds=3)


class TestDriverOverhead:
    """f = lambda x: x[0] at n = 1000: the time is almost all driver overhead."""

    group = "trivial f n=1000 (driver overhead)"

    @staticmethod
    def f(x):
        return x[0]

    def test_floor_2n_bare_calls(self, benchmark):
        benchmark.group = self.group
        benchmark(_bare_calls, self.f, _point(1000), 2000)

    def test_fdcore(self, benchmark):
        benchmark.group = self.group
        benchmark(fdcore.gradient, self.f, _point(1000))

    def test_scipy_approx_derivative_3point(self, benchmark):
        benchmark.group = self.group
        benchmark(_approx_derivative(), self.f, _point(1000), method="3-point")
