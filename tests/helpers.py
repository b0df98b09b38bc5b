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
