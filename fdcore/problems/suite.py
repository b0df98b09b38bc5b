"""Built-in test problems with analytic derivatives, shared by the tests, the benchmarks and users.

Each problem carries its exact first derivative (gradient, or Jacobian for vector problems) and,
for scalar problems, its exact Hessian, so that any finite-difference estimate can be scored
against the exact answer. Most are classics from J. J. More, B. S. Garbow and K. E. Hillstrom,
"Testing unconstrained optimization software", ACM TOMS 7 (1981) 17-41 (tag ``"mgh"``, at the
standard starting point of that paper); the others probe specific difficulties for finite
differences (tags ``"badly-scaled"``, ``"large-values"``, ``"wide-range-gradient"``,
``"zero-gradient"``, ``"many-terms"``, ``"separable"``, ``"banded"``, ``"oscillatory"``,
``"large-x"``, ``"noisy"``, ``"float32"``, ``"domain-edge"``, ``"ml"``, ...).

The ``"noisy"`` and ``"float32"`` problems evaluate f with an error of absolute size about
`Problem.noise` (deterministic: the same x always gives the same value), while their derivative
functions are the exact ones of the underlying smooth function. The ``"domain-edge"`` problems
return nan outside their domain, which the usual Hessian steps reach from x0.

Problems marked ``analytic`` evaluate f with complex-analytic operations only, so that f also
accepts complex x and the complex-step method applies; their gradient functions accept complex x
too. Many least-squares problems are written as f = sum(r(x)**2) with the residual Jacobian J and
the residual Hessians, from which the gradient 2 J^T r and the Hessian 2 (J^T J + sum r_i r_i'')
follow exactly.

Each problem constructor takes n, the number of variables; the fixed-size problems ignore it,
and `get_problem` refuses an n they do not have (or one out of a problem's range).
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from fdcore import Callback
from fdcore.problems.compiled import capsule


@dataclass(frozen=True)
class Problem:
    """A test function at a standard starting point.

    Attributes
    ----------
    name : str
        The registry name (see `PROBLEM_NAMES`), as `get_problem` takes it.
    x0 : ndarray, shape (n,)
        The standard starting point, float64.
    f : callable
        Scalar problems return a scalar (a NumPy float64 for real float64 x), vector problems an
        array of shape (m,).
    derivative : callable
        The gradient (n,) of a scalar problem or the Jacobian (m, n) of a vector problem.
    hessian : callable or None
        The (n, n) Hessian of a scalar problem.
    vector : bool
        True for vector-valued problems.
    smooth : bool
        True if f is infinitely differentiable near x0.
    analytic : bool
        True if f (and the derivative function) also accept complex x and are complex-analytic
        near x0, so that the complex-step method applies.
    tags : tuple of str
        Difficulties the problem probes: "mgh", "badly-scaled", "large-values", "large-x",
        "small-x", "wide-range-gradient", "zero-gradient", "saddle", "many-terms" (|f| much larger
        than the Hessian entries), "separable" (diagonal Hessian), "banded" (tridiagonal Hessian),
        "oscillatory", "noisy", "float32" (f evaluated in float32), "domain-edge" (x0 close to
        the boundary of the domain, outside which f is nan), "ml" (machine-learning losses with a
        few hundred parameters).
    compiled : fdcore.Callback or None
        The same function as a compiled callback (rosenbrock, extended_powell,
        broyden_tridiagonal, dense_quadratic), for the nogil evaluator.
    noise : float
        The absolute size of the error of one evaluation of f near x0: 0 for the exactly
        computed problems, e.g. 1e-10 for the "noisy" ones (f = smooth + deterministic noise) and
        about 6e-8 |f(x0)| (float32 rounding) for the "float32" ones. The derivative functions are
        those of the smooth, exactly computed function.
    """

    name: str
    x0: NDArray[np.float64]
    f: Callable[..., Any]
    derivative: Callable[..., Any]
    hessian: Callable[..., Any] | None = None
    vector: bool = False
    smooth: bool = True
    analytic: bool = True
    tags: tuple[str, ...] = ()
    compiled: Callback | None = None
    noise: float = 0.0

    @property
    def n(self) -> int:
        """Number of variables, ``x0.shape[0]``."""
        return self.x0.shape[0]


def _dtype(x):
    """float64, or complex128 for complex x (so that derivative functions support complex step)."""
    return np.result_type(x, np.float64)


def _sym(H):
    """Exactly symmetric copy of a Hessian that is symmetric up to rounding."""
    return 0.5 * (H + H.T)


def _neighbour_sum(v):
    """v_{i-1} + v_{i+1}, the missing neighbours of the end points counting as 0."""
    nb = np.zeros(v.shape, dtype=_dtype(v))
    nb[:-1] = nb[:-1] + v[1:]
    nb[1:] = nb[1:] + v[:-1]
    return nb


class _SumOfSquares:
    """f = sum r(x)**2 from the residuals r (m,), their Jacobian J (m, n) and the weighted residual
    Hessian R(x, w) = sum_i w_i r_i''(x) (n, n).

    gradient = 2 J^T r and Hessian = 2 (J^T J + R(x, r)), exactly.
    """

    def __init__(self, residual, jacobian, residual_hessian):
        self.residual = residual
        self.jacobian = jacobian
        self.residual_hessian = residual_hessian

    def f(self, x):
        r = self.residual(np.asarray(x))
        return np.sum(r * r)

    def gradient(self, x):
        x = np.asarray(x)
        return 2.0 * (self.jacobian(x).T @ self.residual(x))

    def hessian(self, x):
        x = np.asarray(x)
        J = self.jacobian(x)
        return _sym(2.0 * (J.T @ J + self.residual_hessian(x, self.residual(x))))

    def problem(self, name, x0, **kwargs):
        return Problem(name, np.asarray(x0, dtype=np.float64), self.f, self.gradient, self.hessian, **kwargs)


# =============================================================================================
# The original four problems
# =============================================================================================

# --- Rosenbrock (the chained form used by scipy.optimize.rosen) ------------------------------

def _rosen(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def _rosen_grad(x):
    g = np.zeros(x.shape, dtype=_dtype(x))
    t = x[1:] - x[:-1] ** 2
    g[:-1] += -400.0 * x[:-1] * t - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * t
    return g


def _rosen_hess(x):
    n = x.shape[0]
    H = np.zeros((n, n), dtype=_dtype(x))
    i = np.arange(n - 1)
    H[i, i] += 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    H[i + 1, i + 1] += 200.0
    H[i, i + 1] = H[i + 1, i] = -400.0 * x[:-1]
    return H


def _alternating(n, a, b):
    """(a, b, a, b, ...) of length n."""
    return np.where(np.arange(n) % 2 == 0, a, b)


def rosenbrock(n):
    """Chained Rosenbrock function (as scipy.optimize.rosen) at x0 = (-1.2, 1, -1.2, 1, ...)."""
    return Problem("rosenbrock", _alternating(n, -1.2, 1.0), _rosen, _rosen_grad, _rosen_hess, tags=("mgh",),
                   compiled=Callback(capsule("rosenbrock")))


def rosenbrock_minimum(n):
    """Chained Rosenbrock at its minimizer (1, ..., 1): zero gradient, f = 0, Hessian nonsingular."""
    return Problem("rosenbrock_minimum", np.ones(n), _rosen, _rosen_grad, _rosen_hess, tags=("zero-gradient",))


# --- Extended Powell singular function (MGH problem 22) ----------------------------------------

def _powell_parts(x):
    a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
    return a, b, c, d


def _powell(x):
    a, b, c, d = _powell_parts(x)
    return np.sum((a + 10 * b) ** 2 + 5 * (c - d) ** 2 + (b - 2 * c) ** 4 + 10 * (a - d) ** 4)


def _powell_grad(x):
    a, b, c, d = _powell_parts(x)
    g = np.empty(x.shape, dtype=_dtype(x))
    g[0::4] = 2 * (a + 10 * b) + 40 * (a - d) ** 3
    g[1::4] = 20 * (a + 10 * b) + 4 * (b - 2 * c) ** 3
    g[2::4] = 10 * (c - d) - 8 * (b - 2 * c) ** 3
    g[3::4] = -10 * (c - d) - 40 * (a - d) ** 3
    return g


def _powell_hess(x):
    a, b, c, d = _powell_parts(x)
    n = x.shape[0]
    H = np.zeros((n, n))
    for k in range(n // 4):
        s, t = 12 * (b[k] - 2 * c[k]) ** 2, 120 * (a[k] - d[k]) ** 2
        block = np.array(
            [
                [2 + t, 20, 0, -t],
                [20, 200 + s, -2 * s, 0],
                [0, -2 * s, 10 + 4 * s, -10],
                [-t, 0, -10, 10 + t],
            ]
        )
        H[4 * k : 4 * k + 4, 4 * k : 4 * k + 4] = block
    return H


def extended_powell(n):
    """Extended Powell singular function (MGH 22) at x0 = (3, -1, 0, 1, 3, -1, 0, 1, ...)."""
    x0 = np.tile([3.0, -1.0, 0.0, 1.0], n // 4)
    return Problem("extended_powell", x0, _powell, _powell_grad, _powell_hess, tags=("mgh",),
                   compiled=Callback(capsule("extended_powell")))


# --- Broyden tridiagonal system (MGH problem 30) -----------------------------------------------

def _broyden(x):
    padded = np.concatenate(([0.0], x, [0.0]))
    return (3.0 - 2.0 * x) * x - padded[:-2] - 2.0 * padded[2:] + 1.0


def _broyden_jac(x):
    n = x.shape[0]
    J = np.diag(3.0 - 4.0 * x)
    i = np.arange(n - 1)
    J[i + 1, i] = -1.0
    J[i, i + 1] = -2.0
    return J


def broyden_tridiagonal(n):
    """Broyden tridiagonal system (MGH 30), a vector problem with m = n, at x0 = (-1, ..., -1)."""
    return Problem("broyden_tridiagonal", np.full(n, -1.0), _broyden, _broyden_jac, vector=True, tags=("mgh",),
                   compiled=Callback(capsule("broyden_tridiagonal"), m=n))


# --- Dense convex quadratic 0.5 x^T A x + b^T x ---------------------------------------------

def dense_quadratic(n, seed=0):
    """Dense convex quadratic 0.5 x^T A x + b^T x, A = M M^T / n + I, with random M, b and x0.

    Parameters
    ----------
    n : int
        Number of variables.
    seed : int or numpy.random.Generator, optional
        Seed of `numpy.random.default_rng` for M, b and x0 (uniform in [-1, 1]); default 0.
    """
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    A = M @ M.T / n + np.eye(n)
    b = rng.standard_normal(n)

    def f(x):
        return 0.5 * x @ (A @ x) + b @ x

    def grad(x):
        return A @ x + b

    def hess(x):
        return A.copy()

    data = np.concatenate([A.ravel(), b])  # the compiled version's user_data: A row-major, then b
    return Problem("dense_quadratic", rng.uniform(-1, 1, n), f, grad, hess,
                   compiled=Callback(capsule("dense_quadratic"), user_data=data))


# =============================================================================================
# More, Garbow & Hillstrom (1981) least-squares problems, f = sum r_i(x)^2
# =============================================================================================

# --- Brown badly scaled (MGH 4), n = 2 ----------------------------------------------------------

def _brown_bs_r(x):
    return np.stack([x[0] - 1e6, x[1] - 2e-6, x[0] * x[1] - 2.0])


def _brown_bs_j(x):
    one, zero = np.ones_like(x[0]), np.zeros_like(x[0])
    return np.array([[one, zero], [zero, one], [x[1], x[0]]], dtype=_dtype(x))


def _brown_bs_rh(x, w):
    return w[2] * np.array([[0.0, 1.0], [1.0, 0.0]])


_BROWN_BS = _SumOfSquares(_brown_bs_r, _brown_bs_j, _brown_bs_rh)


def brown_badly_scaled(n):
    """Brown badly scaled function (MGH 4), 3 squares in 2 variables, at x0 = (1, 1)."""
    return _BROWN_BS.problem("brown_badly_scaled", [1.0, 1.0],
                             tags=("mgh", "badly-scaled", "large-values", "wide-range-gradient"))


# --- Beale (MGH 5), n = 2 -----------------------------------------------------------------------

_BEALE_Y = np.array([1.5, 2.25, 2.625])
_BEALE_I = np.array([1.0, 2.0, 3.0])


def _beale_r(x):
    return _BEALE_Y - x[0] * (1.0 - x[1] ** _BEALE_I)


def _beale_j(x):
    i = _BEALE_I
    return np.stack([x[1] ** i - 1.0, x[0] * i * x[1] ** (i - 1.0)], axis=1)


def _beale_rh(x, w):
    i = _BEALE_I
    h12 = np.sum(w * i * x[1] ** (i - 1.0))
    h22 = np.sum(w[1:] * x[0] * i[1:] * (i[1:] - 1.0) * x[1] ** (i[1:] - 2.0))
    H = np.zeros((2, 2), dtype=np.result_type(x, w, np.float64))
    H[0, 1], H[1, 0], H[1, 1] = h12, h12, h22
    return H


_BEALE = _SumOfSquares(_beale_r, _beale_j, _beale_rh)


def beale(n):
    """Beale function (MGH 5), 3 squares in 2 variables, at x0 = (1, 1)."""
    return _BEALE.problem("beale", [1.0, 1.0], tags=("mgh",))


# --- Helical valley (MGH 7), n = 3 --------------------------------------------------------------

def _helical_theta(x):
    # arctan2-free: theta = arctan(x2/x1)/(2 pi) + 1/2 when x1 < 0. The case split is decided by
    # the real part only and merely adds a locally constant offset, so complex step still works.
    offset = 0.5 if np.real(x[0]) < 0 else 0.0
    return np.arctan(x[1] / x[0]) / (2.0 * np.pi) + offset


def _helical_r(x):
    rho = np.sqrt(x[0] ** 2 + x[1] ** 2)
    return np.stack([10.0 * (x[2] - 10.0 * _helical_theta(x)), 10.0 * (rho - 1.0), x[2]])


def _helical_j(x):
    s = x[0] ** 2 + x[1] ** 2
    rho = np.sqrt(s)
    zero, one = np.zeros_like(x[0]), np.ones_like(x[0])
    th1, th2 = -x[1] / (2.0 * np.pi * s), x[0] / (2.0 * np.pi * s)
    return np.array(
        [
            [-100.0 * th1, -100.0 * th2, 10.0 * one],
            [10.0 * x[0] / rho, 10.0 * x[1] / rho, zero],
            [zero, zero, one],
        ],
        dtype=_dtype(x),
    )


def _helical_rh(x, w):
    x1, x2 = x[0], x[1]
    s = x1**2 + x2**2
    rho3 = s * np.sqrt(s)
    th11 = x1 * x2 / (np.pi * s**2)
    th12 = (x2**2 - x1**2) / (2.0 * np.pi * s**2)
    th22 = -th11
    H = np.zeros((3, 3), dtype=np.result_type(x, w, np.float64))
    H[0, 0] = -100.0 * w[0] * th11 + 10.0 * w[1] * x2**2 / rho3
    H[0, 1] = H[1, 0] = -100.0 * w[0] * th12 - 10.0 * w[1] * x1 * x2 / rho3
    H[1, 1] = -100.0 * w[0] * th22 + 10.0 * w[1] * x1**2 / rho3
    return H


_HELICAL = _SumOfSquares(_helical_r, _helical_j, _helical_rh)


def helical_valley(n):
    """Helical valley function (MGH 7), 3 squares in 3 variables, at x0 = (-1, 0, 0)."""
    return _HELICAL.problem("helical_valley", [-1.0, 0.0, 0.0], tags=("mgh",))


# --- Freudenstein and Roth (MGH 2), n = 2 -------------------------------------------------------

def _freud_r(x):
    x1, x2 = x[0], x[1]
    return np.stack([-13.0 + x1 + ((5.0 - x2) * x2 - 2.0) * x2, -29.0 + x1 + ((x2 + 1.0) * x2 - 14.0) * x2])


def _freud_j(x):
    x2, one = x[1], np.ones_like(x[0])
    return np.array([[one, (10.0 - 3.0 * x2) * x2 - 2.0], [one, (3.0 * x2 + 2.0) * x2 - 14.0]], dtype=_dtype(x))


def _freud_rh(x, w):
    h22 = w[0] * (10.0 - 6.0 * x[1]) + w[1] * (6.0 * x[1] + 2.0)
    H = np.zeros((2, 2), dtype=np.result_type(x, w, np.float64))
    H[1, 1] = h22
    return H


_FREUD = _SumOfSquares(_freud_r, _freud_j, _freud_rh)


def freudenstein_roth(n):
    """Freudenstein and Roth function (MGH 2), 2 squares in 2 variables, at x0 = (0.5, -2)."""
    return _FREUD.problem("freudenstein_roth", [0.5, -2.0], tags=("mgh",))


# --- Powell badly scaled (MGH 3), n = 2 ---------------------------------------------------------

def _pbs_r(x):
    return np.stack([1e4 * x[0] * x[1] - 1.0, np.exp(-x[0]) + np.exp(-x[1]) - 1.0001])


def _pbs_j(x):
    return np.array([[1e4 * x[1], 1e4 * x[0]], [-np.exp(-x[0]), -np.exp(-x[1])]], dtype=_dtype(x))


def _pbs_rh(x, w):
    H = np.zeros((2, 2), dtype=np.result_type(x, w, np.float64))
    H[0, 0] = w[1] * np.exp(-x[0])
    H[1, 1] = w[1] * np.exp(-x[1])
    H[0, 1] = H[1, 0] = 1e4 * w[0]
    return H


_PBS = _SumOfSquares(_pbs_r, _pbs_j, _pbs_rh)


def powell_badly_scaled(n):
    """Powell badly scaled function (MGH 3), 2 squares in 2 variables, at x0 = (0, 1)."""
    return _PBS.problem("powell_badly_scaled", [0.0, 1.0], tags=("mgh", "badly-scaled"))


# --- Box three-dimensional (MGH 12), n = 3, m = 10 ----------------------------------------------

_BOX_T = 0.1 * np.arange(1, 11)
_BOX_C = np.exp(-_BOX_T) - np.exp(-10.0 * _BOX_T)


def _box_r(x):
    t = _BOX_T
    return np.exp(-t * x[0]) - np.exp(-t * x[1]) - x[2] * _BOX_C


def _box_j(x):
    t = _BOX_T
    return np.stack([-t * np.exp(-t * x[0]), t * np.exp(-t * x[1]), -_BOX_C + 0.0 * x[2]], axis=1)


def _box_rh(x, w):
    t = _BOX_T
    H = np.zeros((3, 3), dtype=np.result_type(x, w, np.float64))
    H[0, 0] = np.sum(w * t**2 * np.exp(-t * x[0]))
    H[1, 1] = -np.sum(w * t**2 * np.exp(-t * x[1]))
    return H


_BOX = _SumOfSquares(_box_r, _box_j, _box_rh)


def box_3d(n):
    """Box three-dimensional function (MGH 12), 10 squares in 3 variables, at x0 = (0, 10, 20)."""
    return _BOX.problem("box_3d", [0.0, 10.0, 20.0], tags=("mgh",))


# --- Jennrich and Sampson (MGH 6), n = 2, m = 10 ------------------------------------------------

_JS_I = np.arange(1.0, 11.0)


def _js_r(x):
    i = _JS_I
    return 2.0 + 2.0 * i - (np.exp(i * x[0]) + np.exp(i * x[1]))


def _js_j(x):
    i = _JS_I
    return np.stack([-i * np.exp(i * x[0]), -i * np.exp(i * x[1])], axis=1)


def _js_rh(x, w):
    i = _JS_I
    H = np.zeros((2, 2), dtype=np.result_type(x, w, np.float64))
    H[0, 0] = -np.sum(w * i**2 * np.exp(i * x[0]))
    H[1, 1] = -np.sum(w * i**2 * np.exp(i * x[1]))
    return H


_JS = _SumOfSquares(_js_r, _js_j, _js_rh)


def jennrich_sampson(n):
    """Jennrich and Sampson function (MGH 6), 10 squares in 2 variables, at x0 = (0.3, 0.4)."""
    return _JS.problem("jennrich_sampson", [0.3, 0.4], tags=("mgh",))


# --- Bard (MGH 8), n = 3, m = 15 ----------------------------------------------------------------

_BARD_Y = np.array([0.14, 0.18, 0.22, 0.25, 0.29, 0.32, 0.35, 0.39, 0.37, 0.58, 0.73, 0.96, 1.34, 2.10, 4.39])
_BARD_U = np.arange(1.0, 16.0)
_BARD_V = 16.0 - _BARD_U
_BARD_W = np.minimum(_BARD_U, _BARD_V)


def _bard_r(x):
    return _BARD_Y - (x[0] + _BARD_U / (_BARD_V * x[1] + _BARD_W * x[2]))


def _bard_j(x):
    u, v, w = _BARD_U, _BARD_V, _BARD_W
    d2 = (v * x[1] + w * x[2]) ** 2
    return np.stack([-np.ones_like(d2), u * v / d2, u * w / d2], axis=1)


def _bard_rh(x, wt):
    u, v, w = _BARD_U, _BARD_V, _BARD_W
    c = -2.0 * wt * u / (v * x[1] + w * x[2]) ** 3
    H = np.zeros((3, 3), dtype=np.result_type(x, wt, np.float64))
    H[1, 1] = np.sum(c * v * v)
    H[1, 2] = H[2, 1] = np.sum(c * v * w)
    H[2, 2] = np.sum(c * w * w)
    return H


_BARD = _SumOfSquares(_bard_r, _bard_j, _bard_rh)


def bard(n):
    """Bard function (MGH 8), 15 squares in 3 variables, at x0 = (1, 1, 1)."""
    return _BARD.problem("bard", [1.0, 1.0, 1.0], tags=("mgh",))


# --- Gaussian (MGH 9), n = 3, m = 15 ------------------------------------------------------------

_GAUSS_T = (8.0 - np.arange(1.0, 16.0)) / 2.0
_GAUSS_Y = np.array([0.0009, 0.0044, 0.0175, 0.0540, 0.1295, 0.2420, 0.3521, 0.3989,
                     0.3521, 0.2420, 0.1295, 0.0540, 0.0175, 0.0044, 0.0009])


def _gauss_r(x):
    d = _GAUSS_T - x[2]
    return x[0] * np.exp(-0.5 * x[1] * d * d) - _GAUSS_Y


def _gauss_j(x):
    d = _GAUSS_T - x[2]
    E = np.exp(-0.5 * x[1] * d * d)
    return np.stack([E, -0.5 * x[0] * E * d * d, x[0] * x[1] * E * d], axis=1)


def _gauss_rh(x, w):
    x1, x2 = x[0], x[1]
    d = _GAUSS_T - x[2]
    E = w * np.exp(-0.5 * x2 * d * d)  # weighted
    H = np.zeros((3, 3), dtype=np.result_type(x, w, np.float64))
    H[0, 1] = H[1, 0] = np.sum(-0.5 * E * d * d)
    H[0, 2] = H[2, 0] = np.sum(x2 * E * d)
    H[1, 1] = np.sum(0.25 * x1 * E * d**4)
    H[1, 2] = H[2, 1] = np.sum(x1 * E * d * (1.0 - 0.5 * x2 * d * d))
    H[2, 2] = np.sum(x1 * x2 * E * (x2 * d * d - 1.0))
    return H


_GAUSS = _SumOfSquares(_gauss_r, _gauss_j, _gauss_rh)


def gaussian(n):
    """Gaussian function (MGH 9), 15 squares in 3 variables, at x0 = (0.4, 1, 0)."""
    return _GAUSS.problem("gaussian", [0.4, 1.0, 0.0], tags=("mgh",))


# --- Meyer (MGH 10), n = 3, m = 16 --------------------------------------------------------------

_MEYER_T = 45.0 + 5.0 * np.arange(1.0, 17.0)
_MEYER_Y = np.array([34780.0, 28610.0, 23650.0, 19630.0, 16370.0, 13720.0, 11540.0, 9744.0,
                     8261.0, 7030.0, 6005.0, 5147.0, 4427.0, 3820.0, 3307.0, 2872.0])


def _meyer_r(x):
    return x[0] * np.exp(x[1] / (_MEYER_T + x[2])) - _MEYER_Y


def _meyer_j(x):
    s = _MEYER_T + x[2]
    E = np.exp(x[1] / s)
    return np.stack([E, x[0] * E / s, -x[0] * x[1] * E / s**2], axis=1)


def _meyer_rh(x, w):
    x1, x2 = x[0], x[1]
    s = _MEYER_T + x[2]
    E = w * np.exp(x2 / s)  # weighted
    H = np.zeros((3, 3), dtype=np.result_type(x, w, np.float64))
    H[0, 1] = H[1, 0] = np.sum(E / s)
    H[0, 2] = H[2, 0] = np.sum(-x2 * E / s**2)
    H[1, 1] = np.sum(x1 * E / s**2)
    H[1, 2] = H[2, 1] = np.sum(-x1 * E * (x2 + s) / s**3)
    H[2, 2] = np.sum(x1 * x2 * E * (x2 + 2.0 * s) / s**4)
    return H


_MEYER = _SumOfSquares(_meyer_r, _meyer_j, _meyer_rh)


def meyer(n):
    """Meyer function (MGH 10), 16 squares in 3 variables, at x0 = (0.02, 4000, 250)."""
    return _MEYER.problem("meyer", [0.02, 4000.0, 250.0], tags=("mgh", "badly-scaled", "large-values"))


# --- Biggs EXP6 (MGH 18), n = 6, m = 13 ---------------------------------------------------------

_BIGGS_T = 0.1 * np.arange(1.0, 14.0)
_BIGGS_Y = np.exp(-_BIGGS_T) - 5.0 * np.exp(-10.0 * _BIGGS_T) + 3.0 * np.exp(-4.0 * _BIGGS_T)


def _biggs_r(x):
    t = _BIGGS_T
    return x[2] * np.exp(-t * x[0]) - x[3] * np.exp(-t * x[1]) + x[5] * np.exp(-t * x[4]) - _BIGGS_Y


def _biggs_j(x):
    t = _BIGGS_T
    e1, e2, e5 = np.exp(-t * x[0]), np.exp(-t * x[1]), np.exp(-t * x[4])
    return np.stack([-t * x[2] * e1, t * x[3] * e2, e1, -e2, -t * x[5] * e5, e5], axis=1)


def _biggs_rh(x, w):
    t = _BIGGS_T
    e1, e2, e5 = w * np.exp(-t * x[0]), w * np.exp(-t * x[1]), w * np.exp(-t * x[4])  # weighted
    H = np.zeros((6, 6), dtype=np.result_type(x, w, np.float64))
    H[0, 0] = np.sum(t * t * x[2] * e1)
    H[0, 2] = H[2, 0] = -np.sum(t * e1)
    H[1, 1] = -np.sum(t * t * x[3] * e2)
    H[1, 3] = H[3, 1] = np.sum(t * e2)
    H[4, 4] = np.sum(t * t * x[5] * e5)
    H[4, 5] = H[5, 4] = -np.sum(t * e5)
    return H


_BIGGS = _SumOfSquares(_biggs_r, _biggs_j, _biggs_rh)


def biggs_exp6(n):
    """Biggs EXP6 function (MGH 18), 13 squares in 6 variables, at x0 = (1, 2, 1, 1, 1, 1)."""
    return _BIGGS.problem("biggs_exp6", [1.0, 2.0, 1.0, 1.0, 1.0, 1.0], tags=("mgh",))


# --- Brown and Dennis (MGH 16), n = 4, m = 20 ---------------------------------------------------

_BD_T = np.arange(1.0, 21.0) / 5.0


def _bd_parts(x):
    t = _BD_T
    return x[0] + t * x[1] - np.exp(t), x[2] + x[3] * np.sin(t) - np.cos(t)


def _bd_r(x):
    a, b = _bd_parts(x)
    return a * a + b * b


def _bd_j(x):
    a, b = _bd_parts(x)
    return np.stack([2.0 * a, 2.0 * a * _BD_T, 2.0 * b, 2.0 * b * np.sin(_BD_T)], axis=1)


def _bd_rh(x, w):
    # r_i'' = 2 (u u^T + v v^T) with u = (1, t, 0, 0), v = (0, 0, 1, sin t)
    t, st = _BD_T, np.sin(_BD_T)
    H = np.zeros((4, 4), dtype=np.result_type(x, w, np.float64))
    H[0, 0], H[0, 1], H[1, 1] = 2.0 * np.sum(w), 2.0 * np.sum(w * t), 2.0 * np.sum(w * t * t)
    H[2, 2], H[2, 3], H[3, 3] = 2.0 * np.sum(w), 2.0 * np.sum(w * st), 2.0 * np.sum(w * st * st)
    H[1, 0], H[3, 2] = H[0, 1], H[2, 3]
    return H


_BD = _SumOfSquares(_bd_r, _bd_j, _bd_rh)


def brown_dennis(n):
    """Brown and Dennis function (MGH 16), 20 squares in 4 variables, at x0 = (25, 5, -5, -1)."""
    return _BD.problem("brown_dennis", [25.0, 5.0, -5.0, -1.0], tags=("mgh", "large-values"))


# --- Wood (MGH 14), n = 4 ------------------------------------------------------------------------

def _wood(x):
    x1, x2, x3, x4 = x[0], x[1], x[2], x[3]
    return (100.0 * (x1 * x1 - x2) ** 2 + (1.0 - x1) ** 2 + 90.0 * (x3 * x3 - x4) ** 2 + (1.0 - x3) ** 2
            + 10.1 * ((x2 - 1.0) ** 2 + (x4 - 1.0) ** 2) + 19.8 * (x2 - 1.0) * (x4 - 1.0))


def _wood_grad(x):
    x1, x2, x3, x4 = x[0], x[1], x[2], x[3]
    return np.stack(
        [
            400.0 * x1 * (x1 * x1 - x2) - 2.0 * (1.0 - x1),
            -200.0 * (x1 * x1 - x2) + 20.2 * (x2 - 1.0) + 19.8 * (x4 - 1.0),
            360.0 * x3 * (x3 * x3 - x4) - 2.0 * (1.0 - x3),
            -180.0 * (x3 * x3 - x4) + 20.2 * (x4 - 1.0) + 19.8 * (x2 - 1.0),
        ]
    )


def _wood_hess(x):
    x1, x2, x3, x4 = x[0], x[1], x[2], x[3]
    H = np.zeros((4, 4), dtype=_dtype(x))
    H[0, 0] = 1200.0 * x1 * x1 - 400.0 * x2 + 2.0
    H[0, 1] = H[1, 0] = -400.0 * x1
    H[1, 1] = 220.2
    H[1, 3] = H[3, 1] = 19.8
    H[2, 2] = 1080.0 * x3 * x3 - 360.0 * x4 + 2.0
    H[2, 3] = H[3, 2] = -360.0 * x3
    H[3, 3] = 200.2
    return H


def wood(n):
    """Wood function (MGH 14) in 4 variables at x0 = (-3, -1, -3, -1)."""
    return Problem("wood", np.array([-3.0, -1.0, -3.0, -1.0]), _wood, _wood_grad, _wood_hess, tags=("mgh",))


# --- Extended Rosenbrock (MGH 21), n even ------------------------------------------------------

def _xrosen_r(x):
    r = np.empty(x.shape, dtype=_dtype(x))
    r[0::2] = 10.0 * (x[1::2] - x[0::2] ** 2)
    r[1::2] = 1.0 - x[0::2]
    return r


def _xrosen_j(x):
    n = x.shape[0]
    J = np.zeros((n, n), dtype=_dtype(x))
    k = np.arange(0, n, 2)
    J[k, k] = -20.0 * x[0::2]
    J[k, k + 1] = 10.0
    J[k + 1, k] = -1.0
    return J


def _xrosen_rh(x, w):
    H = np.zeros((x.shape[0],) * 2, dtype=np.result_type(x, w, np.float64))
    k = np.arange(0, x.shape[0], 2)
    H[k, k] = -20.0 * w[0::2]
    return H


_XROSEN = _SumOfSquares(_xrosen_r, _xrosen_j, _xrosen_rh)


def extended_rosenbrock(n):
    """Extended Rosenbrock function (MGH 21), n squares, at x0 = (-1.2, 1, -1.2, 1, ...)."""
    return _XROSEN.problem("extended_rosenbrock", np.tile([-1.2, 1.0], n // 2), tags=("mgh",))


# --- Watson (MGH 20), 2 <= n <= 31, m = 31 ------------------------------------------------------

_WATSON_T = np.arange(1.0, 30.0) / 29.0


def _watson_parts(x):
    n = x.shape[0]
    t = _WATSON_T[:, None]
    P = t ** np.arange(n)  # t^(j-1), j = 1..n
    Q = np.zeros_like(P)
    Q[:, 1:] = np.arange(1, n) * t ** np.arange(n - 1)  # (j-1) t^(j-2)
    return P, Q, P @ x


def _watson_r(x):
    P, Q, s2 = _watson_parts(x)
    return np.concatenate([Q @ x - s2 * s2 - 1.0, [x[0], x[1] - x[0] ** 2 - 1.0]])


def _watson_j(x):
    n = x.shape[0]
    P, Q, s2 = _watson_parts(x)
    tail = np.zeros((2, n), dtype=_dtype(x))
    tail[0, 0], tail[1, 0], tail[1, 1] = 1.0, -2.0 * x[0], 1.0
    return np.concatenate([Q - 2.0 * s2[:, None] * P, tail])


def _watson_rh(x, w):
    P = _watson_parts(x)[0]
    H = -2.0 * (P.T * w[:29]) @ P
    H[0, 0] += -2.0 * w[30]
    return H


_WATSON = _SumOfSquares(_watson_r, _watson_j, _watson_rh)


def watson(n):
    """Watson function (MGH 20), 31 squares, at x0 = 0."""
    return _WATSON.problem("watson", np.zeros(n), tags=("mgh",))


# --- Penalty function I (MGH 23), n >= 1, m = n + 1 ---------------------------------------------

_PEN1_SQRT_A = np.sqrt(1e-5)


def _pen1_r(x):
    return np.concatenate([_PEN1_SQRT_A * (x - 1.0), [np.sum(x * x) - 0.25]])


def _pen1_j(x):
    return np.concatenate([_PEN1_SQRT_A * np.eye(x.shape[0]), 2.0 * x[None, :]])


def _pen1_rh(x, w):
    return 2.0 * w[-1] * np.eye(x.shape[0])


_PEN1 = _SumOfSquares(_pen1_r, _pen1_j, _pen1_rh)


def penalty_1(n):
    """Penalty function I (MGH 23), n + 1 squares, at x0 = (1, 2, ..., n)."""
    return _PEN1.problem("penalty_1", np.arange(1.0, n + 1.0), tags=("mgh",))


# --- Variably dimensioned (MGH 25), n >= 1, m = n + 2 -------------------------------------------

def _vardim_r(x):
    j = np.arange(1.0, x.shape[0] + 1.0)
    s = j @ (x - 1.0)
    return np.concatenate([x - 1.0, [s, s * s]])


def _vardim_j(x):
    n = x.shape[0]
    j = np.arange(1.0, n + 1.0)
    s = j @ (x - 1.0)
    return np.concatenate([np.eye(n), j[None, :], 2.0 * s * j[None, :]])


def _vardim_rh(x, w):
    j = np.arange(1.0, x.shape[0] + 1.0)
    return 2.0 * w[-1] * np.outer(j, j)


_VARDIM = _SumOfSquares(_vardim_r, _vardim_j, _vardim_rh)


def variably_dimensioned(n):
    """Variably dimensioned function (MGH 25), n + 2 squares, at x0_j = 1 - j / n."""
    return _VARDIM.problem("variably_dimensioned", 1.0 - np.arange(1.0, n + 1.0) / n, tags=("mgh",))


# --- Trigonometric (MGH 26), n >= 1, m = n: scalar sum of squares and the vector residuals -------

def _trig_r(x):
    n = x.shape[0]
    i = np.arange(1.0, n + 1.0)
    return n - np.sum(np.cos(x)) + i * (1.0 - np.cos(x)) - np.sin(x)


def _trig_j(x):
    n = x.shape[0]
    i = np.arange(1.0, n + 1.0)
    J = np.tile(np.sin(x), (n, 1))
    J[np.arange(n), np.arange(n)] += i * np.sin(x) - np.cos(x)
    return J


def _trig_rh(x, w):
    n = x.shape[0]
    i = np.arange(1.0, n + 1.0)
    return np.diag(np.sum(w) * np.cos(x) + w * (i * np.cos(x) + np.sin(x)))


_TRIG = _SumOfSquares(_trig_r, _trig_j, _trig_rh)


def trigonometric(n):
    """Trigonometric function (MGH 26) as a sum of n squares, at x0 = (1/n, ..., 1/n)."""
    return _TRIG.problem("trigonometric", np.full(n, 1.0 / n), tags=("mgh",))


def trigonometric_system(n):
    """The residuals of `trigonometric` as a vector problem (m = n), at x0 = (1/n, ..., 1/n)."""
    return Problem("trigonometric_system", np.full(n, 1.0 / n), _trig_r, _trig_j, vector=True, tags=("mgh",))


# --- Brown almost-linear (MGH 27), n >= 1, m = n --------------------------------------------------

def _leave_out_products(x, skip):
    """prod_j x_j over j not in `skip` (a tuple of index arrays broadcast together), division-free."""
    n = x.shape[0]
    shape = np.broadcast(*skip).shape
    X = np.broadcast_to(x, shape + (n,)).copy()
    for s in skip:
        np.put_along_axis(X, np.broadcast_to(s, shape)[..., None], 1.0, axis=-1)
    return np.prod(X, axis=-1)


def _bal_r(x):
    return np.concatenate([x[:-1] + np.sum(x) - (x.shape[0] + 1.0), [np.prod(x) - 1.0]])


def _bal_j(x):
    n = x.shape[0]
    J = np.ones((n, n), dtype=_dtype(x)) + np.eye(n)
    J[-1] = _leave_out_products(x, (np.arange(n),))
    return J


def _bal_rh(x, w):
    n = x.shape[0]
    k = np.arange(n)
    H = _leave_out_products(x, (k[:, None], k[None, :]))
    H[k, k] = 0.0
    return w[-1] * H


_BAL = _SumOfSquares(_bal_r, _bal_j, _bal_rh)


def brown_almost_linear(n):
    """Brown almost-linear function (MGH 27), n squares, at x0 = (0.5, ..., 0.5)."""
    return _BAL.problem("brown_almost_linear", np.full(n, 0.5), tags=("mgh",))


# --- Discrete boundary value system (MGH 28), vector, n >= 1 --------------------------------------

def _dbv_grid(n):
    h = 1.0 / (n + 1.0)
    return h, h * np.arange(1.0, n + 1.0)


def _dbv(x):
    h, t = _dbv_grid(x.shape[0])
    padded = np.concatenate(([0.0], x, [0.0]))
    return 2.0 * x - padded[:-2] - padded[2:] + 0.5 * h * h * (x + t + 1.0) ** 3


def _dbv_jac(x):
    n = x.shape[0]
    h, t = _dbv_grid(n)
    J = np.diag(2.0 + 1.5 * h * h * (x + t + 1.0) ** 2)
    i = np.arange(n - 1)
    J[i + 1, i] = J[i, i + 1] = -1.0
    return J


def discrete_boundary_value(n):
    """Discrete boundary value system (MGH 28), a vector problem with m = n.

    The starting point is x0_i = t_i (t_i - 1) with t_i = i / (n + 1).
    """
    t = _dbv_grid(n)[1]
    return Problem("discrete_boundary_value", t * (t - 1.0), _dbv, _dbv_jac, vector=True, tags=("mgh",))


# =============================================================================================
# Problems probing specific finite-difference difficulties
# =============================================================================================

# --- f(x) = b(x / s) at |x| ~ s: badly scaled points (|x| ~ 1e6 and |x| ~ 1e-6) -------------------
# b(u) = log(1 + |u|^2) + sum sin(u_i); the Hessian is dense through the log term.

_SCALED_U0 = [1.3, -0.7, 2.5, 0.4]


class _Scaled:
    def __init__(self, scale):
        self.scale = scale

    def f(self, x):
        u = x / self.scale
        return np.log(1.0 + np.sum(u * u)) + np.sum(np.sin(u))

    def gradient(self, x):
        u = x / self.scale
        return (2.0 * u / (1.0 + np.sum(u * u)) + np.cos(u)) / self.scale

    def hessian(self, x):
        u = x / self.scale
        q = 1.0 + np.sum(u * u)
        H = np.diag(2.0 / q - np.sin(u)) - (4.0 / q**2) * np.outer(u, u)
        return H / self.scale**2


_SCALED_LARGE, _SCALED_SMALL = _Scaled(1e6), _Scaled(1e-6)


def scaled_large_x(n):
    """f(x) = log(1 + |u|^2) + sum sin(u_i), u = x / 1e6, at a point with |x_i| ~ 1e6."""
    p = _SCALED_LARGE
    return Problem("scaled_large_x", 1e6 * np.resize(_SCALED_U0, n), p.f, p.gradient, p.hessian,
                   tags=("badly-scaled", "large-x"))


def scaled_small_x(n):
    """f(x) = log(1 + |u|^2) + sum sin(u_i), u = x / 1e-6, at a point with |x_i| ~ 1e-6."""
    p = _SCALED_SMALL
    return Problem("scaled_small_x", 1e-6 * np.resize(_SCALED_U0, n), p.f, p.gradient, p.hessian,
                   tags=("badly-scaled", "small-x"))


# --- f = C exp(q(x)), C = 1e10: |f| ~ 1e10, gradient and Hessian O(1) relative to f ----------------
# q(x) = sum sin(x_i) + 0.25 sum x_i x_{i+1}

_LARGE_C = 1e10


def _lexp_q_parts(x):
    g = np.cos(x)
    g[:-1] = g[:-1] + 0.25 * x[1:]
    g[1:] = g[1:] + 0.25 * x[:-1]
    return np.sum(np.sin(x)) + 0.25 * np.sum(x[:-1] * x[1:]), g


def _lexp(x):
    return _LARGE_C * np.exp(np.sum(np.sin(x)) + 0.25 * np.sum(x[:-1] * x[1:]))


def _lexp_grad(x):
    q, g = _lexp_q_parts(x)
    return _LARGE_C * np.exp(q) * g


def _lexp_hess(x):
    n = x.shape[0]
    q, g = _lexp_q_parts(x)
    H = np.diag(-np.sin(x)) + 0.25 * (np.eye(n, k=1) + np.eye(n, k=-1)) + np.outer(g, g)
    return _LARGE_C * np.exp(q) * H


def large_exponential(n):
    """f = 1e10 exp(sum sin(x_i) + 0.25 sum x_i x_{i+1}): |f| ~ 1e10."""
    return Problem("large_exponential", np.resize([0.5, -1.0, 1.5, 0.2], n), _lexp, _lexp_grad, _lexp_hess,
                   tags=("large-values",))


# --- Graded scales: f = sum w_i exp(sin x_i) + sum w_i cos(x_i - x_{i+1}) -------------------------
# with w_i = 10^(12 i / (n - 1)), so the gradient components span about 12 orders of magnitude.

def _graded_weights(n):
    w = 10.0 ** (12.0 * np.arange(n) / max(n - 1, 1))
    return w, w[:-1]


def _graded(x):
    w, v = _graded_weights(x.shape[0])
    return np.sum(w * np.exp(np.sin(x))) + np.sum(v * np.cos(x[:-1] - x[1:]))


def _graded_grad(x):
    w, v = _graded_weights(x.shape[0])
    g = w * np.exp(np.sin(x)) * np.cos(x)
    c = v * np.sin(x[:-1] - x[1:])
    g[:-1] = g[:-1] - c
    g[1:] = g[1:] + c
    return g


def _graded_hess(x):
    n = x.shape[0]
    w, v = _graded_weights(n)
    d = w * np.exp(np.sin(x)) * (np.cos(x) ** 2 - np.sin(x))
    c = v * np.cos(x[:-1] - x[1:])
    d[:-1] = d[:-1] - c
    d[1:] = d[1:] - c
    i = np.arange(n - 1)
    H = np.diag(d)
    H[i, i + 1] = H[i + 1, i] = c
    return H


def graded_scales(n):
    """f = sum w_i exp(sin x_i) + sum w_i cos(x_i - x_{i+1}), w_i = 10^(12 i / (n - 1)).

    The gradient components span about 12 orders of magnitude.
    """
    return Problem("graded_scales", np.resize([0.3, -0.5, 1.1, 0.2, -0.9], n), _graded, _graded_grad,
                   _graded_hess, tags=("wide-range-gradient", "large-values"))


# --- Saddle point: f = exp(q(x)), q = sum s_i sin(x_i)^2 + sum sin(x_i) sin(x_{i+1}), s_i = (-1)^i,
# at x0 = 0 (zero gradient, f = 1, indefinite nonsingular Hessian) ---------------------------------

def _saddle_parts(x):
    n = x.shape[0]
    s = np.where(np.arange(n) % 2 == 0, 1.0, -1.0)
    sx, cx = np.sin(x), np.cos(x)
    nb = _neighbour_sum(sx)  # sin of the neighbours
    q = np.sum(s * sx * sx) + np.sum(sx[:-1] * sx[1:])
    g = s * np.sin(2.0 * x) + cx * nb
    return s, sx, cx, nb, q, g


def _saddle(x):
    sx = np.sin(x)
    s = np.where(np.arange(x.shape[0]) % 2 == 0, 1.0, -1.0)
    return np.exp(np.sum(s * sx * sx) + np.sum(sx[:-1] * sx[1:]))


def _saddle_grad(x):
    q, g = _saddle_parts(x)[4:]
    return np.exp(q) * g


def _saddle_hess(x):
    n = x.shape[0]
    s, sx, cx, nb, q, g = _saddle_parts(x)
    i = np.arange(n - 1)
    H = np.diag(2.0 * s * np.cos(2.0 * x) - sx * nb)
    H[i, i + 1] = H[i + 1, i] = cx[:-1] * cx[1:]
    return np.exp(q) * (H + np.outer(g, g))


def saddle_point(n):
    """f = exp(q(x)) at x0 = 0: zero gradient, f = 1, indefinite nonsingular Hessian."""
    return Problem("saddle_point", np.zeros(n), _saddle, _saddle_grad, _saddle_hess,
                   tags=("zero-gradient", "saddle"))


# --- Log-sum-exp written the numerically stable way, with max(): smooth but not complex-safe -------

def _lse(x):
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def _softmax(x):
    e = np.exp(x - np.max(x))
    return e / np.sum(e)


def _lse_hess(x):
    p = _softmax(x)
    return _sym(np.diag(p) - np.outer(p, p))


def logsumexp(n):
    """Log-sum-exp computed stably with max(): smooth, but not complex-analytic."""
    return Problem("logsumexp", np.resize([1.0, -0.5, 2.0, 0.3, -1.2], n), _lse, _softmax, _lse_hess,
                   analytic=False)


# =============================================================================================
# More finite-difference difficulties: cancellation, structure, oscillation, large x, noise,
# float32 evaluation, domain boundaries, machine-learning losses
# =============================================================================================

# --- Oscillation: f = offset + sum cos(w x_i) + sum sin(w x_i) sin(w x_{i+1}) ----------------------
# The k-th derivatives grow like w^k: a step must resolve the wavelength 2 pi / w.

class _Oscillatory:
    """The function above for a frequency w and an offset."""

    def __init__(self, w, offset=0.0):
        self.w = w
        self.offset = offset

    def _sin_cos(self, x):
        return np.sin(self.w * x), np.cos(self.w * x)

    def f(self, x):
        s, c = self._sin_cos(x)
        return self.offset + np.sum(c) + np.sum(s[:-1] * s[1:])

    def gradient(self, x):
        s, c = self._sin_cos(x)
        return self.w * (c * _neighbour_sum(s) - s)

    def hessian(self, x):
        s, c = self._sin_cos(x)
        nb = _neighbour_sum(s)
        i = np.arange(x.shape[0] - 1)
        H = np.diag(-c - s * nb)
        H[i, i + 1] = H[i + 1, i] = c[:-1] * c[1:]
        return self.w**2 * H


_OSC_X0 = [1.0, 0.9, 1.1, 1.05]
_OSC_1, _OSC_10, _OSC_100, _OSC_1000 = (_Oscillatory(w) for w in (1.0, 10.0, 100.0, 1000.0))
_OSC_OFFSET = _Oscillatory(1.0, offset=1e6)


def oscillatory_10(n):
    """Oscillation with frequency w = 10 at x ~ 1: |f''| ~ 1e2 |f'| ~ 1e2 |f|."""
    p = _OSC_10
    return Problem("oscillatory_10", np.resize(_OSC_X0, n), p.f, p.gradient, p.hessian, tags=("oscillatory",))


def oscillatory_100(n):
    """Oscillation with frequency w = 100 at x ~ 1: |f''| ~ 1e2 |f'| ~ 1e4 |f|."""
    p = _OSC_100
    return Problem("oscillatory_100", np.resize(_OSC_X0, n), p.f, p.gradient, p.hessian, tags=("oscillatory",))


def oscillatory_1000(n):
    """Oscillation with frequency w = 1000 at x ~ 1: the default Hessian step (1.2e-4) is a 50th of
    the wavelength, so its truncation error (w h)^2 / 12 ~ 1e-3 is large."""
    p = _OSC_1000
    return Problem("oscillatory_1000", np.resize(_OSC_X0, n), p.f, p.gradient, p.hessian, tags=("oscillatory",))


def oscillatory_far(n):
    """Oscillation with frequency 1 at |x| ~ 1e3: relative steps ~1e3 times the absolute ones."""
    p = _OSC_1
    return Problem("oscillatory_far", 1e3 + np.resize([0.3, 1.7, -0.9, 2.6], n), p.f, p.gradient, p.hessian,
                   tags=("oscillatory",))


# --- Many terms: |f| much larger than the Hessian entries -------------------------------------------

def large_offset(n):
    """f = 1e6 + sum cos(x_i) + sum sin(x_i) sin(x_{i+1}): |f| ~ 1e6 |H_ij| (cancellation in the
    differences of f)."""
    p = _OSC_OFFSET
    return Problem("large_offset", np.resize([0.5, -1.0, 1.5, 0.2], n), p.f, p.gradient, p.hessian,
                   tags=("many-terms",))


class _CoshSum:
    """f = sum_k cosh(c_k + b_k . x) over 300 terms with |b_k| ~ 0.1, so |f| ~ 1e3 |H_ij|."""

    terms = 300

    def __init__(self, n, seed=3):
        rng = np.random.default_rng(seed)
        self.c = rng.uniform(-3.0, 3.0, self.terms)
        self.B = rng.uniform(-0.1, 0.1, (self.terms, n))

    def f(self, x):
        return np.sum(np.cosh(self.c + self.B @ x))

    def gradient(self, x):
        return self.B.T @ np.sinh(self.c + self.B @ x)

    def hessian(self, x):
        return _sym((self.B.T * np.cosh(self.c + self.B @ x)) @ self.B)


def cosh_sum(n):
    """f = sum of 300 terms cosh(c_k + b_k . x) (random c_k in [-3, 3], b_k in [-0.1, 0.1]^n)."""
    p = _CoshSum(n)
    return Problem("cosh_sum", np.resize([0.5, -0.3, 0.8, -1.0], n), p.f, p.gradient, p.hessian,
                   tags=("many-terms",))


# --- Structural zeros in the Hessian ------------------------------------------------------------

def _separable(x):
    return np.sum(np.exp(np.sin(x)) + 0.25 * x**4)


def _separable_grad(x):
    return np.cos(x) * np.exp(np.sin(x)) + x**3


def _separable_hess(x):
    return np.diag((np.cos(x) ** 2 - np.sin(x)) * np.exp(np.sin(x)) + 3.0 * x**2)


_SEPARABLE_X0 = [0.7, -1.3, 0.2, 1.6, -0.4, 1.0]


def separable(n):
    """f = sum exp(sin x_i) + x_i^4 / 4, a sum of 1-D functions: diagonal Hessian."""
    return Problem("separable", np.resize(_SEPARABLE_X0, n), _separable, _separable_grad, _separable_hess,
                   tags=("separable",))


def _tquartic(x):
    return np.sum((x[:-1] - x[1:]) ** 4) + np.sum((x - 1.0) ** 2)


def _tquartic_grad(x):
    d3 = 4.0 * (x[:-1] - x[1:]) ** 3
    g = 2.0 * (x - 1.0)
    g[:-1] = g[:-1] + d3
    g[1:] = g[1:] - d3
    return g


def _tquartic_hess(x):
    n = x.shape[0]
    d2 = 12.0 * (x[:-1] - x[1:]) ** 2
    i = np.arange(n - 1)
    H = 2.0 * np.eye(n, dtype=_dtype(x))
    H[i, i] += d2
    H[i + 1, i + 1] += d2
    H[i, i + 1] = H[i + 1, i] = -d2
    return H


def tridiagonal_quartic(n):
    """f = sum (x_i - x_{i+1})^4 + sum (x_i - 1)^2: tridiagonal Hessian."""
    return Problem("tridiagonal_quartic", np.resize([0.5, -1.0, 2.0, 0.0, 1.5], n), _tquartic, _tquartic_grad,
                   _tquartic_hess, tags=("banded",))


def _biquad(x):
    q = 1.0 + x * x
    return np.sum(q[:-1] * q[1:])


def _biquad_grad(x):
    return 2.0 * x * _neighbour_sum(1.0 + x * x)


def _biquad_hess(x):
    i = np.arange(x.shape[0] - 1)
    H = np.diag(2.0 * _neighbour_sum(1.0 + x * x))
    H[i, i + 1] = H[i + 1, i] = 4.0 * x[:-1] * x[1:]
    return H


def chained_biquadratic(n):
    """f = sum (1 + x_i^2)(1 + x_{i+1}^2): tridiagonal Hessian, and f is quadratic in each variable,
    so the central second-difference stencils are exact up to rounding."""
    return Problem("chained_biquadratic", np.resize([0.5, -1.5, 1.0, 2.0], n), _biquad, _biquad_grad,
                   _biquad_hess, tags=("banded",))


# --- Large |x| ~ 1e8 with O(1) variation: relative steps are far too large ----------------------

def _sin_sum(x):
    return np.sum(np.sin(x))


def _sin_sum_hess(x):
    return np.diag(-np.sin(x))


def large_x_sin(n):
    """f = sum sin(x_i) at x_i = 1e8 + 0.5 + i."""
    return Problem("large_x_sin", 1e8 + 0.5 + np.arange(n), _sin_sum, np.cos, _sin_sum_hess,
                   tags=("large-x", "separable"))


def _bump_centre(n):
    return 1e8 + np.arange(n)


def _bump(x):
    d = x - _bump_centre(x.shape[0])
    return d, np.exp(-0.5 * np.sum(d * d))


def _large_bump(x):
    return _bump(x)[1]


def _large_bump_grad(x):
    d, e = _bump(x)
    return -e * d


def _large_bump_hess(x):
    d, e = _bump(x)
    return e * (np.outer(d, d) - np.eye(x.shape[0]))


def large_x_gaussian(n):
    """f = exp(-|x - c|^2 / 2), a unit-width Gaussian centred at c_i = 1e8 + i."""
    x0 = _bump_centre(n) + np.resize([0.3, -0.5, 0.8], n)
    return Problem("large_x_gaussian", x0, _large_bump, _large_bump_grad, _large_bump_hess, tags=("large-x",))


# --- Noisy evaluations: smooth(x) + noise, the noise a deterministic function of the bits of x -----

class _Noisy:
    """smooth(x) + noise u(x), u uniform in [-1, 1] from a generator seeded by the float64 bits of x,
    so that f is deterministic but not smooth below the noise level."""

    def __init__(self, smooth, noise):
        self.smooth = smooth
        self.noise = noise

    def __call__(self, x):
        x = np.ascontiguousarray(x, dtype=np.float64)
        u = np.random.default_rng(np.frombuffer(x.tobytes(), dtype=np.uint32)).uniform(-1.0, 1.0)
        return self.smooth(x) + self.noise * u


_NOISE = 1e-10


def noisy_rosenbrock(n):
    """Chained Rosenbrock plus deterministic noise of size 1e-10; the derivatives are those of the
    smooth part."""
    return Problem("noisy_rosenbrock", _alternating(n, -1.2, 1.0), _Noisy(_rosen, _NOISE), _rosen_grad,
                   _rosen_hess, analytic=False, tags=("noisy",), noise=_NOISE)


def noisy_separable(n):
    """`separable` plus deterministic noise of size 1e-10; the derivatives are those of the smooth
    part."""
    return Problem("noisy_separable", np.resize(_SEPARABLE_X0, n), _Noisy(_separable, _NOISE), _separable_grad,
                   _separable_hess, analytic=False, tags=("noisy", "separable"), noise=_NOISE)


# --- float32 evaluation of a smooth function: rounding noise ~ 6e-8 |f| --------------------------

_F32_UNIT_ROUNDOFF = float(np.finfo(np.float32).eps) / 2.0


class _Float32:
    """smooth evaluated in float32 (x rounded to float32 first), returned as a NumPy float64."""

    def __init__(self, smooth):
        self.smooth = smooth

    def __call__(self, x):
        return np.float64(self.smooth(np.asarray(x, dtype=np.float32)))


def _float32_problem(name, x0, f, gradient, hessian, tags):
    x0 = np.asarray(x0, dtype=np.float64)
    return Problem(name, x0, _Float32(f), gradient, hessian, analytic=False, tags=tags,
                   noise=_F32_UNIT_ROUNDOFF * abs(float(f(x0))))


def float32_rosenbrock(n):
    """Chained Rosenbrock computed in float32 at x0 = (-1.2, 1.1, -1.2, 1.1, ...); the derivatives
    are those of the exact (float64) function at x0. (At a dyadic x0 such as (-1.25, 1), dyadic
    steps would make the float32 polynomial exact and hide its rounding.)"""
    return _float32_problem("float32_rosenbrock", _alternating(n, -1.2, 1.1), _rosen, _rosen_grad, _rosen_hess,
                            ("float32",))


def float32_separable(n):
    """`separable` computed in float32; the derivatives are those of the exact (float64) function."""
    x0 = np.resize([0.75, -1.25, 0.25, 1.5, -0.5, 1.0], n)
    return _float32_problem("float32_separable", x0, _separable, _separable_grad, _separable_hess,
                            ("float32", "separable"))


# --- Near the boundary of the domain: the Hessian stencils (steps ~1e-4) leave it, where f = nan ----

def _barrier(x):
    with np.errstate(invalid="ignore", divide="ignore"):
        return -np.sum(np.log(x)) - np.log(1.0 - np.sum(x))


def _barrier_grad(x):
    return 1.0 / (1.0 - np.sum(x)) - 1.0 / x


def _barrier_hess(x):
    return np.diag(1.0 / x**2) + 1.0 / (1.0 - np.sum(x)) ** 2


def log_barrier(n):
    """Log barrier of the simplex, f = -sum log(x_i) - log(1 - sum x_i), at x_i from 1e-4 to 1e-3."""
    return Problem("log_barrier", np.logspace(-4.0, -3.0, n), _barrier, _barrier_grad, _barrier_hess,
                   tags=("domain-edge",))


def _sqrt_sum(x):
    with np.errstate(invalid="ignore"):
        return np.sum(np.sqrt(x))


def _sqrt_sum_grad(x):
    return 0.5 / np.sqrt(x)


def _sqrt_sum_hess(x):
    return np.diag(-0.25 / (x * np.sqrt(x)))


def sqrt_edge(n):
    """f = sum sqrt(x_i) at x_i ~ 1e-4 (nan for x_i < 0)."""
    return Problem("sqrt_edge", 1e-4 * np.resize([1.0, 1.5, 2.0, 3.0], n), _sqrt_sum, _sqrt_sum_grad,
                   _sqrt_sum_hess, tags=("domain-edge", "separable"))


def _cbrt_sum(x):
    with np.errstate(invalid="ignore"):
        return np.sum(x ** (1.0 / 3.0))


def _cbrt_sum_grad(x):
    return x ** (-2.0 / 3.0) / 3.0


def _cbrt_sum_hess(x):
    return np.diag(-2.0 / 9.0 * x ** (-5.0 / 3.0))


def cbrt_edge(n):
    """f = sum x_i^(1/3) at x_i ~ 1e-5, the real power (nan for x_i < 0, where the cube-root
    branch changes and f is not differentiable at 0)."""
    return Problem("cbrt_edge", 1e-5 * np.resize([1.0, 2.0, 3.0, 4.0], n), _cbrt_sum, _cbrt_sum_grad,
                   _cbrt_sum_hess, tags=("domain-edge", "separable"))


# --- Gradient components spanning 16 decades ----------------------------------------------------

def _wide_quad_c(n):
    return np.logspace(-8.0, 8.0, n)


def _wide_quad(x):
    return np.sum(_wide_quad_c(x.shape[0]) * x * x)


def _wide_quad_grad(x):
    return 2.0 * _wide_quad_c(x.shape[0]) * x


def _wide_quad_hess(x):
    return np.diag(2.0 * _wide_quad_c(x.shape[0]))


def wide_range_quadratic(n):
    """f = sum c_i x_i^2, c_i from 1e-8 to 1e8 (log-spaced), at x_i = 1 + i / n: the gradient
    components span 16 decades."""
    return Problem("wide_range_quadratic", 1.0 + np.arange(n) / n, _wide_quad, _wide_quad_grad, _wide_quad_hess,
                   tags=("wide-range-gradient", "separable", "large-values"))


# --- Machine-learning losses with a few hundred parameters, on fixed synthetic data --------------

def _sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


class _Logistic:
    """L2-regularised logistic regression: f(w) = sum_k log(1 + exp(z_k)) - y_k z_k + lam |w|^2 / 2,
    z = A w, with A (samples x n) and labels y in {0, 1} drawn from a fixed seed."""

    samples, lam = 500, 1e-2

    def __init__(self, n, seed=5):
        rng = np.random.default_rng(seed)
        self.A = rng.standard_normal((self.samples, n)) / np.sqrt(n)
        w_true = 2.0 * rng.standard_normal(n)
        self.y = (rng.uniform(size=self.samples) < _sigmoid(self.A @ w_true)).astype(np.float64)
        self.x0 = 0.3 * rng.standard_normal(n)

    def f(self, w):
        z = self.A @ w
        return np.sum(np.log1p(np.exp(z)) - self.y * z) + 0.5 * self.lam * (w @ w)

    def gradient(self, w):
        return self.A.T @ (_sigmoid(self.A @ w) - self.y) + self.lam * w

    def hessian(self, w):
        sigma = _sigmoid(self.A @ w)
        H = (self.A.T * (sigma * (1.0 - sigma))) @ self.A
        return _sym(H + self.lam * np.eye(w.shape[0]))


def logistic_regression(n):
    """L2-regularised logistic regression negative log-likelihood, 500 samples, n parameters."""
    p = _Logistic(n)
    return Problem("logistic_regression", p.x0, p.f, p.gradient, p.hessian, tags=("ml",))


class _MLP:
    """Mean squared error plus lam |theta|^2 / 2 of a one-hidden-layer tanh network
    yhat(x) = sum_j v_j tanh(u_j . (x, 1)) + b, on fixed data (samples x inputs).

    theta holds, for each hidden unit j, the row (u_j, v_j) of `inputs` + 2 numbers, then b. The loss
    is a sum of squares with residuals r_k / sqrt(2 samples), r_k = yhat(x_k) - y_k, and
    sqrt(lam / 2) theta. Only the r_k are nonlinear; their Hessians are block diagonal, unit j's block
    having d2 r_k / du_j du_j = -2 v_j t_kj s_kj z_k z_k^T and d2 r_k / du_j dv_j = s_kj z_k
    (d2 r_k / dv_j dv_j = 0), where z_k = (x_k, 1), t_kj = tanh(z_k . u_j) and s_kj = 1 - t_kj^2.
    """

    samples, inputs, hidden, lam = 200, 8, 25, 1e-3
    n = hidden * (inputs + 2) + 1

    def __init__(self, seed=7):
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((self.samples, self.inputs))
        self.Z = np.hstack([X, np.ones((self.samples, 1))])
        self.y = np.sin(X @ rng.standard_normal(self.inputs) / np.sqrt(self.inputs))
        self.x0 = np.concatenate([rng.standard_normal(self.n - 1) / np.sqrt(self.inputs + 1), [0.1]])
        self.scale, self.reg = 1.0 / np.sqrt(2.0 * self.samples), np.sqrt(0.5 * self.lam)
        self.sumsq = _SumOfSquares(self.residual, self.jacobian, self.residual_hessian)

    def _layer(self, theta):
        P = theta[:-1].reshape(self.hidden, self.inputs + 2)
        U, v = P[:, :-1], P[:, -1]
        T = np.tanh(self.Z @ U.T)  # (samples, hidden)
        return v, T, 1.0 - T * T

    def residual(self, theta):
        v, T = self._layer(theta)[:2]
        return np.concatenate([self.scale * (T @ v + theta[-1] - self.y), self.reg * theta])

    def jacobian(self, theta):
        v, T, S = self._layer(theta)
        m, h, d = self.samples, self.hidden, self.inputs + 1
        J = np.zeros((m, h, d + 1), dtype=_dtype(theta))
        J[:, :, :d] = (S * v)[:, :, None] * self.Z[:, None, :]
        J[:, :, d] = T
        J = self.scale * np.hstack([J.reshape(m, h * (d + 1)), np.ones((m, 1))])
        return np.vstack([J, self.reg * np.eye(self.n)])

    def residual_hessian(self, theta, w):
        v, T, S = self._layer(theta)
        h, d = self.hidden, self.inputs + 1
        wk = self.scale * w[: self.samples]  # the weights of the r_k
        uu = np.einsum("kj,ka,kb->jab", -2.0 * wk[:, None] * v * T * S, self.Z, self.Z)
        uv = (wk[:, None] * S).T @ self.Z  # (hidden, d)
        H = np.zeros((self.n, self.n), dtype=np.result_type(theta, w, np.float64))
        for j in range(h):
            u, vj = slice(j * (d + 1), j * (d + 1) + d), j * (d + 1) + d
            H[u, u] = uu[j]
            H[u, vj] = H[vj, u] = uv[j]
        return H


def mlp(n):
    """Regularised mean squared error of a tanh network with 8 inputs and 25 hidden units (251
    parameters) on 200 fixed samples."""
    p = _MLP()
    return p.sumsq.problem("mlp", p.x0, tags=("ml",))


# =============================================================================================
# Registry
# =============================================================================================

class _Entry(NamedTuple):
    factory: Callable
    default_n: int
    fixed: bool = False  # the problem exists only for n == default_n
    min_n: int = 1
    max_n: int | None = None
    multiple_of: int = 1


_REGISTRY = {
    # the original four (their names and behaviour are relied upon by the tests and benchmarks)
    "rosenbrock": _Entry(rosenbrock, 4),
    "extended_powell": _Entry(extended_powell, 4, multiple_of=4),
    "broyden_tridiagonal": _Entry(broyden_tridiagonal, 6),
    "dense_quadratic": _Entry(dense_quadratic, 6),
    # More, Garbow & Hillstrom
    "freudenstein_roth": _Entry(freudenstein_roth, 2, fixed=True),
    "powell_badly_scaled": _Entry(powell_badly_scaled, 2, fixed=True),
    "brown_badly_scaled": _Entry(brown_badly_scaled, 2, fixed=True),
    "beale": _Entry(beale, 2, fixed=True),
    "jennrich_sampson": _Entry(jennrich_sampson, 2, fixed=True),
    "helical_valley": _Entry(helical_valley, 3, fixed=True),
    "bard": _Entry(bard, 3, fixed=True),
    "gaussian": _Entry(gaussian, 3, fixed=True),
    "meyer": _Entry(meyer, 3, fixed=True),
    "box_3d": _Entry(box_3d, 3, fixed=True),
    "wood": _Entry(wood, 4, fixed=True),
    "brown_dennis": _Entry(brown_dennis, 4, fixed=True),
    "biggs_exp6": _Entry(biggs_exp6, 6, fixed=True),
    "watson": _Entry(watson, 6, min_n=2, max_n=31),
    "extended_rosenbrock": _Entry(extended_rosenbrock, 4, multiple_of=2),
    "penalty_1": _Entry(penalty_1, 4),
    "variably_dimensioned": _Entry(variably_dimensioned, 6),
    "trigonometric": _Entry(trigonometric, 6),
    "brown_almost_linear": _Entry(brown_almost_linear, 5),
    "trigonometric_system": _Entry(trigonometric_system, 6),
    "discrete_boundary_value": _Entry(discrete_boundary_value, 6),
    # finite-difference difficulties
    "scaled_large_x": _Entry(scaled_large_x, 4),
    "scaled_small_x": _Entry(scaled_small_x, 4),
    "large_exponential": _Entry(large_exponential, 4),
    "graded_scales": _Entry(graded_scales, 5, min_n=2),
    "rosenbrock_minimum": _Entry(rosenbrock_minimum, 4, min_n=2),
    "saddle_point": _Entry(saddle_point, 4),
    "logsumexp": _Entry(logsumexp, 5),
    # more finite-difference difficulties
    "large_offset": _Entry(large_offset, 6),
    "cosh_sum": _Entry(cosh_sum, 4),
    "separable": _Entry(separable, 6),
    "tridiagonal_quartic": _Entry(tridiagonal_quartic, 6, min_n=2),
    "chained_biquadratic": _Entry(chained_biquadratic, 6, min_n=2),
    "oscillatory_10": _Entry(oscillatory_10, 4),
    "oscillatory_100": _Entry(oscillatory_100, 4),
    "oscillatory_1000": _Entry(oscillatory_1000, 4),
    "oscillatory_far": _Entry(oscillatory_far, 4),
    "large_x_sin": _Entry(large_x_sin, 4),
    "large_x_gaussian": _Entry(large_x_gaussian, 3),
    "noisy_rosenbrock": _Entry(noisy_rosenbrock, 4),
    "noisy_separable": _Entry(noisy_separable, 6),
    "float32_rosenbrock": _Entry(float32_rosenbrock, 4),
    "float32_separable": _Entry(float32_separable, 6),
    "log_barrier": _Entry(log_barrier, 4),
    "sqrt_edge": _Entry(sqrt_edge, 4),
    "cbrt_edge": _Entry(cbrt_edge, 4),
    "wide_range_quadratic": _Entry(wide_range_quadratic, 9, min_n=2),
    "logistic_regression": _Entry(logistic_regression, 200),
    "mlp": _Entry(mlp, _MLP.n, fixed=True),
}
PROBLEM_NAMES = tuple(_REGISTRY)


def _check_n(name, entry, n):
    if n is None:
        return entry.default_n
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    n = int(n)
    if entry.fixed and n != entry.default_n:
        raise ValueError(f"{name} has fixed dimension n = {entry.default_n}, got n = {n}")
    if n % entry.multiple_of:
        raise ValueError(f"n must be a multiple of {entry.multiple_of} for {name}, got {n}")
    if n < entry.min_n or (entry.max_n is not None and n > entry.max_n):
        upper = "" if entry.max_n is None else f" and <= {entry.max_n}"
        raise ValueError(f"n must be >= {entry.min_n}{upper} for {name}, got {n}")
    return n


def get_problem(name: str, n: int | None = None) -> Problem:
    """The built-in problem ``name`` (one of `PROBLEM_NAMES`) in dimension n.

    n=None gives the problem's default dimension. Fixed-dimension problems (e.g. "beale", n = 2)
    raise ValueError for any other n; scalable ones accept any valid n (e.g. a multiple of 4 for
    "extended_powell").

    Parameters
    ----------
    name : str
        One of `PROBLEM_NAMES`; anything else raises ValueError.
    n : int, optional
        Number of variables, a positive int valid for the problem; default None, the problem's
        default dimension.

    Returns
    -------
    Problem

    Examples
    --------
    >>> import fdcore
    >>> p = fdcore.get_problem("rosenbrock", 4)
    >>> g = fdcore.gradient(p.f, p.x0)
    >>> bool(abs(g - p.derivative(p.x0)).max() < 1e-6 * abs(p.derivative(p.x0)).max())
    True
    >>> fdcore.get_problem("wood").n
    4
    """
    try:
        entry = _REGISTRY[name]
    except (KeyError, TypeError):
        raise ValueError(f"name must be one of {', '.join(PROBLEM_NAMES)}; got {name!r}") from None
    return entry.factory(_check_n(name, entry, n))


def problem_suite(vector: bool = False) -> list[Problem]:
    """All scalar problems (vector=False) or all vector problems (vector=True) at their default sizes.

    Parameters
    ----------
    vector : bool, optional
        False (default) for the scalar problems, True for the vector-valued ones.

    Returns
    -------
    list of Problem
        In the order of `PROBLEM_NAMES`.

    Examples
    --------
    >>> from fdcore.problems.suite import problem_suite
    >>> all(not p.vector and p.hessian is not None for p in problem_suite())
    True
    """
    problems = [get_problem(name) for name in PROBLEM_NAMES]
    return [p for p in problems if p.vector == bool(vector)]
