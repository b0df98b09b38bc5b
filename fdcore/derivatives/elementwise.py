"""Elementwise derivatives of vectorized functions: derivative (any order, one variable) and
partials (the gradient field over a grid)."""


from collections.abc import Callable
from math import factorial
from typing import Any, Literal, Unpack, overload

import numpy as np
from numpy.typing import ArrayLike

from fdcore.derivatives.complex_step import (
    require_real_on_the_real_axis,
    retry_underflow,
    warn_still_subnormal,
)
from fdcore.derivatives.docs import document
from fdcore.derivatives.result import FDResult
from fdcore.derivatives.types import DerivativeOptions, FloatArray, PartialsOptions
from fdcore.derivatives.validation import (
    as_float_array,
    call_arguments,
    check_callable,
    checks_value_precision,
    flag_nonfinite,
    read_only_view,
    refuse_compiled,
)
from fdcore.evaluators.returns import FunctionValueError, note_precision
from fdcore.numerics.adaptive import adaptive_steps
from fdcore.numerics.contour import (
    contour_estimate,
    contour_magnitude,
    contour_nodes,
    contour_rule,
)
from fdcore.numerics.errors import NudgeProbe, roundoff_per_value
from fdcore.numerics.errors import complex_step_error as _complex_error
from fdcore.numerics.options import (
    FIRST_DERIVATIVE_METHODS,
    MAX_DERIVATIVE_ORDER,
    parse,
    parse_complex_levels,
)
from fdcore.numerics.richardson import Tableau, axis_plan, extrapolate, level_estimates
from fdcore.numerics.steps import complex_step as _complex_step
from fdcore.numerics.steps import contour_radius, is_adaptive, resolve_step


# A scalar x gives a NumPy scalar, an array x an array of its shape.
@overload
def derivative(f: Callable[..., Any], x: float, *, n: int = 1, full_output: Literal[False] = False,
               **options: Unpack[DerivativeOptions]) -> np.floating[Any]: ...
@overload
def derivative(f: Callable[..., Any], x: float, *, n: int = 1, full_output: Literal[True],
               **options: Unpack[DerivativeOptions]) -> FDResult[np.floating[Any]]: ...
@overload
def derivative(f: Callable[..., Any], x: ArrayLike, *, n: int = 1, full_output: Literal[False] = False,
               **options: Unpack[DerivativeOptions]) -> FloatArray: ...
@overload
def derivative(f: Callable[..., Any], x: ArrayLike, *, n: int = 1, full_output: Literal[True],
               **options: Unpack[DerivativeOptions]) -> FDResult[FloatArray]: ...
@overload
def derivative(f: Callable[..., Any], x: ArrayLike, *, n: int = 1, full_output: bool,
               **options: Unpack[DerivativeOptions]) -> Any: ...
@checks_value_precision
@document
def derivative(f, x, *, n=1, method="central", order=None, step=None, richardson=False, step_ratio=2.0,
               richardson_terms=None, noise=None, args=(), kwargs=None, full_output=False):
    """Derivative of order n of a scalar function of one variable, elementwise over an array.

    f must be vectorized: ``f(x)`` returns an array of x's shape. Each stencil point is one call
    of f on the whole array: the central two-point first derivative costs 2 calls, the 3-point
    second derivative 3, an order-p stencil about p + n calls.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs) -> ndarray`` of x's shape.
    x : array_like
        Points (any shape, a scalar included).
    n : int, 1 to 10
        Derivative order. Real stencils lose accuracy fast with n (round-off grows as
        EPS / h^n): about 1e-4 relative at n = 6; the 'complex' method keeps ~1e-10 where f
        is analytic.
    method : {'central', 'forward', 'backward', 'complex'}
        'complex' needs f analytic and real for real x (f at x is evaluated first and refused
        with ValueError unless real). n = 1 without order: the complex step
        ``Im f(x + i h) / h``, two calls, no richardson option. Otherwise the contour rule
        (Lyness & Moler 1967) on a circle of radius h about x with N nodes (error O(h^N)),
        N/2 + 1 calls per Richardson level plus one at x; richardson is allowed.
    order : int, optional
        Accuracy order of the real stencils, as for `gradient` (2, 4, 6 or 8 central, default 2;
        1 to 8 one-sided, default 1). For 'complex': the contour rule's number of nodes N, a
        multiple of 4 from 4 ceil(n / 4) (the default for n >= 2) to 32.
    step : float, array_like broadcastable to x's shape or 'adaptive', optional
        Absolute step per point (with Richardson levels: the coarsest level's step). Default
        ``EPS**(1/(q + n)) * max(1, |x|)`` for final accuracy order q and derivative order n,
        EPS the machine epsilon of x's dtype. 'adaptive': per point, the step that minimises
        the estimated truncation plus round-off error (as for `gradient`; a few more calls of f).
    noise : float or array_like broadcastable to x's shape, optional
        Absolute error of f's value, one number or one per point; used by the error estimate
        and by ``step='adaptive'``. Default: f is accurate to machine precision.
    richardson_terms : int, optional
        With Richardson levels: remove at most this many powers of h (the tableau's first
        richardson_terms + 1 columns; numdifftools' default is 2). Default: as many as the
        levels allow. Fewer terms trust the error expansion less far, which protects the error
        estimate over many levels of low-order stencils.

    Returns
    -------
    ndarray of x's shape (a NumPy scalar for scalar x), or FDResult

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> fdcore.derivative(np.sin, [0.0, np.pi / 2]).round(8)
    array([1., 0.])
    >>> float(fdcore.derivative(np.exp, 0.0, n=2).round(6))
    1.0
    >>> bool(abs(fdcore.derivative(np.exp, 1.0, n=3, richardson=True) - np.e) < 1e-8)
    True
    >>> float(fdcore.derivative(np.cos, 0.0, n=8, method="complex", richardson=True).round(10))
    1.0
    """
    refuse_compiled(f, "derivative")  # before check_callable: a Callback object is not callable
    check_callable(f)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 1 <= n <= MAX_DERIVATIVE_ORDER:
        raise ValueError(f"n must be an integer from 1 to {MAX_DERIVATIVE_ORDER}, got {n!r}")
    d = int(n)  # the derivative order (n is numdifftools' name for it)
    if richardson_terms is not None and (isinstance(richardson_terms, bool) or
                                         not isinstance(richardson_terms, (int, np.integer)) or richardson_terms < 0):
        raise ValueError(f"richardson_terms must be a non-negative int or None, got {richardson_terms!r}")
    contour = method == "complex" and (d > 1 or order is not None)
    if contour:
        opts = parse_complex_levels(contour_nodes(d, order), None, richardson, step_ratio, noise)
    else:
        opts = parse(method, order, richardson, step_ratio, noise, FIRST_DERIVATIVE_METHODS)
    x = as_float_array(x, ndim=None)
    args, kwargs = call_arguments(args, kwargs)
    kwargs = kwargs or {}
    flat = x.reshape(-1)
    noise = _noise_per_point(opts.noise, x.shape)
    if step is not None and not isinstance(step, str):
        try:
            step = np.broadcast_to(step, x.shape).reshape(-1)
        except ValueError:
            raise ValueError(f"step must be a scalar or broadcastable to x's shape {x.shape}, got shape {np.shape(step)}") from None

    def call(points, kind="f"):
        value = np.asarray(f(read_only_view(points.reshape(x.shape)), *args, **kwargs))
        note_precision(value.real if kind == "complex" else value)
        if kind == "complex" and value.dtype.kind != "c":
            raise FunctionValueError(f"f returned {value.dtype} values for complex input; method='complex' needs a "
                            "complex-analytic f")
        if kind != "complex" and value.dtype.kind not in "biuf":
            raise FunctionValueError(f"f must return real values, got dtype {value.dtype}")
        if value.shape != x.shape:
            raise FunctionValueError(f"f must return an array of x's shape {x.shape}, got shape {value.shape}")
        return np.array(value, dtype=complex if kind == "complex" else np.float64).reshape(-1)  # a copy

    adaptive_error, adaptive_nfev, f_x = 0.0, 0, None
    if method == "complex":
        # the complex step (n = 1 without order), else the contour rule (opts.order its nodes)
        h = contour_radius(step, flat, d, opts.order, opts.levels, opts.ratio) if contour else _complex_step(step, flat)
        complex_dtype = np.complex64 if flat.dtype == np.float32 else np.complex128
        centre = call(flat.astype(complex_dtype), "complex")
        require_real_on_the_real_axis(centre)  # f real for real x
        if not contour:
            values = call(flat + 1j * h.astype(flat.dtype), "complex")

            def again(points, steps):  # one more call of f: the points to retry at their larger steps
                retry = h.copy()
                retry[points] = steps
                return call(flat + 1j * retry.astype(flat.dtype), "complex").imag[points], 1

            value, used, spent, still = retry_underflow(values.imag / h, h, centre.real, flat, again)
            warn_still_subnormal(still, flat)
            error, nfev = _complex_error(value, used, flat.dtype), 2 + spent
        else:
            value, error, nfev, used = _contour_derivative(call, flat, d, h, centre.real, complex_dtype, opts,
                                                           noise, richardson_terms)
    else:
        if is_adaptive(step):
            if opts.levels > 1:
                raise ValueError("step='adaptive' picks one step per point; it cannot be combined with richardson")

            calls = [1]  # f(x), then one call per node and round (f is elementwise: all points at once)

            def probe(h_trial, nodes, coords):
                """f at x_i + c_k h_i for the points i = coords."""
                calls[0] += len(nodes)
                return np.stack([call(flat + flat.dtype.type(c) * h_trial)[coords] for c in nodes], axis=1)[:, :, None]

            f_x = call(flat)
            step, predicted, _ = adaptive_steps(probe, flat, f_x[:, None], d, opts.order, method, _as_rows(noise))
            adaptive_error, adaptive_nfev = predicted[:, 0], calls[0]
        h = resolve_step(step, flat, d, method, opts.order, opts.levels, opts.ratio)
        plan = axis_plan(d, opts.order, method, opts.levels, opts.ratio)
        values = np.empty((flat.size, len(plan.nodes)))
        offsets = np.empty_like(values)
        for k, c in enumerate(plan.nodes):
            points = flat + flat.dtype.type(c) * h
            offsets[:, k] = points.astype(np.float64) - flat
            values[:, k] = call(points)
        centre_call = plan.needs_centre and f_x is None  # the adaptive probe already has f(x)
        if plan.needs_centre:
            f_x = call(flat) if f_x is None else f_x
        f0 = f_x[:, None, None] if plan.needs_centre else np.nan
        probe = NudgeProbe(call, flat, f_x)
        estimates, roundoff = level_estimates(plan, values, offsets, f0, _as_rows(noise), np.finfo(x.dtype).eps, probe)
        value, error, level = extrapolate(estimates, roundoff, plan, select=opts.levels > 1, terms=richardson_terms)
        error = np.maximum(error, adaptive_error)
        nfev = len(plan.nodes) + centre_call + adaptive_nfev + probe.nfev
        used = h.astype(np.float64) * plan.scales[level]
    result = flag_nonfinite(value.astype(x.dtype).reshape(x.shape), "derivative")
    result = result[()] if result.ndim == 0 else result
    if not full_output:
        return result
    return FDResult(result, np.where(np.isfinite(result), error.reshape(x.shape), np.inf)[()], used.reshape(x.shape),
                    nfev, method, opts.order, opts.levels)


def _noise_per_point(noise, shape):
    """derivative's noise: None, one number, or one per point of x (an array broadcastable to x's
    shape, returned flat); a ValueError naming noise otherwise."""
    if noise is None or np.ndim(noise) == 0:
        return noise
    try:
        return np.broadcast_to(noise, shape).reshape(-1)
    except ValueError:
        raise ValueError(f"noise must be one number or one per point of x (broadcastable to x's shape {shape}), "
                         f"got {np.size(noise)} values") from None


def _as_rows(noise):
    """Per-point noise as a column, one row per point (the rows of the stencil values)."""
    return noise if noise is None or np.ndim(noise) == 0 else noise[:, None]


def _contour_derivative(call, flat, n, h, f0, complex_dtype, opts, noise, terms):
    """The complex method's contour rule (fdcore.numerics.contour) with N = opts.order nodes on
    circles of radius h, h/r, ... (Richardson levels; the error powers are N, 2N, ...), given
    f(x) = f0 (real) and f's noise (`_noise_per_point`). N/2 + 1 calls of f per level. Returns
    (value, error, nfev, radius used), nfev counting the call at x."""
    nodes_count = opts.order
    nodes, _, _ = contour_rule(n, nodes_count)
    eps = np.finfo(flat.dtype).eps
    estimates = np.empty((flat.size, opts.levels))
    roundoff = np.empty_like(estimates)
    for level in range(opts.levels):
        radius = h * opts.ratio**-level
        values = np.stack([call((flat + radius * node).astype(complex_dtype), "complex") for node in nodes], axis=1)
        estimates[:, level] = contour_estimate(n, nodes_count, values, f0, radius)
        magnitude = contour_magnitude(n, nodes_count, values, f0)
        roundoff[:, level] = roundoff_per_value(magnitude, eps, noise) * factorial(n) / radius**n
    value, error, level = extrapolate(estimates, roundoff, Tableau(nodes_count, opts.ratio, nodes_count),
                                      select=opts.levels > 1, terms=terms)
    return value, error, 1 + opts.levels * len(nodes), h * opts.ratio ** -level.astype(np.float64)


@overload
def partials(f: Callable[..., Any], *arrays: ArrayLike, full_output: Literal[False] = False,
             **options: Unpack[PartialsOptions]) -> tuple[FloatArray, ...]: ...
@overload
def partials(f: Callable[..., Any], *arrays: ArrayLike, full_output: Literal[True],
             **options: Unpack[PartialsOptions]) -> tuple[FDResult[FloatArray], ...]: ...
@overload
def partials(f: Callable[..., Any], *arrays: ArrayLike, full_output: bool,
             **options: Unpack[PartialsOptions]) -> tuple[FloatArray, ...] | tuple[FDResult[FloatArray], ...]: ...
@document
def partials(f, *arrays, method="central", order=None, step=None, richardson=False, step_ratio=2.0,
             noise=None, args=(), kwargs=None, full_output=False):
    """Partial derivatives of f(x, y, ...) at every point of a grid: the gradient field.

    f is vectorized: ``f(X, Y, ...)`` evaluates elementwise over arrays of one (broadcast) shape.
    Each partial derivative is `derivative` of f in one argument with the others held fixed, so
    the default central difference costs 2 calls of f per variable, whatever the grid size.

    Parameters
    ----------
    f : callable
        ``f(*arrays, *args, **kwargs) -> ndarray`` of the broadcast shape of the arrays.
    *arrays : array_like
        The coordinates of the grid points (e.g. from ``np.meshgrid``); broadcast together.
    method, order, step, richardson, step_ratio, noise, args, kwargs, full_output
        As for `derivative` (step may be one value per variable: a sequence of len(arrays)).

    Returns
    -------
    tuple of ndarray (or of FDResult)
        ``(df/dx, df/dy, ...)``, each of the broadcast shape.

    Examples
    --------
    The gradient field of f(x, y) = sin(x) cos(y):

    >>> import numpy as np
    >>> import fdcore
    >>> X, Y = np.meshgrid(np.linspace(-np.pi, np.pi, 5), np.linspace(-np.pi, np.pi, 5))
    >>> dz_dx, dz_dy = fdcore.partials(lambda x, y: np.sin(x) * np.cos(y), X, Y)
    >>> bool(np.allclose(dz_dx, np.cos(X) * np.cos(Y), atol=1e-9))
    True
    >>> bool(np.allclose(dz_dy, -np.sin(X) * np.sin(Y), atol=1e-9))
    True
    """
    refuse_compiled(f, "partials")
    check_callable(f)
    if not arrays:
        raise ValueError("partials needs at least one coordinate array")
    grid = np.broadcast_arrays(*[as_float_array(a, f"arrays[{k}]", ndim=None) for k, a in enumerate(arrays)])
    args, kwargs = call_arguments(args, kwargs)
    kwargs = kwargs or {}
    steps = step if isinstance(step, (list, tuple)) else [step] * len(grid)
    if len(steps) != len(grid):
        raise ValueError(f"step must be one value or one per variable ({len(grid)}), got {len(steps)}")
    results = []
    for k, (coordinate, step_k) in enumerate(zip(grid, steps)):

        def along(t, k=k):
            point = list(grid)
            point[k] = t
            return f(*point, *args, **kwargs)

        results.append(derivative(along, coordinate, method=method, order=order, step=step_k,
                                  richardson=richardson, step_ratio=step_ratio, noise=noise,
                                  full_output=full_output))
    return tuple(results)
