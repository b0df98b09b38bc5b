"""Parsing of the numerical options shared by the entry points (method, order, richardson, noise)."""

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from fdcore.numerics.steps import accuracy_order

REAL_METHODS = ("central", "forward", "backward")
FIRST_DERIVATIVE_METHODS = REAL_METHODS + ("complex",)
CENTRAL_ORDERS = (2, 4, 6, 8)
# Stencil nodes (in units of h) of the two-point differences: (plus, minus).
TWO_POINT_NODES = {"central": (1, -1), "forward": (1, 0), "backward": (0, -1)}
ONE_SIDED_ORDERS = (1, 2, 3, 4, 5, 6, 7, 8)
# The accurate mode (richardson=True): 4 levels of the two-point central difference at steps
# h, h/2, h/4, h/8 (or 2h, h, h/2, h/4: fdcore.derivatives.axis.sliding_window), i.e. 8 evaluations per coordinate.
ACCURATE_LEVELS = 4
# Hessians: 3 levels of the n^2 + n stencil (each level costs n^2 + n evaluations; 3 levels give
# ~1e-11 relative error, 2 levels ~1e-10 but with poor error estimates).
ACCURATE_HESSIAN_LEVELS = 3
# The highest derivative order of `fdcore.derivative` (numdifftools' Derivative goes to 10).
MAX_DERIVATIVE_ORDER = 10
# The most Richardson levels: numdifftools' default step sequence, 15 steps (with r = 2 they
# span 16384x, far past where round-off takes over from truncation; with its r = 1.6 for
# second derivatives, 720x).
MAX_LEVELS = 15
# The accurate mode tries a coordinate again, at another step scale, when the estimated relative
# error of its estimate exceeds EPS^0.56 (1.7e-9 in float64; see fdcore.numerics.errors.retry_tolerance): badly scaled
# coordinates, |x_i| << 1 or f varying much faster than |x_i|. Each retry costs 8 evaluations.
ACCURATE_RETRY_EXPONENT = 0.56


@dataclass(frozen=True)
class Options:
    method: str
    order: int
    levels: int
    ratio: float
    noise: object  # None or a non-negative float / array
    accurate: bool = False  # richardson=True

    @property
    def two_point(self):
        """The plain two-point difference, served by the dedicated kernels."""
        plain_order = 2 if self.method == "central" else 1
        return self.order == plain_order and self.levels == 1 and self.noise is None


def parse(method, order, richardson, step_ratio, noise, methods=REAL_METHODS, accurate_levels=ACCURATE_LEVELS):
    if noise is None:
        try:
            return _parse_cached(method, order, richardson, step_ratio, methods, accurate_levels)
        except TypeError:  # an unhashable option: parse it uncached (and report it if bad)
            pass
    return _parse(method, order, richardson, step_ratio, noise, methods, accurate_levels)


@lru_cache(maxsize=64, typed=True)  # typed: richardson=True must not hit richardson=1
def _parse_cached(method, order, richardson, step_ratio, methods, accurate_levels):
    """The options of the common calls, parsed once (they are hashable and immutable)."""
    return _parse(method, order, richardson, step_ratio, None, methods, accurate_levels)


def _parse(method, order, richardson, step_ratio, noise, methods, accurate_levels):
    check_method(method, methods)
    if method == "complex":
        if order not in (None, 2) or _levels(richardson, accurate_levels) > 1 or richardson is True:
            raise ValueError("method='complex' takes no order or richardson option (its error is O(h^2) with h tiny)")
        return Options(method, 2, 1, 2.0, parse_noise(noise))
    order = accuracy_order(order, method)
    allowed = CENTRAL_ORDERS if method == "central" else ONE_SIDED_ORDERS
    if isinstance(order, bool) or order not in allowed:
        raise ValueError(f"order must be one of {', '.join(map(str, allowed))} for method={method!r}; got {order!r}")
    return Options(method, int(order), _levels(richardson, accurate_levels), _ratio(step_ratio), parse_noise(noise),
                   accurate=richardson is True)


def parse_complex_levels(accuracy, order, richardson, step_ratio, noise, accurate_levels=ACCURATE_LEVELS):
    """The options of the complex methods that take Richardson levels: the contour rule of
    derivatives of order n >= 2 (fdcore.numerics.contour) and the complex-step Hessian. No
    order option (``accuracy`` is the method's own leading error power); levels and ratio as
    for the real methods."""
    if order is not None:
        raise ValueError(f"method='complex' takes no order (its accuracy order is {accuracy}); got {order!r}")
    return Options("complex", accuracy, _levels(richardson, accurate_levels), _ratio(step_ratio), parse_noise(noise),
                   accurate=richardson is True)


def _levels(richardson, accurate_levels):
    if richardson is None or richardson is False:
        return 1
    if richardson is True:
        return accurate_levels
    if not isinstance(richardson, (int, np.integer)) or not 1 <= richardson <= MAX_LEVELS:
        raise ValueError(f"richardson must be True, False or a number of levels 1..{MAX_LEVELS}; got {richardson!r}")
    return int(richardson)


def real_number(value, name, expected, shown=60):
    """float(value), or a TypeError saying ``name`` must be ``expected`` (showing ``shown`` characters)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {expected}, got {value!r:.{shown}}") from None


def _ratio(step_ratio):
    ratio = real_number(step_ratio, "step_ratio", "a number > 1", shown=40)
    if not (np.isfinite(ratio) and ratio > 1):
        raise ValueError(f"step_ratio must be a finite number > 1, got {step_ratio!r}")
    return ratio


def parse_noise(noise):
    if noise is None:
        return None
    try:
        value = np.asarray(noise, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"noise must be a non-negative number, got {noise!r:.40}") from None
    if value.ndim > 1 or not np.all(np.isfinite(value)) or np.any(value < 0):
        raise ValueError(f"noise must be a finite non-negative number (or one per output), got {noise!r:.60}")
    return value if value.ndim else float(value)


def check_noise_size(noise, m):
    """ValueError naming noise unless it is one number or one per output of f (m; None: scalar f)."""
    if noise is not None and np.ndim(noise) == 1 and np.shape(noise) != (m if m is not None else 1,):
        outputs = f"f has m = {m} outputs" if m is not None else "f is scalar"
        raise ValueError(f"noise must be one number or one per output of f ({outputs}), got {np.size(noise)} values")


def check_method(method, allowed, name="method"):
    """ValueError naming ``name`` unless method is one of ``allowed``."""
    if method not in allowed:
        choices = ", ".join(repr(m) for m in allowed)
        raise ValueError(f"{name} must be one of {choices}; got {method!r}")
