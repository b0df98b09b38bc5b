"""Running an axis plan (higher-order stencils, Richardson levels) for gradients and Jacobians.

The façade entry points call `axis_derivative`; it evaluates the plan's points through the
evaluator, forms the level estimates, extrapolates, retries coordinates whose central stencil met
non-finite values with one-sided plans, and reports the chosen step and the error estimate.
"""

from dataclasses import dataclass

import numpy as np

from fdcore.numerics.adaptive import adaptive_steps
from fdcore.numerics.options import check_noise_size
from fdcore.numerics.richardson import axis_plan, extrapolate, level_estimates
from fdcore.numerics.steps import is_adaptive  # noqa: F401

# Retries of the accurate mode at smaller step scales (see _retry_steps).
_RETRIES = 2
# Memory budget for the raw values of a vector f (coordinates are processed in blocks).
_BLOCK_BYTES = 32 * 2**20


@dataclass
class AxisOutcome:
    value: np.ndarray  # (n,) or (n, m)
    error: np.ndarray
    step: np.ndarray  # (n,) the step of the finest level used, per coordinate
    nfev: int


def run_plan(evaluator, plan, h, coords, f0, noise, m, select=True):
    """Level estimates -> extrapolated value, error, chosen level and the error's round-off part."""
    check_noise_size(noise, m)
    K = len(plan.nodes)
    if m is None:
        values = np.empty((len(coords), K))
        offsets = np.empty((len(coords), K))
        evaluator.axis_values(h, plan.nodes, coords, values, offsets)
        est, rnd = level_estimates(plan, values, offsets, f0, noise, np.finfo(evaluator.x.dtype).eps)
        return extrapolate(est, rnd, plan, select, return_roundoff=True)
    block = max(1, _BLOCK_BYTES // (8 * K * max(m, 1)))
    parts = []
    for start in range(0, len(coords), block):
        sub = coords[start:start + block]
        values = np.empty((len(sub), K, m))
        offsets = np.empty((len(sub), K))
        evaluator.axis_values_vector(h, plan.nodes, sub, values, offsets)
        est, rnd = level_estimates(plan, values, offsets, f0, noise, np.finfo(evaluator.x.dtype).eps)
        parts.append(extrapolate(est, rnd, plan, select, return_roundoff=True))
    return tuple(np.concatenate(p, axis=0) for p in zip(*parts))


def axis_derivative(evaluator, d, order, method, levels, ratio, h, noise, vector, f0=None,
                    retry_tolerance=None):
    """First-order (d = 1) or axis (d >= 1) derivatives of every coordinate by an axis plan.

    ``vector``: f returns (m,) arrays; the value is then (n, m). ``f0``: f(x) if the caller
    has it. ``retry_tolerance``: coordinates whose relative error estimate exceeds it are tried
    again at another step scale (see `_retry_steps`), keeping the better estimate.
    Returns an AxisOutcome.
    """
    plan = axis_plan(d, order, method, levels, ratio)
    n = evaluator.x.shape[0]
    coords = np.arange(n, dtype=np.intp)
    nfev = 0
    m = None
    if f0 is None and (vector or plan.needs_centre):
        f0 = evaluator.vector() if vector else evaluator.scalar()
        nfev += 1
    elif f0 is None:
        f0 = np.nan
    if vector:
        m = f0.shape[0]
    value, error, level, rounding = run_plan(evaluator, plan, h, coords, f0, noise, m)
    nfev += n * len(plan.nodes)
    step = _finest_step(h, coords, plan, level)

    def attempt(mask, attempt_plan, attempt_h):
        """Run attempt_plan on the coordinates in mask; keep its estimates where they are better."""
        nonlocal nfev
        retry = coords[mask]
        v, e, lv, rd = run_plan(evaluator, attempt_plan, attempt_h, retry, f0, noise, m)
        nfev += len(retry) * len(attempt_plan.nodes)
        better = e < error[mask]
        value[mask] = np.where(better, v, value[mask])
        error[mask] = np.where(better, e, error[mask])
        rounding[mask] = np.where(better, rd, rounding[mask])
        better_all = better if better.ndim == 1 else better.all(axis=1)
        step[mask] = np.where(better_all, _finest_step(attempt_h, retry, attempt_plan, lv), step[mask])

    if method == "central":
        # A central stencil that met NaN/inf (left the domain of f, e.g. log near 0): retry those
        # coordinates with forward and backward plans and keep the better finite estimate.
        failed = ~np.isfinite(_worst(error))
        if failed.any():
            if not vector and not np.isfinite(f0):
                f0 = evaluator.scalar()
                nfev += 1
            for side in ("forward", "backward"):
                attempt(failed, axis_plan(d, order, side, levels, ratio), h)
    if retry_tolerance is not None:
        # Relative to the component, or to 1e-4 of the largest one (tiny components of a graded
        # gradient cannot reach a relative target that their neighbours' round-off forbids).
        retry_h = h
        for retry_number in range(_RETRIES):
            floor = 1e-4 * np.max(np.abs(value)) if value.size else 0.0
            with np.errstate(divide="ignore", invalid="ignore"):
                relative = error / np.maximum(np.abs(value), floor)
            # Only truncation-dominated estimates can improve at another step; round-off bound
            # ones (e.g. a zero gradient, relative error undefined) cannot.
            truncation_bound = _worst(error > 2.0 * rounding)
            poor = (_worst(relative) > retry_tolerance) & np.isfinite(_worst(error)) & truncation_bound
            if not poor.any():
                break
            retry_h = _retry_steps(evaluator.x, retry_h, ratio ** levels, first=retry_number == 0)
            attempt(poor, plan, retry_h)
    return AxisOutcome(value, error, step, nfev)


def _worst(a):
    """Per coordinate: a itself (scalar f) or its largest entry over the outputs (vector f)."""
    return a if a.ndim == 1 else a.max(axis=1)


def _finest_step(h, coords, plan, level):
    return h[coords].astype(np.float64) * plan.scales[_worst(level) if level.ndim == 1 else level.max(axis=1)]


def _retry_steps(x, h, shrink, first):
    """Another step scale for coordinates whose estimate failed its error target.

    The default steps assume f varies on the scale max(1, |x_i|). On the first retry, where
    0 < |x_i| < 1, the scale |x_i| is assumed instead (f(x / s) at x ~ s); otherwise the step
    sequence continues below the finest level already used (f varying faster than its
    coordinates, e.g. exp(x_i / c)).
    """
    ax = np.abs(x)
    factor = np.where((ax > 0) & (ax < 1) & first, ax, 1.0 / shrink)
    retry = (h * factor).astype(x.dtype)
    return np.where((x + retry != x) & (x - retry != x), retry, h)


def adaptive_axis_derivative(evaluator, opts, vector):
    """First derivatives at the per-coordinate steps of fdcore.numerics.adaptive (one level only)."""
    if opts.levels > 1:
        raise ValueError("step='adaptive' picks one step per coordinate; it cannot be combined with richardson")
    f0 = evaluator.vector() if vector else evaluator.scalar()
    m = f0.shape[0] if vector else None
    check_noise_size(opts.noise, m)
    h, predicted, nfev = adaptive_steps(adaptive_probe(evaluator, m), evaluator.x, f0, 1, opts.order,
                                        opts.method, opts.noise)
    outcome = axis_derivative(evaluator, 1, opts.order, opts.method, 1, opts.ratio, h, opts.noise, vector,
                              f0=f0)
    predicted = predicted if vector else predicted[:, 0]
    outcome.error = np.maximum(outcome.error, predicted)
    outcome.nfev += nfev + 1
    return outcome


def adaptive_probe(evaluator, m):
    """``evaluate`` for adaptive_steps, through the evaluator (m = None: scalar f)."""

    def evaluate(h, nodes, coords):
        offsets = np.empty((coords.size, nodes.size))
        if m is None:
            values = np.empty((coords.size, nodes.size))
            evaluator.axis_values(h, nodes, coords, values, offsets)
            return values[:, :, None]
        values = np.empty((coords.size, nodes.size, m))
        evaluator.axis_values_vector(h, nodes, coords, values, offsets)
        return values

    return evaluate
