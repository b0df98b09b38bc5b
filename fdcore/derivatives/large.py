"""Second derivatives over large parameter vectors, where the dense Hessian (n^2 + n + 1
evaluations, n^2 numbers) is out of reach: its diagonal (2n + 1 evaluations), the Hessian as a
matrix-free linear operator (one Hessian-vector product per product), its extreme eigenvalues by
Lanczos with the finite-difference error carried through, and Hutchinson's trace estimate.

Memory is O(n) per product (O(k n) for k eigenvalues); nothing of size n^2 is ever formed.
"""

import warnings
from collections.abc import Mapping
from typing import Any, Literal, Unpack, overload

import numpy as np
from numpy.typing import ArrayLike

from fdcore.derivatives.axis import AxisOutcome, axis_derivative, nudge_probe
from fdcore.derivatives.directional import along_direction, direction_step
from fdcore.derivatives.docs import document
from fdcore.derivatives.hessian import HESSIAN_RETRY
from fdcore.derivatives.result import FDResult, finish
from fdcore.derivatives.types import DiagonalOptions, FloatArray, Objective, Workers
from fdcore.derivatives.validation import (
    checks_value_precision,
    dense_typical_scale,
    flag_nonfinite,
    read_only_view,
    user_stacklevel,
    watched,
)
from fdcore.evaluators.protocol import BatchOptions, make_evaluator
from fdcore.evaluators.returns import FunctionValueError, note_precision
from fdcore.numerics.errors import retry_tolerance
from fdcore.numerics.options import REAL_METHODS, parse
from fdcore.numerics.richardson import axis_plan, extrapolate, level_estimates
from fdcore.numerics.steps import resolve_step, unit_direction_step


@overload
def hessian_diagonal(f: Objective, x: ArrayLike, *, full_output: Literal[False] = False,
                     **options: Unpack[DiagonalOptions]) -> FloatArray: ...
@overload
def hessian_diagonal(f: Objective, x: ArrayLike, *, full_output: Literal[True],
                     **options: Unpack[DiagonalOptions]) -> FDResult[FloatArray]: ...
@overload
def hessian_diagonal(f: Objective, x: ArrayLike, *, full_output: bool,
                     **options: Unpack[DiagonalOptions]) -> FloatArray | FDResult[FloatArray]: ...
@checks_value_precision
@document
def hessian_diagonal(f, x, *, method="central", order=None, step=None, typical_x=None, richardson=False,
                     step_ratio=2.0, noise=None, args=(), kwargs=None, full_output=False, num_threads=None,
                     vectorized=False, workers=None, max_batch_bytes=None, progress=False):
    """The Hessian's diagonal, ``d^2 f / d x_i^2`` for every i, without the rest of the Hessian.

    Each coordinate's second derivative comes from its own axis stencil, so the cost grows as n,
    not n^2: **2n + 1 evaluations** for the default central stencil, n + 1 one-sided (plus
    f(x) once). The default stencils and steps are those of `hessian`'s diagonal, so the
    values are the dense Hessian's diagonal bit for bit (for every kind of f: Python, compiled,
    vectorized, workers).

    Parameters
    ----------
    method : {'central', 'forward', 'backward'}
        'central': the 3-point second difference ``(f(x + h e_i) - 2 f(x) + f(x - h e_i)) / h^2``
        (realized steps), error O(h^2). 'forward' / 'backward': the one-sided 3-point
        difference at 0, s, 2s (s = +-h), error O(h).
    order : int, optional
        Accuracy order of the axis stencil for the second derivative: 2, 4, 6, 8 central
        (default 2), 1..8 one-sided (default 1). An order-p stencil costs p evaluations per
        coordinate (central) or p + 1 (one-sided), plus f(x).
    step : float or array_like of shape (n,), optional
        Absolute step per coordinate (with Richardson levels: the coarsest level's). Default
        ``EPS**(1/(q + 2)) * max(1, |x_i|)`` for final accuracy order q: ``EPS**(1/4)`` for the
        central and ``EPS**(1/3)`` for the one-sided default, as `hessian`.
    richardson : bool or int, optional
        Richardson levels of the stencil, the best tableau entry per coordinate. ``True`` is
        the accurate mode: 4 levels, 8 evaluations per coordinate (central), about 1e-10
        relative; coordinates whose estimate is poorly resolved (relative error estimate above
        1e-7) or whose steps are long on the unit scale (|x_i| >> 1) are tried again at other
        step scales, after f's noise is measured (at most two more windows per coordinate and
        24 evaluations).

    Returns
    -------
    ndarray, shape (n,), or FDResult
        The diagonal; with ``full_output`` an `FDResult` whose ``error`` is the estimated
        absolute error per entry (the round-off bound alone without Richardson levels).

    See Also
    --------
    hessian : the full Hessian, n^2 + n + 1 evaluations.
    hessian_operator : products H v without forming H.

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> f = lambda p: np.sum(np.cos(p)) + p[0] * p[1]
    >>> x = np.array([0.3, -1.2, 2.0])
    >>> bool(np.allclose(fdcore.hessian_diagonal(f, x), -np.cos(x), atol=1e-6))
    True
    >>> r = fdcore.hessian_diagonal(f, x, richardson=True, full_output=True)
    >>> bool(np.all(np.abs(r.value + np.cos(x)) <= r.error)), bool(np.all(r.error < 1e-8))
    (True, True)

    The same numbers as the dense Hessian's diagonal, at 2n + 1 evaluations instead of
    n^2 + n + 1:

    >>> bool((fdcore.hessian_diagonal(f, x) == np.diag(fdcore.hessian(f, x))).all())
    True
    """
    evaluator = make_evaluator(watched(f, vectorized), x, args, kwargs, num_threads,
                               BatchOptions(vectorized, workers, max_batch_bytes, progress))
    opts = parse(method, order, richardson, step_ratio, noise, REAL_METHODS)
    typical = dense_typical_scale(typical_x, evaluator.x, method, step)
    base_order = 2 if method == "central" else 1
    if opts.levels == 1 and opts.order == base_order:
        outcome = _plain_diagonal(evaluator, opts, resolve_step(step, evaluator.x, 2, method, typical=typical),
                                  full_output)
    else:
        h = resolve_step(step, evaluator.x, 2, method, opts.order, opts.levels, opts.ratio, typical)
        tolerance = retry_tolerance(opts.accurate, step, evaluator.x.dtype)
        if tolerance is not None:
            # a second derivative's accurate estimates settle later than a first derivative's
            # (round-off EPS / h^2): the accurate Hessian's retry threshold
            tolerance = max(tolerance, HESSIAN_RETRY)
        outcome = axis_derivative(evaluator, 2, opts.order, method, opts.levels, opts.ratio, h, opts.noise, False,
                                  retry_tolerance=tolerance, scale_given=typical is not None)
    value = np.asarray(outcome.value, dtype=evaluator.x.dtype)
    flag_nonfinite(value, "Hessian diagonal")
    return finish(value, outcome, opts, full_output)


def _plain_diagonal(evaluator, opts, h, full_output):
    """The default stencils (one level, the base order) through the evaluator's axis values,
    combined by the formulas of the dense Hessian kernels (fdcore/evaluators/stencil_terms.pxd,
    realized steps, the same operations in the same order: identical values). An AxisOutcome."""
    plan = axis_plan(2, 2 if opts.method == "central" else 1, opts.method)
    n = evaluator.x.shape[0]
    coords = np.arange(n, dtype=np.intp)
    f0 = evaluator.scalar()
    values = np.empty((n, len(plan.nodes)))
    offsets = np.empty((n, len(plan.nodes)))
    evaluator.axis_values(h, plan.nodes, coords, values, offsets)
    nodes = list(plan.nodes)
    if opts.method == "central":
        fp, fq = values[:, nodes.index(1.0)], values[:, nodes.index(-1.0)]
        p, q = offsets[:, nodes.index(1.0)], -offsets[:, nodes.index(-1.0)]

        def formula(s):
            return 2.0 * ((s * fp - s * f0) / p - (s * f0 - s * fq) / q) / (p + q) / s

        inputs = (fp, fq)
    else:
        sign = 1.0 if opts.method == "forward" else -1.0
        fd, f2 = values[:, nodes.index(sign)], values[:, nodes.index(2 * sign)]
        d, e = offsets[:, nodes.index(sign)], offsets[:, nodes.index(2 * sign)]

        def formula(s):
            return 2.0 * ((s * f2 - s * fd) / (e - d) - (s * fd - s * f0) / d) / e / s

        inputs = (fd, f2)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        value = formula(1.0)
        # the kernels' overflow rescue: finite values whose differences overflow, scaled by 1/8
        rescue = ~np.isfinite(value) & np.isfinite(inputs[0]) & np.isfinite(inputs[1]) & np.isfinite(f0)
        if rescue.any():
            value = np.where(rescue, formula(0.125), value)
    nfev = 1 + n * len(plan.nodes)
    error = np.zeros(n)
    if full_output:  # the round-off bound of the single level (fdcore.numerics.richardson)
        eps = float(np.finfo(evaluator.x.dtype).eps)
        probe = nudge_probe(evaluator, False, f0)
        est, rnd = level_estimates(plan, values, offsets, f0, opts.noise, eps, probe)
        _, error, _ = extrapolate(est, rnd, plan, select=False)
        nfev += probe.nfev
    return AxisOutcome(value, error, h.astype(np.float64), nfev)


@checks_value_precision
@document
def second_directional_derivative(f: Objective, x: ArrayLike, v: ArrayLike, *, step: float | None = None,
                                  args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None,
                                  num_threads: int | None = None, vectorized: bool = False,
                                  workers: Workers | None = None) -> float:
    """The curvature of f along v, ``v^T H(x) v = d^2/dt^2 f(x + t v)`` at t = 0, in 3 evaluations.

    ``(f(x + t v) - 2 f(x) + f(x - t v)) / t^2`` whatever n is (v is not normalised: divide by
    ``v @ v`` for the curvature along the unit vector).

    Parameters
    ----------
    f : callable or compiled callback
        ``f(x, *args, **kwargs) -> float``.
    x, v : array_like, shape (n,)
        Point and direction.
    step : float, optional
        The step t along v. Default ``EPS**(1/4) * max(1, |x|_inf) / |v|_inf``: the second
        difference's truncation t^2 f'''' / 12 and its round-off 4 EPS |f| / t^2 balance at
        t ~ EPS^(1/4) on the scale of x (as the central Hessian's steps; the first difference's
        EPS^(1/3) would leave EPS^(1/3) relative round-off).
    args, kwargs
        Extra arguments passed to f.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> v = np.array([1.0, -2.0])
    >>> c = fdcore.second_directional_derivative(lambda x: 0.5 * x @ A @ x, [0.5, 0.1], v)
    >>> bool(abs(c - v @ A @ v) < 1e-6)
    True
    """
    evaluator, x, v = along_direction(f, x, v, args, kwargs, num_threads, vectorized, workers)
    vmax, x_max = float(np.max(np.abs(v))), float(np.max(np.abs(x)))
    if vmax == 0:
        return 0.0
    t = unit_direction_step(float(np.finfo(x.dtype).eps), x_max, exponent=0.25) / vmax if step is None else \
        direction_step(step)
    if not np.isfinite(x_max + t * vmax) or x_max + t * vmax > float(np.finfo(x.dtype).max):
        raise ValueError(f"x +- t v (t = {t:.3g}) leaves the {x.dtype} range: pass a smaller step= or rescale v")
    tt = x.dtype.type(t)
    points = [read_only_view(x.copy()), read_only_view(x + tt * v), read_only_view(x - tt * v)]
    f0, f_hi, f_lo = (scalar_value(value, "f") for value in evaluator.raw_values(points))
    with np.errstate(over="ignore", invalid="ignore"):
        value = ((f_hi - f0) - (f0 - f_lo)) / t / t
    if not np.isfinite(value):
        warnings.warn(f"f returned NaN or inf at x or x +- t v (t = {t:.3g}), or the curvature exceeds the largest "
                      "float; the second directional derivative is NaN", RuntimeWarning, stacklevel=user_stacklevel())
        return np.nan
    return float(value)


def scalar_value(value, name):
    """A value of f (``name``) as a Python float, or FunctionValueError naming it."""
    arr = np.asarray(value)
    note_precision(arr)
    if arr.dtype.kind not in "biuf":
        raise FunctionValueError(f"{name} must return a real scalar, got dtype {arr.dtype}")
    if arr.size != 1:
        raise FunctionValueError(f"{name} must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))
