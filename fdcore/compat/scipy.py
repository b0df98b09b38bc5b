"""SciPy-compatible finite differences, evaluated by fdcore's evaluators.

``from fdcore.compat.scipy import approx_derivative, approx_fprime, check_grad`` replaces the SciPy
functions of the same names with the same documented semantics: SciPy's default relative steps
(EPS^(1/2) for '2-point' and 'cs', EPS^(1/3) for '3-point'), signed steps h = rel_step * sign(x0) *
max(1, |x0|) made representable, steps flipped or stencils made one-sided near bounds, the same
return shapes (a 1-D gradient for scalar functions; csr for ``sparsity``; a LinearOperator for
``as_linear_operator``) and the same errors for bad input. The evaluation loop is fdcore's (no
per-evaluation copy of x), which is where the time goes.

Examples
--------
>>> import numpy as np
>>> from fdcore.compat.scipy import approx_derivative, approx_fprime
>>> def f(x, c1, c2):
...     return np.array([x[0] * np.sin(c1 * x[1]), x[0] * np.cos(c2 * x[1])])
>>> approx_derivative(f, np.array([1.0, 0.5 * np.pi]), args=(1, 2)).round(8)
array([[ 1.,  0.],
       [-1.,  0.]])
>>> approx_fprime(np.array([1.0, 2.0]), lambda x: x[0] ** 2 + x[1] ** 2).round(6)
array([2., 4.])
"""

import numpy as np

from fdcore.derivatives.complex_step import require_complex_input
from fdcore.derivatives.objective import bind_objective
from fdcore.derivatives.validation import (
    as_float_array,
    read_only_view,
    refuse_compiled,
)

__all__ = ["approx_derivative", "approx_fprime", "check_grad"]
_EPS = np.finfo(np.float64).eps
_METHODS = ("2-point", "3-point", "cs")


def _relative_step(method):
    return _EPS ** 0.5 if method in ("2-point", "cs") else _EPS ** (1 / 3)


def _as_x0(x0, name="x0"):
    """x0 as SciPy takes it (at most 1-D; a scalar is one variable) as a private, checked copy.

    Unlike SciPy, a NaN or inf x0, a complex x0 or entries that are not numbers are refused
    (naming the argument), and the function never receives the caller's array.
    """
    try:
        xp = np.asarray(x0)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be an array of real numbers: {exc}") from None
    if xp.ndim > 1:
        raise ValueError(f"`{name}` must have at most 1 dimension.")
    if xp.size == 0:  # SciPy's empty Jacobian
        return np.zeros(0)
    return as_float_array(np.atleast_1d(xp), f"`{name}`")


def _checked_value(raw, name="fun", kinds="biuf"):
    """fun's value as an array of at most one dimension (SciPy's rule), real unless ``kinds`` says."""
    if raw is None or isinstance(raw, (str, bytes)):
        raise TypeError(f"`{name}` must return a real number or a 1-D array of them, got {type(raw).__name__}")
    value = np.atleast_1d(raw)
    if value.dtype.kind not in kinds:
        raise TypeError(f"`{name}` must return real numbers, got dtype {value.dtype}")
    if value.ndim > 1:
        raise RuntimeError(f"`{name}` return value has more than 1 dimension.")
    return value


def _step_array(step, x0, name):
    if np.shape(step) not in ((), x0.shape):
        raise ValueError(f"`{name}` must be a scalar or have the shape of x0, {x0.shape}; got shape {np.shape(step)}")
    return np.asarray(step, dtype=float)


def _absolute_step(rel_step, abs_step, x0, method):
    """SciPy's step rule: signed, representable, with the default wherever a step vanishes."""
    sign = (x0 >= 0).astype(float) * 2 - 1
    default = _relative_step(method) * sign * np.maximum(1.0, np.abs(x0))
    if abs_step is not None:
        h = np.broadcast_to(_step_array(abs_step, x0, "abs_step"), x0.shape).copy()
    elif rel_step is not None:
        h = _step_array(rel_step, x0, "rel_step") * sign * np.abs(x0)
    else:
        return default
    dx = (x0 + h) - x0
    return np.where(dx == 0, default, h)


def _prepare_bounds(bounds, x0):
    try:
        lb, ub = (np.asarray(b, dtype=float) for b in bounds)
    except (TypeError, ValueError):
        raise TypeError("`bounds` must be a pair (lb, ub) of scalars or arrays of shape (n,)") from None
    if lb.ndim == 0:
        lb = np.resize(lb, x0.shape)
    if ub.ndim == 0:
        ub = np.resize(ub, x0.shape)
    return lb, ub


def approx_derivative(fun, x0, method="3-point", rel_step=None, abs_step=None, f0=None,
                      bounds=(-np.inf, np.inf), sparsity=None, as_linear_operator=False, args=(),
                      kwargs=None, full_output=False, workers=None):
    """Finite-difference Jacobian with scipy.optimize's ``approx_derivative`` semantics.

    See SciPy's documentation; differences: ``workers`` takes fdcore's kinds (an int process
    pool, an Executor, a dask Client, a map-like callable). Returns J (and ``{"nfev": ...}``
    with ``full_output``).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args, **kwargs)`` with x of shape (n,), returning a real scalar or a 1-D array
        of shape (m,) (complex values are allowed for 'cs'). x must not be modified or kept.
    x0 : array_like, shape (n,) or scalar
        The point (a scalar is one variable). Unlike SciPy, NaN, inf or complex entries raise.
    method : {'3-point', '2-point', 'cs'}, optional
        Central differences (2 evaluations per variable, the default), forward differences
        (1 per variable) or the complex step (1 per variable; fun must be complex-analytic).
    rel_step : float or array_like of shape (n,), optional
        Relative step: h = rel_step * sign(x0) * |x0|. Default EPS**(1/2) ('2-point', 'cs') or
        EPS**(1/3) ('3-point') times sign(x0) * max(1, |x0|), also used wherever h vanishes.
    abs_step : float or array_like of shape (n,), optional
        Absolute step, used instead of ``rel_step``; entries with x0 + h == x0 get the default
        relative step.
    f0 : array_like, optional
        ``fun(x0)`` if already known (scalar or shape (m,)): saves one evaluation.
    bounds : (lb, ub), optional
        Scalars or arrays of shape (n,) that x0 must satisfy (default unbounded). For a dense J,
        steps are reversed, shrunk or made one-sided to stay inside; 'cs' ignores the bounds.
    sparsity : array_like, sparse matrix or (structure, groups) tuple, optional
        The (m, n) nonzero pattern: J is computed by column grouping and returned as a
        scipy.sparse csr array. fdcore makes its own groups (``groups`` is ignored); 'cs' uses
        central differences here.
    as_linear_operator : bool, optional
        Return J as a scipy.sparse.linalg.LinearOperator of shape (m, n) whose product with p is
        one directional difference along p (step rel_step / |p|). Needs unbounded ``bounds``.
    args : tuple, optional
        Extra positional arguments passed to fun.
    kwargs : dict, optional
        Extra keyword arguments passed to fun (default none).
    full_output : bool, optional
        Also return ``{"nfev": number of evaluations of fun}`` (not with ``as_linear_operator``).
    workers : int, Executor, dask.distributed.Client or map-like callable, optional
        Evaluate the points in parallel (dense J only): an int is a process pool that fdcore
        creates; or an Executor, a dask Client or a map-like callable.

    Returns
    -------
    J : ndarray of shape (m, n), csr array or LinearOperator
        ``J[i, j] = d fun_i / d x_j``; shape (n,) when fun has a single output.
    info : dict
        ``{"nfev": ...}``, only with ``full_output``.
    """
    if method not in _METHODS:
        raise ValueError(f"Unknown method '{method}'. ")
    if not callable(fun):
        raise TypeError(f"`fun` must be callable, got {type(fun).__name__}")
    refuse_compiled(fun, "approx_derivative", "fun")
    kwargs = {} if kwargs is None else kwargs
    x0 = _as_x0(x0)
    lb, ub = _prepare_bounds(bounds, x0)
    if lb.shape != x0.shape or ub.shape != x0.shape:
        raise ValueError("Inconsistent shapes between bounds and `x0`.")
    if np.any(lb > ub):
        raise ValueError(f"`bounds` are inconsistent: lb > ub at coordinates {np.flatnonzero(lb > ub)[:10]}")
    if as_linear_operator and not (np.all(np.isinf(lb)) and np.all(np.isinf(ub))):
        raise ValueError("Bounds not supported when `as_linear_operator` is True.")

    kinds = "biufc" if method == "cs" else "biuf"

    def fun_wrapped(x):
        return _checked_value(fun(x, *args, **kwargs), kinds=kinds)

    nfev = 0
    scalar_fun = False
    if f0 is None:
        raw = fun(read_only_view(x0), *args, **kwargs)
        scalar_fun = np.ndim(raw) == 0
        f0 = _checked_value(raw, kinds=kinds)
        nfev += 1
    else:
        scalar_fun = np.ndim(f0) == 0
        f0 = np.atleast_1d(f0)
        if f0.ndim > 1:
            raise ValueError("`f0` passed has more than 1 dimension.")
    if np.any((x0 < lb) | (x0 > ub)):
        raise ValueError("`x0` violates bound constraints.")
    if x0.size == 0:  # the derivative with respect to no variables
        J = np.zeros((f0.shape[0], 0))
        J = np.ravel(J) if f0.shape[0] == 1 else J
        return (J, {"nfev": nfev}) if full_output else J
    if as_linear_operator:
        return _linear_operator(fun_wrapped, x0, f0, method, rel_step)

    h = _absolute_step(rel_step, abs_step, x0, method)
    one_sided = np.zeros(x0.shape, dtype=bool)
    if method == "2-point":
        # A step that leaves the box is reversed if it fits on the other side; a step that fits
        # on neither side becomes the whole room of the roomier side.
        room_up, room_down = ub - x0, x0 - lb
        leaves = (x0 + h < lb) | (x0 + h > ub)
        fits = np.abs(h) <= np.maximum(room_up, room_down)
        h = np.where(leaves & fits, -h, h)
        h = np.where(~fits, np.where(room_up >= room_down, room_up, -room_down), h)
    elif method == "3-point":
        room_up, room_down = ub - x0, x0 - lb
        need = np.abs(h)
        central_ok = (need <= room_up) & (need <= room_down)
        forward = room_up >= room_down
        # Not central: one-sided towards the roomier side (x + h and x + 2h must fit) ...
        one_sided_h = np.where(forward, 1, -1) * np.minimum(need, np.maximum(room_up, room_down) / 2)
        # ... unless that step is no longer than the smaller room: then a central difference
        # with the smaller room as its step is both feasible and more accurate.
        smaller = np.minimum(room_up, room_down)
        back_to_central = ~central_ok & (np.abs(one_sided_h) <= smaller)
        one_sided = ~central_ok & ~back_to_central
        h = np.where(one_sided, one_sided_h, np.where(back_to_central, smaller, h))

    m = f0.shape[0]
    if scalar_fun and not kwargs and not args:
        f = fun  # a scalar function goes to the kernels as it is: no wrapper per evaluation
    elif m > 1:
        f = fun_wrapped  # the kernels check that every value has the same shape
    else:
        def f(x):
            value = fun_wrapped(x)
            if value.shape != (1,):
                raise ValueError(f"`fun` returned shape {value.shape}, but {np.shape(f0)} at x0")
            return value[0]
    if sparsity is not None:
        J, spent = _sparse(fun_wrapped, x0, h, method, sparsity, f0, one_sided)
        nfev += spent
    else:
        J, spent = _dense(f, x0, h, method, f0, one_sided, m, workers)
        nfev += spent
        if J.shape[0] != m:
            raise ValueError(f"`fun` returned {J.shape[0]} values near x0, but {m} at x0: its shape changed")
        if m == 1:
            J = np.ravel(J)
    return (J, {"nfev": nfev}) if full_output else J


def _dense(f, x0, h, method, f0, one_sided, m, workers):
    """The dense Jacobian through fdcore's evaluators; returns (J, evaluations)."""
    objective = bind_objective(f, x0, workers=workers)
    n = x0.shape[0]
    if method == "cs":
        require_complex_input(objective)
        return objective.complex_jacobian(np.ascontiguousarray(np.abs(h)), lambda z: np.atleast_1d(f(z))), n
    step = np.ascontiguousarray(h, dtype=x0.dtype)
    if one_sided.any():
        return _three_point_mixed(objective, step, f0, one_sided, m), 2 * n
    plus, minus = (1, 0) if method == "2-point" else (1, -1)
    nfev = n * (1 if method == "2-point" else 2)
    if m == 1:
        out = np.empty(n, dtype=x0.dtype)
        objective.two_point_gradient(step, plus, minus, float(f0[0]), out)
        return out[None, :], nfev
    J = objective.two_point_jacobian(step, plus, minus, f0.astype(np.float64) if minus == 0 else None, None)
    return np.asarray(J), nfev


def _three_point_mixed(objective, h, f0, one_sided, m):
    """3-point differences where the bounds force some coordinates one-sided (h_i signed, towards
    the roomier side): (-3 f0 + 4 f(x + h_i e_i) - f(x + 2 h_i e_i)) / (realized 2 h_i) there,
    (f(x + h_i e_i) - f(x - h_i e_i)) / (realized span) elsewhere; 2 evaluations per coordinate."""
    x = objective.x
    J = np.empty((m, x.shape[0]))
    for nodes, coords in (((1.0, 2.0), np.flatnonzero(one_sided)), ((-1.0, 1.0), np.flatnonzero(~one_sided))):
        coords = coords.astype(np.intp)
        offsets = np.empty((coords.size, 2))
        if m == 1:
            values = np.empty((coords.size, 2))
            objective.axis_values(h, np.array(nodes), coords, values, offsets)
            values = values[:, :, None]
        else:
            values = np.empty((coords.size, 2, m))
            objective.axis_values_vector(h, np.array(nodes), coords, values, offsets)
        if nodes[0] > 0:
            J[:, coords] = ((-3.0 * f0 + 4 * values[:, 0] - values[:, 1]) / offsets[:, 1:]).T
        else:
            span = (x[coords] + h[coords]) - (x[coords] - h[coords])
            J[:, coords] = ((values[:, 1] - values[:, 0]) / span[:, None]).T
    return J


def _sparse(fun, x0, h, method, sparsity, f0, one_sided):
    from fdcore.derivatives.sparse import as_pattern, sparse_jacobian

    if one_sided.any():
        raise NotImplementedError("sparsity with bounds that force one-sided 3-point stencils is not supported yet")
    structure = sparsity[0] if isinstance(sparsity, tuple) else sparsity
    evaluator = bind_objective(fun, x0)
    m = f0.shape[0]
    J, nfev, _ = sparse_jacobian(evaluator, np.abs(h).astype(x0.dtype), as_pattern(structure, (m, x0.shape[0])),
                                 "forward" if method == "2-point" else "central")
    return J, nfev


def _linear_operator(fun, x0, f0, method, rel_step):
    """J as a LinearOperator: J p by one directional difference along p (SciPy's semantics)."""
    from scipy.sparse.linalg import LinearOperator

    m, n = f0.size, x0.size
    rstep = _relative_step(method) if rel_step is None else rel_step

    def matvec(p):
        p = np.asarray(p).ravel()
        if np.array_equal(p, np.zeros_like(p)):
            return np.zeros(m)
        dx = rstep / np.linalg.norm(p)
        if method == "2-point":
            return (fun(x0 + dx * p) - f0) / dx
        if method == "3-point":
            return (fun(x0 + dx * p) - fun(x0 - dx * p)) / (2 * dx)
        return fun(x0 + 1j * dx * p).imag / dx

    return LinearOperator((m, n), matvec)


def approx_fprime(xk, f, epsilon=_EPS ** 0.5, *args):
    """scipy.optimize.approx_fprime: forward differences with the absolute step ``epsilon``.

    Parameters
    ----------
    xk : array_like, shape (n,) or scalar
        The point (finite reals).
    f : callable
        ``f(xk, *args)`` returning a real scalar or a 1-D array of shape (m,).
    epsilon : float or array_like of shape (n,), optional
        Absolute forward step per variable (default sqrt(EPS)); a step too small to change xk is
        replaced by SciPy's default relative step.
    *args
        Extra positional arguments passed to f.

    Returns
    -------
    ndarray
        The gradient, shape (n,), for scalar f; the Jacobian, shape (m, n), otherwise.
    """
    xk = _as_x0(xk, "xk")
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}")
    refuse_compiled(f, "approx_fprime")
    epsilon = _step_array(epsilon, xk, "epsilon")
    f0 = f(read_only_view(xk), *args)
    try:
        f0 = _checked_value(f0, "f")
    except RuntimeError as exc:  # SciPy's ValueError for a value of more than one dimension
        raise ValueError(str(exc)) from None
    return approx_derivative(f, xk, method="2-point", abs_step=epsilon, args=args, f0=f0)


def check_grad(func, grad, x0, *args, epsilon=_EPS ** 0.5, direction="all", seed=None):
    """scipy.optimize.check_grad: the 2-norm of grad(x0) - approx_fprime(x0, func, epsilon).

    direction='random' compares along one random direction (seeded by ``seed``).

    Parameters
    ----------
    func : callable
        The scalar function ``func(x, *args)``.
    grad : callable
        ``grad(x, *args)``, the gradient to check, returning an array of x0's shape.
    x0 : array_like, shape (n,) or scalar
        The point (finite reals).
    *args
        Extra positional arguments passed to func and grad.
    epsilon : float or array_like of shape (n,), optional
        Absolute forward-difference step (default sqrt(EPS)), as for `approx_fprime`.
    direction : {'all', 'random'}, optional
        'all' compares the whole gradient with forward differences; 'random' compares
        grad(x0) @ v with the forward difference of func along one standard-normal vector v.
    seed : None, int, numpy.random.RandomState or numpy.random.Generator, optional
        Source of v for ``direction='random'``: an int or None seeds a legacy RandomState, as
        SciPy does; a RandomState or Generator is used as it is.

    Returns
    -------
    float
        The 2-norm of the difference.
    """
    x0 = _as_x0(x0)
    if direction not in ("all", "random"):
        raise ValueError(f"{direction} is not a valid string for ``direction``.")
    for name, function in (("func", func), ("grad", grad)):
        if not callable(function):
            raise TypeError(f"`{name}` must be callable, got {type(function).__name__}")
        refuse_compiled(function, "check_grad", name)
    _step_array(epsilon, x0, "epsilon")
    g = grad(read_only_view(x0), *args)
    if g is None or isinstance(g, (str, bytes)) or np.asarray(g).dtype.kind not in "biuf":
        raise TypeError(f"`grad` must return an array of real numbers, got {g!r:.60}")
    g = np.asarray(g, dtype=float)
    if g.shape not in (x0.shape, ()) or (g.shape == () and x0.size != 1):
        raise ValueError(f"`grad` must return an array of x0's shape {x0.shape}, got shape {g.shape}")
    if direction == "all":
        f0 = _checked_value(func(read_only_view(x0), *args), "func")
        if f0.shape != (1,):
            raise ValueError(f"`func` must return a scalar, got shape {np.shape(f0)}")
        numerical = approx_derivative(func, x0, method="2-point", abs_step=epsilon, args=args, f0=f0)
        return float(np.sqrt(np.sum((g - numerical) ** 2)))
    # SciPy draws the direction with check_random_state(seed).normal(0, 1, n): a legacy
    # RandomState for an int or None seed, the Generator itself when one is given.
    rng = seed if isinstance(seed, (np.random.Generator, np.random.RandomState)) else np.random.RandomState(seed)
    v = rng.normal(0, 1, size=x0.shape)
    along = lambda t: func(x0 + t * v, *args)  # noqa: E731
    numerical = approx_fprime(np.array([0.0]), along, epsilon)
    return float(np.sqrt(np.sum((g @ v - numerical) ** 2)))
