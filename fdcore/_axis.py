"""Running an axis plan (higher-order stencils, Richardson levels) for gradients and Jacobians.

The façade entry points call `axis_derivative`; it evaluates the plan's points through the
evaluator, forms the level estimates, extrapolates, retries coordinates whose central stencil met
non-finite values with one-sided plans, and reports the chosen step and the error estimate.
"""

from dataclasses import dataclass

import numpy as np

from fdcore import _pykernels
from fdcore._richardson import axis_plan, extrapolate, level_estimates

# Memory budget for the raw values of a vector f (coordinates are processed in blocks).
_BLOCK_BYTES = 32 * 2**20


@dataclass
class AxisOutcome:
    value: np.ndarray  # (n,) or (n, m)
    error: np.ndarray
    step: np.ndarray  # (n,) the step of the finest level used, per coordinate
    nfev: int


def _run(f, work, plan, h, coords, centre, noise, m, select=True):
    """Level estimates -> extrapolated value, error and chosen level for the given coordinates."""
    K = len(plan.nodes)
    if m is None:
        values = np.empty((len(coords), K))
        offsets = np.empty((len(coords), K))
        _pykernels.axis_values(f, work.w, work.w_arg, h, plan.nodes, coords, values, offsets,
                               work.args, work.kwargs)
        est, rnd = level_estimates(plan, values, offsets, centre, noise)
        return extrapolate(est, rnd, plan, select)
    block = max(1, _BLOCK_BYTES // (8 * K * max(m, 1)))
    parts = []
    for start in range(0, len(coords), block):
        sub = coords[start:start + block]
        values = np.empty((len(sub), K, m))
        offsets = np.empty((len(sub), K))
        _pykernels.axis_values_vector(f, work.w, work.w_arg, h, plan.nodes, sub, values, offsets,
                                      work.args, work.kwargs)
        est, rnd = level_estimates(plan, values, offsets, centre, noise)
        parts.append(extrapolate(est, rnd, plan, select))
    return tuple(np.concatenate(p, axis=0) for p in zip(*parts))


def axis_derivative(f, work, d, order, method, levels, ratio, h, noise, vector, centre=None):
    """First-order (d = 1) or axis (d >= 1) derivatives of every coordinate by an axis plan.

    ``vector``: f returns (m,) arrays; the value is then (n, m). ``centre``: f(x) if the caller
    has it. Returns an AxisOutcome.
    """
    plan = axis_plan(d, order, method, levels, ratio)
    n = work.w.shape[0]
    coords = np.arange(n, dtype=np.intp)
    nfev = 0
    m = None
    if centre is None and (vector or plan.needs_centre):
        centre = work.vector_at_centre(f) if vector else work.scalar_at_centre(f)
        nfev += 1
    elif centre is None:
        centre = np.nan
    if vector:
        m = centre.shape[0]
    value, error, level = _run(f, work, plan, h, coords, centre, noise, m)
    nfev += n * len(plan.nodes)
    step = h.astype(np.float64) * plan.scales[level if level.ndim == 1 else level.min(axis=1)]

    if method == "central":
        # A central stencil that met NaN/inf (left the domain of f, e.g. log near 0): retry those
        # coordinates with forward and backward plans and keep the better finite estimate.
        failed = ~np.isfinite(error if error.ndim == 1 else error.max(axis=1))
        if failed.any():
            if not vector and not np.isfinite(centre):
                centre = work.scalar_at_centre(f)
                nfev += 1
            retry = coords[failed]
            best_v, best_e, best_s = value[failed], error[failed], step[failed]
            for side in ("forward", "backward"):
                side_plan = axis_plan(d, order, side, levels, ratio)
                v, e, lv = _run(f, work, side_plan, h, retry, centre, noise, m)
                nfev += len(retry) * len(side_plan.nodes)
                s = h[retry].astype(np.float64) * side_plan.scales[lv if lv.ndim == 1 else lv.min(axis=1)]
                better = e < best_e
                best_v, best_e = np.where(better, v, best_v), np.where(better, e, best_e)
                better_any = better if better.ndim == 1 else better.all(axis=1)
                best_s = np.where(better_any, s, best_s)
            value[failed], error[failed], step[failed] = best_v, best_e, best_s
    return AxisOutcome(value, error, step, nfev)
