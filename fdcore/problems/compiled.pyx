# cython: language_level=3
# Kernel directives are set in setup.py (see fdcore/evaluators/python_callable.pyx).
"""Compiled versions of built-in problems, as capsules named by their signature.

Each function has the callback signature the nogil kernels take (see fdcore.evaluators.callbacks), so that
the same problem can be differentiated through the Python and the compiled evaluators and the
two compared. The functions are exact transcriptions of fdcore.problems.suite' NumPy versions.
"""

from cpython.pycapsule cimport PyCapsule_New

from fdcore.kernels cimport scalar_fn, vector_fn

# Capsule names: the signatures (string literals, so that the names outlive the capsules).
cdef const char *SCALAR_SIGNATURE = "double (int, double *, void *)"
cdef const char *VECTOR_SIGNATURE = "int (int, double *, int, double *, void *)"


cdef double rosenbrock(int n, double *x, void *data) noexcept nogil:
    """sum_i 100 (x_{i+1} - x_i^2)^2 + (1 - x_i)^2 (scipy.optimize.rosen)."""
    cdef double s = 0.0, t
    cdef int i
    for i in range(n - 1):
        t = x[i + 1] - x[i] * x[i]
        s += 100.0 * t * t + (1.0 - x[i]) * (1.0 - x[i])
    return s


cdef double extended_powell(int n, double *x, void *data) noexcept nogil:
    """sum over blocks of 4: (a + 10b)^2 + 5(c - d)^2 + (b - 2c)^4 + 10(a - d)^4."""
    cdef double s = 0.0, a, b, c, d, t, u
    cdef int k
    for k in range(0, n - 3, 4):
        a, b, c, d = x[k], x[k + 1], x[k + 2], x[k + 3]
        t = b - 2.0 * c
        u = a - d
        s += (a + 10.0 * b) ** 2 + 5.0 * (c - d) ** 2 + t * t * t * t + 10.0 * u * u * u * u
    return s


cdef int broyden_tridiagonal(int n, double *x, int m, double *out, void *data) noexcept nogil:
    """F_i = (3 - 2 x_i) x_i - x_{i-1} - 2 x_{i+1} + 1 (x_0 = x_{n+1} = 0); m must equal n."""
    cdef int i
    cdef double left, right
    if m != n:
        return 1
    for i in range(n):
        left = x[i - 1] if i > 0 else 0.0
        right = x[i + 1] if i < n - 1 else 0.0
        out[i] = (3.0 - 2.0 * x[i]) * x[i] - left - 2.0 * right + 1.0
    return 0


cdef double dense_quadratic(int n, double *x, void *data) noexcept nogil:
    """0.5 x^T A x + b^T x with data = [A (n x n, row-major), b (n)]."""
    cdef double *A = <double *>data
    cdef double *b = A + n * n
    cdef double s = 0.0, row
    cdef int i, j
    for i in range(n):
        row = 0.0
        for j in range(n):
            row += A[i * n + j] * x[j]
        s += 0.5 * x[i] * row + b[i] * x[i]
    return s


def capsule(name):
    """The compiled function ``name`` as a PyCapsule named by its signature."""
    cdef scalar_fn scalar = NULL
    cdef vector_fn vector = NULL
    if name == "rosenbrock":
        scalar = rosenbrock
    elif name == "extended_powell":
        scalar = extended_powell
    elif name == "dense_quadratic":
        scalar = dense_quadratic
    elif name == "broyden_tridiagonal":
        vector = broyden_tridiagonal
    else:
        raise ValueError(f"no compiled version of {name!r}")
    if scalar != NULL:
        return PyCapsule_New(<void *>scalar, SCALAR_SIGNATURE, NULL)
    return PyCapsule_New(<void *>vector, VECTOR_SIGNATURE, NULL)
