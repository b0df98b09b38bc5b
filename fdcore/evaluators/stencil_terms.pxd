# The stencil formulas, written once: every kernel (Python-callable, compiled, batched, sparse)
# combines its values of f through these functions, so all evaluators agree bit for bit.
#
# Steps are the *realized* ones (the representable offsets, e.g. p = (x + h) - x), which removes
# the step's rounding from the quotients. Notation of the Hessian stencils:
#   central    p_i = (x_i + h_i) - x_i, q_i = x_i - (x_i - h_i); f_p[i] = f(x + p_i e_i),
#              f_q[i] = f(x - q_i e_i), f_pp = f(x + p_i e_i + p_j e_j), f_qq = f(x - q_i e_i - q_j e_j)
#   one-sided  d_i = (x_i + s_i) - x_i, e_i = (x_i + 2 s_i) - x_i with s_i = +-h_i;
#              f_d[i] = f(x + d_i e_i), f_2 = f(x + e_i e_i), f_dd = f(x + d_i e_i + d_j e_j)


cdef inline double two_point_quotient(double f_plus, double f_minus, double x_plus,
                                      double x_minus) noexcept nogil:
    """(f(x_plus) - f(x_minus)) / (x_plus - x_minus): the two-point first difference."""
    return (f_plus - f_minus) / (x_plus - x_minus)


cdef inline double central_second_difference(double f_p, double f_q, double f0, double p,
                                             double q) noexcept nogil:
    """H_ii = 2 [(f_p - f0) / p - (f0 - f_q) / q] / (p + q): the 3-point second difference."""
    return 2.0 * ((f_p - f0) / p - (f0 - f_q) / q) / (p + q)


cdef inline double central_pair_term(double f_pp, double f_qq, double f_p_i, double f_p_j,
                                     double f_q_i, double f_q_j, double f0, double p_i, double p_j,
                                     double q_i, double q_j) noexcept nogil:
    """H_ij = (A + B) / (p_i p_j + q_i q_j), i != j, with
      A = f_pp - f_p_i - f_p_j + f0,   B = f_qq - f_q_i - f_q_j + f0.
    A = H_ij p_i p_j and B = H_ij q_i q_j exactly for a quadratic; the odd Taylor terms of A and B
    cancel in the sum, so the error is O(h^2) (the 7-point stencil of Abramowitz & Stegun 25.3.27
    generalised to unequal steps). Each pair costs 2 evaluations, not the 4 of the four-corner
    stencil."""
    cdef double a = (f_pp - f_p_i) - (f_p_j - f0)
    cdef double b = (f_qq - f_q_i) - (f_q_j - f0)
    return (a + b) / (p_i * p_j + q_i * q_j)


cdef inline double one_sided_second_difference(double f_2, double f_d, double f0, double d,
                                               double e) noexcept nogil:
    """H_ii = 2 [(f_2 - f_d) / (e - d) - (f_d - f0) / d] / e: the one-sided second difference, O(h)."""
    return 2.0 * ((f_2 - f_d) / (e - d) - (f_d - f0) / d) / e


cdef inline double one_sided_pair_term(double f_dd, double f_d_i, double f_d_j, double f0, double d_i,
                                       double d_j) noexcept nogil:
    """H_ij = (f_dd - f_d_i - f_d_j + f0) / (d_i d_j): the one-sided mixed difference, O(h)."""
    return ((f_dd - f_d_i) - (f_d_j - f0)) / (d_i * d_j)
