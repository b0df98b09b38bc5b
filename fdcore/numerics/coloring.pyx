# cython: language_level=3
# Kernel directives are set in setup.py (see fdcore/evaluators/python_callable.pyx).
"""Greedy graph colouring for the column-intersection graph of a sparsity pattern."""

import numpy as np


def greedy_coloring(const Py_ssize_t[::1] indptr, const Py_ssize_t[::1] indices, const Py_ssize_t[::1] order):
    """Colour of each vertex of a graph in CSR form (indptr, indices), visiting ``order``.

    Each vertex takes the smallest colour none of its already-coloured neighbours has.
    O(number of edges); releases the GIL.
    """
    cdef Py_ssize_t n = indptr.shape[0] - 1, k, j, e, c
    colors_array = np.full(n, -1, dtype=np.intp)
    stamp_array = np.full(n + 1, -1, dtype=np.intp)  # stamp[c] == j: colour c is taken near j
    cdef Py_ssize_t[::1] colors = colors_array
    cdef Py_ssize_t[::1] stamp = stamp_array
    with nogil:
        for k in range(order.shape[0]):
            j = order[k]
            for e in range(indptr[j], indptr[j + 1]):
                c = colors[indices[e]]
                if c >= 0:
                    stamp[c] = j
            c = 0
            while stamp[c] == j:
                c += 1
            colors[j] = c
    return colors_array
