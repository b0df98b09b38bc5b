/* OpenMP shim: the kernels call these names whether or not the build has OpenMP.
 * Without OpenMP (FDCORE_OPENMP=0 or no compiler support) they describe a single thread. */
#ifndef FDCORE_OMP_SHIM_H
#define FDCORE_OMP_SHIM_H
#ifdef _OPENMP
#include <omp.h>
#define FDCORE_HAVE_OPENMP 1
#else
#define FDCORE_HAVE_OPENMP 0
static inline int omp_get_max_threads(void) { return 1; }
static inline int omp_get_num_procs(void) { return 1; }
static inline int omp_get_thread_num(void) { return 0; }
#endif
#endif
