"""A slow, obviously-correct reference for fdcore's stencils (the test oracle).

Plain Python loops; every evaluation gets its own fresh copy of x. The stencils, the default
steps and the arithmetic follow the formulas documented in fdcore/evaluators/python_callable.pyx and
fdcore/numerics/steps.py, in particular: each difference is divided by the *realized* offsets
(e.g. ``(x_i + h_i) - (x_i - h_i)`` computed in x's dtype), not by the nominal ``2 h_i``.
Function values are taken as Python floats (float64) and all differences are formed in float64.
"""

import numpy as np

# Exponent of EPS in the default step, by (derivative order, central?).
_EXPONENT = {(1, True): 1 / 3, (1, False): 1 / 2, (2, True): 1 / 4, (2, False): 1 / 3}
# Stencil nodes (upper, lower) in units of h.
_NODES = {"central": (1, -1), "forward": (1, 0), "backward": (0, -1)}


def as_point(x):
    """x as the dtype fdcore computes in: float32 stays float32, anything else float64."""
    x = np.asarray(x)
    return np.array(x, dtype=np.float32 if x.dtype == np.float32 else np.float64)


def default_step(x, order, method):
    x = as_point(x)
    eps = float(np.finfo(x.dtype).eps)
    scale = eps ** _EXPONENT[order, method == "central"]
    return np.array([scale * max(1.0, abs(float(xi))) for xi in x]).astype(x.dtype)


def _steps(x, step, order, method):
    if step is None:
        return default_step(x, order, method)
    return np.broadcast_to(np.asarray(step, dtype=x.dtype), x.shape).copy()


def _moved(x, moves):
    """A fresh copy of x with x[i] replaced by x[i] + offset (in x's dtype) for each (i, offset)."""
    y = x.copy()
    for i, offset in moves:
        y[i] = x[i] + offset
    return y


def _value(f, y):
    return float(f(y))


def gradient(f, x, method="central", step=None):
    x = as_point(x)
    h = _steps(x, step, 1, method)
    upper, lower = _NODES[method]
    g = np.empty(x.shape[0])
    for i in range(x.shape[0]):
        hi = _moved(x, [(i, upper * h[i])])
        lo = _moved(x, [(i, lower * h[i])])
        span = float(hi[i]) - float(lo[i])  # the realized distance between the two nodes
        g[i] = (_value(f, hi) - _value(f, lo)) / span
    return g.astype(x.dtype)


def jacobian(f, x, method="central", step=None):
    x = as_point(x)
    h = _steps(x, step, 1, method)
    upper, lower = _NODES[method]
    columns = []
    for i in range(x.shape[0]):
        hi = _moved(x, [(i, upper * h[i])])
        lo = _moved(x, [(i, lower * h[i])])
        span = float(hi[i]) - float(lo[i])
        f_hi = np.asarray(f(hi), dtype=np.float64)
        f_lo = np.asarray(f(lo), dtype=np.float64)
        columns.append((f_hi - f_lo) / span)
    return np.column_stack(columns).astype(x.dtype)


def hessian(f, x, method="central", step=None):
    """Central: 3-point diagonal and the 7-point mixed stencil; one-sided: forward/backward."""
    x = as_point(x)
    n = x.shape[0]
    h = _steps(x, step, 2, method)
    f0 = _value(f, x)
    H = np.empty((n, n))
    if method == "central":
        p, q, f_p, f_q = [0.0] * n, [0.0] * n, [0.0] * n, [0.0] * n
        for i in range(n):
            up, down = _moved(x, [(i, h[i])]), _moved(x, [(i, -h[i])])
            p[i] = float(up[i]) - float(x[i])
            q[i] = float(x[i]) - float(down[i])
            f_p[i], f_q[i] = _value(f, up), _value(f, down)
            H[i, i] = 2.0 * ((f_p[i] - f0) / p[i] - (f0 - f_q[i]) / q[i]) / (p[i] + q[i])
        for i in range(n):
            for j in range(i + 1, n):
                a = _value(f, _moved(x, [(i, h[i]), (j, h[j])]))
                b = _value(f, _moved(x, [(i, -h[i]), (j, -h[j])]))
                a = (a - f_p[i]) - (f_p[j] - f0)
                b = (b - f_q[i]) - (f_q[j] - f0)
                H[i, j] = H[j, i] = (a + b) / (p[i] * p[j] + q[i] * q[j])
    else:
        s = h if method == "forward" else -h
        d, f_d = [0.0] * n, [0.0] * n
        for i in range(n):
            one, two = _moved(x, [(i, s[i])]), _moved(x, [(i, 2 * s[i])])
            d[i] = float(one[i]) - float(x[i])
            e = float(two[i]) - float(x[i])
            f_d[i], f2 = _value(f, one), _value(f, two)
            H[i, i] = 2.0 * ((f2 - f_d[i]) / (e - d[i]) - (f_d[i] - f0) / d[i]) / e
        for i in range(n):
            for j in range(i + 1, n):
                a = _value(f, _moved(x, [(i, s[i]), (j, s[j])]))
                a = (a - f_d[i]) - (f_d[j] - f0)
                H[i, j] = H[j, i] = a / (d[i] * d[j])
    return H.astype(x.dtype)
