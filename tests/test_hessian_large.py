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
