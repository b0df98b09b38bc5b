# cython: language_level=3
# Kernel directives (boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False)
# are set in setup.py, not here: header directives would override FDCORE_DEBUG_CYTHON=1.
"""Evaluators for Python callables: tight loops over coordinates, GIL held (they call Python).

Every kernel works on the caller's private work copy ``w`` of the point and hands f the read-only
view ``w_arg`` of that same memory. A coordinate is perturbed in place (``w[i] = x_i + h_i``), f is
called, and ``w[i]`` is restored, so no array is allocated per evaluation. Differences are divided by
the *realized* offsets ``w[i] - x_i`` (the representable step, e.g. ``(x_i + h_i) - x_i``), not by the
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

import numpy as np

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
    cdef double[::1] checked = vector_from_result(value, m, where)
    dst[:] = checked
    return 0


def eval_scalar(f, w_arg, tuple extra_args, dict kwargs):
    """f(w_arg, *extra_args, **kwargs) as a Python float, validated. Holds the GIL."""
    return call_scalar(f, (w_arg,) + extra_args, kwargs)


def eval_vector(f, w_arg, tuple extra_args, dict kwargs):
    """f(w_arg, *extra_args, **kwargs) as a new float64 1-D array, validated. Holds the GIL.

    Always a copy: f may return the same buffer on every call.
    """
    if kwargs is None:
        value = f(w_arg, *extra_args)
    else:
        value = f(w_arg, *extra_args, **kwargs)
    return vector_from_result(value, -1, "at the centre point").copy()


# ---------------------------------------------------------------------------------------------
# First derivatives: two-point differences along each axis
# ---------------------------------------------------------------------------------------------

def two_point_gradient(f, floating[::1] w, w_arg, const floating[::1] h, int plus, int minus,
                       double f0, floating[:] out, tuple extra_args, dict kwargs):
    """Gradient of a scalar f from one two-point difference per coordinate. Holds the GIL.

    IN   w        private work copy of x (perturbed and restored in place; f sees ``w_arg``)
    IN   h        step per coordinate (> 0)
    IN   plus, minus  stencil nodes in units of h, plus > minus, each in {-1, 0, 1};
                  a node at 0 uses ``f0`` instead of calling f
    OUT  out[i] = (f(x + plus h_i e_i) - f(x + minus h_i e_i)) / (realized distance of the nodes)
    Evaluations: n * (number of nonzero nodes).
    """
    cdef Py_ssize_t i, n = w.shape[0]
    cdef floating xi, x_hi, x_lo
    cdef double f_hi, f_lo
    cdef tuple callargs = (w_arg,) + extra_args
    for i in range(n):
        xi = w[i]
        x_hi = xi + plus * h[i]
        x_lo = xi + minus * h[i]
        if plus != 0:
            w[i] = x_hi
            f_hi = call_scalar(f, callargs, kwargs)
        else:
            f_hi = f0
        if minus != 0:
            w[i] = x_lo
            f_lo = call_scalar(f, callargs, kwargs)
        else:
            f_lo = f0
        w[i] = xi
        out[i] = <floating>((f_hi - f_lo) / (<double>x_hi - <double>x_lo))


def two_point_jacobian(f, floating[::1] w, w_arg, const floating[::1] h, int plus, int minus,
                       f0, out, tuple extra_args, dict kwargs):
    """Jacobian (m, n) of a vector f, one two-point difference per coordinate. Holds the GIL.

    Same stencil as ``two_point_gradient``. ``f0`` is f(x) as a float64 array (needed, and then
    defining m, when a node is 0) or None. ``out`` is an (m, n) array of w's dtype, or None to
    allocate one once m is known from the first evaluation. Returns the Jacobian.
    Evaluations: n * (number of nonzero nodes).
    """
    cdef Py_ssize_t i, k, n = w.shape[0]
    cdef Py_ssize_t m = -1 if f0 is None else len(f0)
    cdef floating xi, x_hi, x_lo
    cdef double span
    cdef double[::1] f_hi, f_lo, f_centre, f_first = None
    cdef floating[:, :] jac
    cdef tuple callargs = (w_arg,) + extra_args

    if m < 0:  # m comes from the first evaluation, which is f(x + h_0 e_0)
        xi = w[0]
        w[0] = xi + plus * h[0]
        f_first = eval_vector(f, w_arg, extra_args, kwargs)
        w[0] = xi
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
        xi = w[i]
        x_hi = xi + plus * h[i]
        x_lo = xi + minus * h[i]
        if plus == 0:
            f_hi[:] = f_centre
        elif i == 0 and f_first is not None:
            f_hi[:] = f_first
        else:
            w[i] = x_hi
            call_vector(f, callargs, kwargs, f_hi, i)
        if minus == 0:
            f_lo[:] = f_centre
        else:
            w[i] = x_lo
            call_vector(f, callargs, kwargs, f_lo, i)
        w[i] = xi
        span = <double>x_hi - <double>x_lo
        for k in range(m):
            jac[k, i] = <floating>((f_hi[k] - f_lo[k]) / span)
    return out


# ---------------------------------------------------------------------------------------------
# Second derivatives
# ---------------------------------------------------------------------------------------------

def central_hessian(f, floating[::1] w, w_arg, const floating[::1] h, double f0,
                    floating[:, :] out, tuple extra_args, dict kwargs):
    """Symmetric Hessian of a scalar f with n^2 + n + 1 evaluations (f0 included). Holds the GIL.

    With realized steps p_i = (x_i + h_i) - x_i and q_i = x_i - (x_i - h_i):
      H_ii = 2 [(f(x + p_i e_i) - f0) / p_i - (f0 - f(x - q_i e_i)) / q_i] / (p_i + q_i)
      H_ij = (A + B) / (p_i p_j + q_i q_j),   i != j, where
        A = f(x + p_i e_i + p_j e_j) - f(x + p_i e_i) - f(x + p_j e_j) + f0
        B = f(x - q_i e_i - q_j e_j) - f(x - q_i e_i) - f(x - q_j e_j) + f0.
    A = H_ij p_i p_j and B = H_ij q_i q_j exactly for a quadratic; the odd Taylor terms of A and B
    cancel in the sum, so the error is O(h^2) (the 7-point stencil of Abramowitz & Stegun 25.3.27
    generalised to unequal steps). Each pair costs 2 evaluations instead of the 4 of the
    symmetric four-corner stencil. ``out`` must be (n, n); it is written in full.
    """
    cdef Py_ssize_t i, j, n = w.shape[0]
    cdef floating xi, xj
    cdef double a, b
    cdef double[::1] p = np.empty(n), q = np.empty(n), f_p = np.empty(n), f_q = np.empty(n)
    cdef tuple callargs = (w_arg,) + extra_args
    for i in range(n):
        xi = w[i]
        w[i] = xi + h[i]
        p[i] = <double>w[i] - <double>xi
        f_p[i] = call_scalar(f, callargs, kwargs)
        w[i] = xi - h[i]
        q[i] = <double>xi - <double>w[i]
        f_q[i] = call_scalar(f, callargs, kwargs)
        w[i] = xi
        out[i, i] = <floating>(2.0 * ((f_p[i] - f0) / p[i] - (f0 - f_q[i]) / q[i]) / (p[i] + q[i]))
    for i in range(n):
        xi = w[i]
        for j in range(i + 1, n):
            xj = w[j]
            w[i] = xi + h[i]
            w[j] = xj + h[j]
            a = call_scalar(f, callargs, kwargs)
            w[i] = xi - h[i]
            w[j] = xj - h[j]
            b = call_scalar(f, callargs, kwargs)
            w[j] = xj
            a = (a - f_p[i]) - (f_p[j] - f0)
            b = (b - f_q[i]) - (f_q[j] - f0)
            out[i, j] = <floating>((a + b) / (p[i] * p[j] + q[i] * q[j]))
            out[j, i] = out[i, j]
        w[i] = xi


def one_sided_hessian(f, floating[::1] w, w_arg, const floating[::1] h, int sign, double f0,
                      floating[:, :] out, tuple extra_args, dict kwargs):
    """Symmetric Hessian from one side only (sign=+1 forward, -1 backward). Holds the GIL.

    Uses f0, f(x + s_i e_i), f(x + 2 s_i e_i) and f(x + s_i e_i + s_j e_j) with s_i = sign * h_i:
    n(n + 1)/2 + n + 1 evaluations, about half the central count, but only O(h) accurate.
    With realized offsets d_i = (x_i + s_i) - x_i and e_i = (x_i + 2 s_i) - x_i:
      H_ii = 2 [(f(x + e_i) - f(x + d_i)) / (e_i - d_i) - (f(x + d_i) - f0) / d_i] / e_i
      H_ij = (f(x + d_i e_i + d_j e_j) - f(x + d_i e_i) - f(x + d_j e_j) + f0) / (d_i d_j).
    """
    cdef Py_ssize_t i, j, n = w.shape[0]
    cdef floating xi, xj
    cdef double f2, a
    cdef double[::1] d = np.empty(n), f_d = np.empty(n)
    cdef double e
    cdef tuple callargs = (w_arg,) + extra_args
    for i in range(n):
        xi = w[i]
        w[i] = xi + sign * h[i]
        d[i] = <double>w[i] - <double>xi
        f_d[i] = call_scalar(f, callargs, kwargs)
        w[i] = xi + 2 * sign * h[i]
        e = <double>w[i] - <double>xi
        f2 = call_scalar(f, callargs, kwargs)
        w[i] = xi
        out[i, i] = <floating>(2.0 * ((f2 - f_d[i]) / (e - d[i]) - (f_d[i] - f0) / d[i]) / e)
    for i in range(n):
        xi = w[i]
        w[i] = xi + sign * h[i]
        for j in range(i + 1, n):
            xj = w[j]
            w[j] = xj + sign * h[j]
            a = call_scalar(f, callargs, kwargs)
            w[j] = xj
            a = (a - f_d[i]) - (f_d[j] - f0)
            out[i, j] = <floating>(a / (d[i] * d[j]))
            out[j, i] = out[i, j]
        w[i] = xi


# ---------------------------------------------------------------------------------------------
# General axis stencils: raw values for the numerics layer (higher orders, Richardson)
# ---------------------------------------------------------------------------------------------

def axis_values(f, floating[::1] w, w_arg, const floating[::1] h, const double[::1] nodes,
                const Py_ssize_t[::1] coords, double[:, ::1] values, double[:, ::1] offsets,
                tuple extra_args, dict kwargs):
    """Values of a scalar f at x + c_k h_i e_i for the coordinates i = coords[b]. Holds the GIL.

    IN   nodes    nonzero stencil offsets c_k in units of h (the centre f(x) is the caller's)
    IN   coords   the coordinates to perturb (all of them, or those a retry needs)
    OUT  values[b, k]   f(x + c_k h_i e_i)
    OUT  offsets[b, k]  the realized offset (x_i + c_k h_i) - x_i
    Evaluations: len(coords) * len(nodes).
    """
    cdef Py_ssize_t b, i, k, K = nodes.shape[0]
    cdef floating xi
    cdef tuple callargs = (w_arg,) + extra_args
    for b in range(coords.shape[0]):
        i = coords[b]
        xi = w[i]
        for k in range(K):
            w[i] = <floating>(xi + nodes[k] * h[i])
            offsets[b, k] = <double>w[i] - <double>xi
            values[b, k] = call_scalar(f, callargs, kwargs)
        w[i] = xi


def axis_values_vector(f, floating[::1] w, w_arg, const floating[::1] h, const double[::1] nodes,
                       const Py_ssize_t[::1] coords, double[:, :, ::1] values, double[:, ::1] offsets,
                       tuple extra_args, dict kwargs):
    """Like ``axis_values`` for a vector f: values[b, k, :] = f(x + c_k h_i e_i), i = coords[b].

    The caller passes coordinates in blocks, keeping memory at len(coords) * K * m doubles
    whatever n is. Holds the GIL.
    """
    cdef Py_ssize_t b, i, k, K = nodes.shape[0]
    cdef floating xi
    cdef tuple callargs = (w_arg,) + extra_args
    for b in range(coords.shape[0]):
        i = coords[b]
        xi = w[i]
        for k in range(K):
            w[i] = <floating>(xi + nodes[k] * h[i])
            offsets[b, k] = <double>w[i] - <double>xi
            call_vector(f, callargs, kwargs, values[b, k], i)
        w[i] = xi


# ---------------------------------------------------------------------------------------------
# Complex step
# ---------------------------------------------------------------------------------------------

def complex_step_gradient(f, complexing[::1] w, w_arg, const double[::1] h, double[::1] out,
                          tuple extra_args, dict kwargs):
    """out[i] = Im f(x + i h_i e_i) / h_i: the complex-step derivative. Holds the GIL.

    No difference of nearby values is formed, so there is no cancellation and h can be tiny
    (Squire & Trapp, SIAM Rev. 40 (1998) 110-112). f must be complex-analytic and accept complex x.
    Evaluations: n.
    """
    cdef Py_ssize_t i, n = w.shape[0]
    cdef complexing xi
    cdef tuple callargs = (w_arg,) + extra_args
    for i in range(n):
        PyErr_CheckSignals()
        xi = w[i]
        w[i] = xi + 1j * h[i]
        if kwargs is None:
            value = f(*callargs)
        else:
            value = f(*callargs, **kwargs)
        w[i] = xi
        if PyComplex_Check(value):
            out[i] = PyComplex_ImagAsDouble(value) / h[i]
        else:
            out[i] = imag_from_result(value, i) / h[i]


def complex_step_jacobian(f, complexing[::1] w, w_arg, const double[::1] h, tuple extra_args,
                          dict kwargs):
    """Returns J (m, n), J[:, i] = Im f(x + i h_i e_i) / h_i, for a vector f. Holds the GIL.

    m comes from the first evaluation (coordinate 0). Evaluations: n.
    """
    cdef Py_ssize_t i, k, n = w.shape[0], m = -1
    cdef complexing xi
    cdef double[::1] column
    cdef double[:, ::1] jac
    for i in range(n):
        PyErr_CheckSignals()
        xi = w[i]
        w[i] = xi + 1j * h[i]
        if kwargs is None:
            value = f(w_arg, *extra_args)
        else:
            value = f(w_arg, *extra_args, **kwargs)
        w[i] = xi
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
