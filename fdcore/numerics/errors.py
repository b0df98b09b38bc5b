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

import numpy as np

from fdcore.numerics.options import ACCURATE_RETRY_EXPONENT

# Assumed error of one evaluation of f, in units of EPS |f|, when the user gives no noise level:
# a function computed by a few dozen operations typically carries 1 to 50 EPS of relative error
# (Moré & Wild, SIAM J. Sci. Comput. 33 (2011) 1292-1314, estimate such noise levels); 32 makes
# the error estimate cover sums of tens of terms with moderate cancellation.
F_ULPS = 32
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


def roundoff_per_value(magnitude, eps, noise=None):
    """Absolute error of one value of f of size ``magnitude``: F_ULPS EPS |f|, plus ``noise``."""
    error = F_ULPS * eps * magnitude
    return error if noise is None else error + noise


def values_precision(values, eps):
    """The machine epsilon f computes in, as its values show: float32's when eps is finer and every
    finite value of f is a float32 number (an f computed in float32 and returned as a float),
    else eps. One value in 2^29 of a float64 computation is a float32 number by chance."""
    eps32 = float(np.finfo(np.float32).eps)
    if eps >= eps32:
        return eps
    finite = values[np.isfinite(values)]
    with np.errstate(over="ignore"):
        as_float32 = finite.astype(np.float32)
    if finite.size >= 2 and np.array_equal(as_float32, finite) and np.any(finite != finite.flat[0]):
        return eps32
    return eps


def complex_step_error(value):
    """Error estimate of a complex-step derivative: round-off only (truncation is O(h^2) ~ 0)."""
    return SINGLE_ESTIMATE_SAFETY * np.finfo(np.float64).eps * np.abs(value)


def retry_tolerance(accurate, step, dtype):
    """Relative error estimate above which the accurate mode retries a coordinate (None: never).

    EPS^0.56 (1.7e-9 in float64), but never below 1e3 F_ULPS EPS (3.8e-3 in float32), which
    round-off alone can explain at the accurate mode's steps. Only the default steps are retried.
    """
    if not accurate or step is not None:
        return None
    eps = np.finfo(dtype).eps
    return max(eps**ACCURATE_RETRY_EXPONENT, 1e3 * F_ULPS * eps)
