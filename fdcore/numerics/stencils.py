"""Finite-difference stencils: Fornberg weights and the standard node sets.

A stencil for the d-th derivative is a set of offsets c_k (in units of the step h) and weights w_k
such that  f^(d)(x) ~ sum_k w_k f(x + c_k h) / h^d.  The weights come from Fornberg's recurrence
(B. Fornberg, "Generation of finite difference formulas on arbitrarily spaced grids",
Math. Comp. 51 (1988) 699-706), evaluated in exact rational arithmetic and cached, so a stencil is
exact on every polynomial of degree < len(offsets) up to the final rounding of each weight.
"""

from collections.abc import Sequence
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

ORDERS = (2, 4, 6, 8)


def _fornberg(d, nodes):
    """Weights (exact Fractions) of the d-th derivative at 0 on ``nodes`` (Fornberg 1988, Table 3)."""
    n = len(nodes)
    c = [[Fraction(0)] * n for _ in range(d + 1)]
    c[0][0] = Fraction(1)
    c1 = Fraction(1)
    c4 = nodes[0]
    for i in range(1, n):
        mn = min(i, d)
        c2 = Fraction(1)
        c5, c4 = c4, nodes[i]
        for j in range(i):
            c3 = nodes[i] - nodes[j]
            c2 *= c3
            if j == i - 1:
                for k in range(mn, 0, -1):
                    c[k][i] = c1 * (k * c[k - 1][i - 1] - c5 * c[k][i - 1]) / c2
                c[0][i] = -c1 * c5 * c[0][i - 1] / c2
            for k in range(mn, 0, -1):
                c[k][j] = (c4 * c[k][j] - k * c[k - 1][j]) / c3
            c[0][j] = c4 * c[0][j] / c3
        c1 = c2
    return c[d]


def float_weights(d, offsets):
    """Fornberg's weights of the d-th derivative at 0 on ``offsets`` (distinct floats, more than
    d of them) in floating point: the same recurrence as `stencil_weights` without its exact
    rationals, for the many one-off stencils of a non-uniform grid."""
    return np.array(_fornberg(d, [float(o) for o in offsets]))


@lru_cache(maxsize=256)
def _cached_weights(d, offsets):
    weights = np.array([float(w) for w in _fornberg(d, [Fraction(o) for o in offsets])])
    weights.flags.writeable = False
    return weights


def stencil_weights(d: int, offsets: Sequence[float] | NDArray[Any]) -> NDArray[np.float64]:
    """Weights of the d-th derivative on the given offsets (Fornberg's recurrence, exact, cached).

    Parameters
    ----------
    d : int
        Derivative order, 0 <= d < len(offsets).
    offsets : sequence of float
        Distinct, finite stencil offsets in units of the step h (e.g. ``[-1, 0, 1]``); they are
        converted to exact binary fractions, so ``0.1`` means the double nearest 0.1.

    Returns
    -------
    ndarray, shape (len(offsets),)
        ``w`` with ``f^(d)(x) ~ sum(w[k] * f(x + offsets[k] * h)) / h**d``; read-only.

    Examples
    --------
    >>> import fdcore
    >>> fdcore.stencil_weights(1, [-1, 0, 1])
    array([-0.5,  0. ,  0.5])
    >>> fdcore.stencil_weights(2, [-1, 0, 1])
    array([ 1., -2.,  1.])
    >>> fdcore.stencil_weights(1, [0, 1, 2])
    array([-1.5,  2. , -0.5])
    """
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 0:
        raise ValueError(f"d must be a non-negative integer, got {d!r}")
    try:
        nodes = tuple(float(o) for o in np.asarray(offsets, dtype=float).reshape(-1))
    except (TypeError, ValueError):
        raise TypeError(f"offsets must be a sequence of real numbers, got {offsets!r:.60}") from None
    if np.ndim(offsets) != 1:
        raise ValueError(f"offsets must be 1-D, got shape {np.shape(offsets)}")
    if not all(np.isfinite(nodes)):
        raise ValueError("offsets must be finite")
    if len(set(nodes)) != len(nodes):
        raise ValueError(f"offsets must be distinct, got {list(nodes)}")
    if len(nodes) <= d:
        raise ValueError(f"a derivative of order d={d} needs more than {d} offsets, got {len(nodes)}")
    return _cached_weights(int(d), nodes)


def stencil_offsets(d, order, method):
    """The standard offsets (integers) of an order-``order`` stencil for the d-th derivative.

    central: the symmetric stencil -m..m with 2 m + 1 = 2 floor((d + 1) / 2) - 1 + order points,
    minus its zero-weight nodes (the centre of odd derivatives); forward: 0..d + order - 1;
    backward: the negation of forward.
    """
    if method == "central" and order not in ORDERS:
        raise ValueError(f"order must be one of {', '.join(map(str, ORDERS))}; got {order!r}")
    if order < 1:
        raise ValueError(f"order must be a positive integer, got {order!r}")
    if method == "central":
        m = (2 * ((d + 1) // 2) - 1 + order) // 2
        offsets = tuple(range(-m, m + 1))
        weights = stencil_weights(d, offsets)
        return tuple(o for o, w in zip(offsets, weights) if w != 0)
    forward = tuple(range(d + order))
    return forward if method == "forward" else tuple(-o for o in forward)
