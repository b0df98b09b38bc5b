"""The methods fdcore is compared with in `python -m fdcore bench`.

Each maker takes (f, x, problem) and returns a zero-argument callable computing the estimate, or
None when the peer is not installed; it raises NotApplicable when the peer cannot run the case.
``f`` is the problem's f, or a Counter around it in the untimed counting run; ``problem`` is the
fdcore.problems.suite.Problem (None for ad-hoc objectives such as the overhead suite's).

Peers that need f in another form get it from the problem: scipy.differentiate needs f on an
(n, ...) array of points (scipy.optimize.rosen sums over axis 0, so it broadcasts over the trailing
axes), JAX a jax.numpy version. Both exist for Rosenbrock only. Heavy imports (jax, statsmodels)
happen when a maker runs, never at fdcore's import.
"""

import functools

import numpy as np

from fdcore.bench.core import Counter, NotApplicable

# --- the textbook loops ----------------------------------------------------------------------

def numpy_loop_gradient(f, x, problem=None):
    """The textbook loop: copy x per evaluation, central difference with fdcore's default step."""
    h = np.finfo(float).eps ** (1 / 3) * np.maximum(1.0, np.abs(x))

    def run():
        g = np.empty_like(x)
        for i in range(x.shape[0]):
            xp = x.copy()
            xp[i] += h[i]
            xm = x.copy()
            xm[i] -= h[i]
            g[i] = (f(xp) - f(xm)) / (2 * h[i])
        return g

    return run


def numpy_loop_jacobian(f, x, problem=None):
    h = np.finfo(float).eps ** (1 / 3) * np.maximum(1.0, np.abs(x))

    def run():
        cols = []
        for i in range(x.shape[0]):
            xp = x.copy()
            xp[i] += h[i]
            xm = x.copy()
            xm[i] -= h[i]
            cols.append((f(xp) - f(xm)) / (2 * h[i]))
        return np.stack(cols, axis=1)

    return run


def numpy_loop_hessian(f, x, problem=None):
    """The textbook four-corner central stencil: 4 evaluations per entry of the upper triangle."""
    h = np.finfo(float).eps ** (1 / 4) * np.maximum(1.0, np.abs(x))

    def point(i, si, j, sj):
        p = x.copy()
        p[i] += si * h[i]
        p[j] += sj * h[j]
        return f(p)

    def run():
        n = x.shape[0]
        H = np.empty((n, n))
        for i in range(n):
            for j in range(i, n):
                H[i, j] = H[j, i] = (
                    point(i, 1, j, 1) - point(i, 1, j, -1) - point(i, -1, j, 1) + point(i, -1, j, -1)
                ) / (4 * h[i] * h[j])
        return H

    return run


# --- SciPy -----------------------------------------------------------------------------------

def scipy_approx_fprime(f, x, problem=None):
    try:
        from scipy.optimize import approx_fprime
    except ImportError:
        return None
    return lambda: approx_fprime(x, f)


def scipy_approx_derivative(f, x, problem=None):
    try:
        from scipy.optimize._numdiff import (
            approx_derivative,  # SciPy's public approx_fprime calls it
        )
    except ImportError:
        return None
    return lambda: approx_derivative(f, x, method="3-point")


def _broadcasting_f(f, problem):
    """The problem's f on (n, ...) arrays of points, counting points into f when it is a Counter."""
    if problem is None or problem.name != "rosenbrock":
        raise NotApplicable(problem)
    from scipy.optimize import rosen  # sums over axis 0: broadcasts over trailing axes

    return f.batch(rosen) if isinstance(f, Counter) else rosen


def scipy_differentiate(kind):
    """scipy.differentiate.jacobian (the gradient of a scalar f) or .hessian, default options."""

    def make(f, x, problem=None):
        try:
            import scipy.differentiate as sd
        except ImportError:
            return None
        vectorized = _broadcasting_f(f, problem)
        if kind == "gradient":
            return lambda: sd.jacobian(vectorized, x).df
        return lambda: sd.hessian(vectorized, x).ddf

    return make


# --- numdifftools, statsmodels ---------------------------------------------------------------

def numdifftools(kind):
    def make(f, x, problem=None):
        try:
            import numdifftools as nd
        except ImportError:
            return None
        estimator = getattr(nd, kind)(f)
        return lambda: estimator(x)

    return make


def statsmodels(name, **options):
    """statsmodels.tools.numdiff.<name>(x, f, **options)."""

    def make(f, x, problem=None):
        try:
            from statsmodels.tools import numdiff
        except ImportError:
            return None
        function = getattr(numdiff, name)
        return lambda: function(x, f, **options)

    return make


# --- JAX: exact derivatives, a cost reference --------------------------------------------------

@functools.lru_cache(maxsize=None)
def _jax_rosen_gradient():
    """jax.jit(jax.grad(Rosenbrock in jax.numpy)), built once: jit caches one compilation per n."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)  # float64, like every other row

    def rosen(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    return jax.jit(jax.grad(rosen))


def jax_grad(f, x, problem=None):
    """Reverse-mode gradient of a jit-compiled jax.numpy Rosenbrock (f itself is not called)."""
    if problem is None or problem.name != "rosenbrock":
        raise NotApplicable(problem)
    try:
        import jax  # noqa: F401
    except ImportError:
        return None
    gradient = _jax_rosen_gradient()
    gradient(x).block_until_ready()  # compile outside the timing
    return lambda: np.asarray(gradient(x))
