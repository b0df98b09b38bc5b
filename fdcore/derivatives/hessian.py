"""Hessians of f: R^n -> R: the central and one-sided stencils (dense, extrapolated over Richardson
levels), from an analytic gradient, on a sparsity pattern, inside bounds, by the complex step."""

from contextlib import contextmanager
from typing import Any, Literal, Unpack, overload

import numpy as np
from numpy.typing import ArrayLike

from fdcore.derivatives import noise as noise_measurement
from fdcore.derivatives.axis import AxisOutcome, adaptive_probe
from fdcore.derivatives.bounds import bounded_hessian, parse_bounds
from fdcore.derivatives.complex_step import complex_hessian as _complex_hessian
from fdcore.derivatives.docs import document
from fdcore.derivatives.first import jacobian
from fdcore.derivatives.result import FDResult, finish
from fdcore.derivatives.sparse import (
    as_pattern,
    flag_nonfinite_sparse,
    sparse_hessian_from_f,
    symmetric_pattern,
)
from fdcore.derivatives.types import FloatArray, HessianOptions, Objective
from fdcore.derivatives.validation import (
    as_float_array,
    check_out,
    check_pattern_values,
    checks_value_precision,
    dense_typical_scale,
    flag_nonfinite,
    require_memory,
    watched,
)
from fdcore.evaluators.combine import hessian_entries
from fdcore.evaluators.protocol import BatchOptions, make_evaluator
from fdcore.evaluators.returns import FunctionValueError
from fdcore.numerics import scale_search
from fdcore.numerics.adaptive import adaptive_steps
from fdcore.numerics.errors import (
    F_ULPS,
    HESSIAN_RETRY,
    HESSIAN_VALUES_PER_ENTRY,
    RANKING_ULPS,
    roundoff_per_value,
    unmodelled_noise,
)
from fdcore.numerics.options import (
    ACCURATE_HESSIAN_LEVELS,
    FIRST_DERIVATIVE_METHODS,
    check_noise_size,
    parse,
    parse_complex_levels,
)
from fdcore.numerics.richardson import Tableau, extrapolate, larger_steps_help
from fdcore.numerics.steps import MAX_RELATIVE_STEP, is_adaptive, resolve_step


# f may be None with grad=; with sparsity= the value is a scipy.sparse csr array.
@overload
def hessian(f: Objective | None, x: ArrayLike, *, full_output: Literal[False] = False, sparsity: None = None,
            **options: Unpack[HessianOptions]) -> FloatArray: ...
@overload
def hessian(f: Objective | None, x: ArrayLike, *, full_output: Literal[True], sparsity: None = None,
            **options: Unpack[HessianOptions]) -> FDResult[FloatArray]: ...
@overload
def hessian(f: Objective | None, x: ArrayLike, *, full_output: bool = False, sparsity: Any,
            **options: Unpack[HessianOptions]) -> Any: ...
@overload
def hessian(f: Objective | None, x: ArrayLike, *, full_output: bool, sparsity: None = None,
            **options: Unpack[HessianOptions]) -> FloatArray | FDResult[FloatArray]: ...
@checks_value_precision
@document
def hessian(f, x, *, method="central", order=None, step=None, typical_x=None, richardson=False, step_ratio=2.0,
            noise=None, args=(), kwargs=None, out=None, full_output=False, num_threads=None,
            vectorized=False, workers=None, max_batch_bytes=None, progress=False, grad=None,
            sparsity=None, bounds=None):
    """Hessian of a scalar function by finite differences; the result is exactly symmetric.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs) -> float``.
    x : array_like, shape (n,)
        The point (see `gradient` for dtypes). Never modified.
    method : {'central', 'forward', 'backward', 'complex'}
        'central': diagonal from the 3-point second difference, off-diagonal entries from the
        mixed stencil that reuses those axis points, error O(h^2), **n^2 + n + 1 evaluations**
        (2 per coordinate pair, not 4). 'forward'/'backward': one-sided stencils, error O(h),
        **n(n + 1)/2 + n + 1 evaluations**. 'complex': central differences of the complex-step
        gradient, symmetrised, **2 n^2 + 1 evaluations** (f at x first, refused unless real
        there), error O(h^2) without the second-difference round-off (f must be
        complex-analytic); with richardson, 2 n^2 per level, the outer differences extrapolated
        (the only check of their truncation: one level reports round-off alone).
    order : int, optional
        2 (default) for 'central', 1 one-sided; 4, 6, 8 (central) or 2..8 (one-sided) are reached
        by Richardson extrapolation of the basic stencil over order/2 (central) or order
        (one-sided) steps, taking the top entry of that tableau.
    step : float or array_like of shape (n,), optional
        Absolute step per coordinate (with Richardson levels: the coarsest level's step).
        Default ``EPS**(1/4) * max(1, |x_i|)`` for the central stencil and ``EPS**(1/3)`` for the
        one-sided one (in general ``EPS**(1/(q + 2))`` for final accuracy order q); EPS is the
        machine epsilon of x's dtype. 'adaptive' picks one step per coordinate.
    richardson : bool or int, optional
        Richardson levels of the basic stencil, the best tableau entry per component;
        ``True`` (the accurate mode) means 3 levels, 3 (n^2 + n) + 1 evaluations, and a
        fourth level one ratio above the coarsest (2 evaluations per pair and per coordinate;
        not for off-diagonal entries consistent with zero, nor for coordinates where that step
        is long on the unit scale): per entry the tableau picks between less round-off and
        less truncation; entries it leaves round-off bound with no truncation in sight climb
        up to two levels more (median relative error 3.4e-11 per case over the accuracy bench,
        9.4 evaluations per unique entry). Where entries meet non-finite values of f (the edge of
        its domain) or are poorly resolved, or belong to
        coordinates with |x_i| >> 1 (checked on the unit scale), the Hessian is computed again
        at other steps (the unit scale, the scale |x_i|, or 8x smaller; for |x_i| >> 1 entries
        the unit scale leaves round-off bound, also at the geometric mean of the unit scale
        and |x_i|), after measuring f's noise.
        Last, the off-diagonal entries consistent with zero (|value| <= error) are checked by
        the four-corner stencil at steps 0.25 max(1, |x_i|) (4 evaluations per entry checked):
        for f separable in a pair, a banded Hessian's structural zeros, it cancels exactly.
    grad : callable, optional
        An analytic gradient ``grad(x, *args, **kwargs) -> (n,)``: the Hessian is then its
        Jacobian (2n gradient evaluations central, n + 1 one-sided), symmetrised as
        (J + J^T) / 2; f is not evaluated (it may be None). All other options apply to the
        Jacobian.
    out : ndarray, shape (n, n), optional
        Array of x's computed dtype that receives the result.

    Returns
    -------
    ndarray, shape (n, n), or FDResult

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> f = lambda p: p[0]**2 * p[1] + np.sin(p[0] * p[1])
    >>> H = fdcore.hessian(f, [1.0, 2.0])
    >>> bool(np.allclose(H, [[4 - 4 * np.sin(2), 2 + np.cos(2) - 2 * np.sin(2)],
    ...                      [2 + np.cos(2) - 2 * np.sin(2), -np.sin(2)]], atol=1e-6))
    True
    >>> bool((H == H.T).all())
    True
    """
    if sparsity is None:  # a dense (n, n) result: refused before anything is allocated or evaluated
        _require_dense_hessian(x if isinstance(x, np.ndarray) else as_float_array(x))
    if grad is not None:
        if bounds is not None:
            return _hessian_from_gradient(grad, x, method=method, order=order, step=step, typical_x=typical_x,
                                          richardson=richardson, step_ratio=step_ratio, noise=noise, args=args,
                                          kwargs=kwargs, out=out, full_output=full_output, bounds=bounds)
        if sparsity is not None:
            check_pattern_values(sparsity)
            # Either triangle (or both) stands for the symmetric pattern: the Jacobian of the
            # gradient needs both, or (J + J^T) / 2 halves the entries of the triangle given.
            n_pattern = (sparsity.shape if hasattr(sparsity, "shape") else np.shape(sparsity))[0]
            with _naming_grad():
                J = jacobian(grad, x, method=method, order=order, step=step, typical_x=typical_x,
                             richardson=richardson, noise=noise, args=args, kwargs=kwargs, num_threads=num_threads,
                             vectorized=vectorized, workers=workers, sparsity=symmetric_pattern(sparsity, n_pattern))
            return ((J + J.T) * 0.5).tocsr()
        return _hessian_from_gradient(grad, x, method=method, order=order, step=step, typical_x=typical_x,
                                      richardson=richardson, step_ratio=step_ratio, noise=noise, args=args,
                                      kwargs=kwargs, out=out, full_output=full_output, num_threads=num_threads,
                                      vectorized=vectorized, workers=workers, max_batch_bytes=max_batch_bytes,
                                      progress=progress)
    evaluator = make_evaluator(watched(f, vectorized), x, args, kwargs, num_threads,
                               BatchOptions(vectorized, workers, max_batch_bytes, progress))
    if method == "complex":  # its outer central differences take Richardson levels; no order
        opts = parse_complex_levels(2, order, richardson, step_ratio, noise, ACCURATE_HESSIAN_LEVELS)
    else:
        opts = parse(method, order, richardson, step_ratio, noise, FIRST_DERIVATIVE_METHODS, ACCURATE_HESSIAN_LEVELS)
    typical = dense_typical_scale(typical_x, evaluator.x, method, step, bounds, sparsity)
    n = evaluator.x.shape[0]
    if sparsity is not None:
        if method != "central" or opts.levels > 1 or opts.order != 2 or out is not None or full_output:
            raise ValueError("sparsity= computes the plain central Hessian stencil (no order, richardson, "
                             "out or full_output)")
        check_pattern_values(sparsity)
        h = resolve_step(step, evaluator.x, 2, "central")
        return flag_nonfinite_sparse(sparse_hessian_from_f(evaluator, h, as_pattern(sparsity, (n, n)))[0], "Hessian")
    caller_out = out
    out = np.empty((n, n), evaluator.x.dtype) if out is None else check_out(out, (n, n), evaluator.x.dtype)
    # The plain and bounded kernels write as they go: a caller's out receives their result only
    # once it is complete.
    staged = lambda: out if caller_out is None else np.empty_like(out)  # noqa: E731
    by_row = lambda bad: np.flatnonzero(bad.any(axis=0))
    if bounds is not None:
        if method != "central" or opts.levels > 1 or opts.order != 2 or is_adaptive(step):
            raise ValueError("bounds= with hessian takes the plain central stencil (no method, order, "
                             "richardson or step='adaptive'); it turns one-sided near the bounds")
        target = staged()
        bounded_hessian(evaluator, step, parse_bounds(bounds, evaluator.x), target)
        return flag_nonfinite(_deliver(target, out), "Hessian", index_of=by_row)
    if method == "complex":
        outcome = _complex_hessian(evaluator, step, opts.levels, opts.ratio)
    else:
        target = staged() if opts.levels == 1 and not full_output else None
        outcome = hessian_levels(evaluator, opts, step, target, typical)
        if outcome is None:  # the plain stencil wrote into target
            return flag_nonfinite(_deliver(target, out), "Hessian", index_of=by_row)
    out[...] = outcome.value
    flag_nonfinite(out, "Hessian", index_of=by_row)
    return finish(out, outcome, opts, full_output)


def _deliver(result, out):
    """out holding result (a copy only when out is the caller's array)."""
    if out is not result:
        out[...] = result
    return out


def _require_dense_hessian(x):
    """MemoryError naming the size when the (n, n) Hessian at x cannot fit in memory."""
    if x.ndim == 1:
        n = x.shape[0]
        itemsize = 4 if x.dtype == np.float32 else 8
        require_memory(itemsize * n * n, f"x has n = {n} entries: its dense Hessian, a ({n}, {n}) array,")


@contextmanager
def _naming_grad():
    """The Jacobian's complaints about its f's values, said of grad, which it differentiates."""
    try:
        yield
    except FunctionValueError as exc:
        raise FunctionValueError(f"grad returned a value the Jacobian of a gradient cannot use: {exc}") from exc


def _hessian_from_gradient(grad, x, *, out, full_output, **options):
    """(J + J^T) / 2 with J the finite-difference Jacobian of the gradient."""
    with _naming_grad():
        r = jacobian(grad, x, full_output=full_output, **options)
    J = r.value if full_output else r
    if J.shape[0] != J.shape[1]:
        raise FunctionValueError(f"grad must return the gradient, a 1-D array of x's shape ({J.shape[1]},), got "
                                 f"shape ({J.shape[0]},)")
    H = 0.5 * (J + J.T)
    if out is not None:
        check_out(out, J.shape, J.dtype)[...] = H
        H = out
    if not full_output:
        return H
    # The asymmetry of J is itself a measured error.
    error = 0.5 * (r.error + r.error.T) + 0.5 * np.abs(J - J.T)
    return FDResult(H, error, r.step, r.nfev, r.method, r.order, r.richardson)



def _nfev_per_level(n, central):
    return n * n + n if central else n * (n - 1) // 2 + 2 * n


def hessian_levels(evaluator, opts, step, out, typical=None):
    """The Hessian by the central or one-sided stencil, extrapolated over Richardson levels.

    Plain (one level, no full output): writes into ``out`` and returns None. Otherwise returns an
    AxisOutcome with value (n, n), error (n, n), step (n,) and nfev.

    ``order`` p > base order is reached with p/2 (central) or p (one-sided) levels and the top
    tableau entry; ``richardson`` levels pick the best entry per component. ``typical``: the
    coordinates' scales (typical_x) for the default steps.
    """
    central = opts.method == "central"
    base_order = 2 if central else 1
    if opts.levels > 1:
        levels, select = opts.levels, True
    else:
        levels, select = opts.order // base_order, False
    n = evaluator.x.shape[0]
    check_noise_size(opts.noise, None)
    f0 = evaluator.scalar()
    nfev = 1
    if isinstance(step, str) and step == "adaptive":
        if levels > 1:
            raise ValueError("step='adaptive' picks one step per coordinate; it cannot be combined with richardson or order")
        h, _, spent = adaptive_steps(adaptive_probe(evaluator, None), evaluator.x, f0, 2, base_order, opts.method, opts.noise)
        nfev += spent
        out = None  # full output: report the steps and nfev
    else:
        h = resolve_step(step, evaluator.x, 2, opts.method, base_order, levels, opts.ratio, typical)
    sign = 1 if opts.method == "forward" else -1

    def run(h_level, target):
        evaluator.hessian(h_level, 0 if central else sign, f0, target)

    if levels == 1 and out is not None:
        run(h, out)
        return None
    noise = 0.0 if opts.noise is None else opts.noise
    eps = float(np.finfo(evaluator.x.dtype).eps)
    per_value = roundoff_per_value(abs(f0), eps, noise)
    ranking_value = roundoff_per_value(abs(f0), eps, noise, RANKING_ULPS)
    tableau = Tableau(base_order, opts.ratio, 2 if central else 1)
    scales = opts.ratio ** -np.arange(levels, dtype=np.float64)

    def level_roundoff(H, h_level, h_other=None):
        """Round-off of the Hessian levels H (..., n, n) at steps h_level (..., n): the
        HESSIAN_VALUES_PER_ENTRY values of size |f0| (+ noise) over h_i h_j, and the rounding of
        the values' own change H h^2 (all there is where f(x) = 0, at a zero-residual minimum:
        relative EPS |H_ij|). Steps at a tiny |x_i| (the retry's scale |x_i| ~ 1e-200) make
        h_i h_j underflow to 0: an infinite round-off, never chosen. With ``h_other``, H holds
        entries (levels, entries) whose two coordinates' steps are h_level and h_other.
        Returns (the bound, F_ULPS per value, which the error estimates report; the ranking
        round-off, RANKING_ULPS, by which the tableau and the windows choose)."""
        span = h_level[..., :, None] * h_level[..., None, :] if h_other is None else h_level * h_other
        with np.errstate(divide="ignore", invalid="ignore"):
            return tuple(HESSIAN_VALUES_PER_ENTRY * one_value / span + roundoff_per_value(np.abs(H), eps, ulps=ulps)
                         for one_value, ulps in ((per_value, F_ULPS), (ranking_value, RANKING_ULPS)))

    def level_values(h_coarse):
        """The Hessian at each level (levels, n, n) and its round-off (`level_roundoff`), coarsest
        steps h_coarse."""
        H = np.empty((levels, n, n))
        target = np.empty((n, n), evaluator.x.dtype)
        for level, scale in enumerate(scales):
            run((h_coarse * scale).astype(evaluator.x.dtype), target)
            H[level] = target
        return H, level_roundoff(H, h_coarse * scales[:, None])

    def best_entries(H, roundoff, cells=None):
        """The tableau's best entry (value, error, level, rounding, claimed, erratic) of every
        entry of the levels H (L, n, n) or (L, entries) with their round-off (`level_roundoff`),
        flattened, or of the flat indices ``cells`` only."""
        def columns(a):
            flat = a.reshape(a.shape[0], -1).T
            return flat if cells is None else flat[cells]

        bound, ranking = roundoff
        return extrapolate(columns(H), columns(bound), tableau, select, full=True, ranking_roundoff=columns(ranking))

    def stacked_levels(H_new, h_new, H, roundoff):
        """The level H_new at steps h_new put above the levels H with their round-off."""
        return (np.concatenate([H_new[None], H]),
                tuple(np.concatenate([part[None], rest]) for part, rest in zip(level_roundoff(H_new, h_new), roundoff)))

    H_default, roundoff_default = level_values(h)
    value, error, level, rounding, claimed, _ = best_entries(H_default, roundoff_default)
    nfev += levels * _nfev_per_level(n, central)
    step_used = h.astype(np.float64) * scales[np.diagonal(level.reshape(n, n))]
    if opts.accurate and step is None:
        # coordinates whose steps are long on the unit scale (|x_i| >> 1): their entries are
        # checked with a window on the unit scale, as the gradient's are (scale_search)
        ambiguous = np.zeros(n, dtype=bool) if typical is not None else scale_search.ambiguous_scale(evaluator.x, h)
        # the default window's own verdict on each entry: whatever the level above claims, an
        # entry the default window resolved poorly is retried below (`_entries_to_retry`;
        # jennrich_sampson: 1.9e-8 off without, 5.0e-12 with)
        default_poor = _entries_to_retry(value, claimed, rounding)
        if central:
            # Every entry gets a fourth level one ratio above the default window (`level_above`,
            # 2 evaluations per pair and per coordinate): per entry the tableau of four levels
            # then picks between the larger steps (less round-off, eps |f| / (h_i h_j)) and the
            # smaller (less truncation). Over the accuracy bench it took the median per case from
            # 2.3e-10 to 6.5e-11 (trigonometric 4.7e-8 -> 6.0e-11, helical_valley 9.7e-11 ->
            # 3.5e-12, bard 8.4e-10 -> 1.1e-10). Not the off-diagonal entries consistent with
            # zero (the four-corner check's, below), nor coordinates whose larger step is long on
            # the unit scale (box_3d's x_1 = 10: 0.88 aliased its (0, 1) entry to 1.3e-9 off; the
            # unit-scale retry's), nor f's that raise there.
            with np.errstate(invalid="ignore"):
                nonzero = (np.abs(value) > error).reshape(n, n) | np.eye(n, dtype=bool)
            long = ambiguous | scale_search.ambiguous_scale(evaluator.x, h * opts.ratio)
            above = nonzero & ~(long[:, None] | long[None, :])
            H_above = None
            if above.any():
                H_above, spent = level_above(evaluator, h * opts.ratio, f0, above)
                nfev += spent
                if H_above is not None:
                    stacked, stacked_round = stacked_levels(H_above, h * opts.ratio, H_default, roundoff_default)
                    cells = np.flatnonzero(above)
                    v, e, lv, rd, cl, _ = best_entries(stacked, stacked_round, cells)
                    take = cl < claimed[cells]
                    cells, v, e, lv, rd, cl = cells[take], v[take], e[take], lv[take], rd[take], cl[take]
                    value[cells], error[cells], rounding[cells], claimed[cells] = v, e, rd, cl
                    i, j = np.unravel_index(cells, (n, n))
                    on_diagonal = i == j
                    step_used[i[on_diagonal]] = (h[i[on_diagonal]] * opts.ratio
                                                 * opts.ratio ** -lv[on_diagonal].astype(np.float64))
        pairs = (ambiguous[:, None] | ambiguous[None, :]).ravel()
        retry = _entries_to_retry(value, claimed, rounding) | default_poor | pairs
        if retry.any() and opts.noise is None:
            # f's noise first (as the gradient's step-scale search does): rounding the model
            # missed makes smaller steps look better than they are
            measured, spent = noise_measurement.noise_bound(evaluator, f0)
            nfev += spent
            excess = float(unmodelled_noise(measured, per_value))
            if excess > 0:
                error, claimed = error + rounding * excess, claimed + rounding * excess
                rounding, per_value = rounding * (1.0 + excess), per_value + measured
                ranking_value = ranking_value + measured
                # the verdicts again, with the noise: a default window's poor estimate that the
                # noise explains is not retried (noisy_rosenbrock: a window of 6 evaluations per
                # entry for nothing)
                retry = _entries_to_retry(value, claimed, rounding) | pairs
        h_last = h
        for window in range(HESSIAN_WINDOWS):
            if not retry.any():
                break
            # Entries that met f's domain edge (non-finite), or whose truncation-bound estimate is
            # poor: the whole Hessian again one window below (fdcore.numerics.scale_search: the
            # scale |x_i|, else r^L smaller, then r^2L below that), keeping per entry the better
            # claimed estimate (the stencils and the choice are symmetric, so the result stays
            # exactly symmetric).
            below = scale_search.smaller_steps(evaluator.x, h_last, levels, opts.ratio,
                                               first=np.full(n, window == 0))
            h_retry = np.where(ambiguous, scale_search.unit_scale_steps(evaluator.x, h, levels, opts.ratio),
                               below) if window == 0 else below
            H_retry, roundoff_retry = level_values(h_retry.astype(evaluator.x.dtype))
            nfev += levels * _nfev_per_level(n, central)
            v, e, lv, rd, cl, _ = best_entries(H_retry, roundoff_retry)
            diagonal_steps = h_retry * scales[np.diagonal(lv.reshape(n, n))]
            if window == 0:
                # Entries whose two coordinates moved r^L down continue the default window's
                # levels: one tableau over all 2L of them, which also holds the windows in
                # between (oscillatory_10: 1.1e-9 off with the lower window alone, 5.5e-10 so,
                # without the second retry window)
                moved = np.isclose(h_retry, h * opts.ratio ** -levels, rtol=1e-3)
                cells = np.flatnonzero(moved[:, None] & moved[None, :])
                if cells.size:
                    i, j = np.unravel_index(cells, (n, n))
                    joint_steps = np.concatenate([h * scales[:, None], h_retry * scales[:, None]])  # (2L, n)
                    H_joint = np.concatenate([H_default, H_retry]).reshape(2 * levels, -1)[:, cells]
                    roundoff_joint = level_roundoff(H_joint, joint_steps[:, i], joint_steps[:, j])
                    v, e, lv, rd, cl = (a.copy() for a in (v, e, lv, rd, cl))
                    v[cells], e[cells], lv[cells], rd[cells], cl[cells], _ = best_entries(H_joint, roundoff_joint)
                    on = i == j
                    diagonal_steps[i[on]] = joint_steps[lv[cells[on]], i[on]]
            # Where the two windows disagree, the larger-step one is the suspect (aliasing, or f
            # varying on a scale far below max(1, |x_i|)) and the retry's estimate wins, as in
            # the gradient's search; e.g. scaled_small_x (|x_i| ~ 1e-6) had H_11 = 3.8e5 claiming
            # 2.3e3 against the true 8.3e11. Such an estimate is confirmed by the next window.
            with np.errstate(invalid="ignore"):
                disagree = retry & (np.abs(v - value) > e + error) & np.isfinite(v)
            take = (retry & (cl < claimed)) | disagree
            value, error = np.where(take, v, value), np.where(take, e, error)
            claimed, rounding = np.where(take, cl, claimed), np.where(take, rd, rounding)
            diagonal = np.diagonal(take.reshape(n, n))
            step_used = np.where(diagonal, diagonal_steps, step_used)
            h_last = h_retry
            retry = _entries_to_retry(value, claimed, rounding) | disagree
        between = pairs & _round_off_bound_poor(value, claimed, rounding)
        if between.any():
            # Entries of coordinates with |x_i| >> 1 whose unit-scale estimate misses
            # HESSIAN_RETRY by its round-off (f varying on a scale between 1 and |x_i|: meyer's
            # H_11 at x_1 = 4000, 3.3e-2 off at the default steps, 3.8e-4 at the unit scale): a
            # window at the geometric mean of the two scales, kept where it agrees with the
            # estimate so far (an f oscillating on the unit scale aliases there and disagrees)
            # and claims less; meyer 1.7e-8 -> 1.2e-10 per case, at 6 more evaluations per entry.
            h_mid = np.where(ambiguous, h / np.sqrt(np.maximum(1.0, np.abs(evaluator.x.astype(np.float64)))), h)
            H_mid, roundoff_mid = level_values(scale_search.on_grid(evaluator.x, h_mid, levels, opts.ratio))
            nfev += levels * _nfev_per_level(n, central)
            v, e, lv, rd, cl, _ = best_entries(H_mid, roundoff_mid)
            with np.errstate(invalid="ignore"):
                take = between & (np.abs(v - value) <= e + error) & (cl < claimed)
            value, error = np.where(take, v, value), np.where(take, e, error)
            claimed, rounding = np.where(take, cl, claimed), np.where(take, rd, rounding)
            diagonal = np.diagonal(take.reshape(n, n))
            step_used = np.where(diagonal, h_mid * scales[np.diagonal(lv.reshape(n, n))], step_used)
        scale = np.maximum(1.0 if typical is None else typical, np.abs(evaluator.x.astype(np.float64)))
        if central and H_above is not None:
            # Entries that the level above left round-off bound above CLIMB_TOLERANCE, whose three coarsest
            # levels still show no truncation (a quadratic with |f| >> |H_ij|: wide_range_quadratic's
            # H_22 = 2e-4 at |f| = 3.6e8, 2.1e-6 off per case, 2.3e-7 two levels higher): up to
            # HESSIAN_LEVELS_ABOVE levels, 2 evaluations per pair each, kept where the estimate
            # agrees with the one so far and claims less.
            stack, stack_round = stacked, stacked_round
            climbing = above.ravel().copy()
            coarsest_three = lambda a: a[:3].reshape(3, -1).T  # noqa: E731
            for k in range(2, HESSIAN_LEVELS_ABOVE + 1):
                h_k = h * opts.ratio**k
                fits = (h_k <= MAX_RELATIVE_STEP * scale) & ~scale_search.ambiguous_scale(evaluator.x, h_k)
                climbing &= ((fits[:, None] & fits[None, :]).ravel()
                             & _round_off_bound_poor(value, claimed, rounding, CLIMB_TOLERANCE)
                             & larger_steps_help(coarsest_three(stack), coarsest_three(stack_round[0]), tableau, 2))
                if not climbing.any():
                    break
                H_k, spent = level_above(evaluator, h_k, f0, climbing.reshape(n, n))
                nfev += spent
                if H_k is None:
                    break
                stack, stack_round = stacked_levels(H_k, h_k, stack, stack_round)
                cells = np.flatnonzero(climbing)
                v, e, lv, rd, cl, _ = best_entries(stack, stack_round, cells)
                with np.errstate(invalid="ignore"):
                    take = (np.abs(v - value[cells]) <= e + error[cells]) & (cl < claimed[cells])
                kept = cells[take]
                value[kept], error[kept], rounding[kept], claimed[kept] = v[take], e[take], rd[take], cl[take]
                i, j = np.unravel_index(kept, (n, n))
                on_diagonal = i == j
                finest_level = lv[take][on_diagonal].astype(np.float64)
                step_used[i[on_diagonal]] = h_k[i[on_diagonal]] * opts.ratio**-finest_level
                climbing = np.zeros(n * n, dtype=bool)
                climbing[kept] = True
        value, error, spent = four_corner_check(evaluator, value.reshape(n, n), error.reshape(n, n), per_value,
                                                FOUR_CORNER_STEP * scale)
        nfev += spent
    return AxisOutcome(value.reshape(n, n), error.reshape(n, n), step_used, nfev)


def level_above(evaluator, h, f0, entries):
    """The central Hessian stencil at the steps h (a level above the default window) on the
    entries of the symmetric mask ``entries`` (n, n) only: 2 evaluations per coordinate
    involved (its axis points), 2 per pair i < j. Returns ((n, n) values, NaN outside the mask;
    evaluations), or (None, evaluations) where f raises at these steps (the edge of its domain)."""
    n = entries.shape[0]
    rows, cols = np.nonzero(np.triu(entries, 1))
    coords = np.flatnonzero(entries.any(axis=0))
    x = evaluator.x
    xd = x.astype(np.float64)
    p = (xd + h).astype(x.dtype).astype(np.float64) - xd
    q = xd - (xd - h).astype(x.dtype).astype(np.float64)
    none = np.full(coords.size, -1, dtype=np.intp)
    first = np.concatenate([coords, coords, rows, rows]).astype(np.intp)
    second = np.concatenate([none, none, cols, cols]).astype(np.intp)
    first_step = np.concatenate([p[coords], -q[coords], p[rows], -q[rows]])
    second_step = np.concatenate([np.zeros(2 * coords.size), p[cols], -q[cols]])
    values = np.empty(first.size)
    try:
        evaluator.pair_values(first, first_step, second, second_step, values)
    except Exception:  # noqa: BLE001 - f refusing points this far out: no level above
        return None, first.size
    f_plus, f_minus = np.full(n, np.nan), np.full(n, np.nan)
    f_plus[coords], f_minus[coords] = values[:coords.size], values[coords.size:2 * coords.size]
    pairs = values[2 * coords.size:].reshape(2, -1)
    diagonal, off = np.empty(n), np.empty(rows.size)
    with np.errstate(invalid="ignore", over="ignore"):
        hessian_entries(0, float(f0), f_plus, f_minus, p, -q, rows.astype(np.intp), cols.astype(np.intp),
                        np.ascontiguousarray(pairs[0]), np.ascontiguousarray(pairs[1]), diagonal, off)
    H = np.full((n, n), np.nan)
    H[rows, cols] = H[cols, rows] = off
    on = np.diagonal(entries)
    H[on, on] = diagonal[on]
    return H, first.size


# Levels above the accurate Hessian's default window, at most (the first for every entry, the
# others for entries the first left round-off bound with a relative claimed error above
# CLIMB_TOLERANCE). 1e-8 rather than HESSIAN_RETRY: cosh_sum's H_23 = -0.197 at |f| = 911 claimed
# 7.3e-8 and stayed 3.0e-9 off (best peer 1.0e-10 per case), 1.7e-10 so, the accuracy bench's
# median evaluations per entry unchanged at 9.4 (1e-10: 10.2, no case better).
HESSIAN_LEVELS_ABOVE = 3
CLIMB_TOLERANCE = 1e-8


# The four-corner check's step, in units of each coordinate's scale max(1, |x_i|) (typical_x for the 1).
# Large on purpose: an entry it is asked about is consistent with zero, and where its truncation
# is zero (f separable in x_i and x_j, a banded Hessian's structural zeros) only the round-off
# eps |f| / (h_i h_j) remains, smallest at large steps.
FOUR_CORNER_STEP = 0.25


def four_corner_check(evaluator, value, error, per_value, h):
    """The off-diagonal entries whose estimate is consistent with zero (0 < |value| <= error)
    computed again by the four-corner stencil at the steps h:

        H_ij = [(f(x + p_i e_i + p_j e_j) - f(x + p_i e_i - q_j e_j))
                - (f(x - q_i e_i + p_j e_j) - f(x - q_i e_i - q_j e_j))] / ((p_i + q_i)(p_j + q_j)),

    p, q the realized steps; exact for any quadratic. Its two inner differences are each taken at
    a fixed x_i, so for an f separable in (x_i, x_j) they cancel exactly far more often than the
    central stencil's (over the problem suite's structural zeros, 4 steps each: exactly 0 in 62%
    of entries against 41%). The new value replaces the old where it is finite, smaller in
    magnitude (of two estimates consistent with zero, the one nearer zero), and either has less
    round-off than the old error or is itself within its round-off of zero; its error is then
    reported as the old one plus their difference, so an estimate that covered still covers.
    4 evaluations per entry checked; an exception from f at these steps (the edge of its domain)
    abandons the check.

    ``value`` and ``error`` (n, n) are not modified; ``per_value`` is the absolute error of one
    value of f near x. Returns (value, error, evaluations).
    """
    n = value.shape[0]
    rows, cols = np.triu_indices(n, 1)
    with np.errstate(invalid="ignore"):
        # (an entry already exactly 0 cannot come nearer zero: it is not evaluated)
        asked = (np.isfinite(value[rows, cols]) & (np.abs(value[rows, cols]) <= error[rows, cols])
                 & (value[rows, cols] != 0))
    i, j = rows[asked], cols[asked]
    if i.size == 0:
        return value, error, 0
    x = evaluator.x
    xd = x.astype(np.float64)
    p = (xd + h).astype(x.dtype).astype(np.float64) - xd
    q = xd - (xd - h).astype(x.dtype).astype(np.float64)
    first, second = np.repeat(i, 4), np.repeat(j, 4)
    first_step = np.stack([p[i], p[i], -q[i], -q[i]], axis=1).ravel()
    second_step = np.stack([p[j], -q[j], p[j], -q[j]], axis=1).ravel()
    corners = np.empty(first.size)
    try:
        evaluator.pair_values(first, first_step, second, second_step, corners)
    except Exception:  # noqa: BLE001 - f refusing points this far out leaves the estimates as they were
        return value, error, first.size
    F = corners.reshape(-1, 4)
    span = (p[i] + q[i]) * (p[j] + q[j])
    eps = float(np.finfo(x.dtype).eps)
    with np.errstate(invalid="ignore", over="ignore"):
        estimate = ((F[:, 0] - F[:, 1]) - (F[:, 2] - F[:, 3])) / span
        rounding = 4.0 * np.maximum(per_value, roundoff_per_value(np.abs(F).max(axis=1), eps)) / span
        old, old_error = value[i, j], error[i, j]
        difference = np.abs(estimate - old)
        accept = (np.isfinite(estimate) & (np.abs(estimate) < np.abs(old))
                  & ((rounding < old_error) | (np.abs(estimate) <= rounding)))
    value, error = value.copy(), error.copy()
    i, j = i[accept], j[accept]
    value[i, j] = value[j, i] = estimate[accept]
    error[i, j] = error[j, i] = old_error[accept] + difference[accept]
    return value, error, first.size


# Windows at smaller steps, at most, for the accurate Hessian's entries above HESSIAN_RETRY.
HESSIAN_WINDOWS = 2


def _round_off_bound_poor(value, claimed, rounding, tolerance=HESSIAN_RETRY):
    """Entries whose finite estimate misses ``tolerance`` (relative to the entry or, for tiny
    entries, to RELATIVE_FLOOR of the largest finite one) by its round-off: larger steps, not
    smaller, can help them (fdcore.numerics.scale_search.round_off_bound_poor)."""
    finite = np.isfinite(value)
    floor = scale_search.relative_floor(value[finite]) if finite.any() else 0.0
    return scale_search.round_off_bound_poor(value, claimed, rounding, tolerance, floor)


def _entries_to_retry(value, claimed, rounding):
    """Entries whose estimate is non-finite, or truncation-bound with a relative claimed error
    above HESSIAN_RETRY (relative to the entry or, for tiny entries, to RELATIVE_FLOOR of the largest:
    fdcore.numerics.scale_search)."""
    finite = np.isfinite(value)
    floor = scale_search.relative_floor(value[finite]) if finite.any() else 0.0
    with np.errstate(invalid="ignore"):
        poor = scale_search.improvable(value, claimed, rounding, HESSIAN_RETRY, floor)
    return ~finite | ~np.isfinite(claimed) | poor
