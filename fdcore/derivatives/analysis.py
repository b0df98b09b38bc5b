"""Small applications of the derivatives: linear models and critical-point classification."""

from dataclasses import dataclass

import numpy as np

from fdcore.derivatives.docs import document
from fdcore.derivatives.first import gradient, jacobian
from fdcore.derivatives.hessian import hessian
from fdcore.evaluators.protocol import BatchOptions, make_evaluator
from fdcore.evaluators.returns import FunctionValueError
from fdcore.numerics.errors import HESSIAN_VALUES_PER_ENTRY, TOLERANCE_SAFETY
from fdcore.numerics.steps import default_step


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

    x0: np.ndarray
    value: object
    jacobian: np.ndarray
    nfev: int

    def __call__(self, y):
        """Evaluate the model at y of shape (n,), or at each row of y of shape (k, n)."""
        y = np.asarray(y, dtype=self.x0.dtype)
        if y.shape[-1:] != self.x0.shape:
            raise ValueError(f"y must have shape ({self.x0.shape[0]},) or (k, {self.x0.shape[0]}), got {y.shape}")
        return self.value + (y - self.x0) @ self.jacobian.T

    def __repr__(self):
        return (
            f"Linearization(x0={np.array2string(self.x0, threshold=6)}, value={self.value!r}, "
            f"jacobian shape={self.jacobian.shape}, nfev={self.nfev})"
        )


def linearize(f, x, *, step=None, args=(), kwargs=None, vectorized=False, workers=None):
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
    gradient: np.ndarray
    gradient_tolerance: np.ndarray
    hessian: np.ndarray
    eigenvalues: np.ndarray
    eigenvalue_tolerance: float
    nfev: int

    def __repr__(self):
        return (
            f"CriticalPoint(kind={self.kind!r}, |gradient|max={np.max(np.abs(self.gradient)):.3g}, "
            f"eigenvalues={np.array2string(self.eigenvalues, precision=4, threshold=6)}, "
            f"eigenvalue_tolerance={self.eigenvalue_tolerance:.3g}, nfev={self.nfev})"
        )


@document
def classify_critical_point(f, x, *, gtol=0.0, args=(), kwargs=None, vectorized=False, workers=None):
    """Say whether x is a minimum, maximum, saddle or degenerate critical point of f, or not critical.

    The finite-difference error is taken into account: the gradient and the Hessian are each
    computed at the default step h and at 2h; the difference of the two estimates measures their
    truncation and round-off error, to which a round-off floor ``EPS |f(x)| / h`` is added (and, for
    the gradient, ``EPS |H| |x|``, the change of the gradient within the rounding of x). A gradient
    component counts as zero when it is below 10 times its estimated error; an eigenvalue when it
    is below 10 times the Frobenius norm of the Hessian's estimated error matrix (a bound on how far
    the error can move an eigenvalue, by Weyl's inequality). Cost: 2 (n^2 + 3n + 1) evaluations.

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

    h2 = default_step(x0, 2, "central")
    H = hessian(f, x0, step=h2, args=extra, kwargs=kw, **batch)
    H2 = hessian(f, x0, step=2 * h2, args=extra, kwargs=kw, **batch)
    H_err = np.abs(H - H2) + HESSIAN_VALUES_PER_ENTRY * eps * f0 / np.outer(h2, h2)
    lam_tol = float(TOLERANCE_SAFETY * np.linalg.norm(H_err))

    h1 = default_step(x0, 1, "central")
    g = gradient(f, x0, step=h1, args=extra, kwargs=kw, **batch)
    g2 = gradient(f, x0, step=2 * h1, args=extra, kwargs=kw, **batch)
    # Error of g: truncation and round-off (seen in g - g2), round-off of f near x, and the
    # rounding of x itself (x is only known to EPS |x|, which moves the gradient by |H| EPS |x|).
    g_err = np.abs(g - g2) + eps * f0 / h1 + eps * (np.abs(H) @ np.abs(x0))
    g_tol = np.maximum(TOLERANCE_SAFETY * g_err, gtol)
    # The coordinates to blame: non-finite gradient or diagonal entries, then the pairs of any
    # other non-finite entry.
    bad = ~(np.isfinite(g) & np.isfinite(g2) & np.isfinite(np.diag(H)) & np.isfinite(np.diag(H2)))
    pairs = ~(np.isfinite(H) & np.isfinite(H2))
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
    n = x0.shape[0]
    return CriticalPoint(kind, g, g_tol, H, lam, lam_tol, nfev=1 + 4 * n + 2 * (n * n + n + 1))
