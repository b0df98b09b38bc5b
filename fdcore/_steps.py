"""Step-size rules.

Default steps balance truncation against round-off for a function computed to about machine
precision EPS (of the point's own dtype) whose derivatives are of order one on the scale of x:

  two-point central first derivative   h = EPS^(1/3) * max(1, |x_i|)   (error O(h^2) + O(EPS/h))
  one-sided first derivative           h = EPS^(1/2) * max(1, |x_i|)   (error O(h)   + O(EPS/h))
  central second derivative            h = EPS^(1/4) * max(1, |x_i|)   (error O(h^2) + O(EPS/h^2))
  one-sided second derivative          h = EPS^(1/3) * max(1, |x_i|)   (error O(h)   + O(EPS/h^2))

(Nocedal & Wright, Numerical Optimization, 2nd ed., sec. 8.1; Press et al., Numerical Recipes 5.7.)
"""

import numpy as np

# Exponent of EPS in the default step, by (derivative order, stencil kind).
_EXPONENT = {
    (1, "central"): 1 / 3,
    (1, "one-sided"): 1 / 2,
    (2, "central"): 1 / 4,
    (2, "one-sided"): 1 / 3,
}


def stencil_kind(method):
    return "central" if method == "central" else "one-sided"


def default_step(x, derivative_order, method):
    """The default step for every coordinate of x (same dtype as x)."""
    eps = np.finfo(x.dtype).eps
    scale = eps ** _EXPONENT[derivative_order, stencil_kind(method)]
    return (scale * np.maximum(1, np.abs(x))).astype(x.dtype, copy=False)


def resolve_step(step, x, derivative_order, method):
    """The step array for x: the default rule when ``step`` is None, else the user's step.

    A user step is a positive finite scalar or an array of shape (n,); it is taken as absolute.
    """
    if step is None:
        return default_step(x, derivative_order, method)
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
    unchanged = np.flatnonzero(((x + h) == x) | ((x - h) == x))
    if unchanged.size:
        shown = ", ".join(str(i) for i in unchanged[:10])
        raise ValueError(f"step is too small to change x at coordinates {shown}{' ...' if unchanged.size > 10 else ''}")
    return np.ascontiguousarray(h)
