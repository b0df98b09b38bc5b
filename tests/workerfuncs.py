"""Module-level (picklable) objectives for the workers= tests: process pools and dask workers
import them by name, so they must live in an importable module, not in a test function.

Nothing here depends on state set up by a test: a worker started by spawn (dask's nanny, or a
ProcessPoolExecutor on a platform without fork) re-imports this module and gets the same
functions and the same constants (the random matrices are seeded).
"""

import functools

import numpy as np

import fdcore

# The point at which `raises_above_x1` raises: only x + h e_1 (and other points with x[1] > 2).
RAISE_X0 = np.array([1.0, 2.0, 3.0])

_rng = np.random.default_rng(12345)
_M = _rng.standard_normal((8, 8))
QUAD_A = _M @ _M.T / 8 + np.eye(8)
QUAD_B = _rng.standard_normal(8)
QUAD_X0 = _rng.uniform(-1.0, 1.0, 8)


def smooth(x):
    """exp(x0) sin(x1) + x0^3 x1 + cos(x2 x0) + sum x^4: scalar, n >= 3."""
    return float(np.exp(x[0]) * np.sin(x[1]) + x[0] ** 3 * x[1] + np.cos(x[2] * x[0]) + np.sum(x**4))


def smooth_gradient(x):
    g = 4.0 * np.asarray(x, dtype=np.float64) ** 3
    g[0] += np.exp(x[0]) * np.sin(x[1]) + 3 * x[0] ** 2 * x[1] - x[2] * np.sin(x[2] * x[0])
    g[1] += np.exp(x[0]) * np.cos(x[1]) + x[0] ** 3
    g[2] += -x[0] * np.sin(x[2] * x[0])
    return g


def dense_quadratic(x):
    """0.5 x^T A x + b^T x through BLAS matrix-vector products (whose rounding can depend on the
    memory layout of x: a strided x may be summed in another order than a contiguous one)."""
    return 0.5 * x @ (QUAD_A @ x) + QUAD_B @ x


def broyden(x):
    """Broyden tridiagonal system R^n -> R^n."""
    padded = np.concatenate(([0.0], x, [0.0]))
    return (3.0 - 2.0 * x) * x - padded[:-2] - 2.0 * padded[2:] + 1.0


def broyden_jacobian(x):
    n = x.shape[0]
    J = np.diag(3.0 - 4.0 * np.asarray(x, dtype=np.float64))
    i = np.arange(n - 1)
    J[i + 1, i] = -1.0
    J[i, i + 1] = -2.0
    return J


def float32_sine(x):
    """sin(x_0) computed in float32: its values are np.float32 at a float64 x."""
    return np.float32(np.sin(x[0]))


def float32_sines(x):
    return np.sin(x).astype(np.float32)


def with_arguments(x, a, scale=1.0):
    """scale * sum(a * x^2): exercises args= and kwargs= through the workers."""
    return float(scale * np.sum(a * x**2))


def raises_above_x1(x):
    """Raises ZeroDivisionError where x[1] > RAISE_X0[1], i.e. at x + h e_1 of a stencil at RAISE_X0."""
    if x[1] > RAISE_X0[1]:
        raise ZeroDivisionError("division by zero in the objective")
    return float(np.sum(x**2))


def vector_raises_above_x1(x):
    """[raises_above_x1(x), x0]: a vector f raising at the same points."""
    return np.array([raises_above_x1(x), x[0]])


@functools.lru_cache(maxsize=None)
def _problem(name):
    return fdcore.get_problem(name)


class SuiteProblem:
    """A built-in problem's f, picklable by name (the problems' own f are often closures)."""

    def __init__(self, name):
        self.name = name

    def __call__(self, x):
        return _problem(self.name).f(x)

    def __repr__(self):
        return f"SuiteProblem({self.name!r})"
