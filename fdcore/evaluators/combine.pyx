# cython: language_level=3
# Kernel directives are set in setup.py (see fdcore/evaluators/python_callable.pyx).
"""The stencil formulas of stencil_terms.pxd over arrays, for the paths that collect raw values of
f first and combine them afterwards (the batched evaluator, sparse Hessians and Jacobians).

Every entry is computed by the same inline function the serial and compiled kernels call, so all
evaluators agree bit for bit. The loops release the GIL.
"""

from fdcore.evaluators.stencil_terms cimport (central_pair_term, central_second_difference,
                                             one_sided_pair_term, one_sided_second_difference,
                                             two_point_quotient)


def two_point_quotients(const double[:, ::1] f_plus, const double[:, ::1] f_minus,
                        const double[::1] x_plus, const double[::1] x_minus, double[:, ::1] out):
    """out[b, k] = (f_plus[b, k] - f_minus[b, k]) / (x_plus[b] - x_minus[b])."""
    cdef Py_ssize_t b, k
    with nogil:
        for b in range(out.shape[0]):
            for k in range(out.shape[1]):
                out[b, k] = two_point_quotient(f_plus[b, k], f_minus[b, k], x_plus[b], x_minus[b])


def central_hessian_entries(double f0, const double[::1] f_p, const double[::1] f_q,
                            const double[::1] p, const double[::1] q, const Py_ssize_t[::1] rows,
                            const Py_ssize_t[::1] cols, const double[::1] f_pp,
                            const double[::1] f_qq, double[::1] diagonal, double[::1] pairs):
    """The central Hessian stencil: diagonal[i] = H_ii, pairs[k] = H_ij for (i, j) = (rows[k], cols[k])."""
    cdef Py_ssize_t i, j, k
    with nogil:
        for i in range(diagonal.shape[0]):
            diagonal[i] = central_second_difference(f_p[i], f_q[i], f0, p[i], q[i])
        for k in range(pairs.shape[0]):
            i, j = rows[k], cols[k]
            pairs[k] = central_pair_term(f_pp[k], f_qq[k], f_p[i], f_p[j], f_q[i], f_q[j], f0, p[i], p[j],
                                         q[i], q[j])


def one_sided_hessian_entries(double f0, const double[::1] f_d, const double[::1] f_2,
                              const double[::1] d, const double[::1] e, const Py_ssize_t[::1] rows,
                              const Py_ssize_t[::1] cols, const double[::1] f_dd,
                              double[::1] diagonal, double[::1] pairs):
    """The one-sided Hessian stencil: diagonal[i] = H_ii, pairs[k] = H_ij, (i, j) = (rows[k], cols[k])."""
    cdef Py_ssize_t i, j, k
    with nogil:
        for i in range(diagonal.shape[0]):
            diagonal[i] = one_sided_second_difference(f_2[i], f_d[i], f0, d[i], e[i])
        for k in range(pairs.shape[0]):
            i, j = rows[k], cols[k]
            pairs[k] = one_sided_pair_term(f_dd[k], f_d[i], f_d[j], f0, d[i], d[j])
