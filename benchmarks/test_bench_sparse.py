"""Coloured sparse derivatives (issue 7's goals), same run:

- the tridiagonal Jacobian of the Broyden system at n = 10^5 with ``sparsity=``: <= 8 evaluations
  (3 colours, 2 each), memory O(nnz); SciPy's approx_derivative with the same pattern;
- the banded (tridiagonal) Hessian of Rosenbrock at n = 10^4 from its analytic gradient:
  <= 2 x colours gradient evaluations; SciPy's approx_derivative of the gradient.

Evaluations are counted in a separate, untimed call. Run:
pytest benchmarks/test_bench_sparse.py --benchmark-group-by=group
"""

import pytest

import fdcore
from fdcore.bench.core import Counter, rel_error
from fdcore.bench.sparse import _broyden_jacobian, _pattern, _rosen_hessian

numdiff = pytest.importorskip("scipy.optimize._numdiff")
JACOBIAN_N = 100_000
HESSIAN_N = 10_000
COLOURS = 3  # of a tridiagonal pattern


@pytest.fixture(scope="module")
def broyden():
    p = fdcore.get_problem("broyden_tridiagonal", JACOBIAN_N)
    return p, _pattern(JACOBIAN_N), _broyden_jacobian(p.x0)


@pytest.fixture(scope="module")
def rosen():
    p = fdcore.get_problem("rosenbrock", HESSIAN_N)
    return p, _pattern(HESSIAN_N), _rosen_hessian(p.x0)


def test_fdcore_tridiagonal_jacobian(benchmark, broyden):
    p, pattern, exact = broyden
    benchmark.group = f"tridiagonal jacobian n={JACOBIAN_N}"
    counter = Counter(p.f)
    fdcore.jacobian(counter, p.x0, sparsity=pattern)
    assert counter.calls <= 8
    J = benchmark(fdcore.jacobian, p.f, p.x0, sparsity=pattern)
    assert rel_error(J, exact) <= 1e-8


def test_scipy_tridiagonal_jacobian(benchmark, broyden):
    p, pattern, exact = broyden
    benchmark.group = f"tridiagonal jacobian n={JACOBIAN_N}"
    J = benchmark(numdiff.approx_derivative, p.f, p.x0, method="3-point", sparsity=pattern)
    assert rel_error(J, exact) <= 1e-8


def test_fdcore_banded_hessian_from_gradient(benchmark, rosen):
    p, pattern, exact = rosen
    benchmark.group = f"banded hessian from a gradient n={HESSIAN_N}"
    counter = Counter(p.derivative)
    fdcore.hessian(None, p.x0, grad=counter, sparsity=pattern)
    assert counter.calls <= 2 * COLOURS
    H = benchmark(fdcore.hessian, None, p.x0, grad=p.derivative, sparsity=pattern)
    assert rel_error(H, exact) <= 1e-8


def test_scipy_banded_hessian_from_gradient(benchmark, rosen):
    p, pattern, exact = rosen
    benchmark.group = f"banded hessian from a gradient n={HESSIAN_N}"
    H = benchmark(numdiff.approx_derivative, p.derivative, p.x0, method="3-point", sparsity=pattern)
    assert rel_error(H, exact) <= 1e-8
