"""fdcore.derivative: elementwise derivatives of vectorized scalar functions of one variable."""

import numpy as np
import pytest
from helpers import METHODS, TOL_FIRST, TOL_FIRST_F32, TOL_SECOND, Counted

import fdcore

FUNCS = [(np.sin, np.cos, lambda x: -np.sin(x)),
         (np.cos, lambda x: -np.sin(x), lambda x: -np.cos(x)),
         (np.exp, np.exp, np.exp)]
SHAPES = [(), (7,), (3, 4), (2, 3, 2)]


def points(shape, dtype=np.float64):
    rng = np.random.default_rng(len(shape))
    return rng.uniform(-2.0, 2.0, shape).astype(dtype)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("f, df, d2f", FUNCS)
def test_first_derivative(f, df, d2f, method, shape):
    x = points(shape)
    d = fdcore.derivative(f, x, method=method)
    assert np.shape(d) == shape and d.dtype == np.float64
    np.testing.assert_allclose(d, df(x), rtol=0, atol=10 * TOL_FIRST[method])  # scale: |f| <= e^2 < 10


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("f, df, d2f", FUNCS)
def test_second_derivative(f, df, d2f, shape):
    x = points(shape)
    d = fdcore.derivative(f, x, n=2)
    assert np.shape(d) == shape
    np.testing.assert_allclose(d, d2f(x), rtol=0, atol=10 * TOL_SECOND["central"])  # scale: |f| < 10


def test_scalar_input_gives_numpy_scalar():
    d = fdcore.derivative(np.sin, 0.5)
    assert isinstance(d, np.float64) and np.ndim(d) == 0
    assert d == pytest.approx(np.cos(0.5), rel=1e-9)
    d = fdcore.derivative(np.exp, np.float32(0.5))
    assert isinstance(d, np.float32)
    assert d == pytest.approx(np.exp(0.5), rel=1e-3)


def test_list_input():
    np.testing.assert_allclose(fdcore.derivative(np.sin, [0.0, np.pi / 2, np.pi]), [1.0, 0.0, -1.0],
                               rtol=0, atol=1e-9)


@pytest.mark.parametrize("method", METHODS)
def test_float32(method):
    x = points((4, 3), np.float32)
    d = fdcore.derivative(np.sin, x, method=method)
    assert d.dtype == np.float32 and d.shape == (4, 3)
    np.testing.assert_allclose(d, np.cos(x.astype(np.float64)), rtol=0, atol=TOL_FIRST_F32[method])
    d2 = fdcore.derivative(np.sin, x, n=2)
    assert d2.dtype == np.float32
    np.testing.assert_allclose(d2, -np.sin(x.astype(np.float64)), rtol=0, atol=1e-2)  # EPS32^(1/2) x 30


@pytest.mark.parametrize("method", METHODS)
def test_identity_is_exact(method):
    # differences are divided by the realized offsets, so f(x) = x gives exactly 1
    x = np.array([0.1, -3.7, 1e5 / 3, 0.0])
    np.testing.assert_array_equal(fdcore.derivative(lambda t: t, x, method=method), np.ones(4))


def test_polynomials():
    x = np.linspace(-3, 3, 13)
    np.testing.assert_allclose(fdcore.derivative(lambda t: t**2 - 3 * t, x), 2 * x - 3, rtol=0, atol=1e-9)
    np.testing.assert_allclose(fdcore.derivative(lambda t: t**2 - 3 * t, x, n=2), 2.0, rtol=0, atol=1e-6)


@pytest.mark.parametrize("n, method, calls", [(1, "central", 2), (1, "forward", 2), (1, "backward", 2), (2, "central", 3)])
def test_evaluation_count(n, method, calls):
    f = Counted(np.exp)
    fdcore.derivative(f, np.zeros((3, 5)), n=n, method=method)
    assert f.calls == calls
    assert f.seen_writeable == {False}


def test_step_scalar_and_broadcast():
    x = np.array([[0.0, 1.0], [2.0, 3.0]])
    d = fdcore.derivative(np.exp, x, step=0.1)  # (e^(x+h) - e^(x-h)) / 2h = e^x sinh(h) / h
    np.testing.assert_allclose(d, np.exp(x) * np.sinh(0.1) / 0.1, rtol=1e-12)
    d = fdcore.derivative(np.exp, x, step=[0.1, 0.2])  # broadcast along the last axis
    np.testing.assert_allclose(d, np.exp(x) * np.sinh([0.1, 0.2]) / [0.1, 0.2], rtol=1e-12)


def test_args_and_kwargs_passed_through():
    f = lambda t, a, *, b: a * np.sin(b * t)  # noqa: E731
    d = fdcore.derivative(f, [0.0, 1.0], args=(2.0,), kwargs={"b": 3.0})
    np.testing.assert_allclose(d, 6.0 * np.cos(3.0 * np.array([0.0, 1.0])), rtol=0, atol=1e-8)


@pytest.mark.parametrize("bad", [lambda t: np.sin(t)[:-1], lambda t: np.sum(np.sin(t)), lambda t: np.sin(t)[None]])
def test_wrong_shape_from_f(bad):
    with pytest.raises(ValueError, match="shape"):
        fdcore.derivative(bad, np.linspace(0, 1, 4))


def test_bad_order_and_method():
    for n in (0, 11, 1.5, True):
        with pytest.raises(ValueError, match="n must be"):
            fdcore.derivative(np.sin, 1.0, n=n)
    with pytest.raises(ValueError, match="method"):
        fdcore.derivative(np.sin, 1.0, method="sideways")
    for n, order in ((2, 6), (1, 2), (2, 36), (5, 4), (2, 4.0), (2, True)):  # order: the contour rule's nodes
        with pytest.raises(ValueError, match="order for method='complex'"):
            fdcore.derivative(np.sin, 1.0, n=n, method="complex", order=order)
    with pytest.raises(ValueError, match="order"):
        fdcore.derivative(np.sin, 1.0, order=3)


@pytest.mark.parametrize("n, method", [(1, "central"), (1, "forward"), (1, "backward"), (2, "central")])
def test_f_reusing_its_output_buffer(n, method):
    # a vectorized f may return the same array object on every call (e.g. np.sin(t, out=buf))
    x = np.linspace(-2.0, 2.0, 5)
    buf = np.empty_like(x)
    d = fdcore.derivative(lambda t: np.sin(t, out=buf), x, n=n, method=method)
    exact = np.cos(x) if n == 1 else -np.sin(x)
    tol = 10 * (TOL_FIRST[method] if n == 1 else TOL_SECOND["central"])
    np.testing.assert_allclose(d, exact, rtol=0, atol=tol)


# --- step='adaptive' (the README lists it for every entry point; derivative refused it) ----------

def test_adaptive_step_is_exact_on_a_cubic_second_derivative():
    x = np.linspace(-2.0, 2.0, 9)
    r = fdcore.derivative(lambda t: t**3, x, n=2, step="adaptive", full_output=True)
    assert np.allclose(r.value, 6.0 * x, rtol=0, atol=1e-9)


@pytest.mark.parametrize("d, exact", [(1, np.cos), (2, lambda t: -np.sin(t))])
def test_adaptive_step_is_accurate_and_its_error_estimate_covers_the_error(d, exact):
    x = np.array([0.3, 1.0, 5.0, 100.0])
    r = fdcore.derivative(np.sin, x, n=d, step="adaptive", full_output=True)
    true_error = np.abs(r.value - exact(x))
    assert np.all(true_error <= (1e-9 if d == 1 else 1e-5))
    assert np.all(true_error <= r.error)


def test_adaptive_step_counts_its_extra_calls():
    r = fdcore.derivative(np.exp, np.array([0.5, 1.5]), step="adaptive", full_output=True)
    assert 2 < r.nfev <= 2 + 1 + 3 * 4  # the stencil, f(x), at most 3 rounds of the 4-node probe


def test_adaptive_step_does_not_combine_with_richardson():
    with pytest.raises(ValueError, match="step='adaptive'"):
        fdcore.derivative(np.sin, 1.0, step="adaptive", richardson=True)


def test_a_point_where_f_is_zero_does_not_spoil_the_others():
    # The trial step is chosen per point: sin(0) = 0 once gave every point the largest trial step.
    x = np.array([0.0, 100.0])
    r = fdcore.derivative(np.sin, x, step="adaptive", full_output=True)
    assert abs(r.value[1] - np.cos(100.0)) < 1e-9


COS_DERIVATIVES = (np.cos, lambda t: -np.sin(t), lambda t: -np.cos(t), np.sin)
POINTS = np.array([0.0, 0.3, 1.0, np.pi / 2, 5.0])


@pytest.mark.parametrize("n", range(2, 11))
def test_complex_contour_rule_for_high_orders(n):
    # f on circles about x (Lyness & Moler): no cancellation, so even n = 10 keeps ~1e-6 and
    # n <= 6 ~1e-10; the error estimate covers; 1 + levels (N/2 + 1) calls, N = 4 ceil(n / 4).
    r = fdcore.derivative(np.cos, POINTS, n=n, method="complex", richardson=True, full_output=True)
    error = np.abs(r.value - COS_DERIVATIVES[n % 4](POINTS))
    assert np.all(error <= r.error)
    assert error.max() < (1e-10 if n <= 6 else 1e-5)
    nodes = 4 * -(-n // 4)
    assert r.nfev == 1 + 4 * (nodes // 2 + 1) and r.order == nodes


@pytest.mark.parametrize("n", [2, 3, 4, 5, 8])
def test_contour_rule_is_exact_below_its_aliasing_degree(n):
    # The rule aliases only the Taylor terms of degree n + N, n + 2N, ...: a polynomial of
    # lower degree gives f^(n) up to rounding (for n = N the centre term is subtracted).
    nodes = 4 * -(-n // 4)
    coefficients = np.linspace(0.5, 1.5, n + nodes)
    value = fdcore.derivative(lambda t: np.polyval(coefficients, t), 0.7, n=n, method="complex", step=0.5)
    exact = np.polyval(np.polyder(coefficients, n), 0.7)
    assert abs(value - exact) <= 1e-12 * abs(exact)


@pytest.mark.parametrize("n, nodes", [(1, 4), (1, 8), (2, 8), (3, 12)])
def test_contour_rule_with_a_given_number_of_nodes(n, nodes):
    # order=N for 'complex': N nodes per circle (N/2 + 1 calls per level), error powers N, 2N:
    # exact for a polynomial of degree < n + N, and close to EPS with levels.
    coefficients = np.linspace(0.5, 1.5, n + nodes)
    value = fdcore.derivative(lambda t: np.polyval(coefficients, t), 0.7, n=n, method="complex", order=nodes,
                              step=0.5)
    exact = np.polyval(np.polyder(coefficients, n), 0.7)
    assert abs(value - exact) <= 1e-12 * abs(exact)
    r = fdcore.derivative(np.cos, POINTS, n=n, method="complex", order=nodes, richardson=3, full_output=True)
    error = np.abs(r.value - COS_DERIVATIVES[n % 4](POINTS))
    assert np.all(error <= r.error) and error.max() < 1e-12
    assert r.nfev == 1 + 3 * (nodes // 2 + 1) and r.order == nodes


@pytest.mark.parametrize("n", [5, 6, 8, 10])
def test_real_stencils_for_high_orders(n):
    # Real stencils lose accuracy as EPS / h^n; the Richardson error estimate says so.
    r = fdcore.derivative(np.exp, POINTS, n=n, richardson=True, full_output=True)
    error = np.abs(r.value - np.exp(POINTS))
    assert np.all(error <= r.error)
    assert np.all(error <= 0.05 * np.exp(POINTS))


def test_contour_rule_refuses_a_complex_valued_f():
    with pytest.raises(ValueError, match="real"):
        fdcore.derivative(lambda t: np.exp(1j * t), 0.5, n=3, method="complex")
