"""fdcore.compat.scipy: SciPy's approx_derivative / approx_fprime / check_grad semantics."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.optimize import approx_fprime as scipy_approx_fprime
from scipy.optimize import check_grad as scipy_check_grad
from scipy.optimize import rosen, rosen_der
from scipy.optimize._numdiff import approx_derivative as scipy_approx_derivative

import fdcore
from fdcore.compat.scipy import approx_derivative, approx_fprime, check_grad

SCALAR = fdcore.problem_suite()
VECTOR = fdcore.problem_suite(vector=True)


CASES = [(p, m) for p in SCALAR for m in ("2-point", "3-point", "cs") if m != "cs" or p.analytic]


@pytest.mark.parametrize("p, method", CASES, ids=[f"{p.name}-{m}" for p, m in CASES])
def test_scalar_problems_agree_with_scipy(p, method):
    ours, theirs = approx_derivative(p.f, p.x0, method=method), scipy_approx_derivative(p.f, p.x0, method=method)
    assert ours.shape == theirs.shape == p.x0.shape
    # Same steps, same stencils, same divisors: equal to rounding.
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12 * max(1.0, np.max(np.abs(theirs))))


@pytest.mark.parametrize("method", ["2-point", "3-point"])
@pytest.mark.parametrize("p", VECTOR, ids=[p.name for p in VECTOR])
def test_vector_problems_agree_with_scipy_with_and_without_bounds(p, method):
    np.testing.assert_array_equal(approx_derivative(p.f, p.x0, method=method),
                                  scipy_approx_derivative(p.f, p.x0, method=method))
    lb, ub = p.x0 - 1e-9, p.x0 + 1.0  # the lower bound forces forward / one-sided stencils
    np.testing.assert_allclose(approx_derivative(p.f, p.x0, method=method, bounds=(lb, ub)),
                               scipy_approx_derivative(p.f, p.x0, method=method, bounds=(lb, ub)), rtol=1e-10, atol=1e-10)


def test_documented_example_args_rel_step_abs_step_f0_full_output():
    def f(x, c1, c2):
        return np.array([x[0] * np.sin(c1 * x[1]), x[0] * np.cos(c2 * x[1])])

    x0 = np.array([1.0, 0.5 * np.pi])
    for options in ({}, {"rel_step": 1e-6}, {"abs_step": 1e-7}, {"f0": f(x0, 1, 2)}, {"method": "2-point"}):
        np.testing.assert_array_equal(approx_derivative(f, x0, args=(1, 2), **options),
                                      scipy_approx_derivative(f, x0, args=(1, 2), **options))
    J, info = approx_derivative(f, x0, args=(1, 2), full_output=True)
    assert info["nfev"] == 1 + 2 * 2


def test_sparsity_returns_csr_equal_to_scipy():
    p = fdcore.get_problem("broyden_tridiagonal", 40)
    pattern = sp.diags_array([np.ones(39), np.ones(40), np.ones(39)], offsets=[-1, 0, 1], shape=(40, 40))
    ours, theirs = approx_derivative(p.f, p.x0, sparsity=pattern), scipy_approx_derivative(p.f, p.x0, sparsity=pattern)
    assert sp.issparse(ours) and ours.format == "csr"
    np.testing.assert_allclose(ours.toarray(), theirs.toarray(), rtol=1e-12, atol=1e-12)


def test_linear_operator():
    p = fdcore.get_problem("broyden_tridiagonal", 20)
    L = approx_derivative(p.f, p.x0, as_linear_operator=True)
    v = np.linspace(-1, 1, 20)
    np.testing.assert_allclose(L @ v, p.derivative(p.x0) @ v, rtol=1e-6, atol=1e-6)
    with pytest.raises(ValueError, match="Bounds"):
        approx_derivative(p.f, p.x0, as_linear_operator=True, bounds=(-5, 5))


def test_approx_fprime_and_check_grad_equal_scipy():
    x = np.random.default_rng(0).uniform(-1, 2, 30)
    np.testing.assert_array_equal(approx_fprime(x, rosen), scipy_approx_fprime(x, rosen))
    np.testing.assert_array_equal(approx_fprime(x, rosen, 1e-6), scipy_approx_fprime(x, rosen, 1e-6))
    assert check_grad(rosen, rosen_der, x) == scipy_check_grad(rosen, rosen_der, x)
    for seed in (0, 3):
        assert check_grad(rosen, rosen_der, x, direction="random", seed=seed) == \
            scipy_check_grad(rosen, rosen_der, x, direction="random", seed=seed)


def test_bad_input_raises_like_scipy():
    with pytest.raises(ValueError, match="Unknown method"):
        approx_derivative(rosen, np.ones(3), method="5-point")
    with pytest.raises(ValueError, match="at most 1 dimension"):
        approx_derivative(rosen, np.ones((2, 2)))
    with pytest.raises(ValueError, match="violates bound"):
        approx_derivative(rosen, np.ones(3), bounds=(2, 3))
    with pytest.raises(ValueError, match="Inconsistent shapes"):
        approx_derivative(rosen, np.ones(3), bounds=(np.zeros(2), np.ones(2)))
    with pytest.raises(ValueError, match="direction"):
        check_grad(rosen, rosen_der, np.ones(3), direction="sideways")


def test_tight_random_bounds_match_scipy():
    # Rooms of 1e-12 .. 0.5 on either side: flipped, one-sided and shrunk steps, as SciPy chooses.
    f = lambda x: np.array([np.sum(np.exp(x)), x[0] * x[1]])  # noqa: E731
    rng = np.random.default_rng(0)
    for _ in range(150):
        x = rng.uniform(-1, 1, 3)
        lb = x - rng.choice([1e-12, 1e-9, 1e-6, 0.5], 3)
        ub = x + rng.choice([1e-12, 1e-9, 1e-6, 0.5], 3)
        for method in ("2-point", "3-point"):
            np.testing.assert_allclose(approx_derivative(f, x, method=method, bounds=(lb, ub)),
                                       scipy_approx_derivative(f, x, method=method, bounds=(lb, ub)),
                                       rtol=1e-8, atol=1e-8)
