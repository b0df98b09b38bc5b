"""fdcore.jvp and fdcore.directional_derivative: worked examples, chain rule, vector f, counts."""

import numpy as np
import pytest

import fdcore
from helpers import Counted

saddle = lambda p: p[0] ** 2 - p[1] ** 2  # noqa: E731


def test_saddle_gradient_and_directional_derivative():
    x, v = [1.0, 2.0], [3.0, 4.0]
    np.testing.assert_allclose(fdcore.gradient(saddle, x), [2.0, -4.0], rtol=1e-8)
    d = fdcore.directional_derivative(saddle, x, v)
    assert isinstance(d, float)
    assert d == pytest.approx((2 * 3 - 4 * 4) / 5, rel=1e-8)  # = -2
    assert d == pytest.approx(-2.0, rel=1e-8)
    # unnormalised: the jvp, grad . v = -10
    assert fdcore.directional_derivative(saddle, x, v, normalize=False) == pytest.approx(-10.0, rel=1e-8)
    assert fdcore.jvp(saddle, x, v) == pytest.approx(-10.0, rel=1e-8)


def test_directional_derivative_is_invariant_to_the_length_of_v():
    f = lambda p: np.exp(p[0]) * np.sin(p[1]) + p[2]  # noqa: E731
    x, u = np.array([0.3, 1.1, -2.0]), np.array([1.0, -2.0, 2.0]) / 3.0
    exact = np.array([np.exp(0.3) * np.sin(1.1), np.exp(0.3) * np.cos(1.1), 1.0]) @ u
    for scale in (1e-3, 1.0, 250.0):
        assert fdcore.directional_derivative(f, x, scale * u) == pytest.approx(exact, rel=1e-8, abs=1e-10)


@pytest.mark.parametrize("t", [-1.3, 0.0, 0.4, 2.0])
def test_chain_rule(t):
    # z(t) = f(x(t), y(t)), f = x^2 y + exp(y), x = cos t, y = t^2
    f = lambda p: p[0] ** 2 * p[1] + np.exp(p[1])  # noqa: E731
    x, y, dx, dy = np.cos(t), t**2, -np.sin(t), 2 * t
    dz_dt = (2 * x * y) * dx + (x**2 + np.exp(y)) * dy
    assert fdcore.jvp(f, [x, y], [dx, dy]) == pytest.approx(dz_dt, rel=1e-8, abs=1e-8)
    # and against the derivative of the composite function of t itself
    z = lambda s: np.cos(s) ** 2 * s**2 + np.exp(s**2)  # noqa: E731
    assert float(fdcore.derivative(z, t)) == pytest.approx(dz_dt, rel=1e-8, abs=1e-8)


def test_jvp_of_vector_function_is_J_times_v():
    f = lambda p: np.array([p[0] * p[1], np.sin(p[0]) + p[2] ** 2, np.exp(p[1] - p[2])])  # noqa: E731
    x, v = np.array([0.5, -1.0, 2.0]), np.array([1.0, 2.0, -0.5])
    J = np.array([[x[1], x[0], 0.0],
                  [np.cos(x[0]), 0.0, 2 * x[2]],
                  [0.0, np.exp(x[1] - x[2]), -np.exp(x[1] - x[2])]])
    r = fdcore.jvp(f, x, v)
    assert r.shape == (3,)
    np.testing.assert_allclose(r, J @ v, rtol=1e-8, atol=1e-9)
    np.testing.assert_allclose(r, fdcore.jacobian(f, x) @ v, rtol=1e-8, atol=1e-9)
    d = fdcore.directional_derivative(f, x, v)
    np.testing.assert_allclose(d, J @ v / np.linalg.norm(v), rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("n", [1, 3, 50])
def test_jvp_uses_two_evaluations(n):
    f = Counted(lambda p: np.sum(p**2))
    fdcore.jvp(f, np.ones(n), np.arange(n, dtype=float) + 1)
    assert f.calls == 2
    f = Counted(lambda p: p[:1] * 2.0)
    fdcore.directional_derivative(f, np.ones(n), np.ones(n))
    assert f.calls == 2
    assert f.seen_writeable == {False}


def test_jvp_along_zero_vector_is_zero():
    assert fdcore.jvp(saddle, [1.0, 2.0], [0.0, 0.0]) == 0.0


def test_jvp_float32():
    x = np.array([1.0, 2.0], dtype=np.float32)
    r = fdcore.jvp(lambda p: np.array([p[0] ** 2, p[0] * p[1]]), x, [1.0, 1.0])
    assert r.dtype == np.float32
    np.testing.assert_allclose(r, [2.0, 3.0], rtol=1e-3)


def test_jvp_args_kwargs_and_step():
    f = lambda p, a, *, b: a * p[0] ** 3 + b * p[1]  # noqa: E731
    assert fdcore.jvp(f, [1.0, 0.0], [1.0, 1.0], args=(2.0,), kwargs={"b": 5.0}) == pytest.approx(11.0, rel=1e-8)
    # explicit step t: (f(x + t v) - f(x - t v)) / 2t = 6 + 2 t^2 + 5 for this cubic
    r = fdcore.jvp(f, [1.0, 0.0], [1.0, 1.0], step=0.1, args=(2.0,), kwargs={"b": 5.0})
    assert r == pytest.approx(11.0 + 2 * 0.1**2, rel=1e-12)
