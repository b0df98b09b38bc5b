"""Derivatives along a direction: jvp, directional_derivative (two evaluations of f whatever n
is) and hvp (4n evaluations of f, or two of its gradient)."""

import warnings
from typing import Any, Literal, Unpack, overload

import numpy as np
from numpy.typing import ArrayLike

from fdcore.derivatives import noise as noise_measurement
from fdcore.derivatives.axis import AxisOutcome, axis_derivative
from fdcore.derivatives.docs import document
from fdcore.derivatives.result import FDResult, finish
from fdcore.derivatives.types import (
    DirectionOptions,
    FloatArray,
    Objective,
    ProductOptions,
    ScalarFunction,
    VectorFunction,
)
from fdcore.derivatives.validation import (
    as_float_array,
    check_callable,
    checks_value_precision,
    flag_nonfinite,
    is_compiled_callback,
    read_only_view,
    user_stacklevel,
    watched,
)
from fdcore.evaluators.combine import two_point_quotients
from fdcore.evaluators.directions import AlongDirections
from fdcore.evaluators.protocol import BatchOptions, make_evaluator
from fdcore.evaluators.returns import FunctionValueError, note_precision
from fdcore.numerics.errors import retry_tolerance, roundoff_per_value
from fdcore.numerics.options import parse, real_number
from fdcore.numerics.steps import resolve_step, unit_direction_step


# The result's type follows f's: a float for a scalar f, an (m,) array for a vector f.
@overload
def jvp(f: ScalarFunction, x: ArrayLike, v: ArrayLike, **options: Unpack[DirectionOptions]) -> float: ...
@overload
def jvp(f: VectorFunction, x: ArrayLike, v: ArrayLike, **options: Unpack[DirectionOptions]) -> FloatArray: ...
@overload
def jvp(f: Objective, x: ArrayLike, v: ArrayLike, **options: Unpack[DirectionOptions]) -> Any: ...
@checks_value_precision
@document
def jvp(f, x, v, *, step=None, args=(), kwargs=None, num_threads=None, vectorized=False, workers=None):
    """Derivative of f along v: ``d/dt f(x + t v)`` at t = 0 (a Jacobian-vector product).

    Two evaluations, ``(f(x + h v) - f(x - h v)) / (2 h)``, whatever n is. This is the total
    derivative of f along a path through x with velocity v (the chain rule).

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)`` returning a scalar or a 1-D array.
    x, v : array_like, shape (n,)
        Point and direction (v is not normalised; see `directional_derivative`).
    step : float, optional
        Step t along v. Default ``EPS**(1/3) * max(1, max|x|) / max|v|``.
    args, kwargs
        Extra arguments passed to f.

    Returns
    -------
    float or ndarray of shape (m,)

    Examples
    --------
    Chain rule: z(t) = f(x(t), y(t)) with f = x^2 y, x = cos t, y = sin t; at t = 0.3,
    dz/dt = f_x x'(t) + f_y y'(t).

    >>> import numpy as np
    >>> import fdcore
    >>> f = lambda p: p[0]**2 * p[1]
    >>> t = 0.3
    >>> dz_dt = fdcore.jvp(f, [np.cos(t), np.sin(t)], [-np.sin(t), np.cos(t)])
    >>> exact = -2 * np.cos(t) * np.sin(t)**2 + np.cos(t)**3
    >>> bool(abs(dz_dt - exact) < 1e-9)
    True
    """
    return _along(f, x, v, step, args, kwargs, num_threads, vectorized, workers)


def _along(f, x, v, step, args, kwargs, num_threads=None, vectorized=False, workers=None, name="f"):
    """jvp of f (named ``name`` in errors and warnings: f, or hvp's grad)."""
    if not is_compiled_callback(f):
        check_callable(f, name)
    evaluator, x, v = along_direction(f, x, v, args, kwargs, num_threads, vectorized, workers)
    vmax, x_max = float(np.max(np.abs(v))), float(np.max(np.abs(x)))
    scale = 1.0
    if step is None:
        unit_step = unit_direction_step(float(np.finfo(x.dtype).eps), x_max)
        t = unit_step / vmax if vmax > 0 else 1.0
        if t > float(np.finfo(x.dtype).max):
            # v so small (subnormal) that the step along it overflows: differentiate along
            # v / max|v| and scale back (the derivative is linear in v).
            v, scale, t = v / x.dtype.type(vmax), vmax, unit_step
    else:
        t = direction_step(step)
    reach = x_max + t * vmax / scale  # max |x| + t max |v| (v / max|v| where rescaled)
    if reach > float(np.finfo(x.dtype).max):  # x +- t v would leave the floats
        largest = f"the largest {x.dtype} number"
        if step is not None:
            raise ValueError(f"step is too large: x +- step v exceeds {largest} (step = {t:.3g})")
        raise ValueError(f"x is too close to {largest}: x +- t v with the default step t = {t:.3g} exceeds it; "
                         "pass a smaller step= or rescale x")
    x_hi = read_only_view(x + x.dtype.type(t) * v)
    x_lo = read_only_view(x - x.dtype.type(t) * v)
    f_hi, f_lo = (_real_value(value, name) for value in evaluator.raw_values([x_hi, x_lo]))  # one batch if batched
    if np.shape(f_hi) != np.shape(f_lo):
        raise FunctionValueError(f"{name} returned shapes {np.shape(f_hi)} and {np.shape(f_lo)} at two points")
    # the kernels' two-point quotient (f_hi - f_lo) / (t - (-t)), which does not overflow on finite
    # values near the largest float; an overflowing derivative is reported below
    scalar = np.ndim(f_hi) == 0
    result = np.empty((1, np.size(f_hi)))
    two_point_quotients(np.asarray(f_hi, np.float64).reshape(1, -1), np.asarray(f_lo, np.float64).reshape(1, -1),
                        np.array([t]), np.array([-t]), result)
    result = result[0, 0] * scale if scalar else result[0] * scale
    if vmax == 0:
        result = result * 0.0  # the derivative along the zero vector
    values_finite = np.isfinite(f_hi) & np.isfinite(f_lo)
    if scalar:
        result = float(result)
        if not np.isfinite(result):
            _warn_nonfinite_along(name, t, "the directional derivative is NaN", bool(values_finite))
            result = np.nan
        return result
    result = np.asarray(result, dtype=x.dtype)
    bad = ~np.isfinite(result)
    if bad.any():
        result[bad] = np.nan
        _warn_nonfinite_along(name, t, f"the entries {', '.join(map(str, np.flatnonzero(bad)[:10]))} of the "
                                 "directional derivative are NaN", bool(values_finite[bad].all()))
    return result


def _warn_nonfinite_along(name, t, consequence, values_finite=False):
    cause = (f"the derivative along v exceeds the largest float ({name}'s values at x +- t v are finite)"
             if values_finite else f"{name} returned NaN or inf at x + t v or x - t v")
    warnings.warn(f"{cause} (t = {t:.3g}); {consequence}", RuntimeWarning, stacklevel=user_stacklevel())


@overload
def directional_derivative(f: ScalarFunction, x: ArrayLike, v: ArrayLike, *, normalize: bool = True,
                           **options: Unpack[DirectionOptions]) -> float: ...
@overload
def directional_derivative(f: VectorFunction, x: ArrayLike, v: ArrayLike, *, normalize: bool = True,
                           **options: Unpack[DirectionOptions]) -> FloatArray: ...
@overload
def directional_derivative(f: Objective, x: ArrayLike, v: ArrayLike, *, normalize: bool = True,
                           **options: Unpack[DirectionOptions]) -> Any: ...
@document
def directional_derivative(f, x, v, *, normalize=True, step=None, args=(), kwargs=None, num_threads=None,
                           vectorized=False, workers=None):
    """Rate of change of f at x along the direction v.

    With ``normalize=True`` (the textbook definition) this is ``grad f(x) . v / |v|``, the
    derivative along the unit vector of v; with ``normalize=False`` it is `jvp`. Costs two
    evaluations of f whatever n is.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)`` returning a scalar (or a 1-D array: then the result is (m,)).
    x, v : array_like, shape (n,)
        Point and direction; v must be nonzero when ``normalize=True``.
    normalize : bool
        Divide v by its Euclidean norm first.
    step, args, kwargs
        As for `jvp`.

    Examples
    --------
    >>> import fdcore
    >>> d = fdcore.directional_derivative(lambda p: p[0]**2 - p[1]**2, [1.0, 2.0], [3.0, 4.0])
    >>> round(d, 8)
    -2.0
    """
    v_arr = as_float_array(v, "v")
    if normalize:
        # |v| as max|v| |v / max|v||: neither overflows (v ~ 1e308) nor underflows (v ~ 5e-324).
        scale = float(np.max(np.abs(v_arr)))
        if scale == 0:
            raise ValueError("v must be nonzero to define a direction (or pass normalize=False)")
        unit = v_arr / v_arr.dtype.type(scale)
        v_arr = unit / unit.dtype.type(np.linalg.norm(unit))
    return jvp(f, x, v_arr, step=step, args=args, kwargs=kwargs, num_threads=num_threads,
               vectorized=vectorized, workers=workers)


@overload
def hvp(f: Objective | None, x: ArrayLike, v: ArrayLike, *, full_output: Literal[False] = False,
        **options: Unpack[ProductOptions]) -> FloatArray: ...
@overload
def hvp(f: Objective | None, x: ArrayLike, v: ArrayLike, *, full_output: Literal[True],
        **options: Unpack[ProductOptions]) -> FDResult[FloatArray]: ...
@overload
def hvp(f: Objective | None, x: ArrayLike, v: ArrayLike, *, full_output: bool,
        **options: Unpack[ProductOptions]) -> FloatArray | FDResult[FloatArray]: ...
@checks_value_precision
@document
def hvp(f, x, v, *, grad=None, step=None, richardson=False, noise=None, full_output=False, args=(), kwargs=None,
        num_threads=None, vectorized=False, workers=None):
    """Hessian-vector product H(x) v, from f alone (4n evaluations) or from a gradient (2 of them).

    H itself is never formed, so this scales to any n (memory O(n)).

    - From f: ``(g(x + t v) - g(x - t v)) / (2 t)`` with g the central-difference gradient at
      inner steps h_i, i.e. the 4-point mixed difference along v and each e_i,
      ``[f(x+tv+h e_i) - f(x+tv-h e_i) - f(x-tv+h e_i) + f(x-tv-h e_i)] / (4 t h_i)``:
      **4n evaluations**, through the gradient kernels (compiled callbacks nogil, vectorized f,
      workers). Steps ``h_i = EPS**(1/4) max(1, |x_i|)`` and ``t = EPS**(1/4) min_i max(1, |x_i|) / |v_i|``
      over the v_i != 0 (no coordinate moves along v by more than its own step ``h_i``).
    - From ``grad``: ``(grad(x + t v) - grad(x - t v)) / (2 t)`` with
      ``t = EPS**(1/3) max(1, |x|_inf) / |v|_inf``, the `jvp` of the gradient: **2 gradient
      evaluations**.
    - From f with ``richardson=True`` (the accurate mode): by polarization,
      ``(H v)_i = (q_i^+ - q_i^-) / (4 c)`` with ``q_i^+- = (v +- c e_i)^T H (v +- c e_i)``,
      ``c = |v|_inf``, each a second directional derivative of f taken by the accurate
      `hessian_diagonal` machinery along its direction (Richardson levels, the step-scale
      search, domain retries, f's noise measured once along the directions): **16 to 90
      evaluations per component** (the most near a domain edge, where one-sided plans and
      smaller windows follow the central one); over the problem suite's 50 scalar functions,
      median relative error 4.2e-12 at 21.6 evaluations per component, 45 within 1e-6.

    Parameters
    ----------
    f : callable, compiled callback or None
        The scalar objective ``f(x, *args, **kwargs) -> float``; may be None when ``grad`` is
        given (it is then not evaluated).
    x, v : array_like, shape (n,)
        Point and direction (not normalised).
    grad : callable, optional
        An analytic gradient ``grad(x, *args, **kwargs) -> array of shape (n,)`` (or a compiled
        vector callback with m = n).
    step : float, optional
        The step t along v (from f, the inner steps h keep their default); not with
        ``richardson``.
    richardson : bool or int, optional
        From f only: ``True`` is the accurate mode above; an int is a number of Richardson
        levels of every second directional derivative, without the step-scale search.
    noise : float, optional
        With ``richardson``: the absolute error of one value of f (default: measured from f's
        values where the estimates show more than round-off).
    full_output : bool, optional
        With ``richardson``: return an `FDResult` whose ``error`` is the estimated absolute
        error of each component and ``step`` the finest step (the largest move of a
        coordinate) of its two second derivatives.
    args, kwargs
        Extra arguments passed to f (or to grad).

    Returns
    -------
    ndarray, shape (n,), or FDResult

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> f = lambda x: 0.5 * x @ A @ x + np.sin(x[0])
    >>> x, v = np.array([0.5, -1.0]), np.array([1.0, 2.0])
    >>> exact = A @ v - np.sin(0.5) * np.array([1.0, 0.0])
    >>> bool(np.allclose(fdcore.hvp(f, x, v), exact, rtol=1e-6))
    True
    >>> grad = lambda x: A @ x + np.array([np.cos(x[0]), 0.0])
    >>> bool(np.allclose(fdcore.hvp(None, x, v, grad=grad), exact, rtol=1e-8))
    True
    >>> r = fdcore.hvp(f, x, v, richardson=True, full_output=True)
    >>> bool(np.all(np.abs(r.value - exact) <= r.error)), bool(np.all(r.error < 1e-8 * np.abs(exact)))
    (True, True)
    """
    if (richardson is not False and richardson is not None) or full_output:
        if grad is not None:
            raise ValueError("richardson= and full_output= are for the product from f; with grad= it is one "
                             "difference of the gradient (use grad=None to differentiate f)")
        if step is not None:
            raise ValueError("step= and richardson= do not combine for hvp: the accurate mode chooses the steps "
                             "of every second directional derivative itself")
        if richardson is False or richardson is None:
            raise ValueError("full_output=True needs richardson= (the plain product from f carries no error "
                             "estimate)")
        if f is None:
            raise TypeError("hvp needs f (a scalar function) for richardson=; f is None")
        return _accurate_hvp(f, x, v, richardson, noise, full_output, args, kwargs, num_threads, vectorized, workers)
    if noise is not None:
        raise ValueError("noise= is for richardson= (the plain product has no error estimate to inform)")
    if grad is not None:
        result = _along(grad, x, v, step, args, kwargs, num_threads, vectorized, workers, name="grad")
        if np.shape(result) != np.shape(x):
            raise FunctionValueError(f"grad must return the gradient, a 1-D array of x's shape {np.shape(x)}, got "
                                     f"shape {np.shape(result) or 'a scalar'}")
        return result
    if f is None:
        raise TypeError("hvp needs f (a scalar function) or grad= (its gradient); both are None")
    return hvp_from_f(f, x, v, step, args, kwargs, num_threads, vectorized, workers)[0]


def _accurate_hvp(f, x, v, richardson, noise, full_output, args, kwargs, num_threads, vectorized, workers):
    """H v from f by polarization over second directional derivatives (see `hvp`)."""
    opts = parse("central", None, richardson, 2.0, noise)
    evaluator, x, v = along_direction(f, x, v, args, kwargs, num_threads, vectorized, workers)
    v64 = v.astype(np.float64)
    c = float(np.max(np.abs(v64)))
    n = x.shape[0]
    if c == 0:
        value, error, step, nfev = np.zeros(n), np.zeros(n), np.zeros(n), 0
    else:
        u = v64 / c  # H v = c H u, u of unit max-norm: no overflow or underflow from |v|
        f0 = evaluator.scalar()
        nfev = 1
        tolerance = retry_tolerance(opts.accurate, None, x.dtype, derivative=2)
        noise = opts.noise
        quadratic, errors, steps = [], [], []
        for shift in (1.0, -1.0):
            # q_i = (u + shift e_i)^T H (u + shift e_i), the second derivative along the direction
            # scaled to unit max-norm (a_i), so that the axis plans' unit scale is f's
            a, length, s0 = polarization_directions(x, u, shift)
            directions = AlongDirections(evaluator, u, shift, a, s0)
            if noise is None and opts.accurate:
                # f's noise first, once, along the directions: a point x + o d_i off the axes is
                # rounded in every coordinate, and at |x_j| >> 1 that rounding, |grad f| ulp(x_j),
                # is noise the round-off model (F_ULPS ulps of |f|) misses (sin at x ~ 1e8: the
                # error estimates covered 0 of 4 components without it). 0 where it is within the
                # model: measured, so the axis search does not measure it again.
                measured, spent = noise_measurement.noise_bound(directions, f0)
                nfev += spent
                modelled = roundoff_per_value(abs(f0), float(np.finfo(x.dtype).eps))
                noise = float(measured) if np.isfinite(measured) and measured > modelled else 0.0
            h = resolve_step(None, directions.x, 2, "central", opts.order, opts.levels, opts.ratio)
            outcome = axis_derivative(directions, 2, opts.order, "central", opts.levels, opts.ratio, h,
                                      noise, False, f0=f0, retry_tolerance=tolerance)
            nfev += outcome.nfev
            # q_i = |u + shift e_i|_inf^2 times g's second derivative; 0 for a zero direction
            quadratic.append(outcome.value * length**2)
            errors.append(outcome.error * length**2)
            steps.append(np.where(length > 0, outcome.step, np.inf))
        with np.errstate(over="ignore", invalid="ignore"):
            value = (quadratic[0] - quadratic[1]) * (c / 4.0)
            error = (errors[0] + errors[1]) * (c / 4.0)
        step = np.minimum(*steps)
    value = value.astype(x.dtype)
    flag_nonfinite(value, "Hessian-vector product")
    return finish(value, AxisOutcome(value, error, step, nfev), opts, full_output)


def polarization_directions(x, v, shift):
    """(a, length, s0) of the directions d_i = a_i (v + shift e_i), in O(n) (v of unit max-norm).

    length_i = |v + shift e_i|_inf and a_i = 1 / length_i (0 where that direction is zero), so
    that a unit step moves no coordinate by more than 1. s0_i = min_j |x_j| / |d_ij| over the coordinates d_i moves: the
    scale of x along d_i, which the axis plans treat as they treat |x_i| (default steps on the
    scale max(1, s0_i), a unit-scale check where s0_i >> 1, the scale s0_i where f fails on
    the default window and s0_i << 1)."""
    n = x.shape[0]
    magnitude = np.abs(v)
    own = np.abs(v + shift)
    # max_{j != i} |v_j| and min_{j != i} |x_j| / |v_j| from the two extreme entries
    largest = np.argmax(magnitude)
    others_max = np.full(n, magnitude[largest])
    others_max[largest] = np.max(np.delete(magnitude, largest), initial=0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(magnitude > 0, np.abs(x.astype(np.float64)) / magnitude, np.inf)
        own_ratio = np.where(own > 0, np.abs(x.astype(np.float64)) / own, np.inf)
    smallest = np.argmin(ratio)
    others_min = np.full(n, ratio[smallest])
    others_min[smallest] = np.min(np.delete(ratio, smallest), initial=np.inf)
    length = np.maximum(others_max, own)
    moved = length > 0
    a = np.where(moved, 1.0 / np.where(moved, length, 1.0), 0.0)
    with np.errstate(invalid="ignore"):  # (inf * 0 for a zero direction, replaced)
        scale = np.where(moved, np.minimum(others_min, own_ratio) * length, 0.0)
    return a, length, np.where(np.isfinite(scale), scale, 0.0)


def hvp_from_f(f, x, v, step=None, args=(), kwargs=None, num_threads=None, vectorized=False, workers=None,
               inner=None):
    """(H v, t, h, nfev) from f by central gradients at x +- t v (see `hvp`); ``inner``: the inner
    steps h (default EPS^(1/4) max(1, |x_i|))."""
    if not is_compiled_callback(f):
        check_callable(f, "f")
    batch = BatchOptions(vectorized, workers)
    evaluator = make_evaluator(watched(f, vectorized), x, args, kwargs, num_threads, batch)
    x = evaluator.x
    v = as_float_array(v, "v").astype(x.dtype, copy=False)
    if v.shape != x.shape:
        raise ValueError(f"v must have the shape of x, {x.shape}; got {v.shape}")
    vmax, x_max = float(np.max(np.abs(v))), float(np.max(np.abs(x)))
    # Steps. The 4-point difference has truncation O(t^2 + h^2) (fourth-derivative terms of f
    # times t^2 / 6 and h^2 / 6) and round-off ~ EPS |f| / (t h): balanced at t ~ h ~ EPS^(1/4)
    # on the scale of x, as for the central Hessian stencil (Dennis & Schnabel, Numerical
    # Methods for Unconstrained Optimization, 1983, sec. 5.6 and A5.6.2: second differences of
    # f want EPS^(1/3) one-sided, EPS^(1/4) central). t is per unit of |v|_inf.
    h = resolve_step(None, x, 2, "central") if inner is None else inner
    if step is None:
        t = hvp_step(x, v) if vmax > 0 else 1.0
    else:
        t = direction_step(step)
    if vmax == 0:
        return np.zeros_like(x), t, h, 0
    if not np.isfinite(t) or x_max + t * vmax + float(np.max(h)) > float(np.finfo(x.dtype).max):
        raise ValueError(f"x +- t v (t = {t:.3g}) leaves the {x.dtype} range: pass a smaller step= or rescale v")
    extra, kw = evaluator.args, evaluator.kwargs
    gradients = []
    for sign in (1, -1):
        base = x + x.dtype.type(sign * t) * v
        shifted = make_evaluator(watched(f, vectorized), base, extra, kw, num_threads, batch)
        g = np.empty_like(x)
        try:
            shifted.two_point_gradient(h, 1, -1, np.nan, g)
        except ValueError as exc:  # FunctionValueError is one too
            _explain_vector_f(shifted, exc)
            raise
        gradients.append(g.astype(np.float64))
    with np.errstate(over="ignore", invalid="ignore"):
        result = ((gradients[0] - gradients[1]) / (2.0 * t)).astype(x.dtype)
    bad = ~np.isfinite(result)
    if bad.any():
        result[bad] = np.nan
        warnings.warn(f"f returned NaN or inf at stencil points of x +- t v +- h e_i (t = {t:.3g}); the entries "
                      f"{', '.join(map(str, np.flatnonzero(bad)[:10]))} of the Hessian-vector product are NaN",
                      RuntimeWarning, stacklevel=user_stacklevel())
    return result, t, h, 4 * x.shape[0]


def hvp_step(x, v):
    """The default step t along a nonzero v of the HVP from f: t |v_i| <= EPS^(1/4) max(1, |x_i|)
    for every i, so that no coordinate moves by more than its own default second-difference step
    (a badly scaled x, e.g. meyer's (0.02, 4000, 250), would otherwise move x_0 by 0.5 with the
    scale of x_1)."""
    moved = np.abs(v) > 0
    eps = float(np.finfo(x.dtype).eps)
    return eps**0.25 * float(np.min(np.maximum(1.0, np.abs(x[moved].astype(np.float64))) / np.abs(v[moved])))


def _explain_vector_f(evaluator, exc):
    """Re-raise a scalar kernel's complaint about f as the hvp mistake it usually is: f given a
    gradient function (hvp's first argument was the gradient until grad= took it)."""
    if "scalar callback" in str(exc):
        raise ValueError("f must be a scalar callback for hvp (double f(int n, double *x, void *user_data)); "
                         "a gradient callback goes to grad=: hvp(None, x, v, grad=g)") from exc
    if not isinstance(exc, FunctionValueError):
        return
    try:
        (value,) = evaluator.raw_values([evaluator.x_view])
    except Exception:  # noqa: BLE001 - the original error is the one to show
        return
    if np.ndim(value) >= 1 and np.size(value) > 1:
        raise FunctionValueError(f"f must return a scalar for hvp(f, x, v) (it differentiates f twice); it returned "
                                 f"shape {np.shape(value)}. If f is the gradient, pass it as grad=: "
                                 "hvp(None, x, v, grad=g)") from exc


def along_direction(f, x, v, args, kwargs, num_threads, vectorized, workers):
    """(the evaluator of f at x, its x, v checked and in x's dtype) for the derivatives along v."""
    evaluator = make_evaluator(watched(f, vectorized), x, args, kwargs, num_threads, BatchOptions(vectorized, workers))
    x = evaluator.x
    v = as_float_array(v, "v").astype(x.dtype, copy=False)
    if v.shape != x.shape:
        raise ValueError(f"v must have the shape of x, {x.shape}; got {v.shape}")
    return evaluator, x, v


def direction_step(step):
    """The user's step t along v, checked."""
    expected = "a positive number (the step t along v)"
    # float() would take "1e-3", [1e-3] and True
    if isinstance(step, (str, bytes, bool, np.bool_)) or np.ndim(step) != 0:
        raise TypeError(f"step must be {expected}, got {step!r:.60}")
    t = real_number(step, "step", expected)
    if not (np.isfinite(t) and t > 0):
        raise ValueError(f"step must be a positive finite number, got {step!r}")
    return t


def _real_value(value, name):
    """f's value (``name``: f, or hvp's grad) as a float64 scalar or 1-D array, for the
    direction-based entry points."""
    arr = np.asarray(value)
    note_precision(arr)
    if arr.dtype.kind not in "biuf":
        raise FunctionValueError(f"{name} must return real numbers, got dtype {arr.dtype}")
    if arr.ndim > 1:
        raise FunctionValueError(f"{name} must return a scalar or a 1-D array, got shape {arr.shape}")
    return arr.astype(np.float64)
