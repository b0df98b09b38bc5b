"""Other Cython code can cimport fdcore's nogil kernels by their public name, fdcore/kernels.pxd.

A tiny consumer module is written into a temporary directory, cythonized and built once per
session (against the installed fdcore's .pxd files), imported, and its results
checked against analytic derivatives and against fdcore's own Python-level entry points.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fdcore

CONSUMER_PYX = textwrap.dedent(
    """
    # cython: language_level=3, boundscheck=False, wraparound=False
    from libc.math cimport sin, cos

    import numpy as np

    from fdcore.kernels cimport (scalar_fn, vector_fn, central_gradient, central_hessian_c,
                                 axis_values_scalar, axis_values_vec)


    cdef double f(int n, double *x, void *data) noexcept nogil:
        # sum_i (i + 1) sin(x_i) + x_0^2 x_1
        cdef double s = 0.0
        cdef int i
        for i in range(n):
            s += (i + 1) * sin(x[i])
        return s + x[0] * x[0] * x[1]


    cdef double g(int n, double *x, void *data) noexcept nogil:
        # scale * sum_i x_i^3 with scale = ((double *)data)[0]
        cdef double s = 0.0
        cdef int i
        for i in range(n):
            s += x[i] * x[i] * x[i]
        return (<double *>data)[0] * s


    cdef int v(int n, double *x, int m, double *out, void *data) noexcept nogil:
        # out = (x_0 x_1, sum_i x_i^2); status 5 when x_2 leaves ((double *)data)[2]
        cdef int i
        cdef double s = 0.0
        if x[2] != (<double *>data)[2]:
            return 5
        for i in range(n):
            s += x[i] * x[i]
        out[0] = x[0] * x[1]
        out[1] = s
        return 0


    def gradient(x, h, int num_threads=1):
        cdef double[::1] xv = np.ascontiguousarray(x, dtype=np.float64)
        cdef double[::1] hv = np.ascontiguousarray(h, dtype=np.float64)
        out = np.empty(xv.shape[0])
        cdef double[::1] ov = out
        cdef int n = <int>xv.shape[0], rc
        with nogil:
            rc = central_gradient(f, NULL, n, &xv[0], &hv[0], &ov[0], num_threads)
        return rc, out


    def gradient_with_data(x, h, double scale, int num_threads=1):
        cdef double[::1] xv = np.ascontiguousarray(x, dtype=np.float64)
        cdef double[::1] hv = np.ascontiguousarray(h, dtype=np.float64)
        out = np.empty(xv.shape[0])
        cdef double[::1] ov = out
        cdef int n = <int>xv.shape[0], rc
        cdef double s = scale
        with nogil:
            rc = central_gradient(g, &s, n, &xv[0], &hv[0], &ov[0], num_threads)
        return rc, out


    def hessian(x, h, int num_threads=1):
        cdef double[::1] xv = np.ascontiguousarray(x, dtype=np.float64)
        cdef double[::1] hv = np.ascontiguousarray(h, dtype=np.float64)
        cdef int n = <int>xv.shape[0], rc
        out = np.empty((n, n))
        cdef double[:, ::1] ov = out
        cdef double f0
        with nogil:
            f0 = f(n, &xv[0], NULL)
            rc = central_hessian_c(f, NULL, n, &xv[0], &hv[0], f0, &ov[0, 0], num_threads)
        return rc, out


    def axis_values(x, h, nodes, int num_threads=1):
        cdef double[::1] xv = np.ascontiguousarray(x, dtype=np.float64)
        cdef double[::1] hv = np.ascontiguousarray(h, dtype=np.float64)
        cdef double[::1] nv = np.ascontiguousarray(nodes, dtype=np.float64)
        cdef Py_ssize_t[::1] cv = np.arange(xv.shape[0], dtype=np.intp)
        cdef int n = <int>xv.shape[0], K = <int>nv.shape[0], rc
        values = np.empty((n, K))
        offsets = np.empty((n, K))
        cdef double[:, ::1] vv = values
        cdef double[:, ::1] ov = offsets
        with nogil:
            rc = axis_values_scalar(f, NULL, n, &xv[0], &hv[0], &nv[0], K, &cv[0], n,
                                    &vv[0, 0], &ov[0, 0], num_threads)
        return rc, values, offsets


    def axis_values_vector(x, h, nodes, int num_threads=1):
        cdef double[::1] xv = np.ascontiguousarray(x, dtype=np.float64)
        cdef double[::1] hv = np.ascontiguousarray(h, dtype=np.float64)
        cdef double[::1] nv = np.ascontiguousarray(nodes, dtype=np.float64)
        cdef double[::1] centre = np.array(xv)
        cdef Py_ssize_t[::1] cv = np.arange(xv.shape[0], dtype=np.intp)
        cdef int n = <int>xv.shape[0], K = <int>nv.shape[0], rc
        cdef Py_ssize_t failed_index = -1
        cdef int failed_status = 0
        values = np.zeros((n, K, 2))
        offsets = np.empty((n, K))
        cdef double[:, :, ::1] vv = values
        cdef double[:, ::1] ov = offsets
        with nogil:
            rc = axis_values_vec(v, &centre[0], n, &xv[0], &hv[0], &nv[0], K, &cv[0], n, 2,
                                 &vv[0, 0, 0], &ov[0, 0], num_threads, &failed_index, &failed_status)
        return rc, failed_index, failed_status, values, offsets
    """
)

SETUP_PY = textwrap.dedent(
    """
    from Cython.Build import cythonize
    from setuptools import Extension, setup

    ext = Extension("fdcore_consumer", ["fdcore_consumer.pyx"], include_dirs={include_dirs!r},
                    extra_compile_args=["-O1"])
    setup(name="fdcore_consumer", ext_modules=cythonize([ext], include_path={include_path!r}, quiet=True))
    """
)


@pytest.fixture(scope="module")
def consumer(tmp_path_factory):
    import numpy

    build_dir = tmp_path_factory.mktemp("cimport_consumer")
    package_dir = os.path.dirname(fdcore.__file__)
    pxd_root = os.path.dirname(package_dir)  # fdcore/kernels.pxd is found as <root>/fdcore/kernels.pxd
    (build_dir / "fdcore_consumer.pyx").write_text(CONSUMER_PYX)
    (build_dir / "setup.py").write_text(
        SETUP_PY.format(include_dirs=[numpy.get_include(), package_dir, pxd_root], include_path=[pxd_root])
    )
    run = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=build_dir,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, f"building the consumer failed:\n{run.stdout}\n{run.stderr}"
    sys.path.insert(0, str(build_dir))
    try:
        import fdcore_consumer
    finally:
        sys.path.remove(str(build_dir))
    return fdcore_consumer


def f_numpy(x):
    return float(np.sum(np.arange(1, x.size + 1) * np.sin(x)) + x[0] ** 2 * x[1])


def grad_f(x):
    g = np.arange(1, x.size + 1) * np.cos(x)
    g[0] += 2 * x[0] * x[1]
    g[1] += x[0] ** 2
    return g


def hess_f(x):
    H = np.diag(-np.arange(1, x.size + 1) * np.sin(x))
    H[0, 0] += 2 * x[1]
    H[0, 1] += 2 * x[0]
    H[1, 0] += 2 * x[0]
    return H


def point(n):
    return np.linspace(-1.3, 1.7, n)


@pytest.mark.parametrize("n", [5, 64])
def test_cimported_central_gradient_matches_analytic(consumer, n):
    x = point(n)
    before = x.copy()
    h = np.cbrt(np.finfo(float).eps) * np.maximum(1.0, np.abs(x))
    rc, g = consumer.gradient(x, h)
    assert rc == 0
    exact = grad_f(x)
    assert np.max(np.abs(g - exact)) <= 1e-8 * np.max(np.abs(exact))
    np.testing.assert_array_equal(x, before)


def test_cimported_central_gradient_equals_fdcore_gradient_stencil(consumer):
    # The same stencil and steps as fdcore.gradient's default central difference.
    x = point(64)
    h = np.cbrt(np.finfo(float).eps) * np.maximum(1.0, np.abs(x))
    _, g = consumer.gradient(x, h)
    reference = fdcore.gradient(f_numpy, x)
    assert np.max(np.abs(g - reference)) <= 1e-9 * np.max(np.abs(reference))


@pytest.mark.parametrize("num_threads", [2, 3, 4])
def test_cimported_gradient_is_thread_count_invariant(consumer, num_threads):
    x = point(96)
    h = np.full(96, 1e-5)
    _, serial = consumer.gradient(x, h, 1)
    rc, threaded = consumer.gradient(x, h, num_threads)
    assert rc == 0
    np.testing.assert_array_equal(threaded, serial)


def test_cimported_gradient_passes_user_data(consumer):
    x = point(40)
    h = np.full(40, 1e-5)
    rc, g = consumer.gradient_with_data(x, h, 2.5, 2)
    assert rc == 0
    exact = 2.5 * 3 * x**2
    assert np.max(np.abs(g - exact)) <= 1e-8 * np.max(np.abs(exact))


@pytest.mark.parametrize("num_threads", [1, 3])
def test_cimported_central_hessian_matches_analytic(consumer, num_threads):
    x = point(12)
    h = np.finfo(float).eps ** 0.25 * np.maximum(1.0, np.abs(x))
    rc, H = consumer.hessian(x, h, num_threads)
    assert rc == 0
    np.testing.assert_array_equal(H, H.T)
    exact = hess_f(x)
    assert np.max(np.abs(H - exact)) <= 1e-6 * np.max(np.abs(exact))
    _, serial = consumer.hessian(x, h, 1)
    np.testing.assert_array_equal(H, serial)


def test_cimported_axis_values_scalar(consumer):
    x = point(40)
    h = np.full(40, 1e-3)
    nodes = np.array([-2.0, -1.0, 1.0, 2.0])
    rc, values, offsets = consumer.axis_values(x, h, nodes, 2)
    assert rc == 0
    for i in (0, 1, 17, 39):
        for k, c in enumerate(nodes):
            shifted = x.copy()
            shifted[i] = x[i] + c * h[i]
            assert offsets[i, k] == shifted[i] - x[i]
            assert values[i, k] == pytest.approx(f_numpy(shifted), rel=1e-14, abs=1e-13)
    # The 4th-order central first derivative from those values.
    weights = np.array([1.0, -8.0, 8.0, -1.0]) / 12.0
    d = values @ weights / h
    assert np.max(np.abs(d - grad_f(x))) <= 1e-9 * np.max(np.abs(grad_f(x)))


@pytest.mark.parametrize("num_threads", [1, 2])
def test_cimported_axis_values_vector_reports_failing_coordinate(consumer, num_threads):
    x = point(40)
    rc, failed_index, failed_status, values, offsets = consumer.axis_values_vector(
        x, np.full(40, 1e-3), np.array([-1.0, 1.0]), num_threads)
    assert rc == -1
    assert (failed_index, failed_status) == (2, 5)
    # Coordinates other than 2 (and not skipped after the failure) hold f's values.
    i = 0
    shifted = x.copy()
    shifted[i] += 1e-3
    np.testing.assert_allclose(values[i, 1], [shifted[0] * shifted[1], np.sum(shifted**2)], rtol=1e-14)
