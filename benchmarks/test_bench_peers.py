"""statsmodels, scipy.differentiate and JAX on the Rosenbrock gradient and Hessian, in the same
groups as test_bench_gradient.py (same points), each skipped when not installed.

- statsmodels.tools.numdiff: approx_fprime (centered=True), approx_fprime_cs (its complex step
  builds an n x n matrix: n <= 1000), approx_hess3;
- scipy.differentiate.jacobian / hessian on scipy.optimize.rosen, which sums over axis 0 and so
  evaluates (n, ...) arrays of points at once (n <= 1000 for the gradient: n x n points per
  iteration; n = 50 for the Hessian);
- jax.grad of a jit-compiled jax.numpy Rosenbrock in float64: an exact derivative, the cost
  reference (not a finite-difference peer).

Run: pytest benchmarks/ --benchmark-group-by=group
"""

import pytest
from bench_helpers import assert_normwise_close, point

from fdcore.bench.peers import _jax_rosen_gradient

scipy_optimize = pytest.importorskip("scipy.optimize")
rosen, rosen_der, rosen_hess = scipy_optimize.rosen, scipy_optimize.rosen_der, scipy_optimize.rosen_hess
SIZES = [100, 1000]
HESSIAN_SIZE = 50  # the group of test_bench_gradient.TestRosenHessian


@pytest.mark.parametrize("n", SIZES)
class TestGradientPeers:
    def test_statsmodels_approx_fprime_centered(self, benchmark, n):
        numdiff = pytest.importorskip("statsmodels.tools.numdiff")
        benchmark.group = f"rosen gradient n={n}"
        x = point(n)
        assert_normwise_close(benchmark(numdiff.approx_fprime, x, rosen, centered=True), rosen_der(x), 1e-7)

    def test_statsmodels_approx_fprime_cs(self, benchmark, n):
        numdiff = pytest.importorskip("statsmodels.tools.numdiff")
        benchmark.group = f"rosen gradient n={n}"
        x = point(n)
        assert_normwise_close(benchmark(numdiff.approx_fprime_cs, x, rosen), rosen_der(x), 1e-14)

    def test_scipy_differentiate_jacobian(self, benchmark, n):
        sd = pytest.importorskip("scipy.differentiate")
        benchmark.group = f"rosen gradient n={n}"
        x = point(n)
        result = benchmark.pedantic(sd.jacobian, args=(rosen, x), rounds=3)
        assert_normwise_close(result.df, rosen_der(x), 1e-11)


@pytest.mark.parametrize("n", SIZES + [10_000])
def test_jax_grad_cost_reference(benchmark, n):
    pytest.importorskip("jax")
    benchmark.group = f"rosen gradient n={n}"
    x = point(n)
    gradient = _jax_rosen_gradient()
    gradient(x).block_until_ready()  # compile outside the timing
    assert_normwise_close(benchmark(lambda: gradient(x).block_until_ready()), rosen_der(x), 1e-14)


class TestHessianPeers:
    group = f"rosen hessian n={HESSIAN_SIZE}"

    def test_statsmodels_approx_hess3(self, benchmark):
        numdiff = pytest.importorskip("statsmodels.tools.numdiff")
        benchmark.group = self.group
        x = point(HESSIAN_SIZE)
        # second differences: round-off ~ EPS |f| / h^2 (fdcore's central Hessian: 1e-6 too)
        assert_normwise_close(benchmark(numdiff.approx_hess3, x, rosen), rosen_hess(x), 1e-5)

    def test_scipy_differentiate_hessian(self, benchmark):
        sd = pytest.importorskip("scipy.differentiate")
        benchmark.group = self.group
        x = point(HESSIAN_SIZE)
        result = benchmark.pedantic(sd.hessian, args=(rosen, x), rounds=3)
        assert_normwise_close(result.ddf, rosen_hess(x), 1e-8)
