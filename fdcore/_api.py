"""The façade: validate input, choose steps and stencil, dispatch to a kernel.

Each entry point makes a private work copy of x (the caller's array is never written), picks the
per-coordinate steps (fdcore/_steps.py) and hands the work copy, a read-only view of it for f, and
the stencil to an evaluator (fdcore/_pykernels.pyx for Python callables).
"""

import warnings

import numpy as np

from fdcore import _pykernels
from fdcore._adaptive import adaptive_steps, kernel_evaluator
from fdcore._axis import AxisOutcome, axis_derivative
from fdcore._bounds import bounded_axis_derivative, bounded_hessian, parse_bounds
from fdcore._sparse import as_pattern, sparse_hessian_from_f, sparse_jacobian
from fdcore._complex import complex_error as _complex_error
from fdcore._complex import complex_hessian as _complex_hessian
from fdcore._complex import complex_step as _complex_step
from fdcore._complex import complex_work as _complex_work
from fdcore._fdresult import FDResult
from fdcore._hessian import hessian_levels
from fdcore._options import ACCURATE_HESSIAN_LEVELS, ACCURATE_RETRY_EXPONENT, REAL_METHODS, TWO_POINT_NODES, parse
from fdcore._richardson import F_ULPS, axis_plan, extrapolate, level_estimates
from fdcore._steps import resolve_step
from fdcore._work import BatchOptions, Work
from fdcore._validation import (
    as_float_array,
    call_arguments,
    check_callable,
    check_method,
    check_out,
    check_pattern_values,
    flag_nonfinite,
    read_only_view,
    require_memory,
)

FIRST_DERIVATIVE_METHODS = REAL_METHODS + ("complex",)

_COMMON_PARAMETERS = """
    order : int, optional
        Accuracy order of the stencil: 2, 4, 6 or 8 for 'central' (default 2: the two-point
        difference), 1 to 8 one-sided (default 1: the two-point difference). An order-p central
        stencil costs p evaluations per coordinate, one-sided p (plus f(x) once).
    step : float, array_like of shape (n,) or 'adaptive', optional
        Absolute step per coordinate (with Richardson levels: the coarsest level's step).
        Default ``EPS**(1/(q + 1)) * max(1, |x_i|)`` for final accuracy order q, i.e.
        ``EPS**(1/3)`` for the central and ``EPS**(1/2)`` for the one-sided two-point difference;
        EPS is the machine epsilon of x's dtype. 'adaptive': chosen per coordinate from estimates
        of f's higher derivative and noise (see `noise`).
    richardson : bool or int, optional
        Richardson extrapolation over the steps h, h/r, h/r^2, ...: an int is the number of
        levels; ``True`` is the accurate mode, 4 levels of the central two-point difference
        (8 evaluations per coordinate, typically 1e-13 relative error). Each component gets the
        tableau entry with the smallest estimated error.
    step_ratio : float, optional
        r, the ratio of consecutive Richardson steps (default 2: stencil points are shared
        between levels where the stencil allows).
    noise : float, optional
        Absolute error of one evaluation of f (e.g. of a simulation); used by the error estimate
        and by ``step='adaptive'``. Default: f is accurate to machine precision.
    args, kwargs
        Extra arguments passed to f.
    full_output : bool, optional
        Return an `FDResult` (value, error estimate and final step per component, nfev, method,
        order) instead of the array.
    num_threads : int, optional
        For compiled objectives (see `Callback`): threads of the nogil kernels. Default: OpenMP's
        (``OMP_NUM_THREADS`` or all cores); small problems run serially. Results are identical
        for every thread count. Ignored for Python callables.
    vectorized : bool, optional
        f takes an (n, k) array whose columns are k points and returns (k,) (or (m, k) for
        vector f). fdcore assembles the stencil points in batches of at most
        ``max_batch_bytes`` (default 64 MiB) and calls f once per batch.
    workers : int, Executor, dask.distributed.Client or map-like callable, optional
        Evaluate the stencil points in parallel: an int is a process pool that fdcore creates and
        reuses (f must be picklable), or pass any concurrent.futures.Executor, a dask Client, or
        ``map(function, iterable)``. Results are identical to the serial ones; an exception of f
        reaches the caller with a note naming the point.
    max_batch_bytes : int, optional
        Memory budget of one batch of points (vectorized / workers).
    progress : bool, optional
        Show a progress bar (tqdm if installed) while batches are evaluated.
    sparsity : (m, n) bool array or scipy.sparse matrix, optional
        (jacobian, hessian) The nonzero pattern: a Jacobian is computed by column colouring (one
        two-point difference per group of columns that share no row; a tridiagonal pattern costs
        6 evaluations whatever n is) and returned as a scipy.sparse csr array; a Hessian of f
        evaluates the mixed stencil on the pattern's pairs only (or, with ``grad=``, colours the
        gradient's Jacobian).
    bounds : (lb, ub), optional
        Scalars or arrays of shape (n,), None for no bound: stencils are made one-sided (or their
        step shrunk) where they would leave [lb, ub], so f is never evaluated outside the bounds.
        A Hessian keeps its central stencil when every coordinate has room for it and otherwise
        uses the one-sided stencil, each coordinate stepping towards its roomier side."""


def _doc(function):
    function.__doc__ = function.__doc__.replace("    {common}", _COMMON_PARAMETERS.strip("\n"))
    return function


@_doc
def gradient(f, x, *, method="central", order=None, step=None, richardson=False, step_ratio=2.0,
             noise=None, args=(), kwargs=None, out=None, full_output=False, num_threads=None,
             vectorized=False, workers=None, max_batch_bytes=None, progress=False, bounds=None):
    """Gradient of a scalar function by finite differences.

    Parameters
    ----------
    f : callable or compiled callback
        ``f(x, *args, **kwargs) -> float`` with ``x`` a 1-D array. f receives a read-only array
        that is only valid during the call (copy it if you keep it). Or a compiled
        ``double f(int n, double *x, void *user_data)`` (see `Callback`), evaluated without the
        GIL in parallel over coordinates.
    x : array_like, shape (n,)
        The point. float32 input is computed and returned in float32; integers, booleans and
        float64 in float64. Never modified.
    method : {'central', 'forward', 'backward', 'complex'}
        Central difference (2n evaluations, error O(h^2) for the default order), one-sided
        difference (n + 1 evaluations, error O(h)), or the complex step ``Im f(x + i h e_i) / h``
        (n evaluations, no cancellation; f must be complex-analytic).
    {common}
    out : ndarray, shape (n,), optional
        Array of x's computed dtype that receives the result.

    Returns
    -------
    ndarray, shape (n,), or FDResult
        The gradient. Entries whose stencil met a NaN or inf value of f (and, for central
        stencils, also one-sided retries) are NaN, with a ``RuntimeWarning`` naming them.

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

    The accurate mode, with an error estimate per component:

    >>> r = fdcore.gradient(lambda p: np.exp(p[0]) * np.sin(p[1]), [0.5, 1.0],
    ...                     richardson=True, full_output=True)
    >>> exact = np.exp(0.5) * np.array([np.sin(1.0), np.cos(1.0)])
    >>> bool(np.all(np.abs(r.value - exact) <= r.error)), bool(np.all(r.error < 1e-11)), r.nfev
    (True, True, 16)
    """
    work = Work(f, x, args, kwargs, num_threads, BatchOptions(vectorized, workers, max_batch_bytes, progress))
    opts = parse(method, order, richardson, step_ratio, noise, FIRST_DERIVATIVE_METHODS)
    n = work.w.shape[0]
    out = np.empty(n, work.w.dtype) if out is None else check_out(out, (n,), work.w.dtype)
    if bounds is not None:
        outcome = _bounded(f, work, opts, step, bounds, vector=False)
        out[...] = outcome.value
    elif method == "complex":
        h = _complex_step(step, work.w)
        value = np.empty(n)
        _pykernels.complex_step_gradient(f, _complex_work(work), work.w_arg_complex, h, value,
                                         work.args, work.kwargs)
        out[...] = value
        outcome = AxisOutcome(out, _complex_error(value), h, n)
    elif _is_adaptive(step):
        outcome = _adaptive_axis(f, work, opts, vector=False)
        out[...] = outcome.value
    elif opts.two_point and not full_output:
        h = resolve_step(step, work.w, 1, method)
        upper, lower = TWO_POINT_NODES[method]
        f0 = work.scalar_at_centre(f) if method != "central" else np.nan
        work.kernels.two_point_gradient(f, work.w, work.w_arg, h, upper, lower, f0, out, work.args, work.kwargs)
        return flag_nonfinite(out, "gradient")
    else:
        h = resolve_step(step, work.w, 1, method, opts.order, opts.levels, opts.ratio)
        outcome = axis_derivative(f, work, 1, opts.order, method, opts.levels, opts.ratio, h, opts.noise, False,
                                  retry_tolerance=_retry_tolerance(opts, step, work.w.dtype))
        out[...] = outcome.value
    flag_nonfinite(out, "gradient")
    return _finish(out, outcome, opts, full_output)


@_doc
def jacobian(f, x, *, method="central", order=None, step=None, richardson=False, step_ratio=2.0,
             noise=None, args=(), kwargs=None, out=None, full_output=False, num_threads=None,
             vectorized=False, workers=None, max_batch_bytes=None, progress=False, bounds=None,
             sparsity=None):
    """Jacobian of a vector function f: R^n -> R^m by finite differences.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs) -> array_like of shape (m,)``; the same m at every point.
    x : array_like, shape (n,)
        The point (see `gradient` for dtypes). Never modified.
    method : {'central', 'forward', 'backward', 'complex'}
        As for `gradient`: 'central' costs 2n evaluations, 'forward'/'backward' n + 1, 'complex' n.
    {common}
    out : ndarray, shape (m, n), optional
        Array of x's computed dtype that receives the result.

    Returns
    -------
    ndarray, shape (m, n), or FDResult
        ``J[k, i] = d f_k / d x_i``. Non-finite entries are NaN, with a ``RuntimeWarning``.

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> polar = lambda p: np.array([p[0] * np.cos(p[1]), p[0] * np.sin(p[1])])
    >>> fdcore.jacobian(polar, [2.0, 0.0]).round(8)
    array([[1., 0.],
           [0., 2.]])
    >>> fdcore.jacobian(polar, [2.0, 0.0], method="complex")
    array([[1., 0.],
           [0., 2.]])
    """
    work = Work(f, x, args, kwargs, num_threads, BatchOptions(vectorized, workers, max_batch_bytes, progress))
    opts = parse(method, order, richardson, step_ratio, noise, FIRST_DERIVATIVE_METHODS)
    n = work.w.shape[0]
    if bounds is not None and method == "complex":
        raise ValueError("bounds= works with the real stencils, not with method='complex'")
    if sparsity is not None:
        return _sparse_first_derivative(f, work, opts, step, sparsity, out, full_output, bounds)
    by_column = lambda bad: np.flatnonzero(bad.any(axis=0))
    if opts.two_point and not full_output and not _is_adaptive(step) and bounds is None:
        h = resolve_step(step, work.w, 1, method)
        upper, lower = TWO_POINT_NODES[method]
        f0 = work.vector_at_centre(f) if method != "central" else None
        if out is not None:  # m is known here only for one-sided stencils; the kernel checks it later
            check_out(out, (None if f0 is None else f0.shape[0], n), work.w.dtype)
        jac = work.kernels.two_point_jacobian(f, work.w, work.w_arg, h, upper, lower, f0, out, work.args, work.kwargs)
        return flag_nonfinite(jac, "Jacobian", index_of=by_column)
    if method == "complex":
        h = _complex_step(step, work.w)
        cw = _complex_work(work)
        value = _pykernels.complex_step_jacobian(f, cw, work.w_arg_complex, h, work.args, work.kwargs)
        outcome = AxisOutcome(value, _complex_error(value), h, n)
    else:
        if bounds is not None:
            outcome = _bounded(f, work, opts, step, bounds, vector=True)
        elif _is_adaptive(step):
            outcome = _adaptive_axis(f, work, opts, vector=True)
        else:
            h = resolve_step(step, work.w, 1, method, opts.order, opts.levels, opts.ratio)
            outcome = axis_derivative(f, work, 1, opts.order, method, opts.levels, opts.ratio, h, opts.noise, True,
                                      retry_tolerance=_retry_tolerance(opts, step, work.w.dtype))
        outcome.value, outcome.error = outcome.value.T, outcome.error.T
    shape = outcome.value.shape
    out = np.empty(shape, work.w.dtype) if out is None else check_out(out, shape, work.w.dtype)
    out[...] = outcome.value
    flag_nonfinite(out, "Jacobian", index_of=by_column)
    return _finish(out, outcome, opts, full_output)


@_doc
def hessian(f, x, *, method="central", order=None, step=None, richardson=False, step_ratio=2.0,
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
        gradient, symmetrised, **2 n^2 evaluations**, error O(h^2) without the second-difference
        round-off (f must be complex-analytic).
    {common}
        grad : callable, optional
        An analytic gradient ``grad(x, *args, **kwargs) -> (n,)``: the Hessian is then its
        Jacobian (2n gradient evaluations central, n + 1 one-sided), symmetrised as
        (J + J^T) / 2; f is not evaluated (it may be None). All other options apply to the
        Jacobian.
    For the Hessian, ``order`` 4, 6, 8 (central) or 2..8 (one-sided) is reached by Richardson
        extrapolation of the basic stencil over order/2 (central) or order (one-sided) steps;
        ``richardson`` selects the best entry of that tableau per component instead, and
        ``richardson=True`` means 3 levels: 3 (n^2 + n) + 1 evaluations, ~1e-11 relative error.
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
            return _hessian_from_gradient(grad, x, method=method, order=order, step=step, richardson=richardson,
                                          step_ratio=step_ratio, noise=noise, args=args, kwargs=kwargs, out=out,
                                          full_output=full_output, bounds=bounds)
        if sparsity is not None:
            J = jacobian(grad, x, method=method, order=order, step=step, richardson=richardson, noise=noise,
                         args=args, kwargs=kwargs, num_threads=num_threads, vectorized=vectorized,
                         workers=workers, sparsity=sparsity)
            return ((J + J.T) * 0.5).tocsr()
        return _hessian_from_gradient(grad, x, method=method, order=order, step=step, richardson=richardson,
                                      step_ratio=step_ratio, noise=noise, args=args, kwargs=kwargs, out=out,
                                      full_output=full_output, num_threads=num_threads, vectorized=vectorized,
                                      workers=workers, max_batch_bytes=max_batch_bytes, progress=progress)
    work = Work(f, x, args, kwargs, num_threads, BatchOptions(vectorized, workers, max_batch_bytes, progress))
    opts = parse(method, order, richardson, step_ratio, noise, FIRST_DERIVATIVE_METHODS, ACCURATE_HESSIAN_LEVELS)
    n = work.w.shape[0]
    if sparsity is not None:
        if method != "central" or opts.levels > 1 or opts.order != 2 or out is not None or full_output:
            raise ValueError("sparsity= computes the plain central Hessian stencil (no order, richardson, "
                             "out or full_output)")
        check_pattern_values(sparsity)
        h = resolve_step(step, work.w, 2, "central")
        return sparse_hessian_from_f(f, work, h, as_pattern(sparsity, (n, n)))[0]
    out = np.empty((n, n), work.w.dtype) if out is None else check_out(out, (n, n), work.w.dtype)
    by_row = lambda bad: np.flatnonzero(bad.any(axis=0))
    if bounds is not None:
        if method != "central" or opts.levels > 1 or opts.order != 2 or _is_adaptive(step):
            raise ValueError("bounds= with hessian takes the plain central stencil (no method, order, "
                             "richardson or step='adaptive'); it turns one-sided near the bounds")
        bounded_hessian(f, work, step, _parse_bounds(bounds, work.w), out)
        return flag_nonfinite(out, "Hessian", index_of=by_row)
    if method == "complex":
        outcome = _complex_hessian(f, work, step)
    else:
        outcome = hessian_levels(f, work, opts, step, out if opts.levels == 1 and not full_output else None)
        if outcome is None:  # the plain stencil wrote into out
            return flag_nonfinite(out, "Hessian", index_of=by_row)
    out[...] = outcome.value
    flag_nonfinite(out, "Hessian", index_of=by_row)
    return _finish(out, outcome, opts, full_output)


def _require_dense_hessian(x):
    """MemoryError naming the size when the (n, n) Hessian at x cannot fit in memory."""
    if x.ndim == 1:
        n = x.shape[0]
        itemsize = 4 if x.dtype == np.float32 else 8
        require_memory(itemsize * n * n, f"x has n = {n} entries: its dense Hessian, a ({n}, {n}) array,")


def _hessian_from_gradient(grad, x, *, out, full_output, **options):
    """(J + J^T) / 2 with J the finite-difference Jacobian of the gradient."""
    r = jacobian(grad, x, full_output=full_output, **options)
    J = r.value if full_output else r
    H = 0.5 * (J + J.T)
    if out is not None:
        check_out(out, J.shape, J.dtype)[...] = H
        H = out
    if not full_output:
        return H
    # The asymmetry of J is itself a measured error.
    error = 0.5 * (r.error + r.error.T) + 0.5 * np.abs(J - J.T)
    return FDResult(H, error, r.step, r.nfev, r.method, r.order, r.richardson)


def hvp(grad, x, v, *, step=None, args=(), kwargs=None):
    """Hessian-vector product H(x) v from an analytic gradient: 2 gradient evaluations.

    ``(grad(x + t v) - grad(x - t v)) / (2 t)`` with t = EPS^(1/3) max(1, |x|_inf) / |v|_inf,
    i.e. the `jvp` of the gradient; H itself is never formed, so this scales to any n.

    Parameters
    ----------
    grad : callable
        ``grad(x, *args, **kwargs) -> array of shape (n,)``.
    x, v : array_like, shape (n,)
    step : float, optional
        The step t along v.

    Returns
    -------
    ndarray, shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> fdcore.hvp(lambda x: A @ x, [0.5, -1.0], [1.0, 2.0]).round(8)
    array([4., 7.])
    """
    result = jvp(grad, x, v, step=step, args=args, kwargs=kwargs)
    if np.ndim(result) != 1:
        raise ValueError("grad must return a 1-D array (the gradient), got a scalar")
    return result


def _retry_tolerance(opts, step, dtype):
    """Relative error estimate above which the accurate mode retries a coordinate (None: never).

    EPS^0.56 (1.7e-9 in float64), but never below 1e3 F_ULPS EPS (3.8e-3 in float32), which
    round-off alone can explain at the accurate mode's steps.
    """
    if not opts.accurate or step is not None:
        return None
    eps = np.finfo(dtype).eps
    return max(eps**ACCURATE_RETRY_EXPONENT, 1e3 * F_ULPS * eps)


def _sparse_first_derivative(f, work, opts, step, sparsity, out, full_output, bounds):
    """The Jacobian on a sparsity pattern, by column colouring (scipy.sparse csr array)."""
    if not opts.two_point or out is not None or full_output or bounds is not None or _is_adaptive(step):
        raise ValueError("sparsity= computes the plain two-point differences (no order, richardson, noise, "
                         "step='adaptive', bounds, out or full_output)")
    shape = sparsity.shape if hasattr(sparsity, "shape") else np.shape(sparsity)
    if len(shape) != 2:
        raise ValueError(f"sparsity must be a 2-D (m, n) pattern, got shape {shape}")
    check_pattern_values(sparsity)
    m = shape[0]  # the pattern says m: no evaluation of f(x) just to learn it
    h = resolve_step(step, work.w, 1, opts.method)
    J, _, _ = sparse_jacobian(f, work, h, as_pattern(sparsity, (m, work.w.shape[0])), opts.method)
    return J


def _bounded(f, work, opts, step, bounds, vector):
    """First derivatives whose stencils stay inside bounds (see fdcore._bounds)."""
    if opts.method == "complex" or _is_adaptive(step):
        raise ValueError("bounds= works with the real stencils and fixed or default steps, not with "
                         "method='complex' or step='adaptive'")
    lb, ub = _parse_bounds(bounds, work.w)
    h = resolve_step(step, work.w, 1, opts.method, opts.order, opts.levels, opts.ratio)
    return bounded_axis_derivative(f, work, 1, opts.order, opts.method, opts.levels, opts.ratio, h,
                                   opts.noise, vector, lb, ub)


def _parse_bounds(bounds, w):
    """fdcore._bounds.parse_bounds, with the shapes of lb and ub checked first (naming bounds)."""
    try:
        lb, ub = bounds
    except (TypeError, ValueError):
        raise TypeError("bounds must be a pair (lb, ub) of scalars or arrays of shape (n,)") from None
    for side, value in (("lb", lb), ("ub", ub)):
        if np.shape(value) not in ((), w.shape):
            raise ValueError(f"bounds: {side} must be a scalar, None or an array of shape {w.shape}, "
                             f"got shape {np.shape(value)}")
    return parse_bounds(bounds, w)


def _is_adaptive(step):
    if isinstance(step, str):
        if step != "adaptive":
            raise ValueError(f"step must be a positive number, an array, None or 'adaptive'; got {step!r}")
        return True
    return False


def _adaptive_axis(f, work, opts, vector):
    """First derivatives at the per-coordinate steps of fdcore._adaptive (one level only)."""
    if opts.levels > 1:
        raise ValueError("step='adaptive' picks one step per coordinate; it cannot be combined with richardson")
    centre = work.vector_at_centre(f) if vector else work.scalar_at_centre(f)
    m = centre.shape[0] if vector else None
    h, predicted, nfev = adaptive_steps(kernel_evaluator(f, work, m), work.w, centre, 1, opts.order,
                                        opts.method, opts.noise)
    outcome = axis_derivative(f, work, 1, opts.order, opts.method, 1, opts.ratio, h, opts.noise, vector,
                              centre=centre)
    predicted = predicted if vector else predicted[:, 0]
    outcome.error = np.maximum(outcome.error, predicted)
    outcome.nfev += nfev + 1
    return outcome


def _finish(value, outcome, opts, full_output):
    if not full_output:
        return value
    error = np.where(np.isfinite(value), outcome.error, np.inf).astype(np.float64)
    return FDResult(value, error, np.asarray(outcome.step, dtype=np.float64), outcome.nfev,
                    opts.method, opts.order, opts.levels)


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
    work = Work(f, x, args, kwargs, num_threads, BatchOptions(vectorized, workers))
    x = work.w
    v = as_float_array(v, "v").astype(x.dtype, copy=False)
    if v.shape != x.shape:
        raise ValueError(f"v must have the shape of x, {x.shape}; got {v.shape}")
    args, kwargs = work.args, work.kwargs or {}
    vmax = float(np.max(np.abs(v)))
    scale = 1.0
    if step is None:
        unit_step = float(np.finfo(x.dtype).eps) ** (1 / 3) * max(1.0, float(np.max(np.abs(x))))
        t = unit_step / vmax if vmax > 0 else 1.0
        if t > float(np.finfo(x.dtype).max):
            # v so small (subnormal) that the step along it overflows: differentiate along
            # v / max|v| and scale back (the derivative is linear in v).
            v, scale, t = v / x.dtype.type(vmax), vmax, unit_step
    else:
        if isinstance(step, (str, bytes)) or np.ndim(step) != 0:
            raise TypeError(f"step must be a positive number (the step t along v), got {step!r:.60}")
        try:
            t = float(step)
        except (TypeError, ValueError):
            raise TypeError(f"step must be a positive number (the step t along v), got {step!r:.60}") from None
        if not (np.isfinite(t) and t > 0):
            raise ValueError(f"step must be a positive finite number, got {step!r}")
    x_hi = read_only_view(x + x.dtype.type(t) * v)
    x_lo = read_only_view(x - x.dtype.type(t) * v)
    if work.compiled:
        evaluate = work.kernels.eval_vector if work.kernels.is_vector else work.kernels.eval_scalar
        f_hi, f_lo = np.asarray(evaluate(f, x_hi, (), None)), np.asarray(evaluate(f, x_lo, (), None))
    elif vectorized or workers is not None:  # both points in one batch
        both = np.asarray(work.kernels.call_batch(read_only_view(np.stack([x_hi, x_lo], axis=1))), dtype=np.float64)
        if both.shape[-1:] != (2,) or both.ndim > 2:
            raise ValueError(f"a vectorized f must return shape (2,) or (m, 2) for 2 points, got {both.shape}")
        f_hi, f_lo = both[..., 0], both[..., 1]
    else:
        f_hi = _real_value(f(x_hi, *args, **kwargs))
        f_lo = _real_value(f(x_lo, *args, **kwargs))
    if np.shape(f_hi) != np.shape(f_lo):
        raise ValueError(f"f returned shapes {np.shape(f_hi)} and {np.shape(f_lo)} at two points")
    result = (f_hi - f_lo) / (2.0 * t) * scale
    if vmax == 0:
        result = result * 0.0  # the derivative along the zero vector
    if np.ndim(result) == 0:
        result = float(result)
        if not np.isfinite(result):
            _warn_nonfinite_along(t, "the directional derivative is NaN")
            result = np.nan
        return result
    result = np.asarray(result, dtype=x.dtype)
    bad = ~np.isfinite(result)
    if bad.any():
        result[bad] = np.nan
        _warn_nonfinite_along(t, f"the entries {', '.join(map(str, np.flatnonzero(bad)[:10]))} of the "
                                 "directional derivative are NaN")
    return result


def _warn_nonfinite_along(t, consequence):
    warnings.warn(f"f returned NaN or inf at x + t v or x - t v (t = {t:.3g}); {consequence}",
                  RuntimeWarning, stacklevel=3)


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
        norm = float(np.linalg.norm(v_arr))
        if norm == 0:
            raise ValueError("v must be nonzero to define a direction (or pass normalize=False)")
        v_arr = v_arr / norm
    return jvp(f, x, v_arr, step=step, args=args, kwargs=kwargs, num_threads=num_threads,
               vectorized=vectorized, workers=workers)


@_doc
def derivative(f, x, *, n=1, method="central", order=None, step=None, richardson=False, step_ratio=2.0,
               noise=None, args=(), kwargs=None, full_output=False):
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
    n : {1, 2, 3, 4}
        Derivative order.
    method : {'central', 'forward', 'backward', 'complex'}
        'complex' (n = 1 only): ``Im f(x + i h) / h``, one call.
    {common}

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
    """
    check_callable(f)
    if isinstance(n, bool) or n not in (1, 2, 3, 4):
        raise ValueError(f"n must be 1, 2, 3 or 4, got {n!r}")
    opts = parse(method, order, richardson, step_ratio, noise, FIRST_DERIVATIVE_METHODS if n == 1 else REAL_METHODS)
    x = as_float_array(x, ndim=None)
    args, kwargs = call_arguments(args, kwargs)
    kwargs = kwargs or {}
    flat = x.reshape(-1)
    if step is not None and not isinstance(step, str):
        try:
            step = np.broadcast_to(step, x.shape).reshape(-1)
        except ValueError:
            raise ValueError(f"step must be a scalar or broadcastable to x's shape {x.shape}, got shape {np.shape(step)}") from None

    def call(points, kind="f"):
        value = np.asarray(f(read_only_view(points.reshape(x.shape)), *args, **kwargs))
        if kind == "complex" and value.dtype.kind != "c":
            raise TypeError(f"f returned {value.dtype} values for complex input; method='complex' needs a "
                            "complex-analytic f")
        if kind != "complex" and value.dtype.kind not in "biuf":
            raise TypeError(f"f must return real values, got dtype {value.dtype}")
        if value.shape != x.shape:
            raise ValueError(f"f must return an array of x's shape {x.shape}, got shape {value.shape}")
        return np.array(value, dtype=complex if kind == "complex" else np.float64).reshape(-1)  # a copy

    if method == "complex":
        h = _complex_step(step, flat)
        values = call(flat + 1j * h.astype(flat.dtype), "complex")
        value, error, nfev, used = values.imag / h, _complex_error(values.imag / h), 1, h
    else:
        h = resolve_step(step, flat, n, method, opts.order, opts.levels, opts.ratio)
        plan = axis_plan(n, opts.order, method, opts.levels, opts.ratio)
        values = np.empty((flat.size, len(plan.nodes)))
        offsets = np.empty_like(values)
        for k, c in enumerate(plan.nodes):
            points = flat + flat.dtype.type(c) * h
            offsets[:, k] = points.astype(np.float64) - flat
            values[:, k] = call(points)
        centre = call(flat)[:, None, None] if plan.needs_centre else np.nan
        estimates, roundoff = level_estimates(plan, values, offsets, centre, opts.noise, np.finfo(x.dtype).eps)
        value, error, level = extrapolate(estimates, roundoff, plan, select=opts.levels > 1)
        nfev, used = len(plan.nodes) + plan.needs_centre, h.astype(np.float64) * plan.scales[level]
    result = flag_nonfinite(value.astype(x.dtype).reshape(x.shape), "derivative")
    result = result[()] if result.ndim == 0 else result
    if not full_output:
        return result
    return FDResult(result, np.where(np.isfinite(result), error.reshape(x.shape), np.inf)[()], used.reshape(x.shape),
                    nfev, method, opts.order, opts.levels)


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


def _real_value(value):
    """f's value as a float64 scalar or 1-D array, for the direction-based entry points."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"f must return real numbers, got dtype {arr.dtype}")
    if arr.ndim > 1:
        raise ValueError(f"f must return a scalar or a 1-D array, got shape {arr.shape}")
    return arr.astype(np.float64)
