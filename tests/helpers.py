"""Small shared test utilities (not fixtures): an evaluation counter and error measures."""

import numpy as np


class Counted:
    """Wrap f and count its calls; optionally check every argument it receives."""

    def __init__(self, f):
        self.f = f
        self.calls = 0
        self.seen_writeable = set()

    def __call__(self, x, *args, **kwargs):
        self.calls += 1
        self.seen_writeable.add(bool(np.asarray(x).flags.writeable))
        return self.f(x, *args, **kwargs)


def rel_err(approx, exact, f0=0.0):
    """Max-norm error relative to S = max(1, |f0|, max|exact|).

    Finite-difference round-off is proportional to |f| (EPS |f| / h) and truncation to the size of
    the derivatives, so errors are measured against the larger of the two scales.
    """
    approx, exact = np.asarray(approx, dtype=np.float64), np.asarray(exact, dtype=np.float64)
    scale = max(1.0, float(np.max(np.abs(f0))), float(np.max(np.abs(exact))))
    return float(np.max(np.abs(approx - exact)) / scale)


# Tolerances for rel_err, by method, in float64. Each is a modest multiple of the method's own
# error unit at its default step: central first differences EPS^(2/3) ~ 4e-11, one-sided
# EPS^(1/2) ~ 1.5e-8, central second differences EPS^(1/2) ~ 1.5e-8, one-sided second
# differences EPS^(1/3) ~ 6e-6.
TOL_FIRST = {"central": 1e-8, "forward": 1e-6, "backward": 1e-6}
TOL_SECOND = {"central": 1e-6, "forward": 2e-4, "backward": 2e-4}
# float32 (EPS ~ 1.2e-7): central EPS^(2/3) ~ 2.4e-5, one-sided EPS^(1/2) ~ 3.5e-4.
TOL_FIRST_F32 = {"central": 1e-3, "forward": 1e-2, "backward": 1e-2}
METHODS = ("central", "forward", "backward")


# The worked example f = x^2 y + sin(xy) and its analytic derivatives.
def f_xy(p):
    return p[0] ** 2 * p[1] + np.sin(p[0] * p[1])


def grad_xy(x, y):
    return np.array([2 * x * y + y * np.cos(x * y), x**2 + x * np.cos(x * y)])


def hess_xy(x, y):
    fxx = 2 * y - y**2 * np.sin(x * y)
    fxy = 2 * x + np.cos(x * y) - x * y * np.sin(x * y)
    fyy = -(x**2) * np.sin(x * y)
    return np.array([[fxx, fxy], [fxy, fyy]])


# A smooth scalar function of 3 variables and a vector function R^3 -> R^4, with analytic
# derivatives, shared by the accuracy tests.
def smooth(p):
    return np.exp(p[0]) * np.sin(p[1]) + p[0] ** 3 * p[1] + np.cos(p[2] * p[0])


def smooth_gradient(p):
    return np.array(
        [
            np.exp(p[0]) * np.sin(p[1]) + 3 * p[0] ** 2 * p[1] - p[2] * np.sin(p[2] * p[0]),
            np.exp(p[0]) * np.cos(p[1]) + p[0] ** 3,
            -p[0] * np.sin(p[2] * p[0]),
        ]
    )


def smooth_hessian(p):
    x, y, z = p
    s, c = np.sin(z * x), np.cos(z * x)
    return np.array(
        [
            [np.exp(x) * np.sin(y) + 6 * x * y - z * z * c, np.exp(x) * np.cos(y) + 3 * x * x, -s - x * z * c],
            [np.exp(x) * np.cos(y) + 3 * x * x, -np.exp(x) * np.sin(y), 0.0],
            [-s - x * z * c, 0.0, -x * x * c],
        ]
    )


def vector_f(p):
    return np.array([np.exp(p[0]) * p[1], np.sin(p[0] * p[1] * p[2]), p[2] ** 3 - p[0], np.log(2 + p[1] ** 2)])


def vector_jacobian(p):
    x, y, z = p
    c = np.cos(x * y * z)
    return np.array([[np.exp(x) * y, np.exp(x), 0], [y * z * c, x * z * c, x * y * c], [-1, 0, 3 * z * z],
                     [0, 2 * y / (2 + y * y), 0]])


def norm_rel(approx, exact):
    """Euclidean-norm relative error."""
    return float(np.linalg.norm(np.asarray(approx, float) - exact) / np.linalg.norm(exact))
