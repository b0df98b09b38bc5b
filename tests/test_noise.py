"""f's noise measured from its own values (Moré & Wild's ECnoise): fdcore.numerics.errors
.noise_from_values on synthetic tables and fdcore.derivatives.noise.measure_noise on functions."""

import hashlib

import numpy as np
import pytest
from helpers import Counted

import fdcore
from fdcore.derivatives.noise import measure_noise
from fdcore.evaluators.protocol import make_evaluator
from fdcore.numerics.errors import NOISE_POINTS, noise_from_values

EPS = np.finfo(np.float64).eps


def noisy(level):
    """sum(sin(x) x) + level * N(0, 1), the noise a deterministic function of x's bits."""
    def f(x):
        seed = int.from_bytes(hashlib.blake2b(np.ascontiguousarray(x).tobytes(), digest_size=8).digest(), "little")
        return float(np.sum(np.sin(x) * x)) + level * np.random.default_rng(seed).standard_normal()
    return f


@pytest.mark.parametrize("level", [1e-12, 1e-10, 1e-6])
def test_noise_level_of_synthetic_tables(level):
    """A smooth f sampled at spacing 1e-4 plus Gaussian noise: the median estimate over 200 tables
    is within 25% of the level (measured 0.89 level at 1e-10), and 80% are within a factor 2."""
    rng = np.random.default_rng(0)
    t = 1e-4 * np.arange(-(NOISE_POINTS // 2), NOISE_POINTS // 2 + 1)
    estimates = np.array([noise_from_values(np.sin(1 + t) + level * rng.standard_normal(NOISE_POINTS))
                          for _ in range(200)])
    assert np.all(np.isfinite(estimates))
    assert 0.75 * level <= np.median(estimates) <= 1.25 * level
    assert np.mean((estimates > level / 2) & (estimates < 2 * level)) >= 0.8


def test_noise_of_constant_and_of_smooth_tables():
    assert noise_from_values(np.full(NOISE_POINTS, 3.0)) == 0.0
    # a cubic at a coarse spacing: its differences do not change sign; no noise is shown
    t = np.arange(NOISE_POINTS) * 0.5
    assert np.isnan(noise_from_values(1 + t + t**3))
    # a vector f: one level per output
    rng = np.random.default_rng(1)
    table = np.stack([1e-8 * rng.standard_normal(NOISE_POINTS), np.full(NOISE_POINTS, 2.0)], axis=1)
    levels = noise_from_values(table)
    assert levels.shape == (2,) and levels[1] == 0.0 and 3e-9 < levels[0] < 3e-8


@pytest.mark.parametrize("level", [1e-10, 1e-7])
def test_measured_noise_of_a_noisy_function(level):
    x = np.array([0.3, -1.2, 2.0, 0.7])
    f = Counted(noisy(level))
    noise, nfev = measure_noise(make_evaluator(f, x), f(x))
    assert level / 3 <= noise <= 3 * level
    assert nfev == f.calls - 1 and nfev in (16, 24)  # two spacings agree, or a third decides


def test_measured_noise_of_float64_and_float32_computations():
    x = np.array([0.3, -1.2, 2.0, 0.7])
    exact = lambda p: float(np.sum(np.sin(p) * p))
    single = lambda p: float(np.sum(np.sin(p.astype(np.float32)) * p.astype(np.float32)))
    f0 = exact(x)
    assert measure_noise(make_evaluator(exact, x), f0)[0] <= 8 * EPS * abs(f0)  # a few ulps
    noise = measure_noise(make_evaluator(single, x), single(x))[0]
    assert 0.03 * 2**-24 * abs(f0) <= noise <= 3 * 2**-24 * abs(f0)


def test_fast_variation_is_not_mistaken_for_noise():
    """f varying on the scale 1e-6 at x ~ 1e-6: spacing 1.2e-4 would see its values as noise
    (0.83, measured before the spacing followed min |x_i|); the spacing starts at 1.2e-4 min|x_i|."""
    x = np.array([1.3e-6, -7e-7, 2.5e-6])
    f = lambda p: float(np.sum(np.sin(p / 1e-6)))
    noise, _ = measure_noise(make_evaluator(f, x), f(x))
    assert noise <= 1e-12


def test_vector_f_has_one_level_per_output():
    x = np.array([0.3, -1.2, 2.0])
    g = noisy(1e-9)
    f = lambda p: np.array([g(p), float(np.prod(p))])
    noise, _ = measure_noise(make_evaluator(f, x), f(x), vector=True)
    assert noise.shape == (2,) and 3e-10 <= noise[0] <= 3e-9 and noise[1] <= 1e-14


def test_an_f_raising_on_the_line_says_where():
    x = np.array([0.3, -1.2])

    def f(p):
        if not np.array_equal(p, x):
            raise ArithmeticError("boom")
        return 1.0

    with pytest.raises(ArithmeticError, match="boom") as info:
        measure_noise(make_evaluator(f, x), 1.0)
    assert "noise is measured" in " ".join(info.value.__notes__)


def test_accurate_gradient_error_covers_noise_the_tableau_cannot_see():
    """noisy_separable (f + 1e-10 noise, n = 6): no coordinate misses the retry tolerance, so before
    the stalled-column flag no noise was measured and the error estimate covered 0 of the 6
    components (e.g. 7.3e-9 off, estimated 1.2e-9). The stalled tableau column triggers f's noise
    measurement, which enters the estimates as a 3-sigma bound."""
    problem = next(p for p in fdcore.problem_suite() if p.name == "noisy_separable")
    f = Counted(problem.f)
    r = fdcore.gradient(f, problem.x0, richardson=True, full_output=True)
    true = problem.derivative(problem.x0)
    assert np.all(np.abs(r.value - true) <= r.error)
    assert np.all(r.error <= 1e3 * np.maximum(np.abs(r.value - true), 1e-12))  # still informative
    assert r.nfev == f.calls <= 8 * 6 + 1 + 2 + 24  # the window, f(x), the float32 probe, the noise line


def test_stalled_column_flags_only_noise_or_an_unresolved_tableau():
    """The stalled-column test of the Richardson tableau: a column's finest difference above
    STALLED_COLUMN times the previous column's. exp at 1 with noise-free values: not stalled;
    the same values with 1e-10 added noise at the finer levels: stalled."""
    from fdcore.numerics.richardson import Tableau, extrapolate

    h = 0.073 * 2.0 ** -np.arange(4)
    exact = np.exp(1.0) * np.sinh(h) / h  # central differences of exp at x = 1, without round-off
    rounding = np.full((1, 4), 1e-15)
    tableau = Tableau(2, 2.0, 2)
    clean = extrapolate(exact[None], rounding / h, tableau, full=True)[5]
    noisy = exact + np.array([0.0, 0.0, 3e-9, -6e-9])
    stalled = extrapolate(noisy[None], rounding / h, tableau, full=True)[5]
    assert not clean[0] and stalled[0]
