"""Sparse Jacobians and Hessians: column colouring and stencils per colour group.

Columns of a Jacobian that share no row can be perturbed together: one pair of evaluations
serves a whole group, and each row's difference belongs to the one column of the group that
touches it (Curtis, Powell & Reid, IMA J. Appl. Math. 13 (1974) 117-119). Columns are coloured
greedily, each taking the smallest colour not used by a column it shares a row with, over a few
orders, keeping the best (a tridiagonal pattern gets 3 colours).

Sparse Hessians of f evaluate the mixed stencil only on the pattern's nonzero pairs (2 per pair,
plus 2n + 1), or take the coloured Jacobian of a gradient function.
"""

import numpy as np

from fdcore.derivatives.validation import check_pattern_values, flag_nonfinite
from fdcore.evaluators.combine import hessian_entries, two_point_quotients
from fdcore.evaluators.returns import FunctionValueError
from fdcore.numerics.coloring import greedy_coloring
from fdcore.numerics.options import TWO_POINT_NODES
from fdcore.numerics.steps import is_adaptive, resolve_step


def _sparse_module():
    try:
        import scipy.sparse as sp
    except ImportError:
        raise ImportError("sparsity= returns scipy.sparse arrays: install SciPy") from None
    return sp


def as_pattern(sparsity, shape, name="sparsity"):
    """The pattern as a boolean csc matrix of the given shape."""
    sp = _sparse_module()
    try:
        pattern = sp.csc_array(sparsity if sp.issparse(sparsity) else np.asarray(sparsity, dtype=bool), dtype=bool)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 2-D boolean array or a scipy.sparse matrix: {exc}") from None
    if pattern.shape != tuple(shape):
        raise ValueError(f"{name} must have shape {tuple(shape)}, got {pattern.shape}")
    pattern.eliminate_zeros()
    return pattern


def symmetric_pattern(sparsity, n):
    """The (n, n) pattern of a symmetric matrix from either triangle (or both) as given: P or P^T."""
    pattern = as_pattern(sparsity, (n, n))
    return (pattern + pattern.T).astype(bool).tocsc()


def color_columns(pattern, tries=8):
    """Greedy colouring of the columns of a boolean csc pattern; returns the colour per column.

    Each column takes the smallest colour not used by a column it shares a row with. Greedy
    results depend on the order: largest-first, natural, the order of SciPy's group_columns
    (RandomState(0)) and ``tries`` seeded random orders are tried and the colouring with the
    fewest colours kept, so it is never worse than SciPy's (each pass is O(nnz x row length)).
    """
    sp = _sparse_module()
    pattern = sp.csc_array(pattern, dtype=bool).astype(np.int8)
    n = pattern.shape[1]
    # Columns i, j conflict when they share a row: the nonzeros of P^T P.
    graph = sp.csr_array(pattern.T @ pattern)
    indptr = graph.indptr.astype(np.intp)
    indices = graph.indices.astype(np.intp)
    rng = np.random.default_rng(0)
    orders = [np.argsort(-np.diff(pattern.indptr), kind="stable"), np.arange(n),
              # the order SciPy's group_columns uses by default, so the result is never worse
              np.random.RandomState(0).permutation(n)] + [rng.permutation(n) for _ in range(tries)]
    best = None
    for order in orders:
        colors = greedy_coloring(indptr, indices, np.ascontiguousarray(order, dtype=np.intp))
        if best is None or colors.max(initial=-1) < best.max(initial=-1):
            best = colors
    return best


def sparse_jacobian(evaluator, h, pattern, method, vector=True):
    """Jacobian (csr, m x n) with one two-point difference per colour group, the evaluations, the
    groups, and (where J has non-finite entries, else None) whether f's values were finite for
    each of J's stored entries (`flag_nonfinite`'s finite_values).

    Evaluations: 2 per group (central) or 1 per group + 1 (one-sided).
    """
    sp = _sparse_module()
    x = evaluator.x
    colors = color_columns(pattern)
    groups = [np.flatnonzero(colors == c) for c in range(colors.max() + 1)] if colors.size else []
    plus, minus = TWO_POINT_NODES[method]
    call = evaluator.vector if vector else (lambda p: np.atleast_1d(evaluator.scalar(p)))
    f0 = call(x.copy()) if 0 in (plus, minus) else None
    nfev = 1 if f0 is not None else 0
    rows, cols, vals, finite = [], [], [], []
    csc = pattern
    for group in groups:
        point_hi, point_lo = x.copy(), x.copy()
        point_hi[group] = x[group] + plus * h[group]
        point_lo[group] = x[group] + minus * h[group]
        f_hi = call(point_hi) if plus else f0
        f_lo = call(point_lo) if minus else f0
        if f_hi.shape != (pattern.shape[0],) or f_lo.shape != (pattern.shape[0],):
            raise FunctionValueError(f"f returns shape {f_hi.shape if f_hi.shape != (pattern.shape[0],) else f_lo.shape}, "
                             f"but the sparsity pattern has {pattern.shape[0]} rows")
        nfev += (plus != 0) + (minus != 0)
        block = csc[:, group]  # the group's columns: no two share a row
        counts = np.diff(block.indptr)
        r = block.indices
        rows.append(r)
        cols.append(np.repeat(group, counts))
        quotients = np.empty((r.size, 1))
        x_hi = np.repeat(point_hi[group].astype(np.float64), counts)
        x_lo = np.repeat(point_lo[group].astype(np.float64), counts)
        two_point_quotients(f_hi[r].reshape(-1, 1), f_lo[r].reshape(-1, 1), x_hi, x_lo, quotients)
        quotient, finite_values = quotients[:, 0], np.isfinite(f_hi[r]) & np.isfinite(f_lo[r])
        vals.append(quotient)
        finite.append(finite_values)
    m = pattern.shape[0]
    where = (np.concatenate(rows) if rows else np.empty(0, int), np.concatenate(cols) if cols else np.empty(0, int))
    J = sp.csr_array((np.concatenate(vals) if vals else np.empty(0), where), shape=(m, x.shape[0]))
    finite_values = None
    if not np.all(np.isfinite(J.data)):  # the same coordinates: the same order of stored entries
        finite_values = sp.csr_array((np.concatenate(finite).astype(np.float64), where), shape=J.shape).data > 0.5
    return J, nfev, len(groups), finite_values


def sparse_hessian_from_f(evaluator, h, pattern):
    """Hessian (csr) of a scalar f on the pattern's entries: the n^2 + n + 1 stencil restricted
    to the nonzero pairs: 2 evaluations per pair i < j, 2n for the diagonal, 1 for f(x)."""
    sp = _sparse_module()
    x = evaluator.x
    n = x.shape[0]

    value = evaluator.scalar
    f0 = value(x.copy())
    p = (x + h).astype(np.float64) - x
    q = x.astype(np.float64) - (x - h)
    f_p, f_q = np.empty(n), np.empty(n)
    point = x.copy()
    for i in range(n):
        point[i] = x[i] + h[i]
        f_p[i] = value(point)
        point[i] = x[i] - h[i]
        f_q[i] = value(point)
        point[i] = x[i]
    upper = sp.triu(sp.coo_array(symmetric_pattern(pattern, n)), k=1).tocoo()
    f_pp, f_qq = np.empty(upper.nnz), np.empty(upper.nnz)
    for k, (i, j) in enumerate(zip(upper.row, upper.col)):
        point[i], point[j] = x[i] + h[i], x[j] + h[j]
        f_pp[k] = value(point)
        point[i], point[j] = x[i] - h[i], x[j] - h[j]
        f_qq[k] = value(point)
        point[i], point[j] = x[i], x[j]
    diag, values = np.empty(n), np.empty(upper.nnz)
    hessian_entries(0, f0, f_p, f_q, p, -q, upper.row.astype(np.intp), upper.col.astype(np.intp), f_pp, f_qq,
                    diag, values)
    rows = np.concatenate([np.arange(n), upper.row, upper.col])
    cols = np.concatenate([np.arange(n), upper.col, upper.row])
    H = sp.csr_array((np.concatenate([diag, values, values]), (rows, cols)), shape=(n, n))
    return H, 1 + 2 * n + 2 * upper.nnz


def sparse_first_derivative(evaluator, opts, step, sparsity, out, full_output, bounds):
    """The Jacobian on a sparsity pattern, by column colouring (scipy.sparse csr array)."""
    if not opts.two_point or out is not None or full_output or bounds is not None or is_adaptive(step):
        raise ValueError("sparsity= computes the plain two-point differences (no order, richardson, noise, "
                         "step='adaptive', bounds, out or full_output)")
    shape = sparsity.shape if hasattr(sparsity, "shape") else np.shape(sparsity)
    if len(shape) != 2:
        raise ValueError(f"sparsity must be a 2-D (m, n) pattern, got shape {shape}")
    check_pattern_values(sparsity)
    m = shape[0]  # the pattern says m: no evaluation of f(x) just to learn it
    h = resolve_step(step, evaluator.x, 1, opts.method)
    J, _, _, finite_values = sparse_jacobian(evaluator, h, as_pattern(sparsity, (m, evaluator.x.shape[0])),
                                             opts.method)
    return flag_nonfinite_sparse(J, "Jacobian", finite_values)


def flag_nonfinite_sparse(matrix, what, finite_values=None):
    """A sparse result's non-finite stored entries become NaN, with the warning the dense results
    give, naming the columns (coordinates) they lie in (``finite_values``: see flag_nonfinite)."""
    flag_nonfinite(matrix.data, what, index_of=lambda bad: np.unique(matrix.indices[bad]), finite_values=finite_values)
    return matrix
