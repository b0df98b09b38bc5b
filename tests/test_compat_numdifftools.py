"""fdcore.compat.numdifftools: numdifftools' interface, fdcore's accurate mode underneath."""

import numdifftools
import numpy as np
import pytest

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
    H = nd.Hessian(p.f)(p.x0)
    # The accurate Hessian has no step retries (unlike the gradient): on jennrich_sampson (exp(10 x))
    # its coarsest step is too large and it reaches 3e-7; everywhere else < 1e-8.
    assert normwise(H, p.hessian(p.x0)) < (1e-6 if p.name == "jennrich_sampson" else 1e-8)
    assert normwise(g, numdifftools.Gradient(p.f)(p.x0)) < 1e-9


def test_documented_shapes_are_numdifftools_shapes():
    f = lambda x: np.sum(x**3)  # noqa: E731
    x = np.array([1.0, 2.0])
    for name in ("Gradient", "Jacobian", "Hessian", "Hessdiag"):
        ours, theirs = getattr(nd, name)(f)(x), getattr(numdifftools, name)(f)(x)
        assert np.shape(ours) == np.shape(theirs), name
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-9)
    assert np.ndim(nd.Gradient(np.sin)(0.5)) == 0
    np.testing.assert_allclose(nd.Gradient(np.sin)(0.5), np.cos(0.5), rtol=1e-12)


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
    for method in ("forward", "backward", "complex"):
        np.testing.assert_allclose(nd.Gradient(f, method=method)(x), np.exp(x), rtol=1e-8)
    with pytest.raises(ValueError, match="method"):
        nd.Gradient(f, method="multicomplex")
    with pytest.raises(TypeError, match="unsupported"):
        nd.Gradient(f, bogus=1)
