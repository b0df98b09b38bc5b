"""The noise of f measured along a line through x (fdcore.numerics.errors.noise_from_values).

f is evaluated at x + k delta v, k = -4..4, with v a fixed pattern of +-1 entries and delta first
EPS^(1/4) min(1, |x_i| > 0) (1.2e-4 at x ~ 1 in float64; the smallest scale f may vary on),
rounded to the ulp grid of max|x_i| so that the points are equally spaced exactly. True noise does not depend on the spacing, while an f that
varies faster than the spacing looks like noise whose level falls with it: a level is accepted
where two spacings, 100 apart, agree within NOISE_AGREEMENT (then the finer one's is taken). Where
no two agree (one estimate from 9 values scatters by a factor ~2), the finest spacing's finite
estimate is taken.
"""

import numpy as np

from fdcore.numerics.errors import (
    NOISE_AGREEMENT,
    NOISE_BOUND,
    NOISE_POINTS,
    noise_from_values,
)
from fdcore.numerics.scale_search import on_grid

_SHRINK = 100.0
_SPACINGS = 3
# The most evaluations a measurement costs (f(x) is given).
MAX_EVALUATIONS = _SPACINGS * (NOISE_POINTS - 1)


def noise_bound(evaluator, f0, vector=False):
    """(bound, evaluations): `measure_noise`'s level times NOISE_BOUND, a bound on the error of one
    value of f for the derivatives' error estimates (a standard deviation is not one: a tableau
    entry combines 8 values, and sum_j |w_j| sigma was exceeded 2 times in 6 by the errors of
    a gradient of an f with 1e-10 noise)."""
    noise, nfev = measure_noise(evaluator, f0, vector)
    return NOISE_BOUND * noise, nfev


def measure_noise(evaluator, f0, vector=False):
    """(noise, evaluations): the standard deviation of one value of f (a float, or (m,) for a vector
    f), NaN where no spacing showed noise; f0 is f(x) (reused as the middle point)."""
    x = evaluator.x
    n = x.shape[0]
    v = np.where(np.random.default_rng(0).random(n) < 0.5, -1.0, 1.0).astype(x.dtype)
    x_max = np.array([np.max(np.abs(x)) if n else 0.0], dtype=x.dtype)
    half = NOISE_POINTS // 2
    nfev = 0
    nonzero = np.abs(x[x != 0])
    delta = np.finfo(x.dtype).eps ** 0.25 * min(1.0, float(nonzero.min()) if nonzero.size else 1.0)
    previous = finest = None
    for _ in range(_SPACINGS):
        delta = float(on_grid(x_max, delta, 1, 4.0)[0])
        values = []
        for k in range(-half, half + 1):
            if k == 0:
                values.append(f0)
                continue
            point = x + x.dtype.type(k * delta) * v
            nfev += 1
            try:
                values.append(evaluator.vector(point) if vector else evaluator.scalar(point))
            except Exception as exc:
                exc.add_note(f"(raised by f at x + {k} * {delta:.3g} * v, a point of the line along which "
                             "f's noise is measured; give noise= to skip the measurement)")
                raise
        noise = np.asarray(noise_from_values(np.array(values, dtype=np.float64)))
        if previous is not None:
            with np.errstate(invalid="ignore"):
                agreed = (np.maximum(noise, previous) <= NOISE_AGREEMENT * np.minimum(noise, previous))
            if np.all(agreed):
                return (float(noise) if noise.ndim == 0 else noise), nfev
        finest = noise if finest is None else np.where(np.isfinite(noise), noise, finest)
        previous = noise
        delta /= _SHRINK
    return (float(finest) if finest.ndim == 0 else finest), nfev
