# cython: language_level=3
# Kernel directives (boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False)
# are set in setup.py, not here: header directives would override FDCORE_DEBUG_CYTHON=1.
"""Evaluators for Python callables: tight loops over coordinates, GIL held (they call Python).

Every kernel works on the caller's private work copy ``x_work`` of the point and hands f the read-only
view ``x_view`` of that same memory. A coordinate is perturbed in place (``x_work[i] = x_i + h_i``), f is
called, and ``x_work[i]`` is restored, so no array is allocated per evaluation. Differences are divided by
the *realized* offsets ``x_work[i] - x_i`` (the representable step, e.g. ``(x_i + h_i) - x_i``), not by the
nominal ``h_i``, which removes the step's rounding error from the quotient.

The array handed to f is only valid during the call: f must copy it if it keeps it.
Signals are checked before every call of f (a few ns), so Ctrl-C interrupts a long run even when f
is compiled code (a numba or C extension function) that never runs Python bytecode.
Kernels do not choose steps and know nothing of extrapolation; see fdcore/derivatives/api.py.
"""

from cython cimport floating
from libc.string cimport memcpy
from cpython.complex cimport PyComplex_Check, PyComplex_ImagAsDouble
from cpython.exc cimport PyErr_CheckSignals
from cpython.float cimport PyFloat_Check, PyFloat_AS_DOUBLE
cimport numpy as cnp

from fdcore.evaluators.stencil_terms cimport (central_pair_term, central_second_difference,
                                             one_sided_pair_term, one_sided_second_difference,
                                             two_point_quotient)

import numpy as np

from fdcore.evaluators.points import read_only_view
from fdcore.evaluators.returns import (
    imag_from_result, imag_vector_from_result, scalar_from_result, vector_from_result,
)

ctypedef fused complexing:
    float complex
    double complex

cnp.import_array()


# ---------------------------------------------------------------------------------------------
# Calling f
# ---------------------------------------------------------------------------------------------

cdef inline double call_scalar(object f, tuple callargs, dict kwargs) except? -1.0:
    """f(*callargs, **kwargs) as a C double; floats (incl. NumPy float64) take the fast path."""
    PyErr_CheckSignals()
    if kwargs is None:
        value = f(*callargs)
    else:
        value = f(*callargs, **kwargs)
    if PyFloat_Check(value):
        return PyFloat_AS_DOUBLE(value)
    return scalar_from_result(value)


cdef int call_vector(object f, tuple callargs, dict kwargs, double[::1] dst,
                     Py_ssize_t i) except -1:
    """Call f and copy its 1-D value of length dst.shape[0] into dst.

    ``i`` is the coordinate being perturbed (-1: the centre), for error messages.
    """
    cdef Py_ssize_t k, m = dst.shape[0]
    cdef Py_ssize_t stride
    cdef char *data
    PyErr_CheckSignals()
    if kwargs is None:
        value = f(*callargs)
    else:
        value = f(*callargs, **kwargs)
    if (cnp.PyArray_Check(value)
            and cnp.PyArray_NDIM(<cnp.ndarray>value) == 1
            and cnp.PyArray_DIM(<cnp.ndarray>value, 0) == m
            and cnp.PyArray_TYPE(<cnp.ndarray>value) == cnp.NPY_DOUBLE
            and cnp.PyArray_ISALIGNED(<cnp.ndarray>value)
            and cnp.PyArray_ISNOTSWAPPED(<cnp.ndarray>value)):
        data = cnp.PyArray_BYTES(<cnp.ndarray>value)
        stride = cnp.PyArray_STRIDE(<cnp.ndarray>value, 0)
        for k in range(m):
            dst[k] = (<double *>(data + k * stride))[0]
        return 0
    where = "at the centre point" if i < 0 else f"when perturbing coordinate {i}"
    cdef const double[::1] checked = vector_from_result(value, m, where)  # f's array may be read-only
    dst[:] = checked
    return 0


def eval_vector(f, x_view, tuple extra_args, dict kwargs):
    """f(x_view, *extra_args, **kwargs) as a new float64 1-D array, validated. Holds the GIL.

    Always a copy: f may return the same buffer on every call.
    """
    if kwargs is None:
        value = f(x_view, *extra_args)
    else:
        value = f(x_view, *extra_args, **kwargs)
    return vector_from_result(value, -1, "at the centre point").copy()


# ---------------------------------------------------------------------------------------------
# First derivatives: two-point differences along each axis
# ---------------------------------------------------------------------------------------------

def two_point_gradient(f, floating[::1] x_work, x_view, const floating[::1] h, int plus, int minus,
                       double f0, floating[:] out, tuple extra_args, dict kwargs):
    """Gradient of a scalar f from one two-point difference per coordinate. Holds the GIL.

    IN   x_work        private work copy of x (perturbed and restored in place; f sees ``x_view``)
    IN   h        step per coordinate (> 0)
    IN   plus, minus  stencil nodes in units of h, plus > minus, each in {-1, 0, 1};
                  a node at 0 uses ``f0`` instead of calling f
    OUT  out[i] = (f(x + plus h_i e_i) - f(x + minus h_i e_i)) / (realized distance of the nodes)
    Evaluations: n * (number of nonzero nodes).
    """
    cdef Py_ssize_t i, n = x_work.shape[0]
    cdef floating xi, x_hi, x_lo
    cdef double f_hi, f_lo
    cdef tuple callargs = (x_view,) + extra_args
    for i in range(n):
        xi = x_work[i]
        x_hi = xi + plus * h[i]
        x_lo = xi + minus * h[i]
        if plus != 0:
            x_work[i] = x_hi
            f_hi = call_scalar(f, callargs, kwargs)
        else:
            f_hi = f0
        if minus != 0:
            x_work[i] = x_lo
            f_lo = call_scalar(f, callargs, kwargs)
        else:
            f_lo = f0
        x_work[i] = xi
        out[i] = <floating>two_point_quotient(f_hi, f_lo, x_hi, x_lo)


def two_point_jacobian(f, floating[::1] x_work, x_view, const floating[::1] h, int plus, int minus,
                       f0, out, tuple extra_args, dict kwargs):
    """Jacobian (m, n) of a vector f, one two-point difference per coordinate. Holds the GIL.

    Same stencil as ``two_point_gradient``. ``f0`` is f(x) as a float64 array (needed, and then
    defining m, when a node is 0) or None. ``out`` is an (m, n) array of x_work's dtype, or None to
    allocate one once m is known from the first evaluation. Returns the Jacobian.
    Evaluations: n * (number of nonzero nodes).
    """
    cdef Py_ssize_t i, k, n = x_work.shape[0]
    cdef Py_ssize_t m = -1 if f0 is None else len(f0)
    cdef floating xi, x_hi, x_lo
    cdef double[::1] f_hi, f_lo, f_centre, f_first = None
    cdef floating[:, :] jac
    cdef tuple callargs = (x_view,) + extra_args

    if m < 0:  # m comes from the first evaluation, which is f(x + h_0 e_0)
        xi = x_work[0]
        x_work[0] = xi + plus * h[0]
        f_first = eval_vector(f, x_view, extra_args, kwargs)
        x_work[0] = xi
        m = f_first.shape[0]
    else:
        f_centre = f0
    if out is None:
        # Column i of J is written as row i of J^T: contiguous writes; J is returned as the
        # (Fortran-ordered) transpose view.
        out = np.empty((n, m), dtype=np.float32 if floating is float else np.float64).T
    elif out.shape != (m, n):
        raise ValueError(f"out must have shape {(m, n)} (m outputs, n inputs), got {out.shape}")
    jac = out
    f_hi = np.empty(m)
    f_lo = np.empty(m)
    for i in range(n):
        xi = x_work[i]
        x_hi = xi + plus * h[i]
        x_lo = xi + minus * h[i]
        if plus == 0:
            f_hi[:] = f_centre
        elif i == 0 and f_first is not None:
            f_hi[:] = f_first
        else:
            x_work[i] = x_hi
            call_vector(f, callargs, kwargs, f_hi, i)
        if minus == 0:
            f_lo[:] = f_centre
        else:
            x_work[i] = x_lo
            call_vector(f, callargs, kwargs, f_lo, i)
        x_work[i] = xi
        for k in range(m):
            jac[k, i] = <floating>two_point_quotient(f_hi[k], f_lo[k], x_hi, x_lo)
    return out


# ---------------------------------------------------------------------------------------------
# Second derivatives
# ---------------------------------------------------------------------------------------------

def hessian(f, floating[::1] x_work, x_view, const floating[::1] h, int sign, double f0,
            floating[:, :] out, tuple extra_args, dict kwargs):
    """Symmetric Hessian of a scalar f into ``out`` (n, n), f0 = f(x) given. Holds the GIL.

    sign = 0: the central stencil, n^2 + n evaluations, O(h^2): axis points x + p_i e_i and
    x - q_i e_i, pairs x + p_i e_i + p_j e_j and x - q_i e_i - q_j e_j (2 per pair, reusing the
    axis points). sign = +1 / -1: the forward / backward stencil, n(n + 1)/2 + n evaluations,
    O(h): axis points x + d_i e_i and x + e_i e_i (d_i, e_i the realized s_i and 2 s_i,
    s_i = sign h_i), pairs x + d_i e_i + d_j e_j. The formulas: stencil_terms.pxd.
    """
    cdef Py_ssize_t i, j, n = x_work.shape[0]
    cdef floating xi, xj
    cdef bint central = sign == 0
    # The two axis points of coordinate i sit at x_i + c1 h_i and x_i + c2 h_i.
    cdef int c1 = 1 if central else sign
    cdef int c2 = -1 if central else 2 * sign
    cdef double f_pair, value
    cdef double[::1] o1 = np.empty(n), o2 = np.empty(n), f1 = np.empty(n), f2 = np.empty(n)
    cdef tuple callargs = (x_view,) + extra_args
    for i in range(n):
        xi = x_work[i]
        x_work[i] = xi + c1 * h[i]
        o1[i] = <double>x_work[i] - <double>xi
        f1[i] = call_scalar(f, callargs, kwargs)
        x_work[i] = xi + c2 * h[i]
        o2[i] = <double>x_work[i] - <double>xi
        f2[i] = call_scalar(f, callargs, kwargs)
        x_work[i] = xi
        if central:  # q_i = -o2[i] exactly
            out[i, i] = <floating>central_second_difference(f1[i], f2[i], f0, o1[i], -o2[i])
        else:
            out[i, i] = <floating>one_sided_second_difference(f2[i], f1[i], f0, o1[i], o2[i])
    for i in range(n):
        xi = x_work[i]
        for j in range(i + 1, n):
            xj = x_work[j]
            x_work[i] = xi + c1 * h[i]
            x_work[j] = xj + c1 * h[j]
            f_pair = call_scalar(f, callargs, kwargs)
            if central:
                x_work[i] = xi + c2 * h[i]
                x_work[j] = xj + c2 * h[j]
                value = central_pair_term(f_pair, call_scalar(f, callargs, kwargs), f1[i], f1[j], f2[i], f2[j],
                                          f0, o1[i], o1[j], -o2[i], -o2[j])
            else:
                value = one_sided_pair_term(f_pair, f1[i], f1[j], f0, o1[i], o1[j])
            x_work[j] = xj
            out[i, j] = <floating>value
            out[j, i] = out[i, j]
        x_work[i] = xi


# ---------------------------------------------------------------------------------------------
# General axis stencils: raw values for the numerics layer (higher orders, Richardson)
# ---------------------------------------------------------------------------------------------

def axis_values(f, floating[::1] x_work, x_view, const floating[::1] h, const double[::1] nodes,
                const Py_ssize_t[::1] coords, double[:, :, ::1] values, double[:, ::1] offsets,
                bint scalar, tuple extra_args, dict kwargs):
    """Values of f at x + c_k h_i e_i for the coordinates i = coords[b]. Holds the GIL.

    IN   nodes    nonzero stencil offsets c_k in units of h (the centre f(x) is the caller's)
    IN   coords   the coordinates to perturb (all of them, or those a retry needs)
    IN   scalar   f returns a scalar (values has m = 1) or, if false, a 1-D array of length m
    OUT  values[b, k, :]  f(x + c_k h_i e_i)
    OUT  offsets[b, k]    the realized offset (x_i + c_k h_i) - x_i
    Evaluations: len(coords) * len(nodes). Callers pass coordinates in blocks, keeping memory at
    len(coords) * K * m doubles whatever n is.
    """
    cdef Py_ssize_t b, i, k, K = nodes.shape[0]
    cdef floating xi
    cdef tuple callargs = (x_view,) + extra_args
    for b in range(coords.shape[0]):
        i = coords[b]
        xi = x_work[i]
        try:
            for k in range(K):
                x_work[i] = <floating>(xi + nodes[k] * h[i])
                offsets[b, k] = <double>x_work[i] - <double>xi
                if scalar:
                    values[b, k, 0] = call_scalar(f, callargs, kwargs)
                else:
                    call_vector(f, callargs, kwargs, values[b, k], i)
        finally:  # x restored when f raises, so that a caller may treat it as a failed probe
            x_work[i] = xi


def pair_values(f, floating[::1] x_work, x_view, const Py_ssize_t[::1] first, const double[::1] first_step,
                const Py_ssize_t[::1] second, const double[::1] second_step, double[::1] values,
                tuple extra_args, dict kwargs):
    """values[k] = f(x + first_step[k] e_i + second_step[k] e_j), i = first[k], j = second[k]
    (j < 0: the axis point x + first_step[k] e_i). Holds the GIL.

    The points of any stencil on coordinate pairs (the accurate Hessian's four-corner check).
    x is restored even when f raises, so that a caller may treat the exception as a failed probe.
    Evaluations: len(first).
    """
    cdef Py_ssize_t k, i, j
    cdef floating xi, xj = 0  # read only when j >= 0, after it is set
    cdef tuple callargs = (x_view,) + extra_args
    for k in range(first.shape[0]):
        i, j = first[k], second[k]
        xi = x_work[i]
        x_work[i] = <floating>(xi + first_step[k])
        if j >= 0:
            xj = x_work[j]
            x_work[j] = <floating>(xj + second_step[k])
        try:
            values[k] = call_scalar(f, callargs, kwargs)
        finally:
            x_work[i] = xi
            if j >= 0:
                x_work[j] = xj


# ---------------------------------------------------------------------------------------------
# Complex step
# ---------------------------------------------------------------------------------------------

def complex_step_gradient(f, complexing[::1] x_work, x_view, const double[::1] h, double[::1] out,
                          tuple extra_args, dict kwargs):
    """out[i] = Im f(x + i h_i e_i) / h_i: the complex-step derivative. Holds the GIL.

    No difference of nearby values is formed, so there is no cancellation and h can be tiny
    (Squire & Trapp, SIAM Rev. 40 (1998) 110-112). f must be complex-analytic and accept complex x.
    Evaluations: n.
    """
    cdef Py_ssize_t i, n = x_work.shape[0]
    cdef complexing xi
    cdef tuple callargs = (x_view,) + extra_args
    for i in range(n):
        PyErr_CheckSignals()
        xi = x_work[i]
        x_work[i] = xi + 1j * h[i]
        if kwargs is None:
            value = f(*callargs)
        else:
            value = f(*callargs, **kwargs)
        x_work[i] = xi
        if PyComplex_Check(value):
            out[i] = PyComplex_ImagAsDouble(value) / h[i]
        else:
            out[i] = imag_from_result(value, i) / h[i]


def complex_step_jacobian(f, complexing[::1] x_work, x_view, const double[::1] h, tuple extra_args,
                          dict kwargs):
    """Returns J (m, n), J[:, i] = Im f(x + i h_i e_i) / h_i, for a vector f. Holds the GIL.

    m comes from the first evaluation (coordinate 0). Evaluations: n.
    """
    cdef Py_ssize_t i, k, n = x_work.shape[0], m = -1
    cdef complexing xi
    cdef double[::1] column
    cdef double[:, ::1] jac
    for i in range(n):
        PyErr_CheckSignals()
        xi = x_work[i]
        x_work[i] = xi + 1j * h[i]
        if kwargs is None:
            value = f(x_view, *extra_args)
        else:
            value = f(x_view, *extra_args, **kwargs)
        x_work[i] = xi
        column = imag_vector_from_result(value, m, i)
        if i == 0:
            m = column.shape[0]
            out = np.empty((m, n))
            jac = out
        for k in range(m):
            jac[k, i] = column[k] / h[i]
    return out


# ---------------------------------------------------------------------------------------------
# Batched evaluation: assembling perturbed points as the columns of a matrix
# ---------------------------------------------------------------------------------------------

def fill_points(const floating[::1] x, const Py_ssize_t[::1] first, const double[::1] first_step,
                const Py_ssize_t[::1] second, const double[::1] second_step, Py_ssize_t start,
                floating[::1, :] points):
    """Column c of ``points`` (n, k, Fortran order: each point contiguous) becomes x with
    x[first[p]] += first_step[p] and, where second[p] >= 0, x[second[p]] += second_step[p], for
    p = start + c. The loop runs without the GIL.

    Perturbed entries are computed in double and rounded once to x's dtype, as the sequential
    kernels do, so realized offsets agree with theirs.
    """
    cdef Py_ssize_t c, p, n = x.shape[0], k = points.shape[1]
    with nogil:
        for c in range(k):
            memcpy(&points[0, c], &x[0], n * sizeof(floating))
        for c in range(k):
            p = start + c
            points[first[p], c] = <floating>(<double>x[first[p]] + first_step[p])
            if second[p] >= 0:
                points[second[p], c] = <floating>(<double>x[second[p]] + second_step[p])


# ---------------------------------------------------------------------------------------------
# The evaluator object (fdcore.evaluators.protocol.Evaluator) for a Python callable
# ---------------------------------------------------------------------------------------------

cdef class PythonCallable:
    """The evaluator for a Python callable f(x, *args, **kwargs), bound to the work copy ``x``.

    Its methods run the kernels above on ``x`` (perturbed in place and restored) and hand f the
    read-only view ``x_view``; the complex step uses a complex work copy made on first use.
    """

    compiled = False
    batched = False
    complex_input = True
    vector_output = None  # known only once f has been called

    cdef readonly object f, x, x_view, kwargs
    cdef readonly tuple args
    cdef object x_complex, x_complex_view

    def __init__(self, f, x, tuple args, kwargs):
        self.f, self.x, self.x_view = f, x, read_only_view(x)
        self.args, self.kwargs = args, kwargs
        self.x_complex = self.x_complex_view = None

    def scalar(self, point=None):
        view = self.x_view if point is None else read_only_view(point)
        return call_scalar(self.f, (view,) + self.args, self.kwargs)

    def vector(self, point=None):
        return eval_vector(self.f, self.x_view if point is None else read_only_view(point), self.args,
                           self.kwargs)

    def raw_values(self, points):
        kwargs = self.kwargs or {}
        return [np.array(self.f(read_only_view(p), *self.args, **kwargs)) for p in points]

    def two_point_gradient(self, h, int plus, int minus, double f0, out):
        two_point_gradient(self.f, self.x, self.x_view, h, plus, minus, f0, out, self.args, self.kwargs)

    def two_point_jacobian(self, h, int plus, int minus, f0, out):
        return two_point_jacobian(self.f, self.x, self.x_view, h, plus, minus, f0, out, self.args, self.kwargs)

    def axis_values(self, h, nodes, coords, values, offsets):
        scalar_values = values.reshape(values.shape + (1,))  # a view: m = 1
        axis_values(self.f, self.x, self.x_view, h, nodes, coords, scalar_values, offsets, True, self.args,
                    self.kwargs)

    def axis_values_vector(self, h, nodes, coords, values, offsets):
        axis_values(self.f, self.x, self.x_view, h, nodes, coords, values, offsets, False, self.args, self.kwargs)

    def hessian(self, h, int sign, double f0, out):
        hessian(self.f, self.x, self.x_view, h, sign, f0, out, self.args, self.kwargs)

    def pair_values(self, first, first_step, second, second_step, values):
        pair_values(self.f, self.x, self.x_view, first, first_step, second, second_step, values, self.args,
                    self.kwargs)

    cdef _complex_copy(self):
        """The complex work copy of x (complex64 for float32 x), made on first use."""
        if self.x_complex is None:
            self.x_complex = self.x.astype(np.complex64 if self.x.dtype == np.float32 else np.complex128)
            self.x_complex_view = read_only_view(self.x_complex)
        return self.x_complex

    def complex_gradient(self, h, out):
        """out[i] = Im f(x + i h_i e_i) / h_i (see complex_step_gradient)."""
        complex_step_gradient(self.f, self._complex_copy(), self.x_complex_view, h, out, self.args, self.kwargs)

    def complex_jacobian(self, h, f=None):
        """J[:, i] = Im f(x + i h_i e_i) / h_i; ``f`` replaces the bound f (e.g. a wrapper of it)."""
        return complex_step_jacobian(self.f if f is None else f, self._complex_copy(), self.x_complex_view, h,
                                     self.args, self.kwargs)
