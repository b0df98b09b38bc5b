"""fdcore.compat.statsmodels against statsmodels.tools.numdiff itself: values, shapes, steps."""

import numpy as np
import pytest

from fdcore.compat import statsmodels as ours

numdiff = pytest.importorskip("statsmodels.tools.numdiff")

X = np.array([0.3, -1.2, 2.0, 0.05])


def scalar_f(x, a=1.0):
    return a * np.sum(np.exp(0.3 * x) * x**2) + x[0] * x[1] * x[2] - np.cos(x[3])


def vector_f(x):
    return np.array([x[0] ** 2 * x[1], np.sin(x[2]) + x[3], np.exp(x[0] - x[3])])


@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("f", [scalar_f, vector_f])
def test_approx_fprime_matches_statsmodels(f, centered):
    theirs = numdiff.approx_fprime(X, f, centered=centered)
    mine = ours.approx_fprime(X, f, centered=centered)
    assert mine.shape == theirs.shape
    # The same points; fdcore divides by the realized steps (x + h) - x, statsmodels by h, which
    # differ by up to ulp(x) / h: ~1e-8 relative for the forward steps EPS^(1/2) max(|x|, 0.1).
    np.testing.assert_allclose(mine, theirs, rtol=1e-9 if centered else 3e-8, atol=1e-12)


def test_approx_fprime_shapes_for_one_variable_and_negative_steps():
    f = lambda x: np.array([x[0] ** 2, x[0] ** 3])  # noqa: E731
    for epsilon in (None, 1e-6, -1e-6):
        theirs = numdiff.approx_fprime(np.array([1.5]), f, epsilon=epsilon)
        mine = ours.approx_fprime(np.array([1.5]), f, epsilon=epsilon)
        assert mine.shape == theirs.shape == (2, 1)
        np.testing.assert_allclose(mine, theirs, rtol=3e-8)
    # a negative step is a backward difference, also per coordinate
    eps = np.array([1e-6, -1e-6, 1e-6, -1e-6])
    np.testing.assert_allclose(ours.approx_fprime(X, scalar_f, epsilon=eps),
                               numdiff.approx_fprime(X, scalar_f, epsilon=eps), rtol=1e-7)
    with pytest.raises(ValueError, match="same shape as x"):
        ours.approx_fprime(X, scalar_f, epsilon=np.ones(3))


def test_complex_step_gradient_and_jacobian_match_statsmodels():
    for f in (scalar_f, vector_f):
        np.testing.assert_allclose(ours.approx_fprime_cs(X, f), numdiff.approx_fprime_cs(X, f), rtol=1e-14)


@pytest.mark.parametrize("name", ["approx_hess1", "approx_hess2", "approx_hess3", "approx_hess", "approx_hess_cs"])
def test_hessians_are_bit_identical_to_statsmodels(name):
    """The same points (a diagonal pair's (x + h e_i) + h e_i added in statsmodels' order), the
    same formulas and nominal denominators: the same numbers, bit for bit."""
    theirs = getattr(numdiff, name)(X, scalar_f, args=(2.0,))
    mine = getattr(ours, name)(X, scalar_f, args=(2.0,))
    assert mine.shape == (4, 4) and np.array_equal(mine, mine.T)
    np.testing.assert_array_equal(mine, theirs)


def test_return_grad_and_evaluation_counts():
    calls = []

    def f(x):
        calls.append(1)
        return scalar_f(x)

    H, g = ours.approx_hess1(X, f, return_grad=True)
    n = X.size
    assert len(calls) == n * (n + 1) // 2 + n + 1
    _, g_theirs = numdiff.approx_hess1(X, scalar_f, return_grad=True)
    np.testing.assert_allclose(g, g_theirs, rtol=3e-8)  # realized vs nominal forward steps, as for approx_fprime
    calls.clear()
    ours.approx_hess3(X, f)
    assert len(calls) == 2 * n * (n + 1)


def test_integer_and_zero_imaginary_points():
    f = lambda x: x[0] ** 2 + 3 * x[1]  # noqa: E731
    for x in (np.array([1, 2]), np.array([1.0 + 0j, 2.0 + 0j])):
        np.testing.assert_allclose(ours.approx_fprime(x, f), [2.0, 3.0], rtol=1e-6)
    with pytest.raises(ValueError, match="real"):
        ours.approx_fprime(np.array([1.0 + 1j, 2.0]), f)
