"""Built-in test problems with analytic derivatives, shared by the tests, the benchmarks and users.

Each problem is scalable in n and carries its analytic first derivative (gradient, or Jacobian for
vector problems) and, for scalar problems, its Hessian, so that any finite-difference estimate can
be scored against the exact answer.
"""

from dataclasses import dataclass
from typing import Callable, Optional

import numpy as np


@dataclass(frozen=True)
class Problem:
    """A test function at a standard starting point.

    Attributes
    ----------
    name : str
    x0 : ndarray, shape (n,)
    f : callable
        Scalar problems return a float, vector problems an array of shape (m,).
    derivative : callable
        The gradient (n,) of a scalar problem or the Jacobian (m, n) of a vector problem.
    hessian : callable or None
        The (n, n) Hessian of a scalar problem.
    vector : bool
        True for vector-valued problems.
    """

    name: str
    x0: np.ndarray
    f: Callable
    derivative: Callable
    hessian: Optional[Callable] = None
    vector: bool = False

    @property
    def n(self):
        return self.x0.shape[0]


# --- Rosenbrock (the chained form used by scipy.optimize.rosen) ------------------------------

def _rosen(x):
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2))


def _rosen_grad(x):
    g = np.zeros_like(x, dtype=np.float64)
    t = x[1:] - x[:-1] ** 2
    g[:-1] += -400.0 * x[:-1] * t - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * t
    return g


def _rosen_hess(x):
    n = x.shape[0]
    H = np.zeros((n, n))
    i = np.arange(n - 1)
    H[i, i] += 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    H[i + 1, i + 1] += 200.0
    H[i, i + 1] = H[i + 1, i] = -400.0 * x[:-1]
    return H


def rosenbrock(n):
    x0 = np.where(np.arange(n) % 2 == 0, -1.2, 1.0)
    return Problem("rosenbrock", x0, _rosen, _rosen_grad, _rosen_hess)


# --- Extended Powell singular function (More, Garbow & Hillstrom 1981, problem 22) -------------

def _powell_parts(x):
    a, b, c, d = x[0::4], x[1::4], x[2::4], x[3::4]
    return a, b, c, d


def _powell(x):
    a, b, c, d = _powell_parts(x)
    return float(np.sum((a + 10 * b) ** 2 + 5 * (c - d) ** 2 + (b - 2 * c) ** 4 + 10 * (a - d) ** 4))


def _powell_grad(x):
    a, b, c, d = _powell_parts(x)
    g = np.empty_like(x, dtype=np.float64)
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
    if n % 4:
        raise ValueError(f"n must be a multiple of 4 for extended_powell, got {n}")
    x0 = np.tile([3.0, -1.0, 0.0, 1.0], n // 4)
    return Problem("extended_powell", x0, _powell, _powell_grad, _powell_hess)


# --- Broyden tridiagonal system (More, Garbow & Hillstrom 1981, problem 30) ------------------

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
    return Problem("broyden_tridiagonal", np.full(n, -1.0), _broyden, _broyden_jac, vector=True)


# --- Dense convex quadratic 0.5 x^T A x + b^T x ---------------------------------------------

def dense_quadratic(n, seed=0):
    rng = np.random.default_rng(seed)
    M = rng.standard_normal((n, n))
    A = M @ M.T / n + np.eye(n)
    b = rng.standard_normal(n)

    def f(x):
        return float(0.5 * x @ (A @ x) + b @ x)

    def grad(x):
        return A @ x + b

    def hess(x):
        return A.copy()

    return Problem("dense_quadratic", rng.uniform(-1, 1, n), f, grad, hess)


_FACTORIES = {
    "rosenbrock": rosenbrock,
    "extended_powell": extended_powell,
    "broyden_tridiagonal": broyden_tridiagonal,
    "dense_quadratic": dense_quadratic,
}
PROBLEM_NAMES = tuple(_FACTORIES)


def get_problem(name, n):
    """The built-in problem ``name`` (one of `PROBLEM_NAMES`) in dimension n.

    Examples
    --------
    >>> import fdcore
    >>> p = fdcore.get_problem("rosenbrock", 4)
    >>> g = fdcore.gradient(p.f, p.x0)
    >>> bool(abs(g - p.derivative(p.x0)).max() < 1e-6 * abs(p.derivative(p.x0)).max())
    True
    """
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise ValueError(f"name must be one of {', '.join(PROBLEM_NAMES)}; got {name!r}") from None
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    return factory(int(n))
