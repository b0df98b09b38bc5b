"""Second derivatives over large parameter vectors, where the dense Hessian (n^2 + n + 1
evaluations, n^2 numbers) is out of reach: its diagonal (2n + 1 evaluations), the Hessian as a
matrix-free linear operator (one Hessian-vector product per product), its extreme eigenvalues by
Lanczos with the finite-difference error carried through, and Hutchinson's trace estimate.

Memory is O(n) per product (O(k n) for k eigenvalues); nothing of size n^2 is ever formed.
"""

import functools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, Unpack, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fdcore.derivatives.axis import AxisOutcome, axis_derivative, nudge_probe
from fdcore.derivatives.directional import (
    along_direction,
    direction_step,
    hvp,
    hvp_from_f,
    hvp_step,
)
from fdcore.derivatives.docs import PARAMETERS, document
from fdcore.derivatives.result import FDResult, finish
from fdcore.derivatives.types import DiagonalOptions, FloatArray, Objective, Workers
from fdcore.derivatives.validation import (
    as_float_array,
    check_callable,
    checks_value_precision,
    dense_typical_scale,
    flag_nonfinite,
    is_compiled_callback,
    read_only_view,
    user_stacklevel,
    watched,
)
from fdcore.evaluators.protocol import BatchOptions, make_evaluator
from fdcore.evaluators.returns import FunctionValueError, note_precision
from fdcore.numerics.errors import retry_tolerance
from fdcore.numerics.lanczos import extreme_eigenpairs
from fdcore.numerics.options import REAL_METHODS, parse
from fdcore.numerics.richardson import axis_plan, extrapolate, level_estimates
from fdcore.numerics.steps import JVP_STEP_EXPONENT, resolve_step, unit_direction_step


@overload
def hessian_diagonal(f: Objective, x: ArrayLike, *, full_output: Literal[False] = False,
                     **options: Unpack[DiagonalOptions]) -> FloatArray: ...
@overload
def hessian_diagonal(f: Objective, x: ArrayLike, *, full_output: Literal[True],
                     **options: Unpack[DiagonalOptions]) -> FDResult[FloatArray]: ...
@overload
def hessian_diagonal(f: Objective, x: ArrayLike, *, full_output: bool,
                     **options: Unpack[DiagonalOptions]) -> FloatArray | FDResult[FloatArray]: ...
@checks_value_precision
@document
def hessian_diagonal(f, x, *, method="central", order=None, step=None, typical_x=None, richardson=False,
                     step_ratio=2.0, noise=None, args=(), kwargs=None, full_output=False, num_threads=None,
                     vectorized=False, workers=None, max_batch_bytes=None, progress=False):
    """The Hessian's diagonal, ``d^2 f / d x_i^2`` for every i, without the rest of the Hessian.

    Each coordinate's second derivative comes from its own axis stencil, so the cost grows as n,
    not n^2: **2n + 1 evaluations** for the default central stencil, n + 1 one-sided (plus
    f(x) once). The default stencils and steps are those of `hessian`'s diagonal, so the
    values are the dense Hessian's diagonal bit for bit (for every kind of f: Python, compiled,
    vectorized, workers).

    Parameters
    ----------
    method : {'central', 'forward', 'backward'}
        'central': the 3-point second difference ``(f(x + h e_i) - 2 f(x) + f(x - h e_i)) / h^2``
        (realized steps), error O(h^2). 'forward' / 'backward': the one-sided 3-point
        difference at 0, s, 2s (s = +-h), error O(h).
    order : int, optional
        Accuracy order of the axis stencil for the second derivative: 2, 4, 6, 8 central
        (default 2), 1..8 one-sided (default 1). An order-p stencil costs p evaluations per
        coordinate (central) or p + 1 (one-sided), plus f(x).
    step : float or array_like of shape (n,), optional
        Absolute step per coordinate (with Richardson levels: the coarsest level's). Default
        ``EPS**(1/(q + 2)) * max(1, |x_i|)`` for final accuracy order q: ``EPS**(1/4)`` for the
        central and ``EPS**(1/3)`` for the one-sided default, as `hessian`.
    richardson : bool or int, optional
        Richardson levels of the stencil, the best tableau entry per coordinate. ``True`` is
        the accurate mode: 4 levels, 8 evaluations per coordinate (central), about 1e-10
        relative; coordinates whose estimate is poorly resolved (relative error estimate above
        1e-7) or whose steps are long on the unit scale (|x_i| >> 1) are tried again at other
        step scales, after f's noise is measured (at most two more windows per coordinate and
        24 evaluations).

    Returns
    -------
    ndarray, shape (n,), or FDResult
        The diagonal; with ``full_output`` an `FDResult` whose ``error`` is the estimated
        absolute error per entry (the round-off bound alone without Richardson levels).

    See Also
    --------
    hessian : the full Hessian, n^2 + n + 1 evaluations.
    hessian_operator : products H v without forming H.

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> f = lambda p: np.sum(np.cos(p)) + p[0] * p[1]
    >>> x = np.array([0.3, -1.2, 2.0])
    >>> bool(np.allclose(fdcore.hessian_diagonal(f, x), -np.cos(x), atol=1e-6))
    True
    >>> r = fdcore.hessian_diagonal(f, x, richardson=True, full_output=True)
    >>> bool(np.all(np.abs(r.value + np.cos(x)) <= r.error)), bool(np.all(r.error < 1e-8))
    (True, True)

    The same numbers as the dense Hessian's diagonal, at 2n + 1 evaluations instead of
    n^2 + n + 1:

    >>> bool((fdcore.hessian_diagonal(f, x) == np.diag(fdcore.hessian(f, x))).all())
    True
    """
    evaluator = make_evaluator(watched(f, vectorized), x, args, kwargs, num_threads,
                               BatchOptions(vectorized, workers, max_batch_bytes, progress))
    opts = parse(method, order, richardson, step_ratio, noise, REAL_METHODS)
    typical = dense_typical_scale(typical_x, evaluator.x, method, step)
    base_order = 2 if method == "central" else 1
    if opts.levels == 1 and opts.order == base_order:
        outcome = _plain_diagonal(evaluator, opts, resolve_step(step, evaluator.x, 2, method, typical=typical),
                                  full_output)
    else:
        h = resolve_step(step, evaluator.x, 2, method, opts.order, opts.levels, opts.ratio, typical)
        tolerance = retry_tolerance(opts.accurate, step, evaluator.x.dtype, derivative=2)
        outcome = axis_derivative(evaluator, 2, opts.order, method, opts.levels, opts.ratio, h, opts.noise, False,
                                  retry_tolerance=tolerance, scale_given=typical is not None)
    value = np.asarray(outcome.value, dtype=evaluator.x.dtype)
    flag_nonfinite(value, "Hessian diagonal")
    return finish(value, outcome, opts, full_output)


def _plain_diagonal(evaluator, opts, h, full_output):
    """The default stencils (one level, the base order) through the evaluator's axis values,
    combined by the formulas of the dense Hessian kernels (fdcore/evaluators/stencil_terms.pxd,
    realized steps, the same operations in the same order: identical values). An AxisOutcome."""
    plan = axis_plan(2, 2 if opts.method == "central" else 1, opts.method)
    n = evaluator.x.shape[0]
    coords = np.arange(n, dtype=np.intp)
    f0 = evaluator.scalar()
    values = np.empty((n, len(plan.nodes)))
    offsets = np.empty((n, len(plan.nodes)))
    evaluator.axis_values(h, plan.nodes, coords, values, offsets)
    nodes = list(plan.nodes)
    if opts.method == "central":
        fp, fq = values[:, nodes.index(1.0)], values[:, nodes.index(-1.0)]
        p, q = offsets[:, nodes.index(1.0)], -offsets[:, nodes.index(-1.0)]

        def formula(s):
            return 2.0 * ((s * fp - s * f0) / p - (s * f0 - s * fq) / q) / (p + q) / s

        inputs = (fp, fq)
    else:
        sign = 1.0 if opts.method == "forward" else -1.0
        fd, f2 = values[:, nodes.index(sign)], values[:, nodes.index(2 * sign)]
        d, e = offsets[:, nodes.index(sign)], offsets[:, nodes.index(2 * sign)]

        def formula(s):
            return 2.0 * ((s * f2 - s * fd) / (e - d) - (s * fd - s * f0) / d) / e / s

        inputs = (fd, f2)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        value = formula(1.0)
        # the kernels' overflow rescue: finite values whose differences overflow, scaled by 1/8
        rescue = ~np.isfinite(value) & np.isfinite(inputs[0]) & np.isfinite(inputs[1]) & np.isfinite(f0)
        if rescue.any():
            value = np.where(rescue, formula(0.125), value)
    nfev = 1 + n * len(plan.nodes)
    error = np.zeros(n)
    if full_output:  # the round-off bound of the single level (fdcore.numerics.richardson)
        eps = float(np.finfo(evaluator.x.dtype).eps)
        probe = nudge_probe(evaluator, False, f0)
        est, rnd = level_estimates(plan, values, offsets, f0, opts.noise, eps, probe)
        _, error, _ = extrapolate(est, rnd, plan, select=False)
        nfev += probe.nfev
    return AxisOutcome(value, error, h.astype(np.float64), nfev)


@checks_value_precision
@document
def second_directional_derivative(f: Objective, x: ArrayLike, v: ArrayLike, *, step: float | None = None,
                                  args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None,
                                  num_threads: int | None = None, vectorized: bool = False,
                                  workers: Workers | None = None) -> float:
    """The curvature of f along v, ``v^T H(x) v = d^2/dt^2 f(x + t v)`` at t = 0, in 3 evaluations.

    ``(f(x + t v) - 2 f(x) + f(x - t v)) / t^2`` whatever n is (v is not normalised: divide by
    ``v @ v`` for the curvature along the unit vector).

    Parameters
    ----------
    f : callable or compiled callback
        ``f(x, *args, **kwargs) -> float``.
    x, v : array_like, shape (n,)
        Point and direction.
    step : float, optional
        The step t along v. Default ``EPS**(1/4) * min_i max(1, |x_i|) / |v_i|`` over the
        v_i != 0, as `hvp`: the second difference's truncation t^2 f'''' / 12 and its round-off
        4 EPS |f| / t^2 balance at t ~ EPS^(1/4) on the scale of x (as the central Hessian's
        steps; the first difference's EPS^(1/3) would leave EPS^(1/3) relative round-off), and
        no coordinate moves by more than its own step.
    args, kwargs
        Extra arguments passed to f.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> A = np.array([[2.0, 1.0], [1.0, 3.0]])
    >>> v = np.array([1.0, -2.0])
    >>> c = fdcore.second_directional_derivative(lambda x: 0.5 * x @ A @ x, [0.5, 0.1], v)
    >>> bool(abs(c - v @ A @ v) < 1e-6)
    True
    """
    evaluator, x, v = along_direction(f, x, v, args, kwargs, num_threads, vectorized, workers)
    vmax, x_max = float(np.max(np.abs(v))), float(np.max(np.abs(x)))
    if vmax == 0:
        return 0.0
    t = hvp_step(x, v) if step is None else direction_step(step)
    if not np.isfinite(x_max + t * vmax) or x_max + t * vmax > float(np.finfo(x.dtype).max):
        raise ValueError(f"x +- t v (t = {t:.3g}) leaves the {x.dtype} range: pass a smaller step= or rescale v")
    tt = x.dtype.type(t)
    points = [read_only_view(x.copy()), read_only_view(x + tt * v), read_only_view(x - tt * v)]
    f0, f_hi, f_lo = (scalar_value(value, "f") for value in evaluator.raw_values(points))
    with np.errstate(over="ignore", invalid="ignore"):
        value = ((f_hi - f0) - (f0 - f_lo)) / t / t
    if not np.isfinite(value):
        warnings.warn(f"f returned NaN or inf at x or x +- t v (t = {t:.3g}), or the curvature exceeds the largest "
                      "float; the second directional derivative is NaN", RuntimeWarning, stacklevel=user_stacklevel())
        return np.nan
    return float(value)


def scalar_value(value, name):
    """A value of f (``name``) as a Python float, or FunctionValueError naming it."""
    arr = np.asarray(value)
    note_precision(arr)
    if arr.dtype.kind not in "biuf":
        raise FunctionValueError(f"{name} must return a real scalar, got dtype {arr.dtype}")
    if arr.size != 1:
        raise FunctionValueError(f"{name} must return a scalar, got an array of shape {arr.shape}")
    return float(arr.reshape(()))


class HessianProducts:
    """Hessian-vector products at one point (a private read-only copy of x), from f by
    `hvp_from_f` (4n evaluations each) or from grad (2 of its evaluations), with their counts.

    A direction v is first divided by |v|_inf: the finite-difference product is linear in v up to
    its error, and every product then takes the same step t along a direction of unit max-norm
    (hvp's default steps for that direction, or the user's)."""

    def __init__(self, f, x, grad, step, args, kwargs, num_threads, vectorized, workers):
        if grad is None:
            if f is None:
                raise TypeError("f (a scalar function) or grad= (its gradient) is needed; both are None")
            if not is_compiled_callback(f):
                check_callable(f, "f")
        elif not is_compiled_callback(grad):
            check_callable(grad, "grad")
        self.f, self.grad, self.args, self.kwargs = f, grad, args, kwargs
        self.options = dict(num_threads=num_threads, vectorized=vectorized, workers=workers)
        self.x = read_only_view(as_float_array(x, "x"))
        self.n = self.x.shape[0]
        eps, x_max = float(np.finfo(self.x.dtype).eps), float(np.max(np.abs(self.x)))
        # hvp's step rules (see its docstring); from f the default step depends on the direction
        if step is not None:
            self.step = direction_step(step)
        else:
            self.step = None if grad is None else unit_direction_step(eps, x_max, exponent=JVP_STEP_EXPONENT)
        self.inner = resolve_step(None, self.x, 2, "central") if grad is None else None
        self.nfev = self.ngev = self.nproducts = 0

    def direction(self, v, name):
        """v checked (real, finite, shape (n,) or (n, 1)), a copy in x's dtype."""
        arr = as_float_array(v, name, ndim=None).astype(self.x.dtype, copy=False)
        if arr.shape not in ((self.n,), (self.n, 1)):
            raise ValueError(f"{name} must have shape ({self.n},) or ({self.n}, 1), got {arr.shape}")
        return arr

    def step_along(self, u):
        """The step t along u (of unit max-norm): the user's, or hvp's default for u."""
        return hvp_step(self.x, u) if self.step is None else self.step

    def product(self, v, scale=1.0):
        """H v for v of shape (n,), in x's dtype, with every step times ``scale``."""
        vmax = float(np.max(np.abs(v)))
        if vmax == 0:
            return np.zeros(self.n, dtype=self.x.dtype)
        u = (v / vmax).astype(self.x.dtype, copy=False)
        t = scale * self.step_along(u)
        if self.grad is None:
            hu, _, _, nfev = hvp_from_f(self.f, self.x, u, t, self.args, self.kwargs, inner=scale * self.inner,
                                        **self.options)
            self.nfev += nfev
        else:
            hu = hvp(None, self.x, u, grad=self.grad, step=t, args=self.args, kwargs=self.kwargs, **self.options)
            self.ngev += 2
        self.nproducts += 1
        return hu * self.x.dtype.type(vmax)

    def finite_product(self, v, scale=1.0):
        """`product` in float64, refused (ValueError) where it is not finite."""
        hv = self.product(v, scale).astype(np.float64)
        if not np.all(np.isfinite(hv)):
            source = "f" if self.grad is None else "grad"
            raise ValueError(f"the Hessian-vector product is not finite ({source} returned NaN or inf near x, or "
                             "the product overflows): the Hessian's eigenvalues and trace are undefined there")
        return hv


def _scipy_linalg():
    try:
        import scipy.sparse.linalg as linalg
    except ImportError:
        raise ImportError("hessian_operator returns a scipy.sparse.linalg.LinearOperator: pip install scipy") from None
    return linalg


@functools.cache
def _operator_class():
    """The LinearOperator subclass, made on first use (SciPy is optional)."""

    class HessianOperator(_scipy_linalg().LinearOperator):
        """H(x) as a scipy.sparse.linalg.LinearOperator (see `fdcore.hessian_operator`)."""

        def __init__(self, products):
            self._products = products
            super().__init__(products.x.dtype, (products.n, products.n))

        x = property(lambda self: self._products.x, doc="The point: a read-only copy of x.")
        nfev = property(lambda self: self._products.nfev, doc="Evaluations of f so far.")
        ngev = property(lambda self: self._products.ngev, doc="Evaluations of grad so far.")
        nmatvec = property(lambda self: self._products.nproducts, doc="Hessian-vector products so far.")

        def matvec(self, v):
            return super().matvec(self._products.direction(v, "v"))

        def rmatvec(self, v):
            return self.matvec(v)  # H is symmetric

        def matmat(self, X):
            arr = as_float_array(X, "X", ndim=None).astype(self.dtype, copy=False)
            if arr.ndim != 2 or arr.shape[0] != self.shape[1]:
                raise ValueError(f"X must have shape ({self.shape[1]}, k), got {arr.shape}")
            return super().matmat(arr)

        def _matvec(self, v):
            return self._products.product(np.ravel(v))

        _rmatvec = _matvec

        def _matmat(self, X):
            return np.column_stack([self._products.product(column) for column in X.T])  # column by column

        def _adjoint(self):
            return self

        _transpose = _adjoint

        def __repr__(self):
            source = "f" if self._products.grad is None else "grad"
            return (f"<{self.shape[0]}x{self.shape[1]} HessianOperator of {source} with dtype={self.dtype}: "
                    f"nmatvec={self.nmatvec}, nfev={self.nfev}, ngev={self.ngev}>")

    return HessianOperator


_F_OR_GRAD = """f : callable, compiled callback or None
    The scalar objective ``f(x, *args, **kwargs) -> float``; may be None when ``grad`` is
    given (it is then not evaluated)."""
_GRAD = """grad : callable, optional
    An analytic gradient ``grad(x, *args, **kwargs) -> array of shape (n,)`` (or a compiled
    vector callback with m = n): each product then costs 2 of its evaluations instead of 4n
    evaluations of f."""
_PRODUCT_STEP = """step : float, optional
    The step t of every product along a direction of unit max-norm (a direction v is divided
    by max|v| first). Default as `hvp`: ``EPS**(1/4) min_i max(1, |x_i|) / |u_i|`` from f for
    that direction u (the inner steps ``EPS**(1/4) max(1, |x_i|)``), ``EPS**(1/3) max(1, |x|_inf)``
    from grad."""


# The shared entries of the functions built on Hessian-vector products (see `document`).
_PRODUCT_PARAMETERS = {**PARAMETERS, "f": _F_OR_GRAD, "grad": _GRAD, "step": _PRODUCT_STEP}


@document(shared=_PRODUCT_PARAMETERS)
def hessian_operator(f: Objective | None, x: ArrayLike, *, grad: Objective | None = None,
                     step: float | None = None, args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None,
                     num_threads: int | None = None, vectorized: bool = False,
                     workers: Workers | None = None) -> Any:
    """The Hessian H(x) as a matrix-free `scipy.sparse.linalg.LinearOperator`.

    Each product ``H @ v`` is a finite-difference Hessian-vector product (`hvp`): **4n
    evaluations of f**, or **2 evaluations of grad**; memory O(n), nothing of size n^2 is
    formed. The operator has shape (n, n) and x's dtype (float32 or float64); it is symmetric
    (``rmatvec`` is ``matvec``, ``H.T`` and ``H.H`` are H), ``matmat`` takes one product per
    column, and it works with SciPy's Krylov solvers (``cg``, ``minres``, ``eigsh``, ...).

    Parameters
    ----------

    Returns
    -------
    scipy.sparse.linalg.LinearOperator
        With attributes ``x`` (the point, a read-only copy), ``nmatvec`` (products so far),
        ``nfev`` and ``ngev`` (evaluations of f and of grad so far). A direction must be real
        and finite, of shape (n,) or (n, 1); errors name it ``v``.

    See Also
    --------
    hvp : one product.
    hessian_eigenvalues : the extreme eigenvalues, with error bounds.

    Notes
    -----
    A Krylov solver treats the products as exact: their finite-difference error (1e-7 to 1e-6
    relative from f, about 1e-11 from grad, for smooth well-scaled functions at n = 1000)
    limits what tolerance it can reach. Needs SciPy.

    Examples
    --------
    A Newton step ``H d = -g`` by conjugate gradients, without forming H:

    >>> import numpy as np
    >>> import fdcore
    >>> from scipy.sparse.linalg import cg
    >>> from scipy.optimize import rosen, rosen_der, rosen_hess
    >>> x = np.full(1000, 0.9)
    >>> H = fdcore.hessian_operator(None, x, grad=rosen_der)
    >>> H.shape, H.dtype
    ((1000, 1000), dtype('float64'))
    >>> d, info = cg(H, -rosen_der(x), rtol=1e-10)
    >>> bool(np.allclose(rosen_hess(x) @ d, -rosen_der(x), rtol=1e-6)), info
    (True, 0)
    >>> bool(H.ngev == 2 * H.nmatvec)
    True
    """
    return _operator_class()(HessianProducts(f, x, grad, step, args, kwargs, num_threads, vectorized, workers))


@dataclass(frozen=True, repr=False)
class HessianEigenvalues:
    """Extreme eigenvalues of the Hessian, each with an error bound.

    Attributes
    ----------
    eigenvalues : ndarray
        The computed eigenvalues, ascending: the k smallest and/or the k largest (one set
        without repeats when they overlap).
    error : ndarray
        Per eigenvalue, a bound on its distance to an eigenvalue of the exact Hessian: the
        residual ``||H u - lambda u||`` of its unit vector u plus the products' estimated
        finite-difference error ``||H u (t) - H u (2 t)||``.
    sign_decided : ndarray of bool
        ``|eigenvalue| > error``: the sign is known.
    smallest : ndarray
        The k smallest, ascending (``smallest[0]`` is the smallest); empty for which='largest'.
    largest : ndarray
        The k largest, descending (``largest[0]`` is the largest); empty for which='smallest'.
    vectors : ndarray, shape (n, len(eigenvalues))
        Unit eigenvector estimates (Ritz vectors), column i for ``eigenvalues[i]``.
    converged : bool
        Whether Lanczos met its tolerance (the error bounds hold either way).
    nhvp : int
        Hessian-vector products.
    nfev, ngev : int
        Evaluations of f and of grad.
    """

    eigenvalues: NDArray[np.float64]
    error: NDArray[np.float64]
    sign_decided: NDArray[np.bool_]
    smallest: NDArray[np.float64]
    largest: NDArray[np.float64]
    vectors: NDArray[np.floating[Any]]
    converged: bool
    nhvp: int
    nfev: int
    ngev: int

    def __repr__(self) -> str:
        def short(a):
            return np.array2string(a, precision=6, threshold=8, separator=", ")

        return (f"HessianEigenvalues(eigenvalues={short(self.eigenvalues)}, error={short(self.error)}, "
                f"converged={self.converged}, nhvp={self.nhvp}, nfev={self.nfev}, ngev={self.ngev})")


@checks_value_precision
@document(shared=_PRODUCT_PARAMETERS)
def hessian_eigenvalues(f: Objective | None, x: ArrayLike, k: int = 1,
                        which: Literal["both", "smallest", "largest"] = "both", *, grad: Objective | None = None,
                        tol: float = 1e-8, maxiter: int = 500, rng: int | np.random.Generator | None = None,
                        step: float | None = None, args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None,
                        num_threads: int | None = None, vectorized: bool = False,
                        workers: Workers | None = None) -> "HessianEigenvalues":
    """The k smallest and/or largest eigenvalues of the Hessian H(x), with error bounds, by Lanczos.

    Thick-restart Lanczos with full reorthogonalisation on Hessian-vector products (`hvp`:
    4n evaluations of f each, or 2 of grad), keeping 20 to 60 vectors of size n (as many as fit in
    64 MiB; at least 2 k' + 10 for k' = k, or 2k for 'both'): memory O(k n). The extreme eigenvalues of both ends converge
    together, so 'both' costs little more than one end.

    Each eigenvalue comes with an error bound: for the unit Ritz vector u and the Rayleigh
    quotient lambda of the computed product, an eigenvalue of the exact Hessian lies within
    ``||H u - lambda u||`` of lambda (Krylov-Bogoliubov; Parlett, The Symmetric Eigenvalue
    Problem, thm. 4.5.1), which is at most the computed residual plus the product's error
    ``||(H - H_fd) u||``, estimated by the product at twice the steps (its truncation grows 4x).
    Two more products per eigenvalue.

    Parameters
    ----------
    k : int
        Eigenvalues wanted at each requested end, 1 <= k < n.
    which : {'both', 'largest', 'smallest'}
        The end(s) of the spectrum.
    tol : float
        Lanczos stops when every wanted pair's residual estimate is below ``tol`` times the
        largest |eigenvalue| estimate (a test relative to ||H||, so that eigenvalues near 0
        converge as the others). Between 0 and 1.
    maxiter : int
        The most Hessian-vector products Lanczos may take (the error bounds take 2 more per
        eigenvalue). When it stops unconverged, a RuntimeWarning says so; the eigenvalues
        returned are then the current Ritz values, with valid error bounds.
    rng : int or numpy.random.Generator, optional
        Seed or generator of the random start vector (``numpy.random.default_rng(rng)``).

    Returns
    -------
    HessianEigenvalues

    See Also
    --------
    classify_critical_point : uses the extreme eigenvalues with method='lanczos'.
    hessian_operator : the products as a LinearOperator (for ``scipy.sparse.linalg.eigsh``).

    Notes
    -----
    Ritz values lie inside the spectrum (Cauchy interlacing): a negative smallest value proves
    a negative eigenvalue (within its error bound) even before convergence, while the smallest
    eigenvalue itself can be below the smallest Ritz value until Lanczos has converged. A
    random start vector finds every eigenvalue with probability 1; an eigenvalue whose
    eigenvector is nearly orthogonal to it converges late.

    Examples
    --------
    A quadratic with a known spectrum at n = 100000, from its gradient:

    >>> import numpy as np
    >>> import fdcore
    >>> d = np.linspace(1.0, 2.0, 100000)
    >>> d[0], d[-1] = -0.5, 5.0
    >>> r = fdcore.hessian_eigenvalues(None, np.ones(d.size), grad=lambda x: d * x, rng=0)
    >>> r.smallest.round(8), r.largest.round(8), r.sign_decided.tolist()
    (array([-0.5]), array([5.]), [True, True])
    >>> bool(r.nhvp < 100), r.nfev, r.ngev == 2 * r.nhvp
    (True, 0, True)
    """
    products = HessianProducts(f, x, grad, step, args, kwargs, num_threads, vectorized, workers)
    return extreme_eigenvalues(products, k, which, tol, maxiter, rng)


def extreme_eigenvalues(products, k, which, tol, maxiter, rng, settled=None):
    """`hessian_eigenvalues` of the products (a HessianProducts); ``settled``: the early-stopping test
    of `fdcore.numerics.lanczos.extreme_eigenpairs` (no warning when it stops Lanczos)."""
    n = products.n
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"k must be an int, got {k!r:.60}")
    if not 1 <= k < n:
        raise ValueError(f"k must satisfy 1 <= k < n = {n}, got {k}")
    if which not in ("both", "largest", "smallest"):
        raise ValueError(f"which must be 'both', 'largest' or 'smallest', got {which!r:.60}")
    if isinstance(tol, (str, bytes, bool, np.bool_)) or np.ndim(tol) != 0 or not 0 < float(tol) < 1:
        raise ValueError(f"tol must be a number between 0 and 1, got {tol!r:.60}")
    if isinstance(maxiter, (bool, np.bool_)) or not isinstance(maxiter, (int, np.integer)) or maxiter < 1:
        raise ValueError(f"maxiter must be a positive int, got {maxiter!r:.60}")
    low, high = (0 if which == "largest" else k), (0 if which == "smallest" else k)
    pairs = extreme_eigenpairs(products.finite_product, n, low, high, float(tol), int(maxiter),
                               np.random.default_rng(rng), settled)
    if not (pairs.converged or pairs.settled):
        warnings.warn(f"Lanczos did not converge in maxiter = {maxiter} Hessian-vector products (tol = {tol}): the "
                      "eigenvalues are the current estimates (their error bounds hold); pass a larger maxiter or tol",
                      RuntimeWarning, stacklevel=user_stacklevel())
    values, error = np.empty(len(pairs.values)), np.empty(len(pairs.values))
    for i, u in enumerate(pairs.vectors):
        hu = products.finite_product(u)
        values[i] = u @ hu  # the Rayleigh quotient of the product the residual is measured with
        # the residual bounds the distance to an eigenvalue of H_fd; the change of the product
        # between the steps t and 2t estimates |H - H_fd| along u (Krylov-Bogoliubov for H itself)
        error[i] = np.linalg.norm(hu - values[i] * u) + np.linalg.norm(hu - products.finite_product(u, 2.0))
    order = np.argsort(values)
    values, error, vectors = values[order], error[order], pairs.vectors[order].T
    return HessianEigenvalues(values, error, np.abs(values) > error, values[:low], values[::-1][:high], vectors,
                              pairs.converged, products.nproducts, products.nfev, products.ngev)


@dataclass(frozen=True, repr=False)
class HessianTrace:
    """Hutchinson's estimate of the Hessian's trace.

    Attributes
    ----------
    value : float
        The estimate: the mean of ``z^T H z`` over the probes z.
    error : float
        Its standard error (the probes' sample standard deviation over sqrt(samples)); the
        finite-difference error of each ``z^T H z``, far smaller, is not included.
    samples : int
        Probes used.
    nhvp : int
        Hessian-vector products (from grad; 0 from f, where each probe is a second difference).
    nfev, ngev : int
        Evaluations of f and of grad.
    """

    value: float
    error: float
    samples: int
    nhvp: int
    nfev: int
    ngev: int

    def __repr__(self) -> str:
        return (f"HessianTrace(value={self.value:.8g}, error={self.error:.3g}, samples={self.samples}, "
                f"nhvp={self.nhvp}, nfev={self.nfev}, ngev={self.ngev})")


# Memory for the probe points of one batch of hessian_trace's second differences (vectorized f, workers).
_TRACE_BATCH_ENTRIES = 1 << 22


@checks_value_precision
@document(shared=_PRODUCT_PARAMETERS)
def hessian_trace(f: Objective | None, x: ArrayLike, *, grad: Objective | None = None, samples: int = 100,
                  rng: int | np.random.Generator | None = None, step: float | None = None, args: tuple[Any, ...] = (),
                  kwargs: Mapping[str, Any] | None = None, num_threads: int | None = None, vectorized: bool = False,
                  workers: Workers | None = None) -> "HessianTrace":
    """Hutchinson's estimate of the Hessian's trace tr H(x) = sum_i d^2 f / d x_i^2, with its standard error.

    For random probes z with independent Rademacher (+-1) entries, ``E[z^T H z] = tr H``, with
    variance ``2 sum_{i != j} H_ij^2``, the smallest of all probe distributions with independent
    entries (Hutchinson, Commun. Stat. Simul. Comput. 19, 1990): the estimate is exact for a
    diagonal H, and its error falls as 1/sqrt(samples). Each ``z^T H z`` costs **2
    evaluations of f** (the second difference of f along z, ``(f(x + t z) - 2 f(x) + f(x - t z)) /
    t^2``, f(x) once) or **2 of grad** (``z . H z`` by `hvp`); memory O(n) (for
    vectorized= or workers=, batches of points up to 32 MiB). For the exact trace at 2n + 1
    evaluations of f, sum `hessian_diagonal`.

    Parameters
    ----------
    samples : int
        Number of probes, at least 2 (the standard error needs two).
    rng : int or numpy.random.Generator, optional
        Seed or generator of the probes (``numpy.random.default_rng(rng)``).
    step : float, optional
        The step t along each probe (|z|_inf = 1). Default as `second_directional_derivative`
        from f (``EPS**(1/4) min_i max(1, |x_i|)``), as `hvp` from grad
        (``EPS**(1/3) max(1, |x|_inf)``).

    Returns
    -------
    HessianTrace

    Examples
    --------
    >>> import numpy as np
    >>> import fdcore
    >>> A = np.diag(np.arange(1.0, 101.0)) + 0.1 * np.eye(100, k=1) + 0.1 * np.eye(100, k=-1)
    >>> r = fdcore.hessian_trace(lambda x: 0.5 * x @ A @ x, np.zeros(100), samples=200, rng=0)
    >>> bool(abs(r.value - np.trace(A)) < 4 * r.error + 1e-6), r.nfev
    (True, 401)
    """
    products = HessianProducts(f, x, grad, step, args, kwargs, num_threads, vectorized, workers)
    if isinstance(samples, (bool, np.bool_)) or not isinstance(samples, (int, np.integer)) or samples < 2:
        raise ValueError(f"samples must be an int >= 2, got {samples!r:.60}")
    generator = np.random.default_rng(rng)
    x, n, dtype = products.x, products.n, products.x.dtype
    quadratic = np.empty(int(samples))
    if grad is not None:
        for i in range(samples):
            z = _rademacher(generator, n, dtype)
            quadratic[i] = z.astype(np.float64) @ products.finite_product(z)
        nfev = 0
    else:
        evaluator = make_evaluator(watched(f, vectorized), x, args, kwargs, num_threads,
                                   BatchOptions(vectorized, workers))
        (value,) = evaluator.raw_values([evaluator.x_view])
        f0 = scalar_value(value, "f")
        t = products.step_along(np.ones(n))  # the same for every +-1 probe
        batch = max(1, min(samples, _TRACE_BATCH_ENTRIES // (2 * n)))
        for first in range(0, samples, batch):
            probes = [_rademacher(generator, n, dtype) for _ in range(min(batch, samples - first))]
            points = [read_only_view(x + sign * dtype.type(t) * z) for z in probes for sign in (1, -1)]
            values = [scalar_value(v, "f") for v in evaluator.raw_values(points)]
            with np.errstate(over="ignore", invalid="ignore"):
                quadratic[first:first + len(probes)] = [((values[2 * j] - f0) - (f0 - values[2 * j + 1])) / t / t
                                                         for j in range(len(probes))]
        nfev = 1 + 2 * samples
        if not np.all(np.isfinite(quadratic)):
            raise ValueError("f returned NaN or inf at x or at points x +- t z of the probes (or z^T H z overflows): "
                             "the trace is undefined there")
    error = float(np.std(quadratic, ddof=1) / np.sqrt(samples))
    return HessianTrace(float(np.mean(quadratic)), error, int(samples), products.nproducts, nfev, products.ngev)


def _rademacher(generator, n, dtype):
    """A probe of n independent +-1 entries."""
    return (2 * generator.integers(0, 2, n) - 1).astype(dtype)
