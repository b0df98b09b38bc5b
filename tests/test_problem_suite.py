"""The extended built-in problem suite: metadata, and exact derivatives checked independently.

Analytic (complex-safe) problems are checked by the complex step, which is exact to rounding:
grad_i = Im f(x + i h e_i) / h and Hessian column i = Im grad(x + i h e_i) / h. The gradients of the
others are checked against a 6th-order central difference of f, and every Hessian against a
4th-order central difference of the analytic gradient (neither uses fdcore's own differences).
The noisy, float32 and domain-edge problems are checked to have the difficulty they advertise.
"""

import warnings

import numpy as np
import pytest

import fdcore
from fdcore.problems.suite import PROBLEM_NAMES, Problem, get_problem, problem_suite

H_CS = 1e-30  # complex step: no subtractive cancellation, so any tiny step is exact
EPS = np.finfo(np.float64).eps
SCALAR = problem_suite()
VECTOR = problem_suite(vector=True)
ALL = SCALAR + VECTOR
FIXED_N = {"beale": 2, "brown_badly_scaled": 2, "powell_badly_scaled": 2, "freudenstein_roth": 2,
           "jennrich_sampson": 2, "helical_valley": 3, "bard": 3, "gaussian": 3, "meyer": 3, "box_3d": 3,
           "wood": 4, "brown_dennis": 4, "biggs_exp6": 6, "mlp": 251}
# The suite before the difficulty classes below were added: names, order and default sizes are
# relied upon (by the tests, the benchmarks and the README's figures).
ORIGINAL = {"rosenbrock": 4, "extended_powell": 4, "broyden_tridiagonal": 6, "dense_quadratic": 6,
            "freudenstein_roth": 2, "powell_badly_scaled": 2, "brown_badly_scaled": 2, "beale": 2,
            "jennrich_sampson": 2, "helical_valley": 3, "bard": 3, "gaussian": 3, "meyer": 3, "box_3d": 3,
            "wood": 4, "brown_dennis": 4, "biggs_exp6": 6, "watson": 6, "extended_rosenbrock": 4, "penalty_1": 4,
            "variably_dimensioned": 6, "trigonometric": 6, "brown_almost_linear": 5, "trigonometric_system": 6,
            "discrete_boundary_value": 6, "scaled_large_x": 4, "scaled_small_x": 4, "large_exponential": 4,
            "graded_scales": 5, "rosenbrock_minimum": 4, "saddle_point": 4, "logsumexp": 5}
NEW = [p for p in SCALAR if p.name not in ORIGINAL]
# The minimum number of new problems per difficulty class.
NEW_PER_TAG = {"many-terms": 2, "separable": 1, "banded": 2, "oscillatory": 4, "large-x": 2, "noisy": 2,
               "float32": 2, "domain-edge": 3, "ml": 2, "wide-range-gradient": 1}
REQUIRED_TAGS = {"mgh", "badly-scaled", "large-values", "wide-range-gradient", "zero-gradient"} | set(NEW_PER_TAG)
NOISY = [p for p in SCALAR if "noisy" in p.tags]
FLOAT32 = [p for p in SCALAR if "float32" in p.tags]
DOMAIN_EDGE = [p for p in SCALAR if "domain-edge" in p.tags]


def by_name(problems):
    return pytest.mark.parametrize("p", problems, ids=[p.name for p in problems])


def rel_norm_err(approx, exact):
    """Max-norm error relative to max|exact| (absolute if exact is zero)."""
    approx, exact = np.asarray(approx), np.asarray(exact)
    scale = np.max(np.abs(exact))
    return float(np.max(np.abs(approx - exact)) / (scale if scale > 0 else 1.0))


def complex_step_jacobian(fun, x):
    """Columns Im fun(x + i h e_j) / h; fun maps (n,) to a scalar or an array."""
    cols = []
    for j in range(x.shape[0]):
        xc = x.astype(np.complex128)
        xc[j] += 1j * H_CS
        cols.append(np.imag(fun(xc)) / H_CS)
    return np.stack(cols, axis=-1)


# Central-difference weights w_k of fun(x + k h e_j) for a first derivative.
C4 = {-2: 1 / 12, -1: -8 / 12, 1: 8 / 12, 2: -1 / 12}  # error h^4 |fun^(5)| / 30
C6 = {-3: -1 / 60, -2: 9 / 60, -1: -45 / 60, 1: 45 / 60, 2: -9 / 60, 3: 1 / 60}  # error h^6 |fun^(7)| / 140


def central_jacobian(fun, x, steps, weights):
    """Columns sum_k w_k fun(x + k h_j e_j) / h_j, with h_j rounded so that every x_j + k h_j is exact."""
    cols = []
    for j in range(x.shape[0]):
        h = (x[j] + steps[j]) - x[j]
        col = 0.0
        for k, w in weights.items():
            y = x.copy()
            y[j] = x[j] + k * h
            col = col + w * np.asarray(fun(y), dtype=np.float64)
        cols.append(col / h)
    return np.stack(cols, axis=-1)


def step_scale(x):
    """|x_j| where 0 < |x_j| < 1 (points near a domain boundary at 0, or tiny scales), else 1."""
    a = np.abs(x)
    return np.where((a > 0) & (a < 1), a, 1.0)


def hessian_steps(x):
    """Steps for differencing the gradient. No single rule suits every problem: |x| ~ 1e8 with O(1)
    variation needs absolute steps, |x| ~ 1e6 varying on the scale of x relative ones, a frequency
    of 1000 steps below 1e-4 and a large gradient with an O(1) Hessian (brown_badly_scaled) steps
    well above 1e-5, so the best of these three is taken (a wrong Hessian disagrees at every step)."""
    a = np.abs(x)
    return 1e-3 * step_scale(x), 1e-5 * step_scale(x), 1e-5 * np.where(a > 0, a, 1.0)


# --- metadata -----------------------------------------------------------------------------------

def test_suite_contents():
    assert len(SCALAR) >= 20
    assert all(isinstance(p, Problem) and not p.vector and p.hessian is not None for p in SCALAR)
    assert all(p.vector and p.hessian is None for p in VECTOR)
    assert {"broyden_tridiagonal", "discrete_boundary_value", "trigonometric_system"} <= {p.name for p in VECTOR}
    names = [p.name for p in ALL]
    assert len(names) == len(set(names)) and set(names) == set(PROBLEM_NAMES)
    assert {"rosenbrock", "extended_powell", "broyden_tridiagonal", "dense_quadratic"} <= set(PROBLEM_NAMES)
    for name in ("rosenbrock", "extended_powell", "brown_badly_scaled", "beale", "wood", "helical_valley",
                 "trigonometric", "freudenstein_roth", "powell_badly_scaled", "box_3d", "jennrich_sampson",
                 "gaussian", "bard", "penalty_1", "variably_dimensioned", "extended_rosenbrock"):
        assert name in names


def test_original_problems_unchanged_and_new_ones_appended():
    assert PROBLEM_NAMES[: len(ORIGINAL)] == tuple(ORIGINAL)
    assert all(get_problem(name).n == n for name, n in ORIGINAL.items())
    assert [p.name for p in NEW] == [name for name in PROBLEM_NAMES[len(ORIGINAL):]]  # all scalar
    assert len(NEW) >= 20
    for tag, count in NEW_PER_TAG.items():
        assert sum(tag in p.tags for p in NEW) >= count, tag
    assert all(p.smooth and p.hessian is not None for p in NEW)
    assert all(p.n <= 12 for p in NEW if "ml" not in p.tags)


def test_required_tags_present():
    tags = {t for p in SCALAR for t in p.tags}
    assert REQUIRED_TAGS <= tags
    assert all(isinstance(p.tags, tuple) and all(isinstance(t, str) for t in p.tags) for p in ALL)


@by_name(ALL)
def test_problem_object(p):
    assert isinstance(p.x0, np.ndarray) and p.x0.dtype == np.float64 and p.x0.ndim == 1
    assert p.n == p.x0.shape[0] >= 1 and np.all(np.isfinite(p.x0))
    assert isinstance(p.smooth, bool) and isinstance(p.analytic, bool)
    f0 = p.f(p.x0)
    if p.vector:
        assert np.asarray(f0).ndim == 1 and p.derivative(p.x0).shape == (np.asarray(f0).shape[0], p.n)
    else:
        assert np.ndim(f0) == 0 and np.isfinite(f0) and p.derivative(p.x0).shape == (p.n,)
    # the default size is what get_problem gives without n, and asking for it explicitly agrees
    np.testing.assert_array_equal(get_problem(p.name, p.n).x0, p.x0)


def test_difficult_points():
    """The problems tagged for a difficulty really have it at x0."""
    by_tag = lambda tag: [p for p in SCALAR if tag in p.tags]  # noqa: E731
    assert any(np.max(np.abs(p.x0)) >= 1e5 for p in by_tag("badly-scaled"))
    assert any(0 < np.max(np.abs(p.x0)) <= 1e-5 for p in by_tag("badly-scaled"))
    assert all(abs(p.f(p.x0)) >= 1e8 for p in by_tag("large-values") if p.name != "brown_dennis")
    for p in by_tag("wide-range-gradient"):
        g = np.abs(p.derivative(p.x0))
        assert g.min() > 0 and g.max() / g.min() >= 1e10
    assert any(np.ptp(np.log10(np.abs(p.derivative(p.x0)))) >= 15 for p in by_tag("wide-range-gradient"))
    for p in by_tag("zero-gradient"):
        assert np.all(p.derivative(p.x0) == 0) and np.any(p.hessian(p.x0) != 0)
    for p in by_tag("many-terms"):
        assert abs(p.f(p.x0)) >= 100 * np.max(np.abs(p.hessian(p.x0)))
    for p in by_tag("separable"):
        H = p.hessian(p.x0)
        np.testing.assert_array_equal(H, np.diag(np.diag(H)))
    for p in by_tag("banded"):
        H = p.hessian(p.x0)
        assert np.all(np.triu(H, 2) == 0) and np.all(np.diag(H, 1) != 0)
    # oscillatory: high frequency (|H| >> |g| at x ~ 1), and O(1) oscillation at |x| ~ 1e3
    oscillatory = by_tag("oscillatory")
    assert max(np.max(np.abs(p.hessian(p.x0))) / np.max(np.abs(p.derivative(p.x0))) for p in oscillatory) >= 1e3
    assert any(np.min(np.abs(p.x0)) >= 900 and np.max(np.abs(p.hessian(p.x0))) <= 10 for p in oscillatory)
    assert all(np.min(np.abs(p.x0)) >= 1e5 for p in by_tag("large-x"))
    assert sum(np.min(np.abs(p.x0)) >= 1e8 for p in by_tag("large-x")) >= 2
    assert all(200 <= p.n <= 300 for p in by_tag("ml"))


@by_name(ALL)
def test_noise_field(p):
    assert isinstance(p.noise, float) and p.noise >= 0
    assert (p.noise > 0) == bool({"noisy", "float32"} & set(p.tags))
    if p.noise > 0:
        assert p.smooth and not p.analytic


@by_name(NOISY)
def test_noisy_problems_are_noisy_and_deterministic(p):
    x = p.x0
    f0 = p.f(x)
    assert p.noise == 1e-10
    assert p.f(x.copy()) == f0 and p.f(np.array(x[::-1])[::-1]) == f0 and p.f(x) == f0
    # Moves of 1e-12 to 1e-10: the smooth part changes by its second-order Taylor model (the rest
    # is < 1e-27), rounding by EPS |f| << noise; what remains is the noise, uniform in [-noise, noise].
    d = np.cos(np.arange(p.n))
    g, H = p.derivative(x), p.hessian(x)
    residual = []
    for t in np.linspace(1e-12, 1e-10, 200):
        delta = (x + t * d) - x
        residual.append(p.f(x + delta) - f0 - g @ delta - 0.5 * delta @ H @ delta)
    residual = np.array(residual)
    assert np.ptp(residual) <= 2 * p.noise + 20 * EPS * abs(f0)
    assert 0.45 * p.noise <= np.std(residual) <= 0.7 * p.noise  # 1/sqrt(3) for a uniform noise


@by_name(FLOAT32)
def test_float32_problems_lose_float32_precision(p):
    x = p.x0
    f0 = p.f(x)
    assert np.isclose(p.noise, 2.0**-24 * abs(f0), rtol=1e-6)
    assert p.f(x + 1e-12) == f0  # f sees x only rounded to float32
    # Along a line, every value is a float32 number, and the values scatter about the (float64)
    # second-order Taylor model (whose own error is < 1e-8 |f| here) by about the noise level.
    d = np.cos(np.arange(p.n)) / np.sqrt(p.n)
    g, H = p.derivative(x), p.hessian(x)
    values, model = [], []
    for t in np.linspace(-1e-3, 1e-3, 201):
        values.append(p.f(x + t * d))
        model.append(t * (g @ d) + 0.5 * t * t * (d @ H @ d))
    values = np.array(values)
    np.testing.assert_array_equal(values.astype(np.float32), values)
    scatter = np.std(values - np.array(model))
    assert 0.1 * p.noise <= scatter <= 10 * p.noise


@by_name(DOMAIN_EDGE)
def test_domain_edge_problems(p):
    x = p.x0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # outside the domain f is nan, without an exception or a warning
        assert np.isfinite(p.f(x)) and np.all(np.isfinite(p.derivative(x))) and np.all(np.isfinite(p.hessian(x)))
        assert np.isnan(p.f(-x))
        h = EPS**0.25  # the default central second-difference step at |x| <= 1
        leaving = np.flatnonzero(x - h < 0)
        assert leaving.size > 0
        for i in leaving:
            y = x.copy()
            y[i] -= h
            assert np.isnan(p.f(y))


@by_name([p for p in ALL if p.analytic])
def test_analytic_f_accepts_complex(p):
    xc = p.x0 + 1j * H_CS * np.cos(np.arange(p.n))
    fc = np.asarray(p.f(xc))
    assert np.iscomplexobj(fc)
    # the real part is f(x0) up to rounding (complex exp/cos round differently) and O(h^2)
    np.testing.assert_allclose(np.real(fc), np.asarray(p.f(p.x0)), rtol=1e-12, atol=1e-40)


# --- exact derivatives ---------------------------------------------------------------------------

@by_name(SCALAR)
def test_gradient(p):
    g = p.derivative(p.x0)
    if p.analytic:
        assert rel_norm_err(complex_step_jacobian(p.f, p.x0), g) <= 1e-13
    else:
        # The non-analytic problems vary on a scale of 1 at |x| ~ 1, where h = 1e-2 makes the
        # 6th-order truncation error h^6 |f^(7)| / 140 < 1e-12. The evaluation errors contribute at
        # most sum|w_k| (noise + EPS |f|) / h; for the float32 problems the rounding of x to float32
        # adds about as much again, hence the factor 10.
        h = 1e-2
        bound = 10 * sum(map(abs, C6.values())) * (p.noise + EPS * abs(p.f(p.x0))) / h
        fd = central_jacobian(p.f, p.x0, np.full(p.n, h), C6)
        assert rel_norm_err(fd, g) <= 1e-10 + bound / np.max(np.abs(g))


@by_name(SCALAR)
def test_hessian(p):
    H = p.hessian(p.x0)
    assert H.shape == (p.n, p.n)
    np.testing.assert_array_equal(H, H.T)
    # every gradient function is exact float64 (also for the noisy and float32 problems)
    assert min(rel_norm_err(central_jacobian(p.derivative, p.x0, h, C4), H) for h in hessian_steps(p.x0)) <= 1e-6
    if p.analytic:  # the gradient functions of analytic problems accept complex x as well
        assert rel_norm_err(complex_step_jacobian(p.derivative, p.x0), H) <= 1e-12


@by_name(VECTOR)
def test_jacobian(p):
    J = p.derivative(p.x0)
    if p.analytic:
        assert rel_norm_err(complex_step_jacobian(p.f, p.x0), J) <= 1e-13
    else:
        assert rel_norm_err(fdcore.jacobian(p.f, p.x0, richardson=True), J) <= 1e-9


@pytest.mark.parametrize("name, n", [("extended_powell", 8), ("watson", 3), ("penalty_1", 7),
                                     ("brown_almost_linear", 7), ("graded_scales", 8), ("trigonometric", 9),
                                     ("discrete_boundary_value", 9), ("saddle_point", 3), ("large_offset", 3),
                                     ("cosh_sum", 7), ("separable", 2), ("tridiagonal_quartic", 9),
                                     ("chained_biquadratic", 2), ("oscillatory_1000", 7), ("large_x_sin", 1),
                                     ("large_x_gaussian", 5), ("log_barrier", 7), ("cbrt_edge", 2),
                                     ("wide_range_quadratic", 2), ("logistic_regression", 12)])
def test_other_sizes(name, n):
    p = get_problem(name, n)
    assert p.n == n
    D = p.derivative(p.x0)
    assert rel_norm_err(complex_step_jacobian(p.f, p.x0), D) <= 1e-13
    if not p.vector:
        assert rel_norm_err(complex_step_jacobian(p.derivative, p.x0), p.hessian(p.x0)) <= 1e-12


# --- dimensions -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name, n", sorted(FIXED_N.items()))
def test_fixed_dimension(name, n):
    assert get_problem(name).n == n and get_problem(name, n).n == n
    for other in (n - 1, n + 1, 2 * n + 4):
        with pytest.raises(ValueError, match=r"\bn\b"):
            get_problem(name, other)


def test_scalable_dimension_errors():
    assert get_problem("extended_powell").n % 4 == 0 and get_problem("extended_powell", 12).n == 12
    with pytest.raises(ValueError, match="multiple of 4"):
        get_problem("extended_powell", 6)
    with pytest.raises(ValueError, match=r"\bn\b.*multiple of 2"):
        get_problem("extended_rosenbrock", 5)
    with pytest.raises(ValueError, match=r"\bn\b"):
        get_problem("watson", 32)
    for bad in (0, -1, 2.0, "4", True):
        with pytest.raises(ValueError, match=r"\bn\b"):
            get_problem("trigonometric", bad)
    with pytest.raises(ValueError, match="name"):
        get_problem("no_such_problem")
