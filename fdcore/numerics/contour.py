"""Derivatives of any order from f on a circle in the complex plane (the 'complex' method for
n >= 2, and for n = 1 with a number of nodes given).

For f analytic in a disc about real x, the trapezoidal rule on Cauchy's integral over the circle
z_k = x + h w^k, w = exp(2 pi i / N), k = 0..N-1 (Lyness & Moler, "Numerical differentiation of
analytic functions", SIAM J. Numer. Anal. 4 (1967) 202-210) gives, from the Taylor series,

    n! / (N h^n) sum_k f(z_k) w^(-n k) = sum over j = n (mod N) of n! f^(j)(x) h^(j - n) / j!
                                        = f^(n)(x) + n! f^(n+N)(x) h^N / (n+N)! + ...

when N >= n; for N = n the term j = 0, n! f(x) / h^n, is subtracted (one more evaluation, at x).
The error expansion has the powers N, 2N, ... of h: Richardson's tableau removes them with
leading power N and error step N. For f real on the real axis f(conj z) = conj f(z), so the
nodes k and N - k give conjugate values: only k = 0..N/2 are evaluated (N/2 + 1 calls, two of
them on the real axis), with weights 1, 2 w^(-n k) (0 < k < N/2) and (-1)^n, and the real part
of the weighted sum is the estimate. Unlike real stencils there is no cancellation between
nearby values: the round-off is EPS |f| n! / h^n on a circle of radius h, so h can be large.
"""

from functools import lru_cache
from math import factorial

import numpy as np

# The nodes per circle are a multiple of 4 (1, i, -1, -i are exact): by default the smallest
# N >= n; at most MAX_NODES.
NODES_MULTIPLE = 4
MAX_NODES = 32


def contour_nodes(n, order=None):
    """N, the contour rule's number of nodes for the n-th derivative: ``order`` (the rule's
    error power; a multiple of 4, >= n, at most MAX_NODES) or by default the smallest multiple
    of 4 >= n. A ValueError names order."""
    if order is None:
        return NODES_MULTIPLE * -(-n // NODES_MULTIPLE)
    if (isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order % NODES_MULTIPLE
            or not max(n, NODES_MULTIPLE) <= order <= MAX_NODES):
        raise ValueError(f"order for method='complex' is the contour rule's number of nodes: a multiple of "
                         f"{NODES_MULTIPLE} from {NODES_MULTIPLE * -(-n // NODES_MULTIPLE)} to {MAX_NODES} for "
                         f"n = {n}; got {order!r}")
    return int(order)


@lru_cache(maxsize=64)
def contour_rule(n, N):
    """(nodes, weights, needs_centre) of the N-node contour rule for the n-th derivative (N from
    `contour_nodes`).

    nodes : (N/2 + 1,) complex   the evaluated nodes w^k, k = 0..N/2 (units of h)
    weights : (N/2 + 1,) complex such that f^(n)(x) ~ n!/(N h^n) Re sum_k weights_k f(x + h nodes_k),
                                 less n! f(x) / h^n where needs_centre (N == n)
    """
    k = np.arange(N // 2 + 1)
    nodes = np.exp(2j * np.pi * k / N)
    nodes[0], nodes[N // 4], nodes[N // 2] = 1, 1j, -1  # exact where they can be
    weights = 2 * np.exp(-2j * np.pi * n * k / N)
    weights[0], weights[-1] = 1, (-1) ** n
    for a in (nodes, weights):
        a.flags.writeable = False
    return nodes, weights, N == n


def contour_estimate(n, N, values, f0, h):
    """The N-node contour rule's estimate of f^(n) from f at the nodes (values: (B, N/2 + 1)
    complex), f(x) (f0: (B,) or None when the rule needs no centre) and the radius h (B,)."""
    _, weights, needs_centre = contour_rule(n, N)
    scale = factorial(n) / h**n
    estimate = scale / N * (values @ weights).real
    return estimate - scale * f0 if needs_centre else estimate


def contour_magnitude(n, N, values, f0):
    """sum_k |weight_k| |f_k| / N (+ |f(x)| where the centre is subtracted): the size of what the
    rule adds, for its round-off bound (times n! / h^n)."""
    _, weights, needs_centre = contour_rule(n, N)
    magnitude = np.abs(values) @ np.abs(weights) / N
    return magnitude + np.abs(f0) if needs_centre else magnitude
