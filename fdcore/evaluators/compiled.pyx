# cython: language_level=3
# Kernel directives (boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False)
# are set in setup.py, not here: header directives would override FDCORE_DEBUG_CYTHON=1.
"""Evaluators for compiled objectives (C callbacks): nogil, OpenMP-parallel over coordinates.

Each thread perturbs its own work copy of x (malloc'ed inside the parallel region), so results
do not depend on the thread count: every output entry is computed by the same arithmetic in the
same order whichever thread computes it. Nothing inside a parallel region raises: allocation
failures and non-zero statuses of vector callbacks are recorded (under the GIL, on that rare
path) and turned into exceptions after the region. All kernels release the GIL, and the calling
thread polls for signals every 0.1 s (fdcore.evaluators.signals), so Ctrl-C stops a long run promptly.

The C-level entry points are declared in _ckernels.pxd for other Cython code to cimport.
"""

from cython.parallel cimport parallel, prange, threadid
from libc.stdlib cimport free, malloc
from libc.string cimport memcpy

import numpy as np

from fdcore.evaluators.signals cimport INTERRUPTED, SignalWatch, interrupted, watch_start
from fdcore.evaluators.threads cimport omp_get_max_threads

# Below this many coordinates (pairs for Hessians) a kernel runs serially: thread start-up
# (~5-20 us) would cost more than it saves for cheap objectives.
SERIAL_BELOW = 32

cdef inline double *work_copy(const double *x, int n, int extra, int *nomem) noexcept nogil:
    """A thread's private copy of x (plus ``extra`` doubles of scratch), or NULL with *nomem set."""
    cdef double *w = <double *>malloc((n + extra) * sizeof(double))
    if w == NULL:
        nomem[0] = 1
    else:
        memcpy(w, x, n * sizeof(double))
    return w


cdef inline void record_failure(Py_ssize_t i, int status, Py_ssize_t *failed_index,
                                int *failed_status) noexcept nogil:
    """Keep the failure of the smallest coordinate index.

    After a failure at i, coordinates above i are skipped but those below still run, so the
    reported coordinate is the smallest failing one whatever the thread count or timing."""
    with gil:
        if failed_index[0] < 0 or i < failed_index[0]:
            failed_index[0] = i
            failed_status[0] = status


cdef inline int _status(int nomem, SignalWatch *watch, bint failed) noexcept nogil:
    """A kernel's return code: -2 out of memory, INTERRUPTED, -1 a callback failed, else 0."""
    if nomem:
        return -2
    if watch.stop:
        return INTERRUPTED
    return -1 if failed else 0


cdef int two_point_gradient_c(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                              int plus, int minus, double f0, double *out,
                              int num_threads) noexcept nogil:
    """out[i] = (f(x + plus h_i e_i) - f(x + minus h_i e_i)) / realized span; node 0 uses f0.
    Returns 0, -2 if a work copy could not be allocated, or INTERRUPTED."""
    cdef Py_ssize_t i
    cdef double *w
    cdef double xi, x_hi, x_lo, f_hi, f_lo
    cdef int nomem[1], thread
    cdef SignalWatch watch
    nomem[0] = 0
    watch_start(&watch)
    with parallel(num_threads=num_threads):
        w = work_copy(x, n, 0, nomem)
        thread = threadid()
        for i in prange(n, schedule="static"):
            if w == NULL or interrupted(&watch, thread):
                continue
            xi = x[i]
            x_hi = xi + plus * h[i]
            x_lo = xi + minus * h[i]
            if plus != 0:
                w[i] = x_hi
                f_hi = f(n, w, user_data)
            else:
                f_hi = f0
            if minus != 0:
                w[i] = x_lo
                f_lo = f(n, w, user_data)
            else:
                f_lo = f0
            w[i] = xi
            out[i] = (f_hi - f_lo) / (x_hi - x_lo)
        free(w)
    return _status(nomem[0], &watch, 0)


cdef int central_gradient(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                          double *out, int num_threads) noexcept nogil:
    """The central two-point gradient (2n evaluations); see two_point_gradient_c."""
    return two_point_gradient_c(f, user_data, n, x, h, 1, -1, 0.0, out, num_threads)


cdef int two_point_jacobian_c(vector_fn f, void *user_data, int n, const double *x, const double *h,
                              int plus, int minus, const double *f0, int m, double *out,
                              int num_threads, Py_ssize_t *failed_index,
                              int *failed_status) noexcept nogil:
    """out (m x n, row-major)[k, i] = (f_k(x + plus h_i e_i) - f_k(x + minus h_i e_i)) / span."""
    cdef Py_ssize_t i, k
    cdef double *w
    cdef double *f_hi
    cdef double *f_lo
    cdef double xi, x_hi, x_lo, span
    cdef int status
    cdef int nomem[1], thread
    cdef SignalWatch watch
    nomem[0] = 0
    watch_start(&watch)
    with parallel(num_threads=num_threads):
        w = work_copy(x, n, 2 * m, nomem)
        f_hi = w + n
        f_lo = w + n + m
        thread = threadid()
        for i in prange(n, schedule="static"):
            if w == NULL or 0 <= failed_index[0] < i or interrupted(&watch, thread):
                continue  # after a failure only later coordinates stop: see record_failure
            xi = x[i]
            x_hi = xi + plus * h[i]
            x_lo = xi + minus * h[i]
            status = 0
            if plus != 0:
                w[i] = x_hi
                status = f(n, w, m, f_hi, user_data)
            else:
                memcpy(f_hi, f0, m * sizeof(double))
            if status == 0 and minus != 0:
                w[i] = x_lo
                status = f(n, w, m, f_lo, user_data)
            elif minus == 0:
                memcpy(f_lo, f0, m * sizeof(double))
            w[i] = xi
            if status != 0:
                record_failure(i, status, failed_index, failed_status)
                continue
            span = x_hi - x_lo
            for k in range(m):
                out[k * n + i] = (f_hi[k] - f_lo[k]) / span
        free(w)
    return _status(nomem[0], &watch, failed_index[0] >= 0)


cdef int axis_values_scalar(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                            const double *nodes, int K, const Py_ssize_t *coords, Py_ssize_t B,
                            double *values, double *offsets, int num_threads) noexcept nogil:
    """values[b, k] = f(x + nodes[k] h_i e_i), offsets[b, k] = realized offset, i = coords[b]."""
    cdef Py_ssize_t b, i, k
    cdef double *w
    cdef double xi
    cdef int nomem[1], thread
    cdef SignalWatch watch
    nomem[0] = 0
    watch_start(&watch)
    with parallel(num_threads=num_threads):
        w = work_copy(x, n, 0, nomem)
        thread = threadid()
        for b in prange(B, schedule="static"):
            if w == NULL or interrupted(&watch, thread):
                continue
            i = coords[b]
            xi = x[i]
            for k in range(K):
                w[i] = xi + nodes[k] * h[i]
                offsets[b * K + k] = w[i] - xi
                values[b * K + k] = f(n, w, user_data)
            w[i] = xi
        free(w)
    return _status(nomem[0], &watch, 0)


cdef int axis_values_vec(vector_fn f, void *user_data, int n, const double *x, const double *h,
                         const double *nodes, int K, const Py_ssize_t *coords, Py_ssize_t B, int m,
                         double *values, double *offsets, int num_threads,
                         Py_ssize_t *failed_index, int *failed_status) noexcept nogil:
    """values[b, k, :] = f(x + nodes[k] h_i e_i) for a vector f; see axis_values_scalar."""
    cdef Py_ssize_t b, i, k
    cdef double *w
    cdef double xi
    cdef int status
    cdef int nomem[1], thread
    cdef SignalWatch watch
    nomem[0] = 0
    watch_start(&watch)
    with parallel(num_threads=num_threads):
        w = work_copy(x, n, 0, nomem)
        thread = threadid()
        for b in prange(B, schedule="static"):
            i = coords[b]
            if w == NULL or 0 <= failed_index[0] < i or interrupted(&watch, thread):
                continue  # after a failure only later coordinates stop: see record_failure
            xi = x[i]
            for k in range(K):
                w[i] = xi + nodes[k] * h[i]
                offsets[b * K + k] = w[i] - xi
                status = f(n, w, m, values + (b * K + k) * m, user_data)
                if status != 0:
                    record_failure(i, status, failed_index, failed_status)
                    break
            w[i] = xi
        free(w)
    return _status(nomem[0], &watch, failed_index[0] >= 0)


cdef int central_hessian_c(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                           double f0, double *out, int num_threads) noexcept nogil:
    """The n^2 + n + 1 stencil of fdcore.evaluators.python_callable.central_hessian (f0 given); out is n x n.

    Axis points first (parallel over i), then the pairs (parallel over rows i, dynamic schedule:
    row i has n - i - 1 pairs)."""
    cdef Py_ssize_t i, j
    cdef double *w
    cdef double *p
    cdef double *q
    cdef double *f_p
    cdef double *f_q
    cdef double xi, xj, a, c
    cdef int nomem[1], thread
    cdef SignalWatch watch
    nomem[0] = 0
    p = <double *>malloc(4 * n * sizeof(double))
    if p == NULL:
        return -2
    q = p + n
    f_p = p + 2 * n
    f_q = p + 3 * n
    watch_start(&watch)
    with parallel(num_threads=num_threads):
        w = work_copy(x, n, 0, nomem)
        thread = threadid()
        for i in prange(n, schedule="static"):
            if w == NULL or interrupted(&watch, thread):
                continue
            xi = x[i]
            w[i] = xi + h[i]
            p[i] = w[i] - xi
            f_p[i] = f(n, w, user_data)
            w[i] = xi - h[i]
            q[i] = xi - w[i]
            f_q[i] = f(n, w, user_data)
            w[i] = xi
            out[i * n + i] = 2.0 * ((f_p[i] - f0) / p[i] - (f0 - f_q[i]) / q[i]) / (p[i] + q[i])
        free(w)
    if nomem[0] or watch.stop:
        free(p)
        return _status(nomem[0], &watch, 0)
    with parallel(num_threads=num_threads):
        w = work_copy(x, n, 0, nomem)
        thread = threadid()
        for i in prange(n, schedule="dynamic"):
            if w == NULL:
                continue
            xi = x[i]
            for j in range(i + 1, n):
                if interrupted(&watch, thread):  # polled per pair: a row can hold n - 1 of them
                    break
                xj = x[j]
                w[i] = xi + h[i]
                w[j] = xj + h[j]
                a = f(n, w, user_data)
                w[i] = xi - h[i]
                w[j] = xj - h[j]
                c = f(n, w, user_data)
                w[j] = xj
                a = (a - f_p[i]) - (f_p[j] - f0)
                c = (c - f_q[i]) - (f_q[j] - f0)
                out[i * n + j] = (a + c) / (p[i] * p[j] + q[i] * q[j])
                out[j * n + i] = out[i * n + j]
            w[i] = xi
        free(w)
    free(p)
    return _status(nomem[0], &watch, 0)


cdef int one_sided_hessian_c(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                             int sign, double f0, double *out, int num_threads) noexcept nogil:
    """The n(n + 1)/2 + n + 1 stencil of fdcore.evaluators.python_callable.one_sided_hessian (f0 given)."""
    cdef Py_ssize_t i, j
    cdef double *w
    cdef double *d
    cdef double *f_d
    cdef double xi, xj, e, f2, a
    cdef int nomem[1], thread
    cdef SignalWatch watch
    nomem[0] = 0
    d = <double *>malloc(2 * n * sizeof(double))
    if d == NULL:
        return -2
    f_d = d + n
    watch_start(&watch)
    with parallel(num_threads=num_threads):
        w = work_copy(x, n, 0, nomem)
        thread = threadid()
        for i in prange(n, schedule="static"):
            if w == NULL or interrupted(&watch, thread):
                continue
            xi = x[i]
            w[i] = xi + sign * h[i]
            d[i] = w[i] - xi
            f_d[i] = f(n, w, user_data)
            w[i] = xi + 2 * sign * h[i]
            e = w[i] - xi
            f2 = f(n, w, user_data)
            w[i] = xi
            out[i * n + i] = 2.0 * ((f2 - f_d[i]) / (e - d[i]) - (f_d[i] - f0) / d[i]) / e
        free(w)
    if nomem[0] or watch.stop:
        free(d)
        return _status(nomem[0], &watch, 0)
    with parallel(num_threads=num_threads):
        w = work_copy(x, n, 0, nomem)
        thread = threadid()
        for i in prange(n, schedule="dynamic"):
            if w == NULL:
                continue
            xi = x[i]
            w[i] = xi + sign * h[i]
            for j in range(i + 1, n):
                if interrupted(&watch, thread):  # polled per pair: a row can hold n - 1 of them
                    break
                xj = x[j]
                w[j] = xj + sign * h[j]
                a = f(n, w, user_data)
                w[j] = xj
                a = (a - f_d[i]) - (f_d[j] - f0)
                out[i * n + j] = a / (d[i] * d[j])
                out[j * n + i] = out[i * n + j]
            w[i] = xi
        free(w)
    free(d)
    return _status(nomem[0], &watch, 0)


# ---------------------------------------------------------------------------------------------
# Python-level evaluator: the same methods as fdcore.evaluators.python_callable, for a compiled objective
# ---------------------------------------------------------------------------------------------

cdef class CompiledKernels:
    """The evaluator for a compiled objective (built by fdcore.evaluators.callbacks.compiled_kernels).

    Its methods take the same arguments as fdcore.evaluators.python_callable' functions (f, the work copy w, the
    read-only view, ...) so the façade dispatches without knowing the objective's kind; f, the
    view and the extra arguments are ignored (the callback, its user_data and, for a vector
    callback, its output size m were bound at construction). float64 only. All kernels release
    the GIL.
    """

    cdef scalar_fn scalar
    cdef vector_fn vector
    cdef void *user_data
    cdef readonly bint is_vector
    cdef readonly int m
    cdef readonly int num_threads
    cdef object keepalive

    def __cinit__(self, size_t address, size_t user_data, bint is_vector, int m, int num_threads,
                  keepalive):
        if is_vector:
            self.vector = <vector_fn>address
        else:
            self.scalar = <scalar_fn>address
        self.user_data = <void *>user_data
        self.is_vector = is_vector
        self.m = m
        self.num_threads = num_threads if num_threads > 0 else omp_get_max_threads()
        self.keepalive = keepalive  # the objects owning the callback's code and user data

    cdef int _threads(self, Py_ssize_t work):
        return 1 if work < SERIAL_BELOW else self.num_threads

    def _need(self, bint vector):
        if vector != self.is_vector:
            if vector:
                raise ValueError("this entry point needs a vector callback, "
                                 "int f(int n, double *x, int m, double *out, void *user_data)")
            raise ValueError("this entry point needs a scalar callback, "
                             "double f(int n, double *x, void *user_data)")

    def eval_scalar(self, f, const double[::1] w_arg, tuple extra_args, dict kwargs):
        """f at the point w_arg (a scalar callback). Releases the GIL."""
        self._need(False)
        cdef double value
        with nogil:
            value = self.scalar(<int>w_arg.shape[0], <double *>&w_arg[0], self.user_data)
        return value

    def eval_vector(self, f, const double[::1] w_arg, tuple extra_args, dict kwargs):
        """f at the point w_arg (a vector callback): a new array of shape (m,). Releases the GIL."""
        self._need(True)
        out = np.empty(self.m)
        cdef double[::1] o = out
        cdef int status
        with nogil:
            status = self.vector(<int>w_arg.shape[0], <double *>&w_arg[0], self.m, &o[0], self.user_data)
        if status != 0:
            raise RuntimeError(f"the callback returned status {status}")
        return out

    def two_point_gradient(self, f, double[::1] w, w_arg, const double[::1] h, int plus, int minus,
                           double f0, out, tuple extra_args, dict kwargs):
        self._need(False)
        cdef int n = <int>w.shape[0], nt = self._threads(w.shape[0]), rc
        cdef double[::1] result = _contiguous(out)
        with nogil:
            rc = two_point_gradient_c(self.scalar, self.user_data, n, &w[0], &h[0], plus, minus, f0,
                                      &result[0], nt)
        _check(rc, 0, 0)
        _copy_back(result, out)

    def two_point_jacobian(self, f, double[::1] w, w_arg, const double[::1] h, int plus, int minus,
                           f0, out, tuple extra_args, dict kwargs):
        self._need(True)
        cdef int n = <int>w.shape[0], nt = self._threads(w.shape[0]), rc
        cdef Py_ssize_t failed_index = -1
        cdef int failed_status = 0
        cdef const double[::1] centre
        cdef const double *centre_ptr = NULL
        if out is None:
            out = np.empty((self.m, n))
        elif out.shape != (self.m, n):
            raise ValueError(f"out must have shape {(self.m, n)} (m outputs, n inputs), got {out.shape}")
        cdef double[:, ::1] jac = _contiguous(out)
        if f0 is not None:
            centre = f0
            centre_ptr = &centre[0]
        with nogil:
            rc = two_point_jacobian_c(self.vector, self.user_data, n, &w[0], &h[0], plus, minus,
                                      centre_ptr, self.m, &jac[0, 0], nt, &failed_index, &failed_status)
        _check(rc, failed_index, failed_status)
        _copy_back(jac, out)
        return out

    def axis_values(self, f, double[::1] w, w_arg, const double[::1] h, const double[::1] nodes,
                    const Py_ssize_t[::1] coords, double[:, ::1] values, double[:, ::1] offsets,
                    tuple extra_args, dict kwargs):
        self._need(False)
        cdef int n = <int>w.shape[0], rc
        cdef Py_ssize_t B = coords.shape[0]
        cdef int nt = self._threads(B)
        if B == 0:
            return
        with nogil:
            rc = axis_values_scalar(self.scalar, self.user_data, n, &w[0], &h[0], &nodes[0],
                                    <int>nodes.shape[0], &coords[0], B, &values[0, 0],
                                    &offsets[0, 0], nt)
        _check(rc, 0, 0)

    def axis_values_vector(self, f, double[::1] w, w_arg, const double[::1] h,
                           const double[::1] nodes, const Py_ssize_t[::1] coords,
                           double[:, :, ::1] values, double[:, ::1] offsets, tuple extra_args,
                           dict kwargs):
        self._need(True)
        cdef int n = <int>w.shape[0], rc
        cdef Py_ssize_t B = coords.shape[0]
        cdef int nt = self._threads(B)
        cdef Py_ssize_t failed_index = -1
        cdef int failed_status = 0
        if B == 0:
            return
        with nogil:
            rc = axis_values_vec(self.vector, self.user_data, n, &w[0], &h[0], &nodes[0],
                                 <int>nodes.shape[0], &coords[0], B, <int>values.shape[2],
                                 &values[0, 0, 0], &offsets[0, 0], nt, &failed_index, &failed_status)
        _check(rc, failed_index, failed_status)

    def central_hessian(self, f, double[::1] w, w_arg, const double[::1] h, double f0,
                        out, tuple extra_args, dict kwargs):
        self._need(False)
        cdef int n = <int>w.shape[0], nt = self._threads(w.shape[0] * w.shape[0] // 2), rc
        cdef double[:, ::1] result = _contiguous(out)
        with nogil:
            rc = central_hessian_c(self.scalar, self.user_data, n, &w[0], &h[0], f0, &result[0, 0], nt)
        _check(rc, 0, 0)
        _copy_back(result, out)

    def one_sided_hessian(self, f, double[::1] w, w_arg, const double[::1] h, int sign, double f0,
                          out, tuple extra_args, dict kwargs):
        self._need(False)
        cdef int n = <int>w.shape[0], nt = self._threads(w.shape[0] * w.shape[0] // 2), rc
        cdef double[:, ::1] result = _contiguous(out)
        with nogil:
            rc = one_sided_hessian_c(self.scalar, self.user_data, n, &w[0], &h[0], sign, f0,
                                     &result[0, 0], nt)
        _check(rc, 0, 0)
        _copy_back(result, out)


def _contiguous(out):
    """out itself when C-contiguous (the kernels write through raw pointers), else a temporary."""
    return out if out.flags.c_contiguous else np.empty(out.shape)


def _copy_back(result, out):
    if not out.flags.c_contiguous:
        out[...] = np.asarray(result)


cdef int _check(int rc, Py_ssize_t failed_index, int failed_status) except -1:
    """Raise for a kernel's non-zero return code (see _status)."""
    if rc == INTERRUPTED:
        return -1  # the signal handler's exception (e.g. KeyboardInterrupt) is already set
    if rc == -2:
        raise MemoryError("could not allocate the per-thread work copies of x")
    if rc == -1:
        raise RuntimeError(
            f"the callback returned status {failed_status} when perturbing coordinate {failed_index}"
        )
    return 0
