"""Gradient and Hessian of scipy.optimize.rosen: fdcore against its peers, same run.

Run: pytest benchmarks/ --benchmark-group-by=group
Goals (issue 2): at n = 1000 fdcore's central gradient is within 1.05x of the floor (2n bare calls
of f from a Python loop) and >= 1.5x faster than SciPy's approx_derivative '3-point'; the driver
overhead on f = lambda x: x[0] (n = 1000) is <= 1 us per evaluation.

Sizes n = 10 ... 10^5 for fdcore and the floor (n = 10^5 is 2 x 10^5 calls of rosen, about a
minute per gradient: one round); the peers copy x for every evaluation (O(n^2) per gradient) and
stop at n = 10^4. statsmodels, scipy.differentiate and JAX join the same groups in
test_bench_peers.py, numdifftools here (n <= 100).
"""

import numpy as np
import pytest
from bench_helpers import assert_normwise_close, bare_calls, measure, point

import fdcore
from fdcore.bench.peers import numpy_loop_gradient  # the textbook loop, as in `python -m fdcore bench`

scipy_optimize = pytest.importorskip("scipy.optimize")
rosen = scipy_optimize.rosen
GRADIENT_SIZES = [10, 100, 1000, 10_000, 100_000]
PEER_SIZES = [n for n in GRADIENT_SIZES if n <= 10_000]
HESSIAN_SIZE = 50


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
        x = point(n)
        g = measure(benchmark, n, fdcore.gradient, rosen, x)
        assert_normwise_close(g, scipy_optimize.rosen_der(x), 1e-7)

    def test_floor_2n_bare_calls(self, benchmark, n):
        benchmark.group = f"rosen gradient n={n}"
        measure(benchmark, n, bare_calls, rosen, point(n), 2 * n)


@pytest.mark.parametrize("n", PEER_SIZES)
class TestRosenGradientPeers:
    def test_numpy_loop(self, benchmark, n):
        benchmark.group = f"rosen gradient n={n}"
        x = point(n)
        assert_normwise_close(benchmark(numpy_loop_gradient(rosen, x)), scipy_optimize.rosen_der(x), 1e-7)

    def test_scipy_approx_fprime(self, benchmark, n):
        benchmark.group = f"rosen gradient n={n}"
        x = point(n)
        # forward differences: error ~ sqrt(EPS) |f''| against ~EPS^(2/3) for central ones
        assert_normwise_close(benchmark(scipy_optimize.approx_fprime, x, rosen), scipy_optimize.rosen_der(x), 1e-4)

    def test_scipy_approx_derivative_3point(self, benchmark, n):
        benchmark.group = f"rosen gradient n={n}"
        x = point(n)
        g = benchmark(_approx_derivative(), rosen, x, method="3-point")
        assert_normwise_close(g, scipy_optimize.rosen_der(x), 1e-7)


# numdifftools spends ~30 evaluations per coordinate: measured at n <= 100 only.
@pytest.mark.parametrize("n", [n for n in GRADIENT_SIZES if n <= 100])
def test_rosen_gradient_numdifftools(benchmark, n):
    nd = pytest.importorskip("numdifftools")
    benchmark.group = f"rosen gradient n={n}"
    x = point(n)
    assert_normwise_close(benchmark(nd.Gradient(rosen), x), scipy_optimize.rosen_der(x), 1e-10)


class TestRosenHessian:
    group = f"rosen hessian n={HESSIAN_SIZE}"

    def test_fdcore(self, benchmark):
        benchmark.group = self.group
        x = point(HESSIAN_SIZE)
        H = benchmark(fdcore.hessian, rosen, x)
        assert_normwise_close(H, scipy_optimize.rosen_hess(x), 1e-6)

    def test_floor_bare_calls(self, benchmark):
        benchmark.group = self.group
        n = HESSIAN_SIZE
        benchmark(bare_calls, rosen, point(n), n * n + n + 1)

    def test_numdifftools(self, benchmark):
        nd = pytest.importorskip("numdifftools")
        benchmark.group = self.group
        x = point(HESSIAN_SIZE)
        H = benchmark.pedantic(nd.Hessian(rosen), args=(x,), rounds=3)
        assert_normwise_close(H, scipy_optimize.rosen_hess(x), 1e-10)


class TestDriverOverhead:
    """f = lambda x: x[0] at n = 1000: the time is almost all driver overhead."""

    group = "trivial f n=1000 (driver overhead)"

    @staticmethod
    def f(x):
        return x[0]

    def test_floor_2n_bare_calls(self, benchmark):
        benchmark.group = self.group
        benchmark(bare_calls, self.f, point(1000), 2000)

    def test_fdcore(self, benchmark):
        benchmark.group = self.group
        g = benchmark(fdcore.gradient, self.f, point(1000))
        assert np.array_equal(g, np.eye(1000)[0])

    def test_scipy_approx_derivative_3point(self, benchmark):
        benchmark.group = self.group
        g = benchmark(_approx_derivative(), self.f, point(1000), method="3-point")
        assert np.array_equal(g, np.eye(1000)[0])
