"""Running an axis plan (higher-order stencils, Richardson levels) for gradients and Jacobians.

The façade entry points call `axis_derivative`; it evaluates the plan's points through the
evaluator, forms the level estimates, extrapolates, retries coordinates whose central stencil met
non-finite values with one-sided plans, and reports the chosen step and the error estimate.
"""

from dataclasses import dataclass

import numpy as np

from fdcore.derivatives import noise as noise_measurement
from fdcore.numerics import scale_search
from fdcore.numerics.adaptive import adaptive_steps
from fdcore.numerics.errors import (
    RANKING_ULPS,
    NudgeProbe,
    roundoff_per_value,
    unmodelled_noise,
)
from fdcore.numerics.options import check_noise_size
from fdcore.numerics.richardson import (
    axis_plan,
    extrapolate,
    larger_steps_help,
    level_estimates,
)
from fdcore.numerics.steps import is_adaptive  # noqa: F401

# Memory budget for the raw values of a vector f (coordinates are processed in blocks).
_BLOCK_BYTES = 32 * 2**20


@dataclass
class AxisOutcome:
    value: np.ndarray  # (n,) or (n, m)
    error: np.ndarray
    step: np.ndarray  # (n,) the step of the finest level used, per coordinate
    nfev: int


def run_plan(evaluator, plan, h, coords, f0, noise, m, probe, select=True):
    """Level estimates -> extrapolated value, error, chosen level, the error's round-off part, the
    claimed error and the erratic flags (see fdcore.numerics.richardson.extrapolate). ``probe``:
    the derivative's `NudgeProbe` (see `nudge_probe`)."""
    estimates, roundoff, ranking = plan_estimates(evaluator, plan, h, coords, f0, noise, m, probe)
    return extrapolate(estimates, roundoff, plan, select, full=True, ranking_roundoff=ranking)


def plan_estimates(evaluator, plan, h, coords, f0, noise, m, probe):
    """The plan's level estimates, their round-off bounds and the round-off by which the tableau
    ranks them (`ranking_ulps`) for the coordinates ``coords`` at coarsest steps h
    (fdcore.numerics.richardson.level_estimates): each (B, L) or (B, L, m)."""
    check_noise_size(noise, m)
    K = len(plan.nodes)
    eps = np.finfo(evaluator.x.dtype).eps
    ulps = ranking_ulps(plan)
    if m is None:
        values = np.empty((len(coords), K))
        offsets = np.empty((len(coords), K))
        evaluator.axis_values(h, plan.nodes, coords, values, offsets)
        parts = level_estimates(plan, values, offsets, f0, noise, eps, probe, ranking_ulps=ulps)
    else:
        block = max(1, _BLOCK_BYTES // (8 * K * max(m, 1)))
        blocks = []
        for start in range(0, len(coords), block):
            sub = coords[start:start + block]
            values = np.empty((len(sub), K, m))
            offsets = np.empty((len(sub), K))
            evaluator.axis_values_vector(h, plan.nodes, sub, values, offsets)
            blocks.append(level_estimates(plan, values, offsets, f0, noise, eps, probe, ranking_ulps=ulps))
        parts = tuple(np.concatenate(p, axis=0) for p in zip(*blocks))
    # ranked by the reported round-off itself: the same array, which the tableau does not propagate twice
    return parts if ulps is not None else parts + (parts[1],)


def ranking_ulps(plan):
    """Ulps of |f| per value by which the tableau ranks a plan's entries where they differ from the
    reported errors' F_ULPS: RANKING_ULPS for second derivatives, as the accurate Hessian's (over
    the problem suite hessian_diagonal's accurate mode within 10x of numdifftools' Hessdiag
    34/48 -> 36/48, e.g. logsumexp 2.7e-10 -> 7.5e-12; the accurate hvp's median 1.0e-11 ->
    4.2e-12); None (F_ULPS) for first derivatives (rosen n = 1000's gradient went from 5.4e-13 to
    1.06e-12 with 8)."""
    return RANKING_ULPS if plan.d == 2 else None


def sliding_window(evaluator, plan, h, coords, f0, noise, m, probe):
    """The accurate mode's default window, placed by its own first levels: the plan's first
    L - 1 levels at coarsest steps h; then, per coordinate, level L either one ratio above h
    (where those levels show the truncation already below a round-off that shrinks at larger
    steps, see fdcore.numerics.richardson.larger_steps_help) or one ratio below the finest
    (the plan's own last level). Same evaluations as the plan. E.g. rosen at n = 1000 (|f| = 2.5e5, a
    quartic in each x_i): 8.4e-10 off at the default window, 1.5e-10 one level higher.

    Returns (value, error, level, rounding, claimed, erratic) as `run_plan`, the coarsest step
    per coordinate (h, or h r where the window moved up) and the evaluations spent. Where f
    raises at the larger steps, every coordinate gets the plan's own last level instead (the
    attempt's evaluations count in full)."""
    L = plan.levels
    head = axis_plan(plan.d, plan.order, plan.method, L - 1, plan.ratio)
    one = axis_plan(plan.d, plan.order, plan.method, 1, plan.ratio)
    estimates, roundoff, ranking = plan_estimates(evaluator, head, h, coords, f0, noise, m, probe)
    up = larger_steps_help(estimates, roundoff, head, plan.d)
    coarsest = np.where(up, h * h.dtype.type(plan.ratio), h)
    # (not where the larger step is long on the unit scale and the default is not: it could alias
    # an O(1)-scale oscillation unchecked, see fdcore.numerics.scale_search)
    up &= ~scale_search.ambiguous_scale(evaluator.x, coarsest) | scale_search.ambiguous_scale(evaluator.x, h)
    with np.errstate(over="ignore"):  # (a larger step past the largest float stays below)
        up &= np.isfinite(coarsest) & np.isfinite(evaluator.x + coarsest) & np.isfinite(evaluator.x - coarsest)
    finest = h * h.dtype.type(plan.scales[-1])
    spent = len(coords) * len(plan.nodes)  # the head's levels and one more, above or below
    if up.any():
        try:
            above = plan_estimates(evaluator, one, coarsest, coords[up], f0, noise, m, probe)
        except Exception:  # noqa: BLE001 - f refusing the larger step: the window stays where it was
            spent += int(up.sum()) * len(one.nodes)
            up[:] = False
    coarsest = np.where(up, coarsest, h)
    shared = ranking is roundoff  # (first derivatives: ranked by the reported round-off)
    head_parts = (estimates, roundoff) if shared else (estimates, roundoff, ranking)
    extra = [np.empty_like(part[:, :1]) for part in head_parts]  # the level above or below, per coordinate
    if up.any():
        for part, new in zip(extra, above):
            part[up] = new
    if (~up).any():
        for part, new in zip(extra, plan_estimates(evaluator, one, finest, coords[~up], f0, noise, m, probe)):
            part[~up] = new
    moved = up.reshape((-1,) + (1,) * (estimates.ndim - 1))
    levels = [np.where(moved, np.concatenate([new, part], axis=1), np.concatenate([part, new], axis=1))
              for part, new in zip(head_parts, extra)]
    ranking_levels = levels[1] if shared else levels[2]
    result = extrapolate(levels[0], levels[1], plan, True, full=True, ranking_roundoff=ranking_levels)
    if up.any():
        spent += _climb(evaluator, plan, head, one, coarsest, coords, levels, result, up, f0, noise, m, probe)
    return result, coarsest, spent


# A first derivative whose window moved up (`sliding_window`) and whose estimate is still
# round-off bound with a relative claimed error above this gets one level more above (2
# evaluations per coordinate).
# E.g. rosen at n = 1000 (|f| = 2.5e5 over gradient components ~ 800): 5.4e-13 normwise at the
# moved window, 2.3e-13 with the level above (numdifftools 2.7e-13 at 30 evaluations per
# coordinate), at 9.4 evaluations per coordinate; over the accuracy bench cosh_sum 3.8e-12 ->
# 2.7e-13, logistic_regression 2.0e-10 -> 3.0e-11, graded_scales 7.2e-7 -> 9.4e-8, the median
# evaluations per coordinate unchanged at 8.0 (2e-11: rosen 2.0e-13 at 10.0).
CLIMB_TOLERANCE = 5e-11


def _climb(evaluator, plan, head, one, coarsest, coords, levels, result, up, f0, noise, m, probe):
    """One level above the moved windows (``up``, over all the coordinates ``coords``; ``levels``
    the windows' estimates, round-off (and ranking round-off), coarsest first) for those whose
    estimate in ``result`` (`extrapolate`'s full tuple, updated in place) is round-off bound above
    CLIMB_TOLERANCE, clearly nonzero, and whose three coarsest levels still show no truncation
    (fdcore.numerics.richardson.larger_steps_help): the five-level tableau's entry is kept where
    it agrees with the estimate so far and claims less. Returns the evaluations spent.

    First derivatives only: on hessian_diagonal's accurate mode it left the problem suite within
    10x of numdifftools' Hessdiag on 37 of 48 cases, at a median 0.281 of its evaluations instead
    of 0.277. Not for an f whose values carry more than x's rounding (f computes in float32, or
    noise= is given): a truncation hidden below that round-off does not make larger steps safe
    (float32_separable 2.5e-5 -> 1.2e-4 with the climb)."""
    if plan.d != 1 or probe.unchanged or (noise is not None and np.any(np.asarray(noise) > 0)):
        return 0
    value, error, level, rounding, claimed, _ = result
    poor = scale_search.round_off_bound_poor(value, claimed, rounding, CLIMB_TOLERANCE,
                                             scale_search.relative_floor(value))
    with np.errstate(invalid="ignore"):
        poor &= np.abs(value) > error  # (a zero component stays: its estimate is the stencil's symmetry)
    climbing = up & (poor if poor.ndim == 1 else poor.any(axis=1))
    climbing &= larger_steps_help(levels[0][:, :3], levels[1][:, :3], head, plan.d)
    h = coarsest * coarsest.dtype.type(plan.ratio)
    x = evaluator.x
    climbing &= ~scale_search.ambiguous_scale(x, h) | scale_search.ambiguous_scale(x, coarsest)
    with np.errstate(over="ignore"):
        climbing &= np.isfinite(h) & np.isfinite(x + h) & np.isfinite(x - h)
    rows = np.flatnonzero(climbing)
    if not rows.size:
        return 0
    spent = rows.size * len(one.nodes)
    try:
        above = plan_estimates(evaluator, one, h, coords[rows], f0, noise, m, probe)
    except Exception:  # noqa: BLE001 - f refusing the larger step: the estimate stays
        return spent
    stack = [np.concatenate([new, part[rows]], axis=1) for part, new in zip(levels, above)]
    v, e, lv, rd, cl, _ = extrapolate(stack[0], stack[1], plan, True, full=True, ranking_roundoff=stack[-1])
    with np.errstate(invalid="ignore"):
        take = scale_search.all_outputs((np.abs(v - value[rows]) <= e + error[rows]) & (cl < claimed[rows]))
    # (an entry of the new level alone, the plain difference at the largest step, is not kept)
    take &= (lv if lv.ndim == 1 else lv.max(axis=1)) >= 1
    kept = rows[take]
    value[kept], error[kept], rounding[kept], claimed[kept] = v[take], e[take], rd[take], cl[take]
    level[kept] = lv[take] - 1  # levels of the moved window: its coarsest step is one ratio below h
    return spent


def values_finite_at(evaluator, h, method, result, f0):
    """Where a two-point gradient (n,) or Jacobian (m, n) came out non-finite, whether f's values
    at those stencil points were all finite: then the derivative itself exceeds the largest float
    (the kernels' two_point_quotient does not overflow on finite values), not f. Costs the
    stencil's evaluations again, for those coordinates only (the path of a NaN result). ``f0``:
    f(x) for one-sided stencils. Returns the mask, result's shape (`flag_nonfinite`'s
    finite_values)."""
    vector = result.ndim == 2
    bad = ~np.isfinite(result)
    finite_values = np.zeros(result.shape, dtype=bool)
    coords = np.flatnonzero(bad.any(axis=0) if vector else bad).astype(np.intp)
    plan = axis_plan(1, 2 if method == "central" else 1, method)
    values = np.empty((coords.size, len(plan.nodes)) + ((result.shape[0],) if vector else ()))
    offsets = np.empty((coords.size, len(plan.nodes)))
    (evaluator.axis_values_vector if vector else evaluator.axis_values)(h, plan.nodes, coords, values, offsets)
    finite = np.isfinite(values).all(axis=1)
    if plan.needs_centre:
        finite &= np.isfinite(f0)
    finite_values[..., coords] = finite.T if vector else finite
    return finite_values


def nudge_probe(evaluator, vector, f0):
    """The `NudgeProbe` of f through the evaluator; f0 is f(x), or None or NaN if not evaluated."""
    known = f0 is not None and (vector or np.isfinite(f0))
    return NudgeProbe(evaluator.vector if vector else evaluator.scalar, evaluator.x, f0 if known else None)


def axis_derivative(evaluator, d, order, method, levels, ratio, h, noise, vector, f0=None,
                    retry_tolerance=None, scale_given=False):
    """First-order (d = 1) or axis (d >= 1) derivatives of every coordinate by an axis plan.

    ``vector``: f returns (m,) arrays; the value is then (n, m). ``f0``: f(x) if the caller
    has it. ``retry_tolerance``: coordinates whose relative error estimate exceeds it are tried
    again at other step scales (see `_search_scales`); ``scale_given``: h follows the user's
    typical_x, so no unit-scale check is made. Returns an AxisOutcome.
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
    probe = nudge_probe(evaluator, vector, f0)
    if retry_tolerance is not None and method == "central" and levels >= 3:
        (value, error, level, rounding, claimed, erratic), coarsest, spent = sliding_window(
            evaluator, plan, h, coords, f0, noise, m, probe)
    else:
        value, error, level, rounding, claimed, erratic = run_plan(evaluator, plan, h, coords, f0, noise, m, probe)
        coarsest, spent = h, n * len(plan.nodes)
    nfev += spent
    step = _finest_step(coarsest, coords, plan, level)

    def attempt(mask, attempt_plan, attempt_h):
        """Run attempt_plan on the coordinates in mask; keep its estimates where they are better."""
        nonlocal nfev
        retry = coords[mask]
        v, e, lv, rd, cl, _ = run_plan(evaluator, attempt_plan, attempt_h, retry, f0, noise, m, probe)
        nfev += len(retry) * len(attempt_plan.nodes)
        better = cl < claimed[mask]
        value[mask] = np.where(better, v, value[mask])
        error[mask] = np.where(better, e, error[mask])
        rounding[mask] = np.where(better, rd, rounding[mask])
        claimed[mask] = np.where(better, cl, claimed[mask])
        better_all = better if better.ndim == 1 else better.all(axis=1)
        step[mask] = np.where(better_all, _finest_step(attempt_h, retry, attempt_plan, lv), step[mask])

    if method == "central" and levels > 1:
        # A central stencil that met NaN/inf (left the domain of f, e.g. log near 0): retry those
        # coordinates with forward and backward plans and keep the better finite estimate. Only
        # with Richardson levels, whose tableau estimates the one-sided truncation: a single
        # one-sided difference at the central step (log at 1e-6: 4.3e5 for 1e6) would carry a
        # round-off-only error estimate; without levels the entry is NaN and warned, as on the
        # two-point fast path.
        failed = ~np.isfinite(scale_search.worst(error))
        if failed.any():
            if not vector and not np.isfinite(f0):
                f0 = evaluator.scalar()
                nfev += 1
            attempt(failed, axis_plan(d, order, "forward", levels, ratio), h)
            # backward only where the forward stencil met non-finite values too (a poor forward
            # estimate is the step-scale search's to improve)
            poor = failed & ~np.isfinite(scale_search.worst(error))
            if poor.any():
                attempt(poor, axis_plan(d, order, "backward", levels, ratio), h)
    outcome = AxisOutcome(value, error, step, nfev)
    if retry_tolerance is not None:
        nfev += _search_scales(evaluator, plan, h, coarsest, f0, noise, m, probe, outcome, rounding, claimed,
                               retry_tolerance, nfev, scale_given, bool(np.any(erratic)))
    outcome.nfev = nfev + probe.nfev
    return outcome


def _search_scales(evaluator, plan, h, coarsest, f0, noise, m, probe, outcome, rounding, claimed, tolerance,
                   spent_before, scale_given, erratic):
    """The accurate mode's step-scale search (fdcore.numerics.scale_search) after the default
    window (default steps h; ``coarsest``: its coarsest steps, h or above, see `sliding_window`):
    updates outcome (and rounding, claimed) in place; returns the evaluations spent
    (``spent_before``: those of the default window and its domain retries; ``erratic``: the
    default window shows the signature of unmodelled noise somewhere, see extrapolate).

    Decisions (is an estimate good, is a window better) use the tableau's claimed errors, the
    ones by which it ranks its entries; agreement between windows uses the error estimates."""
    x = evaluator.x
    n = x.shape[0]
    floor = scale_search.relative_floor(outcome.value)
    last_h = coarsest.copy()  # per coordinate: the coarsest step of its last window
    last_value = outcome.value.copy()
    last_error = outcome.error.copy()
    unit_checked = np.full(n, scale_given) | ~scale_search.ambiguous_scale(x, h)
    moved_down = np.zeros(n, dtype=bool)
    confirmed = np.zeros(n, dtype=bool)  # two consecutive windows agreed, the finer one good
    # The kept estimate is good but disagrees with a good window above it: one of them aliases.
    unconfirmed = np.zeros(n, dtype=bool)
    last_good = ~scale_search.improvable(outcome.value, claimed, rounding, tolerance, floor)
    disagreement = np.zeros_like(outcome.error)
    nfev = 0
    for window in range(scale_search.MAX_WINDOWS - 1):
        poor = _searchable(outcome.value, claimed, rounding, tolerance, floor) & ~confirmed
        unit = ~unit_checked & ~confirmed
        todo = np.flatnonzero(poor | unit | unconfirmed)
        budget = scale_search.MAX_WINDOWS * len(plan.nodes) * n - spent_before - 2 * len(plan.nodes) * todo.size
        if window == 0 and (todo.size or erratic) and noise is None and budget >= noise_measurement.MAX_EVALUATIONS:
            # Before searching, f's noise: the round-off model (F_ULPS ulps of |f|) misses the
            # rounding of an f that cancels (a small sum of large terms) or computes cos(w x) at
            # large w x, and smaller steps would chase it. Measured once (where the evaluations
            # fit in MAX_WINDOWS windows per coordinate after the search's own), it adds to the
            # default window's round-off and enters every search window's.
            noise, spent = _noise_for_search(evaluator, f0, m, outcome, rounding, claimed)
            nfev += spent
            last_error = outcome.error.copy()
            poor = _searchable(outcome.value, claimed, rounding, tolerance, floor)
            last_good = ~poor
            todo = np.flatnonzero(poor | unit)
        if not todo.size:
            break
        window_h = np.where(unit, scale_search.unit_scale_steps(x, h, plan.levels, plan.ratio),
                            scale_search.smaller_steps(x, last_h, plan.levels, plan.ratio, first=~moved_down))
        moved_down[todo] |= ~unit[todo]
        unit_checked[todo] = True
        v, e, lv, rd, cl, _ = run_plan(evaluator, plan, window_h, todo, f0, noise, m, probe)
        nfev += todo.size * len(plan.nodes)
        agreed = scale_search.agree(v, e, last_value[todo], last_error[todo])
        # (a window that met non-finite values, e.g. steps too small to change x, is never good)
        good = ~scale_search.improvable(v, cl, rd, tolerance, floor) & scale_search.all_outputs(np.isfinite(v))
        # A good estimate at smaller steps that disagrees with the window above it wins even
        # with a larger error estimate: the larger-step estimate is the suspect (aliasing). So
        # does a unit-scale check's finite estimate, good or not: a given noise= can leave it
        # above the tolerance, and sin(x) at x = 1e8 + 1.7 with noise=1e-8 kept the aliased
        # 6.6e-8 (error 1.9e-14) for the true -0.877.
        finite = scale_search.all_outputs(np.isfinite(v))
        take = scale_search.all_outputs(cl < claimed[todo]) | (~agreed & (good | (unit[todo] & finite)))
        keep = take if v.ndim == 1 else take[:, None]
        outcome.value[todo] = np.where(keep, v, outcome.value[todo])
        outcome.error[todo] = np.where(keep, e, outcome.error[todo])
        rounding[todo] = np.where(keep, rd, rounding[todo])
        claimed[todo] = np.where(keep, cl, claimed[todo])
        outcome.step[todo] = np.where(take, _finest_step(window_h, todo, plan, lv), outcome.step[todo])
        confirmed[todo] = agreed & good
        unconfirmed[todo] = ~agreed & good & last_good[todo]
        last_good[todo] = good
        disagreement[todo] = np.abs(v - last_value[todo])
        last_h[todo], last_value[todo], last_error[todo] = window_h[todo], v, e
    # Out of windows: an estimate that no finer window confirmed is no better known than its
    # distance to the window above it.
    if unconfirmed.any():
        outcome.error[unconfirmed] = np.maximum(outcome.error[unconfirmed], disagreement[unconfirmed])
    return nfev


def _searchable(value, claimed, rounding, tolerance, floor):
    """Coordinates the search tries at other scales: poor and truncation bound, or still
    non-finite after the one-sided retries (f undefined on both sides at the default steps, e.g.
    log(x) + log(2e-3 - x) at x = 1e-3, whose domain is narrower than the step 0.073)."""
    nonfinite = ~scale_search.all_outputs(np.isfinite(value))
    return scale_search.improvable(value, claimed, rounding, tolerance, floor) | nonfinite


def _noise_for_search(evaluator, f0, m, outcome, rounding, claimed):
    """(noise, evaluations): f's measured noise (None where it is within the round-off model);
    the outcome's errors and rounding grow by the part of it the model did not include."""
    nfev = 0
    if m is None and not np.isfinite(f0):
        f0 = evaluator.scalar()
        nfev += 1
    noise, spent = noise_measurement.noise_bound(evaluator, f0, vector=m is not None)
    excess = unmodelled_noise(noise, roundoff_per_value(np.abs(np.asarray(f0, dtype=np.float64)),
                                                        np.finfo(evaluator.x.dtype).eps))
    if not np.any(excess > 0):
        return None, nfev + spent
    outcome.error += rounding * excess
    claimed += rounding * excess
    rounding *= 1.0 + excess
    return np.where(np.isfinite(noise), noise, 0.0) if m is not None else float(noise), nfev + spent


def _finest_step(h, coords, plan, level):
    return h[coords].astype(np.float64) * plan.scales[level if level.ndim == 1 else level.max(axis=1)]


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
