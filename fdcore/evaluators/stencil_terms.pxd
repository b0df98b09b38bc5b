# The stencil formulas, written once: every kernel (Python-callable, compiled, batched, sparse)
# combines its values of f through these functions, so all evaluators agree bit for bit.
#
# Steps are the *realized* ones (the representable offsets, e.g. p = (x + h) - x), which removes
# the step's rounding from the quotients. Notation of the Hessian stencils:
#   central    p_i = (x_i + h_i) - x_i, q_i = x_i - (x_i - h_i); f_p[i] = f(x + p_i e_i),
#              f_q[i] = f(x - q_i e_i), f_pp = f(x + p_i e_i + p_j e_j), f_qq = f(x - q_i e_i - q_j e_j)
#   one-sided  d_i = (x_i + s_i) - x_i, e_i = (x_i + 2 s_i) - x_i with s_i = +-h_i;
#              f_d[i] = f(x + d_i e_i), f_2 = f(x + e_i e_i), f_dd = f(x + d_i e_i + d_j e_j)
#
# Overflow: finite values of f within a factor 8 of the largest float can have differences beyond
# it although the derivative is finite (1e298 (x - 1.6e15) at x = 1.6e15: f = +-9.7e307). Each
# public formula below then runs again on the values scaled by rescue_scale() = 1/8 and scales the result
# back: a power of two, so exact (no sum of up to four such values overflows), except that
# subnormal values would round, which is why it is the fallback, not the rule. The formulas take
# the scale s (1.0 on the first try: f * 1.0 is f, bit for bit).

cdef inline double rescue_scale() noexcept nogil:
    return 0.125


cdef inline bint is_finite(double v) noexcept nogil:
    return v - v == 0.0  # false for inf and NaN


cdef inline bint overflowed(double result, double a, double b, double c, double d) noexcept nogil:
    """result is not finite although the values of f it came from are (pass 0.0 for unused ones)."""
    return not is_finite(result) and is_finite(a) and is_finite(b) and is_finite(c) and is_finite(d)


cdef inline double _two_point(double f_plus, double f_minus, double span, double s) noexcept nogil:
    return (s * f_plus - s * f_minus) / span / s


cdef inline double two_point_quotient(double f_plus, double f_minus, double x_plus,
                                      double x_minus) noexcept nogil:
    """(f(x_plus) - f(x_minus)) / (x_plus - x_minus): the two-point first difference."""
    cdef double r = _two_point(f_plus, f_minus, x_plus - x_minus, 1.0)
    if overflowed(r, f_plus, f_minus, 0.0, 0.0):
        r = _two_point(f_plus, f_minus, x_plus - x_minus, rescue_scale())
    return r


cdef inline double _central_second(double f_p, double f_q, double f0, double p, double q,
                                   double s) noexcept nogil:
    return 2.0 * ((s * f_p - s * f0) / p - (s * f0 - s * f_q) / q) / (p + q) / s


cdef inline double central_second_difference(double f_p, double f_q, double f0, double p,
                                             double q) noexcept nogil:
    """H_ii = 2 [(f_p - f0) / p - (f0 - f_q) / q] / (p + q): the 3-point second difference."""
    cdef double r = _central_second(f_p, f_q, f0, p, q, 1.0)
    if overflowed(r, f_p, f_q, f0, 0.0):
        r = _central_second(f_p, f_q, f0, p, q, rescue_scale())
    return r


cdef inline double _central_pair(double f_pp, double f_qq, double f_p_i, double f_p_j, double f_q_i,
                                 double f_q_j, double f0, double p_i, double p_j, double q_i,
                                 double q_j, double s) noexcept nogil:
    cdef double a = (s * f_pp - s * f_p_i) - (s * f_p_j - s * f0)
    cdef double b = (s * f_qq - s * f_q_i) - (s * f_q_j - s * f0)
    return (a + b) / (p_i * p_j + q_i * q_j) / s


cdef inline double central_pair_term(double f_pp, double f_qq, double f_p_i, double f_p_j,
                                     double f_q_i, double f_q_j, double f0, double p_i, double p_j,
                                     double q_i, double q_j) noexcept nogil:
    """H_ij = (A + B) / (p_i p_j + q_i q_j), i != j, with
      A = f_pp - f_p_i - f_p_j + f0,   B = f_qq - f_q_i - f_q_j + f0.
    A = H_ij p_i p_j and B = H_ij q_i q_j exactly for a quadratic; the odd Taylor terms of A and B
    cancel in the sum, so the error is O(h^2) (the 7-point stencil of Abramowitz & Stegun 25.3.27
    generalised to unequal steps). Each pair costs 2 evaluations, not the 4 of the four-corner
    stencil."""
    cdef double r = _central_pair(f_pp, f_qq, f_p_i, f_p_j, f_q_i, f_q_j, f0, p_i, p_j, q_i, q_j, 1.0)
    if overflowed(r, f_pp, f_qq, f_p_i, f_p_j) and overflowed(r, f_q_i, f_q_j, f0, 0.0):
        r = _central_pair(f_pp, f_qq, f_p_i, f_p_j, f_q_i, f_q_j, f0, p_i, p_j, q_i, q_j, rescue_scale())
    return r


cdef inline double _one_sided_second(double f_2, double f_d, double f0, double d, double e,
                                     double s) noexcept nogil:
    return 2.0 * ((s * f_2 - s * f_d) / (e - d) - (s * f_d - s * f0) / d) / e / s


cdef inline double one_sided_second_difference(double f_2, double f_d, double f0, double d,
                                               double e) noexcept nogil:
    """H_ii = 2 [(f_2 - f_d) / (e - d) - (f_d - f0) / d] / e: the one-sided second difference, O(h)."""
    cdef double r = _one_sided_second(f_2, f_d, f0, d, e, 1.0)
    if overflowed(r, f_2, f_d, f0, 0.0):
        r = _one_sided_second(f_2, f_d, f0, d, e, rescue_scale())
    return r


cdef inline double _one_sided_pair(double f_dd, double f_d_i, double f_d_j, double f0, double d_i,
                                   double d_j, double s) noexcept nogil:
    return ((s * f_dd - s * f_d_i) - (s * f_d_j - s * f0)) / (d_i * d_j) / s


cdef inline double one_sided_pair_term(double f_dd, double f_d_i, double f_d_j, double f0, double d_i,
                                       double d_j) noexcept nogil:
    """H_ij = (f_dd - f_d_i - f_d_j + f0) / (d_i d_j): the one-sided mixed difference, O(h)."""
    cdef double r = _one_sided_pair(f_dd, f_d_i, f_d_j, f0, d_i, d_j, 1.0)
    if overflowed(r, f_dd, f_d_i, f_d_j, f0):
        r = _one_sided_pair(f_dd, f_d_i, f_d_j, f0, d_i, d_j, rescue_scale())
    return r
