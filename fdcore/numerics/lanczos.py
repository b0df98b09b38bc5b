"""Extreme eigenpairs of a symmetric operator known only through its products: thick-restart
Lanczos with full reorthogonalisation.

Lanczos (1950) builds an orthonormal basis V of the Krylov space of the start vector; the
projection T = V^T A V is small and its eigenpairs (Ritz pairs) converge first at the ends of the
spectrum. The basis is kept at m vectors (memory O(m n)): when it is full, the wanted Ritz vectors
and a few neighbours are kept with the last residual vector and the process continues from them
(thick restart, Wu & Simon, SIAM J. Matrix Anal. Appl. 22, 2000). Every new vector is
orthogonalised against the whole basis, twice where the first pass cancelled most of it
(classical Gram-Schmidt with the Daniel-Gragg-Kaufman-Stewart test, Math. Comp. 30, 1976; "twice
is enough": Giraud, Langou & Rozloznik, 2005), so that the products' finite-difference errors, which make A
slightly nonlinear and nonsymmetric, cannot make spurious copies of converged eigenvalues.

Ritz values of a symmetric A lie inside its spectrum (Cauchy interlacing): the smallest Ritz
value is >= the smallest eigenvalue, the largest <= the largest, at every step.
"""

from dataclasses import dataclass

import numpy as np

# Basis sizes: at least MIN_BASIS vectors (the Lanczos estimates need room beyond the wanted
# pairs), up to MAX_BASIS while they fit in BASIS_ENTRIES float64 numbers (64 MiB): a larger basis
# restarts less often and takes fewer products (about half as many at 40 as at 20 vectors for
# the Rosenbrock Hessian's clustered top end), at n = 10^6 the minimum, 160 MB.
MIN_BASIS = 20
MAX_BASIS = 60
BASIS_ENTRIES = 1 << 23
# The DGKS test: a second Gram-Schmidt pass when the first left less than 1/sqrt(2) of the norm.
REORTHOGONALIZE = 2**-0.5


@dataclass(frozen=True)
class RitzPairs:
    """values (ascending), vectors (one row each, unit norm), estimate (the Lanczos residual
    estimates |beta_m s_m|), products (of A), converged, settled (stopped by the caller's test)."""

    values: np.ndarray
    vectors: np.ndarray
    estimate: np.ndarray
    products: int
    converged: bool
    settled: bool


def basis_size(n, wanted):
    """Lanczos vectors kept: room for the wanted pairs and as many again, at least MIN_BASIS, more
    (up to MAX_BASIS) where memory allows, at most n."""
    return min(n, max(2 * wanted + 10, min(MAX_BASIS, max(MIN_BASIS, BASIS_ENTRIES // n))))


def extreme_eigenpairs(matvec, n, low, high, tol, maxiter, rng, settled=None):
    """The ``low`` smallest and ``high`` largest Ritz pairs of the symmetric operator ``matvec``
    (float64 (n,) -> (n,)) after at most ``maxiter`` products, converged when every wanted
    pair's Lanczos residual estimate is at most ``tol`` times the largest |Ritz value| (the
    estimate of ||A||: the test is relative to the operator, so eigenvalues near 0 converge as
    the others do). Pairs of both ends are returned as one set (ascending, without repeats).

    ``settled(values, estimate, norm)``, if given, is asked at each Rayleigh-Ritz step (each
    restart) with the wanted Ritz values, their estimates and the norm estimate; True stops
    early (the caller has what it needs)."""
    m = basis_size(n, low + high)
    V = np.empty((m + 1, n))
    T = np.zeros((m, m))  # upper triangle: T[i, j] = v_i . A v_j, filled column by column
    V[0] = _unit(rng.standard_normal(n))
    start, products = 0, 0
    while True:
        for j in range(start, m):
            w = matvec(V[j])
            products += 1
            basis = V[: j + 1]
            before = float(np.linalg.norm(w))
            h = basis @ w
            w -= h @ basis
            beta = float(np.linalg.norm(w))
            if beta < REORTHOGONALIZE * before:  # cancellation: orthogonalise once more
                again = basis @ w
                w -= again @ basis
                h += again
                beta = float(np.linalg.norm(w))
            T[: j + 1, j] = h
            size = j + 1
            if beta <= n * np.finfo(float).eps * (float(np.max(np.abs(np.diag(T)[:size]))) or 1.0):
                # an invariant subspace: its Ritz pairs are exact; go on from a fresh direction
                # orthogonal to it (the residual coupling is then 0)
                beta = 0.0
                if size < n:
                    w = rng.standard_normal(n)
                    for _ in range(2):
                        w -= (basis @ w) @ basis
            if size < n:
                V[j + 1] = _unit(w)
            # Rayleigh-Ritz at every step (the projection is small): stop as soon as possible
            projected = np.triu(T[:size, :size]) + np.triu(T[:size, :size], 1).T
            theta, S = np.linalg.eigh(projected)
            wanted = _indices(size, low, high)
            estimate = beta * np.abs(S[size - 1, wanted])
            norm = float(np.max(np.abs(theta)))
            converged = size == n or (size >= low + high and bool(np.all(estimate <= tol * norm)))
            stop = (not converged and settled is not None and size >= low + high
                    and bool(settled(theta[wanted], estimate, norm)))
            if converged or stop or products >= maxiter:
                return RitzPairs(theta[wanted], S[:, wanted].T @ V[:size], estimate, products, converged, stop)
        # thick restart: the wanted pairs and their neighbours towards the middle of the
        # spectrum, plus the residual direction, which couples to each kept vector y_i by
        # beta s_{m,i} (recomputed by the next column's projections)
        kept = _indices(m, *_kept(m, low, high))
        residual = V[m].copy()
        V[: kept.size] = S[:, kept].T @ V[:m]
        V[kept.size] = residual
        T[:] = 0.0
        T[np.arange(kept.size), np.arange(kept.size)] = theta[kept]
        start = kept.size


def _kept(size, low, high):
    """Pairs kept at each end on restart: the wanted ones and half of the spare room."""
    spare = (size - low - high) // 2
    if low and high:
        return low + spare // 2, high + spare // 2
    return (low + spare, 0) if low else (0, high + spare)


def _indices(size, low, high):
    """The indices of the ``low`` smallest and ``high`` largest of ``size`` ascending values."""
    return np.union1d(np.arange(min(low, size)), np.arange(max(size - high, 0), size))


def _unit(w):
    return w / np.linalg.norm(w)
