"""Small applications of the derivatives: linear models and critical-point classification."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from fdcore.derivatives.docs import document
from fdcore.derivatives.first import gradient, jacobian
from fdcore.derivatives.hessian import hessian
from fdcore.derivatives.types import FloatArray, Objective, Workers
from fdcore.evaluators.protocol import BatchOptions, make_evaluator
from fdcore.evaluators.returns import FunctionValueError
from fdcore.numerics.errors import HESSIAN_VALUES_PER_ENTRY, TOLERANCE_SAFETY
from fdcore.numerics.steps import MAX_RELATIVE_STEP, default_step


@dataclass(frozen=True, repr=False)
class Linearization:
    """First-order Taylor model ``L(y) = value + J (y - x0)`` of f at x0 (the tangent plane).

    Attributes
    ----------
    x0 : ndarray, shape (n,)
    value : float or ndarray of shape (m,)
        f(x0).
    jacobian : ndarray, shape (n,) for scalar f (the gradient) or (m, n)
    nfev : int
        Evaluations of f spent (2n + 1).
    """

    x0: FloatArray
    value: Any  # float or ndarray of shape (m,)
    jacobian: FloatArray
    nfev: int

    def __call__(self, y: ArrayLike) -> Any:
        """Evaluate the model at y of shape (n,), or at each row of y of shape (k, n)."""
        y = np.asarray(y, dtype=self.x0.dtype)
        if y.shape[-1:] != self.x0.shape:
            raise ValueError(f"y must have shape ({self.x0.shape[0]},) or (k, {self.x0.shape[0]}), got {y.shape}")
        return self.value + (y - self.x0) @ self.jacobian.T

    def __repr__(self) -> str:
        return (
            f"Linearization(x0={np.array2string(self.x0, threshold=6)}, value={self.value!r}, "
            f"jacobian shape={self.jacobian.shape}, nfev={self.nfev})"
        )


def linearize(f: Objective, x: ArrayLike, *, step: float | None = None, args: tuple[Any, ...] = (),
              kwargs: Mapping[str, Any] | None = None, vectorized: bool = False,
              workers: Workers | None = None) -> Linearization:
    """Linearize f at x: its value, its gradient (or Jacobian) and the affine model.

    For scalar f this is the tangent plane ``z = f(x0) + grad f(x0) . (x - x0)``; for vector f the
    first-order Taylor model ``f(x0) + J (x - x0)``. Central differences, 2n + 1 evaluations.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)`` returning a scalar or a 1-D array.
    x : array_like, shape (n,)
    step, args, kwargs, vectorized, workers
        As for `gradient`.

    Returns
    -------
    Linearization
        Callable: ``model(y)`` evaluates the affine model.

    Examples
    --------
    Tangent plane of z = x^2 + y^2 at (1, 2): z = 5 + 2 (x - 1) + 4 (y - 2).

    >>> import fdcore
    >>> plane = fdcore.linearize(lambda p: p[0]**2 + p[1]**2, [1.0, 2.0])
    >>> round(float(plane.value), 12), plane.jacobian.round(8)
    (5.0, array([2., 4.]))
    >>> round(float(plane([1.1, 2.0])), 8)
    5.2
    """
    evaluator = make_evaluator(f, x, args, kwargs, batch=BatchOptions(vectorized, workers))
    x0, extra, kw = evaluator.x.copy(), evaluator.args, evaluator.kwargs
    batch = dict(vectorized=vectorized, workers=workers)
    (value,) = evaluator.raw_values([evaluator.x])
    if value.dtype.kind not in "biuf":
        raise FunctionValueError(f"f must return real numbers, got dtype {value.dtype}")
    if value.ndim == 0:
        jac = gradient(f, x0, step=step, args=extra, kwargs=kw, **batch)
        value = float(value)
    elif value.ndim == 1:
        jac = jacobian(f, x0, step=step, args=extra, kwargs=kw, **batch)
        value = value.astype(x0.dtype)
    else:
        raise FunctionValueError(f"f must return a scalar or a 1-D array, got shape {value.shape}")
    return Linearization(x0=x0, value=value, jacobian=jac, nfev=2 * x0.shape[0] + 1)


@dataclass(frozen=True, repr=False)
class CriticalPoint:
    """Classification of a point by the gradient and the Hessian's eigenvalues.

    Attributes
    ----------
    kind : str
        'minimum', 'maximum', 'saddle', 'degenerate' (the gradient vanishes but some eigenvalue
        cannot be told from zero) or 'not critical'.
    gradient, gradient_tolerance : ndarray, shape (n,)
        The central-difference gradient and, per coordinate, the size below which it counts as 0.
    hessian : ndarray, shape (n, n)
    eigenvalues : ndarray, shape (n,)
        Eigenvalues of the Hessian, ascending.
    eigenvalue_tolerance : float
        Eigenvalues within this distance of 0 count as 0.
    nfev : int
    """

    kind: str
    gradient: FloatArray
    gradient_tolerance: FloatArray
    hessian: FloatArray
    eigenvalues: FloatArray
    eigenvalue_tolerance: float
    nfev: int

    def __repr__(self) -> str:
        return (
            f"CriticalPoint(kind={self.kind!r}, |gradient|max={np.max(np.abs(self.gradient)):.3g}, "
            f"eigenvalues={np.array2string(self.eigenvalues, precision=4, threshold=6)}, "
            f"eigenvalue_tolerance={self.eigenvalue_tolerance:.3g}, nfev={self.nfev})"
        )


@document
def classify_critical_point(f: Objective, x: ArrayLike, *, gtol: float = 0.0, args: tuple[Any, ...] = (),
                            kwargs: Mapping[str, Any] | None = None, vectorized: bool = False,
                            workers: Workers | None = None) -> CriticalPoint:
    """Say whether x is a minimum, maximum, saddle or degenerate critical point of f, or not critical.

    The finite-difference error is taken into account: the gradient and the Hessian are each
    computed at the default step h and at 2h; the difference of the two estimates measures their
    truncation and round-off error, to which a round-off floor ``EPS |f(x)| / h`` is added (and, for
    the gradient, ``EPS |H| |x|``, the change of the gradient within the rounding of x). A gradient
    component counts as zero when it is below 10 times its estimated error; an eigenvalue when it
    is below 10 times the Frobenius norm of the Hessian's estimated error matrix (a bound on how far
    the error can move an eigenvalue, by Weyl's inequality). Where the round-off floor dominates
    (a large |f(x)| against small derivatives, e.g. ``1e6 + x @ x``) and leaves an eigenvalue
    undecided, or a gradient component hidden below the change of the gradient over one step,
    the steps grow 4x at a time (up to 0.25 max(1, |x_i|)) while that lowers the error. Cost:
    2 (n^2 + 3n + 1) evaluations, plus 2 (n^2 + n + 1) per larger Hessian step and 4n per larger
    gradient step tried.

    Parameters
    ----------
    gtol : float
        Absolute gradient size that also counts as zero. The default 0 accepts only what the
        finite-difference error explains; a point returned by an optimizer is critical only up to
        its own tolerance, so pass that tolerance here.

    Returns
    -------
    CriticalPoint

    Examples
    --------
    >>> import fdcore
    >>> fdcore.classify_critical_point(lambda p: p[0]**2 - p[1]**2, [0.0, 0.0]).kind
    'saddle'
    >>> fdcore.classify_critical_point(lambda p: (1 - p[0])**2 + 100 * (p[1] - p[0]**2)**2, [1.0, 1.0]).kind
    'minimum'
    >>> fdcore.classify_critical_point(lambda p: p[0]**4 + p[1]**2, [0.0, 0.0]).kind
    'degenerate'
    >>> fdcore.classify_critical_point(lambda p: p[0]**2 + p[1], [0.0, 0.0]).kind
    'not critical'
    """
    evaluator = make_evaluator(f, x, args, kwargs, batch=BatchOptions(vectorized, workers))
    x0 = evaluator.x.copy()
    batch = dict(vectorized=vectorized, workers=workers)
    if not (np.isfinite(gtol) and gtol >= 0):
        raise ValueError(f"gtol must be a finite number >= 0, got {gtol!r}")
    extra, kw = evaluator.args, evaluator.kwargs
    (value,) = evaluator.raw_values([evaluator.x])
    if value.dtype.kind not in "biuf":
        raise FunctionValueError(f"f must return a real scalar, got {value!r:.60} (dtype {value.dtype})")
    if value.ndim != 0:
        raise FunctionValueError(f"f must return a scalar, got shape {value.shape}")
    f0 = abs(float(value))
    if not np.isfinite(f0):
        raise ValueError(f"f is not finite at x (f(x) = {float(value)}): x cannot be classified")
    eps = np.finfo(x0.dtype).eps
    n = x0.shape[0]
    largest = MAX_RELATIVE_STEP * np.maximum(1.0, np.abs(x0.astype(np.float64)))

    def hessian_pair(h):
        """H at h, |H(h) - H(2h)| (truncation and round-off seen) and the round-off floor."""
        H = hessian(f, x0, step=h, args=extra, kwargs=kw, **batch)
        change = np.abs(H - hessian(f, x0, step=2 * h, args=extra, kwargs=kw, **batch))
        return H, change, HESSIAN_VALUES_PER_ENTRY * eps * f0 / np.outer(h, h)

    def eigenvalue_tolerance(change, floor):
        return float(TOLERANCE_SAFETY * np.linalg.norm(change + floor))

    h2 = default_step(x0, 2, "central")
    H, change, floor = hessian_pair(h2)
    nfev = 1 + 2 * (n * n + n + 1)
    # The default steps assume f's round-off EPS |f(x)| is of the size of its derivatives; an f
    # like 1e6 + x.x (or any large offset) makes the floor hide the eigenvalues ('degenerate'
    # for a minimum) or even the change of f over the step (1e9 + x.x: H = 0). Where the floor
    # dominates and leaves an eigenvalue undecided, larger steps are tried (the floor falls as
    # 1/h^2, truncation grows as h^2), keeping the window with the smallest error.
    while np.all(np.isfinite(H)) and np.linalg.norm(floor) > np.linalg.norm(change):
        tolerance = eigenvalue_tolerance(change, floor)
        grown = _grown(h2, largest)
        if grown is None or not np.any(np.abs(np.linalg.eigvalsh(H.astype(np.float64))) <= tolerance):
            break
        candidate = hessian_pair(grown)
        nfev += 2 * (n * n + n + 1)
        if not eigenvalue_tolerance(*candidate[1:]) < tolerance:
            break
        h2, (H, change, floor) = grown, candidate
    lam_tol = eigenvalue_tolerance(change, floor)
    abs_H = np.abs(H)

    def gradient_pair(h):
        """g at h, |g(h) - g(2h)| and the round-off floor of f's values."""
        g = gradient(f, x0, step=h, args=extra, kwargs=kw, **batch)
        return g, np.abs(g - gradient(f, x0, step=2 * h, args=extra, kwargs=kw, **batch)), eps * f0 / h

    h1 = default_step(x0, 1, "central")
    g, g_change, g_floor = gradient_pair(h1)
    nfev += 4 * n
    # The rounding of x itself: x is only known to EPS |x|, which moves the gradient by |H| EPS |x|.
    rounding_of_x = eps * (abs_H @ np.abs(x0))
    # Likewise a gradient component whose floor dominates its error and exceeds the gradient's
    # change over one step (|H| h: then the difference cannot tell x from x +- h) is computed
    # again at larger steps.
    while True:
        g_tol = np.maximum(TOLERANCE_SAFETY * (g_change + g_floor + rounding_of_x), gtol)
        hidden = ((np.abs(g) <= g_tol) & (g_floor > g_change) & (g_floor > abs_H.sum(axis=1) * h1)
                  & np.isfinite(g))
        grown = _grown(np.where(hidden, h1, 0.0), largest)
        if not hidden.any() or grown is None:
            break
        h1 = np.where(hidden & (grown > h1), grown, h1)
        g, g_change, g_floor = gradient_pair(h1)
        nfev += 4 * n
    # The coordinates to blame: non-finite gradient or diagonal entries, then the pairs of any
    # other non-finite entry.
    bad = ~(np.isfinite(g) & np.isfinite(g_change) & np.isfinite(np.diag(H)) & np.isfinite(np.diag(change)))
    pairs = ~(np.isfinite(H) & np.isfinite(change))
    pairs[bad, :] = pairs[:, bad] = False
    bad |= pairs.any(axis=0)
    if bad.any():
        shown = ", ".join(str(i) for i in np.flatnonzero(bad)[:10])
        raise ValueError(f"f is not finite at stencil points of coordinates {shown}: the derivatives there "
                         "are undefined and x cannot be classified")
    lam = np.linalg.eigvalsh(H.astype(np.float64))

    if np.any(np.abs(g) > g_tol):
        kind = "not critical"
    elif np.all(lam > lam_tol):
        kind = "minimum"
    elif np.all(lam < -lam_tol):
        kind = "maximum"
    elif lam[0] < -lam_tol and lam[-1] > lam_tol:
        kind = "saddle"
    else:
        kind = "degenerate"
    return CriticalPoint(kind, g, g_tol, H, lam, lam_tol, nfev=nfev)


# Factor by which classify_critical_point's steps grow where f's round-off hides the answer.
_STEP_GROWTH = 4.0


def _grown(h, largest):
    """h times _STEP_GROWTH, at most half of ``largest`` (the 2h estimate stays within it); None
    when no coordinate can grow."""
    grown = np.minimum(h * _STEP_GROWTH, 0.5 * largest)
    return grown if np.any(grown > h) else None
