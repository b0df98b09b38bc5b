"""Property tests (hypothesis): numerical facts that must hold for every point and function.

Issue 9, item 2. Each property is checked on points x drawn by hypothesis (entries in [-3, 3],
n = 1..12 unless a test needs more coordinates to engage the OpenMP threads) and on smooth test
functions with known, bounded derivatives. Every tolerance is derived from the step rule of
fdcore/numerics/steps.py and stated next to its assertion; the quantities used are

  EPS          machine epsilon of the computation's dtype (2.2e-16 in float64, 1.2e-7 in float32)
  h_i          the default step, EPS^(1/(q + d)) * max(1, |x_i|) for a d-th derivative of
               accuracy order q
  S            an upper bound of the magnitudes of the terms f is summed from, over the stencil's
               reach (the round-off of one evaluation of f is at most K_f * EPS * S, K_f ~ the
               number of operations each term goes through)
  sum|w|       the absolute sum of the stencil's weights (fdcore.stencil_weights)

so that the round-off of a difference quotient is at most sum|w| * K_f * EPS * S / h^d and its
truncation at most (a derivative bound) * h^q.

Properties:
  1. linearity of gradient, jacobian and jvp in f (at fixed steps the difference operator is
     linear, so only round-off separates D(a f + b g) from a D(f) + b D(g));
  2. exactness on polynomials of degree up to the stencil's order (gradient, derivative n = 1..4,
     Hessian, stencil_weights in exact rational arithmetic);
  3. Hessians are exactly symmetric on every path;
  4. float32 points give float32 results that agree with float64 to float32's step rule;
  5. compiled objectives: results do not depend on num_threads, and the Python-callable,
     vectorized and workers evaluators give the compiled kernels' results bit for bit when they
     see the same values of f (the NumPy twins of the built-in problems round differently, so
     against them the agreement is to the round-off of f).

Bugs these properties found are pinned by tests at the end of the file.

Hypothesis runs derandomized (fixed examples, no example database), so the file is deterministic.
"""

import ctypes
import warnings
from fractions import Fraction
from math import factorial

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.optimize import rosen

import fdcore

EPS = float(np.finfo(np.float64).eps)
EPS32 = float(np.finfo(np.float32).eps)


def examples(n):
    """Deterministic settings: n derandomized examples, no deadline, no example database (and no
    'explain' phase, which would import libcst to annotate failures)."""
    return settings(max_examples=n, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])


# ---------------------------------------------------------------------------------------------
# Strategies
# ---------------------------------------------------------------------------------------------

def reals(lo=-3.0, hi=3.0, width=64, subnormal=False):
    """Finite floats in [lo, hi]; coefficients are kept normal (well scaled: a subnormal
    coefficient would make every relative round-off bound an absolute underflow question)."""
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=width,
                     allow_subnormal=subnormal)


def vectors(n, lo=-3.0, hi=3.0, dtype=np.float64, subnormal=False):
    """Arrays of shape n (int or tuple) with finite entries in [lo, hi] (zeros and the bounds
    included: hypothesis favours them)."""
    return arrays(dtype, n, elements=reals(lo, hi, width=8 * np.dtype(dtype).itemsize, subnormal=subnormal))


def points(n, dtype=np.float64):
    """Points x: entries in [-3, 3], subnormals included."""
    return vectors(n, dtype=dtype, subnormal=True)


sizes = st.integers(1, 12)


# Underflow: beyond its relative error an operation may lose up to half the smallest subnormal
# (2^-1075 in float64, 2^-150 in float32) absolutely. Over any difference quotient here (hundreds of
# operations, steps >= 1e-8) that is far below these floors, which are far below any value compared.
UNDERFLOW64 = 1e-300
UNDERFLOW32 = 1e-30


def assert_close(actual, expected, tol, floor=UNDERFLOW64):
    """|actual - expected| <= tol + floor entrywise (tol broadcasts); the message names the worst
    entry. ``floor`` is the underflow allowance (UNDERFLOW32 for float32 computations)."""
    actual, expected = np.asarray(actual, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    err = np.abs(actual - expected)
    tol = np.broadcast_to(np.asarray(tol, dtype=np.float64) + floor, err.shape)
    bad = ~(err <= tol)
    if bad.any():
        k = np.unravel_index(np.argmax(np.where(bad, err - tol, -np.inf)), err.shape)
        raise AssertionError(f"{int(bad.sum())} of {err.size} entries exceed the bound; at {k}: "
                             f"{actual[k]!r} vs {expected[k]!r}, |error| {err[k]:.3e} > {tol[k]:.3e}")


# ---------------------------------------------------------------------------------------------
# Smooth test functions with known derivatives and bounds
# ---------------------------------------------------------------------------------------------

class Smooth:
    """f(x) = sum_i alpha_i sin(beta_i x_i + gamma_i) + x^T Q x / 2 + delta exp(omega . x / (2n)).

    alpha in [-3, 3], beta in [-2, 2], Q = (M + M^T) / 2 with M in [-1, 1], |omega|, |delta| <= 1.
    Accepts a point (n,) or a batch (n, k) (columns are points), and computes in x's dtype
    (float32 x in float32; complex x in complex: f is analytic).
    """

    def __init__(self, alpha, beta, gamma, M, omega, delta):
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.Q = 0.5 * (M + M.T)
        self.omega, self.delta = omega, float(delta)
        self.n = alpha.shape[0]

    def __call__(self, x):
        x = np.asarray(x)
        dt = np.result_type(x.dtype, np.float32)
        col = (slice(None),) + (None,) * (x.ndim - 1)
        a, b, g = (p.astype(dt)[col] for p in (self.alpha, self.beta, self.gamma))
        waves = np.sum(a * np.sin(b * x + g), axis=0)
        quadratic = 0.5 * np.sum(x * (self.Q.astype(dt) @ x), axis=0)
        bump = dt.type(self.delta) * np.exp(self.omega.astype(dt) @ x / dt.type(2 * self.n))
        return waves + quadratic + bump

    def _bump(self, x):
        return self.delta * np.exp(self.omega @ x / (2 * self.n))

    def grad(self, x):
        x = np.asarray(x, dtype=np.float64)
        return (self.alpha * self.beta * np.cos(self.beta * x + self.gamma) + self.Q @ x
                + self.omega / (2 * self.n) * self._bump(x))

    def hess(self, x):
        x = np.asarray(x, dtype=np.float64)
        return (np.diag(-self.alpha * self.beta**2 * np.sin(self.beta * x + self.gamma)) + self.Q
                + np.outer(self.omega, self.omega) / (2 * self.n) ** 2 * self._bump(x))

    def ops(self):
        """K_f: one evaluation is accurate to K_f EPS S: 2n for the sums of n and n^2 terms, 9 for
        the rounding of the sine's argument (|beta x + gamma| <= 9), a few for sin, exp, products."""
        return 2 * self.n + 16

    def scale(self, x, reach):
        """S: bound of |alpha_i sin|, |x_i Q_ij x_j| / 2 and |delta exp| within reach of x."""
        R = np.abs(np.asarray(x, dtype=np.float64)) + reach
        return (np.sum(np.abs(self.alpha)) + 0.5 * R @ np.abs(self.Q) @ R
                + abs(self.delta) * np.exp(np.abs(self.omega) @ R / (2 * self.n)))

    def _bump_bound(self, x, reach):
        R = np.abs(np.asarray(x, dtype=np.float64)) + reach
        return abs(self.delta) * np.exp(np.abs(self.omega) @ R / (2 * self.n))

    def d2(self, x, reach):
        """Bound of |d^2 f / dx_i^2| within reach, per coordinate."""
        return (np.abs(self.alpha) * self.beta**2 + np.abs(np.diag(self.Q))
                + (self.omega / (2 * self.n)) ** 2 * self._bump_bound(x, reach))

    def d3(self, x, reach):
        """Bound of |d^3 f / dx_i^3| within reach, per coordinate (the quadratic has none)."""
        return (np.abs(self.alpha * self.beta**3)
                + np.abs(self.omega / (2 * self.n)) ** 3 * self._bump_bound(x, reach))

    def d4(self, x, reach):
        """Bound of every fourth partial derivative within reach (mixed ones come from exp only)."""
        return (np.max(np.abs(self.alpha) * self.beta**4)
                + np.max(np.abs(self.omega) / (2 * self.n)) ** 4 * self._bump_bound(x, reach))


@st.composite
def smooth_functions(draw, n, dtype=np.float64):
    """A Smooth f whose parameters are representable in dtype (so that f is the same function
    whether it computes in float32 or float64)."""
    def v(shape, lo=-3.0, hi=3.0):
        return draw(vectors(shape, lo, hi, dtype)).astype(np.float64)

    return Smooth(v(n), v(n, -2, 2), v(n), v((n, n), -1, 1), v(n, -1, 1), v((), -1, 1))


class SmoothMap:
    """F(x) = A sin(beta x + gamma) + (B x) (u . x) / n: R^n -> R^m, on points or (n, k) batches."""

    def __init__(self, A, beta, gamma, B, u):
        self.A, self.beta, self.gamma, self.B, self.u = A, beta, gamma, B, u
        self.n = beta.shape[0]

    def __call__(self, x):
        x = np.asarray(x)
        dt = np.result_type(x.dtype, np.float32)
        col = (slice(None),) + (None,) * (x.ndim - 1)
        waves = self.A.astype(dt) @ np.sin(self.beta.astype(dt)[col] * x + self.gamma.astype(dt)[col])
        return waves + (self.B.astype(dt) @ x) * (self.u.astype(dt) @ x) / dt.type(self.n)

    def jac(self, x):
        x = np.asarray(x, dtype=np.float64)
        return (self.A * (self.beta * np.cos(self.beta * x + self.gamma))[None, :]
                + self.B * (self.u @ x) / self.n + np.outer(self.B @ x, self.u) / self.n)

    def ops(self):
        """K_f, as for Smooth: sums of n terms, the sine's argument (|beta x + gamma| <= 9)."""
        return 2 * self.n + 16

    def scale(self, x, reach):
        """S per output k: bound of the terms of F_k within reach of x."""
        R = np.abs(np.asarray(x, dtype=np.float64)) + reach
        return np.sum(np.abs(self.A), axis=1) + (np.abs(self.B) @ R) * (np.abs(self.u) @ R) / self.n

    def d3(self):
        """Bound of |d^3 F_k / dx_i^3|, (m, n) (the quadratic part has none)."""
        return np.abs(self.A) * np.abs(self.beta) ** 3


@st.composite
def smooth_maps(draw, n, dtype=np.float64):
    def v(shape, lo=-3.0, hi=3.0):
        return draw(vectors(shape, lo, hi, dtype)).astype(np.float64)

    m = draw(st.integers(1, 5))
    return SmoothMap(v((m, n)), v(n, -2, 2), v(n), v((m, n), -1, 1), v(n, -1, 1))


# ---------------------------------------------------------------------------------------------
# Stencils and steps, from the documented rules (not from fdcore's private helpers)
# ---------------------------------------------------------------------------------------------

def stencil_nodes(d, order, method):
    """Nodes of the standard stencil: central -m..m with 2m + 1 = 2 floor((d + 1)/2) - 1 + order,
    forward 0..d + order - 1, backward the negation."""
    if method == "central":
        m = (2 * ((d + 1) // 2) - 1 + order) // 2
        return list(range(-m, m + 1))
    nodes = list(range(d + order))
    return nodes if method == "forward" else [-c for c in nodes]


def weight_sum(d, order, method):
    return float(np.sum(np.abs(fdcore.stencil_weights(d, stencil_nodes(d, order, method)))))


def reach(d, order, method):
    return max(abs(c) for c in stencil_nodes(d, order, method))


def default_step(x, d, order, eps=EPS):
    """EPS^(1/(order + d)) * max(1, |x_i|) (fdcore/numerics/steps.py), as float64."""
    return eps ** (1.0 / (order + d)) * np.maximum(1.0, np.abs(np.asarray(x, dtype=np.float64)))


MODES = {  # option sets of the first-derivative entry points: (options, method, accuracy order)
    "central": ({}, "central", 2),
    "forward": ({"method": "forward"}, "forward", 1),
    "backward": ({"method": "backward"}, "backward", 1),
    "central-4": ({"order": 4}, "central", 4),
    "central-8": ({"order": 8}, "central", 8),
    "forward-3": ({"method": "forward", "order": 3}, "forward", 3),
    "backward-5": ({"method": "backward", "order": 5}, "backward", 5),
}


# ---------------------------------------------------------------------------------------------
# 1. Linearity in f
# ---------------------------------------------------------------------------------------------
#
# The steps depend on x only, so gradient(a f + b g) and a gradient(f) + b gradient(g) apply the
# same linear difference operator sum_j w_j F(x + c_j h e_i) / h: their truncation errors are
# identical and cancel exactly. What separates them is round-off: the combined function rounds
# a f + b g (at most EPS (|a| S_f + |b| S_g) per value), the difference spreads that over sum|w| / h
# (plus the summation of the K terms of the stencil), and the results round once more.

def linearity_tolerance(sum_w, K, h, a, b, S_f, S_g, Df, Dg):
    return 2.0 * ((K + 2) * sum_w * EPS * (abs(a) * S_f + abs(b) * S_g) / h
                  + 4.0 * EPS * (abs(a) * np.abs(Df) + abs(b) * np.abs(Dg)))


@pytest.mark.parametrize("mode", list(MODES))
@examples(20)
@given(data=st.data())
def test_gradient_is_linear(mode, data):
    options, method, order = MODES[mode]
    n = data.draw(sizes)
    x = data.draw(points(n))
    f, g = data.draw(smooth_functions(n)), data.draw(smooth_functions(n))
    a, b = data.draw(reals()), data.draw(reals())
    combined = fdcore.gradient(lambda p: a * f(p) + b * g(p), x, **options)
    Df, Dg = fdcore.gradient(f, x, **options), fdcore.gradient(g, x, **options)
    h = default_step(x, 1, order)
    r = reach(1, order, method) * h
    K = len(stencil_nodes(1, order, method))
    tol = linearity_tolerance(weight_sum(1, order, method), K, h, a, b, f.scale(x, r), g.scale(x, r), Df, Dg)
    assert_close(combined, a * Df + b * Dg, tol)


@pytest.mark.parametrize("mode", ["central", "forward", "central-4", "backward-5"])
@examples(20)
@given(data=st.data())
def test_jacobian_is_linear(mode, data):
    options, method, order = MODES[mode]
    n = data.draw(sizes)
    x = data.draw(points(n))
    F = data.draw(smooth_maps(n))
    G = SmoothMap(*(data.draw(vectors(p.shape, -1, 1)) for p in (F.A, F.beta, F.gamma, F.B, F.u)))
    a, b = data.draw(reals()), data.draw(reals())
    combined = fdcore.jacobian(lambda p: a * F(p) + b * G(p), x, **options)
    JF, JG = fdcore.jacobian(F, x, **options), fdcore.jacobian(G, x, **options)
    h = default_step(x, 1, order)[None, :]
    r = reach(1, order, method) * default_step(x, 1, order)
    K = len(stencil_nodes(1, order, method))
    S_F, S_G = F.scale(x, r)[:, None], G.scale(x, r)[:, None]  # per output row
    tol = linearity_tolerance(weight_sum(1, order, method), K, h, a, b, S_F, S_G, JF, JG)
    assert combined.shape == JF.shape == (F.A.shape[0], n)
    assert_close(combined, a * JF + b * JG, tol)


@examples(40)
@given(data=st.data())
def test_jvp_is_linear_in_f(data):
    n = data.draw(sizes)
    x = data.draw(points(n))
    # Normal directions: a subnormal v takes the rescaled path pinned by
    # test_jvp_along_a_subnormal_direction, whose rounding the tolerance below does not model.
    v = data.draw(arrays(np.float64, n, elements=reals(subnormal=False)))
    f, g = data.draw(smooth_functions(n)), data.draw(smooth_functions(n))
    F = data.draw(smooth_maps(n))
    a, b = data.draw(reals()), data.draw(reals())
    vmax = np.max(np.abs(v))
    # jvp's step: t = EPS^(1/3) max(1, max|x|) / max|v|; both points are x +- t v, the quotient
    # is over 2t, so the round-off of a f + b g contributes at most EPS (|a| S_f + |b| S_g) / t.
    t = EPS ** (1 / 3) * max(1.0, np.max(np.abs(x))) / vmax if vmax > 0 else 1.0
    r = t * np.abs(v)
    combined = fdcore.jvp(lambda p: a * f(p) + b * g(p), x, v)
    jf, jg = fdcore.jvp(f, x, v), fdcore.jvp(g, x, v)
    assert isinstance(combined, float)
    assert_close(combined, a * jf + b * jg, linearity_tolerance(1.0, 2, t, a, b, f.scale(x, r), g.scale(x, r), jf, jg))
    # Vector f: F + a F (so that the same scale bounds both terms).
    vec = fdcore.jvp(lambda p: F(p) + a * F(p), x, v)
    jF = fdcore.jvp(F, x, v)
    S = F.scale(x, r)
    assert_close(vec, (1 + a) * jF, linearity_tolerance(1.0, 2, t, 1.0, a, S, S, jF, jF))
    if vmax == 0:
        assert combined == 0.0 and np.all(vec == 0.0)  # the derivative along the zero vector


# Accuracy at the default step: |error| <= truncation + round-off, the two terms the step rule
# balances. Central: (f(x+h) - f(x-h)) / 2h = f' + f''' h^2 / 6 (+ f'' (p - q) / 2 from the
# realized offsets p, q, which differ by at most EPS |x_i|); one-sided: f'' h / 2. Round-off: two
# values, each within K_f EPS S, over the span (2h or h).
@pytest.mark.parametrize("method", ["central", "forward", "backward"])
@examples(40)
@given(data=st.data())
def test_gradient_error_within_step_rule_bound(method, data):
    n = data.draw(sizes)
    x = data.draw(points(n))
    f = data.draw(smooth_functions(n))
    g = fdcore.gradient(f, x, method=method)
    order = 2 if method == "central" else 1
    h = default_step(x, 1, order)
    S = f.scale(x, h)
    if method == "central":
        truncation = f.d3(x, h) * h**2 / 6 + f.d2(x, h) * EPS * np.abs(x)
        roundoff = f.ops() * EPS * S / h
    else:
        truncation = f.d2(x, h) * h / 2
        roundoff = 2 * f.ops() * EPS * S / h
    exact = f.grad(x)
    assert_close(g, exact, 2 * (truncation + roundoff) + 4 * EPS * np.abs(exact))


# ---------------------------------------------------------------------------------------------
# 2. Exactness on polynomials
# ---------------------------------------------------------------------------------------------
#
# A stencil with N nodes is exact on polynomials of degree < N: central order p has p + 1 nodes
# for the first derivative, one-sided order q has q + 1. On such a polynomial the estimate differs
# from the derivative only by round-off: the values (each within K_f EPS S, S the sum of the
# absolute terms of the polynomial at radius R = |x_i| + max(1, reach)) and the realized offsets
# (each within EPS R / 2 of c_j h, which perturbs the weighted sums of the higher powers by at
# most deg R EPS S): |error| <= sum|w| (K_f + deg R) EPS S / h^d. The bound does not grow with the
# step, while the truncation error of a polynomial one degree too high would (~ h^order); the
# tests use the default steps and also large explicit ones.

class Poly:
    """f(x) = sum_i P_i(x_i) + sum_t c_t x_{i_t}^{a_t} x_{j_t}^{b_t}: degree <= deg in each x_i."""

    def __init__(self, C, cross):
        self.C = C  # (n, deg + 1), ascending powers
        self.cross = cross  # [(i, j, a, b, c)], i != j
        self.n, self.deg = C.shape[0], C.shape[1] - 1

    def __call__(self, x):
        acc = self.C[:, -1].copy()
        for k in range(self.deg - 1, -1, -1):
            acc = acc * x + self.C[:, k]
        s = np.sum(acc)
        for i, j, a, b, c in self.cross:
            s += c * x[i] ** a * x[j] ** b
        return s

    def grad(self, x):
        dC = self.C[:, 1:] * np.arange(1, self.deg + 1)
        g = np.zeros(self.n)
        for k in range(dC.shape[1] - 1, -1, -1):
            g = g * x + dC[:, k]
        for i, j, a, b, c in self.cross:
            g[i] += c * a * x[i] ** (a - 1) * x[j] ** b
            g[j] += c * b * x[i] ** a * x[j] ** (b - 1)
        return g

    def hess(self, x):
        d2C = self.C[:, 2:] * (np.arange(2, self.deg + 1) * np.arange(1, self.deg))
        diag = np.zeros(self.n)
        for k in range(d2C.shape[1] - 1, -1, -1):
            diag = diag * x + d2C[:, k]
        H = np.diag(diag)
        for i, j, a, b, c in self.cross:
            H[i, i] += c * a * (a - 1) * x[i] ** max(a - 2, 0) * x[j] ** b if a >= 2 else 0.0
            H[j, j] += c * b * (b - 1) * x[i] ** a * x[j] ** max(b - 2, 0) if b >= 2 else 0.0
            mixed = c * a * b * x[i] ** (a - 1) * x[j] ** (b - 1)
            H[i, j] += mixed
            H[j, i] += mixed
        return H

    def ops(self):
        return self.deg + self.n + 4 + sum(a + b for _, _, a, b, _ in self.cross)

    def scale(self, R):
        powers = R[:, None] ** np.arange(self.deg + 1)
        return float(np.sum(np.abs(self.C) * powers)
                     + sum(abs(c) * R[i] ** a * R[j] ** b for i, j, a, b, c in self.cross))


@st.composite
def polynomials(draw, n, deg, max_total=None):
    """Coefficients in [-3, 3]; up to 3 cross terms x_i^a x_j^b with 1 <= a, b <= deg (and
    a + b <= max_total)."""
    C = draw(vectors((n, deg + 1)))
    cross = []
    if n >= 2 and deg >= 1:
        for _ in range(draw(st.integers(0, 3))):
            i, j = draw(st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True))
            a = draw(st.integers(1, deg))
            b_max = deg if max_total is None else min(deg, max_total - a)
            if b_max < 1:
                continue
            cross.append((i, j, a, draw(st.integers(1, b_max)), draw(reals())))
    return Poly(C, cross)


@pytest.mark.parametrize("method,order", [("central", 2), ("central", 4), ("central", 6), ("central", 8),
                                          ("forward", 1), ("forward", 2), ("forward", 5), ("forward", 8),
                                          ("backward", 1), ("backward", 3), ("backward", 8)])
@examples(20)
@given(data=st.data())
def test_gradient_exact_on_polynomials(method, order, data):
    n = data.draw(sizes)
    x = data.draw(points(n))
    f = data.draw(polynomials(n, data.draw(st.integers(0, order))))
    explicit = data.draw(st.one_of(st.none(), reals(2.0**-10, 0.25)))
    g = fdcore.gradient(f, x, method=method, order=order, step=explicit)
    h = default_step(x, 1, order) if explicit is None else np.full(n, explicit)
    R = np.abs(x) + np.maximum(1.0, reach(1, order, method) * h)
    exact = f.grad(x)
    tol = 2 * weight_sum(1, order, method) * (f.ops() + f.deg * R) * EPS * f.scale(R) / h + 4 * EPS * np.abs(exact)
    assert_close(g, exact, tol)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
@pytest.mark.parametrize("method,order", [("central", 2), ("central", 4), ("central", 8),
                                          ("forward", 1), ("forward", 3), ("backward", 2), ("backward", 6)])
@examples(10)
@given(data=st.data())
def test_derivative_exact_on_polynomials(k, method, order, data):
    """derivative(f, x, n=k) on a polynomial of degree k + order - 1 (the stencil's k + order
    nodes; central stencils of even k have one node fewer but are exact one degree higher by
    symmetry): exact up to round-off over h^k."""
    deg = k + order - 1
    c = data.draw(vectors(deg + 1))
    x = data.draw(points(data.draw(st.integers(1, 6))))
    f = np.polynomial.Polynomial(c)
    explicit = data.draw(st.one_of(st.none(), reals(2.0**-6, 0.25)))
    d = fdcore.derivative(lambda t: f(t), x, n=k, method=method, order=order, step=explicit)
    h = default_step(x, k, order) if explicit is None else np.full(x.shape, explicit)
    R = np.abs(x) + np.maximum(1.0, reach(k, order, method) * h)
    S = np.abs(c) @ (R[None, :] ** np.arange(deg + 1)[:, None])
    exact = f.deriv(k)(x)
    tol = 2 * weight_sum(k, order, method) * (2 * deg + 4 + deg * R) * EPS * S / h**k + 4 * EPS * np.abs(exact)
    assert d.shape == x.shape
    assert_close(d, exact, tol)


# Hessian stencils: the central one (n^2 + n + 1 points) is exact on polynomials of total degree
# <= 3 (the odd Taylor terms of A and B cancel), the one-sided one on degree <= 2, the order-4
# central one (two Richardson levels, only even powers of h in the error) on degree <= 5. Round-off:
# 8 values over h_i h_j (off-diagonal (A + B) / 2h^2, diagonal 2 (2 values / h) / 2h), and the
# extrapolation's (4 R(h/2) - R(h)) / 3 multiplies the finer level's (h/2)^2 by 4/3 * 4.
@pytest.mark.parametrize("method,order,total", [("central", 2, 3), ("forward", 1, 2), ("backward", 1, 2),
                                                ("central", 4, 5)])
@examples(25)
@given(data=st.data())
def test_hessian_exact_on_low_degree_polynomials(method, order, total, data):
    n = data.draw(sizes)
    x = data.draw(points(n))
    f = data.draw(polynomials(n, total, max_total=total))
    explicit = data.draw(st.one_of(st.none(), reals(2.0**-8, 0.25)))
    H = fdcore.hessian(f, x, method=method, order=order, step=explicit)
    base = 2 if method == "central" else 1
    levels = order // base
    # Coarsest step: EPS^(1/(q + 2)) with q the final order (2 per central level), times 2^(levels - 1).
    h = default_step(x, 2, order) * 2.0 ** (levels - 1) if explicit is None else np.full(n, explicit)
    R = np.abs(x) + np.maximum(1.0, 2 * h)
    amplification = 1.0 if levels == 1 else 4.0 / 3.0 * 4.0
    exact = f.hess(x)
    tol = (16 * amplification * (f.ops() + f.deg * np.max(R)) * EPS * f.scale(R) / np.outer(h, h)
           + 4 * EPS * np.abs(exact))
    assert_close(H, exact, tol)


@examples(150)
@given(d=st.integers(0, 4), data=st.data())
def test_stencil_weights_reproduce_monomials(d, data):
    """sum_k w_k c_k^j = d! [j == d] for every j < len(offsets), in exact rational arithmetic.

    fdcore rounds each exact weight once to the nearest double, so |w_k - w*_k| <= u |w_k| / (1 - u)
    with u = EPS / 2, and the identity can be off by at most u / (1 - u) sum_k |w_k| |c_k|^j.
    """
    offsets = data.draw(st.lists(st.integers(-64, 64).map(lambda k: k / 16), min_size=d + 1, max_size=9,
                                 unique=True))
    w = fdcore.stencil_weights(d, offsets)
    assert w.shape == (len(offsets),) and not w.flags.writeable
    u = Fraction(1, 2**53)
    W, C = [Fraction(float(v)) for v in w], [Fraction(c) for c in offsets]
    for j in range(len(offsets)):
        moment = sum(wk * ck**j for wk, ck in zip(W, C))
        target = factorial(d) if j == d else 0
        bound = u / (1 - u) * sum(abs(wk) * abs(ck) ** j for wk, ck in zip(W, C))
        assert abs(moment - target) <= bound, (j, float(moment), target)


# ---------------------------------------------------------------------------------------------
# 3. Hessians are exactly symmetric on every path
# ---------------------------------------------------------------------------------------------

def assert_symmetric(H):
    H = H.value if isinstance(H, fdcore.FDResult) else H
    if hasattr(H, "toarray"):
        H = H.toarray()
    assert H.shape[0] == H.shape[1]
    assert np.array_equal(H, H.T)  # bit for bit (NaN would fail: none expected here)


HESSIAN_PATHS = {
    "central": {},
    "forward": {"method": "forward"},
    "backward": {"method": "backward"},
    "central-4": {"order": 4},
    "forward-3": {"method": "forward", "order": 3},
    "richardson": {"richardson": True},
    "richardson-3-full": {"richardson": 3, "full_output": True},
    "adaptive": {"step": "adaptive"},
    "complex": {"method": "complex"},
    "vectorized": {"vectorized": True},
    "workers": {"workers": map},
    "sparsity": {"sparsity": "tridiagonal"},
    "bounds": {"bounds": "tight"},
}


@pytest.mark.parametrize("path", list(HESSIAN_PATHS))
@examples(12)
@given(data=st.data())
def test_hessian_is_exactly_symmetric(path, data):
    options = dict(HESSIAN_PATHS[path])
    n = data.draw(sizes)
    x = data.draw(points(n))
    f = data.draw(smooth_functions(n))
    if options.get("sparsity") == "tridiagonal":
        options["sparsity"] = np.abs(np.subtract.outer(np.arange(n), np.arange(n))) <= 1
    if options.get("bounds") == "tight":  # lower bounds right under x: one-sided where needed
        options["bounds"] = (x - data.draw(reals(0.0, 1e-3)), None)
    assert_symmetric(fdcore.hessian(f, x, **options))


@pytest.mark.parametrize("options", [{}, {"method": "forward"}, {"order": 4}, {"richardson": True},
                                     {"sparsity": True}], ids=str)
@examples(15)
@given(data=st.data())
def test_hessian_from_gradient_is_exactly_symmetric(options, data):
    """hessian(f, x, grad=g) symmetrises the Jacobian of g as (J + J^T) / 2: exactly symmetric
    (floating-point addition commutes) and bit-identical to that formula."""
    options = dict(options)
    n = data.draw(sizes)
    x = data.draw(points(n))
    f = data.draw(smooth_functions(n))
    if options.pop("sparsity", False):
        options["sparsity"] = np.ones((n, n), dtype=bool)
    H = fdcore.hessian(None, x, grad=f.grad, **options)
    assert_symmetric(H)
    if "sparsity" not in options:
        J = fdcore.jacobian(f.grad, x, **options)
        assert np.array_equal(H, 0.5 * (J + J.T))


@pytest.mark.parametrize("name", ["rosenbrock", "extended_powell", "dense_quadratic"])
@pytest.mark.parametrize("options", [{}, {"method": "backward"}, {"richardson": True}], ids=str)
@examples(8)
@given(n4=st.integers(1, 6), threads=st.integers(1, 3), data=st.data())
def test_compiled_hessian_is_exactly_symmetric(name, options, n4, threads, data):
    n = 4 * n4  # from n = 8 on (SERIAL_BELOW = 32 pairs) the threads are used
    x = data.draw(points(n))
    assert_symmetric(fdcore.hessian(fdcore.get_problem(name, n).compiled, x, num_threads=threads, **options))


# ---------------------------------------------------------------------------------------------
# 4. float32 against float64
# ---------------------------------------------------------------------------------------------
#
# A float32 point is computed in float32 (f sees float32 points, steps use EPS32) and the result
# is float32. At the same point (x32 is exact in float64) the float64 result is accurate to
# ~1e-10, so |r32 - r64| is float32's own error: for the central first difference at
# h = EPS32^(1/3) max(1, |x|), M3 h^2 / 6 + K_f EPS32 S / h, i.e. ~ EPS32^(2/3) (M3 + K_f S) relative;
# for the central second difference at h = EPS32^(1/4) max(1, |x|), M4 h^2 (the mixed stencil's
# fourth-order term is h^2 (4 f_iiij + 6 f_iijj + 4 f_ijjj) / 24) + 4 K_f EPS32 S / h^2.

def float32_points(n):
    return points(n, dtype=np.float32)


@examples(40)
@given(data=st.data())
def test_float32_gradient_and_jacobian(data):
    n = data.draw(sizes)
    x32 = data.draw(float32_points(n))
    x64 = x32.astype(np.float64)
    f, F = data.draw(smooth_functions(n, np.float32)), data.draw(smooth_maps(n, np.float32))
    h = default_step(x64, 1, 2, EPS32)
    g32, g64 = fdcore.gradient(f, x32), fdcore.gradient(f, x64)
    assert g32.dtype == np.float32 and g64.dtype == np.float64
    tol = 2 * (f.d3(x64, h) * h**2 / 6 + f.ops() * EPS32 * f.scale(x64, h) / h) + 4 * EPS32 * np.abs(g64)
    assert_close(g32, g64, tol, UNDERFLOW32)
    J32, J64 = fdcore.jacobian(F, x32), fdcore.jacobian(F, x64)
    assert J32.dtype == np.float32
    tol = (2 * (F.d3() * h**2 / 6 + F.ops() * EPS32 * F.scale(x64, h)[:, None] / h)
           + 4 * EPS32 * np.abs(J64))
    assert_close(J32, J64, tol, UNDERFLOW32)
    # jvp: float32 arrays for vector f, a Python float for scalar f. Step t = EPS32^(1/3)
    # max(1, max|x|) / max|v| along v = (1, ..., 1): truncation t^2 / 6 sum_i |d^3 F_k / dx_i^3|
    # (the quadratic part has no third derivative), round-off K_f EPS32 S / t, and -- jvp divides
    # by 2t, not by the realized displacement -- the rounding of x +- t v to float32 (EPS32 R_i / 2
    # per coordinate) moves each value by up to sum_i |J_ki| EPS32 R_i / 2.
    v = np.ones(n, dtype=np.float32)
    t = EPS32 ** (1 / 3) * max(1.0, float(np.max(np.abs(x64))))
    jv32, jv64 = fdcore.jvp(F, x32, v), fdcore.jvp(F, x64, v.astype(np.float64))
    assert jv32.dtype == np.float32
    R = np.abs(x64) + t
    tol = (2 * (np.sum(F.d3(), axis=1) * t**2 / 6 + F.ops() * EPS32 * F.scale(x64, t) / t
                + np.abs(F.jac(x64)) @ R * EPS32 / (2 * t)) + 4 * EPS32 * np.abs(jv64))
    assert_close(jv32, jv64, tol, UNDERFLOW32)
    assert isinstance(fdcore.jvp(f, x32, v), float)


@examples(30)
@given(data=st.data())
def test_float32_hessian(data):
    n = data.draw(sizes)
    x32 = data.draw(float32_points(n))
    x64 = x32.astype(np.float64)
    f = data.draw(smooth_functions(n, np.float32))
    H32, H64 = fdcore.hessian(f, x32), fdcore.hessian(f, x64)
    assert H32.dtype == np.float32 and H64.dtype == np.float64
    assert np.array_equal(H32, H32.T)
    h = default_step(x64, 2, 2, EPS32)
    tol = 2 * (f.d4(x64, h) * np.outer(h, h) + 4 * f.ops() * EPS32 * f.scale(x64, h) / np.outer(h, h))
    assert_close(H32, H64, tol + 4 * EPS32 * np.abs(H64), UNDERFLOW32)


@pytest.mark.parametrize("k", [1, 2])
@examples(30)
@given(data=st.data())
def test_float32_derivative(k, data):
    """derivative of sin(b x) + c exp(x / 3) (float32 in, float32 out) against float64."""
    x32 = data.draw(points(data.draw(st.integers(1, 6)), dtype=np.float32))
    b, c = data.draw(reals(-2, 2, width=32)), data.draw(reals(width=32))  # exact in float32
    f = lambda t: np.sin(t.dtype.type(b) * t) + t.dtype.type(c) * np.exp(t / t.dtype.type(3))  # noqa: E731
    d32, d64 = fdcore.derivative(f, x32, n=k), fdcore.derivative(f, x32.astype(np.float64), n=k)
    assert d32.dtype == np.float32 and d64.dtype == np.float64
    x64 = x32.astype(np.float64)
    h = default_step(x64, k, 2, EPS32)
    # Central stencil: truncation f^(k+2) h^2 / 12 (k = 2) or / 6 (k = 1), with |f^(j)| <=
    # |b|^j + E / 3^j, E = |c| exp((|x| + h) / 3); round-off sum|w| 6 EPS32 (1 + E) / h^k (the
    # sine's argument |b x| <= 6.2 is rounded, then sin, exp, the product and the sum).
    E = abs(c) * np.exp((np.abs(x64) + h) / 3)
    truncation = (abs(b) ** (k + 2) + E / 3 ** (k + 2)) * h**2 / 6
    roundoff = weight_sum(k, 2, "central") * 6 * EPS32 * (1 + E) / h**k
    assert_close(d32, d64, 2 * (truncation + roundoff) + 4 * EPS32 * np.abs(d64), UNDERFLOW32)


# ---------------------------------------------------------------------------------------------
# 5. Compiled objectives: thread count and evaluator kind
# ---------------------------------------------------------------------------------------------
#
# What the kernels guarantee (fdcore/evaluators/compiled.pyx, python_callable.pyx, batched.py): every output entry
# is computed by the same arithmetic in the same order on every path -- the perturbed points, the
# realized offsets, the quotients -- so given the same values of f the results are bit-identical
# across thread counts and across the compiled, Python-callable, vectorized and workers
# evaluators. The tests feed the Python evaluators the compiled function itself (through ctypes),
# so the values of f agree bit for bit and any difference would be the kernels'.
# (These properties found that the batched central difference divided by ((x+h) - x) - ((x-h) - x)
# instead of (x+h) - (x-h), one bit apart for some 0 < |x_i| < h_i; fixed, and pinned by
# test_batched_central_difference_for_a_tiny_coordinate.)
#
# Against the problems' NumPy twins (p.f) and scipy.optimize.rosen, whose sums round differently,
# the agreement is to the round-off of f (bounded per problem below); broyden_tridiagonal's twin
# performs the C loop's operations in the same order and agrees bit for bit.

DOUBLE_P = ctypes.POINTER(ctypes.c_double)
SCALAR_PROTO = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, DOUBLE_P, ctypes.c_void_p)
VECTOR_PROTO = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, DOUBLE_P, ctypes.c_int, DOUBLE_P, ctypes.c_void_p)


def python_twin(callback):
    """(f, f_batch): the compiled callback itself as a Python callable of a point, and of an
    (n, k) batch column by column -- the values are the C function's, bit for bit."""
    data = callback.user_data_address or None
    if callback.kind == "scalar":
        c_function = SCALAR_PROTO(callback.address)

        def f(x):
            x = np.ascontiguousarray(x, dtype=np.float64)
            return c_function(x.shape[0], x.ctypes.data_as(DOUBLE_P), data)
    else:
        c_function, m = VECTOR_PROTO(callback.address), callback.m

        def f(x):
            x = np.ascontiguousarray(x, dtype=np.float64)
            out = np.empty(m)
            assert c_function(x.shape[0], x.ctypes.data_as(DOUBLE_P), m, out.ctypes.data_as(DOUBLE_P), data) == 0
            return out

    def f_batch(X):
        return np.stack([f(X[:, k]) for k in range(X.shape[1])], axis=-1)

    return f, f_batch


def same(a, b):
    """Bit-identical results (arrays, floats or FDResults: value, error, step, nfev)."""
    if isinstance(a, fdcore.FDResult):
        return (np.array_equal(a.value, b.value) and np.array_equal(a.error, b.error)
                and np.array_equal(a.step, b.step) and a.nfev == b.nfev)
    return np.asarray(a).dtype == np.asarray(b).dtype and np.array_equal(a, b)


FIRST_MODES = {  # one per kernel family: two-point central / one-sided, axis plans, levels, adaptive
    "central": {},
    "forward": {"method": "forward"},
    "central-8": {"order": 8},
    "richardson-full": {"richardson": True, "full_output": True},  # value, error, step and nfev
    "adaptive": {"step": "adaptive"},
}
SECOND_MODES = {
    "central": {},
    "backward": {"method": "backward"},
    "richardson-full": {"richardson": True, "full_output": True},
    "adaptive": {"step": "adaptive"},
}
SCALAR_PROBLEMS = ["rosenbrock", "extended_powell", "dense_quadratic"]
# 4..48 coordinates: multiples of 4 (extended_powell), and from 32 on the gradient kernels run in
# parallel (SERIAL_BELOW = 32 coordinates, or pairs for Hessians, i.e. n >= 8).
problem_sizes = st.integers(1, 12).map(lambda k: 4 * k)
SIZES = {"serial": st.integers(1, 7).map(lambda k: 4 * k), "threaded": st.integers(8, 12).map(lambda k: 4 * k)}


def compare_evaluators(entry, name, options, n, x, batched_x):
    p = fdcore.get_problem(name, n)
    f, f_batch = python_twin(p.compiled)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing here may produce NaN
        by_threads = [entry(p.compiled, x, num_threads=t, **options) for t in (1, 2, 3)]
        assert same(by_threads[0], by_threads[1]) and same(by_threads[0], by_threads[2])
        assert same(entry(f, x, **options), by_threads[0])  # the Python-callable kernels
        if batched_x is not None:
            reference = entry(p.compiled, batched_x, num_threads=2, **options)
            assert same(entry(f_batch, batched_x, vectorized=True, **options), reference)
            assert same(entry(f, batched_x, workers=map, **options), reference)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("name", SCALAR_PROBLEMS)
@pytest.mark.parametrize("mode", list(FIRST_MODES))
@examples(4)
@given(data=st.data())
def test_compiled_gradient_invariant_under_threads_and_evaluator(name, mode, size, data):
    options = FIRST_MODES[mode]
    n = data.draw(SIZES[size])
    compare_evaluators(fdcore.gradient, name, options, n, data.draw(points(n)), data.draw(points(n)))


@pytest.mark.parametrize("name", SCALAR_PROBLEMS)
@pytest.mark.parametrize("mode", list(SECOND_MODES))
@examples(3)
@given(n4=st.integers(2, 4), data=st.data())
def test_compiled_hessian_invariant_under_threads_and_evaluator(name, mode, n4, data):
    n = 4 * n4  # 8..16: at least SERIAL_BELOW = 32 pairs, so the pairs are spread over the threads
    x = data.draw(points(n))
    compare_evaluators(fdcore.hessian, name, SECOND_MODES[mode], n, x, x)


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("mode", list(FIRST_MODES))
@examples(4)
@given(data=st.data())
def test_compiled_jacobian_invariant_under_threads_and_evaluator(mode, size, data):
    options = FIRST_MODES[mode]
    n = data.draw(SIZES[size])
    compare_evaluators(fdcore.jacobian, "broyden_tridiagonal", options, n, data.draw(points(n)),
                       data.draw(points(n)))


@pytest.mark.parametrize("name", SCALAR_PROBLEMS + ["broyden_tridiagonal"])
@examples(10)
@given(n=problem_sizes, data=st.data())
def test_compiled_jvp_equals_python_path(name, n, data):
    x = data.draw(points(n))
    v = data.draw(arrays(np.float64, n, elements=reals(subnormal=False)))
    p = fdcore.get_problem(name, n)
    f, f_batch = python_twin(p.compiled)
    reference = fdcore.jvp(p.compiled, x, v, num_threads=1)
    for result in [fdcore.jvp(p.compiled, x, v, num_threads=3), fdcore.jvp(f, x, v),
                   fdcore.jvp(f_batch, x, v, vectorized=True), fdcore.jvp(f, x, v, workers=map)]:
        assert same(result, reference)


def term_scale(name, p, R):
    """S for the problems' NumPy twins: the sum of the absolute terms of f within radius R."""
    if name == "rosenbrock":
        return float(np.sum(100.0 * (R[1:] + R[:-1] ** 2) ** 2 + (1.0 + R[:-1]) ** 2))
    if name == "extended_powell":
        a, b, c, d = R[0::4], R[1::4], R[2::4], R[3::4]
        return float(np.sum((a + 10 * b) ** 2 + 5 * (c + d) ** 2 + (b + 2 * c) ** 4 + 10 * (a + d) ** 4))
    A, b = p.hessian(None), p.derivative(np.zeros(p.n))
    return float(0.5 * R @ np.abs(A) @ R + np.abs(b) @ R)


@pytest.mark.parametrize("name", SCALAR_PROBLEMS)
@examples(15)
@given(n=problem_sizes, data=st.data())
def test_compiled_agrees_with_numpy_twin_to_roundoff(name, n, data):
    """p.f computes f with NumPy (pairwise sums, other groupings), so its values differ from the C
    loop's by rounding: each is within K_f EPS S of the exact value, K_f = n + 10 (a sum of n
    terms of a few operations each), so two values differ by at most d = 2 K_f EPS S. The central
    gradient then differs by at most 2 d / (2 h_i) per coordinate, the central Hessian by
    8 d / (2 h_i h_j) (each entry combines 8 values; 2x safety below). scipy.optimize.rosen on
    (n, k) batches (vectorized=True) obeys the same bounds."""
    p = fdcore.get_problem(name, n)
    x = data.draw(points(n))
    K = n + 10
    h1, h2 = default_step(x, 1, 2), default_step(x, 2, 2)
    g = fdcore.gradient(p.compiled, x, num_threads=2)
    tol_g = 2 * (2 * K * EPS * term_scale(name, p, np.abs(x) + h1) / h1) + 4 * EPS * np.abs(g)
    assert_close(fdcore.gradient(p.f, x), g, tol_g)
    if name == "rosenbrock":
        assert_close(fdcore.gradient(rosen, x, vectorized=True), g, tol_g)
    H = fdcore.hessian(p.compiled, x, num_threads=2)
    tol_H = (2 * 8 * K * EPS * term_scale(name, p, np.abs(x) + 2 * h2) / np.outer(h2, h2)
             + 4 * EPS * np.abs(H))
    assert_close(fdcore.hessian(p.f, x), H, tol_H)
    if name == "rosenbrock":
        assert_close(fdcore.hessian(rosen, x, vectorized=True), H, tol_H)


def broyden_columns(X):
    """The Broyden tridiagonal system on (n, k) batches, in the C loop's order of operations."""
    padded = np.zeros((X.shape[0] + 2, X.shape[1]))
    padded[1:-1] = X
    return (3.0 - 2.0 * X) * X - padded[:-2] - 2.0 * padded[2:] + 1.0


@examples(15)
@given(n=problem_sizes, data=st.data())
def test_compiled_broyden_equals_numpy_twin_bitwise(n, data):
    """broyden_tridiagonal's NumPy twin performs the C loop's operations in the same order: the
    Jacobians agree bit for bit, through the Python-callable and the vectorized evaluators."""
    p = fdcore.get_problem("broyden_tridiagonal", n)
    x, xb = data.draw(points(n)), data.draw(points(n))
    for options in ({}, {"method": "forward"}, {"order": 4}, {"richardson": True}):
        assert same(fdcore.jacobian(p.f, x, **options), fdcore.jacobian(p.compiled, x, num_threads=3, **options))
        assert same(fdcore.jacobian(broyden_columns, xb, vectorized=True, **options),
                    fdcore.jacobian(p.compiled, xb, num_threads=3, **options))


def test_compiled_float32_point_is_computed_in_float64():
    """The compiled kernels are float64 only: a float32 point is converted (exactly) and the
    result is float64, bit-identical to the float64 point's."""
    p = fdcore.get_problem("rosenbrock", 36)
    x32 = np.linspace(-2, 2, 36, dtype=np.float32)
    g = fdcore.gradient(p.compiled, x32)
    assert g.dtype == np.float64
    assert same(g, fdcore.gradient(p.compiled, x32.astype(np.float64)))


# ---------------------------------------------------------------------------------------------
# Bugs these properties found, fixed
# ---------------------------------------------------------------------------------------------

def test_batched_central_difference_for_a_tiny_coordinate():
    """The batched evaluators divide by the realized span (x+h) - (x-h) as the serial kernels do,
    not by the difference of the offsets, which is one bit off for 0 < |x_i| < h_i."""
    x = [2.7e-6]
    # Serial: (f(x+h) - f(x-h)) / ((x+h) - (x-h)) is exactly 1 for f(x) = x.
    assert fdcore.gradient(lambda p: p[0], x)[0] == 1.0
    assert fdcore.gradient(lambda X: X[0], x, vectorized=True)[0] == 1.0  # was 0.9999999999999999
    assert fdcore.gradient(lambda p: p[0], x, workers=map)[0] == 1.0
    assert fdcore.jacobian(lambda X: X[:1], x, vectorized=True)[0, 0] == 1.0


def test_jvp_along_a_subnormal_direction():
    """The default step t = EPS^(1/3) max(1, max|x|) / max|v| overflowed for a subnormal v (f was
    evaluated at x +- inf v); such a v is now scaled to max|v| = 1 and the result scaled back."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = fdcore.jvp(lambda p: p[0] ** 2, [1.0], [5e-324])
    assert np.isfinite(value) and abs(value) <= 1e-320  # exact: 2 * 5e-324 = 1e-323
