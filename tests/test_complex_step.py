"""method='complex': the complex-step derivative Im f(x + i h e_i) / h (no subtractive cancellation,
so the result is exact to a few units of round-off)."""

import numpy as np
import pytest
from helpers import Counted, smooth, smooth_hessian, vector_f, vector_jacobian

import fdcore

EPS = np.finfo(np.float64).eps


def max_rel(approx, exact):
    """max|approx - exact| / max|exact|: the analytic references themselves carry ~EPS rounding."""
    return float(np.max(np.abs(np.asarray(approx) - exact)) / np.max(np.abs(exact)))


def random_problem(seed, n=5):
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1, 1, n)

    def f(p):
        return np.exp(a @ p) * np.sin(p[0]) + np.sum(p**3) / (1 + p[1] ** 2)

    def grad(p):
        e, q = np.exp(a @ p), 1 + p[1] ** 2
        g = a * e * np.sin(p[0]) + 3 * p**2 / q
        g[0] += e * np.cos(p[0])
        g[1] -= np.sum(p**3) * 2 * p[1] / q**2
        return g

    return f, grad, rng.uniform(-1, 1, n)


X3 = np.array([0.7, -0.4, 1.3])


@pytest.mark.parametrize("seed", range(10))
def test_gradient_to_roundoff(seed):
    f, grad, x = random_problem(seed)
    counted = Counted(f)
    r = fdcore.gradient(counted, x, method="complex", full_output=True)
    assert r.nfev == counted.calls == x.size + 1  # f at x (checked real), then n complex steps
    assert r.method == "complex"
    # measured <= 1.8e-16 (no cancellation: only the rounding of f's own evaluation)
    assert max_rel(r.value, grad(x)) <= 1e-15
    assert np.all(r.error >= np.abs(r.value - grad(x)))
    assert np.all(r.step < 1e-20)  # a tiny imaginary step: EPS^2 max(1, |x_i|)


def test_gradient_nfev_is_n_plus_1_and_f_gets_complex_read_only_input():
    seen = []

    def f(p):
        seen.append((p.dtype, p.flags.writeable))
        return smooth(p)

    r = fdcore.gradient(f, X3, method="complex", full_output=True)
    assert len(seen) == r.nfev == 4 and all(dt == np.complex128 and not w for dt, w in seen)


@pytest.mark.parametrize("entry", [
    lambda f: fdcore.gradient(lambda p: f(p).sum(), X3, method="complex"),
    lambda f: fdcore.jacobian(f, X3, method="complex"),
    lambda f: fdcore.hessian(lambda p: f(p).sum(), X3, method="complex"),
    lambda f: fdcore.derivative(f, X3, method="complex")])
def test_an_f_complex_on_the_real_axis_is_refused(entry):
    """f = 1j x^2 is analytic but not real for real x: Im f(x + ih)/h is Im f(x)/h, which came
    back as ~1e31 per component, silently; now one evaluation at x refuses it."""
    with pytest.raises(ValueError, match="real for real x"):
        entry(lambda p: 1j * p**2)
    entry(lambda p: p**2 + 0j)  # a complex dtype with zero imaginary part is real


def test_jacobian_to_roundoff():
    f = Counted(vector_f)
    r = fdcore.jacobian(f, X3, method="complex", full_output=True)
    exact = vector_jacobian(X3)
    assert r.value.shape == (4, 3)
    assert max_rel(r.value, exact) <= 1e-15  # measured 0
    assert np.all(r.value[exact == 0] == 0)
    # The structural zeros are exact: no difference of nearby values is ever formed.


def test_jacobian_costs_n_plus_1_evaluations():
    """f at x (checked real for real x), then one complex step per coordinate."""
    f = Counted(vector_f)
    r = fdcore.jacobian(f, X3, method="complex", full_output=True)
    assert (f.calls, r.nfev) == (4, 4)


def test_derivative_to_roundoff():
    t = np.linspace(-2, 2, 17)
    f = Counted(np.exp)
    r = fdcore.derivative(f, t, method="complex", full_output=True)
    assert f.calls == r.nfev == 2  # one vectorized call on x (checked real), one on x + i h
    assert np.max(np.abs(r.value - np.exp(t)) / np.exp(t)) <= 1e-15  # measured 0
    g = fdcore.derivative(lambda s: np.sin(s) * s**2, t, method="complex")
    assert max_rel(g, np.cos(t) * t**2 + 2 * t * np.sin(t)) <= 1e-15


def test_derivative_complex_of_higher_orders_is_the_contour_rule():
    # n >= 2: f on a circle in the complex plane (fdcore.numerics.contour), 1 + 3 calls for n = 2
    f = Counted(np.exp)
    r = fdcore.derivative(f, [1.0], n=2, method="complex", full_output=True)
    assert abs(r.value[0] - np.e) < 1e-9 and r.nfev == f.calls == 4


def test_hessian():
    f = Counted(smooth)
    r = fdcore.hessian(f, X3, method="complex", full_output=True)
    exact = smooth_hessian(X3)
    assert r.nfev == f.calls == 2 * 3 * 3 + 1
    assert np.array_equal(r.value, r.value.T)
    # Central difference (h = EPS^(1/3)) of an exact gradient: O(h^2) + O(EPS/h) ~ 1e-11;
    # measured 7.7e-12 normwise.
    assert np.linalg.norm(r.value - exact) / np.linalg.norm(exact) <= 1e-9
    assert np.all(r.error >= np.abs(r.value - exact))


@pytest.mark.parametrize("name, n", [("rosenbrock", 6), ("extended_powell", 4), ("dense_quadratic", 5)])
def test_hessian_of_problems(name, n):
    p = fdcore.get_problem(name, n)
    f = Counted(p.f)
    H = fdcore.hessian(f, p.x0, method="complex")
    exact = p.hessian(p.x0)
    assert f.calls == 2 * n * n + 1
    assert np.array_equal(H, H.T)
    assert np.linalg.norm(H - exact) / np.linalg.norm(exact) <= 1e-9


def test_x_is_not_modified():
    x = X3.copy()
    x32 = X3.astype(np.float32)
    before, before32 = x.copy(), x32.copy()
    fdcore.gradient(smooth, x, method="complex")
    fdcore.hessian(smooth, x, method="complex")
    fdcore.jacobian(vector_f, x, method="complex")
    fdcore.gradient(smooth, x32, method="complex")
    fdcore.derivative(np.exp, x, method="complex")
    assert np.array_equal(x, before) and np.array_equal(x32, before32)


def test_float32_in_float32_out():
    x = X3.astype(np.float32)
    g = fdcore.gradient(smooth, x, method="complex")
    J = fdcore.jacobian(vector_f, x, method="complex")
    H = fdcore.hessian(smooth, x, method="complex")
    d = fdcore.derivative(np.exp, x, method="complex")
    assert g.dtype == J.dtype == H.dtype == d.dtype == np.float32
    # complex64 arithmetic: accuracy ~EPS32, not EPS32^(2/3) as for a central difference
    xd = x.astype(np.float64)
    assert max_rel(d, np.exp(xd)) <= 1e-6
    assert max_rel(J, vector_jacobian(xd)) <= 1e-6


# --- f that is not complex-analytic ---------------------------------------------------------------

NOT_ANALYTIC = {
    "abs": lambda p: np.sum(np.abs(p) ** 2),
    "real": lambda p: (p[0] * p[1]).real,
    "float": lambda p: float(np.real(p[0] * p[1])),
}


@pytest.mark.parametrize("kind", NOT_ANALYTIC)
@pytest.mark.parametrize("entry", ["gradient", "hessian"])
def test_real_valued_f_raises_type_error(kind, entry):
    with pytest.raises(TypeError, match="complex"):
        getattr(fdcore, entry)(NOT_ANALYTIC[kind], [1.0, 2.0], method="complex")


def test_real_valued_vector_f_raises_type_error():
    with pytest.raises(TypeError, match="complex"):
        fdcore.jacobian(lambda p: np.abs(p) ** 2, [1.0, 2.0], method="complex")


def test_real_valued_f_raises_type_error_in_derivative():
    """Currently fails: fdcore.derivative(np.abs, x, method='complex') silently returns zeros. The check
    ``np.iscomplexobj(values)`` runs after ``call(..., 'complex')`` has already converted f's
    values with ``np.array(value, dtype=complex)``, so it is always true."""
    with pytest.raises(TypeError, match="complex"):
        fdcore.derivative(np.abs, np.array([1.0, 2.0]), method="complex")


# --- options that make no sense with the complex step ---------------------------------------------

ENTRY_POINTS = {
    "gradient": lambda **kw: fdcore.gradient(smooth, X3, method="complex", **kw),
    "jacobian": lambda **kw: fdcore.jacobian(vector_f, X3, method="complex", **kw),
    "hessian": lambda **kw: fdcore.hessian(smooth, X3, method="complex", **kw),
    "derivative": lambda **kw: fdcore.derivative(np.exp, X3, method="complex", **kw),
}


# (The complex-step Hessian takes Richardson levels: test_complex_hessian_richardson.)
@pytest.mark.parametrize("entry,option", [
    (entry, option) for entry in ENTRY_POINTS
    for option in ({"order": 4}, {"order": 6}, {"order": 1}, {"richardson": 3}, {"richardson": 2})
    if not (entry == "hessian" and "richardson" in option)
    and not (entry == "derivative" and option == {"order": 4})])  # derivative: order=4 is a 4-node contour
def test_order_or_richardson_rejected(entry, option):
    with pytest.raises(ValueError, match="complex"):
        ENTRY_POINTS[entry](**option)


@pytest.mark.parametrize("entry", [e for e in ENTRY_POINTS if e != "hessian"])
def test_accurate_mode_rejected(entry):
    # richardson=True (== 1 in Python) must not pass as one level: the complex step has none.
    with pytest.raises(ValueError, match="complex"):
        ENTRY_POINTS[entry](richardson=True)


def test_complex_hessian_richardson():
    # Levels of the outer central differences: 2 n^2 evaluations each (plus f at x), their
    # truncation extrapolated away and in the error estimate.
    f = Counted(smooth)
    one = fdcore.hessian(smooth, X3, method="complex", step=0.05, full_output=True)
    r = fdcore.hessian(f, X3, method="complex", step=0.05, richardson=3, full_output=True)
    exact = smooth_hessian(X3)
    assert np.abs(r.value - exact).max() < 1e-3 * np.abs(one.value - exact).max()
    assert np.all(np.abs(r.value - exact) <= r.error) and np.array_equal(r.value, r.value.T)
    assert r.nfev == f.calls == 2 * 9 * 3 + 1
    assert fdcore.hessian(smooth, X3, method="complex", richardson=True, full_output=True).nfev == 2 * 9 * 3 + 1


@pytest.mark.parametrize("entry", ENTRY_POINTS)
def test_default_options_accepted(entry):
    assert np.all(np.isfinite(ENTRY_POINTS[entry](richardson=False)))
