"""The one error model of fdcore's estimates: round-off, noise and truncation.

Every estimate's error is bounded by two parts:
  round-off / noise   each value of f carries an absolute error of F_ULPS EPS |f| (or the user's
                      ``noise``); a stencil with weights w_j divided by h^d propagates
                      sum_j |w_j| (error of f_j) / h^d  (`roundoff_per_value`, `stencil_roundoff`);
  truncation          from the Richardson tableau: the difference between same-order estimates at
                      consecutive steps, scaled by 1 / (r^q - 1) and TRUNCATION_SAFETY
                      (fdcore.numerics.richardson).
The constants are defined here once; every layer that estimates an error imports them.
"""

from math import factorial

import numpy as np

from fdcore.numerics.options import ACCURATE_RETRY_EXPONENT

# Assumed error of one evaluation of f, in units of EPS |f|, when the user gives no noise level:
# a function computed by a few dozen operations typically carries 1 to 50 EPS of relative error
# (Moré & Wild, SIAM J. Sci. Comput. 33 (2011) 1292-1314, estimate such noise levels); 32 makes
# the error estimate cover sums of tens of terms with moderate cancellation.
F_ULPS = 32
# The round-off by which the accurate Hessian ranks the entries of a tableau: nearer the typical
# error of f's values than the F_ULPS bound that its claimed and reported errors keep, which
# favours larger steps whose truncation the tableau cannot see. Measured on the accuracy bench,
# median per case: 32 (the bound) 6.5e-11; 8: 3.5e-11 (bard 1.1e-10 -> 8.6e-12, separable 1.7e-10
# -> 6.1e-11, no case worse); 4 or 2: the same median, but rosenbrock 7.4e-14 -> 6.5e-13 (a sum of
# 1000 terms rounds by more) and with 2 logistic_regression 6.0e-6 -> 4.3e-5. Noise, measured or
# given, counts in full in both.
RANKING_ULPS = 8
# Factor by which the asymptotic truncation estimate is inflated (the asymptotic regime is only
# approached; see fdcore.numerics.richardson.extrapolate).
TRUNCATION_SAFETY = 8.0
# A single estimate has no second one to compare with: its error is only bounded by this multiple
# of its round-off (complex-step derivatives, one-level tableaux).
SINGLE_ESTIMATE_SAFETY = 10.0
# The central Hessian stencil combines about 8 values of f per entry (A + B of its pair term).
HESSIAN_VALUES_PER_ENTRY = 8.0
# Factor between an estimated error and the tolerance derived from it: a discrepancy (check_grad)
# or a quantity (classify_critical_point's gradient and eigenvalues) counts as nonzero only above
# TOLERANCE_SAFETY times its estimated error.
TOLERANCE_SAFETY = 10.0


def roundoff_per_value(magnitude, eps, noise=None, ulps=F_ULPS):
    """Absolute error of one value of f of size ``magnitude``: F_ULPS (or ``ulps``) EPS |f|,
    plus ``noise``."""
    error = ulps * eps * magnitude
    return error if noise is None else error + noise


def values_precision(values, eps, confirm=None):
    """The machine epsilon f computes in, as its values show: float32's when eps is finer and every
    finite value of f is a float32 number (an f computed in float32 and returned as a float; a
    float64 computation gives a float32 number by chance once in 2^29 values), else eps. Exact
    float64 arithmetic on short dyadic inputs also gives float32 numbers (x + 3 at x = 1 with
    steps 2^-k): ``confirm`` (a `NudgeProbe`), where given, must then say that f does not see a
    change of x below float32's resolution."""
    eps32 = float(np.finfo(np.float32).eps)
    if eps >= eps32:
        return eps
    finite = values[np.isfinite(values)]
    with np.errstate(over="ignore"):
        as_float32 = finite.astype(np.float32)
    if finite.size >= 2 and np.array_equal(as_float32, finite) and np.any(finite != finite.flat[0]):
        return eps32 if confirm is None or confirm() else eps
    return eps


# A relative nudge of x far below float32's resolution (2^-24) but far above float64's (2^-52).
FLOAT32_PROBE_NUDGE = 2.0**-40


def nudged(x):
    """x moved by FLOAT32_PROBE_NUDGE relatively (zeros by that much absolutely)."""
    return x + np.where(x != 0, x * FLOAT32_PROBE_NUDGE, FLOAT32_PROBE_NUDGE)


class NudgeProbe:
    """Whether f ignores the change of x to `nudged` x (f computes in float32): asked at most once
    per derivative, at the cost of one evaluation of f (two when f(x) is not known yet), counted in
    ``nfev``.

    value_at : callable   f at a point (the caller's evaluator)
    x : ndarray           the point
    f0 : f(x), or None where the caller has not evaluated it

    Examples
    --------
    >>> probe = NudgeProbe(lambda p: float(p[0] + 3.0), np.array([1.0]), 4.0)
    >>> probe(), probe.nfev  # x + 3 sees the nudge: float64 arithmetic
    (False, 1)
    """

    def __init__(self, value_at, x, f0=None):
        self.value_at, self.x, self.f0 = value_at, x, f0
        self.unchanged = None
        self.nfev = 0

    def __call__(self):
        if self.unchanged is None:
            if self.f0 is None:
                self.f0 = self.value_at(self.x)
                self.nfev += 1
            self.unchanged = bool(np.array_equal(self.value_at(nudged(self.x)), self.f0))
            self.nfev += 1
        return self.unchanged


# Noise of f from its own values (Moré & Wild, "Estimating computational noise", SIAM J. Sci.
# Comput. 33 (2011) 1292-1314, the ECnoise method): at NOISE_POINTS equally spaced points along a
# line, the j-th differences of pure noise of level sigma have mean square (2j)!/(j!)^2 sigma^2;
# those of a smooth f shrink with the spacing. sigma is read off at the first order j whose
# differences change sign and whose estimates at orders j, j+1, j+2 agree within NOISE_AGREEMENT.
NOISE_POINTS = 9
NOISE_AGREEMENT = 4.0
# A measured noise level sigma bounds one value's error as NOISE_BOUND sigma (a normal error
# exceeds 3 sigma with probability 0.27%).
NOISE_BOUND = 3.0


def noise_from_values(values):
    """The noise level of f from its values at NOISE_POINTS equally spaced points on a line.

    values : (NOISE_POINTS,) or (NOISE_POINTS, m) array. Returns a float (or (m,) array): the
    estimated standard deviation of one value's error; 0 where every value is the same; NaN where
    the differences do not show noise (the spacing is too large for f's smoothness).
    """
    table = np.asarray(values, dtype=np.float64)
    scalar = table.ndim == 1
    table = table.reshape(table.shape[0], -1)
    orders = table.shape[0] - 1
    sigma = np.empty((orders, table.shape[1]))
    changes_sign = np.empty((orders, table.shape[1]), dtype=bool)
    for j in range(1, orders + 1):
        table = np.diff(table, axis=0)
        gamma = factorial(j) ** 2 / factorial(2 * j)
        sigma[j - 1] = np.sqrt(gamma * np.mean(table**2, axis=0))
        changes_sign[j - 1] = np.any(table[:-1] * table[1:] < 0, axis=0) if table.shape[0] > 1 else False
    noise = np.full(sigma.shape[1], np.nan)
    for j in range(orders - 3, -1, -1):  # the lowest order that qualifies wins
        window = sigma[j:j + 3]
        ok = changes_sign[j] & (window.max(axis=0) <= NOISE_AGREEMENT * window.min(axis=0))
        noise = np.where(ok, sigma[j], noise)
    noise = np.where(sigma[0] == 0, 0.0, noise)  # f constant along the line
    return float(noise[0]) if scalar else noise


def unmodelled_noise(noise, modelled):
    """noise / modelled where f's measured noise exceeds the round-off model's error per value
    (``modelled``), 0 elsewhere: the factor by which the model's round-off bounds must grow.
    Where the model's error is 0 (f(x) = 0 exactly, e.g. a squared residual at its zero) the
    factor is undefined and 0: the values near x, from which the bounds were computed, are not
    0, and noise / 0 once turned an error bound of 1e-20 into 1e271. (The measured noise still
    enters the later windows' round-off additively.)"""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(noise) & (noise > modelled) & (modelled > 0), noise / modelled, 0.0)


def complex_step_error(value, h, dtype=np.float64):
    """Error estimate of complex-step derivatives Im f(x + i h) / h (coordinates on value's last
    axis, h per coordinate): their round-off, and the granularity of Im f near the underflow
    threshold, the smallest subnormal / h (truncation is O(h^2) ~ 0)."""
    granularity = float(np.finfo(dtype).smallest_subnormal) / np.asarray(h, dtype=np.float64)
    return SINGLE_ESTIMATE_SAFETY * (np.finfo(np.float64).eps * np.abs(value) + granularity)


def complex_step_underflow(imag, h, f_x, x, dtype):
    """Where complex-step imaginary parts Im f(x + i h_i e_i) (coordinates on the last axis of
    ``imag``; ``f_x``, f(x), broadcastable against it) may have lost a derivative to underflow:
    where they are subnormal (nonzero below the smallest normal number: precision gone), or 0
    while a derivative at the resolution of f's own values, EPS |f(x)| / max(1, |x_i|), would
    underflow at h_i (there 0 is no evidence of a zero derivative; elsewhere a hidden derivative
    is below what f's values resolve)."""
    finfo = np.finfo(dtype)
    scale = np.maximum(1.0, np.abs(np.asarray(x, dtype=np.float64)))
    magnitude = np.abs(imag)
    hidden = finfo.eps * np.abs(np.asarray(f_x, dtype=np.float64)) * np.asarray(h, np.float64) / scale < finfo.tiny
    return (magnitude < finfo.tiny) & ((magnitude > 0) | hidden)


# Relative claimed error above which an accurate second derivative is computed again at other
# steps: its estimates settle later than a first derivative's (round-off EPS |f| / h^2 against
# EPS |f| / h). HESSIAN_RETRY for the Hessian's entries (fdcore.derivatives.hessian), whose
# windows cost n^2 evaluations; AXIS_SECOND_RETRY for the second derivatives along axes and
# directions (hessian_diagonal, the accurate hvp), whose cost 8 per coordinate: with 1e-7 there,
# oscillatory_10's diagonal stayed 1.4e-7 off claiming 3.8e-8, its accurate hvp 4.3e-7 off
# (both below 1e-8 with it).
HESSIAN_RETRY = 1e-7
AXIS_SECOND_RETRY = 1e-8


def retry_tolerance(accurate, step, dtype, derivative=1):
    """Relative error estimate above which the accurate mode retries a coordinate (None: never).

    EPS^0.56 (1.7e-9 in float64), but never below 1e3 F_ULPS EPS (3.8e-3 in float32), which
    round-off alone can explain at the accurate mode's steps, nor below AXIS_SECOND_RETRY for a
    second ``derivative``. Only the default steps are retried.
    """
    if not accurate or step is not None:
        return None
    eps = np.finfo(dtype).eps
    tolerance = max(eps**ACCURATE_RETRY_EXPONENT, 1e3 * F_ULPS * eps)
    return max(tolerance, AXIS_SECOND_RETRY) if derivative == 2 else tolerance
