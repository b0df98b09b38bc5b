"""fdcore.stencil_weights (Fornberg weights) and the standard stencils of fdcore.numerics.stencils.

Order of a stencil for the d-th derivative is proved by polynomial exactness: sum_k w_k p(c_k)
equals p^(d)(0) = d! * a_d for every polynomial of degree <= D and not for degree D + 1, which
means the truncation error starts at h^(D + 1 - d).
"""

from fractions import Fraction
from math import factorial

import numpy as np
import pytest

import fdcore
from fdcore.numerics.stencils import stencil_offsets

CENTRAL_ORDERS = (2, 4, 6, 8)
ONE_SIDED_ORDERS = tuple(range(1, 9))
STANDARD = [(d, order, "central") for d in range(1, 5) for order in CENTRAL_ORDERS] + [
    (d, order, method) for d in range(1, 5) for order in ONE_SIDED_ORDERS for method in ("forward", "backward")
]


def exact_weights(d, offsets):
    """Independent reference: solve the Vandermonde moment system sum_k w_k c_k^j = d! [j == d]
    (j = 0..N-1) in exact rational arithmetic by Gauss-Jordan elimination."""
    c = [Fraction(float(o)) for o in offsets]
    n = len(c)
    rows = [[ck**j for ck in c] + [Fraction(factorial(d)) if j == d else Fraction(0)] for j in range(n)]
    for col in range(n):
        pivot = next(r for r in range(col, n) if rows[r][col] != 0)
        rows[col], rows[pivot] = rows[pivot], rows[col]
        p = rows[col][col]
        rows[col] = [v / p for v in rows[col]]
        for r in range(n):
            if r != col and rows[r][col] != 0:
                factor = rows[r][col]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[col])]
    return [rows[k][n] for k in range(n)]


def apply(weights, offsets, coefficients):
    """(sum_k w_k p(c_k), sum_k |w_k p(c_k)|) for p(t) = sum_j a_j t^j, in float64."""
    c = np.asarray(offsets, dtype=np.float64)
    values = np.polynomial.polynomial.polyval(c, coefficients)
    terms = np.asarray(weights) * values
    return float(terms.sum()), float(np.abs(terms).sum())


def exactness_degree(d, order):
    """Highest degree an order-p standard stencil reproduces exactly: d + p - 1 (error O(h^p)).

    This holds for the central stencils too ("central: degree d + p" would be wrong: the moment of
    degree d + p is nonzero, e.g. (f(h) - f(-h)) / 2h on t^3 gives h^2). What the symmetric
    stencils gain for free is relative to their number of points N (the 2-point first derivative
    is exact to degree N = 2, not N - 1), and the vanishing of every moment of degree j with d + j
    odd, so their error has only the powers h^p, h^(p+2), ... (verified in
    test_exactness_degree_is_exact and test_central_error_has_only_even_powers).
    """
    return d + order - 1


# --- known weights -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "d, offsets, expected",
    [
        (1, [-1, 0, 1], [-0.5, 0.0, 0.5]),
        (2, [-1, 0, 1], [1.0, -2.0, 1.0]),
        (1, [-2, -1, 0, 1, 2], [1 / 12, -2 / 3, 0.0, 2 / 3, -1 / 12]),
        (2, [-2, -1, 0, 1, 2], [-1 / 12, 4 / 3, -5 / 2, 4 / 3, -1 / 12]),
        (1, [0, 1, 2], [-1.5, 2.0, -0.5]),
        (1, [0, -1, -2], [1.5, -2.0, 0.5]),
        (1, [0, 1], [-1.0, 1.0]),
        (2, [0, 1, 2], [1.0, -2.0, 1.0]),
        (3, [-2, -1, 0, 1, 2], [-0.5, 1.0, 0.0, -1.0, 0.5]),
        (4, [-2, -1, 0, 1, 2], [1.0, -4.0, 6.0, -4.0, 1.0]),
        (0, [-1, 0, 1], [0.0, 1.0, 0.0]),
    ],
)
def test_known_weights(d, offsets, expected):
    w = fdcore.stencil_weights(d, offsets)
    assert w.shape == (len(offsets),) and w.dtype == np.float64
    # The weights are the exact rationals rounded once: equal to the correctly rounded value.
    np.testing.assert_allclose(w, expected, rtol=2**-52, atol=0)


def test_standard_offsets():
    assert stencil_offsets(1, 2, "central") == (-1, 1)  # the zero-weight centre is dropped
    assert stencil_offsets(2, 2, "central") == (-1, 0, 1)
    assert stencil_offsets(1, 4, "central") == (-2, -1, 1, 2)
    assert stencil_offsets(1, 1, "forward") == (0, 1)
    assert stencil_offsets(1, 2, "forward") == (0, 1, 2)
    assert stencil_offsets(1, 2, "backward") == (0, -1, -2)
    assert stencil_offsets(3, 2, "central") == (-2, -1, 1, 2)


@pytest.mark.parametrize("d, order, method", STANDARD)
def test_weights_are_the_correctly_rounded_exact_solution(d, order, method):
    offsets = stencil_offsets(d, order, method)
    w = fdcore.stencil_weights(d, offsets)
    reference = [float(v) for v in exact_weights(d, offsets)]
    assert w.tolist() == reference


# --- exactness and order ------------------------------------------------------------------------

@pytest.mark.parametrize("d, order, method", STANDARD)
def test_exactness_degree_is_exact(d, order, method):
    """Exact rational moments of the exact weights: exact to degree D, not D + 1."""
    offsets = stencil_offsets(d, order, method)
    w = exact_weights(d, offsets)
    D = exactness_degree(d, order)
    for j in range(D + 2):
        moment = sum(wk * Fraction(c) ** j for wk, c in zip(w, offsets))
        expected = factorial(d) if j == d else 0
        if j <= D:
            assert moment == expected, (j, moment)
        else:
            assert moment != expected  # the order is no higher than claimed


@pytest.mark.parametrize("d, order", [(d, order) for d in range(1, 5) for order in CENTRAL_ORDERS])
def test_central_error_has_only_even_powers(d, order):
    """Symmetric stencils: the moments of degree d + p + 1, d + p + 3 vanish (w(-c) = (-1)^d w(c)),
    which is why Richardson extrapolation of central stencils uses error_step = 2."""
    offsets = stencil_offsets(d, order, "central")
    assert sorted(offsets) == sorted(-c for c in offsets)
    w = exact_weights(d, offsets)
    for j in (d + order + 1, d + order + 3):
        assert sum(wk * Fraction(c) ** j for wk, c in zip(w, offsets)) == 0
    assert sum(wk * Fraction(c) ** (d + order + 2) for wk, c in zip(w, offsets)) != 0
    # 2 floor((d + 1) / 2) - 1 + p points, minus the zero-weight centre of odd derivatives.
    assert len(offsets) == 2 * ((d + 1) // 2) - 1 + order - d % 2
    assert (0 in offsets) == (d % 2 == 0)


@pytest.mark.parametrize("d, order, method", STANDARD)
def test_random_polynomials_reproduced_in_float(d, order, method):
    rng = np.random.default_rng(1000 * d + 10 * order + len(method))
    offsets = stencil_offsets(d, order, method)
    w = fdcore.stencil_weights(d, offsets)
    D = exactness_degree(d, order)
    for _ in range(5):
        a = rng.uniform(-1, 1, D + 1)
        got, size = apply(w, offsets, a)
        # Only the rounding of the weights and of the sum remains: a few EPS * sum|w p(c)|.
        assert abs(got - factorial(d) * a[d]) <= 1e-12 * size
    # One degree more: the stencil is off by a visible amount (the moment is a nonzero rational
    # of size comparable to sum|w c^(D+1)|, far above rounding).
    a = np.zeros(D + 2)
    a[D + 1] = 1.0
    got, size = apply(w, offsets, a)
    assert abs(got) > 1e-6 * size  # p^(d)(0) = 0 for p = t^(D + 1), D + 1 > d


@pytest.mark.parametrize("d", [0, 1, 2, 3])
def test_nonuniform_offsets_exact_on_cubics(d):
    offsets = [-0.3, 0.1, 0.7, 1.9]
    w = fdcore.stencil_weights(d, offsets)
    rng = np.random.default_rng(d)
    for _ in range(10):
        a = rng.uniform(-2, 2, 4)
        got, size = apply(w, offsets, a)
        assert abs(got - factorial(d) * a[d]) <= 1e-13 * max(size, 1.0)
    # and not on the quartic t^4 (4 points: exact to degree 3 only)
    got, size = apply(w, offsets, [0, 0, 0, 0, 1.0])
    assert abs(got) > 1e-6 * size


def test_nonuniform_offsets_match_exact_rationals():
    # 0.1 means the double nearest 0.1: the weights are the exact solution for those nodes.
    offsets = [-0.3, 0.1, 0.7, 1.9]
    for d in range(4):
        assert fdcore.stencil_weights(d, offsets).tolist() == [float(v) for v in exact_weights(d, offsets)]


@pytest.mark.parametrize("d, order, method", STANDARD)
def test_weights_sum_to_zero(d, order, method):
    # d >= 1: the stencil annihilates constants (sum w = 0 up to the rounding of each weight).
    w = fdcore.stencil_weights(d, stencil_offsets(d, order, method))
    assert abs(w.sum()) <= 4 * np.finfo(float).eps * np.abs(w).sum()


def test_weights_of_d0_sum_to_one():
    w = fdcore.stencil_weights(0, [-0.3, 0.1, 0.7, 1.9])
    assert w.sum() == pytest.approx(1.0, abs=1e-14)


# --- caching and immutability --------------------------------------------------------------------

def test_cached_and_read_only():
    a = fdcore.stencil_weights(1, [-2, -1, 1, 2])
    b = fdcore.stencil_weights(1, (-2.0, -1.0, 1.0, 2.0))
    c = fdcore.stencil_weights(np.int64(1), np.array([-2, -1, 1, 2]))
    assert a is b and b is c
    assert not a.flags.writeable
    with pytest.raises(ValueError):
        a[0] = 0.0
    assert fdcore.stencil_weights(1, [-2, -1, 1, 2])[0] == pytest.approx(1 / 12)


def test_different_offsets_or_order_are_different_entries():
    assert fdcore.stencil_weights(1, [-1, 0, 1]) is not fdcore.stencil_weights(2, [-1, 0, 1])
    assert fdcore.stencil_weights(1, [0, 1, 2]) is not fdcore.stencil_weights(1, [0, -1, -2])


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("d", [-1, 1.0, 1.5, True, "1", None])
def test_bad_d(d):
    with pytest.raises(ValueError, match="d must be"):
        fdcore.stencil_weights(d, [-1, 0, 1])


@pytest.mark.parametrize(
    "d, offsets, match",
    [
        (1, [0, 1, 1], "distinct"),
        (1, [0.0, -0.0, 1.0], "distinct"),
        (1, [0, np.nan, 1], "finite"),
        (1, [0, np.inf], "finite"),
        (1, [-np.inf, 0, 1], "finite"),
        (2, [0, 1], "more than 2 offsets"),
        (1, [0], "more than 1"),
        (0, [], "more than 0"),
        (1, [[0, 1], [2, 3]], "1-D"),
        (1, 5.0, "1-D"),
    ],
)
def test_bad_offsets(d, offsets, match):
    with pytest.raises(ValueError, match=match):
        fdcore.stencil_weights(d, offsets)
