"""bounds=(lb, ub): stencils that never leave the box.

Per coordinate, the requested stencil is kept when all its points lie inside [lb_i, ub_i];
otherwise it is made one-sided towards the side with room (forward near the lower bound,
backward near the upper one), and if neither side has room for the step, the step shrinks to
fit the roomier side. f is never evaluated outside the bounds. The accurate modes give each
stencil its own default step and, near a bound, also try steps on the scale of the distance to
it (`_scaled_to_the_bounds`), keeping per coordinate the estimate with the smaller claimed error.
"""

import numpy as np

from fdcore.derivatives.axis import AxisOutcome, nudge_probe, run_plan
from fdcore.numerics.richardson import axis_plan
from fdcore.numerics.steps import is_adaptive, resolve_step


def _as_bound(value, missing):
    """A bound as float64; None (alone or as an entry) means no bound on that side."""
    if value is None:
        return np.asarray(missing)
    array = np.asarray(value, dtype=object)
    if any(isinstance(v, (str, bytes)) for v in array.reshape(-1)):  # float("0") would accept "0"
        raise TypeError(f"bounds must hold numbers or None, got {value!r:.60}")
    try:
        return np.where(array == None, missing, array).astype(np.float64)  # noqa: E711 - elementwise
    except (TypeError, ValueError):
        raise TypeError(f"bounds must hold numbers or None, got {value!r:.60}") from None


def parse_bounds(bounds, x):
    """(lb, ub) as float64 arrays of x's shape, checked: lb < ub and lb <= x <= ub."""
    try:
        lb, ub = bounds
    except (TypeError, ValueError):
        raise TypeError("bounds must be a pair (lb, ub) of scalars or arrays of shape (n,)") from None
    for side, value in (("lb", lb), ("ub", ub)):
        if np.shape(value) not in ((), x.shape):
            raise ValueError(f"bounds: {side} must be a scalar, None or an array of shape {x.shape}, "
                             f"got shape {np.shape(value)}")
    # Missing or infinite bounds are the largest finite numbers of x's dtype: the stencils stay finite.
    largest = float(np.finfo(x.dtype).max)
    lb = np.broadcast_to(np.maximum(_as_bound(lb, -np.inf), -largest), x.shape)
    ub = np.broadcast_to(np.minimum(_as_bound(ub, np.inf), largest), x.shape)
    if np.any(np.isnan(lb)) or np.any(np.isnan(ub)) or np.any(lb >= ub):
        bad = np.flatnonzero(~(lb < ub))[:10]
        raise ValueError(f"bounds are inconsistent (need lb < ub) at coordinates {bad}")
    outside = np.flatnonzero((x < lb) | (x > ub))
    if outside.size:
        raise ValueError(f"x lies outside the bounds at coordinates {outside[:10]}")
    return lb, ub


def bounded_axis_derivative(evaluator, d, order, method, levels, ratio, steps, noise, vector, lb, ub, coords=None,
                            centre=None):
    """Like fdcore.derivatives.axis.axis_derivative, with each coordinate's stencil kept inside
    [lb, ub]. ``steps``: the step array of each method ('central', 'forward', 'backward'), the
    one-sided ones used where a coordinate falls back to them. ``coords``: only these
    coordinates (default all; the others' entries are NaN). ``centre``: (f(x), its NudgeProbe)
    from an earlier call, or None. Returns (AxisOutcome, centre); the outcome's nfev counts this
    call's evaluations."""
    x = evaluator.x.astype(np.float64)
    n = x.shape[0]
    active = np.zeros(n, dtype=bool)
    active[np.arange(n) if coords is None else coords] = True
    # The one-sided fallbacks keep the requested accuracy order (a central order-2 stencil falls
    # back to the one-sided order-2 stencil, not to the two-point difference).
    sides = ("forward", "backward")
    plans = {m: axis_plan(d, order, m, levels, ratio) for m in {method, *sides}}
    reach = {m: (max(0.0, float(plans[m].nodes.max())), max(0.0, -float(plans[m].nodes.min()))) for m in plans}
    with np.errstate(over="ignore"):  # the room between finite bounds may exceed the largest float
        room_up, room_down = ub - x, x - lb

    steps = {m: steps[m].astype(np.float64) for m in plans}
    ok = {m: (reach[m][0] * steps[m] <= room_up) & (reach[m][1] * steps[m] <= room_down) for m in plans}
    chosen = np.where(active, method, None).astype(object)
    alternatives = {"central": ("forward", "backward"), "forward": ("backward",), "backward": ("forward",)}[method]
    for alternative in alternatives:
        chosen[(chosen == method) & ~ok[method] & ok[alternative]] = alternative
    h = np.select([chosen == m for m in plans], [steps[m] for m in plans])
    cramped = active & ~np.select([chosen == m for m in plans], [ok[m] for m in plans], default=False)
    if cramped.any():  # no side has room for the step: shrink it to fit the roomier side
        side_up = room_up >= room_down
        chosen = np.where(cramped, np.where(side_up, "forward", "backward"), chosen)
        space = np.where(side_up, room_up, room_down)
        span = np.where(side_up, reach["forward"][0], reach["backward"][1])
        h = np.where(cramped, 0.999 * space / span, h)
    h = h.astype(evaluator.x.dtype)
    with np.errstate(over="ignore"):  # x + h beyond the largest float is not a step too small
        too_small = np.any(active & ((x + h) == x))
    if too_small:
        raise ValueError("the bounds leave no room for a step at some coordinates (ub - lb is below the rounding of x)")

    nfev = 0
    f0, probe = (None, None) if centre is None else centre
    if f0 is None and (vector or any(plans[m].needs_centre for m in set(chosen[active]))):
        f0 = evaluator.vector() if vector else evaluator.scalar()
        nfev += 1
    if probe is None:
        probe = nudge_probe(evaluator, vector, f0)
    probe_nfev = probe.nfev
    m_out = f0.shape[0] if vector else None
    shape = (n, m_out) if vector else (n,)
    value, error, step = np.full(shape, np.nan), np.full(shape, np.nan), np.full(n, np.nan)
    for kind in plans:
        coords = np.flatnonzero(chosen == kind).astype(np.intp)
        if coords.size == 0:
            continue
        plan = plans[kind]
        v, e, level, _, _, _ = run_plan(evaluator, plan, h, coords, np.nan if f0 is None else f0, noise, m_out, probe)
        nfev += coords.size * len(plan.nodes)
        value[coords], error[coords] = v, e
        finest = level if level.ndim == 1 else level.max(axis=1)
        step[coords] = h[coords].astype(np.float64) * plan.scales[finest]
    return AxisOutcome(value, error, step, nfev + probe.nfev - probe_nfev), (f0, probe)


def bounded_hessian(evaluator, step, bounds, out):
    """Hessian into ``out`` with every stencil point inside [lb, ub].

    The central n^2 + n + 1 stencil when all coordinates have room for x_i +- h_i; otherwise the
    one-sided stencil (points x + d_i e_i, x + 2 d_i e_i, x + d_i e_i + d_j e_j) with signed
    steps d_i pointing to each coordinate's roomier side, shrunk to fit 2 |d_i| in it. The
    one-sided kernel's formulas hold for steps of either sign.
    """
    lb, ub = bounds
    x = evaluator.x.astype(np.float64)
    h = resolve_step(step, evaluator.x, 2, "central", within_bounds=True).astype(np.float64)
    with np.errstate(over="ignore"):
        room_up, room_down = ub - x, x - lb
    f0 = evaluator.scalar()
    if np.all((h <= room_up) & (h <= room_down)):
        evaluator.hessian(h.astype(evaluator.x.dtype), 0, f0, out)
        return out
    h1 = resolve_step(step, evaluator.x, 2, "forward", within_bounds=True).astype(np.float64)
    up = room_up >= room_down
    d = np.where(up, 1.0, -1.0) * np.minimum(h1, 0.5 * np.where(up, room_up, room_down))
    if np.any((x + d) == x):
        raise ValueError("the bounds leave no room for a step at some coordinates")
    evaluator.hessian(d.astype(evaluator.x.dtype), 1, f0, out)
    return out


def _scaled_to_the_bounds(h, x, lb, ub):
    """Richardson steps on the scale min(max(1, |x_i|), distance to the nearer bound) (x at a
    bound: the other one's distance). Near a bound f often varies on the scale of the distance to
    it (log, sqrt: singular there); the default rule's larger steps then become one-sided across
    that whole distance, where no tableau converges: sqrt at 0.01 with lb = 0 gave 4.57 for 5,
    with an error estimate of 0.26. The central stencil at the smaller steps fits the room."""
    x = x.astype(np.float64)
    with np.errstate(over="ignore"):
        rooms = np.stack([ub - x, x - lb])
    distance = np.where(rooms > 0, rooms, np.inf).min(axis=0)
    scale = np.maximum(1.0, np.abs(x))
    return (h * np.minimum(1.0, distance / scale)).astype(h.dtype)


def bounded_first_derivative(evaluator, opts, step, bounds, vector):
    """First derivatives whose stencils stay inside bounds (see fdcore.derivatives.bounds)."""
    if opts.method == "complex" or is_adaptive(step):
        raise ValueError("bounds= works with the real stencils and fixed or default steps, not with "
                         "method='complex' or step='adaptive'")
    lb, ub = parse_bounds(bounds, evaluator.x)
    h = resolve_step(step, evaluator.x, 1, opts.method, opts.order, opts.levels, opts.ratio, within_bounds=True)
    steps = dict.fromkeys((opts.method, "forward", "backward"), h)  # SciPy's rule: one step for every stencil
    run = lambda steps, **where: bounded_axis_derivative(  # noqa: E731
        evaluator, 1, opts.order, opts.method, opts.levels, opts.ratio, steps, opts.noise, vector, lb, ub, **where)
    if step is not None or opts.levels == 1:
        return run(steps)[0]
    # The accurate modes: each stencil's own default step; near a bound, also steps on the scale
    # of the distance to it (`_scaled_to_the_bounds`), keeping per coordinate the estimate whose
    # tableau claims the smaller error.
    steps = {method: resolve_step(None, evaluator.x, 1, method, opts.order, opts.levels, opts.ratio,
                                  within_bounds=True) for method in steps}
    outcome, centre = run(steps)
    scaled = {method: _scaled_to_the_bounds(h, evaluator.x, lb, ub) for method, h in steps.items()}
    near = np.flatnonzero(scaled[opts.method] < steps[opts.method]).astype(np.intp)
    if near.size:
        again, _ = run(scaled, coords=near, centre=centre)
        claimed = lambda e: e if e.ndim == 1 else e.max(axis=1)  # noqa: E731 - a vector f: its worst output
        better = near[claimed(again.error[near]) < claimed(outcome.error[near])]
        for field in ("value", "error", "step"):
            getattr(outcome, field)[better] = getattr(again, field)[better]
        outcome.nfev += again.nfev
    return outcome
