"""The built-in problem suite: fdcore vs the analytic derivatives and vs the slow reference."""

import numpy as np
import pytest

import fdcore
import reference
from helpers import METHODS, TOL_FIRST, TOL_SECOND, rel_err


# The scalable problems of the original suite (the full suite is tested in test_problem_suite.py).
SCALABLE = ("rosenbrock", "extended_powell", "broyden_tridiagonal", "dense_quadratic")


def problem_sizes(scalar_only=False):
    for name in SCALABLE:
        if scalar_only and fdcore.get_problem(name, 4).vector:
            continue
        for n in (8, 40):  # both multiples of 4 (extended_powell)
            yield pytest.param(name, n, id=f"{name}-{n}")


SUITE = pytest.mark.parametrize("name, n", list(problem_sizes()))
SCALAR_SUITE = pytest.mark.parametrize("name, n", list(problem_sizes(scalar_only=True)))


def first_derivative(problem):
    return (fdcore.jacobian, reference.jacobian) if problem.vector else (fdcore.gradient, reference.gradient)


def test_problem_names():
    assert set(SCALABLE) <= set(fdcore.PROBLEM_NAMES)


@SUITE
def test_problem_objects(name, n):
    p = fdcore.get_problem(name, n)
    assert isinstance(p, fdcore.Problem)
    assert p.name == name and p.n == n and p.x0.shape == (n,)
    assert p.vector == (name == "broyden_tridiagonal")
    assert (p.hessian is None) == p.vector
    D = p.derivative(p.x0)
    assert D.shape == ((n, n) if p.vector else (n,))
    if not p.vector:
        H = p.hessian(p.x0)
        assert H.shape == (n, n)
        np.testing.assert_array_equal(H, H.T)


@SUITE
@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("shift", [0.0, 0.3])
def test_first_derivative_vs_analytic(name, n, method, shift):
    p = fdcore.get_problem(name, n)
    x = p.x0 + shift * np.cos(np.arange(n))  # the standard point and a generic one
    fd = first_derivative(p)[0](p.f, x, method=method)
    assert rel_err(fd, p.derivative(x), p.f(x)) < TOL_FIRST[method]


@SCALAR_SUITE
@pytest.mark.parametrize("method", METHODS)
def test_hessian_vs_analytic(name, n, method):
    p = fdcore.get_problem(name, n)
    H = fdcore.hessian(p.f, p.x0, method=method)
    assert rel_err(H, p.hessian(p.x0), p.f(p.x0)) < TOL_SECOND[method]
    np.testing.assert_array_equal(H, H.T)


# --- agreement with the reference (same stencil, same steps: only rounding order may differ) ----

AGREE = 1e-12


@SUITE
@pytest.mark.parametrize("method", METHODS)
def test_first_derivative_vs_reference(name, n, method):
    p = fdcore.get_problem(name, n)
    fd, ref = first_derivative(p)
    assert rel_err(fd(p.f, p.x0, method=method), ref(p.f, p.x0, method=method)) < AGREE


@SUITE
@pytest.mark.parametrize("method", METHODS)
def test_hessian_vs_reference(name, n, method):
    p = fdcore.get_problem(name, n)
    if p.vector:
        f = lambda x: float(np.sum(p.f(x) ** 2))  # noqa: E731  (a scalar function built on it)
    else:
        f = p.f
    assert rel_err(fdcore.hessian(f, p.x0, method=method), reference.hessian(f, p.x0, method=method)) < AGREE


@pytest.mark.parametrize("name", SCALABLE)
@pytest.mark.parametrize("method", METHODS)
def test_float32_vs_reference(name, method):
    # Same explicit steps for both (the default float32 step may differ by an ulp depending on
    # whether EPS^(1/3) is rounded in float32 or float64, which is immaterial).
    p = fdcore.get_problem(name, 8)
    x = p.x0.astype(np.float32)
    h1, h2 = reference.default_step(x, 1, method), reference.default_step(x, 2, method)
    fd, ref = first_derivative(p)
    a, b = fd(p.f, x, method=method, step=h1), ref(p.f, x, method=method, step=h1)
    assert a.dtype == b.dtype == np.float32
    assert rel_err(a, b) < 1e-6  # float32 rounding of the result only
    if not p.vector:
        a, b = fdcore.hessian(p.f, x, method=method, step=h2), reference.hessian(p.f, x, method=method, step=h2)
        assert rel_err(a, b) < 1e-6


@pytest.mark.parametrize("method", METHODS)
def test_explicit_steps_vs_reference(method):
    p = fdcore.get_problem("rosenbrock", 8)
    step = np.linspace(1e-5, 3e-5, 8)
    assert rel_err(fdcore.gradient(p.f, p.x0, method=method, step=step),
                   reference.gradient(p.f, p.x0, method=method, step=step)) < AGREE
    assert rel_err(fdcore.hessian(p.f, p.x0, method=method, step=10 * step),
                   reference.hessian(p.f, p.x0, method=method, step=10 * step)) < AGREE
