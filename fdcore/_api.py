"""The façade: validate input, choose steps and stencil, dispatch to a kernel.

Each entry point makes a private work copy of x (the caller's array is never written), picks the
per-coordinate steps (fdcore/_steps.py) and hands the work copy, a read-only view of it for f, and
the stencil to an evaluator (fdcore/_pykernels.pyx for Python callables).
"""

import numpy as np

from fdcore import _pykernels
from fdcore._steps import resolve_step
from fdcore._validation import (
    as_float_array,
    call_arguments,
    check_callable,
    check_method,
    check_out,
    flag_nonfinite,
    read_only_view,
)

FIRST_DERIVATIVE_METHODS = ("central", "forward", "backward")
# Stencil nodes (in units of h) of the two-point differences: (upper, lower).
_TWO_POINT_NODES = {"central": (1, -1), "forward": (1, 0), "backward": (0, -1)}


class _Work:
    """The private work copy of x, the read-only view f receives, and f's extra arguments."""

    __slots__ = ("w", "w_arg", "args", "kwargs")

    def __init__(self, f, x, args, kwargs):
        check_callable(f)
        self.w = as_float_array(x)
        self.w_arg = read_only_view(self.w)
        self.args, self.kwargs = call_arguments(args, kwargs)

    def scalar_at_centre(self, f):
        return _pykernels.eval_scalar(f, self.w_arg, self.args, self.kwargs)

    def vector_at_centre(self, f):
        return _pykernels.eval_vector(f, self.w_arg, self.args, self.kwargs)


def gradient(f, x, *, method="central", step=None, args=(), kwargs=None, out=None):
    """Gradient of a scalar function by finite differences.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs) -> float`` with ``x`` a 1-D array. f receives a read-only array
        that is only valid during the call (copy it if you keep it).
    x : array_like, shape (n,)
        The point. float32 input is computed and returned in float32; integers, booleans and
        float64 in float64. Never modified.
    method : {'central', 'forward', 'backward'}
        Two-point central difference (2n evaluations, error O(h^2)), or one-sided difference
        (n + 1 evaluations, error O(h)).
    step : float or array_like of shape (n,), optional
        Absolute step per coordinate. Default: ``EPS**(1/3) * max(1, |x_i|)`` for 'central' and
        ``EPS**(1/2) * max(1, |x_i|)`` one-sided, EPS being the machine epsilon of x's dtype.
    args, kwargs
        Extra arguments passed to f.
    out : ndarray, shape (n,), optional
        Array of x's computed dtype that receives the result.

    Returns
    -------
    ndarray, shape (n,)
        The gradient. Entries whose stencil met a NaN or inf value of f are NaN (with a
        ``RuntimeWarning`` naming the coordinates).

    Notes
    -----
    Each difference is divided by the realized distance between the perturbed points, e.g.
    ``(x_i + h_i) - (x_i - h_i)`` in floating point, not by ``2 h_i``.

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> fdcore.gradient(lambda p: p[0]**2 + p[1]**2, [1.0, 2.0]).round(8)
    array([2., 4.])
    >>> g = fdcore.gradient(lambda p: np.sin(p[0]) * np.cos(p[1]), [np.pi / 4, np.pi / 4])
    >>> g.round(8)
    array([ 0.5, -0.5])
    """
    work = _Work(f, x, args, kwargs)
    check_method(method, FIRST_DERIVATIVE_METHODS)
    h = resolve_step(step, work.w, 1, method)
    n = work.w.shape[0]
    out = np.empty(n, work.w.dtype) if out is None else check_out(out, (n,), work.w.dtype)
    upper, lower = _TWO_POINT_NODES[method]
    f0 = work.scalar_at_centre(f) if method != "central" else np.nan
    _pykernels.two_point_gradient(f, work.w, work.w_arg, h, upper, lower, f0, out, work.args, work.kwargs)
    return flag_nonfinite(out, "gradient")


def jacobian(f, x, *, method="central", step=None, args=(), kwargs=None, out=None):
    """Jacobian of a vector function f: R^n -> R^m by finite differences.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs) -> array_like of shape (m,)``; the same m at every point.
    x : array_like, shape (n,)
        The point (see `gradient` for dtypes). Never modified.
    method, step, args, kwargs
        As for `gradient`: 'central' costs 2n evaluations, 'forward'/'backward' n + 1.
    out : ndarray, shape (m, n), optional
        Array of x's computed dtype that receives the result.

    Returns
    -------
    ndarray, shape (m, n)
        ``J[k, i] = d f_k / d x_i``. Non-finite entries are NaN, with a ``RuntimeWarning``.

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> polar = lambda p: np.array([p[0] * np.cos(p[1]), p[0] * np.sin(p[1])])
    >>> fdcore.jacobian(polar, [2.0, 0.0]).round(8)
    array([[1., 0.],
           [0., 2.]])
    """
    work = _Work(f, x, args, kwargs)
    check_method(method, FIRST_DERIVATIVE_METHODS)
    h = resolve_step(step, work.w, 1, method)
    upper, lower = _TWO_POINT_NODES[method]
    f0 = work.vector_at_centre(f) if method != "central" else None
    if out is not None:  # m is known here only for one-sided stencils; the kernel checks it later
        check_out(out, (None if f0 is None else f0.shape[0], work.w.shape[0]), work.w.dtype)
    jac = _pykernels.two_point_jacobian(
        f, work.w, work.w_arg, h, upper, lower, f0, out, work.args, work.kwargs
    )
    return flag_nonfinite(jac, "Jacobian", index_of=lambda bad: np.flatnonzero(bad.any(axis=0)))


def hessian(f, x, *, method="central", step=None, args=(), kwargs=None, out=None):
    """Hessian of a scalar function by finite differences; the result is exactly symmetric.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs) -> float``.
    x : array_like, shape (n,)
        The point (see `gradient` for dtypes). Never modified.
    method : {'central', 'forward', 'backward'}
        'central': diagonal from the 3-point second difference, off-diagonal entries from the
        mixed stencil that reuses those axis points, error O(h^2), **n^2 + n + 1 evaluations**
        (2 per coordinate pair, not 4). 'forward'/'backward': one-sided stencils, error O(h),
        **n(n + 1)/2 + n + 1 evaluations**.
    step : float or array_like of shape (n,), optional
        Absolute step per coordinate. Default ``EPS**(1/4) * max(1, |x_i|)`` for 'central',
        ``EPS**(1/3) * max(1, |x_i|)`` one-sided.
    args, kwargs
        Extra arguments passed to f.
    out : ndarray, shape (n, n), optional
        Array of x's computed dtype that receives the result.

    Returns
    -------
    ndarray, shape (n, n)

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
    work = _Work(f, x, args, kwargs)
    check_method(method, FIRST_DERIVATIVE_METHODS)
    h = resolve_step(step, work.w, 2, method)
    n = work.w.shape[0]
    out = np.empty((n, n), work.w.dtype) if out is None else check_out(out, (n, n), work.w.dtype)
    f0 = work.scalar_at_centre(f)
    if method == "central":
        _pykernels.central_hessian(f, work.w, work.w_arg, h, f0, out, work.args, work.kwargs)
    else:
        sign = 1 if method == "forward" else -1
        _pykernels.one_sided_hessian(f, work.w, work.w_arg, h, sign, f0, out, work.args, work.kwargs)
    return flag_nonfinite(out, "Hessian", index_of=lambda bad: np.flatnonzero(bad.any(axis=0)))


def jvp(f, x, v, *, step=None, args=(), kwargs=None):
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
    check_callable(f)
    x = as_float_array(x)
    v = as_float_array(v, "v").astype(x.dtype, copy=False)
    if v.shape != x.shape:
        raise ValueError(f"v must have the shape of x, {x.shape}; got {v.shape}")
    args, kwargs = call_arguments(args, kwargs)
    kwargs = kwargs or {}
    vmax = float(np.max(np.abs(v)))
    if step is None:
        eps = np.finfo(x.dtype).eps
        t = eps ** (1 / 3) * max(1.0, float(np.max(np.abs(x)))) / vmax if vmax > 0 else 1.0
    else:
        t = float(step)
        if not (np.isfinite(t) and t > 0):
            raise ValueError(f"step must be a positive finite number, got {step!r}")
    x_hi = read_only_view(x + x.dtype.type(t) * v)
    x_lo = read_only_view(x - x.dtype.type(t) * v)
    f_hi = _real_value(f(x_hi, *args, **kwargs))
    f_lo = _real_value(f(x_lo, *args, **kwargs))
    if np.shape(f_hi) != np.shape(f_lo):
        raise ValueError(f"f returned shapes {np.shape(f_hi)} and {np.shape(f_lo)} at two points")
    result = (f_hi - f_lo) / (2.0 * t)
    if vmax == 0:
        result = result * 0.0  # the derivative along the zero vector
    if np.ndim(result) == 0:
        result = float(result)
        if not np.isfinite(result):
            flag_nonfinite(np.array([result]), "directional derivative", index_of=lambda b: [0])
            result = np.nan
        return result
    return flag_nonfinite(np.asarray(result, dtype=x.dtype), "jvp")


def directional_derivative(f, x, v, *, normalize=True, step=None, args=(), kwargs=None):
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
        norm = float(np.linalg.norm(v_arr))
        if norm == 0:
            raise ValueError("v must be nonzero to define a direction (or pass normalize=False)")
        v_arr = v_arr / norm
    return jvp(f, x, v_arr, step=step, args=args, kwargs=kwargs)


def derivative(f, x, *, n=1, method="central", step=None, args=(), kwargs=None):
    """Derivative of a scalar function of one variable, elementwise over an array of points.

    f must be vectorized: ``f(x)`` returns an array of x's shape. The result costs 2 calls of f
    (n=1 central), 2 calls (one-sided, plus f(x)) or 3 calls (n=2), each on the whole array.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs) -> ndarray`` of x's shape.
    x : array_like
        Points (any shape, a scalar included).
    n : {1, 2}
        Derivative order.
    method : {'central', 'forward', 'backward'}
        Stencil for n = 1; n = 2 uses the central 3-point second difference.
    step : float or array_like broadcastable to x, optional
        Default: ``EPS**(1/3)``, ``EPS**(1/2)`` (one-sided) or ``EPS**(1/4)`` (n=2), times
        ``max(1, |x|)``.

    Returns
    -------
    ndarray of x's shape (a NumPy scalar for scalar x)

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> fdcore.derivative(np.sin, [0.0, np.pi / 2]).round(8)
    array([1., 0.])
    >>> float(fdcore.derivative(np.exp, 0.0, n=2).round(6))
    1.0
    """
    check_callable(f)
    if n not in (1, 2):
        raise ValueError(f"n must be 1 or 2, got {n!r}")
    check_method(method, FIRST_DERIVATIVE_METHODS if n == 1 else ("central",))
    x = as_float_array(x, ndim=None)
    args, kwargs = call_arguments(args, kwargs)
    kwargs = kwargs or {}
    flat = x.reshape(-1)
    if step is not None:
        try:
            step = np.broadcast_to(step, x.shape).reshape(-1)
        except ValueError:
            raise ValueError(f"step must be a scalar or broadcastable to x's shape {x.shape}, got shape {np.shape(step)}") from None
    h = resolve_step(step, flat, n, method)

    def call(points):
        value = np.asarray(f(read_only_view(points.reshape(x.shape)), *args, **kwargs))
        if value.shape != x.shape:
            raise ValueError(f"f must return an array of x's shape {x.shape}, got shape {value.shape}")
        if value.dtype.kind not in "biuf":
            raise TypeError(f"f must return real values, got dtype {value.dtype}")
        return np.array(value, dtype=np.float64).reshape(-1)  # a copy: f may reuse its buffer

    x_hi = flat + h if method != "backward" else flat
    x_lo = flat - h if method != "forward" else flat
    if n == 1:
        f_hi, f_lo = call(x_hi), call(x_lo)
        result = (f_hi - f_lo) / (x_hi.astype(np.float64) - x_lo)
    else:
        f_hi, f0, f_lo = call(x_hi), call(flat), call(x_lo)
        p = x_hi.astype(np.float64) - flat
        q = flat.astype(np.float64) - x_lo
        result = 2.0 * ((f_hi - f0) / p - (f0 - f_lo) / q) / (p + q)
    result = flag_nonfinite(result.astype(x.dtype).reshape(x.shape), "derivative")
    return result[()] if result.ndim == 0 else result


def _real_value(value):
    """f's value as a float64 scalar or 1-D array, for the direction-based entry points."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"f must return real numbers, got dtype {arr.dtype}")
    if arr.ndim > 1:
        raise ValueError(f"f must return a scalar or a 1-D array, got shape {arr.shape}")
    return arr.astype(np.float64)
