"""typical_x: the scale of each coordinate for the default steps (Dennis & Schnabel's typx)."""

import numpy as np
import pytest
from helpers import norm_rel

import fdcore


def small_scale(p):
    """f varying on the scale 1e-6, at x ~ 1e-6."""
    return float(np.sum(np.sin(p / 1e-6)) + np.prod(p / 1e-6))


def small_scale_gradient(p):
    q = p / 1e-6
    return (np.cos(q) + np.prod(q) / q) / 1e-6


X_SMALL = np.array([1.3e-6, -0.7e-6, 2.1e-6])


@pytest.mark.parametrize("options", [{}, {"method": "forward"}, {"order": 4}, {"richardson": True}])
def test_typical_x_one_is_the_default(options):
    p = fdcore.get_problem("rosenbrock", 6)
    for entry in (fdcore.gradient, fdcore.hessian):
        assert np.array_equal(entry(p.f, p.x0, typical_x=1.0, **options), entry(p.f, p.x0, **options))
    J = lambda x: np.array([np.sum(x**2), np.prod(x)])  # noqa: E731
    assert np.array_equal(fdcore.jacobian(J, p.x0, typical_x=np.ones(6), **options), fdcore.jacobian(J, p.x0, **options))


def test_small_scale_coordinates():
    """At x ~ 1e-6 the default scale max(1, |x_i|) = 1 gives steps 10 times f's length scale: the
    plain central gradient is 25% off; on the scale 1e-6 it is 1e-11 off."""
    exact = small_scale_gradient(X_SMALL)
    assert norm_rel(fdcore.gradient(small_scale, X_SMALL), exact) > 0.1
    assert norm_rel(fdcore.gradient(small_scale, X_SMALL, typical_x=1e-6), exact) <= 1e-8
    r = fdcore.gradient(small_scale, X_SMALL, typical_x=1e-6, richardson=True, full_output=True)
    assert norm_rel(r.value, exact) <= 1e-11 and r.nfev == 8 * 3  # no search needed
    assert np.all(r.error >= np.abs(r.value - exact))


def test_large_scale_coordinates():
    """f = 1 + sum sin(x / 1e3) at x ~ 1: the round-off EPS |f| / h dominates at the default steps;
    steps on the scale 1e3 cut it (measured 4.4e-9 -> 8.3e-12)."""
    f = lambda p: 1.0 + float(np.sum(np.sin(p / 1e3)))  # noqa: E731
    x = np.array([0.3, 1.7, -2.2])
    exact = np.cos(x / 1e3) / 1e3
    default = norm_rel(fdcore.gradient(f, x), exact)
    scaled = norm_rel(fdcore.gradient(f, x, typical_x=1e3), exact)
    assert scaled < default / 100


def test_hessian_on_small_scales():
    f = lambda p: float(np.exp(p[0] / 1e-6) * np.cos(p[1] / 1e-6))  # noqa: E731
    x = np.array([0.5e-6, 0.3e-6])
    e, c, s = np.exp(0.5), np.cos(0.3), np.sin(0.3)
    exact = np.array([[e * c, -e * s], [-e * s, -e * c]]) / 1e-12
    H = fdcore.hessian(f, x, typical_x=[1e-6, 1e-6])
    assert np.array_equal(H, H.T) and norm_rel(H, exact) <= 1e-5
    assert norm_rel(fdcore.hessian(f, x, typical_x=1e-6, richardson=True), exact) <= 1e-9
    # from a gradient: typical_x goes to the Jacobian of the gradient
    grad = lambda p: np.array([e_ * c_ for e_, c_ in [(np.exp(p[0] / 1e-6) / 1e-6, np.cos(p[1] / 1e-6))]] +  # noqa: E731
                              [-np.exp(p[0] / 1e-6) * np.sin(p[1] / 1e-6) / 1e-6])
    assert norm_rel(fdcore.hessian(None, x, grad=grad, typical_x=1e-6), exact) <= 1e-7


@pytest.mark.parametrize("typical_x, error, match", [
    (0.0, ValueError, "typical_x"), (-np.inf, ValueError, "typical_x"), (np.nan, ValueError, "typical_x"),
    ([1.0, 2.0], ValueError, "typical_x .*shape"), ("big", TypeError, "typical_x"), (True, TypeError, "typical_x"),
    ([[1.0, 1.0, 1.0]], ValueError, "typical_x"),
])
def test_bad_typical_x_is_refused_naming_it(typical_x, error, match):
    for entry in (fdcore.gradient, fdcore.hessian):
        with pytest.raises(error, match=match):
            entry(small_scale, X_SMALL, typical_x=typical_x)


@pytest.mark.parametrize("options", [{"step": 1e-8}, {"method": "complex"}, {"step": "adaptive"},
                                     {"bounds": ([0, -1, 0], [1, 1, 1])}])
def test_typical_x_with_options_of_other_step_rules_is_refused(options):
    with pytest.raises(ValueError, match="typical_x"):
        fdcore.gradient(small_scale, X_SMALL, typical_x=1e-6, **options)


def test_negative_typical_x_counts_by_magnitude():
    assert np.array_equal(fdcore.gradient(small_scale, X_SMALL, typical_x=-1e-6),
                          fdcore.gradient(small_scale, X_SMALL, typical_x=1e-6))
