# Compiled-callback kernels: callback types and nogil entry points for other Cython code.
#
#   from fdcore.kernels cimport scalar_fn, central_gradient   (the public name, fdcore/kernels.pxd)
#
# Every entry point runs without the GIL, never raises inside its parallel region, and returns
# 0 on success, -1 with *failed_index / *failed_status set (vector callbacks returning non-zero),
# -2 when out of memory, -3 (fdcore.evaluators.signals.INTERRUPTED) when a Python signal handler
# raised during the run (Ctrl-C: KeyboardInterrupt): that exception is then set in the calling
# thread, and the caller, holding the GIL again, must propagate it (e.g. from a function declared
# ``except -1`` by returning -1), or X_WRITTEN (-4) when f wrote into its x argument. The output
# is incomplete or wrong in all these cases; -3 takes precedence (its exception must not be lost).
# A signal stops a run within about 0.1 s plus two evaluations of f: an evaluation in progress is
# never cut short.
# num_threads <= 0 means OpenMP's default (OMP_NUM_THREADS or all cores); 1 runs serially. The
# caller bounds it: OpenMP ends the process when it cannot create the threads (the Python entry
# points refuse more than fdcore.evaluators.callbacks.MAX_THREADS).

cdef enum:
    X_WRITTEN = -4  # return code: f wrote into its x argument

# double f(int n, double *x, void *user_data): scipy.LowLevelCallable's convention.
ctypedef double (*scalar_fn)(int n, double *x, void *user_data) noexcept nogil
# int f(int n, double *x, int m, double *out, void *user_data): 0 on success.
ctypedef int (*vector_fn)(int n, double *x, int m, double *out, void *user_data) noexcept nogil


cdef int central_gradient(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                          double *out, int num_threads) noexcept nogil

cdef int axis_values_scalar(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                            const double *nodes, int K, const Py_ssize_t *coords, Py_ssize_t B,
                            double *values, double *offsets, int num_threads) noexcept nogil

cdef int axis_values_vec(vector_fn f, void *user_data, int n, const double *x, const double *h,
                         const double *nodes, int K, const Py_ssize_t *coords, Py_ssize_t B, int m,
                         double *values, double *offsets, int num_threads,
                         Py_ssize_t *failed_index, int *failed_status) noexcept nogil

cdef int central_hessian_c(scalar_fn f, void *user_data, int n, const double *x, const double *h,
                           double f0, double *out, int num_threads) noexcept nogil
