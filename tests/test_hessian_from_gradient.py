"""hessian(..., grad=g) and hvp(None, x, v, grad=g): second derivatives from an analytic gradient."""

import numpy as np
import pytest
from scipy.optimize import rosen_der, rosen_hess, rosen_hess_prod

import fdcore
from helpers import Counted

X = np.random.default_rng(0).uniform(-1.0, 2.0, 60)
V = np.random.default_rng(1).standard_normal(60)


def normwise(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def test_hessian_from_gradient_is_symmetric_and_accurate():
    grad = Counted(rosen_der)
    H = fdcore.hessian(None, X, grad=grad)
    assert np.array_equal(H, H.T)
    # central first differences of the gradient: error ~ EPS^(2/3) relative
    assert normwise(H, rosen_hess(X)) < 1e-9
    assert grad.calls == 2 * X.size


def test_hessian_from_gradient_accurate_mode_and_full_output():
    r = fdcore.hessian(None, X, grad=rosen_der, richardson=True, full_output=True)
    assert normwise(r.value, rosen_hess(X)) < 1e-12
    assert np.all(np.abs(r.value - rosen_hess(X)) <= r.error)
    assert r.nfev == 8 * X.size + 1  # 4 levels x 2 points per coordinate, + grad(x) to learn m


def test_hessian_from_gradient_one_sided_and_out():
    out = np.empty((X.size, X.size))
    grad = Counted(rosen_der)
    H = fdcore.hessian(None, X, grad=grad, method="forward", out=out)
    assert H is out and np.array_equal(H, H.T)
    assert normwise(H, rosen_hess(X)) < 1e-6
    assert grad.calls == X.size + 1


def test_hvp_matches_the_exact_product_with_two_gradient_calls():
    grad = Counted(rosen_der)
    hv = fdcore.hvp(None, X, V, grad=grad)
    assert hv.shape == X.shape
    assert normwise(hv, rosen_hess_prod(X, V)) < 1e-8
    assert grad.calls == 2


def test_hvp_is_exact_for_a_quadratic():
    A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
    hv = fdcore.hvp(None, [0.3, -0.2, 0.1], [1.0, 2.0, 3.0], grad=lambda x: A @ x)
    # Exact up to the rounding of x + t v relative to t v: EPS |x| / (t |v|) ~ EPS^(2/3) ~ 4e-11.
    np.testing.assert_allclose(hv, A @ [1.0, 2.0, 3.0], rtol=1e-9)


def test_hvp_needs_a_vector_gradient():
    with pytest.raises(ValueError, match="1-D"):
        fdcore.hvp(None, X, V, grad=lambda x: float(np.sum(x)))
