"""Small applications of the derivatives: linear models and critical-point classification."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from fdcore.derivatives.docs import document
from fdcore.derivatives.first import gradient, jacobian
from fdcore.derivatives.hessian import hessian
from fdcore.derivatives.large import HessianProducts, extreme_eigenvalues
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
        The gradient (central differences, or ``grad(x)``) and, per coordinate, the size below
        which it counts as 0.
    hessian : ndarray, shape (n, n), or None
        The finite-difference Hessian (method 'dense'); None for method 'lanczos', which never
        forms it.
    eigenvalues : ndarray
        Eigenvalues of the Hessian, ascending: all n (method 'dense'), or the smallest and the
        largest (method 'lanczos', shape (2,)).
    eigenvalue_tolerance : float or ndarray of shape (2,)
        Eigenvalues within this distance of 0 count as 0 (method 'lanczos': one tolerance for
        each of the two eigenvalues).
    nfev : int
        Evaluations of f.
    ngev : int
        Evaluations of grad (method 'lanczos' with ``grad=``).
    nhvp : int
        Hessian-vector products (method 'lanczos').
    """

    kind: str
    gradient: FloatArray
    gradient_tolerance: FloatArray
    hessian: FloatArray | None
    eigenvalues: FloatArray
    eigenvalue_tolerance: float | FloatArray
    nfev: int
    ngev: int = 0
    nhvp: int = 0

    def __repr__(self) -> str:
        return (
            f"CriticalPoint(kind={self.kind!r}, |gradient|max={np.max(np.abs(self.gradient)):.3g}, "
            f"eigenvalues={np.array2string(self.eigenvalues, precision=4, threshold=6)}, "
            f"eigenvalue_tolerance={_short(self.eigenvalue_tolerance)}, nfev={self.nfev}"
            + (f", ngev={self.ngev}, nhvp={self.nhvp})" if self.hessian is None else ")")
        )


def _short(tolerance):
    """A tolerance (float, or one per eigenvalue) to 3 significant digits."""
    if np.ndim(tolerance) == 0:
        return f"{tolerance:.3g}"
    return "[" + " ".join(f"{t:.3g}" for t in tolerance) + "]"


@document
def classify_critical_point(f: Objective | None, x: ArrayLike, *, grad: Objective | None = None,
                            method: Literal["auto", "dense", "lanczos"] = "auto", gtol: float = 0.0,
                            args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None,
                            vectorized: bool = False, workers: Workers | None = None) -> CriticalPoint:
    """Say whether x is a minimum, maximum, saddle or degenerate critical point of f, or not critical.

    The finite-difference error is taken into account: a gradient component counts as zero when
    it is below 10 times its estimated error, an eigenvalue of the Hessian when it is below 10
    times the bound on how far that error can move it.

    **method='dense'** (the default up to n = 200): the gradient and the Hessian are each
    computed at the default step h and at 2h; the difference of the two estimates measures their
    truncation and round-off error, to which a round-off floor ``EPS |f(x)| / h`` is added (and, for
    the gradient, ``EPS |H| |x|``, the change of the gradient within the rounding of x). The
    eigenvalue tolerance is 10 times the Frobenius norm of the Hessian's estimated error matrix (a
    bound on how far the error can move an eigenvalue, by Weyl's inequality). Where the round-off
    floor dominates (a large |f(x)| against small derivatives, e.g. ``1e6 + x @ x``) and leaves an
    eigenvalue undecided, or a gradient component hidden below the change of the gradient over one
    step, the steps grow 4x at a time (up to 0.25 max(1, |x_i|)) while that lowers the error. Cost:
    2 (n^2 + 3n + 1) evaluations, plus 2 (n^2 + n + 1) per larger Hessian step and 4n per larger
    gradient step tried.

    **method='lanczos'** (the default above n = 200, or with ``grad=``): the Hessian is never
    formed; `hessian_eigenvalues` finds its smallest and largest eigenvalues by Lanczos on
    Hessian-vector products, each with its error bound (the residual plus the products'
    finite-difference error), and only those two decide (all eigenvalues are positive exactly
    when the smallest is). The gradient is ``grad(x)`` (exact up to the rounding of x,
    ``EPS ||H|| |x|``) or central differences at h and 2h with the dense method's error estimate
    (no step growth). Lanczos stops once the answer is known: an end's sign when its residual
    estimate is below 1e-4 ||H|| and the eigenvalue clear of 0 by 10 times that (eigenvalues
    nearer 0 converge to 1e-8 ||H||), a saddle as soon as both ends show opposite signs. Cost:
    the products (4n evaluations of f, or 2 of grad, each; typically tens to a few hundred),
    plus 4n + 1 evaluations of f for the gradient, or 1 of grad; memory O(n). At n = 10^6, pass
    ``grad=`` (a product from f alone then costs 4 10^6 evaluations). A negative smallest
    eigenvalue is certain as soon as it is found (Ritz values lie inside the spectrum);
    'minimum' relies on Lanczos having reached the smallest eigenvalue, and a RuntimeWarning
    says when it did not converge.

    Parameters
    ----------
    f : callable, compiled callback or None
        The scalar objective ``f(x, *args, **kwargs) -> float``; may be None with ``grad=``
        (method 'lanczos': then f is not evaluated).
    grad : callable, optional
        An analytic gradient ``grad(x, *args, **kwargs) -> array of shape (n,)``: the gradient
        test uses it, and each Hessian-vector product costs 2 of its evaluations. Method
        'lanczos' only.
    method : {'auto', 'dense', 'lanczos'}
        'auto': 'dense' for n <= 200 without ``grad``, else 'lanczos'.
    gtol : float
        Absolute gradient size that also counts as zero. The default 0 accepts only what the
        finite-difference error explains; a point returned by an optimizer is critical only up to
        its own tolerance, so pass that tolerance here.

    Returns
    -------
    CriticalPoint
        For method 'lanczos', ``hessian`` is None and ``eigenvalues`` holds the smallest and
        the largest eigenvalue.

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> fdcore.classify_critical_point(lambda p: p[0]**2 - p[1]**2, [0.0, 0.0]).kind
    'saddle'
    >>> fdcore.classify_critical_point(lambda p: (1 - p[0])**2 + 100 * (p[1] - p[0]**2)**2, [1.0, 1.0]).kind
    'minimum'
    >>> fdcore.classify_critical_point(lambda p: p[0]**4 + p[1]**2, [0.0, 0.0]).kind
    'degenerate'
    >>> fdcore.classify_critical_point(lambda p: p[0]**2 + p[1], [0.0, 0.0]).kind
    'not critical'

    At n = 100000 from a gradient (Lanczos), the Rosenbrock function's minimum:

    >>> from scipy.optimize import rosen_der
    >>> cp = fdcore.classify_critical_point(None, np.ones(100000), grad=rosen_der)
    >>> cp.kind, cp.hessian, round(float(cp.eigenvalues[0]), 4), bool(cp.nhvp < 100)
    ('minimum', None, 0.4988, True)
    """
    if method not in ("auto", "dense", "lanczos"):
        raise ValueError(f"method must be 'auto', 'dense' or 'lanczos', got {method!r:.60}")
    if method == "auto":
        method = "dense" if grad is None and np.size(x) <= DENSE_UP_TO else "lanczos"
    if method == "lanczos":
        return _classify_lanczos(f, x, grad, gtol, args, kwargs, vectorized, workers)
    if grad is not None:
        raise ValueError("grad= is used by method='lanczos' only (method='dense' differentiates f twice)")
    return _classify_dense(f, x, gtol, args, kwargs, vectorized, workers)


# classify_critical_point's 'auto': the dense Hessian (n^2 + n + 1 evaluations, twice) up to this n.
DENSE_UP_TO = 200


def _gradient_pair(f, x0, h, extra, kw, batch, rounding):
    """The central-difference gradient g at steps h, |g(h) - g(2h)| (its truncation and round-off
    seen) and the round-off floor ``rounding / h`` of f's values (rounding: EPS |f(x)|)."""
    g = gradient(f, x0, step=h, args=extra, kwargs=kw, **batch)
    return g, np.abs(g - gradient(f, x0, step=2 * h, args=extra, kwargs=kw, **batch)), rounding / h


def _check_gtol(gtol):
    if not (np.isfinite(gtol) and gtol >= 0):
        raise ValueError(f"gtol must be a finite number >= 0, got {gtol!r}")


def _value_at_x(evaluator):
    """|f(x)|, checked: a real, finite scalar."""
    (value,) = evaluator.raw_values([evaluator.x])
    if value.dtype.kind not in "biuf":
        raise FunctionValueError(f"f must return a real scalar, got {value!r:.60} (dtype {value.dtype})")
    if value.ndim != 0:
        raise FunctionValueError(f"f must return a scalar, got shape {value.shape}")
    f0 = abs(float(value))
    if not np.isfinite(f0):
        raise ValueError(f"f is not finite at x (f(x) = {float(value)}): x cannot be classified")
    return f0


def _kind(gradient_ok, smallest, largest, tolerance_smallest, tolerance_largest):
    """The classification from the gradient test and the extreme eigenvalues with their tolerances."""
    if not gradient_ok:
        return "not critical"
    if smallest > tolerance_smallest:
        return "minimum"
    if largest < -tolerance_largest:
        return "maximum"
    if smallest < -tolerance_smallest and largest > tolerance_largest:
        return "saddle"
    return "degenerate"


def _classify_lanczos(f, x, grad, gtol, args, kwargs, vectorized, workers):
    """classify_critical_point by the extreme eigenvalues (hessian_eigenvalues) and the gradient."""
    batch = dict(vectorized=vectorized, workers=workers)
    if grad is None:
        if f is None:
            raise TypeError("classify_critical_point needs f (a scalar function) or grad= (its gradient); both are None")
        evaluator = make_evaluator(f, x, args, kwargs, batch=BatchOptions(vectorized, workers))
    else:
        evaluator = make_evaluator(grad, x, args, kwargs, batch=BatchOptions(vectorized, workers))
    x0, extra, kw = evaluator.x.copy(), evaluator.args, evaluator.kwargs
    n = x0.shape[0]
    _check_gtol(gtol)
    if n < 2:
        raise ValueError("method='lanczos' needs n >= 2 (use method='dense')")
    eps = float(np.finfo(x0.dtype).eps)
    if grad is None:
        f0 = _value_at_x(evaluator)
    else:
        (g,) = evaluator.raw_values([evaluator.x])
        if g.dtype.kind not in "biuf" or g.shape != x0.shape:
            raise FunctionValueError(f"grad must return the gradient, a real 1-D array of x's shape {x0.shape}, got "
                                     f"shape {g.shape or 'a scalar'} (dtype {g.dtype})")
        g = g.astype(np.float64)
        if not np.all(np.isfinite(g)):
            raise ValueError("grad is not finite at x: x cannot be classified")
    products = HessianProducts(f, x0, grad, None, extra, kw, None, vectorized, workers)
    eig = extreme_eigenvalues(products, 1, "both", LANCZOS_TOL, LANCZOS_MAXITER, 0, _decided)
    # The rounding of x moves the gradient by |H| EPS |x| (see _classify_dense); ||H||_2, the
    # largest |eigenvalue|, stands for the rows of |H|.
    rounding_of_x = eps * float(np.max(np.abs(eig.eigenvalues))) * np.abs(x0.astype(np.float64))
    nfev, ngev = eig.nfev, eig.ngev
    if grad is None:
        g, g_change, g_floor = _gradient_pair(f, x0, default_step(x0, 1, "central"), extra, kw, batch, eps * f0)
        g_error = g_change + g_floor
        nfev += 1 + 4 * n
        if not np.all(np.isfinite(g_error)):
            shown = ", ".join(str(i) for i in np.flatnonzero(~np.isfinite(g_error))[:10])
            raise ValueError(f"f is not finite at stencil points of coordinates {shown}: the gradient there is "
                             "undefined and x cannot be classified")
    else:
        g_error = 0.0
        ngev += 1
    g_tol = np.maximum(TOLERANCE_SAFETY * (g_error + rounding_of_x), gtol)
    lam_tol = TOLERANCE_SAFETY * eig.error
    kind = _kind(bool(np.all(np.abs(g) <= g_tol)), eig.eigenvalues[0], eig.eigenvalues[-1], lam_tol[0], lam_tol[-1])
    return CriticalPoint(kind, g, g_tol, None, eig.eigenvalues, lam_tol, nfev=nfev, ngev=ngev,
                         nhvp=eig.nhvp)


# The Lanczos tolerance and product budget of method='lanczos' (hessian_eigenvalues' defaults).
LANCZOS_TOL = 1e-8
LANCZOS_MAXITER = 500
# While Lanczos runs, the products' finite-difference error is not yet measured; it is taken as
# this fraction of ||H|| (100 times what a product from f typically makes) in the early stop.
_FD_GUESS = 1e-6
# An end whose Lanczos residual estimate is below this fraction of ||H|| decides the sign of its
# eigenvalue when that is clear of 0 by 10 times the estimate (the full LANCZOS_TOL is kept for
# eigenvalues near 0): a continuous spectrum's end converges slowly, its sign long before.
_DECIDE_TOL = 1e-4


def _decided(values, estimate, norm):
    """Lanczos can stop early once the classification is known (Ritz values lie inside the
    spectrum: lambda_min <= smallest, largest <= lambda_max): a smallest value clear of 0 with a
    residual estimate below _DECIDE_TOL ||H|| (minimum), or converged and within the margin of 0
    (degenerate); likewise the largest (maximum, degenerate); or a smallest clearly negative and
    a largest clearly positive (saddle), converged or not. The final test uses the error bounds
    measured afterwards."""
    margin = TOLERANCE_SAFETY * (estimate + _FD_GUESS * norm)
    converged, settled = estimate <= LANCZOS_TOL * norm, estimate <= _DECIDE_TOL * norm
    smallest, largest = values[0], values[-1]
    return bool((settled[0] and smallest > margin[0]) or (settled[-1] and largest < -margin[-1])
                or (converged[0] and smallest > -margin[0]) or (converged[-1] and largest < margin[-1])
                or (smallest < -margin[0] and largest > margin[-1]))


def _classify_dense(f, x, gtol, args, kwargs, vectorized, workers):
    """classify_critical_point by the dense Hessian at h and 2h (see its docstring)."""
    evaluator = make_evaluator(f, x, args, kwargs, batch=BatchOptions(vectorized, workers))
    x0 = evaluator.x.copy()
    batch = dict(vectorized=vectorized, workers=workers)
    _check_gtol(gtol)
    extra, kw = evaluator.args, evaluator.kwargs
    f0 = _value_at_x(evaluator)
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

    h1 = default_step(x0, 1, "central")
    g, g_change, g_floor = _gradient_pair(f, x0, h1, extra, kw, batch, eps * f0)
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
        g, g_change, g_floor = _gradient_pair(f, x0, h1, extra, kw, batch, eps * f0)
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
    kind = _kind(not np.any(np.abs(g) > g_tol), lam[0], lam[-1], lam_tol, lam_tol)
    return CriticalPoint(kind, g, g_tol, H, lam, lam_tol, nfev=nfev)


# Factor by which classify_critical_point's steps grow where f's round-off hides the answer.
_STEP_GROWTH = 4.0


def _grown(h, largest):
    """h times _STEP_GROWTH, at most half of ``largest`` (the 2h estimate stays within it); None
    when no coordinate can grow."""
    grown = np.minimum(h * _STEP_GROWTH, 0.5 * largest)
    return grown if np.any(grown > h) else None
