"""The caller's x is never modified, f gets a read-only array, f's exceptions propagate unchanged,
and NaN/inf values of f are reported per coordinate."""

import warnings

import numpy as np
import pytest

import fdcore
from helpers import METHODS


class Boom(Exception):
    pass


def sq(p):
    return float(np.sum(np.asarray(p, dtype=np.float64) ** 2))


def vec(p):
    p = np.asarray(p, dtype=np.float64)
    return np.array([p[0] * p[1], np.sum(p)])


# Every entry point as call(f_scalar, f_vector, x); derivative gets an elementwise f.
CALLS = {
    **{f"gradient-{m}": (lambda m: lambda fs, fv, x: fdcore.gradient(fs, x, method=m))(m) for m in METHODS},
    **{f"jacobian-{m}": (lambda m: lambda fs, fv, x: fdcore.jacobian(fv, x, method=m))(m) for m in METHODS},
    **{f"hessian-{m}": (lambda m: lambda fs, fv, x: fdcore.hessian(fs, x, method=m))(m) for m in METHODS},
    "jvp": lambda fs, fv, x: fdcore.jvp(fs, x, [1.0, -1.0, 2.0]),
    "jvp-vector": lambda fs, fv, x: fdcore.jvp(fv, x, [1.0, -1.0, 2.0]),
    "directional": lambda fs, fv, x: fdcore.directional_derivative(fs, x, [1.0, -1.0, 2.0]),
    "derivative": lambda fs, fv, x: fdcore.derivative(lambda t: np.asarray(t) * fs(np.ravel(t)[:1]), x),
    "derivative-n2": lambda fs, fv, x: fdcore.derivative(lambda t: np.asarray(t) * fs(np.ravel(t)[:1]), x, n=2),
    "linearize": lambda fs, fv, x: fdcore.linearize(fs, x),
    "linearize-vector": lambda fs, fv, x: fdcore.linearize(fv, x),
    "classify": lambda fs, fv, x: fdcore.classify_critical_point(fs, x),
}
ALL = pytest.mark.parametrize("call", list(CALLS))
INPUTS = {
    "float64": lambda: np.array([0.5, -1.25, 3.0]),
    "float32": lambda: np.array([0.5, -1.25, 3.0], dtype=np.float32),
    "int": lambda: np.array([1, -2, 3]),
    "list": lambda: [0.5, -1.25, 3.0],
    "noncontiguous": lambda: np.array([0.5, 9.0, -1.25, 9.0, 3.0, 9.0])[::2],
    "readonly": lambda: _readonly(np.array([0.5, -1.25, 3.0])),
}


def _readonly(a):
    a.flags.writeable = False
    return a


def snapshot(x):
    return list(x) if isinstance(x, list) else x.copy()


def assert_unchanged(x, before):
    if isinstance(x, list):
        assert x == before
    else:
        np.testing.assert_array_equal(x, before)
        assert x.dtype == before.dtype


@ALL
@pytest.mark.parametrize("kind", list(INPUTS))
def test_x_unchanged(call, kind):
    x = INPUTS[kind]()
    before = snapshot(x)
    CALLS[call](sq, vec, x)
    assert_unchanged(x, before)


@ALL
@pytest.mark.parametrize("kind", list(INPUTS))
@pytest.mark.parametrize("fail_at", [1, 2])  # 2: mid-stencil (jvp/derivative make only 2-3 calls)
def test_exception_from_f_propagates_and_x_unchanged(call, kind, fail_at):
    x = INPUTS[kind]()
    before = snapshot(x)
    raised = []

    def make(base):
        def f(p):
            if len(raised) == 0 and f.calls + 1 == fail_at:
                raised.append(Boom(f"call {fail_at}"))
                raise raised[0]
            f.calls += 1
            return base(p)

        f.calls = 0
        return f

    fs, fv = make(sq), make(vec)
    with pytest.raises(Boom) as info:
        CALLS[call](fs, fv, x)
    assert info.value is raised[0]
    assert_unchanged(x, before)


@ALL
def test_f_cannot_write_into_its_argument(call):
    x = np.array([0.5, -1.25, 3.0])
    before = x.copy()

    def writer(p):
        p[0] = 42.0
        return 1.0

    def vwriter(p):
        p[...] = 0.0
        return np.ones(2)

    with pytest.raises(ValueError, match="read-only"):
        CALLS[call](writer, vwriter, x)
    np.testing.assert_array_equal(x, before)


@ALL
def test_f_cannot_make_its_argument_writeable(call):
    # a read-only view of a writeable array could be switched back (flags.writeable = True) and
    # written through, corrupting the stencil: f's array comes through a read-only buffer
    x = np.array([0.5, -1.25, 3.0])
    before = x.copy()

    def unlock(p):
        p.flags.writeable = True
        p[0] = 42.0

    def writer(p):
        unlock(p)
        return 1.0

    def vwriter(p):
        unlock(p)
        return np.ones(2)

    with pytest.raises(ValueError, match="WRITEABLE"):
        CALLS[call](writer, vwriter, x)
    np.testing.assert_array_equal(x, before)


@ALL
def test_f_receives_read_only_arrays(call):
    seen = []

    def fs(p):
        seen.append(p.flags.writeable)
        return sq(p)

    def fv(p):
        seen.append(p.flags.writeable)
        return vec(p)

    CALLS[call](fs, fv, np.array([0.5, -1.25, 3.0]))
    assert seen and not any(seen)


def test_f_sees_the_perturbed_points_only_during_the_call():
    # documented: the array handed to f is only valid during the call; a copy is always correct
    x = np.array([1.0, 2.0, 3.0])
    copies = []
    fdcore.gradient(lambda p: copies.append(p.copy()) or sq(p), x)
    h = np.finfo(float).eps ** (1 / 3) * np.maximum(1, np.abs(x))
    for i in range(3):
        np.testing.assert_array_equal(copies[2 * i], x + h[i] * np.eye(3)[i])
        np.testing.assert_array_equal(copies[2 * i + 1], x - h[i] * np.eye(3)[i])


# --- NaN / inf values of f -------------------------------------------------------------------------

X0 = np.array([0.5, -1.25, 3.0])
GRAD = 2 * X0


def poisoned(base, bad=np.nan, direction=+1, coord=1):
    """base, except bad when x[coord] is moved from X0 in the given direction."""
    def f(p):
        if direction * (p[coord] - X0[coord]) > 0:
            return bad if np.ndim(base(p)) == 0 else np.full(np.shape(base(p)), bad)
        return base(p)

    return f


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_gradient_nan_at_a_stencil_point(method, bad):
    direction = -1 if method == "backward" else +1
    with pytest.warns(RuntimeWarning, match=r"coordinates 1\b"):
        g = fdcore.gradient(poisoned(sq, bad, direction), X0, method=method)
    assert np.isnan(g[1])
    tol = 1e-8 if method == "central" else 1e-6
    np.testing.assert_allclose(g[[0, 2]], GRAD[[0, 2]], rtol=tol)


@pytest.mark.parametrize("method", METHODS)
def test_jacobian_nan_at_a_stencil_point(method):
    direction = -1 if method == "backward" else +1
    with pytest.warns(RuntimeWarning, match=r"coordinates 1\b"):
        J = fdcore.jacobian(poisoned(vec, np.nan, direction), X0, method=method)
    assert np.isnan(J[:, 1]).all()
    exact = np.array([[X0[1], X0[0], 0.0], [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(J[:, [0, 2]], exact[:, [0, 2]], rtol=1e-6, atol=1e-8)


def test_hessian_nan_at_a_stencil_point():
    with pytest.warns(RuntimeWarning, match=r"coordinates .*\b1\b"):
        H = fdcore.hessian(poisoned(sq), X0)
    assert np.isnan(H[1, :]).all() and np.isnan(H[:, 1]).all()
    keep = np.ix_([0, 2], [0, 2])
    np.testing.assert_allclose(H[keep], 2 * np.eye(2), rtol=0, atol=1e-6)


def test_jvp_and_derivative_nan():
    with pytest.warns(RuntimeWarning):
        assert np.isnan(fdcore.jvp(poisoned(sq), X0, [0.0, 1.0, 0.0]))
    with pytest.warns(RuntimeWarning):
        r = fdcore.jvp(poisoned(vec), X0, [0.0, 1.0, 0.0])
    assert r.shape == (2,) and np.isnan(r).all()
    t = np.array([-1.0, 0.0, 2.0])
    with pytest.warns(RuntimeWarning):
        d = fdcore.derivative(lambda s: np.where(s > 1.5, np.nan, s**2), t)
    assert np.isnan(d[2])
    np.testing.assert_allclose(d[:2], 2 * t[:2], rtol=0, atol=1e-9)


def test_no_warning_when_finite():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fdcore.gradient(sq, X0)
        fdcore.jacobian(vec, X0)
        fdcore.hessian(sq, X0)
        fdcore.jvp(sq, X0, X0)
        fdcore.derivative(np.sin, X0)
