"""Hessians of Python callables: the basic stencils at one or several steps, extrapolated."""

import numpy as np

from fdcore._adaptive import adaptive_steps, kernel_evaluator
from fdcore._axis import AxisOutcome
from fdcore._richardson import F_ULPS, Tableau, extrapolate
from fdcore._steps import resolve_step


def _nfev_per_level(n, central):
    return n * n + n if central else n * (n - 1) // 2 + 2 * n


def hessian_levels(f, work, opts, step, out):
    """The Hessian by the central or one-sided stencil, extrapolated over Richardson levels.

    Plain (one level, no full output): writes into ``out`` and returns None. Otherwise returns an
    AxisOutcome with value (n, n), error (n, n), step (n,) and nfev.

    ``order`` p > base order is reached with p/2 (central) or p (one-sided) levels and the top
    tableau entry; ``richardson`` levels pick the best entry per component.
    """
    central = opts.method == "central"
    base_order = 2 if central else 1
    if opts.levels > 1:
        levels, select = opts.levels, True
    else:
        levels, select = opts.order // base_order, False
    n = work.w.shape[0]
    f0 = work.scalar_at_centre(f)
    nfev = 1
    if isinstance(step, str) and step == "adaptive":
        if levels > 1:
            raise ValueError("step='adaptive' picks one step per coordinate; it cannot be combined with richardson or order")
        h, _, spent = adaptive_steps(kernel_evaluator(f, work, None), work.w, f0, 2, base_order, opts.method, opts.noise)
        nfev += spent
        out = None  # full output: report the steps and nfev
    else:
        h = resolve_step(step, work.w, 2, opts.method, base_order, levels, opts.ratio)
    sign = 1 if opts.method == "forward" else -1

    def run(h_level, target):
        if central:
            work.kernels.central_hessian(f, work.w, work.w_arg, h_level, f0, target, work.args, work.kwargs)
        else:
            work.kernels.one_sided_hessian(f, work.w, work.w_arg, h_level, sign, f0, target, work.args, work.kwargs)

    if levels == 1 and out is not None:
        run(h, out)
        return None
    scales = opts.ratio ** -np.arange(levels, dtype=np.float64)
    H = np.empty((levels, n, n))
    target = np.empty((n, n), work.w.dtype)
    for level, scale in enumerate(scales):
        run((h * scale).astype(work.w.dtype), target)
        H[level] = target
    # Round-off of a stencil entry: about 8 values of size |f0| (+ noise) over h_i h_j.
    noise = 0.0 if opts.noise is None else opts.noise
    per_value = F_ULPS * np.finfo(work.w.dtype).eps * abs(f0) + noise
    roundoff = 8.0 * per_value / (np.outer(h, h)[None] * scales[:, None, None] ** 2)
    tableau = Tableau(base_order, opts.ratio, 2 if central else 1)
    value, error, level = extrapolate(H.reshape(levels, -1).T, roundoff.reshape(levels, -1).T, tableau, select)
    level = level.reshape(n, n)
    return AxisOutcome(
        value.reshape(n, n), error.reshape(n, n), h.astype(np.float64) * scales[np.diagonal(level)],
        levels * _nfev_per_level(n, central) + nfev,
    )
