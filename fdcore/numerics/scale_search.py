"""The step-scale search of the accurate modes: which step scale each coordinate tries next, and
when its estimate is settled.

A *window* is one Richardson tableau (L levels at steps h, h/r, ..., h/r^(L-1)) for a coordinate.
The default window assumes f varies on the scale max(1, |x_i|). That assumption fails in two ways
the tableau cannot always see:
  - f varies faster than that scale (cos(w x) with w >> 1, f(x / s) at |x| ~ s << 1): the window's
    estimates disagree, so its error estimate is large. The next window is smaller: at the scale
    |x_i| when 0 < |x_i| < r^-L, otherwise r^L (then r^(2L)) below the last window.
  - |x_i| >> 1 while f varies on the scale 1 (sin(x) at x = 1e8 + 0.5): steps ~ |x_i| alias, and
    the tableau can converge smoothly to a wrong value with a tiny error estimate. Coordinates whose
    steps are long on the unit scale (`ambiguous_scale`) are therefore always checked with a window
    on the unit scale.
Two windows *agree* when their estimates differ by no more than the sum of their error estimates;
an estimate is settled when it meets the tolerance and, for an ambiguous scale, two windows agree.
When a good window at smaller steps disagrees with a larger-step one, the larger-step estimate is
the suspect (aliasing or a pre-asymptotic tableau): the smaller one is kept and confirmed below.
Larger steps than the default are not tried: the default's coarsest level (0.073 max(1, |x_i|)
in float64) is within a factor 7 of fdcore.numerics.steps.MAX_RELATIVE_STEP; a user who knows f
varies on a larger scale says so by typical_x.
"""

import numpy as np

# A step longer than AMBIGUOUS_STEP (absolute) can alias an oscillation on the unit scale; where
# such a step comes from the scale |x_i| >= AMBIGUOUS_SCALE (which it exceeds the unit scale by
# a factor worth checking), the estimate is checked on the unit scale. The accurate mode's
# default coarsest step 0.073 max(1, |x_i|) qualifies from |x_i| > 6.8; the checker's probe step
# EPS^(1/4) |x|_inf from |x|_inf > 4e3.
AMBIGUOUS_STEP = 0.5
AMBIGUOUS_SCALE = 2.0
# Windows per coordinate at most (8 evaluations each for the two-point central tableau).
MAX_WINDOWS = 3
# Below this share of the largest component, a component's error is measured relative to that
# share (the accuracy bench's convention): tiny components of a graded gradient cannot reach a
# relative target that their neighbours' round-off forbids (and round-off-bound estimates are
# never searched). 1e-4 before: the MLP's small components stayed 5.5e-7 off (per case), 4.5e-8 now.
RELATIVE_FLOOR = 1e-8


def worst(a):
    """Per coordinate: a itself (scalar f) or its largest entry over the outputs (vector f)."""
    return a if a.ndim == 1 else a.max(axis=1)


def all_outputs(a):
    """Per coordinate: a itself (scalar f) or whether it holds for every output (vector f)."""
    return a if a.ndim == 1 else a.all(axis=1)


def relative_floor(value):
    """RELATIVE_FLOOR times the largest component (of each output, for values (n, m) of a vector
    f): the smallest denominator of a relative error."""
    if not value.size:
        return 0.0
    return RELATIVE_FLOOR * (np.max(np.abs(value), axis=0) if value.ndim == 2 else np.max(np.abs(value)))


def improvable(value, error, rounding, tolerance, floor):
    """Coordinates with an output whose estimate misses the tolerance (relative to the output, or
    to ``floor``) and is truncation-bound, so another scale can help; a round-off-bound estimate
    (e.g. a zero gradient) cannot improve at smaller steps."""
    with np.errstate(divide="ignore", invalid="ignore"):
        poor = (error / np.maximum(np.abs(value), floor) > tolerance) & np.isfinite(error) & (error > 2.0 * rounding)
    return poor if poor.ndim == 1 else poor.any(axis=1)


def round_off_bound_poor(value, error, rounding, tolerance, floor):
    """Per output: a finite estimate whose error misses the tolerance (relative to the output, or to
    ``floor``) by its round-off (error within twice the rounding), so larger steps, not smaller,
    can help it (the converse of `improvable`)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return (np.isfinite(value) & (error <= 2.0 * rounding)
                & (error / np.maximum(np.abs(value), floor) > tolerance))


def ambiguous_scale(x, h):
    """Where the steps h, set by the scale max(1, |x_i|), need a unit-scale check."""
    return (np.abs(x) > AMBIGUOUS_SCALE) & (h > AMBIGUOUS_STEP)


def agree(value_a, error_a, value_b, error_b):
    """Per coordinate: do two windows' estimates agree within their error estimates (all outputs)?"""
    with np.errstate(invalid="ignore"):
        return all_outputs(np.abs(value_a - value_b) <= error_a + error_b)


def unit_scale_steps(x, h_default, levels, ratio):
    """The default steps with the scale max(1, |x_i|) replaced by 1 (see `on_grid`)."""
    return on_grid(x, h_default / np.maximum(1.0, np.abs(x)), levels, ratio)


def smaller_steps(x, h_last, levels, ratio, first):
    """The next window below ``h_last``: on the first move, the scale |x_i| where 0 < |x_i| < r^-L
    (f(x / s) at x ~ s), else r^L below (continuing the levels); r^(2L) below on later moves (a
    wide range in few windows). Steps too small to change x are kept."""
    ax = np.abs(x)
    window_ratio = ratio**levels
    factor = np.where(first, np.where(ax > 0, np.minimum(ax, 1.0 / window_ratio), 1.0 / window_ratio),
                      1.0 / window_ratio**2)
    h = on_grid(x, h_last * factor, levels, ratio)
    with np.errstate(over="ignore"):  # x + h beyond the largest float does change x
        return np.where((x + h != x) & (x - h != x), h, h_last)


def on_grid(x, h, levels, ratio):
    """h rounded to a multiple of ulp(x_i) r^(L-1) when r is a power of 2, in x's dtype.

    Then every node x_i +- h r^-l is a floating-point number (up to a change of binade) and the
    central stencils stay symmetric: with x ~ 1e8 (ulp 1.5e-8) and h ~ 0.02, rounded nodes would
    leave a first-order error f'' (D_+ - D_-) / 2 ~ 1e-10 that no Richardson level removes.
    """
    h = np.asarray(h, dtype=np.float64)
    exponent = np.log2(ratio)
    if exponent != int(exponent):
        return h.astype(x.dtype)
    with np.errstate(over="ignore"):  # x = 0: the quantum is subnormal, the grid irrelevant
        quantum = np.spacing(np.abs(x)).astype(np.float64) * ratio ** (levels - 1)  # inf at the largest float
        units = h / quantum
    on = (units < 2.0**52) & np.isfinite(quantum)
    return np.where(on, np.maximum(np.round(units), 1.0) * quantum, h).astype(x.dtype)
