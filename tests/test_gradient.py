"""fdcore.gradient against analytic gradients, evaluation counts, dtypes, out= and side effects."""

import sys

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der

import fdcore
from helpers import METHODS, TOL_FIRST, TOL_FIRST_F32, Counted, f_xy, grad_xy, rel_err


@pytest.mark.parametrize("method", METHODS)
def test_sum_of_squares(method):
    g = fdcore.gradient(lambda p: p[0] ** 2 + p[1] ** 2, [1.0, 2.0], method=method)
    assert g.shape == (2,) and g.dtype == np.float64
    assert rel_err(g, [2.0, 4.0], 5.0) < TOL_FIRST[method]


@pytest.mark.parametrize("method", METHODS)
def test_x2y_plus_sin_xy(method):
    g = fdcore.gradient(f_xy, [1.0, 2.0], method=method)
    assert rel_err(g, grad_xy(1.0, 2.0), f_xy([1.0, 2.0])) < TOL_FIRST[method]


def test_sin_cos():
    g = fdcore.gradient(lambda p: np.sin(p[0]) * np.cos(p[1]), [np.pi / 4, np.pi / 4])
    np.testing.assert_allclose(g, [0.5, -0.5], rtol=1e-8, atol=1e-8)


def test_quadratic_is_exact_up_to_rounding():
    # Central differences are exact on polynomials of degree <= 2: only rounding remains.
    rng = np.random.default_rng(1)
    n = 6
    M = rng.integers(-5, 6, (n, n)).astype(float)
    A, b, c = M + M.T, rng.integers(-5, 6, n).astype(float), 3.0
    f = lambda p: 0.5 * p @ A @ p + b @ p + c  # noqa: E731
    x = rng.integers(-4, 5, n).astype(float)
    g = fdcore.gradient(f, x)
    assert rel_err(g, A @ x + b, f(x)) < 1e-9


def test_rosen_der_n1000():
    rng = np.random.default_rng(12345)
    x = rng.uniform(-1.0, 2.0, 1000)
    g = fdcore.gradient(rosen, x)
    assert rel_err(g, rosen_der(x), rosen(x)) < TOL_FIRST["central"]
    # and entrywise against the gradient's own size (round-off is EPS |f| / h ~ 1e-5 here)
    np.testing.assert_allclose(g, rosen_der(x), rtol=1e-7, atol=1e-4)


def test_large_coordinates_use_relative_steps():
    # h scales with max(1, |x|): d/dx log x = 1/x is found to full central accuracy at x ~ 1e8.
    x = np.array([1e8, 3e8])
    g = fdcore.gradient(lambda p: np.sum(np.log(p)), x)
    np.testing.assert_allclose(g, 1 / x, rtol=1e-8)


@pytest.mark.parametrize("method", METHODS)
def test_float32(method):
    x = np.array([1.0, 2.0], dtype=np.float32)
    g = fdcore.gradient(f_xy, x, method=method)
    assert g.dtype == np.float32
    assert rel_err(g, grad_xy(1.0, 2.0), f_xy([1.0, 2.0])) < TOL_FIRST_F32[method]


@pytest.mark.parametrize("dtype", [np.int32, np.int64, bool])
def test_integer_and_bool_input_cast_to_float64(dtype):
    x = np.array([1, 1], dtype=dtype)
    g = fdcore.gradient(lambda p: p[0] ** 2 + 3 * p[1], x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, [2.0, 3.0], rtol=1e-8)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_out_is_filled_and_returned(dtype):
    out = np.full(2, -7.0, dtype=dtype)
    g = fdcore.gradient(lambda p: p[0] ** 2 + p[1] ** 2, np.array([1.0, 2.0], dtype), out=out)
    assert g is out
    np.testing.assert_allclose(out, [2.0, 4.0], rtol=1e-3 if dtype == np.float32 else 1e-8)


def test_out_strided_view():
    buf = np.zeros((2, 3))
    out = buf[:, 1]
    g = fdcore.gradient(lambda p: p[0] ** 2 + p[1] ** 2, [1.0, 2.0], out=out)
    assert g is out
    np.testing.assert_allclose(buf, [[0, 2, 0], [0, 4, 0]], rtol=1e-8, atol=0)


@pytest.mark.parametrize("method, calls", [("central", 2 * 5), ("forward", 5 + 1), ("backward", 5 + 1)])
def test_evaluation_count(method, calls):
    f = Counted(lambda p: np.sum(p**3))
    fdcore.gradient(f, np.arange(5.0), method=method)
    assert f.calls == calls
    assert f.seen_writeable == {False}


@pytest.mark.parametrize("method", METHODS)
def test_realized_offsets_make_linear_coordinates_exact(method):
    # f = x_k: the difference (x_k + h) - (x_k - h) is divided by exactly itself.
    x = np.array([0.1, 3.7, -123.456, 1e5 / 3])
    for k in range(4):
        g = fdcore.gradient(lambda p: p[k], x, method=method)
        np.testing.assert_array_equal(g, np.eye(4)[k])


def test_explicit_step_scalar_and_array():
    f = lambda p: np.exp(p[0]) + p[1] ** 3  # noqa: E731
    exact = [np.e, 12.0]
    for step in (1e-4, [1e-4, 2e-4], np.array([1e-4, 2e-4])):
        g = fdcore.gradient(f, [1.0, 2.0], step=step)
        # truncation h^2 |f'''| / 6 <= 4e-8 * 6 / 6
        np.testing.assert_allclose(g, exact, rtol=0, atol=1e-7)
    # a step that is far too large has the expected O(h^2) bias: (e^(1+h) - e^(1-h)) / 2h
    h = 0.5
    g = fdcore.gradient(f, [1.0, 2.0], step=h)
    assert g[0] == pytest.approx(np.e * np.sinh(h) / h, rel=1e-12)
    assert g[1] == pytest.approx(12.0 + h**2, rel=1e-12)


def test_args_and_kwargs_passed_through():
    def f(p, a, b=0.0, *, c):
        return a * p[0] ** 2 + b * p[1] + c

    g = fdcore.gradient(f, [1.0, 2.0], args=(3.0,), kwargs={"b": 5.0, "c": 1.0})
    np.testing.assert_allclose(g, [6.0, 5.0], rtol=1e-8)
    g = fdcore.gradient(f, [1.0, 2.0], args=[3.0, 5.0], kwargs={"c": 1.0})
    np.testing.assert_allclose(g, [6.0, 5.0], rtol=1e-8)


def test_f_may_return_numpy_scalars_and_0d_arrays():
    x = [1.0, 2.0]
    for wrap in (np.float64, np.array, lambda v: np.array(v).reshape(())):
        g = fdcore.gradient(lambda p: wrap(p[0] * p[1]), x)
        np.testing.assert_allclose(g, [2.0, 1.0], rtol=1e-6)
    g = fdcore.gradient(lambda p: int(round(10 * p[0])), x, step=0.5)  # an int-valued f
    np.testing.assert_array_equal(g, [10.0, 0.0])


# --- progress= on the serial path --------------------------------------------------------------

def _without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm -> ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)


@pytest.mark.parametrize("entry, count", [
    (lambda f, x: fdcore.gradient(f, x, progress=True), 2 * 6),
    (lambda f, x: fdcore.jacobian(lambda p: np.array([f(p)]), x, progress=True), 2 * 6),
    (lambda f, x: fdcore.hessian(f, x, progress=True), 6 * 6 + 6 + 1),
], ids=["gradient", "jacobian", "hessian"])
def test_serial_progress_counts_every_evaluation(monkeypatch, capsys, entry, count):
    # Was: progress=True silently ignored for a serial Python f.
    _without_tqdm(monkeypatch)
    f = lambda p: float(p @ p)  # noqa: E731
    x = np.linspace(0.5, 1.0, 6)
    entry(f, x)
    err = capsys.readouterr().err
    assert err.endswith(f"\rfdcore: {count} points evaluated\n"), repr(err[-80:])


def test_serial_progress_leaves_the_result_unchanged(monkeypatch, capsys):
    _without_tqdm(monkeypatch)
    f = lambda p: np.sin(p[0]) * p[1] ** 2  # noqa: E731
    assert np.array_equal(fdcore.gradient(f, [0.3, 0.7], progress=True, richardson=True),
                          fdcore.gradient(f, [0.3, 0.7], richardson=True))
    assert "points evaluated\n" in capsys.readouterr().err
