"""step='adaptive' and noise=: per-coordinate steps that balance truncation against round-off/noise."""

import numpy as np
import pytest

import fdcore
from helpers import Counted, norm_rel, smooth, smooth_gradient, smooth_hessian, vector_f, vector_jacobian


def noisy(f, noise, seed):
    """f plus independent N(0, noise^2) noise at every evaluation (seeded: deterministic)."""
    rng = np.random.default_rng(seed)
    return lambda p: f(p) + noise * rng.standard_normal()


X3 = np.array([0.7, -0.4, 1.3])


# --- smooth functions ---------------------------------------------------------------------------

def test_smooth_gradient():
    f = Counted(smooth)
    r = fdcore.gradient(f, X3, step="adaptive", full_output=True)
    assert r.nfev == f.calls
    assert r.value.shape == r.step.shape == (3,)
    err = np.abs(r.value - smooth_gradient(X3))
    assert norm_rel(r.value, smooth_gradient(X3)) <= 1e-9  # measured 4e-12
    assert np.all(r.error >= err)  # measured: estimate ~30x the true error
    # The steps are of the size the error balance predicts for a central difference,
    # (3 EPS |f| / |f'''|)^(1/3) ~ 1e-5, not fixed: they differ per coordinate.
    assert np.all((r.step > 1e-6) & (r.step < 1e-4)) and len(set(r.step.tolist())) == 3


@pytest.mark.parametrize("name, n", [("rosenbrock", 10), ("extended_powell", 8), ("dense_quadratic", 6)])
def test_problems(name, n):
    p = fdcore.get_problem(name, n)
    g = fdcore.gradient(p.f, p.x0, step="adaptive")
    # measured: 5e-11, 2.2e-11, 1.7e-15
    assert norm_rel(g, p.derivative(p.x0)) <= 1e-9


@pytest.mark.parametrize("method", ["forward", "backward"])
def test_one_sided(method):
    r = fdcore.gradient(smooth, X3, step="adaptive", method=method, full_output=True)
    err = np.abs(r.value - smooth_gradient(X3))
    assert norm_rel(r.value, smooth_gradient(X3)) <= 1e-7  # O(sqrt(EPS)): measured 8.7e-9
    assert np.all(r.error >= err)


def test_adaptive_with_higher_order():
    g = fdcore.gradient(smooth, X3, step="adaptive", order=4)
    assert norm_rel(g, smooth_gradient(X3)) <= 1e-11  # EPS^(4/5) ~ 3e-13


# --- noisy functions ----------------------------------------------------------------------------

def test_noisy_gradient_far_better_than_default_step():
    noise = 1e-6
    exact = smooth_gradient(X3)
    adaptive, default = [], []
    for seed in range(5):
        r = fdcore.gradient(noisy(smooth, noise, seed), X3, step="adaptive", noise=noise, full_output=True)
        adaptive.append(norm_rel(r.value, exact))
        default.append(norm_rel(fdcore.gradient(noisy(smooth, noise, seed), X3), exact))
        # The estimate accounts for the noise: it bounds the true error (measured ~10x above).
        assert np.all(r.error >= np.abs(r.value - exact))
    # Default step ~6e-6: noise / h ~ 0.2 per difference. Adaptive steps ~1e-2 balance
    # (noise / h) against h^2 f''' / 6. Measured: adaptive 1.3e-5 .. 7.6e-5; default 0.023 .. 0.12.
    assert max(adaptive) < 1e-3
    assert min(default) > 1e-2


@pytest.mark.parametrize("seed", range(3))
def test_steps_grow_with_noise(seed):
    steps = []
    for noise in (1e-10, 1e-6, 1e-2):
        r = fdcore.gradient(noisy(smooth, noise, seed), X3, step="adaptive", noise=noise, full_output=True)
        steps.append(r.step)
    steps = np.array(steps)
    assert np.all(steps[1] > steps[0]) and np.all(steps[2] > steps[1])
    # Central difference: h* ~ noise^(1/3) -> a factor 1e4^(1/3) ~ 21 per step of the sequence
    # (measured 21.5 and 19.4 .. 20.6); the last is capped at 0.5 max(1, |x_i|) at worst.
    ratio = steps[1] / steps[0]
    assert np.all((ratio > 10) & (ratio < 45))


def test_steps_grow_with_noise_without_actual_noise():
    # The declared noise alone drives the step (f itself exact).
    steps = [fdcore.gradient(smooth, X3, step="adaptive", noise=noise, full_output=True).step
             for noise in (0.0, 1e-12, 1e-8, 1e-4)]
    for a, b in zip(steps[1:], steps[2:]):
        assert np.all(b > a)
    assert np.all(steps[1] >= steps[0])  # noise=0: EPS |f| is the floor


def test_noise_per_output_in_jacobian():
    r = fdcore.jacobian(vector_f, X3, step="adaptive", noise=[1e-10, 1e-10, 1e-10, 1e-10], full_output=True)
    assert r.value.shape == (4, 3)
    assert norm_rel(r.value, vector_jacobian(X3)) <= 1e-5


# --- Jacobian and Hessian -----------------------------------------------------------------------

@pytest.mark.parametrize("method, tol", [("central", 1e-9), ("forward", 1e-6)])
def test_jacobian(method, tol):
    f = Counted(vector_f)
    r = fdcore.jacobian(f, X3, step="adaptive", method=method, full_output=True)
    assert r.value.shape == r.error.shape == (4, 3) and r.step.shape == (3,)
    assert r.nfev == f.calls
    # measured: central 4.4e-12, forward 1.2e-8
    assert norm_rel(r.value, vector_jacobian(X3)) <= tol
    plain = fdcore.jacobian(vector_f, X3, step="adaptive", method=method)
    assert np.array_equal(plain, r.value)


@pytest.mark.parametrize("method, tol", [("central", 1e-6), ("forward", 1e-4)])
def test_hessian(method, tol):
    f = Counted(smooth)
    r = fdcore.hessian(f, X3, step="adaptive", method=method, full_output=True)
    assert r.nfev == f.calls
    assert np.array_equal(r.value, r.value.T)
    # measured: central 3.4e-8 (EPS^(1/2) class), forward 6e-6 (EPS^(1/3) class)
    assert norm_rel(r.value, smooth_hessian(X3)) <= tol
    plain = fdcore.hessian(smooth, X3, step="adaptive", method=method)
    assert np.array_equal(plain, r.value)


def test_hessian_of_rosenbrock():
    p = fdcore.get_problem("rosenbrock", 10)
    H = fdcore.hessian(p.f, p.x0, step="adaptive")
    assert norm_rel(H, p.hessian(p.x0)) <= 1e-6  # measured 1.1e-8


def test_noisy_hessian_steps_grow_with_noise():
    steps = [fdcore.hessian(noisy(smooth, noise, 0), X3, step="adaptive", noise=noise, full_output=True).step
             for noise in (1e-10, 1e-6, 1e-3)]
    assert np.all(steps[1] > steps[0]) and np.all(steps[2] > steps[1])


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("richardson", [True, 2, 4])
def test_adaptive_with_richardson(richardson):
    with pytest.raises(ValueError, match="adaptive"):
        fdcore.gradient(smooth, X3, step="adaptive", richardson=richardson)
    with pytest.raises(ValueError, match="adaptive"):
        fdcore.jacobian(vector_f, X3, step="adaptive", richardson=richardson)
    with pytest.raises(ValueError, match="adaptive"):
        fdcore.hessian(smooth, X3, step="adaptive", richardson=richardson)


@pytest.mark.parametrize("step", ["bogus", "Adaptive", "", "auto"])
def test_unknown_step_string(step):
    for call in (
        lambda: fdcore.gradient(smooth, X3, step=step),
        lambda: fdcore.jacobian(vector_f, X3, step=step),
        lambda: fdcore.hessian(smooth, X3, step=step),
        lambda: fdcore.derivative(np.exp, X3, step=step),
    ):
        with pytest.raises(ValueError, match="step") as info:
            call()
        assert repr(step) in str(info.value)


@pytest.mark.parametrize("noise", [-1e-6, -1.0, np.nan, np.inf, [1e-6, -1e-6, 0.0, 0.0]])
def test_bad_noise(noise):
    for call in (
        lambda: fdcore.gradient(smooth, X3, step="adaptive", noise=noise),
        lambda: fdcore.jacobian(vector_f, X3, step="adaptive", noise=noise),
        lambda: fdcore.hessian(smooth, X3, step="adaptive", noise=noise),
    ):
        with pytest.raises(ValueError, match="noise"):
            call()


def test_noise_of_wrong_type():
    with pytest.raises(TypeError, match="noise"):
        fdcore.gradient(smooth, X3, step="adaptive", noise="loud")


def test_x_unchanged_and_dtype_kept():
    x = X3.astype(np.float32)
    before = x.copy()
    g = fdcore.gradient(smooth, x, step="adaptive")
    H = fdcore.hessian(smooth, x, step="adaptive")
    J = fdcore.jacobian(vector_f, x, step="adaptive")
    assert g.dtype == H.dtype == J.dtype == np.float32
    assert np.array_equal(x, before)
    # float32: steps follow EPS32 (central h ~ EPS32^(1/3) ~ 5e-3): accuracy ~1e-5 .. 1e-4
    assert norm_rel(g, smooth_gradient(X3.astype(np.float32).astype(float))) <= 1e-3
