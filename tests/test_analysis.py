"""fdcore.linearize and fdcore.classify_critical_point."""

import numpy as np
import pytest
from scipy.optimize import rosen

import fdcore
from helpers import Counted

paraboloid = lambda p: p[0] ** 2 + p[1] ** 2  # noqa: E731


# --- linearize --------------------------------------------------------------------------------

def test_tangent_plane_of_paraboloid():
    plane = fdcore.linearize(paraboloid, [1.0, 2.0])
    assert isinstance(plane, fdcore.Linearization)
    np.testing.assert_array_equal(plane.x0, [1.0, 2.0])
    assert plane.value == 5.0
    np.testing.assert_allclose(plane.jacobian, [2.0, 4.0], rtol=1e-8)
    for x, y in [(1.0, 2.0), (1.1, 2.0), (0.0, 0.0), (-3.0, 5.5)]:
        assert float(plane([x, y])) == pytest.approx(5 + 2 * (x - 1) + 4 * (y - 2), rel=1e-8, abs=1e-8)


def test_model_on_a_batch():
    plane = fdcore.linearize(paraboloid, [1.0, 2.0])
    Y = np.array([[1.0, 2.0], [1.1, 2.0], [0.0, 0.0], [-3.0, 5.5]])
    z = plane(Y)
    assert z.shape == (4,)
    np.testing.assert_allclose(z, 5 + 2 * (Y[:, 0] - 1) + 4 * (Y[:, 1] - 2), rtol=1e-8, atol=1e-8)


def test_vector_function():
    f = lambda p: np.array([p[0] * p[1], p[0] + np.sin(p[1]), p[1] ** 2])  # noqa: E731
    x0 = np.array([2.0, 0.5])
    J = np.array([[0.5, 2.0], [1.0, np.cos(0.5)], [0.0, 1.0]])
    model = fdcore.linearize(f, x0)
    assert model.jacobian.shape == (3, 2)
    np.testing.assert_allclose(model.value, f(x0), rtol=1e-15)
    np.testing.assert_allclose(model.jacobian, J, rtol=1e-8, atol=1e-9)
    Y = np.array([[2.0, 0.5], [2.1, 0.4], [1.0, 1.0]])
    out = model(Y)
    assert out.shape == (3, 3)
    np.testing.assert_allclose(out, f(x0) + (Y - x0) @ J.T, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(model(Y[1]), out[1], rtol=1e-15)


def test_linearize_vector_f_reusing_its_output_buffer():
    # f returns the same array object on every call; the model's value must stay f(x0)
    buf = np.empty(2)

    def f(p):
        buf[0], buf[1] = p[0] ** 2, p[0] * p[1]
        return buf

    model = fdcore.linearize(f, [1.0, 2.0])
    np.testing.assert_array_equal(model.value, [1.0, 2.0])
    np.testing.assert_allclose(model.jacobian, [[2.0, 0.0], [2.0, 1.0]], rtol=1e-8, atol=1e-9)


def test_linearize_nfev_and_passthrough():
    f = Counted(lambda p, a, *, b: a * p[0] ** 2 + b * p[1])
    model = fdcore.linearize(f, [1.0, 2.0, 3.0], args=(3.0,), kwargs={"b": 5.0})
    assert model.nfev == f.calls == 2 * 3 + 1
    np.testing.assert_allclose(model.jacobian, [6.0, 5.0, 0.0], rtol=1e-8, atol=1e-9)
    assert model.value == pytest.approx(13.0)


def test_linearize_rejects_wrong_batch_shape():
    plane = fdcore.linearize(paraboloid, [1.0, 2.0])
    with pytest.raises(ValueError):
        plane([1.0, 2.0, 3.0])


# --- classify_critical_point -------------------------------------------------------------------

CASES = [
    ("minimum", paraboloid, [0.0, 0.0]),
    ("minimum", lambda p: (1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2, [1.0, 1.0]),
    ("minimum", rosen, np.ones(6)),
    ("minimum", lambda p: (p[0] - 1) ** 2 + 2 * (p[1] + 2) ** 2 + 5.0, [1.0, -2.0]),
    ("minimum", lambda p: 1e6 * (p[0] ** 2 + p[1] ** 2), [0.0, 0.0]),
    ("minimum", lambda p: 1e-6 * (p[0] ** 2 + p[1] ** 2), [0.0, 0.0]),
    ("maximum", lambda p: -(p[0] ** 2 + p[1] ** 2), [0.0, 0.0]),
    ("maximum", lambda p: np.cos(p[0]) * np.cos(p[1]), [0.0, 0.0]),
    ("saddle", lambda p: p[0] ** 2 - p[1] ** 2, [0.0, 0.0]),
    ("saddle", lambda p: p[0] * p[1], [0.0, 0.0]),
    ("saddle", lambda p: 1e-6 * (p[0] ** 2 - p[1] ** 2), [0.0, 0.0]),
    ("saddle", lambda p: 1e6 * ((p[0] - 3) ** 2 - (p[1] - 4) ** 2), [3.0, 4.0]),
    # f(x) ~ 0 and x = pi/2 only to rounding: the gradient tolerance must cover |H| EPS |x|.
    ("saddle", lambda p: np.cos(p[0]) * np.cos(p[1]), [np.pi / 2, np.pi / 2]),
    ("degenerate", lambda p: p[0] ** 4 + p[1] ** 2, [0.0, 0.0]),
    ("degenerate", lambda p: p[0] ** 3 + p[1] ** 2, [0.0, 0.0]),
    ("not critical", lambda p: p[0] ** 2 + p[1], [0.0, 0.0]),
    ("not critical", paraboloid, [1.0, 2.0]),
    ("not critical", lambda p: 1e-6 * (p[0] ** 2 + p[1] ** 2), [1.0, 1.0]),
]


@pytest.mark.parametrize("kind, f, x", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_classification(kind, f, x):
    cp = fdcore.classify_critical_point(f, x)
    assert isinstance(cp, fdcore.CriticalPoint)
    assert cp.kind == kind


def test_critical_point_details():
    f = Counted(lambda p: p[0] ** 2 + 3 * p[1] ** 2 - p[0] * p[1] + p[2] ** 2)
    cp = fdcore.classify_critical_point(f, [0.0, 0.0, 0.0])
    assert cp.kind == "minimum"
    H = np.array([[2.0, -1.0, 0.0], [-1.0, 6.0, 0.0], [0.0, 0.0, 2.0]])
    np.testing.assert_allclose(cp.hessian, H, rtol=0, atol=1e-6)
    np.testing.assert_allclose(cp.eigenvalues, np.linalg.eigvalsh(H), rtol=0, atol=1e-6)
    assert np.all(np.diff(cp.eigenvalues) >= 0)
    np.testing.assert_allclose(cp.gradient, 0.0, rtol=0, atol=1e-12)
    assert cp.gradient_tolerance.shape == (3,)
    assert 0 <= cp.eigenvalue_tolerance < 1e-3
    n = 3
    assert cp.nfev == f.calls == 1 + 4 * n + 2 * (n * n + n + 1)


def test_classify_passes_args_and_kwargs():
    f = lambda p, a, *, b: a * p[0] ** 2 + b * p[1] ** 2  # noqa: E731
    assert fdcore.classify_critical_point(f, [0.0, 0.0], args=(1.0,), kwargs={"b": -1.0}).kind == "saddle"
    assert fdcore.classify_critical_point(f, [0.0, 0.0], args=(-1.0,), kwargs={"b": -1.0}).kind == "maximum"


def test_gtol_accepts_an_optimizers_approximate_minimum():
    # rosen_der here is ~ H dx ~ 1e-4: far above the finite-difference error, below gtol.
    x = np.array([1.0 + 1e-6, 1.0 + 2e-6])
    assert fdcore.classify_critical_point(rosen, x).kind == "not critical"
    assert fdcore.classify_critical_point(rosen, x, gtol=1e-2).kind == "minimum"
