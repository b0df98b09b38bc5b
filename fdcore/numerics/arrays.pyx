# cython: language_level=3
# Kernel directives (boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False)
# are set in setup.py, not here: header directives would override FDCORE_DEBUG_CYTHON=1.
"""Small array helpers for the per-call work of the entry points (finite checks, default steps).

At small n a gradient call is dominated by fixed costs, and one NumPy ufunc call costs more than
these loops; they release the GIL.
"""

from cython cimport floating

def all_finite(const floating[::1] a):
    """True if every entry is finite. Releases the GIL."""
    cdef Py_ssize_t i
    cdef bint ok = True
    with nogil:
        for i in range(a.shape[0]):
            if not (a[i] - a[i] == 0):  # false for NaN and +-inf
                ok = False
                break
    return ok


def scaled_steps(const floating[::1] x, double scale, floating[::1] out):
    """out[i] = scale * max(1, |x[i]|), rounded to x's dtype. Releases the GIL."""
    cdef Py_ssize_t i
    cdef double ax
    with nogil:
        for i in range(x.shape[0]):
            ax = x[i] if x[i] >= 0 else -x[i]
            out[i] = <floating>(scale * (ax if ax > 1.0 else 1.0))
