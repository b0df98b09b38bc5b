"""fdcore.hessian against analytic Hessians: accuracy, exact symmetry, counts, dtypes, out=."""

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_hess

import fdcore
from helpers import METHODS, TOL_SECOND, Counted, f_xy, hess_xy, rel_err


@pytest.mark.parametrize("method", METHODS)
def test_x2y_plus_sin_xy(method):
    H = fdcore.hessian(f_xy, [1.0, 2.0], method=method)
    assert H.shape == (2, 2) and H.dtype == np.float64
    assert rel_err(H, hess_xy(1.0, 2.0), f_xy([1.0, 2.0])) < TOL_SECOND[method]
    np.testing.assert_array_equal(H, H.T)  # Clairaut: f_xy == f_yx, exactly


def test_x2y_plus_sin_xy_entries():
    x, y = 1.0, 2.0
    H = fdcore.hessian(f_xy, [x, y])
    fxx = 2 * y - y**2 * np.sin(x * y)
    fxy = 2 * x + np.cos(x * y) - x * y * np.sin(x * y)
    fyy = -(x**2) * np.sin(x * y)
    np.testing.assert_allclose(H, [[fxx, fxy], [fxy, fyy]], rtol=0, atol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quadratic_is_exact_up_to_rounding(seed):
    rng = np.random.default_rng(seed)
    n = 5
    M = rng.integers(-5, 6, (n, n)).astype(float)
    A, b, c = M + M.T, rng.integers(-5, 6, n).astype(float), -2.0
    f = lambda p: 0.5 * p @ A @ p + b @ p + c  # noqa: E731
    x = rng.integers(-3, 4, n).astype(float)
    H = fdcore.hessian(f, x)
    # no truncation error: only round-off, EPS |f| / h^2 with h = EPS^(1/4) ~ 1e-8 |f|
    assert rel_err(H, A, f(x)) < 1e-6
    np.testing.assert_array_equal(H, H.T)


@pytest.mark.parametrize("method", METHODS)
def test_symmetric_on_smooth_functions(method):
    f = lambda p: np.exp(0.3 * p[0] - p[1]) * np.cos(p[2] * p[0]) + p[1] ** 3 * p[2]  # noqa: E731
    x = np.array([0.4, -0.2, 1.3])
    H = fdcore.hessian(f, x, method=method)
    np.testing.assert_array_equal(H, H.T)
    np.testing.assert_array_equal(fdcore.hessian(f, x.astype(np.float32), method=method).T,
                                  fdcore.hessian(f, x.astype(np.float32), method=method))


def test_rosen_hess_n100():
    rng = np.random.default_rng(2024)
    x = rng.uniform(-1.0, 2.0, 100)
    H = fdcore.hessian(rosen, x)
    assert rel_err(H, rosen_hess(x), rosen(x)) < TOL_SECOND["central"]
    np.testing.assert_array_equal(H, H.T)


@pytest.mark.parametrize("method", METHODS)
def test_float32(method):
    H = fdcore.hessian(f_xy, np.array([1.0, 2.0], dtype=np.float32), method=method)
    assert H.dtype == np.float32
    # float32 EPS ~ 1.2e-7: central h = EPS^(1/4), error ~ EPS^(1/2) ~ 3.5e-4 of the scale;
    # one-sided h = EPS^(1/3), error ~ EPS^(1/3) ~ 5e-3 of the scale.
    tol = 5e-3 if method == "central" else 5e-2
    assert rel_err(H, hess_xy(1.0, 2.0), f_xy([1.0, 2.0])) < tol


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_is_filled_and_returned(method, dtype):
    out = np.full((2, 2), np.nan, dtype=dtype)
    H = fdcore.hessian(lambda p: p[0] ** 2 * p[1] + 3 * p[1] ** 2, np.array([1.0, 2.0], dtype),
                       method=method, out=out)
    assert H is out
    np.testing.assert_allclose(out, [[4.0, 2.0], [2.0, 6.0]], rtol=0, atol=0.1 if dtype == np.float32 else 1e-4)


def test_out_fortran_order():
    out = np.empty((2, 2), order="F")
    H = fdcore.hessian(f_xy, [1.0, 2.0], out=out)
    assert H is out
    np.testing.assert_array_equal(out, fdcore.hessian(f_xy, [1.0, 2.0]))


@pytest.mark.parametrize("n", [1, 2, 5])
@pytest.mark.parametrize(
    "method, calls",
    [("central", lambda n: n * n + n + 1), ("forward", lambda n: n * (n + 1) // 2 + n + 1),
     ("backward", lambda n: n * (n + 1) // 2 + n + 1)],
)
def test_evaluation_count(n, method, calls):
    f = Counted(lambda p: np.sum(p**4) + np.prod(p))
    fdcore.hessian(f, np.linspace(-1.0, 1.0, n), method=method)
    assert f.calls == calls(n)
    assert f.seen_writeable == {False}


def test_args_and_kwargs_passed_through():
    def f(p, a, *, b):
        return a * p[0] ** 2 + b * p[0] * p[1]

    H = fdcore.hessian(f, [1.0, 2.0], args=(3.0,), kwargs={"b": -5.0})
    np.testing.assert_allclose(H, [[6.0, -5.0], [-5.0, 0.0]], rtol=0, atol=1e-6)


def test_reentrant_jacobian_of_gradient_is_the_hessian():
    # f may itself call fdcore (each call has its own work copy)
    f = lambda p: np.exp(p[0]) * np.sin(p[1]) + p[0] * p[1] ** 2  # noqa: E731
    x = np.array([0.3, 1.2])
    # outer step 1e-3: truncation ~ h^2 |f''''| / 6 ~ 1e-6, inner noise 1e-10 / h ~ 1e-7
    J = fdcore.jacobian(lambda p: fdcore.gradient(f, p), x, step=1e-3)
    e, s, c = np.exp(0.3), np.sin(1.2), np.cos(1.2)
    exact = np.array([[e * s, e * c + 2 * 1.2], [e * c + 2 * 1.2, -e * s + 2 * 0.3]])
    np.testing.assert_allclose(J, exact, rtol=0, atol=1e-5)
    np.testing.assert_allclose(fdcore.hessian(f, x), exact, rtol=0, atol=1e-6)
