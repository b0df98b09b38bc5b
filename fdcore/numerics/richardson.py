"""Axis plans, level estimates and Richardson extrapolation with per-component error estimates.

An *axis plan* describes, for one coordinate, every point a derivative estimate needs: a base
stencil (offsets b_j, weights w_j for derivative order d, accuracy order p) applied at the steps
h, h/r, h/r^2, ... (Richardson levels). Offsets shared between levels are evaluated once: with
r = 2 a one-sided stencil {0, 1, 2} at h and at h/2 shares the points 0 and h.

Level estimates divide the weighted sum of f values by the same weights applied to the *realized*
offsets, sum_j w_j D_j^d / d!, which equals h^d for exact nodes; this makes every estimate exact on
the monomial of degree d even when x_i + c h_i is not representable.

Extrapolation: a level estimate has the error expansion c_1 h^p + c_2 h^(p+s) + ..., with s = 2 for
symmetric central stencils (only even powers) and s = 1 otherwise. The tableau
    R[k, j] = R[k, j-1] + (R[k, j-1] - R[k-1, j-1]) / (r^(p + (j-1) s) - 1)
removes one power per column. Each entry's error is estimated as the size of its last correction,
|R[k, j] - R[k, j-1]| (for j = 0: |R[k, 0] - R[k-1, 0]|), plus its propagated round-off; the entry
with the smallest estimate is chosen per component, vectorized over all components.
"""

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import factorial

import numpy as np

from fdcore.numerics.errors import (
    F_ULPS,
    SINGLE_ESTIMATE_SAFETY,
    TRUNCATION_SAFETY,
    roundoff_per_value,
    values_precision,
)
from fdcore.numerics.stencils import stencil_offsets, stencil_weights


@dataclass(frozen=True)
class Tableau:
    """What the extrapolation needs to know of a sequence of estimates at steps h r^-l."""

    order: int  # leading error power p
    ratio: float  # r
    error_step: int  # s: the powers are p, p + s, p + 2 s, ...


@dataclass(frozen=True)
class AxisPlan:
    d: int
    order: int
    method: str
    levels: int
    ratio: float
    nodes: np.ndarray  # distinct nonzero offsets (units of h), evaluated once per coordinate
    columns: np.ndarray  # (levels, J): index into nodes of base point j at level l; -1 = centre
    weights: np.ndarray  # (J,) base-stencil weights
    scales: np.ndarray  # (levels,) step factor r^-l of each level
    error_step: int  # s: 2 for central stencils, 1 otherwise

    @property
    def needs_centre(self):
        return bool((self.columns < 0).any())

    @property
    def evaluations(self):
        """Evaluations per coordinate, not counting the shared centre value."""
        return len(self.nodes)


@lru_cache(maxsize=128)
def axis_plan(d, order, method, levels=1, ratio=2.0):
    """The plan of an order-``order`` stencil for the d-th derivative over Richardson levels."""
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 1:
        raise ValueError(f"richardson must be a positive number of levels, got {levels!r}")
    if not (np.isfinite(ratio) and ratio > 1):
        raise ValueError(f"step_ratio must be a finite number > 1, got {ratio!r}")
    base = stencil_offsets(d, order, method)
    if method == "central" and d % 2 == 0:
        base = tuple(sorted(set(base) | {0}))
    weights = stencil_weights(d, base)
    r = Fraction(ratio)
    points = {}
    columns = np.empty((levels, len(base)), dtype=np.intp)
    for level in range(levels):
        for j, b in enumerate(base):
            c = Fraction(b) / r**level
            columns[level, j] = -1 if c == 0 else points.setdefault(c, len(points))
    nodes = np.array([float(c) for c in points])
    scales = np.array([float(1 / r**level) for level in range(levels)])
    for a in (nodes, columns, scales):
        a.flags.writeable = False
    return AxisPlan(d, order, method, levels, float(ratio), nodes, columns, weights, scales,
                    error_step=2 if method == "central" else 1)


def level_estimates(plan, values, offsets, f0, noise, eps, confirm=None, ranking_ulps=None):
    """Per-level derivative estimates and their round-off bounds.

    values : (B, K) or (B, K, m)   f at the plan's nodes for B coordinates (K = len(plan.nodes))
    offsets : (B, K)                realized offsets
    f0 : float or (m,) array        f(x), used where a level needs the centre point
    noise : float or (m,) array     absolute error of one evaluation of f (None: EPS-relative)
    eps : machine epsilon of the point's dtype (f computes in it, unless its values show that it
          computes in float32: `values_precision`, with ``confirm`` its `NudgeProbe`)

    Returns (estimates, roundoff), each (B, L) or (B, L, m); with ``ranking_ulps`` also the
    round-off with that many ulps of |f| per value (plus the noise), by which `extrapolate`
    may rank the tableau's entries (its ``ranking_roundoff``).
    """
    vector = values.ndim == 3
    cols = plan.columns  # (L, J)
    centre_mask = cols < 0
    safe_cols = np.where(centre_mask, 0, cols)
    F = values[:, safe_cols]  # (B, L, J[, m])
    D = offsets[:, safe_cols]  # (B, L, J)
    D = np.where(centre_mask, 0.0, D)
    if centre_mask.any():
        fill = np.asarray(f0, dtype=np.float64)
        mask = centre_mask[None, :, :, None] if vector else centre_mask[None]
        F = np.where(mask, fill, F)
    w = plan.weights
    denominator = np.einsum("blj,j->bl", D**plan.d, w) / factorial(plan.d)  # ~ h_l^d
    if vector:
        denominator = denominator[:, :, None]
    eps = values_precision(values, eps, confirm)
    noise_part = None if noise is None else np.abs(w).sum() * np.asarray(noise)
    ulps = (F_ULPS,) if ranking_ulps is None else (F_ULPS, ranking_ulps)
    with np.errstate(over="ignore", invalid="ignore"):
        estimates = _weighted_sum(F, w) / denominator
        magnitude = _magnitude(F, w)
        per_value = [roundoff_per_value(magnitude, eps, noise_part, u) for u in ulps]
    overflowed = ~(np.isfinite(estimates) & np.isfinite(per_value[0])) & np.isfinite(F).all(axis=2)
    if overflowed.any():
        # f's values near the largest float: their weighted sums overflow where the derivative
        # and its round-off need not. The values scaled by a power of two near their largest
        # magnitude (exactly, bar the underflow of negligible ones) give the same quotients.
        exponent = np.frexp(np.abs(F).max(axis=2))[1]
        F = np.ldexp(F, -np.expand_dims(exponent, 2))
        with np.errstate(over="ignore", invalid="ignore"):
            rescued = np.ldexp(_weighted_sum(F, w) / denominator, exponent)
            magnitude = _magnitude(F, w)
            for k, u in enumerate(ulps):
                rescued_error = np.ldexp(roundoff_per_value(magnitude, eps, ulps=u), exponent)
                if noise_part is not None:
                    rescued_error = rescued_error + noise_part
                per_value[k] = np.where(overflowed, rescued_error, per_value[k])
        estimates = np.where(overflowed, rescued, estimates)
    with np.errstate(divide="ignore", invalid="ignore"):  # offsets of 0 (a step too small for x): never chosen
        return (estimates,) + tuple(error / np.abs(denominator) for error in per_value)


def _weighted_sum(F, w):
    """sum_j w_j F[b, l, j(, m)] -> (B, L(, m))."""
    return np.einsum("bljm,j->blm", F, w) if F.ndim == 4 else F @ w


def _magnitude(F, w):
    """sum_j |w_j| |F[b, l, j(, m)]|, the size of the values a level estimate combines."""
    return np.einsum("blj...,j->bl...", np.abs(F), np.abs(w))


def richardson_weights(order, error_step, ratio, terms):
    """The weights w_0..w_terms with which column ``terms`` of the tableau combines the level
    estimates D(h), D(h/r), ..., D(h/r^terms), coarsest first: sum_i w_i = 1 and
    sum_i w_i r^(-q i) = 0 for the removed powers q = order, order + error_step, ... (as
    numdifftools' ``Richardson.rule`` reports them).

    Examples
    --------
    >>> richardson_weights(2, 2, 2.0, 1)  # (4 D(h/2) - D(h)) / 3
    array([-0.33333333,  1.33333333])
    """
    powers = [order + k * error_step for k in range(terms)]
    system = np.array([[1.0] * (terms + 1)] + [[ratio ** (-q * i) for i in range(terms + 1)] for q in powers])
    return np.linalg.solve(system, np.eye(terms + 1)[0])


def extrapolate(estimates, roundoff, plan, select=True, full=False, terms=None, ranking_roundoff=None):
    """Richardson tableau over the level axis (axis 1); best entry per component.

    ``plan`` supplies order, ratio and error_step (an AxisPlan or a `Tableau`). With
    ``select=False`` the top entry (highest order, finest level) is returned instead of the best.
    Returns (best, error_estimate, level): arrays of estimates.shape without axis 1; ``level`` is
    the finest Richardson level the chosen entry uses. ``full`` adds the round-off part of the
    error estimate and the *claimed* error, the tableau's own estimate by which entries are
    ranked (it is below the error estimate where the top entry's last gain cannot be verified),
    and *erratic*: where a column's last step grows instead of shrinking, or a column's finest
    difference is not far below the previous column's (`STALLED_COLUMN`), clear of the modelled
    round-off (the signature of noise that the model does not include, or of aliasing).
    Non-finite entries never win; a component with no finite entry is NaN with an infinite
    error estimate. ``terms`` limits the tableau to its first terms + 1 columns (at most
    ``terms`` powers of h removed, as numdifftools' richardson_terms; default all).
    ``ranking_roundoff`` (roundoff's shape): the round-off with which the entries are ranked
    where it differs from ``roundoff``, the bound that the claimed and reported errors carry.
    """
    with np.errstate(invalid="ignore", over="ignore"):  # NaN/inf from f are handled below
        value, error, level, rounding, claimed, erratic = _extrapolate(
            estimates, roundoff, roundoff if ranking_roundoff is None else ranking_roundoff, plan, select, terms)
    return (value, error, level, rounding, claimed, erratic) if full else (value, error, level)


def next_column(previous, previous_round, plan, j):
    """Column j of the tableau (and its round-off bound) from column j - 1, over axis 1."""
    factor = _column_factor(plan, j)
    column = previous[:, 1:] + (previous[:, 1:] - previous[:, :-1]) / factor
    return column, column_roundoff(previous_round, plan, j)


def column_roundoff(previous_round, plan, j):
    """The round-off of column j of the tableau from that of column j - 1 (see `next_column`)."""
    factor = _column_factor(plan, j)
    return previous_round[:, 1:] * (1 + 1 / factor) + previous_round[:, :-1] / factor


def _column_factor(plan, j):
    """r^q - 1 for the power q that column j removes."""
    return plan.ratio ** (plan.order + (j - 1) * plan.error_step) - 1.0


def larger_steps_help(estimates, roundoff, plan, d):
    """Per component (all outputs): would a level above the coarsest of these estimates of a d-th
    derivative be more accurate? Where the first extrapolated column's entries agree within
    their round-off bounds (once the leading power of h is removed, what the levels show of the
    truncation is below the round-off: a polynomial of low degree, or |f| >> the derivative's
    scale) and the round-off
    bound falls as the step grows (by at least sqrt(r^d); it grows instead where f(x) ~ 0 and
    the values f(x +- h) ~ h^2, at a zero-residual minimum). Needs 3 levels or more; non-finite
    entries never qualify."""
    column, column_round = next_column(estimates, roundoff, plan, 1)
    with np.errstate(invalid="ignore"):
        agree = (np.abs(column[:, 1:] - column[:, :-1]) <= column_round[:, 1:]).all(axis=1)
        falls = roundoff[:, 0] * plan.ratio ** (d / 2) <= roundoff[:, 1]
        helps = agree & falls
    return helps if helps.ndim == 1 else helps.all(axis=1)


# A column whose finest difference is above this share of the previous column's has stalled: over
# the accuracy bench, 1.2 for f with 1e-10 noise and up to 1.1 for pre-asymptotic tableaus
# (oscillatory, an MLP), 0.16 at most for the other problems.
STALLED_COLUMN = 0.3


def _extrapolate(estimates, roundoff, ranking_roundoff, plan, select, terms):
    L = estimates.shape[1]
    columns = L if terms is None else min(L, terms + 1)
    candidates, errors, levels, roundings = [], [], [], []
    reported = []  # the error reported for each candidate, where it differs from the claimed one
    ranks = []  # the claimed error with the ranking round-off, by which the best entry is chosen
    erratic = np.zeros(estimates.shape[:1] + estimates.shape[2:], dtype=bool)
    cur, cur_round, cur_rank = estimates, roundoff, ranking_roundoff
    previous_finest = None  # the previous column's finest difference
    for j in range(columns):
        if j > 0:
            prev = cur
            cur, cur_round = next_column(prev, cur_round, plan, j)
            cur_rank = cur_round if ranking_roundoff is roundoff else column_roundoff(cur_rank, plan, j)
        # Column j has error ~ c h^q, q = order + j s. Between consecutive levels that error
        # shrinks by r^q, so an entry's error is about |its difference from the same-order entry
        # one level coarser| / (r^q - 1); TRUNCATION_SAFETY makes that an estimate from above.
        shrink = plan.ratio ** (plan.order + j * plan.error_step) - 1.0
        if cur.shape[1] >= 3:
            last, before = np.abs(cur[:, -1] - cur[:, -2]), np.abs(cur[:, -2] - cur[:, -3])
            erratic |= (last > before) & (last > 10.0 * cur_round[:, -1])
        if cur.shape[1] >= 2:
            # Each column removes a power of h: its finest difference should be far below the
            # previous column's. Where it is not (noise of 1e-10 in f gives differences ~ noise / h
            # in every column), the tableau cannot tell its own error.
            finest = np.abs(cur[:, -1] - cur[:, -2])
            if previous_finest is not None:
                erratic |= (finest > STALLED_COLUMN * previous_finest) & (finest > 10.0 * cur_round[:, -1])
            previous_finest = finest
        if cur.shape[1] >= 2:
            # The column's coarsest entry too: its error is r^q / (r^q - 1) times its difference
            # from the next one. Where truncation is negligible (a polynomial or separable f, a
            # structural zero of a Hessian), it carries the least round-off of the column.
            candidates.append(cur[:, :1])
            coarsest = TRUNCATION_SAFETY * np.abs(cur[:, 1:2] - cur[:, :1]) * (1.0 + 1.0 / shrink)
            errors.append(coarsest + cur_round[:, :1])
            ranks.append(coarsest + cur_rank[:, :1])
            reported.append(errors[-1])
            roundings.append(cur_round[:, :1])
            levels.append(j)
            candidates.append(cur[:, 1:])
            difference = np.abs(cur[:, 1:] - cur[:, :-1])
            truncation = TRUNCATION_SAFETY * difference / shrink
            errors.append(truncation + cur_round[:, 1:])
            ranks.append(truncation + cur_rank[:, 1:])
            # A difference cannot shrink faster than the expansion lets it, r^-q per level:
            # where it does (two estimates agreeing by chance, before the asymptotic regime),
            # the difference one level coarser, less its round-off and times r^-q, bounds the
            # reported error (a coarser difference that round-off explains is no evidence).
            coarser = difference[:, :-1] - cur_round[:, 1:-1] - cur_round[:, :-2]
            coarser = np.where(np.isfinite(coarser), coarser, 0.0)  # a non-finite level is no evidence
            difference[:, 1:] = np.maximum(difference[:, 1:], coarser / (shrink + 1.0))
            reported.append(TRUNCATION_SAFETY * difference / shrink + cur_round[:, 1:])
            roundings.append(cur_round[:, 1:])
            levels += range(j + 1, L)
        elif j > 0:
            # The top entry has no same-order neighbour. It is ranked by its last correction (the
            # error of the entry it improves on) reduced in the same proportion, r^-q; but that
            # gain cannot be verified (no second entry of its order): pre-asymptotically (a small
            # h^q coefficient) the last extrapolation can gain little, e.g. 7.3e-11 off for a
            # claimed 5.6e-13 (the MLP problem). The error reported claims no gain: over the
            # problem suite it covers 98.9% of components (r^-q: 85%; r^(-q/2): 98.5%, but then
            # check_grad flags that MLP coordinate of a correct gradient).
            candidates.append(cur)
            correction = TRUNCATION_SAFETY * np.abs(cur - prev[:, 1:])
            errors.append(correction / shrink + cur_round)
            ranks.append(correction / shrink + cur_rank)
            reported.append(correction + cur_round)
            roundings.append(cur_round)
            levels.append(L - 1)
        else:
            # A single level: no second estimate; only the round-off bound is known.
            candidates.append(cur)
            errors.append(SINGLE_ESTIMATE_SAFETY * cur_round)
            ranks.append(SINGLE_ESTIMATE_SAFETY * cur_rank)
            reported.append(errors[-1])
            roundings.append(cur_round)
            levels.append(0)
    values = np.concatenate(candidates, axis=1)
    errs = np.concatenate(errors, axis=1)
    errs = np.where(np.isfinite(values) & np.isfinite(errs), errs, np.inf)
    ranks = np.where(np.isfinite(errs), np.concatenate(ranks, axis=1), np.inf)
    reported = np.where(np.isfinite(errs), np.concatenate(reported, axis=1), np.inf)
    if select:
        # Ties go to the later candidate: higher order, finer level (e.g. two one-sided levels at
        # r = 2 estimate E_1 and the extrapolant with the same number).
        C = ranks.shape[1]
        best = C - 1 - np.argmin(ranks[:, ::-1], axis=1)
    else:
        best = np.full(errs.shape[:1] + errs.shape[2:], errs.shape[1] - 1)

    def pick(a):
        return np.take_along_axis(a, best[:, None], axis=1)[:, 0]

    value, error, rounding = pick(values), pick(reported), pick(np.concatenate(roundings, axis=1))
    value = np.where(np.isfinite(error), value, np.nan)
    return value, error, np.asarray(levels)[best], rounding, pick(errs), erratic
