"""Step-size rules.

Default steps balance truncation against round-off for a function computed to about machine
precision EPS (of the point's own dtype) whose derivatives are of order one on the scale of x:

  two-point central first derivative   h = EPS^(1/3) * max(1, |x_i|)   (error O(h^2) + O(EPS/h))
  one-sided first derivative           h = EPS^(1/2) * max(1, |x_i|)   (error O(h)   + O(EPS/h))
  central second derivative            h = EPS^(1/4) * max(1, |x_i|)   (error O(h^2) + O(EPS/h^2))
  one-sided second derivative          h = EPS^(1/3) * max(1, |x_i|)   (error O(h)   + O(EPS/h^2))

and in general EPS^(1/(q + d)) for a d-th derivative of accuracy order q. Along a direction v
(jvp, the gradient checker's probes) the step is t = EPS^q max(1, |x|_inf) / |v|_inf, and the
complex step is EPS^2 max(1, |x_i|) (no cancellation, so it can be tiny), EPS^(1/2) max(1, |x_i|)
where that one's imaginary parts underflow.

(Nocedal & Wright, Numerical Optimization, 2nd ed., sec. 8.1; Press et al., Numerical Recipes 5.7.)
"""

from functools import lru_cache

import numpy as np

from fdcore.numerics.arrays import scaled_steps
from fdcore.numerics.stencils import stencil_offsets

# Largest step, relative to max(1, |x_i|), whatever the order or rule (default, adaptive):
# Richardson's coarsest level must stay local.
MAX_RELATIVE_STEP = 0.5


def accuracy_order(order, method):
    """The stencil's accuracy order; None picks 2 for central and 1 (two-point) one-sided."""
    if order is None:
        return 2 if method == "central" else 1
    return order


def default_step(x, d, method, order=None, levels=1, ratio=2.0, typical=None):
    """The default (coarsest-level) step for every coordinate of x, in x's dtype.

    With final accuracy order q (the base order plus what the Richardson levels remove) the
    error is ~ C h^q + EPS / h^d, minimised near h ~ EPS^(1/(q + d)); the coarsest level is that
    step times ratio^(levels - 1), so that the finest level sits at it. The scale of coordinate
    i is max(1, |x_i|), or, given the typical magnitudes ``typical`` (see `typical_scale`),
    max(typical_i, |x_i|) (Dennis & Schnabel, Numerical Methods for Unconstrained Optimization,
    1983, sec. 5.4: typx).
    """
    relative = _relative_step(x.dtype, d, accuracy_order(order, method), method == "central", levels, ratio)
    if typical is not None:
        return (relative * np.maximum(typical, np.abs(x.astype(np.float64)))).astype(x.dtype)
    h = np.empty_like(x)
    scaled_steps(x, relative, h)
    return h


def typical_scale(typical_x, x):
    """typical_x as a float64 array of shape x.shape, positive and finite (None stays None); an
    error naming typical_x otherwise."""
    if typical_x is None:
        return None
    if isinstance(typical_x, str) or np.asarray(typical_x).dtype == bool:
        raise TypeError(f"typical_x must be a positive number or an array of shape {x.shape}, got {typical_x!r:.60}")
    try:
        typical = np.abs(np.asarray(typical_x, dtype=np.float64))
    except (TypeError, ValueError):
        raise TypeError(f"typical_x must be a positive number or an array of shape {x.shape}, "
                        f"got {typical_x!r:.60}") from None
    if typical.ndim == 0:
        typical = np.full(x.shape, float(typical))
    elif typical.shape != x.shape:
        raise ValueError(f"typical_x must be a scalar or have shape {x.shape}, got shape {typical.shape}")
    if not np.all(np.isfinite(typical)) or not np.all(typical > 0):
        raise ValueError("typical_x must be nonzero and finite (its magnitudes are the coordinates' scales)")
    return typical


# Where the finest Richardson level of a central first derivative sits, relative to the
# EPS^(1/(q + d)) of a single stencil of order q. The extrapolant of L levels is polynomial
# extrapolation in h^2 to 0, whose truncation error is ~ c prod_l h_l^2 = c h_finest^q r^(L(L-1)),
# not c h_finest^q: balanced against the round-off EPS |f| / h_finest, the optimum lies below
# EPS^(1/(q + d)) (by (q r^(L(L-1)))^(-1/(q + d)) = 0.31 at L = 4, r = 2, for c ~ 1). Measured on
# the accuracy bench's 50 problems (the accurate gradient, L = 4, r = 2), median error per case:
# factor 1: 9.5e-13; 0.6: 9.0e-14; 0.5: 7.0e-14; 0.35: 1.4e-13. Hessians (3 levels) are best at
# factor 1 (0.5: median 1.4e-9, 1: 2.3e-10, 1.5: 9.6e-10), so it applies to first derivatives only.
FIRST_DERIVATIVE_FINEST_FACTOR = 0.5


@lru_cache(maxsize=256)
def _relative_step(dtype, d, order, central, levels, ratio):
    eps = float(np.finfo(dtype).eps)
    q = order + (levels - 1) * (2 if central else 1)
    finest = eps ** (1.0 / (q + d))
    if central and d == 1 and levels > 1:
        finest *= FIRST_DERIVATIVE_FINEST_FACTOR
    return min(finest * ratio ** (levels - 1), MAX_RELATIVE_STEP)


def resolve_step(step, x, d, method, order=None, levels=1, ratio=2.0, typical=None, within_bounds=False):
    """The step array for x: the default rule when ``step`` is None (on the scales ``typical``
    where given), else the user's step.

    A user step is a positive finite scalar or an array of shape (n,); it is taken as absolute
    (the coarsest level's step when Richardson levels are used). Either must keep the stencil's
    points finite (`require_finite_stencil`), unless ``within_bounds``: the caller keeps them
    inside finite bounds itself.
    """
    if step is None:
        h = default_step(x, d, method, order, levels, ratio, typical)
        if not within_bounds:
            up, down = reach = stencil_reach(d, order, method)
            # h_i = relative * max(scale_i, |x_i|), so |x_i| <= h_max / relative: where even that
            # leaves room (every x below ~1e300), the points need no check of their own
            relative = _relative_step(x.dtype, d, accuracy_order(order, method), method == "central", levels, ratio)
            if (2.0 / relative + up + down) * float(h.max()) > _LARGEST[x.dtype]:
                require_finite_stencil(x, h, reach, None)
        return h
    if typical is not None:
        raise ValueError("typical_x sets the default steps' scales: give step or typical_x, not both")
    if isinstance(step, str):
        raise ValueError(f"step must be a positive number, an array of shape {x.shape} or None; got {step!r}")
    if np.asarray(step).dtype == bool:  # True would be taken as 1.0
        raise TypeError(f"step must be a positive number or an array of shape {x.shape}, got {step!r:.60}")
    try:
        h = np.asarray(step, dtype=x.dtype)
    except (TypeError, ValueError):
        raise TypeError(f"step must be a positive number or an array of shape {x.shape}, got {step!r:.60}") from None
    if h.ndim == 0:
        h = np.full(x.shape, h, dtype=x.dtype)
    elif h.shape != x.shape:
        raise ValueError(f"step must be a scalar or have shape {x.shape}, got shape {h.shape}")
    if not np.all(np.isfinite(h)) or not np.all(h > 0):
        raise ValueError("step must be positive and finite")
    finest = h / x.dtype.type(ratio ** (levels - 1))
    with np.errstate(over="ignore"):  # an overflowing step is require_finite_stencil's to name
        unchanged = np.flatnonzero(((x + finest) == x) | ((x - finest) == x))
    if unchanged.size:
        shown = ", ".join(str(i) for i in unchanged[:10])
        raise ValueError(f"step is too small to change x at coordinates {shown}{' ...' if unchanged.size > 10 else ''}")
    if not within_bounds:
        require_finite_stencil(x, h, stencil_reach(d, order, method), step)
    return np.ascontiguousarray(h)


_LARGEST = {np.dtype(t): float(np.finfo(t).max) for t in (np.float32, np.float64)}


@lru_cache(maxsize=128)
def stencil_reach(d, order, method):
    """(up, down): the farthest offsets of the d-th derivative's stencil above and below x, in
    units of its (coarsest) step."""
    offsets = stencil_offsets(d, accuracy_order(order, method), method)
    return max(0, max(offsets)), max(0, -min(offsets))


def require_finite_stencil(x, h, reach, step=None):
    """ValueError unless the stencil points x_i + up h_i and x_i - down h_i (``reach``, see
    `stencil_reach`) and their distance are finite in x's dtype: near the largest float a step
    ~|x_i| overflows and f would be evaluated at inf; a step above half of it makes the span by
    which the kernels divide inf (and the quotient 0). Names ``step`` when the user gave it, else x."""
    up, down = reach
    h_max = float(h.max())
    # the common case, in Python floats (inf, not an exception, on overflow): no temporaries
    if max(float(x.max()) + up * h_max, down * h_max - float(x.min()), (up + down) * h_max) <= _LARGEST[x.dtype]:
        return
    with np.errstate(over="ignore", invalid="ignore"):
        # the points, and their distance, by which the kernels divide
        overflows = ~np.isfinite((x + x.dtype.type(up) * h) - (x - x.dtype.type(down) * h))
    if not overflows.any():
        return
    bad = np.flatnonzero(overflows)
    where = ", ".join(str(i) for i in bad[:10]) + (" ..." if bad.size > 10 else "")
    largest = f"the largest {x.dtype} number ({_LARGEST[x.dtype]:.4g})"
    if step is not None:
        raise ValueError(f"step is too large for x at coordinates {where}: the stencil's points x +- step, or "
                         f"their distance, exceed {largest}")
    raise ValueError(f"x is too close to {largest} at coordinates {where}: the default step, proportional to "
                     f"|x_i|, puts a stencil point beyond it; pass a smaller step=, the one-sided method that "
                     f"steps towards zero, or rescale x")


def is_adaptive(step):
    """True for step='adaptive'; ValueError for any other string."""
    if isinstance(step, str):
        if step != "adaptive":
            raise ValueError(f"step must be a positive number, an array, None or 'adaptive'; got {step!r}")
        return True
    return False


# Steps along a direction v: t = EPS^q max(1, |x|_inf) / |v|_inf. jvp takes a central difference
# (q = 1/3, as for the axes); the gradient checker's probes extrapolate central differences at t
# and t/2 and balance O(t^2) against the measured noise / t (q = 1/4).
JVP_STEP_EXPONENT = 1 / 3
PROBE_STEP_EXPONENT = 1 / 4


def unit_direction_step(eps, x_max, exponent=JVP_STEP_EXPONENT, scale_floor=1.0):
    """eps^exponent * max(scale_floor, |x|_inf): the step along a direction of unit max-norm.

    Divide by |v|_inf for a direction v. ``eps`` is the machine epsilon of x's dtype, as a Python
    float (computed in float64) or as the NumPy scalar (computed in x's dtype). ``scale_floor=0``
    assumes f varies on the scale |x|_inf itself (the checker's retry when 0 < |x|_inf < 1).
    """
    return eps**exponent * max(scale_floor, x_max)


def contour_radius(step, x, n, nodes, levels=1, ratio=2.0):
    """Per-coordinate radius (float64) of the contour rule's circle (fdcore.numerics.contour), the
    coarsest level's: by default the finest level's radius balances the truncation h^q (q = nodes
    times levels) against the round-off EPS / h^n, EPS^(1/(q + n)) * max(1, |x_i|), and the
    coarsest is ratio^(levels - 1) times that, at most MAX_RELATIVE_STEP * max(1, |x_i|). A user
    step is the coarsest radius, as for `complex_step`."""
    if step is not None:
        return complex_step(step, x)
    eps = float(np.finfo(x.dtype).eps)
    relative = min(eps ** (1.0 / (nodes * levels + n)) * ratio ** (levels - 1), MAX_RELATIVE_STEP)
    return relative * np.maximum(1.0, np.abs(x.astype(np.float64)))


def complex_retry_step(w):
    """The complex step where the default one's imaginary parts underflow: EPS^(1/2) max(1, |x_i|).
    Its truncation, h^2 times the third derivative over 6, is still about EPS / 6 relative for f
    varying on the scale max(1, |x_i|), while Im f(x + i h) ~ h f' is 2^78 times larger than at
    EPS^2 (float64)."""
    return np.sqrt(np.finfo(w.dtype).eps) * np.maximum(1.0, np.abs(w.astype(np.float64)))


def complex_step(step, w):
    """Per-coordinate imaginary step (float64): EPS^2 * max(1, |x_i|) by default."""
    if step is None:
        eps = np.finfo(w.dtype).eps
        return eps * eps * np.maximum(1.0, np.abs(w.astype(np.float64)))
    if isinstance(step, str):
        raise ValueError(f"step must be a positive number or an array for method='complex', got {step!r}")
    h = np.broadcast_to(np.asarray(step, dtype=np.float64), w.shape) if np.ndim(step) == 0 else np.asarray(step, dtype=np.float64)
    if h.shape != w.shape:
        raise ValueError(f"step must be a scalar or have shape {w.shape}, got shape {h.shape}")
    if not np.all(np.isfinite(h)) or not np.all(h > 0):
        raise ValueError("step must be positive and finite")
    return np.ascontiguousarray(h)
