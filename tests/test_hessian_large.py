"""Second derivatives at large n: hessian_diagonal, hvp from f, the Hessian operator, its extreme
eigenvalues, the Lanczos critical-point test and the trace estimate."""

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der, rosen_hess

import fdcore


class Counted:
    """f with a count of its calls."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x, *args, **kwargs):
        self.calls += 1
        return self.f(x, *args, **kwargs)


def smooth(p):
    return float(np.sum(np.cos(p)) + p[0] * p[1] + 0.25 * np.sum(p**4))


def smooth_diagonal(p):
    d = -np.cos(p) + 3 * p**2
    return d


def vectorized_smooth(P):  # columns are points
    return np.sum(np.cos(P), axis=0) + P[0] * P[1] + 0.25 * np.sum(P**4, axis=0)


X = np.array([0.3, -1.2, 2.0, 5.0, -0.7])


def rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))


# hessian_diagonal -------------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["central", "forward", "backward"])
def test_diagonal_costs_2n_plus_1_and_equals_the_dense_diagonal_bit_for_bit(method):
    f = Counted(smooth)
    x = X.copy()
    d = fdcore.hessian_diagonal(f, x, method=method)
    assert f.calls == 2 * X.size + 1
    assert (d == np.diag(fdcore.hessian(smooth, X, method=method))).all()
    assert (x == X).all()
    tol = 1e-5 if method == "central" else 1e-1
    assert np.max(np.abs(d - smooth_diagonal(X))) < tol


def test_diagonal_nfev_reported_and_full_output_covers_the_error():
    r = fdcore.hessian_diagonal(smooth, X, full_output=True)
    assert r.nfev >= 2 * X.size + 1 and r.richardson == 1
    assert np.all(np.abs(r.value - smooth_diagonal(X)) <= r.error + 1e-5)
    acc = fdcore.hessian_diagonal(smooth, X, richardson=True, full_output=True)
    assert np.all(np.abs(acc.value - smooth_diagonal(X)) <= acc.error)
    assert np.max(np.abs(acc.value - smooth_diagonal(X)) / np.abs(smooth_diagonal(X))) < 1e-9


def test_diagonal_compiled_vectorized_and_workers_agree_with_the_dense_diagonal():
    n = 30
    p = fdcore.get_problem("rosenbrock", n)
    x = np.linspace(-1.0, 1.5, n)
    dense = np.diag(fdcore.hessian(rosen, x))
    assert (fdcore.hessian_diagonal(rosen, x) == dense).all()
    compiled_dense = np.diag(fdcore.hessian(p.compiled, x))  # its own f values (C's summation order)
    assert (fdcore.hessian_diagonal(p.compiled, x) == compiled_dense).all()
    assert (fdcore.hessian_diagonal(p.compiled, x, num_threads=2) == compiled_dense).all()
    np.testing.assert_allclose(compiled_dense, dense, rtol=1e-6)
    assert (fdcore.hessian_diagonal(rosen, x, vectorized=True) == dense).all()
    assert (fdcore.hessian_diagonal(rosen, x, workers=map) == dense).all()
    np.testing.assert_allclose(dense, np.diag(rosen_hess(x)), rtol=1e-6)


def test_diagonal_numba_cfunc():
    numba = pytest.importorskip("numba")
    from numba import carray, types

    @numba.cfunc(types.double(types.intc, types.CPointer(types.double), types.voidptr))
    def quartic(n, x_ptr, data):
        x = carray(x_ptr, (n,))
        s = 0.0
        for i in range(n):
            s += x[i] ** 4 + np.cos(x[i])
        return s

    x = np.linspace(-1.0, 1.0, 7)
    d = fdcore.hessian_diagonal(quartic, x)
    assert (d == np.diag(fdcore.hessian(quartic, x))).all()
    np.testing.assert_allclose(d, 12 * x**2 - np.cos(x), atol=1e-5)


def test_diagonal_accurate_mode_with_the_other_evaluators():
    x = np.linspace(-1.0, 1.5, 6)
    exact = np.diag(rosen_hess(x))
    for options in ({}, {"vectorized": True}, {"workers": map}):
        d = fdcore.hessian_diagonal(rosen, x, richardson=True, **options)
        np.testing.assert_allclose(d, exact, rtol=1e-9)


def test_diagonal_rejects_bad_options():
    with pytest.raises(ValueError, match="method"):
        fdcore.hessian_diagonal(smooth, X, method="complex")
    with pytest.raises(TypeError, match="^f must return a scalar"):
        fdcore.hessian_diagonal(lambda p: p, X)


# hvp from f, second directional derivative ------------------------------------------------------

@pytest.mark.parametrize("name, n", [("rosenbrock", 10), ("extended_powell", 8), ("chained_biquadratic", 10),
                                     ("separable", 10), ("mlp", None), ("tridiagonal_quartic", 12)])
def test_hvp_from_f_matches_the_analytic_product(name, n):
    p = fdcore.get_problem(name, n) if n else fdcore.get_problem(name)
    x = p.x0.copy()
    v = np.random.default_rng(3).standard_normal(x.size)
    v0 = v.copy()
    f = Counted(p.f)
    hv = fdcore.hvp(f, x, v)
    assert f.calls == 4 * x.size
    assert rel(hv, p.hessian(p.x0) @ v) < 1e-6
    assert (x == p.x0).all() and (v == v0).all()


def test_hvp_from_f_with_compiled_vectorized_and_workers():
    n = 40
    p = fdcore.get_problem("rosenbrock", n)
    x = np.linspace(-1.0, 1.5, n)
    v = np.cos(np.arange(n))
    exact = rosen_hess(x) @ v
    for hv in (fdcore.hvp(p.compiled, x, v), fdcore.hvp(p.compiled, x, v, num_threads=2),
               fdcore.hvp(rosen, x, v, vectorized=True), fdcore.hvp(rosen, x, v, workers=map)):
        assert rel(hv, exact) < 1e-6
    # the Python, vectorized and workers evaluators see the same points: the same numbers
    assert (fdcore.hvp(rosen, x, v, vectorized=True) == fdcore.hvp(rosen, x, v)).all()
    assert (fdcore.hvp(rosen, x, v, workers=map) == fdcore.hvp(rosen, x, v)).all()


def test_hvp_from_grad_costs_two_gradient_calls():
    g = Counted(rosen_der)
    x = np.linspace(-1.0, 1.5, 7)
    v = np.arange(7.0)
    hv = fdcore.hvp(None, x, v, grad=g)
    assert g.calls == 2
    assert rel(hv, rosen_hess(x) @ v) < 1e-8


def test_hvp_bad_input_names_the_argument():
    x = np.ones(3)
    with pytest.raises(ValueError, match=r"grad="):  # the old calling convention, a gradient as f
        fdcore.hvp(lambda p: 2 * p, x, np.ones(3))
    with pytest.raises(TypeError, match=r"^grad must return the gradient"):
        fdcore.hvp(None, x, np.ones(3), grad=lambda p: float(p @ p))
    with pytest.raises(ValueError, match=r"^grad must return the gradient, a 1-D array of x's shape \(3,\)"):
        fdcore.hvp(None, x, np.ones(3), grad=lambda p: p[:2])
    with pytest.raises(ValueError, match=r"^v must have the shape of x"):
        fdcore.hvp(lambda p: p @ p, x, np.ones(2))
    with pytest.raises(ValueError, match=r"^v must have the shape of x"):
        fdcore.hvp(None, x, np.ones(4), grad=lambda p: 2 * p)
    with pytest.raises(TypeError, match=r"f .*grad="):
        fdcore.hvp(None, x, np.ones(3))
    with pytest.raises(TypeError, match=r"^f must be callable"):
        fdcore.hvp(3, x, np.ones(3))


def test_hvp_of_the_zero_direction_is_zero_without_evaluations():
    f = Counted(smooth)
    assert (fdcore.hvp(f, X, np.zeros(X.size)) == 0).all() and f.calls == 0


def test_second_directional_derivative_costs_3_evaluations():
    p = fdcore.get_problem("rosenbrock", 20)
    v = np.random.default_rng(1).standard_normal(20)
    f = Counted(p.f)
    c = fdcore.second_directional_derivative(f, p.x0, v)
    assert f.calls == 3
    exact = v @ p.hessian(p.x0) @ v
    assert abs(c - exact) < 1e-6 * abs(exact)
    assert abs(fdcore.second_directional_derivative(p.compiled, p.x0, v) - exact) < 1e-6 * abs(exact)
    assert abs(fdcore.second_directional_derivative(rosen, p.x0, v, vectorized=True) - exact) < 1e-6 * abs(exact)
    with pytest.raises(ValueError, match="^v must"):
        fdcore.second_directional_derivative(p.f, p.x0, v[:3])
    with pytest.raises(TypeError, match="^f must return a scalar"):
        fdcore.second_directional_derivative(lambda q: q, p.x0, v)
