"""SciPy-compatible finite differences, evaluated by fdcore's evaluators.

``from fdcore.compat.scipy import approx_derivative, approx_fprime, check_derivative, check_grad``
replaces the SciPy functions of the same names with the same documented semantics: SciPy's default
relative steps (EPS^(1/2) for '2-point' and 'cs', EPS^(1/3) for '3-point', EPS of the less precise
of x0's and f0's floating types), signed steps h = rel_step * sign(x0) * max(1, |x0|) made
representable, steps flipped or stencils made one-sided near bounds, the same return shapes and
types (a 1-D float64 gradient for scalar functions; csr for ``sparsity``, csr_matrix for a
spmatrix pattern; a LinearOperator for ``as_linear_operator``) and the same errors for bad input.
The dense real stencils run in fdcore's kernels (no per-evaluation copy of x), which is where the
time goes; the sparse stencils and the complex step under ``workers`` evaluate SciPy's points
through the workers' map, as SciPy does. A float16 x0 gets float16's steps, evaluated in float64.

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

import os
from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fdcore.derivatives.complex_step import require_complex_input
from fdcore.derivatives.objective import bind_objective, own_pool_map
from fdcore.derivatives.types import Workers
from fdcore.derivatives.validation import (
    as_float_array,
    read_only_view,
    refuse_compiled,
    refuse_masked,
    require_memory,
)

__all__ = ["approx_derivative", "approx_fprime", "backend", "check_derivative", "check_grad", "install", "uninstall"]
_EPS = np.finfo(np.float64).eps
_METHODS = ("2-point", "3-point", "cs")


def _relative_step(method, x0_dtype=np.float64, f0_dtype=np.float64):
    """SciPy's default relative step: EPS^(1/2) ('2-point', 'cs') or EPS^(1/3) ('3-point'), EPS of
    x0's floating type, or of f0's where that is the smaller one (float64 for other types)."""
    eps = _EPS
    if np.issubdtype(x0_dtype, np.inexact):
        eps = np.finfo(x0_dtype).eps
        if np.issubdtype(f0_dtype, np.inexact) and np.dtype(f0_dtype).itemsize < np.dtype(x0_dtype).itemsize:
            eps = np.finfo(f0_dtype).eps
    return eps ** 0.5 if method in ("2-point", "cs") else eps ** (1 / 3)


class _Fun:
    """fun(x, *args, **kwargs) as a 1-D array checked by SciPy's rule (picklable, for workers)."""

    def __init__(self, fun, args, kwargs, kinds):
        self.fun, self.args, self.kwargs, self.kinds = fun, args, kwargs, kinds

    def __call__(self, x):
        return _checked_value(self.fun(x, *self.args, **self.kwargs), kinds=self.kinds)


class _SingleValue:
    """A one-output fun as a scalar function for the gradient kernels (picklable)."""

    def __init__(self, fun, shape):
        self.fun, self.shape = fun, shape

    def __call__(self, x):
        value = self.fun(x)
        if value.shape != (1,):
            raise ValueError(f"`fun` returned shape {value.shape}, but {self.shape} at x0")
        return value[0]


def _as_x0(x0, name="x0", finite=True):
    """x0 as SciPy takes it (at most 1-D; a scalar is one variable) as a private, checked copy,
    and the floating type SciPy would keep (its steps' precision: float16, float32 or float64).

    Unlike SciPy, a complex x0 or entries that are not numbers are refused (naming the
    argument), and the function never receives the caller's array; a NaN or inf entry is refused
    too unless ``finite`` is false (approx_derivative proceeds with it, as SciPy does).
    """
    refuse_masked(x0, f"`{name}`")  # np.asarray drops the mask
    try:
        xp = np.asarray(x0)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be an array of real numbers: {exc}") from None
    if xp.ndim > 1:
        raise ValueError(f"`{name}` must have at most 1 dimension.")
    kept = xp.dtype if xp.dtype.kind == "f" else np.dtype(np.float64)
    if xp.size == 0:  # SciPy's empty Jacobian
        return np.zeros(0), kept
    if not finite and xp.dtype.kind in "biuf":
        require_memory(8 * xp.size, f"`{name}` has {xp.size} entries: its float64 copy")
        if not np.all(np.isfinite(xp)):
            return np.array(np.atleast_1d(xp), dtype=np.float32 if xp.dtype == np.float32 else np.float64), kept
    return as_float_array(np.atleast_1d(xp), f"`{name}`"), kept


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


def _absolute_step(rel_step, abs_step, x0, relative):
    """SciPy's step rule: signed, representable, with the default relative step ``relative``
    wherever a step vanishes."""
    sign = (x0 >= 0).astype(float) * 2 - 1
    default = relative * sign * np.maximum(1.0, np.abs(x0))
    if abs_step is not None:
        h = np.broadcast_to(_step_array(abs_step, x0, "abs_step"), x0.shape).copy()
    elif rel_step is not None:
        h = _step_array(rel_step, x0, "rel_step") * sign * np.abs(x0)
    else:
        return default
    dx = (x0 + h) - x0
    return np.where(dx == 0, default, h)


def _prepare_bounds(bounds, x0):
    """(lb, ub) as float arrays of x0's shape. Unlike SciPy, strings ("0" would become 0.0) and None
    (NaN, then a NaN Jacobian) are refused naming bounds."""
    message = "`bounds` must be a pair (lb, ub) of scalars or arrays of shape (n,)"
    try:
        lb, ub = (np.asarray(b, dtype=object) for b in bounds)
        if any(v is None or isinstance(v, (str, bytes)) for side in (lb, ub) for v in side.reshape(-1)):
            raise TypeError(f"{message}, got {bounds!r:.60}")
        lb, ub = lb.astype(float), ub.astype(float)
    except (TypeError, ValueError) as exc:
        raise TypeError(str(exc) if str(exc).startswith(message) else message) from None
    if lb.ndim == 0:
        lb = np.resize(lb, x0.shape)
    if ub.ndim == 0:
        ub = np.resize(ub, x0.shape)
    return lb, ub


def approx_derivative(fun: Callable[..., Any], x0: ArrayLike, method: Literal["2-point", "3-point", "cs"] = "3-point",
                      rel_step: ArrayLike | None = None, abs_step: ArrayLike | None = None,
                      f0: ArrayLike | None = None, bounds: tuple[ArrayLike, ArrayLike] = (-np.inf, np.inf),
                      sparsity: Any = None, as_linear_operator: bool = False, args: tuple[Any, ...] = (),
                      kwargs: Mapping[str, Any] | None = None, full_output: bool = False,
                      workers: Workers | None = None) -> Any:
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
        The point (a scalar is one variable). Unlike SciPy, complex entries raise; NaN or inf
        entries are accepted as SciPy accepts them (SciPy's points, NaN differences).
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
        Also return ``{"nfev": number of evaluations of fun}`` (with ``as_linear_operator``:
        those made before the operator is returned, as SciPy counts).
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
    refuse_compiled(fun, "approx_derivative", "fun")
    if not callable(fun):
        raise TypeError(f"`fun` must be callable, got {type(fun).__name__}")
    kwargs = {} if kwargs is None else kwargs
    x0, x0_dtype = _as_x0(x0, finite=False)
    lb, ub = _prepare_bounds(bounds, x0)
    if lb.shape != x0.shape or ub.shape != x0.shape:
        raise ValueError("Inconsistent shapes between bounds and `x0`.")
    if np.any(lb > ub):
        raise ValueError(f"`bounds` are inconsistent: lb > ub at coordinates {np.flatnonzero(lb > ub)[:10]}")
    if as_linear_operator and not (np.all(np.isinf(lb)) and np.all(np.isinf(ub))):
        raise ValueError("Bounds not supported when `as_linear_operator` is True.")

    fun_wrapped = _Fun(fun, args, kwargs, "biufc" if method == "cs" else "biuf")
    nfev = 0
    if f0 is None:
        raw = fun(read_only_view(x0), *args, **kwargs)
        scalar_fun = np.ndim(raw) == 0
        f0 = _checked_value(raw, kinds=fun_wrapped.kinds)
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
    relative = _relative_step(method, x0_dtype, f0.dtype)
    if as_linear_operator:
        J = _linear_operator(fun_wrapped, x0, f0, method, relative if rel_step is None else rel_step)
        return (J, {"nfev": nfev}) if full_output else J

    h = _absolute_step(rel_step, abs_step, x0, relative)
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
    if sparsity is None and not np.all(np.isfinite(x0)):
        # fdcore's kernels take finite points only; SciPy's own points, one column per group,
        # give what SciPy gives (NaN where the differences involve the non-finite entries).
        sparsity = (np.ones((m, x0.shape[0]), dtype=bool), np.arange(x0.shape[0]))
        dense = True
    else:
        dense = False
    if sparsity is not None:
        J, spent = _sparse(fun_wrapped, x0, f0, h, one_sided, sparsity, method, _point_map(workers))
        nfev += spent
        if dense:
            J = J.toarray()
            J = np.ravel(J) if m == 1 else J
        return (J, {"nfev": nfev}) if full_output else J
    if method == "cs" and workers is not None:
        J, spent = _complex_step_mapped(fun_wrapped, x0, h, _point_map(workers))
    else:
        if scalar_fun and not kwargs and not args:
            f = fun  # a scalar function goes to the kernels as it is: no wrapper per evaluation
        elif m > 1:
            f = fun_wrapped  # the kernels check that every value has the same shape
        else:
            f = _SingleValue(fun_wrapped, np.shape(f0))
        J, spent = _dense(f, x0, h, method, f0, one_sided, m, workers)
    nfev += spent
    if J.shape[0] != m:
        raise ValueError(f"`fun` returned {J.shape[0]} values near x0, but {m} at x0: its shape changed")
    J = np.asarray(J, dtype=np.float64)  # SciPy's J is float64 whatever x0's type
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


def _one_sided_three_point(f0, f1, f2):
    """The numerator of the one-sided 3-point difference with nodes 0, h, 2h over the span 2h."""
    return -3.0 * f0 + 4 * f1 - f2


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
            J[:, coords] = (_one_sided_three_point(f0, values[:, 0], values[:, 1]) / offsets[:, 1:]).T
        else:
            span = (x[coords] + h[coords]) - (x[coords] - h[coords])
            J[:, coords] = ((values[:, 1] - values[:, 0]) / span[:, None]).T
    return J


def _point_map(workers):
    """map(fun, points) in order, for SciPy's workers: None, the builtin map; an int, fdcore's own
    process pool of that size (-1: every core; SciPy makes a pool per call, fdcore's is rebuilt
    after a worker's death and ends with its parent); an Executor, its map; a dask Client; any
    map-like callable."""
    if workers is None:
        return map
    if isinstance(workers, bool):
        raise TypeError("workers must be an int, an Executor, a dask Client or a map-like callable, not a bool")
    if isinstance(workers, (int, np.integer)):
        if workers < 1 and workers != -1:
            raise ValueError(f"workers must be >= 1 or -1 (every core), got {workers}")
        size = (os.cpu_count() or 1) if workers == -1 else int(workers)
        return lambda fn, points: own_pool_map(fn, points, size)
    if hasattr(workers, "map") and type(workers).__name__ == "Client":  # dask.distributed
        return lambda fn, items: workers.gather(workers.map(fn, list(items), pure=False))
    if hasattr(workers, "submit") and hasattr(workers, "map"):  # a concurrent.futures.Executor
        return workers.map
    if callable(workers):
        return workers
    raise TypeError(f"workers must be an int, an Executor, a dask Client or a map-like callable; "
                    f"got {type(workers).__name__}")


def _complex_step_mapped(fun, x0, h, mapper):
    """The dense complex-step Jacobian Im fun(x0 + i |h_i| e_i) / |h_i| with the points evaluated
    by ``mapper`` (SciPy's points; fdcore's own complex kernel takes no workers); (J, n)."""
    n = x0.shape[0]
    step = np.abs(h)

    def points():
        for i in range(n):
            z = x0.astype(complex)
            z[i] += step[i] * 1j
            yield z

    columns = [np.atleast_1d(value).imag / step[i] for i, value in enumerate(mapper(fun, points()))]
    return np.stack(columns, axis=1), n


def _sparse(fun, x0, f0, h, one_sided, sparsity, method, mapper):
    """SciPy's sparse differences: the columns of each group perturbed together (signed steps
    h_i; one-sided 3-point where the bounds force it; the complex step along i |h_i|), the points
    evaluated by ``mapper``. Groups: those given in ``sparsity = (structure, groups)``, else
    fdcore's colouring (never more groups than SciPy's group_columns). Returns (csr, nfev); a
    csr_matrix where the structure is a scipy.sparse matrix (spmatrix), as SciPy does."""
    from scipy import sparse as sp

    from fdcore.derivatives.sparse import as_pattern, color_columns

    if isinstance(sparsity, tuple) and len(sparsity) == 2 and not sp.issparse(sparsity):
        structure, groups = sparsity
        groups = np.atleast_1d(np.asarray(groups)).astype(np.intp)
    else:
        structure, groups = sparsity, None
    m, n = f0.shape[0], x0.shape[0]
    if not sp.issparse(structure):
        # SciPy takes np.atleast_2d(structure) unchecked (a scalar, e.g. 42, is one nonzero):
        # broadcast to (m, n) here, so that such a pattern means "every entry may be nonzero".
        try:
            structure = np.broadcast_to(np.atleast_2d(np.asarray(structure)) != 0, (m, n))
        except ValueError:
            raise ValueError(f"`sparsity` must have shape ({m}, {n}) (m outputs, n inputs), got "
                             f"{np.shape(structure)}") from None
    pattern = as_pattern(structure, (m, n))
    if groups is None or groups.shape != (n,):
        # (groups of another length come with a structure SciPy broadcast, as above; SciPy
        # broadcasts them too, perturbing columns at random: the colouring is made here instead)
        groups = color_columns(pattern)
    pattern = sp.csc_array(pattern)
    masks = [groups == g for g in range(int(groups.max()) + 1)] if n else []
    step = np.abs(h) if method == "cs" else h

    def points():
        for e in masks:
            if method == "2-point":
                yield x0 + h * e
            elif method == "3-point":
                lower, upper = x0.copy(), x0.copy()
                sided, both = one_sided & e, ~one_sided & e
                lower[sided] += h[sided]
                upper[sided] += 2 * h[sided]
                lower[both] -= h[both]
                upper[both] += h[both]
                yield lower
                yield upper
            else:
                yield x0 + step * e * 1j

    values = iter(mapper(fun, points()))
    evaluated = iter(points())
    rows, cols, fractions = [], [], []
    for e in masks:
        columns = np.flatnonzero(e)
        block = pattern[:, columns].tocoo()
        i, j = block.row, columns[block.col]
        if method == "2-point":
            dx = next(evaluated) - x0
            df = next(values) - f0
        elif method == "3-point":
            lower, upper = next(evaluated), next(evaluated)
            f_lower, f_upper = next(values), next(values)
            dx = np.where(one_sided, upper - x0, upper - lower)
            df = np.where(one_sided[j], _one_sided_three_point(f0[i], f_lower[i], f_upper[i]), f_upper[i] - f_lower[i])
            rows.append(i)
            cols.append(j)
            fractions.append(df / dx[j])
            continue
        else:
            df = np.atleast_1d(next(values)).imag
            dx = step * e
        rows.append(i)
        cols.append(j)
        fractions.append(df[i] / dx[j])
    nfev = len(masks) * (2 if method == "3-point" else 1)
    data = (np.concatenate(fractions) if fractions else np.empty(0),
            (np.concatenate(rows) if rows else np.empty(0, int), np.concatenate(cols) if cols else np.empty(0, int)))
    kind = sp.csr_matrix if sp.isspmatrix(structure) else sp.csr_array
    return kind(data, shape=(m, n)), nfev


def _linear_operator(fun, x0, f0, method, rstep):
    """J as a LinearOperator: J p by one directional difference along p (SciPy's semantics)."""
    from scipy.sparse.linalg import LinearOperator

    m, n = f0.size, x0.size

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


def approx_fprime(xk: ArrayLike, f: Callable[..., Any], epsilon: ArrayLike = _EPS ** 0.5,
                  *args: Any) -> NDArray[np.floating[Any]]:
    """scipy.optimize.approx_fprime: forward differences with the absolute step ``epsilon``.

    Parameters
    ----------
    xk : array_like, shape (n,) or scalar
        The point (finite reals); computed in float64, as SciPy does, whatever its type.
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

    Examples
    --------
    >>> import numpy as np
    >>> from fdcore.compat.scipy import approx_fprime
    >>> approx_fprime(np.array([1.0, 2.0], dtype=np.float32), lambda x: x @ x).round(5)
    array([2., 4.])
    """
    xk = _as_x0(xk, "xk")[0].astype(np.float64)
    refuse_compiled(f, "approx_fprime")
    if not callable(f):
        raise TypeError(f"`f` must be callable, got {type(f).__name__}")
    epsilon = _step_array(epsilon, xk, "epsilon")
    f0 = f(read_only_view(xk), *args)
    try:
        f0 = _checked_value(f0, "f")
    except RuntimeError as exc:  # SciPy's ValueError for a value of more than one dimension
        raise ValueError(str(exc)) from None
    return approx_derivative(f, xk, method="2-point", abs_step=epsilon, args=args, f0=f0)


_UNSET = object()


def check_grad(func: Callable[..., Any], grad: Callable[..., Any], x0: ArrayLike, *args: Any,
               epsilon: ArrayLike = _EPS ** 0.5, direction: Literal["all", "random"] = "all",
               rng: int | np.random.Generator | None = None, seed: Any = _UNSET) -> float:
    """scipy.optimize.check_grad: the 2-norm of grad(x0) - approx_fprime(x0, func, epsilon).

    direction='random' compares along one random direction v, drawn as SciPy 1.17 draws it.

    Parameters
    ----------
    func : callable
        ``func(x, *args)``, scalar or vector valued (then ``grad`` returns its Jacobian).
    grad : callable
        ``grad(x, *args)``, the gradient (or Jacobian) to check.
    x0 : array_like, shape (n,) or scalar
        The point (finite reals).
    *args
        Extra positional arguments passed to func and grad.
    epsilon : float or array_like of shape (n,), optional
        Absolute forward-difference step (default sqrt(EPS)), as for `approx_fprime`.
    direction : {'all', 'random'}, optional
        'all' compares the whole gradient with forward differences; 'random' compares
        grad(x0) @ v with the forward difference of func along v = standard normal (scalar func only).
    rng : None, int, numpy.random.Generator, ..., optional
        The source of v: ``numpy.random.default_rng(rng)``. When neither rng nor seed is
        given, v comes from NumPy's global RandomState (``numpy.random.seed`` applies), as in SciPy.
    seed : None, int, numpy.random.RandomState or numpy.random.Generator, optional
        SciPy's legacy name (keyword only, not with rng): an int seeds a RandomState, None means
        the global RandomState, a RandomState or Generator is used as it is.

    Returns
    -------
    float
        The 2-norm of the difference.

    Examples
    --------
    >>> import numpy as np
    >>> from fdcore.compat.scipy import check_grad
    >>> bool(check_grad(lambda x: x @ x, lambda x: 2 * x, [1.0, 2.0], direction="random", rng=0) < 1e-6)
    True
    """
    x0 = _as_x0(x0)[0]
    if seed is not _UNSET and rng is not None:
        raise TypeError("check_grad() got both `seed` and `rng`; pass one")
    for name, function in (("func", func), ("grad", grad)):
        refuse_compiled(function, "check_grad", name)
        if not callable(function):
            raise TypeError(f"`{name}` must be callable, got {type(function).__name__}")
    _step_array(epsilon, x0, "epsilon")
    if direction == "random":
        g = np.asanyarray(grad(read_only_view(x0), *args))
        if g.ndim > 1:
            raise ValueError("'random' can only be used with scalar valued func")
        source = seed if seed is not _UNSET else (None if rng is None else np.random.default_rng(rng))
        v = _random_state(source).standard_normal(size=x0.shape)
        analytical = np.dot(g, v)
        along = lambda t: func(x0 + t * v, *args)  # noqa: E731
        numerical = approx_fprime(np.zeros(1), along, epsilon)
    elif direction == "all":
        _checked_value(func(read_only_view(x0), *args), "func")  # errors name func, not f
        numerical = approx_fprime(x0, func, epsilon, *args)
        analytical = np.asarray(grad(read_only_view(x0), *args))
        if analytical.dtype.kind not in "biufc":
            raise TypeError(f"`grad` must return an array of numbers, got {analytical.dtype}")
        if analytical.shape != numerical.shape and analytical.size != numerical.size:
            raise ValueError(f"`func`'s finite-difference derivative has shape {numerical.shape}, but `grad` "
                             f"returns shape {analytical.shape}")
    else:
        raise ValueError(f"{direction} is not a valid string for ``direction`` argument")
    return np.sqrt(np.sum(np.abs((analytical - numerical) ** 2)))


def _random_state(source):
    """numpy's check_random_state: None -> the global RandomState, an int -> a new RandomState, a
    RandomState or Generator as it is."""
    if source is None or source is np.random:
        return np.random.mtrand._rand
    if isinstance(source, (int, np.integer)):
        return np.random.RandomState(source)
    if isinstance(source, (np.random.RandomState, np.random.Generator)):
        return source
    raise ValueError(f"{source!r} cannot be used to seed a numpy.random.RandomState instance")


def check_derivative(fun: Callable[..., Any], jac: Callable[..., Any], x0: ArrayLike,
                     bounds: tuple[ArrayLike, ArrayLike] = (-np.inf, np.inf), args: tuple[Any, ...] = (),
                     kwargs: Mapping[str, Any] | None = None) -> float:
    """scipy.optimize._numdiff.check_derivative: how far jac(x0) is from the finite-difference
    Jacobian (3-point, SciPy's steps), as max |J - J_fd| / max(1, |J_fd|) over the entries (over
    the nonzeros of a sparse jac, whose pattern then gives the sparsity).

    Parameters
    ----------
    fun : callable
        ``fun(x, *args, **kwargs)`` returning a scalar or a 1-D array.
    jac : callable
        ``jac(x, *args, **kwargs)`` returning the Jacobian to check: an array or a scipy.sparse
        matrix.
    x0 : array_like, shape (n,) or scalar
        The point.
    bounds, args, kwargs
        As for `approx_derivative`.

    Returns
    -------
    float
        The largest relative difference: ~1e-9 or smaller for a correct jac.

    Examples
    --------
    >>> import numpy as np
    >>> from fdcore.compat.scipy import check_derivative
    >>> f = lambda x: np.array([x[0] * np.sin(x[1]), x[0] * np.cos(x[1])])
    >>> J = lambda x: np.array([[np.sin(x[1]), x[0] * np.cos(x[1])], [np.cos(x[1]), -x[0] * np.sin(x[1])]])
    >>> bool(check_derivative(f, J, np.array([1.0, 0.5])) < 1e-9)
    True
    """
    from scipy import sparse as sp

    kwargs = {} if kwargs is None else kwargs
    to_test = jac(x0, *args, **kwargs)
    if sp.issparse(to_test):
        differences = approx_derivative(fun, x0, bounds=bounds, sparsity=to_test, args=args, kwargs=kwargs)
        error = sp.csr_array(to_test) - differences
        i, j, values = sp.find(error)
        reference = np.asarray(differences[i, j]).ravel()
        return np.max(np.abs(values) / np.maximum(1, np.abs(reference)))
    differences = approx_derivative(fun, x0, bounds=bounds, args=args, kwargs=kwargs)
    return np.max(np.abs(to_test - differences) / np.maximum(1, np.abs(differences)))


# --- SciPy's finite-difference backend ------------------------------------------------------------

# The scipy.optimize modules that bind approx_derivative by name (from ._numdiff import
# approx_derivative): each gets fdcore's while the backend is installed.
_SCIPY_MODULES = ("scipy.optimize._numdiff", "scipy.optimize._optimize", "scipy.optimize._slsqp_py",
                  "scipy.optimize._differentiable_functions", "scipy.optimize._root_scalar")
_saved = {}


def install() -> None:
    """Route scipy.optimize's internal finite differences through fdcore: every module of
    scipy.optimize that binds ``approx_derivative`` (minimize's jac='2-point' / '3-point' / 'cs',
    least_squares, root, SLSQP, trust-constr, L-BFGS-B, approx_fprime, check_grad ...) gets
    `approx_derivative` from this module. Idempotent; `uninstall` restores SciPy's own exactly.

    Parameters
    ----------
    (none)

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.optimize import minimize, rosen
    >>> from fdcore.compat import scipy as fd_scipy
    >>> fd_scipy.install()
    >>> bool(minimize(rosen, np.zeros(3), jac="3-point", method="BFGS").success)
    True
    >>> fd_scipy.uninstall()
    """
    import importlib

    for name in _SCIPY_MODULES:
        module = importlib.import_module(name)
        if hasattr(module, "approx_derivative") and name not in _saved:
            _saved[name] = module.approx_derivative
            module.approx_derivative = approx_derivative


def uninstall() -> None:
    """Restore SciPy's own ``approx_derivative`` in every module `install` changed (a no-op when
    the backend is not installed).

    Parameters
    ----------
    (none)
    """
    import importlib

    while _saved:
        name, original = _saved.popitem()
        importlib.import_module(name).approx_derivative = original


class backend:
    """``with fdcore.compat.scipy.backend(): ...``: `install` on entry, `uninstall` on exit (also
    when the block raises), leaving SciPy exactly as it was; an already installed backend stays.

    Parameters
    ----------
    (none)

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.optimize import least_squares
    >>> from fdcore.compat.scipy import backend
    >>> with backend():
    ...     fit = least_squares(lambda p: [p[0] - 1.0, 10 * (p[1] - p[0] ** 2)], [0.0, 0.0])
    >>> fit.x.round(6)
    array([1., 1.])
    """

    def __enter__(self) -> "backend":
        self._was_installed = bool(_saved)
        install()
        return self

    def __exit__(self, *exc: object) -> None:
        if not self._was_installed:
            uninstall()
        return False
