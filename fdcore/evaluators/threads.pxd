# Declarations of the OpenMP shim (fdcore/evaluators/omp_shim.h) for kernels that cimport them.
cdef extern from "omp_shim.h" nogil:
    int FDCORE_HAVE_OPENMP
    int omp_get_max_threads() noexcept nogil
    int omp_get_num_procs() noexcept nogil
    int omp_get_thread_num() noexcept nogil
