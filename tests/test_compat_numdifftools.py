"""fdcore.compat.numdifftools: numdifftools' interface, fdcore's accurate mode underneath."""

import numdifftools
import numpy as np
import pytest
from helpers import Counted

import fdcore
import fdcore.compat.numdifftools as nd

# The classes added to probe the accurate mode's limits (oscillation, |x| ~ 1e8, noise, float32,
# domain edges, |f| >> |H|) are scored against numdifftools itself by the accuracy bench
# (python -m fdcore bench --suite accuracy), not held to this test's fixed thresholds.
LIMIT_CLASSES = {"oscillatory", "large-x", "noisy", "float32", "domain-edge", "many-terms"}
SMOOTH = [p for p in fdcore.problem_suite()
          if "badly-scaled" not in p.tags and p.name != "scaled_small_x" and not LIMIT_CLASSES & set(p.tags)]


def normwise(a, b):
    scale = np.max(np.abs(b))
    return float(np.max(np.abs(np.asarray(a) - b)) / (scale if scale > 0 else 1.0))


@pytest.mark.parametrize("p", SMOOTH, ids=[p.name for p in SMOOTH])
def test_gradient_and_hessian_match_the_analytic_answer_and_numdifftools(p):
    g = nd.Gradient(p.f)(p.x0)
    assert g.shape == p.x0.shape
    assert normwise(g, p.derivative(p.x0)) < 1e-9
    assert normwise(g, numdifftools.Gradient(p.f)(p.x0)) < 1e-9
    if p.x0.size > 10:  # an accurate dense Hessian of the n = 200, 251 problems takes minutes
        return
    H = nd.Hessian(p.f)(p.x0)
    # The accurate Hessian has no step retries (unlike the gradient): on jennrich_sampson (exp(10 x))
    # its coarsest step is too large and it reaches 3e-7; everywhere else < 1e-8.
    assert normwise(H, p.hessian(p.x0)) < (1e-6 if p.name == "jennrich_sampson" else 1e-8)


def test_documented_shapes_are_numdifftools_shapes():
    f = lambda x: np.sum(x**3)  # noqa: E731
    x = np.array([1.0, 2.0])
    for name in ("Gradient", "Jacobian", "Hessian", "Hessdiag"):
        ours, theirs = getattr(nd, name)(f)(x), getattr(numdifftools, name)(f)(x)
        assert np.shape(ours) == np.shape(theirs), name
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)
    assert np.ndim(nd.Gradient(np.sin)(0.5)) == 0
    np.testing.assert_allclose(nd.Gradient(np.sin)(0.5), np.cos(0.5), rtol=1e-12)


FULL_OUTPUT_CASES = [
    ("Derivative", np.sin, 1.0), ("Derivative", np.sin, [1.0, 2.0]), ("Derivative", np.sin, [[1.0, 2.0], [3.0, 4.0]]),
    ("Gradient", lambda x: np.sum(np.sin(x)), 1.0), ("Gradient", lambda x: np.sum(np.sin(x)), [1.0, 2.0, 3.0]),
    ("Jacobian", np.sin, 1.0), ("Jacobian", lambda x: np.array([np.sum(x), np.prod(x), x[0]]), [1.0, 2.0]),
    ("Hessian", lambda x: np.sum(np.sin(x)), 1.0), ("Hessian", lambda x: np.sum(np.sin(x)) * x[0], [1.0, 2.0]),
    ("Hessian", lambda x: np.array([np.sum(x**3), np.prod(x)]), [1.0, 2.0, 3.0]),
    ("Hessdiag", lambda x: np.sum(np.sin(x)), [1.0, 2.0]),
]


@pytest.mark.parametrize("method", ["central", "forward", "complex"])
@pytest.mark.parametrize("name, f, x", FULL_OUTPUT_CASES, ids=[f"{c[0]}-{np.shape(c[2])}" for c in FULL_OUTPUT_CASES])
def test_full_output_fields_have_numdifftools_shapes_and_hold(name, f, x, method):
    ours = getattr(nd, name)(f, method=method, full_output=True)(x)
    theirs = getattr(numdifftools, name)(f, method=method, full_output=True)(x)
    assert [np.shape(a) for a in ours] == [np.shape(a) for a in theirs]
    assert [np.asarray(a).dtype.kind for a in ours] == [np.asarray(a).dtype.kind for a in theirs]
    np.testing.assert_allclose(ours.estimate, theirs.estimate, rtol=1e-7, atol=1e-9)
    assert np.all(np.asarray(ours.final_step) > 0)
    if method == "central":  # the error estimates bound the error (against numdifftools' estimate, 1e-13 off)
        error = np.abs(np.asarray(ours.estimate) - theirs.estimate)
        assert np.all(error.reshape(-1) <= np.asarray(ours.error_estimate).reshape(-1) + 1e-12)


def test_hessian_full_output_step_of_an_entry_is_that_of_its_two_coordinates():
    r = nd.Hessian(lambda x: np.sum(x**3) * x[0], full_output=True)([1.0, 2.0, 30.0])
    steps = np.diagonal(r.final_step)
    np.testing.assert_allclose(r.final_step, np.sqrt(np.outer(steps, steps)))


def test_derivative_orders_and_full_output():
    x = np.linspace(0.0, 1.0, 5)
    for n in (1, 2, 3):
        np.testing.assert_allclose(nd.Derivative(np.exp, n=n)(x), np.exp(x), rtol=1e-8)
    r = nd.Derivative(np.exp, full_output=True)(x)
    assert isinstance(r, nd.EstimateResult)
    assert np.all(np.abs(r.estimate - np.exp(x)) <= r.error_estimate)
    assert r.final_step.shape == x.shape


def test_directionaldiff_uses_the_unit_vector():
    f = lambda x: np.sum(x**3)  # noqa: E731
    assert abs(nd.directionaldiff(f, [1.0, 2.0], [3.0, 4.0]) - 11.4) < 1e-9
    assert abs(nd.directionaldiff(f, [1.0, 2.0], [3.0, 4.0]) - numdifftools.directionaldiff(f, [1.0, 2.0], [3.0, 4.0])) < 1e-9


def test_methods_and_bad_input():
    f = lambda x: np.sum(np.exp(x))  # noqa: E731
    x = np.array([0.1, 0.2])
    for method in ("forward", "backward", "complex", "multicomplex"):
        np.testing.assert_allclose(nd.Gradient(f, method=method)(x), np.exp(x), rtol=1e-8)
    with pytest.raises(ValueError, match="method"):
        nd.Gradient(f, method="central3")
    with pytest.raises(TypeError, match="unsupported"):
        nd.Gradient(f, bogus=1)


def test_complex_valued_f_by_the_real_methods_and_refused_by_the_complex_step():
    """numdifftools' rules: the real methods differentiate Re f and Im f; the complex-step methods
    refuse a complex-valued f after one evaluation (no perturbation) and complex x."""
    calls = []

    def f(x):
        calls.append(x.copy())
        return (1 + 1j) * x**2

    J = nd.Jacobian(f, method="central")([1.0, 2.0])
    np.testing.assert_allclose(J, np.diag([2 + 2j, 4 + 4j]), rtol=1e-10)
    g = nd.Gradient(lambda x: np.sum((1 + 1j) * x**3))([1.0, 2.0])
    np.testing.assert_allclose(g, [3 + 3j, 12 + 12j], rtol=1e-10)
    calls.clear()
    with pytest.raises(ValueError, match="complex valued"):
        nd.Jacobian(f, method="multicomplex")([1.0, 2.0])
    assert len(calls) == 1
    with pytest.raises(ValueError, match="complex variable"):
        nd.Gradient(lambda x: np.sum(x**2), method="complex")([1j, 2.0])
    np.testing.assert_allclose(nd.Jacobian(lambda x: np.sum(x**2) + 0j, method="complex")([1.0, 2.0]), [[2, 4]])


def test_step_generators_give_the_richardson_levels():
    """MinStepGenerator / MaxStepGenerator as step=: their steps are the accurate engine's levels;
    numdifftools' own step values (EPS^(1/2.5) for a first derivative by forward differences)."""
    gen = nd.MinStepGenerator(num_steps=1, offset=0)
    np.testing.assert_allclose(list(gen(0))[-1], nd.EPS ** (1 / 2.5))  # the smallest step comes last
    steps = nd.MaxStepGenerator(base_step=0.5, num_steps=6, step_ratio=2)(1.0)
    np.testing.assert_allclose(list(steps), 0.5 * 2.0 ** -np.arange(6))
    r = nd.Derivative(np.exp, step=nd.MaxStepGenerator(base_step=0.5, num_steps=6), full_output=True)(1.0)
    np.testing.assert_allclose(r.estimate, np.e, rtol=1e-12)
    assert r.final_step <= 0.5


def test_default_max_step_generator_and_shape_one_values():
    """MaxStepGenerator's 15 default steps (2 down to 2^-13): the 12 largest become the levels.
    A scalar function returning shape (1,) is a scalar for Gradient; a vector one is refused."""
    np.testing.assert_allclose(nd.Derivative(np.exp, step=nd.MaxStepGenerator())(1.0), np.e, rtol=1e-10)
    g = nd.Gradient(lambda x: np.array([np.sum(x**2)]))([1.0, 2.0])
    np.testing.assert_allclose(g, [2.0, 4.0], rtol=1e-10)
    with pytest.raises(ValueError, match="scalar function"):
        nd.Gradient(lambda x: x**2)([1.0, 2.0])


def test_step_options_configure_the_default_generator():
    """numdifftools' step options make the default step MinStepGenerator(**options): its steps are
    the levels (num_extrap = 5 adds 5 levels to the 2 a forward first derivative needs)."""
    r = nd.Derivative(np.exp, method="forward", num_extrap=5, full_output=True)(1.0)
    np.testing.assert_allclose(r.estimate, np.e, rtol=1e-9)
    steps = nd.MinStepGenerator(num_extrap=5).steps(1.0, "forward", 1, 2)
    assert len(steps) == 7 and r.final_step >= steps[-1]
    with pytest.raises(TypeError, match="step options"):
        nd.Derivative(np.exp, step=0.1, num_steps=3)


def test_derivative_of_order_zero_is_f():
    np.testing.assert_array_equal(nd.Derivative(np.exp, n=0)([0.0, 1.0]), np.exp([0.0, 1.0]))
    r = nd.Derivative(lambda x: np.inf * np.ones_like(x), n=0, full_output=True)(0.0)
    assert r.estimate == np.inf and r.error_estimate == 0


@pytest.mark.parametrize("method", ["forward", "backward", "central", "complex", "multicomplex"])
def test_hessians_of_an_elementwise_f_at_a_scalar_point(method):
    """numdifftools' issue #9 case: f(x, a, b) = b a x^3 at scalar x; Hessdiag and Hessian take
    f's shape-(1,) value as a scalar; the complex-step Hessdiag is the complex Hessian's diagonal."""
    f = lambda x, a, b=1: b * a * x * x * x  # noqa: E731
    for estimator in (nd.Hessdiag, nd.Hessian):
        np.testing.assert_allclose(np.ravel(estimator(f, method=method)(1.0, 1.0, b=2)), 12.0, rtol=1e-6)
        np.testing.assert_allclose(np.ravel(estimator(f, method=method)(0.0, 1.0, b=2)), 0.0, atol=1e-10)
    with pytest.raises(ValueError, match="scalar function"):
        nd.Hessdiag(lambda x: x**2)([1.0, 2.0])
    with pytest.raises(ValueError, match="scalar function"):
        nd.Hessian(lambda x: np.outer(x, x))([1.0, 2.0])


def test_central2_and_generator_levels_for_hessdiag():
    """'central2' (numdifftools' four-point central Hessian) is accepted by Hessian and Hessdiag
    and computed as 'central'; a step generator gives Hessdiag its Richardson levels too."""
    f = lambda x: x[0] ** 2 * x[1] + np.exp(x[1]) + x[2] ** 3  # noqa: E731
    x = np.array([1.0, 0.5, 2.0])
    exact = np.array([[1.0, 2.0, 0.0], [2.0, np.exp(0.5), 0.0], [0.0, 0.0, 12.0]])
    np.testing.assert_allclose(nd.Hessian(f, method="central2")(x), exact, rtol=1e-9, atol=1e-9)
    steps = nd.MinStepGenerator(num_steps=5, step_ratio=3.0, offset=0)
    np.testing.assert_allclose(nd.Hessdiag(f, step=steps, method="central2")(x), np.diag(exact), rtol=1e-7)
    with pytest.raises(ValueError, match="method"):
        nd.Gradient(f, method="central2")


def test_hessian_of_a_vector_valued_function_is_the_stack_of_its_outputs_hessians():
    f = lambda v: np.array([np.cos(v[0] * v[1]), np.sin(v[0] * v[1])])  # noqa: E731
    x, y = 3.0, 5.0
    H = nd.Hessian(f)([x, y])
    assert H.shape == (2, 2, 2)
    c, s = np.cos(x * y), np.sin(x * y)
    exact = [[[-y * y * c, -x * y * c - s], [-x * y * c - s, -x * x * c]],
             [[-y * y * s, c - x * y * s], [c - x * y * s, -x * x * s]]]
    np.testing.assert_allclose(H, exact, rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("estimator", [nd.Hessian, nd.Hessdiag])
@pytest.mark.parametrize("method", ["complex", "multicomplex"])
def test_complex_step_hessians_refuse_a_complex_valued_f(estimator, method):
    """numdifftools' issue #35: f = 1j x.x. The complex step takes Im f(x + i h), so such an f gave
    Im f(x) / h ~ 4e31 per entry, silently; now a ValueError, as numdifftools raises."""
    with pytest.raises(ValueError, match="complex valued"):
        estimator(lambda x: 1j * np.inner(x, x), method=method)([1.0, 2.0, 3.0])


def test_jacobian_of_matrix_valued_f_has_numdifftools_shape():
    # f(x) of shape V gives V[:1] + (n,) + V[1:]: the variable axis second, as numdifftools.
    A = np.arange(24.0).reshape(2, 4, 3) / 7
    x = np.array([1.0, 2.0, 3.0])
    J = nd.Jacobian(lambda p: A @ p)(x)
    assert J.shape == numdifftools.Jacobian(lambda p: A @ p)(x).shape == (2, 3, 4)
    np.testing.assert_allclose(J, np.moveaxis(A, 2, 1), rtol=1e-12, atol=1e-12)


def test_jacobian_at_a_2d_x_takes_its_rows_as_variables():
    # An f vectorized over x's columns: J[i, j, c] = d f[i, c] / d x[j, c], from n row
    # perturbations, the same numbers as numdifftools' (there to ~1e-10, here ~1e-13).
    B = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
    x = np.arange(1.0, 16.0).reshape(3, 5) / 7 - 1

    def g(p):
        return B @ np.sin(p)

    calls = Counted(g)
    J = nd.Jacobian(calls)(x)
    exact = np.einsum("ij,jk->ijk", B, np.cos(x))
    np.testing.assert_allclose(J, exact, rtol=0, atol=1e-12)
    np.testing.assert_allclose(J, numdifftools.Jacobian(g)(x), rtol=0, atol=1e-8)
    assert calls.calls <= 1 + 3 * 24  # rows, not elements, are perturbed
    per_column = nd.Jacobian(lambda p: np.sum(np.sin(p), axis=0))(x)  # f of shape (5,)
    assert per_column.shape == (5, 3)
    np.testing.assert_allclose(per_column, np.cos(x).T, rtol=0, atol=1e-12)


@pytest.mark.parametrize("method,n_max", [("central", 6), ("forward", 5), ("complex", 10), ("multicomplex", 2)])
def test_high_order_derivatives(method, n_max):
    x = np.array([0.0, 0.7, 2.0, 5.5])
    for n in range(1, n_max + 1):
        r = nd.Derivative(np.sin, n=n, method=method, full_output=True)(x)
        exact = [np.sin, np.cos, lambda t: -np.sin(t), lambda t: -np.cos(t)][n % 4](x)
        error = np.abs(r.estimate - exact)
        assert np.all(error <= np.maximum(r.error_estimate, 1e-14)), (n, error, r.error_estimate)
        assert error.max() < (1e-4 if method != "complex" else 1e-7), (n, error)


def test_derivative_stays_accurate_at_large_x():
    # numdifftools' default steps grow with log |x|; so do the compat layer's (fdcore's own grow
    # with |x|, wrong for a function that oscillates on the scale 1).
    x = np.array([30.0, 1e3, 1e5, 1e8 + 0.5])
    for method in ("central", "forward", "backward"):
        r = nd.Derivative(np.sin, method=method, full_output=True)(x)
        assert np.all(np.abs(r.estimate - np.cos(x)) < 1e-7), method
    assert np.all(np.abs(nd.Derivative(np.sin)(x) - np.cos(x)) < 1e-10)


def test_richardson_rule_is_the_extrapolation_used():
    d = nd.Derivative(np.exp, method="central", order=4)
    d.set_richardson_rule(step_ratio=2.0, num_terms=1)
    np.testing.assert_allclose(d.richardson.rule(), [-1 / 15, 16 / 15])
    d = nd.Derivative(np.exp, method="forward", order=1)
    d.set_richardson_rule(step_ratio=2.0, num_terms=2)
    np.testing.assert_allclose(d.richardson.rule(), [1 / 3, -2, 8 / 3])
    # the rule applied to the level estimates is the tableau entry
    h = 2.0**-6
    levels = [(np.exp(1 + h / 2**k) - np.exp(1.0)) / (h / 2**k) for k in range(3)]
    r = nd.Derivative(np.exp, method="forward", order=1, step=nd.MaxStepGenerator(base_step=h, num_steps=3),
                      richardson_terms=2, full_output=True)(1.0)
    extrapolated = float(np.dot(d.richardson.rule(), levels))
    assert abs(extrapolated - np.e) < 1e-7  # the h and h^2 terms are gone (h = 1/64: 1e-3 before)
    assert abs(r.estimate - extrapolated) < 1e-10
    with pytest.raises(ValueError, match="num_terms"):
        d.set_richardson_rule(2.0, -1)


def test_real_methods_at_a_complex_x_give_the_complex_derivatives():
    # numdifftools' rule (its issue 35): real steps at complex x differentiate an analytic f.
    z = np.array([0.5 + 0.25j, -1.0 + 0.5j, 0.75])

    def f(x):
        return np.sum(x**3) + 1j * np.inner(x, x)

    for method in ("central", "forward", "backward"):
        np.testing.assert_allclose(nd.Gradient(f, method=method)(z), 3 * z**2 + 2j * z, rtol=1e-8)
        np.testing.assert_allclose(nd.Jacobian(lambda x: x**2, method=method)(z), np.diag(2 * z), atol=1e-8)
        np.testing.assert_allclose(nd.Hessian(f, method=method)(z), np.diag(6 * z) + 2j * np.eye(3), atol=1e-8)
    with pytest.raises(ValueError, match="complex"):
        nd.Hessian(f, method="complex")(z)


def test_complex_hessian_over_step_generator_levels():
    # the complex-step Hessian's outer differences over the generator's levels (numdifftools'
    # hamiltonian case: a step limit keeps the stencil off a kink at distance 5.6e-6)
    def f(x):
        return 1e-12 * np.sum(x**2) + 1e-18 / np.abs(x[0] - x[1] + 5.6e-6)  # kink where x0 - x1 = -5.6e-6

    x = np.zeros(2)
    r = nd.Hessian(f, step=nd.MaxStepGenerator(base_step=1e-6), method="central", full_output=True)(x)
    c = nd.Hessian(lambda p: 1e-12 * np.sum(p**2) + 1e-18 / (p[0] - p[1] + 5.6e-6),
                   step=nd.MaxStepGenerator(base_step=1e-6), method="complex", full_output=True)(x)
    d = 2e-18 / 5.6e-6**3
    exact = np.array([[2e-12 + d, -d], [-d, 2e-12 + d]])
    np.testing.assert_allclose(r.estimate, exact, rtol=1e-6)
    np.testing.assert_allclose(c.estimate, exact, rtol=1e-6)


def test_fornberg_weights_match_numdifftools():
    import numdifftools.fornberg as peer

    for (n, _), (weights, points) in peer.CENTRAL_WEIGHTS_AND_POINTS.items():
        np.testing.assert_allclose(nd.fd_weights(np.array(points, float), 0.0, n=n), weights, rtol=0, atol=1e-15)
    np.testing.assert_allclose(nd.fd_weights_all(range(-2, 3), n=4), peer.fd_weights_all(range(-2, 3), n=4),
                               rtol=0, atol=1e-15)
    x = np.array([-1.0, 0.5, 1.0, 2.0])
    np.testing.assert_allclose(nd.fd_weights(x, 0.25, 1), peer.fd_weights(x, 0.25, 1), rtol=1e-14)
    with pytest.raises(ValueError, match="distinct"):
        nd.fd_weights([0.0, 1.0, 1.0])
    with pytest.raises(ValueError, match="n must be"):
        nd.fd_weights([0.0, 1.0], n=2)


def test_fd_derivative_on_a_non_uniform_grid_matches_numdifftools():
    import numdifftools.fornberg as peer

    x = np.sort(np.random.default_rng(1).uniform(0, 1, 15))
    for n in (1, 2, 3):
        for m in (1, 2):
            ours, theirs = nd.fd_derivative(np.sin(3 * x), x, n=n, m=m), peer.fd_derivative(np.sin(3 * x), x, n=n, m=m)
            np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-8 * np.abs(theirs).max())
    x = np.linspace(-1, 1, 25)
    for n in range(1, 7):  # numdifftools' own test's tolerances
        df, k = nd.fd_derivative(np.exp(x), x, n=n), n // 2 + 2
        assert np.abs(df[k:-k] - np.exp(x[k:-k])).max() < 1e-5
        assert np.abs(df - np.exp(x)).max() < 1e-4
    with pytest.raises(ValueError, match="needs at least"):
        nd.fd_derivative(np.ones(5), np.arange(5.0), n=2)
