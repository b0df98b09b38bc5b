"""Adaptive steps: per coordinate, the step that minimises truncation plus round-off error.

An order-p stencil for the d-th derivative (weights w_k on offsets c_k) has error
    E(h) = T M h^p + R eps_f / h^d,   T = |sum_k w_k c_k^(p+d)| / (p+d)!,   R = sum_k |w_k|,
where M bounds |f^(p+d)| near x and eps_f is the absolute error of one evaluation of f. E is
smallest at
    h* = (d R eps_f / (p T M))^(1 / (p + d))
(the bound FiniteDifferences.jl uses; Gill, Murray, Saunders & Wright, SIAM J. Sci. Stat. Comput.
4 (1983) 310-321, derive the one-sided case). eps_f is the user's ``noise`` or, by default, EPS |f(x)|.
M is estimated per coordinate with a stencil for the (p+d)-th derivative at a trial step that is
enlarged (up to twice, by 8x) while the estimate is not resolved above its own round-off; the
round-off bound is then added to |M|, so an unresolved M gives a safe, larger step.
"""

from math import factorial

import numpy as np

from fdcore.numerics.stencils import stencil_offsets, stencil_weights
from fdcore.numerics.steps import MAX_RELATIVE_STEP

_ROUNDS = 3
_GROWTH = 8.0


def error_constants(d, order, method):
    """(T, R) of the stencil: truncation and round-off coefficients of E(h)."""
    offsets = np.array(stencil_offsets(d, order, method), dtype=np.float64)
    weights = stencil_weights(d, offsets)
    q = order + d
    truncation = abs(float(np.sum(weights * offsets**q))) / factorial(q)
    if truncation == 0.0:  # symmetric stencils: the next power carries the error
        truncation = abs(float(np.sum(weights * offsets ** (q + 1)))) / factorial(q + 1)
    return truncation, float(np.sum(np.abs(weights)))


def adaptive_steps(evaluate, x, f0, d, order, method, noise):
    """Per-coordinate steps h* (x's dtype), the predicted error E(h*) and the evaluations spent.

    evaluate(h, nodes, coords) -> values (B, K, m) of f at x + nodes[k] h_i e_i, i = coords[b]
    x : the point (work copy); f0 : f(x) as an array of shape (m,) (m = 1 for scalar f), or of
        shape (n, m) when each coordinate has its own (an elementwise f: f0[i] = f(x_i))
    noise : absolute error of one evaluation of f (scalar or (m,)), or None for EPS |f(x)|.
    For vector f the step of a coordinate is the smallest over the outputs; the predicted error
    is returned per output, shape (n, m).
    """
    n = x.shape[0]
    eps = np.finfo(x.dtype).eps
    f0 = np.asarray(f0, dtype=np.float64)
    f0 = f0.reshape(1, -1) if f0.ndim < 2 else f0  # rows: one shared by all coordinates, or one each
    tiny = np.finfo(np.float64).tiny
    eps_f = np.maximum(eps * np.abs(f0), tiny) if noise is None else np.maximum(np.asarray(noise, float), eps * np.abs(f0))
    eps_f = np.broadcast_to(eps_f, f0.shape)

    def rows(a, coords):
        return a if a.shape[0] == 1 else a[coords]

    scale = np.maximum(1.0, np.abs(x.astype(np.float64)))
    q = order + d
    m_offsets = np.array(stencil_offsets(q, 2 if method == "central" else 1, method), dtype=np.float64)
    m_weights = stencil_weights(q, m_offsets)
    nonzero = m_offsets != 0
    nodes = np.ascontiguousarray(m_offsets[nonzero])
    w_nodes, w_centre = m_weights[nonzero], float(np.sum(m_weights[~nonzero]))

    # Per row of f0 (one shared, or one per coordinate): a coordinate whose f(x) is 0 must not
    # enlarge every other coordinate's trial step.
    relative_noise = np.max(eps_f / np.maximum(np.abs(f0), eps_f), axis=1)
    trial = np.minimum(relative_noise ** (1.0 / (q + 2)) * scale, MAX_RELATIVE_STEP * scale)
    M = np.empty((n, f0.shape[1]))
    M_bound = np.empty((n, f0.shape[1]))
    todo = np.arange(n, dtype=np.intp)
    nfev = 0
    for round_ in range(_ROUNDS):
        values = evaluate(trial.astype(x.dtype), nodes, todo)
        nfev += todo.size * nodes.size
        step = trial[todo, None]
        estimate = (np.einsum("bkm,k->bm", values, w_nodes) + w_centre * rows(f0, todo)) / step**q
        bound = rows(eps_f, todo) * np.sum(np.abs(m_weights)) / step**q
        M[todo], M_bound[todo] = np.abs(estimate), bound
        unresolved = (np.abs(estimate) < 10.0 * bound).any(axis=1)
        unresolved &= trial[todo] * _GROWTH <= MAX_RELATIVE_STEP * scale[todo]
        if round_ == _ROUNDS - 1 or not unresolved.any():
            break
        todo = todo[unresolved]
        trial[todo] *= _GROWTH

    T, R = error_constants(d, order, method)
    M = np.where(np.isfinite(M), M + M_bound, np.inf)
    with np.errstate(divide="ignore"):
        h_star = (d * R * eps_f / (order * T * M)) ** (1.0 / q)
    h_star = np.nan_to_num(h_star, nan=0.0).min(axis=1)
    # Within [1e3 EPS, 0.5] * max(1, |x_i|): the step must change x well beyond its rounding.
    h_star = np.clip(h_star, 1e3 * eps * scale, MAX_RELATIVE_STEP * scale)
    predicted = T * M * h_star[:, None] ** order + R * eps_f / h_star[:, None] ** d
    return h_star.astype(x.dtype), predicted, nfev

