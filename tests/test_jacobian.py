"""fdcore.jacobian against analytic Jacobians, evaluation counts, dtypes and out=."""

import numpy as np
import pytest

import fdcore
from helpers import METHODS, TOL_FIRST, TOL_FIRST_F32, Counted, rel_err


def polar(p):
    return np.array([p[0] * np.cos(p[1]), p[0] * np.sin(p[1])])


def polar_jac(r, t):
    return np.array([[np.cos(t), -r * np.sin(t)], [np.sin(t), r * np.cos(t)]])


def g3(p):  # R^2 -> R^3
    x, y = p
    return np.array([x**2 * y, np.exp(x) - y, np.sin(x * y)])


def g3_jac(x, y):
    return np.array([[2 * x * y, x**2], [np.exp(x), -1.0], [y * np.cos(x * y), x * np.cos(x * y)]])


@pytest.mark.parametrize("method", METHODS)
def test_polar(method):
    J = fdcore.jacobian(polar, [2.0, 0.7], method=method)
    assert J.shape == (2, 2) and J.dtype == np.float64
    assert rel_err(J, polar_jac(2.0, 0.7), 2.0) < TOL_FIRST[method]


@pytest.mark.parametrize("method", METHODS)
def test_nonsquare(method):
    J = fdcore.jacobian(g3, [0.5, 1.5], method=method)
    assert J.shape == (3, 2)
    assert rel_err(J, g3_jac(0.5, 1.5), np.abs(g3([0.5, 1.5])).max()) < TOL_FIRST[method]


def test_linear_map_is_exact_up_to_rounding():
    rng = np.random.default_rng(3)
    A = rng.integers(-9, 10, (4, 6)).astype(float)
    J = fdcore.jacobian(lambda p: A @ p, rng.integers(-3, 4, 6).astype(float))
    np.testing.assert_allclose(J, A, rtol=0, atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_identity_is_exact(method, dtype):
    # Realized offsets: column i is ((x_i + h) - (x_i - h)) / ((x_i + h) - (x_i - h)) e_i exactly.
    x = np.array([0.1, -3.7, 1e4 / 3, 7.0], dtype=dtype)
    J = fdcore.jacobian(lambda p: p.astype(np.float64), x, method=method)
    assert J.dtype == dtype
    np.testing.assert_array_equal(J, np.eye(4))


@pytest.mark.parametrize("method", METHODS)
def test_float32(method):
    J = fdcore.jacobian(g3, np.array([0.5, 1.5], dtype=np.float32), method=method)
    assert J.dtype == np.float32
    assert rel_err(J, g3_jac(0.5, 1.5), 3.0) < TOL_FIRST_F32[method]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_is_filled_and_returned(method, dtype):
    out = np.full((3, 2), np.nan, dtype=dtype)
    J = fdcore.jacobian(g3, np.array([0.5, 1.5], dtype=dtype), method=method, out=out)
    assert J is out
    tol = (TOL_FIRST_F32 if dtype == np.float32 else TOL_FIRST)[method]
    assert rel_err(out, g3_jac(0.5, 1.5), 3.0) < tol


@pytest.mark.parametrize("method, calls", [("central", 2 * 4), ("forward", 4 + 1), ("backward", 4 + 1)])
def test_evaluation_count(method, calls):
    f = Counted(lambda p: np.array([p.sum(), p.prod(), p[0]]))
    fdcore.jacobian(f, [1.0, 2.0, 3.0, 4.0], method=method)
    assert f.calls == calls
    assert f.seen_writeable == {False}


@pytest.mark.parametrize(
    "convert",
    [
        list,
        tuple,
        lambda a: a.astype(np.float32),
        lambda a: a.astype(np.int64),
        lambda a: np.repeat(a, 2)[::2],  # non-contiguous float64 view
        lambda a: a.astype(">f8"),  # float64, big-endian byte order
        lambda a: np.asfortranarray(a[:, None])[:, 0],
    ],
    ids=["list", "tuple", "float32", "int64", "strided", "big-endian", "fortran-view"],
)
@pytest.mark.parametrize("method", METHODS)
def test_any_real_1d_array_like_value_is_accepted(convert, method):
    # Values are converted to float64. With even-integer A and step 0.5 every value at every
    # stencil point is an integer, so each conversion is lossless and the differences are exact.
    A = np.array([[2.0, 4.0], [6.0, -8.0], [2.0, -2.0]])
    J = fdcore.jacobian(lambda p: convert(A @ p), [1.0, 2.0], method=method, step=0.5)
    np.testing.assert_array_equal(J, A)


def test_args_and_kwargs_passed_through():
    def f(p, a, *, b):
        return np.array([a * p[0], b * p[1], a * b * p[0] * p[1]])

    J = fdcore.jacobian(f, [1.0, 2.0], args=(3.0,), kwargs={"b": -2.0})
    np.testing.assert_allclose(J, [[3, 0], [0, -2], [-12, -6]], rtol=1e-8, atol=1e-8)


@pytest.mark.parametrize("method", METHODS)
def test_f_reusing_its_output_buffer(method):
    # f may legitimately return the same (contiguous float64) array object on every call;
    # fdcore must take the values, not keep a reference that the next call overwrites.
    buf = np.empty(3)

    def f(p):
        buf[:] = g3(p)
        return buf

    J = fdcore.jacobian(f, [0.5, 1.5], method=method)
    assert rel_err(J, g3_jac(0.5, 1.5), 3.0) < TOL_FIRST[method]
