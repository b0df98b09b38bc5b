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


def hessian_entries(int sign, double f0, const double[::1] f1, const double[::1] f2,
                    const double[::1] o1, const double[::1] o2, const Py_ssize_t[::1] rows,
                    const Py_ssize_t[::1] cols, const double[::1] f_pair, const double[::1] f_pair2,
                    double[::1] diagonal, double[::1] pairs):
    """The Hessian stencils of fdcore.evaluators.python_callable.hessian from raw values:
    diagonal[i] = H_ii and pairs[k] = H_ij for (i, j) = (rows[k], cols[k]).

    f1, f2, o1, o2: f and the realized offsets at the two axis points of each coordinate
    (central: x + p_i e_i, x - q_i e_i, so q_i = -o2[i]; one-sided: x + d_i e_i, x + e_i e_i);
    f_pair[k] = f(x + o1_i e_i + o1_j e_j), and, central only, f_pair2[k] = f(x + o2_i e_i + o2_j e_j).
    """
    cdef Py_ssize_t i, j, k
    cdef bint central = sign == 0
    with nogil:
        for i in range(diagonal.shape[0]):
            if central:
                diagonal[i] = central_second_difference(f1[i], f2[i], f0, o1[i], -o2[i])
            else:
                diagonal[i] = one_sided_second_difference(f2[i], f1[i], f0, o1[i], o2[i])
        for k in range(pairs.shape[0]):
            i, j = rows[k], cols[k]
            if central:
                pairs[k] = central_pair_term(f_pair[k], f_pair2[k], f1[i], f1[j], f2[i], f2[j], f0, o1[i], o1[j],
                                             -o2[i], -o2[j])
            else:
                pairs[k] = one_sided_pair_term(f_pair[k], f1[i], f1[j], f0, o1[i], o1[j])
