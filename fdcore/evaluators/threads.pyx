# cython: language_level=3
# Kernel directives (boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False)
# are set in setup.py, not here: header directives would override FDCORE_DEBUG_CYTHON=1.
"""What the compiled build knows about threads (OpenMP on or off, default thread count)."""

from fdcore.evaluators.threads cimport FDCORE_HAVE_OPENMP, omp_get_max_threads


def openmp_enabled():
    """True if the extension was compiled with OpenMP. Does not release the GIL."""
    return bool(FDCORE_HAVE_OPENMP)


def max_threads():
    """OpenMP's default team size (honours OMP_NUM_THREADS); 1 without OpenMP."""
    return omp_get_max_threads()
