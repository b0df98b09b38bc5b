"""The extended built-in problem suite: metadata, and exact derivatives checked independently.

Analytic (complex-safe) problems are checked by the complex step, which is exact to rounding:
grad_i = Im f(x + i h e_i) / h and Hessian column i = Im grad(x + i h e_i) / h. The others are
checked against fdcore's Richardson-extrapolated differences.
"""

import numpy as np
import pytest

import fdcore
from fdcore.problems.suite import PROBLEM_NAMES, Problem, get_problem, problem_suite

H_CS = 1e-30  # complex step: no subtractive cancellation, so any tiny step is exact
SCALAR = problem_suite()
VECTOR = problem_suite(vector=True)
ALL = SCALAR + VECTOR
FIXED_N = {"beale": 2, "brown_badly_scaled": 2, "powell_badly_scaled": 2, "freudenstein_roth": 2,
           "jennrich_sampson": 2, "helical_valley": 3, "bard": 3, "gaussian": 3, "meyer": 3, "box_3d": 3,
           "wood": 4, "brown_dennis": 4, "biggs_exp6": 6}
REQUIRED_TAGS = {"mgh", "badly-scaled", "large-values", "wide-range-gradient", "zero-gradient"}


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


def central_jacobian(fun, x, rel_step=1e-6):
    cols = []
    for j in range(x.shape[0]):
        h = rel_step * max(1.0, abs(x[j]))
        e = np.zeros_like(x)
        e[j] = h
        cols.append((fun(x + e) - fun(x - e)) / (2 * h))
    return np.stack(cols, axis=-1)


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
    for p in by_tag("zero-gradient"):
        assert np.all(p.derivative(p.x0) == 0) and np.any(p.hessian(p.x0) != 0)


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
        assert rel_norm_err(fdcore.gradient(p.f, p.x0, richardson=True), g) <= 1e-9


@by_name(SCALAR)
def test_hessian(p):
    H = p.hessian(p.x0)
    assert H.shape == (p.n, p.n)
    np.testing.assert_array_equal(H, H.T)
    if p.analytic:  # the gradient functions of analytic problems accept complex x as well
        assert rel_norm_err(complex_step_jacobian(p.derivative, p.x0), H) <= 1e-12
    else:
        assert rel_norm_err(central_jacobian(p.derivative, p.x0), H) <= 1e-6


@by_name(VECTOR)
def test_jacobian(p):
    J = p.derivative(p.x0)
    if p.analytic:
        assert rel_norm_err(complex_step_jacobian(p.f, p.x0), J) <= 1e-13
    else:
        assert rel_norm_err(fdcore.jacobian(p.f, p.x0, richardson=True), J) <= 1e-9


@pytest.mark.parametrize("name, n", [("extended_powell", 8), ("watson", 3), ("penalty_1", 7),
                                     ("brown_almost_linear", 7), ("graded_scales", 8), ("trigonometric", 9),
                                     ("discrete_boundary_value", 9), ("saddle_point", 3)])
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
