"""statsmodels-compatible numerical derivatives (``statsmodels.tools.numdiff``), on fdcore's engine.

``from fdcore.compat.statsmodels import approx_fprime, approx_hess3`` replaces the statsmodels
functions of the same names with their step rules, stencils and return shapes:

=================  ===========================================================  ================
function           stencil (Ridout 2009, The American Statistician 63, 66-74)    default step
=================  ===========================================================  ================
approx_fprime      forward (f(x + h e_k) - f(x)) / h, or centered with h / 2     EPS^(1/2), EPS^(1/3)
approx_fprime_cs   complex step Im f(x + i h e_k) / h                            EPS
approx_hess1       forward: (f(x + h_i e_i + h_j e_j) - f(x + h_i e_i)           EPS^(1/3)
                   - f(x + h_j e_j) + f(x)) / (h_i h_j)  (eq. 7)
approx_hess2       that plus the same backwards, over 2 h_i h_j  (eq. 8)         EPS^(1/3)
approx_hess3       four corners x +- h_i e_i +- h_j e_j over 4 h_i h_j (eq. 9)    EPS^(1/4)
approx_hess_cs     Im of f(x + i h_i e_i +- h_j e_j), over 2 h_i h_j              EPS^(1/3)
=================  ===========================================================  ================

each default step times max(|x_k|, 0.1); a scalar ``epsilon`` is used for every coordinate, an
array must have x's shape. The real stencils run in fdcore's evaluators: the gradients through
`fdcore.gradient` / `fdcore.jacobian` with these steps (whose quotients use the realized steps
(x + h) - x where statsmodels divides by h: ~1e-8 relative apart for forward steps); the
Hessians' points, statsmodels' own, through one batch of coordinate-pair evaluations, combined
as statsmodels combines them (the same numbers, bit for bit).

Examples
--------
>>> import numpy as np
>>> from fdcore.compat.statsmodels import approx_fprime, approx_hess3
>>> f = lambda x: x[0] ** 2 * x[1] + np.exp(x[1])
>>> approx_fprime(np.array([1.0, 0.0]), f, centered=True).round(8)
array([0., 2.])
>>> approx_hess3(np.array([1.0, 0.0]), f).round(6)
array([[0., 2.],
       [2., 1.]])
"""

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fdcore.compat.scipy import _dense
from fdcore.derivatives.objective import bind_objective

__all__ = ["approx_fprime", "approx_fprime_cs", "approx_hess", "approx_hess1", "approx_hess2", "approx_hess3",
           "approx_hess_cs"]
EPS = float(np.finfo(np.float64).eps)


def _steps(x, scale, epsilon, n):
    """statsmodels' steps: EPS^(1/scale) max(|x|, 0.1) by default; a scalar for every coordinate;
    an array of x's shape."""
    if epsilon is None:
        return EPS ** (1.0 / scale) * np.maximum(np.abs(np.asarray(x)), 0.1)
    if np.isscalar(epsilon):
        return np.full(n, float(epsilon))
    h = np.asarray(epsilon)
    if h.shape != np.shape(x):
        raise ValueError("If h is not a scalar it must have the same shape as x.")
    return h


def _real_point(x):
    """x as float64 (integers promoted; a complex x with zero imaginary part is its real part, as
    real stencils see it), 1-D."""
    x = np.asarray(x)
    if x.dtype.kind == "c":
        if np.any(x.imag != 0):
            raise ValueError("x must be real for the finite-difference stencils (use approx_fprime_cs)")
        x = x.real
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError(f"x must be 1-D, got shape {x.shape}")
    return x


def _bound(f, args, kwargs):
    kwargs = {} if kwargs is None else kwargs
    if not args and not kwargs:
        return f
    return lambda z: f(z, *args, **kwargs)


def _statsmodels_shape(J, n, scalar):
    """statsmodels' return shapes: the gradient (n,) for scalar f, the Jacobian (m, n) otherwise, and
    for n = 1 the (m, 1) transpose of its (1, m) stack ((1, 1) or (1,) ... as it gives)."""
    stacked = J.T.reshape((n, 1) if scalar else (n, -1))  # statsmodels' grad array, (n, *dim)
    return stacked.T if n == 1 else stacked.squeeze().T


def approx_fprime(x: ArrayLike, f: Callable[..., Any], epsilon: ArrayLike | None = None,
                  args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None,
                  centered: bool = False) -> NDArray[Any]:
    """Gradient or Jacobian of f at x by forward (default) or centered differences.

    Parameters
    ----------
    x : array_like, shape (n,)
        The point (integers and a complex x with zero imaginary part are taken as float64).
    f : callable
        ``f(x, *args, **kwargs)`` returning a scalar or a 1-D array of shape (m,).
    epsilon : float or array_like of shape (n,), optional
        Step; default EPS^(1/2) max(|x|, 0.1) forward, EPS^(1/3) max(|x|, 0.1) / 2 centered
        (statsmodels' ``epsilon / 2``: the centered points are x +- epsilon / 2). A negative
        forward step is a backward difference.
    args, kwargs : optional
        Extra arguments of f.
    centered : bool, optional
        Central differences (2n + 1 evaluations, f(x) included as in statsmodels) instead of
        forward ones (n + 1).

    Returns
    -------
    ndarray
        (n,) for scalar f, (m, n) for vector f; with n = 1, statsmodels' (m, 1) (or (1, 1)).
    """
    x = _real_point(x)
    n = x.shape[0]
    g = _bound(f, args, kwargs)
    h = np.asarray(_steps(x, 3, epsilon, n) / 2.0 if centered else _steps(x, 2, epsilon, n), dtype=np.float64)
    value = g(x)
    scalar = np.ndim(value) == 0
    f0 = np.atleast_1d(np.asarray(value, dtype=np.float64))
    m = f0.shape[0]
    if scalar:
        target = g
    elif m == 1:
        target = lambda z: np.atleast_1d(g(z))[0]  # noqa: E731 - a one-output f, for the gradient kernel
    else:
        target = lambda z: np.atleast_1d(g(z))  # noqa: E731
    # compat.scipy's dense stencils: f(x) once (statsmodels evaluates it too), signed forward steps
    # (a negative one is a backward difference, as statsmodels' is), central ones of |h|.
    J, _ = _dense(target, x, np.abs(h) if centered else h, "3-point" if centered else "2-point", f0,
                  np.zeros(n, dtype=bool), m, None)
    return _statsmodels_shape(J, n, scalar)


def approx_fprime_cs(x: ArrayLike, f: Callable[..., Any], epsilon: ArrayLike | None = None,
                     args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None) -> NDArray[Any]:
    """Gradient or Jacobian of f at x by the complex step, Im f(x + i h_k e_k) / h_k (n evaluations).

    Parameters
    ----------
    x : array_like
        The point; the steps run along its first axis (len(x) of them), so that a 2-D x of
        shape (n, k) gives k points at once for an f vectorized over the second axis.
    f : callable
        ``f(x, *args, **kwargs)``, complex-analytic, accepting complex x.
    epsilon : float or array_like, optional
        Step; default EPS max(|x|, 0.1).
    args, kwargs : optional
        Extra arguments of f.

    Returns
    -------
    ndarray
        The partial derivatives stacked along the last axis and transposed: (n,) for scalar f,
        (m, n) for vector f.
    """
    kwargs = {} if kwargs is None else kwargs
    x = np.asarray(x)
    n = len(x)
    h = _steps(x, 1, epsilon, n)
    partials = []
    for k in range(n):
        z = x.astype(np.complex128)
        z[k] = z[k] + 1j * h[k]
        partials.append(np.asarray(f(z, *args, **kwargs)).imag / h[k])
    return np.array(partials).T


def _pair_values(g, x, first, a, second, b):
    """f at x + a_k e_first[k] + b_k e_second[k] (second < 0: no second coordinate), in one batch of
    fdcore's coordinate-pair evaluations."""
    evaluator = bind_objective(g, x)
    values = np.empty(len(first))
    evaluator.pair_values(np.asarray(first, dtype=np.intp), np.asarray(a, dtype=np.float64),
                          np.asarray(second, dtype=np.intp), np.asarray(b, dtype=np.float64), values)
    return values


def _twice(x, first, second):
    """The offset of statsmodels' point (x + first) + second from x, exactly (the two steps are
    added one after the other, so the point differs from x + (first + second) by up to an ulp,
    which a second difference at steps ~1e-5 turns into 1e-6 relative)."""
    return (x + first) + second - x


def approx_hess1(x: ArrayLike, f: Callable[..., Any], epsilon: ArrayLike | None = None,
                 args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None,
                 return_grad: bool = False) -> Any:
    """Hessian by forward differences (Ridout's eq. 7): n(n + 1)/2 + n + 1 evaluations.

    Parameters
    ----------
    x : array_like, shape (n,)
        The point.
    f : callable
        The scalar function ``f(x, *args, **kwargs)``.
    epsilon : float or array_like of shape (n,), optional
        Steps; default EPS^(1/3) max(|x|, 0.1).
    args, kwargs : optional
        Extra arguments of f.
    return_grad : bool, optional
        Also return the forward-difference gradient from the same evaluations.

    Returns
    -------
    hess : ndarray, shape (n, n)
    grad : ndarray, shape (n,)
        Only with ``return_grad``.
    """
    return _forward_hessians(x, f, epsilon, args, kwargs, return_grad, both_sides=False)


def approx_hess2(x: ArrayLike, f: Callable[..., Any], epsilon: ArrayLike | None = None,
                 args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None,
                 return_grad: bool = False) -> Any:
    """Hessian by forward and backward differences averaged (Ridout's eq. 8): n^2 + 3n + 1 evaluations.

    Parameters
    ----------
    x, f, epsilon, args, kwargs, return_grad
        As for `approx_hess1` (default step EPS^(1/3) max(|x|, 0.1)).

    Returns
    -------
    hess : ndarray, shape (n, n)
    grad : ndarray, shape (n,)
        The forward-difference gradient, only with ``return_grad``.
    """
    return _forward_hessians(x, f, epsilon, args, kwargs, return_grad, both_sides=True)


def _forward_hessians(x, f, epsilon, args, kwargs, return_grad, both_sides):
    x = _real_point(x)
    n = x.shape[0]
    g = _bound(f, args, kwargs)
    h = np.asarray(_steps(x, 3, epsilon, n), dtype=np.float64)
    f0 = float(g(x))
    i, j = np.triu_indices(n)
    axis = np.arange(n)
    none = np.full(n, -1)
    # The axis points x + h_k e_k (and x - h_k e_k), then the pairs x + h_i e_i + h_j e_j (and
    # minus); a pair with i == j is the point (x + h_i e_i) + h_i e_i.
    sides = (1.0, -1.0) if both_sides else (1.0,)
    first = np.concatenate([axis for _ in sides] + [i for _ in sides])
    a = np.concatenate([s * h for s in sides] + [np.where(i == j, _twice(x[i], s * h[i], s * h[i]), s * h[i])
                                                  for s in sides])
    second = np.concatenate([none for _ in sides] + [np.where(i == j, -1, j) for _ in sides])
    b = np.concatenate([np.zeros(n) for _ in sides] + [s * np.where(i == j, 0.0, h[j]) for s in sides])
    values = _pair_values(g, x, first, a, second, b)
    up = values[:n]
    pairs_up = values[len(sides) * n:len(sides) * n + i.size]
    numerator = pairs_up - up[i] - up[j] + f0
    if both_sides:
        down = values[n:2 * n]
        numerator = numerator + values[2 * n + i.size:] - down[i] - down[j] + f0
    H = np.empty((n, n))
    H[i, j] = H[j, i] = numerator / (len(sides) * h[i] * h[j])
    if return_grad:
        return H, (up - f0) / h
    return H


def approx_hess3(x: ArrayLike, f: Callable[..., Any], epsilon: ArrayLike | None = None,
                 args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None) -> NDArray[Any]:
    """Hessian by the four-corner central stencil (Ridout's eq. 9): 2n(n + 1) evaluations.

    H_ij = [f(x + h_i e_i + h_j e_j) - f(x + h_i e_i - h_j e_j) - f(x - h_i e_i + h_j e_j)
    + f(x - h_i e_i - h_j e_j)] / (4 h_i h_j); on the diagonal the points are x +- 2 h_i e_i and
    x (twice).

    Parameters
    ----------
    x : array_like, shape (n,)
        The point.
    f : callable
        The scalar function ``f(x, *args, **kwargs)``.
    epsilon : float or array_like of shape (n,), optional
        Steps; default EPS^(1/4) max(|x|, 0.1).
    args, kwargs : optional
        Extra arguments of f.

    Returns
    -------
    ndarray, shape (n, n)
    """
    x = _real_point(x)
    n = x.shape[0]
    g = _bound(f, args, kwargs)
    h = np.asarray(_steps(x, 4, epsilon, n), dtype=np.float64)
    i, j = np.triu_indices(n)
    diagonal = i == j
    corners = ((1.0, 1.0), (1.0, -1.0), (-1.0, 1.0), (-1.0, -1.0))
    first = np.concatenate([i] * 4)
    a = np.concatenate([np.where(diagonal, _twice(x[i], s * h[i], t * h[i]), s * h[i]) for s, t in corners])
    second = np.concatenate([np.where(diagonal, -1, j)] * 4)
    b = np.concatenate([t * np.where(diagonal, 0.0, h[j]) for _, t in corners])
    F = _pair_values(g, x, first, a, second, b).reshape(4, -1)
    H = np.empty((n, n))
    H[i, j] = H[j, i] = ((F[0] - F[1]) - (F[2] - F[3])) / (4.0 * h[i] * h[j])
    return H


def approx_hess(x: ArrayLike, f: Callable[..., Any], epsilon: ArrayLike | None = None,
                args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None) -> NDArray[Any]:
    """Hessian by the four-corner central stencil: `approx_hess3` (this is an alias for approx_hess3).

    Parameters
    ----------
    x, f, epsilon, args, kwargs
        As for `approx_hess3`.

    Returns
    -------
    ndarray, shape (n, n)
    """
    return approx_hess3(x, f, epsilon=epsilon, args=args, kwargs=kwargs)


def approx_hess_cs(x: ArrayLike, f: Callable[..., Any], epsilon: ArrayLike | None = None,
                   args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None) -> NDArray[Any]:
    """Hessian by the complex step along e_i and a real central difference along e_j:
    H_ij = Im[f(x + i h_i e_i + h_j e_j) - f(x + i h_i e_i - h_j e_j)] / (2 h_i h_j);
    n(n + 1) evaluations, f complex-analytic.

    Parameters
    ----------
    x : array_like, shape (n,)
        The point.
    f : callable
        The scalar function ``f(x, *args, **kwargs)``, accepting complex x.
    epsilon : float or array_like of shape (n,), optional
        Steps; default EPS^(1/3) max(|x|, 0.1).
    args, kwargs : optional
        Extra arguments of f.

    Returns
    -------
    ndarray, shape (n, n)
    """
    kwargs = {} if kwargs is None else kwargs
    x = np.asarray(x)
    n = len(x)
    h = _steps(x, 3, epsilon, n)
    H = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            values = []
            for sign in (1.0, -1.0):
                z = x.astype(np.complex128)
                z[i] = z[i] + 1j * h[i]
                z[j] = z[j] + sign * h[j]
                values.append(f(z, *args, **kwargs))
            H[i, j] = H[j, i] = np.squeeze((values[0] - values[1]).imag / 2.0 / (h[i] * h[j]))
    return H
