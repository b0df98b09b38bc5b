"""First derivatives of f: R^n -> R (gradient) and R^n -> R^m (jacobian)."""

from typing import Any, Literal, Unpack, overload

import numpy as np
from numpy.typing import ArrayLike

from fdcore.derivatives.axis import (
    adaptive_axis_derivative,
    axis_derivative,
    values_finite_at,
)
from fdcore.derivatives.bounds import bounded_first_derivative
from fdcore.derivatives.complex_step import complex_step_derivative
from fdcore.derivatives.complex_step import (
    require_complex_input as _require_complex_input,
)
from fdcore.derivatives.docs import document
from fdcore.derivatives.result import FDResult, finish
from fdcore.derivatives.sparse import sparse_first_derivative
from fdcore.derivatives.types import FloatArray, GradientOptions, Objective
from fdcore.derivatives.validation import (
    check_out,
    checks_value_precision,
    dense_typical_scale,
    flag_nonfinite,
    watched,
)
from fdcore.evaluators.protocol import BatchOptions, make_evaluator
from fdcore.numerics.arrays import all_finite
from fdcore.numerics.errors import retry_tolerance
from fdcore.numerics.options import FIRST_DERIVATIVE_METHODS, TWO_POINT_NODES, parse
from fdcore.numerics.steps import complex_step as _complex_step
from fdcore.numerics.steps import is_adaptive, resolve_step


@overload
def gradient(f: Objective, x: ArrayLike, *, full_output: Literal[False] = False,
             **options: Unpack[GradientOptions]) -> FloatArray: ...
@overload
def gradient(f: Objective, x: ArrayLike, *, full_output: Literal[True],
             **options: Unpack[GradientOptions]) -> FDResult[FloatArray]: ...
@overload
def gradient(f: Objective, x: ArrayLike, *, full_output: bool,
             **options: Unpack[GradientOptions]) -> FloatArray | FDResult[FloatArray]: ...
@checks_value_precision
@document
def gradient(f, x, *, method="central", order=None, step=None, typical_x=None, richardson=False, step_ratio=2.0,
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
        (n + 1 evaluations: f at x first, refused with ValueError unless real there; no
        cancellation; f must be complex-analytic).
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
    evaluator = make_evaluator(watched(f, vectorized), x, args, kwargs, num_threads,
                               BatchOptions(vectorized, workers, max_batch_bytes, progress))
    opts = parse(method, order, richardson, step_ratio, noise, FIRST_DERIVATIVE_METHODS)
    typical = dense_typical_scale(typical_x, evaluator.x, method, step, bounds)
    n = evaluator.x.shape[0]
    target = np.empty(n, evaluator.x.dtype)  # the caller's out receives only a complete result
    out = target if out is None else check_out(out, (n,), evaluator.x.dtype)
    if bounds is not None:
        outcome = bounded_first_derivative(evaluator, opts, step, bounds, vector=False)
        out[...] = outcome.value
    elif method == "complex":
        _require_complex_input(evaluator)
        outcome = complex_step_derivative(evaluator, _complex_step(step, evaluator.x), vector=False)
        out[...] = outcome.value
    elif is_adaptive(step):
        outcome = adaptive_axis_derivative(evaluator, opts, vector=False)
        out[...] = outcome.value
    elif opts.two_point and not full_output:
        h = resolve_step(step, evaluator.x, 1, method, typical=typical)
        plus, minus = TWO_POINT_NODES[method]
        f0 = evaluator.scalar() if method != "central" else np.nan
        evaluator.two_point_gradient(h, plus, minus, f0, target)
        finite_values = None if all_finite(target) else values_finite_at(evaluator, h, method, target, f0)
        if out is not target:
            out[...] = target
        return flag_nonfinite(out, "gradient", finite_values=finite_values)
    else:
        h = resolve_step(step, evaluator.x, 1, method, opts.order, opts.levels, opts.ratio, typical)
        outcome = axis_derivative(evaluator, 1, opts.order, method, opts.levels, opts.ratio, h, opts.noise, False,
                                  retry_tolerance=retry_tolerance(opts.accurate, step, evaluator.x.dtype),
                                  scale_given=typical is not None)
        out[...] = outcome.value
    flag_nonfinite(out, "gradient")
    return finish(out, outcome, opts, full_output)


# Jacobian: with sparsity= the value is a scipy.sparse csr array (SciPy has no inline types).
@overload
def jacobian(f: Objective, x: ArrayLike, *, full_output: Literal[False] = False, sparsity: None = None,
             **options: Unpack[GradientOptions]) -> FloatArray: ...
@overload
def jacobian(f: Objective, x: ArrayLike, *, full_output: Literal[True], sparsity: None = None,
             **options: Unpack[GradientOptions]) -> FDResult[FloatArray]: ...
@overload
def jacobian(f: Objective, x: ArrayLike, *, full_output: bool = False, sparsity: Any,
             **options: Unpack[GradientOptions]) -> Any: ...
@overload
def jacobian(f: Objective, x: ArrayLike, *, full_output: bool, sparsity: None = None,
             **options: Unpack[GradientOptions]) -> FloatArray | FDResult[FloatArray]: ...
@checks_value_precision
@document
def jacobian(f, x, *, method="central", order=None, step=None, typical_x=None, richardson=False, step_ratio=2.0,
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
        As for `gradient`: 'central' costs 2n evaluations, 'forward'/'backward' n + 1, 'complex' n + 1.
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
    evaluator = make_evaluator(watched(f, vectorized), x, args, kwargs, num_threads,
                               BatchOptions(vectorized, workers, max_batch_bytes, progress))
    opts = parse(method, order, richardson, step_ratio, noise, FIRST_DERIVATIVE_METHODS)
    typical = dense_typical_scale(typical_x, evaluator.x, method, step, bounds, sparsity)
    n = evaluator.x.shape[0]
    if bounds is not None and method == "complex":
        raise ValueError("bounds= works with the real stencils, not with method='complex'")
    if sparsity is not None:
        return sparse_first_derivative(evaluator, opts, step, sparsity, out, full_output, bounds)
    by_column = lambda bad: np.flatnonzero(bad.any(axis=0))
    if opts.two_point and not full_output and not is_adaptive(step) and bounds is None:
        h = resolve_step(step, evaluator.x, 1, method, typical=typical)
        plus, minus = TWO_POINT_NODES[method]
        f0 = evaluator.vector() if method != "central" else None
        if out is not None:  # m is known here only for one-sided stencils
            check_out(out, (None if f0 is None else f0.shape[0], n), evaluator.x.dtype)
        jac = evaluator.two_point_jacobian(h, plus, minus, f0, None)  # out receives only a complete result
        finite_values = None if all_finite(jac.ravel(order="K")) else values_finite_at(evaluator, h, method, jac, f0)
        if out is not None:
            check_out(out, jac.shape, evaluator.x.dtype)[...] = jac
            jac = out
        return flag_nonfinite(jac, "Jacobian", index_of=by_column, finite_values=finite_values)
    if method == "complex":
        _require_complex_input(evaluator)
        outcome = complex_step_derivative(evaluator, _complex_step(step, evaluator.x), vector=True)
    else:
        if bounds is not None:
            outcome = bounded_first_derivative(evaluator, opts, step, bounds, vector=True)
        elif is_adaptive(step):
            outcome = adaptive_axis_derivative(evaluator, opts, vector=True)
        else:
            h = resolve_step(step, evaluator.x, 1, method, opts.order, opts.levels, opts.ratio, typical)
            outcome = axis_derivative(evaluator, 1, opts.order, method, opts.levels, opts.ratio, h, opts.noise, True,
                                      retry_tolerance=retry_tolerance(opts.accurate, step, evaluator.x.dtype),
                                      scale_given=typical is not None)
        outcome.value, outcome.error = outcome.value.T, outcome.error.T
    shape = outcome.value.shape
    out = np.empty(shape, evaluator.x.dtype) if out is None else check_out(out, shape, evaluator.x.dtype)
    out[...] = outcome.value
    flag_nonfinite(out, "Jacobian", index_of=by_column)
    return finish(out, outcome, opts, full_output)
