# cython: language_level=3
# Kernel directives (boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False)
# are set in setup.py, not here: header directives would override FDCORE_DEBUG_CYTHON=1.
"""Evaluators for compiled objectives (C callbacks): nogil, OpenMP-parallel over coordinates.

Each thread perturbs its own work copy of x (malloc'ed inside the parallel region), so results
do not depend on the thread count: every output entry is computed by the same arithmetic in the
same order whichever thread computes it. Nothing inside a parallel region raises: allocation
failures and non-zero statuses of vector callbacks are recorded (under the GIL, on that rare
path) and turned into exceptions after the region. All kernels release the GIL, and the calling
thread polls for signals every 0.1 s (fdcore.evaluators.signals) before each unit of work (a
coordinate's pair of two-point evaluations, a Hessian pair, one evaluation of a multi-node
stencil), so Ctrl-C stops a long run within about 0.1 s plus two evaluations of f (an
evaluation in progress cannot be cut short). Loops are scheduled dynamically so that the
polling thread keeps taking work while any is left. (Polling before every single evaluation
cost 2-3% on cheap objectives: a clock read per evaluation.)

f must not write into its x argument. The kernels check, bit for bit, after every call the
coordinates they perturbed, before perturbing a coordinate that it still holds x's value, and
at the end of each thread's work its whole copy, so any write that outlives the call is refused
(X_WRITTEN): a few compares per evaluation, against O(n) for f itself.

The C-level entry points are declared in compiled.pxd; fdcore/kernels.pxd is their public name.
"""

from cython.parallel cimport parallel, prange, threadid
from libc.stdlib cimport free, malloc
from libc.string cimport memcmp, memcpy

import numpy as np

from fdcore.evaluators.points import read_only_view, require_memory
from fdcore.evaluators.stencil_terms cimport (central_pair_term, central_second_difference,
                                             one_sided_pair_term, one_sided_second_difference,
                                             two_point_quotient)
from fdcore.evaluators.callbacks import MAX_THREADS
from fdcore.evaluators.signals cimport ABORTED, INTERRUPTED, SignalWatch, interrupted, watch_start
from fdcore.evaluators.threads cimport omp_get_max_threads

# Below this many coordinates (pairs for Hessians) a kernel runs serially: thread start-up
# (~5-20 us) would cost more than it saves for cheap objectives.
SERIAL_BELOW = 32

cdef inline double *work_copy(const double *x, int n, int *nomem) noexcept nogil:
    """A thread's private copy of x, or NULL with *nomem set. It is exactly n doubles, nothing
    after it, so that a callback reading past x[n - 1] is caught by AddressSanitizer."""
    cdef double *x_work = <double *>malloc(n * sizeof(double))
    if x_work == NULL:
        nomem[0] = 1
    else:
        memcpy(x_work, x, n * sizeof(double))
    return x_work


cdef inline double *scratch(Py_ssize_t size, int *nomem) noexcept nogil:
    """A thread's private buffer of ``size`` doubles, or NULL with *nomem set."""
    cdef double *buffer = <double *>malloc(size * sizeof(double))
    if buffer == NULL:
        nomem[0] = 1
    return buffer


cdef inline bint kept(const double *slot, double value) noexcept nogil:
    """Whether *slot still holds value bit for bit (a NaN compares equal to itself)."""
    return memcmp(slot, &value, sizeof(double)) == 0


cdef inline void wrote_into_x(int *written, SignalWatch *watch) noexcept nogil:
    """Record that f wrote into its x argument and stop the run: every later value is suspect."""
    written[0] = 1
    watch.stop = 1


cdef inline void check_restored(const double *x_work, const double *x, int n, int *written,
                                SignalWatch *watch) noexcept nogil:
    """At the end of a thread's work its copy must equal x again: catches a write by f to a
    coordinate the thread never perturbed afterwards."""
    if x_work != NULL and memcmp(x_work, x, n * sizeof(double)) != 0:
        wrote_into_x(written, watch)


cdef inline void record_failure(Py_ssize_t i, int status, Py_ssize_t *failed_index,
                                int *failed_status) noexcept nogil:
    """Keep the failure of the smallest coordinate index.

    After a failure at i, coordinates above i are skipped but those below still run, so the
    reported coordinate is the smallest failing one whatever the thread count or timing."""
    with gil:
        if failed_index[0] < 0 or i < failed_index[0]:
            failed_index[0] = i
            failed_status[0] = status


cdef inline int _status(int nomem, SignalWatch *watch, int written, bint failed) noexcept nogil:
    """A kernel's return code, the pending exception's first (see compiled.pxd)."""
    if watch.raised:
        return INTERRUPTED
    if nomem:
        return -2
    if written:
        return X_WRITTEN
    if failed:
        return -1
    return ABORTED if watch.stop else 0


cdef struct ScalarAsVector:
    scalar_fn f
    void *user_data


cdef int scalar_as_vector(int n, double *x, int m, double *out, void *data) noexcept nogil:
    """A scalar callback called as a vector one with m = 1 (status 0): one kernel serves both."""
    cdef ScalarAsVector *scalar = <ScalarAsVector *>data
    out[0] = scalar.f(n, x, scalar.user_data)
    return 0


cdef int two_point_jacobian_c(vector_fn f, void *user_data, int n, const double *x, const double *h,
                              int plus, int minus, const double *f0, int m, double *out,
                              int num_threads, Py_ssize_t *failed_index, int *failed_status,
                              const volatile int *abort) noexcept nogil:
    """out (m x n, row-major)[k, i] = (f_k(x + plus h_i e_i) - f_k(x + minus h_i e_i)) / span."""
    cdef Py_ssize_t i, k
    cdef double *x_work = NULL  # set: the parallel block copies it in (firstprivate), then each thread sets its own
    cdef double *f_hi = NULL
    cdef double *f_lo = NULL
    cdef double xi, x_hi, x_lo
    cdef int status
    cdef bint intact
    cdef int nomem[1]
    cdef int written[1]
    cdef int thread = 0
    cdef SignalWatch watch
    nomem[0] = 0
    written[0] = 0
    watch_start(&watch, abort)
    with parallel(num_threads=num_threads):
        x_work = work_copy(x, n, nomem)
        f_hi = scratch(2 * <Py_ssize_t>m, nomem)
        f_lo = f_hi + m
        thread = threadid()
        for i in prange(n, schedule="dynamic"):
            if x_work == NULL or f_hi == NULL or 0 <= failed_index[0] < i or interrupted(&watch, thread):
                continue  # after a failure only later coordinates stop: see record_failure
            xi = x[i]
            x_hi = xi + plus * h[i]
            x_lo = xi + minus * h[i]
            status = 0
            intact = kept(&x_work[i], xi)
            if plus != 0:
                x_work[i] = x_hi
                status = f(n, x_work, m, f_hi, user_data)
                intact = intact and kept(&x_work[i], x_hi)
            else:
                memcpy(f_hi, f0, m * sizeof(double))
            if minus == 0:
                memcpy(f_lo, f0, m * sizeof(double))
            elif status == 0:
                x_work[i] = x_lo
                status = f(n, x_work, m, f_lo, user_data)
                intact = intact and kept(&x_work[i], x_lo)
            x_work[i] = xi
            if not intact:
                wrote_into_x(written, &watch)
                continue
            if status != 0:
                record_failure(i, status, failed_index, failed_status)
                continue
            for k in range(m):
                out[k * n + i] = two_point_quotient(f_hi[k], f_lo[k], x_hi, x_lo)
        check_restored(x_work, x, n, written, &watch)
        free(x_work)
        free(f_hi)
    return _status(nomem[0], &watch, written[0], failed_index[0] >= 0)


cdef int two_point_gradient_c(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                              int plus, int minus, double f0, double *out, int num_threads,
                              const volatile int *abort) noexcept nogil:
    """out[i] = (f(x + plus h_i e_i) - f(x + minus h_i e_i)) / realized span; node 0 uses f0:
    two_point_jacobian_c with m = 1."""
    cdef ScalarAsVector scalar = ScalarAsVector(f, user_data)
    cdef Py_ssize_t failed_index = -1
    cdef int failed_status = 0
    return two_point_jacobian_c(scalar_as_vector, &scalar, n, x, h, plus, minus, &f0, 1, out, num_threads,
                                &failed_index, &failed_status, abort)


cdef int central_gradient(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                          double *out, int num_threads) noexcept nogil:
    """The central two-point gradient (2n evaluations); see two_point_gradient_c."""
    return two_point_gradient_c(f, user_data, n, x, h, 1, -1, 0.0, out, num_threads, NULL)


cdef int axis_values_vec_c(vector_fn f, void *user_data, int n, const double *x, const double *h,
                           const double *nodes, int K, const Py_ssize_t *coords, Py_ssize_t B, int m,
                           double *values, double *offsets, int num_threads, Py_ssize_t *failed_index,
                           int *failed_status, const volatile int *abort) noexcept nogil:
    """values[b, k, :] = f(x + nodes[k] h_i e_i), offsets[b, k] = realized offset, i = coords[b]."""
    cdef Py_ssize_t b, i, k
    cdef double *x_work = NULL  # set: the parallel block copies it in (firstprivate), then each thread sets its own
    cdef double xi, x_k
    cdef int status
    cdef int nomem[1]
    cdef int written[1]
    cdef int thread = 0
    cdef SignalWatch watch
    nomem[0] = 0
    written[0] = 0
    watch_start(&watch, abort)
    with parallel(num_threads=num_threads):
        x_work = work_copy(x, n, nomem)
        thread = threadid()
        for b in prange(B, schedule="dynamic"):
            i = coords[b]
            if x_work == NULL or 0 <= failed_index[0] < i or interrupted(&watch, thread):
                continue  # after a failure only later coordinates stop: see record_failure
            xi = x[i]
            if not kept(&x_work[i], xi):
                wrote_into_x(written, &watch)
                continue
            for k in range(K):
                if k > 0 and interrupted(&watch, thread):  # polled per evaluation: K may be large
                    break
                x_k = xi + nodes[k] * h[i]
                x_work[i] = x_k
                offsets[b * K + k] = x_k - xi
                status = f(n, x_work, m, values + (b * K + k) * m, user_data)
                if not kept(&x_work[i], x_k):
                    wrote_into_x(written, &watch)
                    break
                if status != 0:
                    record_failure(i, status, failed_index, failed_status)
                    break
            x_work[i] = xi
        check_restored(x_work, x, n, written, &watch)
        free(x_work)
    return _status(nomem[0], &watch, written[0], failed_index[0] >= 0)


cdef int axis_values_vec(vector_fn f, void *user_data, int n, const double *x, const double *h,
                         const double *nodes, int K, const Py_ssize_t *coords, Py_ssize_t B, int m,
                         double *values, double *offsets, int num_threads,
                         Py_ssize_t *failed_index, int *failed_status) noexcept nogil:
    """axis_values_vec_c without an external stop request."""
    return axis_values_vec_c(f, user_data, n, x, h, nodes, K, coords, B, m, values, offsets, num_threads,
                             failed_index, failed_status, NULL)


cdef int axis_values_scalar_c(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                              const double *nodes, int K, const Py_ssize_t *coords, Py_ssize_t B,
                              double *values, double *offsets, int num_threads,
                              const volatile int *abort) noexcept nogil:
    """values[b, k] = f(x + nodes[k] h_i e_i), offsets[b, k] = realized offset, i = coords[b]:
    axis_values_vec_c with m = 1."""
    cdef ScalarAsVector scalar = ScalarAsVector(f, user_data)
    cdef Py_ssize_t failed_index = -1
    cdef int failed_status = 0
    return axis_values_vec_c(scalar_as_vector, &scalar, n, x, h, nodes, K, coords, B, 1, values, offsets,
                             num_threads, &failed_index, &failed_status, abort)


cdef int axis_values_scalar(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                            const double *nodes, int K, const Py_ssize_t *coords, Py_ssize_t B,
                            double *values, double *offsets, int num_threads) noexcept nogil:
    """axis_values_scalar_c without an external stop request."""
    return axis_values_scalar_c(f, user_data, n, x, h, nodes, K, coords, B, values, offsets, num_threads,
                                NULL)


cdef int hessian_c(scalar_fn f, void *user_data, int n, const double *x, const double *h, int sign,
                   double f0, double *out, int num_threads, const volatile int *abort) noexcept nogil:
    """The Hessian stencils of fdcore.evaluators.python_callable.hessian (sign 0: central, +-1:
    one-sided; f0 given); out is n x n. Axis points first (parallel over i), then the pairs
    (parallel over rows i: row i has n - i - 1 pairs)."""
    cdef Py_ssize_t i, j
    cdef double *x_work = NULL  # set: the parallel block copies it in (firstprivate), then each thread sets its own
    cdef double *o1
    cdef double *o2
    cdef double *f1
    cdef double *f2
    cdef double xi, xj, x_pi, x_qi, x_pj, x_qj, f_pair, f_pair2, value
    cdef bint central = sign == 0
    cdef bint intact
    cdef int c1 = 1 if central else sign
    cdef int c2 = -1 if central else 2 * sign
    cdef int nomem[1]
    cdef int written[1]
    cdef int thread = 0
    cdef SignalWatch watch
    nomem[0] = 0
    written[0] = 0
    o1 = <double *>malloc(4 * <size_t>n * sizeof(double))
    if o1 == NULL:
        return -2
    o2 = o1 + n
    f1 = o1 + 2 * n
    f2 = o1 + 3 * n
    watch_start(&watch, abort)
    with parallel(num_threads=num_threads):
        x_work = work_copy(x, n, nomem)
        thread = threadid()
        for i in prange(n, schedule="dynamic"):
            if x_work == NULL or interrupted(&watch, thread):
                continue
            xi = x[i]
            x_pi = xi + c1 * h[i]
            x_qi = xi + c2 * h[i]
            intact = kept(&x_work[i], xi)
            x_work[i] = x_pi
            o1[i] = x_pi - xi
            f1[i] = f(n, x_work, user_data)
            intact = intact and kept(&x_work[i], x_pi)
            x_work[i] = x_qi
            o2[i] = x_qi - xi
            f2[i] = f(n, x_work, user_data)
            intact = intact and kept(&x_work[i], x_qi)
            x_work[i] = xi
            if not intact:
                wrote_into_x(written, &watch)
                continue
            if central:  # q_i = -o2[i] exactly
                out[i * n + i] = central_second_difference(f1[i], f2[i], f0, o1[i], -o2[i])
            else:
                out[i * n + i] = one_sided_second_difference(f2[i], f1[i], f0, o1[i], o2[i])
        check_restored(x_work, x, n, written, &watch)
        free(x_work)
    if nomem[0] or watch.stop:
        free(o1)
        return _status(nomem[0], &watch, written[0], 0)
    with parallel(num_threads=num_threads):
        x_work = work_copy(x, n, nomem)
        thread = threadid()
        for i in prange(n, schedule="dynamic"):
            if x_work == NULL or interrupted(&watch, thread):
                continue
            xi = x[i]
            if not kept(&x_work[i], xi):
                wrote_into_x(written, &watch)
                continue
            x_pi = xi + c1 * h[i]
            x_qi = xi + c2 * h[i]
            for j in range(i + 1, n):
                if interrupted(&watch, thread):  # polled per pair: a row can hold n - 1 of them
                    break
                xj = x[j]
                x_pj = xj + c1 * h[j]
                intact = kept(&x_work[j], xj)
                x_work[i] = x_pi
                x_work[j] = x_pj
                f_pair = f(n, x_work, user_data)
                intact = intact and kept(&x_work[i], x_pi) and kept(&x_work[j], x_pj)
                if central:
                    x_qj = xj + c2 * h[j]
                    x_work[i] = x_qi
                    x_work[j] = x_qj
                    f_pair2 = f(n, x_work, user_data)
                    intact = intact and kept(&x_work[i], x_qi) and kept(&x_work[j], x_qj)
                    value = central_pair_term(f_pair, f_pair2, f1[i], f1[j], f2[i], f2[j],
                                              f0, o1[i], o1[j], -o2[i], -o2[j])
                else:
                    value = one_sided_pair_term(f_pair, f1[i], f1[j], f0, o1[i], o1[j])
                x_work[j] = xj
                if not intact:
                    wrote_into_x(written, &watch)
                    break
                out[i * n + j] = value
                out[j * n + i] = value
            x_work[i] = xi
        check_restored(x_work, x, n, written, &watch)
        free(x_work)
    free(o1)
    return _status(nomem[0], &watch, written[0], 0)


cdef int pair_values_c(scalar_fn f, void *user_data, int n, const double *x, const Py_ssize_t *first,
                       const double *first_step, const Py_ssize_t *second, const double *second_step,
                       Py_ssize_t P, double *values, int num_threads, const volatile int *abort) noexcept nogil:
    """values[k] = f(x + first_step[k] e_i + second_step[k] e_j), i = first[k], j = second[k]
    (j < 0: an axis point); see fdcore.evaluators.python_callable.pair_values."""
    cdef Py_ssize_t k, i, j
    cdef double *x_work = NULL  # set: the parallel block copies it in (firstprivate), then each thread sets its own
    cdef double x_i, x_j
    cdef bint intact
    cdef int nomem[1]
    cdef int written[1]
    cdef int thread = 0
    cdef SignalWatch watch
    nomem[0] = 0
    written[0] = 0
    watch_start(&watch, abort)
    with parallel(num_threads=num_threads):
        x_work = work_copy(x, n, nomem)
        thread = threadid()
        for k in prange(P, schedule="dynamic"):
            if x_work == NULL or interrupted(&watch, thread):
                continue
            i = first[k]
            j = second[k]
            intact = kept(&x_work[i], x[i]) and (j < 0 or kept(&x_work[j], x[j]))
            x_i = x[i] + first_step[k]
            x_work[i] = x_i
            if j >= 0:
                x_j = x[j] + second_step[k]
                x_work[j] = x_j
            values[k] = f(n, x_work, user_data)
            intact = intact and kept(&x_work[i], x_i) and (j < 0 or kept(&x_work[j], x_j))
            x_work[i] = x[i]
            if j >= 0:
                x_work[j] = x[j]
            if not intact:
                wrote_into_x(written, &watch)
        check_restored(x_work, x, n, written, &watch)
        free(x_work)
    return _status(nomem[0], &watch, written[0], 0)


cdef int central_hessian_c(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                           double f0, double *out, int num_threads) noexcept nogil:
    """The central Hessian stencil (n^2 + n evaluations besides f0); see hessian_c."""
    return hessian_c(f, user_data, n, x, h, 0, f0, out, num_threads, NULL)


# ---------------------------------------------------------------------------------------------
# The evaluator object (fdcore.evaluators.protocol.Evaluator) for a compiled objective
# ---------------------------------------------------------------------------------------------

cdef class CompiledCallback:
    """The evaluator for a compiled objective, bound to the float64 work copy ``x``.

    ``callback`` is a fdcore.evaluators.callbacks.Callback (the function's address, its
    user_data and, for a vector callback, its output size m); it is kept alive as long as the
    evaluator. All kernels release the GIL. Setting ``stop_requested`` (from any thread) makes a
    running kernel stop at its next unit of work and raise RuntimeError; it is never reset here.
    """

    compiled = True
    batched = False
    complex_input = False
    args = ()
    kwargs = None

    cdef scalar_fn scalar_f
    cdef vector_fn vector_f
    cdef void *user_data
    cdef readonly bint vector_output
    cdef readonly int m
    cdef readonly int num_threads
    cdef readonly object x, x_view
    cdef object callback
    cdef volatile int stop_request

    def __cinit__(self, callback, int num_threads, x):
        if callback.kind == "vector":
            self.vector_f = <vector_fn><size_t>callback.address
        else:
            self.scalar_f = <scalar_fn><size_t>callback.address
        self.user_data = <void *><size_t>callback.user_data_address
        self.vector_output = callback.kind == "vector"
        self.m = callback.m
        # The default (OMP_NUM_THREADS or all cores) is capped like an explicit num_threads.
        self.num_threads = num_threads if num_threads > 0 else min(omp_get_max_threads(), MAX_THREADS)
        self.callback = callback  # owns the callback's code and user data
        self.x, self.x_view = x, read_only_view(x)

    @property
    def stop_requested(self):
        return bool(self.stop_request)

    @stop_requested.setter
    def stop_requested(self, bint stop):
        self.stop_request = stop

    cdef int _threads(self, Py_ssize_t work):
        """Serial below SERIAL_BELOW units of work; never more threads than units."""
        return 1 if work < SERIAL_BELOW else <int>min(self.num_threads, work)

    def _need(self, bint vector):
        if vector != self.vector_output:
            if vector:
                raise ValueError("this entry point needs a vector callback, "
                                 "int f(int n, double *x, int m, double *out, void *user_data)")
            raise ValueError("this entry point needs a scalar callback, "
                             "double f(int n, double *x, void *user_data)")

    def scalar(self, point=None):
        """f at ``point`` (default x), a scalar callback, called on a copy of the point (f
        must not write into it). Releases the GIL."""
        self._need(False)
        cdef const double[::1] p = self.x_view if point is None else point
        cdef int n = <int>p.shape[0]
        cdef double value
        cdef bint changed
        cdef double *copy = _copy_of(&p[0], n)
        try:
            with nogil:
                value = self.scalar_f(n, copy, self.user_data)
                changed = memcmp(copy, &p[0], n * sizeof(double)) != 0
        finally:
            free(copy)
        if changed:
            raise ValueError(X_WRITTEN_MESSAGE)
        return value

    def vector(self, point=None):
        """f at ``point`` (default x), a vector callback, called on a copy of the point: a new
        array of shape (m,). Releases the GIL."""
        self._need(True)
        cdef const double[::1] p = self.x_view if point is None else point
        cdef int n = <int>p.shape[0]
        require_memory(8 * <Py_ssize_t>self.m, f"the vector callback's m = {self.m} outputs")
        out = np.empty(self.m)
        cdef double[::1] o = out
        cdef int status
        cdef bint changed
        cdef double *copy = _copy_of(&p[0], n)
        try:
            with nogil:
                status = self.vector_f(n, copy, self.m, &o[0], self.user_data)
                changed = memcmp(copy, &p[0], n * sizeof(double)) != 0
        finally:
            free(copy)
        if changed:
            raise ValueError(X_WRITTEN_MESSAGE)
        if status != 0:
            raise RuntimeError(f"the callback returned status {status}")
        return out

    def raw_values(self, points):
        evaluate = self.vector if self.vector_output else self.scalar
        return [np.asarray(evaluate(np.ascontiguousarray(p, dtype=np.float64))) for p in points]

    def two_point_gradient(self, const double[::1] h, int plus, int minus, double f0, out):
        self._need(False)
        cdef const double[::1] x_work = self.x
        cdef int n = <int>x_work.shape[0], nt = self._threads(x_work.shape[0]), rc
        cdef double[::1] result = _contiguous(out)
        with nogil:
            rc = two_point_gradient_c(self.scalar_f, self.user_data, n, &x_work[0], &h[0], plus, minus, f0,
                                      &result[0], nt, &self.stop_request)
        _check(rc, 0, 0)
        _copy_back(result, out)

    def two_point_jacobian(self, const double[::1] h, int plus, int minus, f0, out):
        self._need(True)
        cdef const double[::1] x_work = self.x
        cdef int n = <int>x_work.shape[0], nt = self._threads(x_work.shape[0]), rc
        cdef Py_ssize_t failed_index = -1
        cdef int failed_status = 0
        cdef const double[::1] f0_view
        cdef const double *centre_ptr = NULL
        # The Jacobian and each thread's two m-vectors of scratch, refused before they are allocated.
        require_memory(8 * <Py_ssize_t>self.m * (n + 2 * nt), f"the vector callback's m = {self.m} outputs: the "
                       f"({self.m}, {n}) Jacobian and 2m doubles of scratch for each of {nt} thread(s)")
        if out is None:
            out = np.empty((self.m, n))
        elif out.shape != (self.m, n):
            raise ValueError(f"out must have shape {(self.m, n)} (m outputs, n inputs), got {out.shape}")
        cdef double[:, ::1] jac = _contiguous(out)
        if f0 is not None:
            f0_view = f0
            centre_ptr = &f0_view[0]
        with nogil:
            rc = two_point_jacobian_c(self.vector_f, self.user_data, n, &x_work[0], &h[0], plus, minus,
                                      centre_ptr, self.m, &jac[0, 0], nt, &failed_index, &failed_status,
                                      &self.stop_request)
        _check(rc, failed_index, failed_status)
        _copy_back(jac, out)
        return out

    def axis_values(self, const double[::1] h, const double[::1] nodes, const Py_ssize_t[::1] coords,
                    double[:, ::1] values, double[:, ::1] offsets):
        self._need(False)
        cdef const double[::1] x_work = self.x
        cdef int n = <int>x_work.shape[0], rc
        cdef Py_ssize_t B = coords.shape[0]
        cdef int nt = self._threads(B)
        if B == 0:
            return
        with nogil:
            rc = axis_values_scalar_c(self.scalar_f, self.user_data, n, &x_work[0], &h[0], &nodes[0],
                                      <int>nodes.shape[0], &coords[0], B, &values[0, 0],
                                      &offsets[0, 0], nt, &self.stop_request)
        _check(rc, 0, 0)

    def axis_values_vector(self, const double[::1] h, const double[::1] nodes,
                           const Py_ssize_t[::1] coords, double[:, :, ::1] values, double[:, ::1] offsets):
        self._need(True)
        cdef const double[::1] x_work = self.x
        cdef int n = <int>x_work.shape[0], rc
        cdef Py_ssize_t B = coords.shape[0]
        cdef int nt = self._threads(B)
        cdef Py_ssize_t failed_index = -1
        cdef int failed_status = 0
        if B == 0:
            return
        with nogil:
            rc = axis_values_vec_c(self.vector_f, self.user_data, n, &x_work[0], &h[0], &nodes[0],
                                   <int>nodes.shape[0], &coords[0], B, <int>values.shape[2],
                                   &values[0, 0, 0], &offsets[0, 0], nt, &failed_index, &failed_status,
                                   &self.stop_request)
        _check(rc, failed_index, failed_status)

    def pair_values(self, const Py_ssize_t[::1] first, const double[::1] first_step,
                    const Py_ssize_t[::1] second, const double[::1] second_step, double[::1] values):
        self._need(False)
        cdef const double[::1] x_work = self.x
        cdef int n = <int>x_work.shape[0], rc
        cdef Py_ssize_t P = first.shape[0]
        cdef int nt = self._threads(P)
        if P == 0:
            return
        with nogil:
            rc = pair_values_c(self.scalar_f, self.user_data, n, &x_work[0], &first[0], &first_step[0], &second[0],
                               &second_step[0], P, &values[0], nt, &self.stop_request)
        _check(rc, 0, 0)

    def hessian(self, const double[::1] h, int sign, double f0, out):
        self._need(False)
        cdef const double[::1] x_work = self.x
        cdef int n = <int>x_work.shape[0], nt = self._threads(x_work.shape[0] * x_work.shape[0] // 2), rc
        cdef double[:, ::1] result = _contiguous(out)
        with nogil:
            rc = hessian_c(self.scalar_f, self.user_data, n, &x_work[0], &h[0], sign, f0, &result[0, 0], nt,
                           &self.stop_request)
        _check(rc, 0, 0)
        _copy_back(result, out)


X_WRITTEN_MESSAGE = ("f, a compiled callback, wrote into its x argument: it must treat x as read-only "
                     "(fdcore perturbs a work copy in place, so the values f returned belong to unknown points)")


cdef double *_copy_of(const double *p, int n) except NULL:
    """A malloc'ed copy of p[:n] (the caller frees it)."""
    cdef double *copy = <double *>malloc(max(n, 1) * sizeof(double))
    if copy == NULL:
        raise MemoryError("could not allocate a copy of x")
    memcpy(copy, p, n * sizeof(double))
    return copy


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
    if rc == X_WRITTEN:
        raise ValueError(X_WRITTEN_MESSAGE)
    if rc == ABORTED:
        raise RuntimeError("the kernel was stopped on request (stop_requested)")
    if rc == -1:
        raise RuntimeError(
            f"the callback returned status {failed_status} when perturbing coordinate {failed_index}"
        )
    return 0
