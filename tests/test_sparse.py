"""sparsity=: column colouring for sparse Jacobians, sparse Hessians from f or a gradient."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import rosen, rosen_der, rosen_hess
from scipy.optimize._numdiff import group_columns

import fdcore
from fdcore.derivatives.sparse import as_pattern, color_columns
from helpers import Counted


def tridiagonal(n):
    return sp.diags_array([np.ones(n - 1), np.ones(n), np.ones(n - 1)], offsets=[-1, 0, 1], shape=(n, n), dtype=bool)


def is_valid_coloring(pattern, colors):
    dense = pattern.toarray()
    for c in np.unique(colors):
        columns = dense[:, colors == c]
        if np.any(columns.sum(axis=1) > 1):  # two columns of one colour share a row
            return False
    return True


@pytest.mark.parametrize("n", [5, 50, 1000])
def test_tridiagonal_pattern_gets_three_colours(n):
    colors = color_columns(as_pattern(tridiagonal(n), (n, n)))
    assert colors.max() + 1 == 3
    assert is_valid_coloring(as_pattern(tridiagonal(n), (n, n)), colors)


@pytest.mark.parametrize("seed", range(40))
def test_random_patterns_colour_validly_and_no_worse_than_scipy(seed):
    rng = np.random.default_rng(seed)
    dense = rng.random((60, 40)) < 0.08
    pattern = as_pattern(dense, dense.shape)
    colors = color_columns(pattern)
    assert is_valid_coloring(pattern, colors)
    assert colors.max() + 1 <= group_columns(dense).max() + 1


def test_sparse_jacobian_of_broyden_tridiagonal_costs_seven_evaluations():
    p = fdcore.get_problem("broyden_tridiagonal", 1000)
    f = Counted(p.f)
    J = fdcore.jacobian(f, p.x0, sparsity=tridiagonal(1000))
    assert isinstance(J, sp.csr_array) and J.shape == (1000, 1000)
    np.testing.assert_allclose(J.toarray(), p.derivative(p.x0), atol=1e-9)
    assert f.calls == 2 * 3  # one central pair per colour (the pattern gives m)


@pytest.mark.parametrize("method", ["forward", "backward"])
def test_sparse_jacobian_one_sided(method):
    p = fdcore.get_problem("broyden_tridiagonal", 30)
    J = fdcore.jacobian(p.f, p.x0, sparsity=tridiagonal(30).toarray(), method=method)
    np.testing.assert_allclose(J.toarray(), p.derivative(p.x0), atol=1e-6)


def test_sparse_hessian_from_f_and_from_the_gradient():
    n = 80
    x = np.random.default_rng(0).uniform(-1.0, 2.0, n)
    exact = rosen_hess(x)
    f = Counted(rosen)
    H = fdcore.hessian(f, x, sparsity=tridiagonal(n))
    assert isinstance(H, sp.csr_array)
    assert np.max(np.abs(H.toarray() - exact)) <= 1e-6 * np.max(np.abs(exact))
    assert f.calls == 1 + 2 * n + 2 * (n - 1)  # the pattern's n - 1 pairs only
    grad = Counted(rosen_der)
    H2 = fdcore.hessian(None, x, grad=grad, sparsity=tridiagonal(n))
    assert grad.calls == 2 * 3  # 2 x (number of colours)
    assert np.max(np.abs(H2.toarray() - exact)) <= 1e-9 * np.max(np.abs(exact))
    assert abs(H2 - H2.T).max() == 0


def test_bad_sparsity_patterns():
    p = fdcore.get_problem("broyden_tridiagonal", 10)
    with pytest.raises(ValueError, match="sparsity"):
        fdcore.jacobian(p.f, p.x0, sparsity=np.ones((5, 5), dtype=bool))
    with pytest.raises(ValueError, match="rows"):
        fdcore.jacobian(p.f, p.x0, sparsity=np.ones((5, 10), dtype=bool))
    with pytest.raises(ValueError, match="sparsity"):
        fdcore.jacobian(p.f, p.x0, sparsity=tridiagonal(10), richardson=True)
    with pytest.raises(ValueError, match="sparsity"):
        fdcore.hessian(rosen, p.x0, sparsity=tridiagonal(10), method="forward")
