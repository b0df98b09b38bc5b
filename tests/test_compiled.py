"""Compiled objectives (C callbacks) through every entry point.

The same objectives are built as every accepted kind of compiled callback -- a ctypes function
pointer into a shared library compiled from tests/csrc/fd_callbacks.c (once per session), a
scipy.LowLevelCallable, a cffi function pointer, a numba cfunc, Cython capsules from
fdcore.problems.compiled -- with and without user_data, and compared with

* the Python-callable path on a NumPy twin of the objective (its sums run in the C loop's order,
  so the two paths differ at most by the rounding of f), and
* analytic derivatives.

Also: bit-identical results for every thread count, the error paths (signatures, m, statuses,
NaN/inf, options refused for compiled callbacks), x never modified, and the built-in problems'
compiled versions.
"""

import ctypes
import gc
import os
import shutil
import subprocess
import sysconfig
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

import fdcore
from fdcore.problems import compiled as _cproblems
from fdcore.evaluators.callbacks import SCALAR_SIGNATURE, VECTOR_SIGNATURE
from helpers import TOL_FIRST, TOL_SECOND, rel_err

CSRC = Path(__file__).parent / "csrc" / "fd_callbacks.c"
N = 12  # dimension of the kind x entry-point matrix (serial: below SERIAL_BELOW)
N_THREADED = 64  # >= 2 * SERIAL_BELOW coordinates: the kernels run in parallel
N_HESSIAN_THREADED = 20  # 200 pairs >= SERIAL_BELOW
AGREE = 1e-9  # compiled vs Python-callable path, relative to the largest entry

DOUBLE_P = ctypes.POINTER(ctypes.c_double)
SCALAR_PROTO = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, DOUBLE_P, ctypes.c_void_p)
VECTOR_PROTO = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, DOUBLE_P, ctypes.c_int, DOUBLE_P, ctypes.c_void_p)
CFFI_SCALAR = "double(*)(int, double *, void *)"
CFFI_VECTOR = "int(*)(int, double *, int, double *, void *)"

_PyCapsule_New = ctypes.pythonapi.PyCapsule_New
_PyCapsule_New.restype = ctypes.py_object
_PyCapsule_New.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
_CAPSULE_NAMES = []  # PyCapsule_New keeps the name pointer: keep the bytes alive


def make_capsule(address, name):
    if name is not None:
        _CAPSULE_NAMES.append(name)
    return _PyCapsule_New(address, name, None)


# ---------------------------------------------------------------------------------------------
# The C library (compiled once per session) and its NumPy twins
# ---------------------------------------------------------------------------------------------

def _c_compiler():
    configured = (sysconfig.get_config_var("CC") or "").split()
    if configured and shutil.which(configured[0]):
        return configured[0]
    return shutil.which("cc") or shutil.which("gcc") or "cc"


@pytest.fixture(scope="session")
def c_library(tmp_path_factory):
    path = tmp_path_factory.mktemp("fd_callbacks") / "libfd_callbacks.so"
    # -ffp-contract=off: no fused multiply-adds, so the C sums round like the NumPy twins'.
    run = subprocess.run([_c_compiler(), "-O2", "-fPIC", "-shared", "-ffp-contract=off", "-pthread",
                          str(CSRC), "-o", str(path), "-lm"], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    return path


class Lib:
    """The C library's functions as ctypes and cffi function pointers."""

    def __init__(self, path):
        import cffi

        self.cdll = ctypes.CDLL(str(path))
        self.ffi = cffi.FFI()
        self.ffi.cdef(
            """
            double rosen_cubic(int, double *, void *);
            int vec_cubic(int, double *, int, double *, void *);
            """
        )
        self.cffi_lib = self.ffi.dlopen(str(path))

    def scalar(self, name):
        return SCALAR_PROTO((name, self.cdll))

    def vector(self, name):
        return VECTOR_PROTO((name, self.cdll))

    def address(self, name):
        return ctypes.cast(getattr(self.cdll, name), ctypes.c_void_p).value


@pytest.fixture(scope="session")
def lib(c_library):
    return Lib(c_library)


@pytest.fixture(scope="session")
def numba_funcs():
    """numba cfuncs with the scalar and vector signatures, with and without user_data."""
    from numba import carray, cfunc, types

    scalar_sig = types.double(types.intc, types.CPointer(types.double), types.voidptr)
    vector_sig = types.intc(types.intc, types.CPointer(types.double), types.intc, types.CPointer(types.double),
                            types.voidptr)

    @cfunc(scalar_sig)
    def rosen(n, xp, data):
        x = carray(xp, n)
        s = 0.0
        for i in range(n - 1):
            t = x[i + 1] - x[i] * x[i]
            s += 100.0 * t * t + (1.0 - x[i]) * (1.0 - x[i])
        return s

    @cfunc(scalar_sig)
    def rosen_cubic(n, xp, data):
        x = carray(xp, n)
        c = carray(data, n, np.float64)
        s = 0.0
        for i in range(n - 1):
            t = x[i + 1] - x[i] * x[i]
            s += 100.0 * t * t + (1.0 - x[i]) * (1.0 - x[i])
        for i in range(n):
            s += c[i] * x[i] * x[i] * x[i]
        return s

    def make_vector(with_data):
        @cfunc(vector_sig)
        def vec(n, xp, m, outp, data):
            if m != n + 1:
                return 1
            x = carray(xp, n)
            out = carray(outp, m)
            s = 0.0
            for k in range(n):
                ck = carray(data, n, np.float64)[k] if with_data else 1.0
                nxt = x[k] * x[k + 1] if k + 1 < n else 0.0
                out[k] = ck * x[k] * x[k] * x[k] + nxt - 2.0 * x[k]
                s += x[k] * x[k]
            out[n] = s
            return 0

        return vec

    return {"rosen": rosen, "rosen_cubic": rosen_cubic, "vec": make_vector(False), "vec_cubic": make_vector(True)}


def rosen_cubic_np(x, c=None):
    """NumPy twin of rosen_cubic: the same terms, summed left to right (np.cumsum)."""
    t = x[1:] - x[:-1] * x[:-1]
    terms = 100.0 * t * t + (1.0 - x[:-1]) * (1.0 - x[:-1])
    if c is not None:
        terms = np.concatenate([terms, c * x * x * x])
    return np.cumsum(terms)[-1]


def rosen_cubic_grad(x, c=None):
    g = np.zeros_like(x)
    t = x[1:] - x[:-1] ** 2
    g[:-1] += -400.0 * x[:-1] * t - 2.0 * (1.0 - x[:-1])
    g[1:] += 200.0 * t
    if c is not None:
        g += 3.0 * c * x**2
    return g


def rosen_cubic_hess(x, c=None):
    n = x.size
    H = np.zeros((n, n))
    i = np.arange(n - 1)
    H[i, i] += 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    H[i + 1, i + 1] += 200.0
    H[i, i + 1] = H[i + 1, i] = -400.0 * x[:-1]
    if c is not None:
        H[np.arange(n), np.arange(n)] += 6.0 * c * x
    return H


def vec_cubic_np(x, c=None):
    """NumPy twin of vec_cubic (m = n + 1)."""
    n = x.size
    out = np.empty(n + 1)
    out[:n] = (1.0 if c is None else c) * x * x * x + np.append(x[:-1] * x[1:], 0.0) - 2.0 * x
    out[n] = np.cumsum(x * x)[-1]
    return out


def vec_cubic_jac(x, c=None):
    n = x.size
    J = np.zeros((n + 1, n))
    k = np.arange(n)
    J[k, k] = 3.0 * (1.0 if c is None else c) * x**2 - 2.0
    J[k[:-1], k[:-1]] += x[1:]
    J[k[:-1], k[1:]] = x[:-1]
    J[n] = 2.0 * x
    return J


def point(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1.2, 1.2, n), rng.uniform(-2.0, 2.0, n)


# ---------------------------------------------------------------------------------------------
# Every callback kind: (compiled objective, Python twin, coefficients c or None)
# ---------------------------------------------------------------------------------------------

def _ptr(array):
    return ctypes.c_void_p(array.ctypes.data)


def scalar_kind(kind, lib, numba_funcs, n):
    """(compiled, python twin, c); the compiled object holds whatever keeps c alive."""
    import scipy

    _, c = point(n)
    if kind == "ctypes":
        return lib.scalar("rosen_cubic"), rosen_cubic_np, None
    if kind == "ctypes+data":
        return fdcore.Callback(lib.scalar("rosen_cubic"), c), rosen_cubic_np, c
    if kind == "lowlevelcallable":
        return scipy.LowLevelCallable(lib.scalar("rosen_cubic")), rosen_cubic_np, None
    if kind == "lowlevelcallable+data":
        # The LowLevelCallable carries a pointer to c; wrapping it in Callback with c itself keeps
        # c alive (and passes the same pointer).
        llc = scipy.LowLevelCallable(lib.scalar("rosen_cubic"), _ptr(c))
        return fdcore.Callback(llc, c), rosen_cubic_np, c
    if kind == "lowlevelcallable+own-data":
        # The LowLevelCallable's own user_data, passed as is (c is kept alive by this module).
        keep = _KEEP.setdefault(("llc", n), c.copy())
        return scipy.LowLevelCallable(lib.scalar("rosen_cubic"), _ptr(keep)), rosen_cubic_np, keep
    if kind == "cffi":
        return lib.ffi.addressof(lib.cffi_lib, "rosen_cubic"), rosen_cubic_np, None
    if kind == "cffi+data":
        return (fdcore.Callback(lib.cffi_lib.rosen_cubic, lib.ffi.from_buffer("double[]", c)),
                rosen_cubic_np, c)
    if kind == "numba":
        return numba_funcs["rosen"], rosen_cubic_np, None
    if kind == "numba+data":
        return fdcore.Callback(numba_funcs["rosen_cubic"], c), rosen_cubic_np, c
    if kind == "cython-problem":  # fdcore.problems.compiled.rosenbrock sums in the same order
        return fdcore.get_problem("rosenbrock", n).compiled, rosen_cubic_np, None
    if kind == "cython-capsule":
        return _cproblems.capsule("rosenbrock"), rosen_cubic_np, None
    if kind == "cython-capsule-lowlevelcallable":
        return scipy.LowLevelCallable(_cproblems.capsule("rosenbrock")), rosen_cubic_np, None
    raise AssertionError(kind)


_KEEP = {}
SCALAR_KINDS = ["ctypes", "ctypes+data", "lowlevelcallable", "lowlevelcallable+data", "lowlevelcallable+own-data",
                "cffi", "cffi+data", "numba", "numba+data", "cython-problem", "cython-capsule",
                "cython-capsule-lowlevelcallable"]


def vector_kind(kind, lib, numba_funcs, n):
    """(compiled, python twin, c, exact Jacobian function)."""
    import scipy

    _, c = point(n)
    m = n + 1
    if kind == "ctypes":
        return fdcore.Callback(lib.vector("vec_cubic"), m=m), vec_cubic_np, None
    if kind == "ctypes+data":
        return fdcore.Callback(lib.vector("vec_cubic"), c, m=m), vec_cubic_np, c
    if kind == "lowlevelcallable":
        return fdcore.Callback(scipy.LowLevelCallable(lib.vector("vec_cubic")), m=m), vec_cubic_np, None
    if kind == "lowlevelcallable+data":
        llc = scipy.LowLevelCallable(lib.vector("vec_cubic"), _ptr(c))
        cb = fdcore.Callback(llc, m=m)
        cb_keep = fdcore.Callback(llc, c, m=m)  # same pointer, kept alive
        assert cb.user_data_address == cb_keep.user_data_address == c.ctypes.data
        return cb_keep, vec_cubic_np, c
    if kind == "cffi":
        return fdcore.Callback(lib.ffi.addressof(lib.cffi_lib, "vec_cubic"), m=m), vec_cubic_np, None
    if kind == "cffi+data":
        fptr = lib.ffi.cast(CFFI_VECTOR, lib.address("vec_cubic"))
        return fdcore.Callback(fptr, lib.ffi.from_buffer("double[]", c), m=m), vec_cubic_np, c
    if kind == "numba":
        return fdcore.Callback(numba_funcs["vec"], m=m), vec_cubic_np, None
    if kind == "numba+data":
        return fdcore.Callback(numba_funcs["vec_cubic"], c, m=m), vec_cubic_np, c
    raise AssertionError(kind)


VECTOR_KINDS = ["ctypes", "ctypes+data", "lowlevelcallable", "lowlevelcallable+data", "cffi", "cffi+data", "numba",
                "numba+data"]


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def run(entry, f, x, *args, **kwargs):
    """entry(f, x, ...) asserting that x is not modified (also when entry raises)."""
    before = x.copy()
    try:
        return entry(f, x, *args, **kwargs)
    finally:
        np.testing.assert_array_equal(x, before)
        assert x.dtype == before.dtype


def value_of(result):
    return result.value if isinstance(result, fdcore.FDResult) else result


def assert_agree(compiled, python, rtol=AGREE):
    """Compiled and Python-callable results agree to rtol relative to the largest entry."""
    if isinstance(compiled, fdcore.FDResult):
        assert isinstance(python, fdcore.FDResult)
        assert compiled.nfev == python.nfev
        assert (compiled.method, compiled.order, compiled.richardson) == (python.method, python.order, python.richardson)
        np.testing.assert_allclose(compiled.step, python.step, rtol=rtol)
        np.testing.assert_allclose(compiled.error, python.error, rtol=1e-6, atol=1e-6 * np.max(python.error))
        compiled, python = compiled.value, python.value
    compiled, python = np.asarray(compiled), np.asarray(python)
    assert compiled.shape == python.shape
    assert compiled.dtype == np.float64
    scale = max(np.max(np.abs(python)), 1e-300)
    assert np.max(np.abs(compiled - python)) <= rtol * scale, np.max(np.abs(compiled - python)) / scale


def record_warnings(fn):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn()
    return result, [(w.category, str(w.message)) for w in caught]


def python_twin(twin, c):
    """The twin as (f, args) for the Python-callable path."""
    return (lambda x: twin(x, c)) if c is not None else twin


GRADIENT_MODES = {
    "central": ({}, TOL_FIRST["central"]),
    "forward": ({"method": "forward"}, TOL_FIRST["forward"]),
    "backward": ({"method": "backward"}, TOL_FIRST["backward"]),
    "order4": ({"order": 4}, TOL_FIRST["central"]),
    "forward-order4": ({"method": "forward", "order": 4}, TOL_FIRST["central"]),
    "richardson": ({"richardson": True}, 1e-11),
    "richardson-forward": ({"method": "forward", "richardson": 3}, TOL_FIRST["central"]),
    "adaptive": ({"step": "adaptive"}, TOL_FIRST["central"]),
    "adaptive-forward": ({"step": "adaptive", "method": "forward"}, TOL_FIRST["forward"]),
    "full_output": ({"full_output": True}, TOL_FIRST["central"]),
    "full_output-richardson": ({"full_output": True, "richardson": True}, 1e-11),
}
HESSIAN_MODES = {
    "central": ({}, TOL_SECOND["central"]),
    "forward": ({"method": "forward"}, TOL_SECOND["forward"]),
    "backward": ({"method": "backward"}, TOL_SECOND["backward"]),
    "order4": ({"order": 4}, TOL_SECOND["central"]),
    "richardson": ({"richardson": True}, 1e-10),
    "richardson-forward": ({"method": "forward", "richardson": True}, TOL_SECOND["central"]),
    "adaptive": ({"step": "adaptive"}, TOL_SECOND["central"]),
    "full_output-richardson": ({"full_output": True, "richardson": True}, 1e-10),
}
JACOBIAN_MODES = GRADIENT_MODES


# ---------------------------------------------------------------------------------------------
# Every kind x entry point, against the Python-callable path and the analytic derivative
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", list(GRADIENT_MODES))
@pytest.mark.parametrize("kind", SCALAR_KINDS)
def test_gradient_every_kind(kind, mode, lib, numba_funcs):
    compiled, twin, c = scalar_kind(kind, lib, numba_funcs, N)
    options, tol = GRADIENT_MODES[mode]
    x, _ = point(N)
    result = run(fdcore.gradient, compiled, x, **options)
    assert_agree(result, run(fdcore.gradient, python_twin(twin, c), x, **options))
    assert rel_err(value_of(result), rosen_cubic_grad(x, c), twin(x, c)) <= tol


@pytest.mark.parametrize("mode", list(HESSIAN_MODES))
@pytest.mark.parametrize("kind", SCALAR_KINDS)
def test_hessian_every_kind(kind, mode, lib, numba_funcs):
    compiled, twin, c = scalar_kind(kind, lib, numba_funcs, N)
    options, tol = HESSIAN_MODES[mode]
    x, _ = point(N)
    result = run(fdcore.hessian, compiled, x, **options)
    value = value_of(result)
    np.testing.assert_array_equal(value, value.T)
    assert_agree(result, run(fdcore.hessian, python_twin(twin, c), x, **options))
    assert rel_err(value, rosen_cubic_hess(x, c), twin(x, c)) <= tol


@pytest.mark.parametrize("kind", SCALAR_KINDS)
def test_jvp_and_directional_derivative_every_scalar_kind(kind, lib, numba_funcs):
    compiled, twin, c = scalar_kind(kind, lib, numba_funcs, N)
    x, v = point(N, seed=1)
    exact = float(rosen_cubic_grad(x, c) @ v)
    d = run(fdcore.jvp, compiled, x, v)
    assert isinstance(d, float)
    assert_agree(d, run(fdcore.jvp, python_twin(twin, c), x, v))
    assert abs(d - exact) <= 1e-7 * max(abs(twin(x, c)), abs(exact))
    dd = run(fdcore.directional_derivative, compiled, x, v)
    assert_agree(dd, run(fdcore.directional_derivative, python_twin(twin, c), x, v))
    assert abs(dd - exact / np.linalg.norm(v)) <= 1e-7 * max(abs(twin(x, c)), abs(exact))
    assert_agree(run(fdcore.directional_derivative, compiled, x, v, normalize=False), d)


@pytest.mark.parametrize("mode", list(JACOBIAN_MODES))
@pytest.mark.parametrize("kind", VECTOR_KINDS)
def test_jacobian_every_kind(kind, mode, lib, numba_funcs):
    compiled, twin, c = vector_kind(kind, lib, numba_funcs, N)
    options, tol = JACOBIAN_MODES[mode]
    x, _ = point(N)
    result = run(fdcore.jacobian, compiled, x, **options)
    assert value_of(result).shape == (N + 1, N)
    assert_agree(result, run(fdcore.jacobian, python_twin(twin, c), x, **options))
    assert rel_err(value_of(result), vec_cubic_jac(x, c), twin(x, c)) <= tol


@pytest.mark.parametrize("kind", VECTOR_KINDS)
def test_jvp_and_directional_derivative_every_vector_kind(kind, lib, numba_funcs):
    compiled, twin, c = vector_kind(kind, lib, numba_funcs, N)
    x, v = point(N, seed=2)
    exact = vec_cubic_jac(x, c) @ v
    d = run(fdcore.jvp, compiled, x, v)
    assert d.shape == (N + 1,)
    assert_agree(d, run(fdcore.jvp, python_twin(twin, c), x, v))
    assert rel_err(d, exact) <= 1e-7
    dd = run(fdcore.directional_derivative, compiled, x, v)
    assert_agree(dd, run(fdcore.directional_derivative, python_twin(twin, c), x, v))
    assert rel_err(dd, exact / np.linalg.norm(v)) <= 1e-7


@pytest.mark.parametrize("kind", ["problem", "capsule"])
@pytest.mark.parametrize("mode", ["central", "forward", "richardson"])
def test_cython_vector_capsule_jacobian(kind, mode):
    n = 12
    problem = fdcore.get_problem("broyden_tridiagonal", n)
    compiled = problem.compiled if kind == "problem" else fdcore.Callback(_cproblems.capsule("broyden_tridiagonal"), m=n)
    options = {"central": {}, "forward": {"method": "forward"}, "richardson": {"richardson": True}}[mode]
    x = problem.x0 + np.linspace(0.0, 0.3, n)
    J = run(fdcore.jacobian, compiled, x, **options)
    assert_agree(J, run(fdcore.jacobian, problem.f, x, **options))
    assert rel_err(J, problem.derivative(x), problem.f(x)) <= TOL_FIRST[options.get("method", "central")]
    v = np.linspace(1.0, -1.0, n)
    assert_agree(run(fdcore.jvp, compiled, x, v), problem.derivative(x) @ v, rtol=1e-8)


@pytest.mark.parametrize("form", ["ndarray", "int", "ctypes-array", "ctypes-pointer", "c_void_p", "cffi-pointer",
                                  "cffi-buffer", "capsule"])
def test_user_data_forms(form, lib):
    x, c = point(N)
    f = lib.scalar("rosen_cubic")
    array = c.copy()
    user_data = {
        "ndarray": lambda: array,
        "int": lambda: array.ctypes.data,
        "ctypes-array": lambda: (ctypes.c_double * N).from_buffer(array),
        "ctypes-pointer": lambda: array.ctypes.data_as(DOUBLE_P),
        "c_void_p": lambda: ctypes.c_void_p(array.ctypes.data),
        "cffi-pointer": lambda: lib.ffi.cast("double *", array.ctypes.data),
        "cffi-buffer": lambda: lib.ffi.from_buffer("double[]", array),
        "capsule": lambda: make_capsule(array.ctypes.data, b"coefficients"),
    }[form]()
    g = run(fdcore.gradient, fdcore.Callback(f, user_data), x)
    np.testing.assert_array_equal(g, run(fdcore.gradient, fdcore.Callback(f, c), x))
    assert rel_err(g, rosen_cubic_grad(x, c), rosen_cubic_np(x, c)) <= TOL_FIRST["central"]


def test_callback_user_data_overrides_lowlevelcallable_data(lib):
    import scipy

    x, c = point(N)
    other = np.zeros(N)
    llc = scipy.LowLevelCallable(lib.scalar("rosen_cubic"), _ptr(other))
    g_own = run(fdcore.gradient, llc, x, richardson=True)
    g_override = run(fdcore.gradient, fdcore.Callback(llc, c), x, richardson=True)
    # c = 0 adds nothing: the plain Rosenbrock gradient.
    assert rel_err(g_own, rosen_cubic_grad(x), rosen_cubic_np(x)) <= 1e-11
    assert rel_err(g_override, rosen_cubic_grad(x, c), rosen_cubic_np(x, c)) <= 1e-11


def test_callback_keeps_user_data_alive(lib):
    x, c = point(N)
    callback = fdcore.Callback(lib.scalar("rosen_cubic"), c.copy())  # the only reference to the copy
    gc.collect()
    junk = [np.full(N, 1e6) for _ in range(1000)]  # reuse freed memory if the copy were freed
    g = run(fdcore.gradient, callback, x)
    del junk
    assert rel_err(g, rosen_cubic_grad(x, c), rosen_cubic_np(x, c)) <= TOL_FIRST["central"]
    problem_callback = fdcore.get_problem("dense_quadratic", 10).compiled  # the Problem is dropped
    A = fdcore.get_problem("dense_quadratic", 10).hessian(None)
    gc.collect()
    junk = [np.full(110, -1e6) for _ in range(1000)]
    H = run(fdcore.hessian, problem_callback, np.zeros(10), richardson=True)
    del junk
    assert rel_err(H, A) <= 1e-10


def test_float32_x_is_computed_in_float64(lib):
    f = fdcore.Callback(lib.scalar("rosen_cubic"), point(N)[1])
    x32 = point(N)[0].astype(np.float32)
    x64 = x32.astype(np.float64)
    for entry, options in [(fdcore.gradient, {}), (fdcore.gradient, {"richardson": True}),
                           (fdcore.hessian, {"method": "forward"})]:
        np.testing.assert_array_equal(run(entry, f, x32, **options), run(entry, f, x64, **options))
    v = np.ones(N, dtype=np.float32)
    assert run(fdcore.jvp, f, x32, v) == run(fdcore.jvp, f, x64, v.astype(np.float64))
    vf = fdcore.Callback(lib.vector("vec_cubic"), m=N + 1)
    np.testing.assert_array_equal(run(fdcore.jacobian, vf, x32), run(fdcore.jacobian, vf, x64))


def test_out_arguments(lib):
    x, c = point(N)
    f = fdcore.Callback(lib.scalar("rosen_cubic"), c)
    vf = fdcore.Callback(lib.vector("vec_cubic"), c, m=N + 1)
    g = np.empty(N)
    assert run(fdcore.gradient, f, x, out=g) is g
    np.testing.assert_array_equal(g, run(fdcore.gradient, f, x))
    H = np.empty((N, N))
    assert run(fdcore.hessian, f, x, out=H) is H
    np.testing.assert_array_equal(H, run(fdcore.hessian, f, x))
    J = np.empty((N + 1, N))
    assert run(fdcore.jacobian, vf, x, out=J) is J
    np.testing.assert_array_equal(J, run(fdcore.jacobian, vf, x))
    with pytest.raises(ValueError):
        run(fdcore.jacobian, vf, x, out=np.empty((N, N)))


def test_noncontiguous_out_arguments(lib):
    """out need not be C-contiguous: the Python-callable path fills strided and Fortran-ordered
    arrays; the compiled path must accept the same out arrays."""
    x, c = point(N)
    f = fdcore.Callback(lib.scalar("rosen_cubic"), c)
    vf = fdcore.Callback(lib.vector("vec_cubic"), c, m=N + 1)
    g = np.zeros(2 * N)[::2]
    assert run(fdcore.gradient, f, x, out=g) is g
    np.testing.assert_array_equal(g, run(fdcore.gradient, f, x))
    H = np.zeros((N, N), order="F")
    assert run(fdcore.hessian, f, x, out=H) is H
    np.testing.assert_array_equal(H, run(fdcore.hessian, f, x))
    for method in ("central", "forward"):
        J = np.zeros((N + 1, N), order="F")
        assert run(fdcore.jacobian, vf, x, out=J, method=method) is J
        np.testing.assert_array_equal(J, run(fdcore.jacobian, vf, x, method=method))


# ---------------------------------------------------------------------------------------------
# Thread-count invariance: bit-identical results for 1, 2, 3, 4 threads
# ---------------------------------------------------------------------------------------------

THREADED_GRADIENT_MODES = ["central", "forward", "backward", "order4", "richardson", "adaptive",
                           "full_output-richardson"]
THREADED_HESSIAN_MODES = ["central", "forward", "backward", "order4", "richardson", "adaptive",
                          "full_output-richardson"]


def assert_bit_identical(a, b):
    if isinstance(a, fdcore.FDResult):
        np.testing.assert_array_equal(a.value, b.value)
        np.testing.assert_array_equal(a.error, b.error)
        np.testing.assert_array_equal(a.step, b.step)
        assert a.nfev == b.nfev
    else:
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("source", ["ctypes+data", "cython-problem"])
@pytest.mark.parametrize("mode", THREADED_GRADIENT_MODES)
def test_gradient_thread_count_invariance(mode, source, lib):
    x, c = point(N_THREADED)
    if source == "ctypes+data":
        f = fdcore.Callback(lib.scalar("rosen_cubic"), c)
    else:
        f = fdcore.get_problem("dense_quadratic", N_THREADED).compiled
    options = GRADIENT_MODES[mode][0]
    serial = run(fdcore.gradient, f, x, num_threads=1, **options)
    for num_threads in (2, 3, 4, None):
        assert_bit_identical(run(fdcore.gradient, f, x, num_threads=num_threads, **options), serial)


@pytest.mark.parametrize("mode", THREADED_GRADIENT_MODES)
def test_jacobian_thread_count_invariance(mode, lib):
    x, c = point(N_THREADED)
    f = fdcore.Callback(lib.vector("vec_cubic"), c, m=N_THREADED + 1)
    options = JACOBIAN_MODES[mode][0]
    serial = run(fdcore.jacobian, f, x, num_threads=1, **options)
    assert rel_err(value_of(serial), vec_cubic_jac(x, c), vec_cubic_np(x, c)) <= TOL_FIRST[
        options.get("method", "central")]
    for num_threads in (2, 3, 4, None):
        assert_bit_identical(run(fdcore.jacobian, f, x, num_threads=num_threads, **options), serial)


@pytest.mark.parametrize("source", ["ctypes+data", "cython-problem"])
@pytest.mark.parametrize("mode", THREADED_HESSIAN_MODES)
def test_hessian_thread_count_invariance(mode, source, lib):
    x, c = point(N_HESSIAN_THREADED)
    if source == "ctypes+data":
        f = fdcore.Callback(lib.scalar("rosen_cubic"), c)
    else:
        f = fdcore.get_problem("dense_quadratic", N_HESSIAN_THREADED).compiled
    options = HESSIAN_MODES[mode][0]
    serial = run(fdcore.hessian, f, x, num_threads=1, **options)
    for num_threads in (2, 3, 4, None):
        assert_bit_identical(run(fdcore.hessian, f, x, num_threads=num_threads, **options), serial)


@pytest.mark.parametrize("num_threads", [1, 2, 3, 4])
def test_jvp_thread_count_invariance(num_threads, lib):
    x, c = point(N_THREADED)
    f = fdcore.Callback(lib.scalar("rosen_cubic"), c)
    vf = fdcore.Callback(lib.vector("vec_cubic"), c, m=N_THREADED + 1)
    assert run(fdcore.jvp, f, x, c, num_threads=num_threads) == run(fdcore.jvp, f, x, c, num_threads=1)
    np.testing.assert_array_equal(run(fdcore.jvp, vf, x, c, num_threads=num_threads),
                                  run(fdcore.jvp, vf, x, c, num_threads=1))


class ThreadProbe(ctypes.Structure):
    _fields_ = [("centre", ctypes.c_void_p), ("ids", ctypes.c_void_p)]


@pytest.mark.parametrize("n, num_threads", [(N_THREADED, 1), (N_THREADED, 2), (N_THREADED, 4), (16, 4)])
def test_kernels_really_run_on_the_requested_threads(n, num_threads, lib):
    """The invariance tests are not vacuous: with n >= SERIAL_BELOW coordinates the gradient's
    stencils run on num_threads threads (with OpenMP); below it, serially on the calling thread."""
    from fdcore.evaluators import compiled as _ckernels
    from fdcore.evaluators import threads as _threads

    x, _ = point(n)
    ids = np.zeros(n, dtype=np.uint64)
    probe = ThreadProbe(x.ctypes.data, ids.ctypes.data)
    g = run(fdcore.gradient, fdcore.Callback(lib.scalar("thread_probe"), probe), x, num_threads=num_threads)
    assert rel_err(g, rosen_cubic_grad(x), rosen_cubic_np(x)) <= TOL_FIRST["central"]
    threads = set(ids.tolist())
    assert 0 not in threads  # every coordinate was perturbed
    parallel = n >= _ckernels.SERIAL_BELOW and num_threads > 1 and _threads.openmp_enabled()
    if parallel:  # dynamic schedule; the probe sleeps 1 ms per evaluation, so no thread takes all
        assert 2 <= len(threads) <= num_threads
    else:
        assert threads == {threading.get_ident()}


# ---------------------------------------------------------------------------------------------
# Error paths
# ---------------------------------------------------------------------------------------------

def assert_lists_signatures(excinfo):
    message = str(excinfo.value)
    assert SCALAR_SIGNATURE in message and VECTOR_SIGNATURE in message, message
    assert SCALAR_SIGNATURE == "double (int, double *, void *)"
    assert VECTOR_SIGNATURE == "int (int, double *, int, double *, void *)"


def wrong_signatures(lib, numba_funcs):
    import scipy
    from numba import cfunc, types

    address = lib.address("rosen_cubic")
    float_proto = ctypes.CFUNCTYPE(ctypes.c_float, ctypes.c_int, DOUBLE_P, ctypes.c_void_p)
    float_args = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, ctypes.POINTER(ctypes.c_float), ctypes.c_void_p)
    no_data = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, DOUBLE_P)
    vector_no_m = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, DOUBLE_P, DOUBLE_P, ctypes.c_void_p)
    raw = ctypes.CDLL(lib.cdll._name).rosen_cubic  # restype/argtypes never set: 'int ()'

    @cfunc(types.float64(types.float64))
    def numba_wrong(t):
        return t

    @cfunc(types.float32(types.intc, types.CPointer(types.double), types.voidptr))
    def numba_float(n, xp, data):
        return 0.0

    return {
        "ctypes-float-restype": float_proto(address),
        "ctypes-float-pointer": float_args(address),
        "ctypes-no-user_data": no_data(address),
        "ctypes-vector-without-m-argument": vector_no_m(lib.address("vec_cubic")),
        "ctypes-unprototyped": raw,
        "cffi-float": lib.ffi.cast("float(*)(int, double *, void *)", address),
        "cffi-no-user_data": lib.ffi.cast("double(*)(int, double *)", address),
        "cffi-not-a-function": lib.ffi.new("double[3]"),
        "capsule-other-name": make_capsule(address, b"double (double *, int)"),
        "capsule-float": make_capsule(address, b"float (int, float *, void *)"),
        "capsule-unnamed": make_capsule(address, None),
        "lowlevelcallable-float": scipy.LowLevelCallable(float_proto(address)),
        "numba-wrong": numba_wrong,
        "numba-float": numba_float,
    }


WRONG = ["ctypes-float-restype", "ctypes-float-pointer", "ctypes-no-user_data", "ctypes-vector-without-m-argument",
         "ctypes-unprototyped", "cffi-float", "cffi-no-user_data", "cffi-not-a-function", "capsule-other-name",
         "capsule-float", "capsule-unnamed", "lowlevelcallable-float", "numba-wrong", "numba-float"]


@pytest.fixture(scope="module")
def wrong(lib, numba_funcs):
    return wrong_signatures(lib, numba_funcs)


@pytest.mark.parametrize("name", WRONG)
def test_wrong_signature_is_refused_listing_both_signatures(name, wrong):
    f = wrong[name]
    x, _ = point(N)
    for entry in (fdcore.gradient, fdcore.hessian, fdcore.jacobian):
        with pytest.raises(ValueError) as excinfo:
            run(entry, f, x)
        assert_lists_signatures(excinfo)
    with pytest.raises(ValueError) as excinfo:
        run(fdcore.jvp, f, x, np.ones(N))
    assert_lists_signatures(excinfo)
    with pytest.raises(ValueError) as excinfo:
        fdcore.Callback(f)
    assert_lists_signatures(excinfo)


def test_capsule_name_whitespace_is_not_significant(lib):
    x, c = point(N)
    capsule = make_capsule(lib.address("rosen_cubic"), b"double(int,double*,void*)")
    np.testing.assert_array_equal(run(fdcore.gradient, capsule, x), run(fdcore.gradient, lib.scalar("rosen_cubic"), x))


def test_python_callable_is_not_a_callback():
    with pytest.raises(TypeError, match="compiled callback"):
        fdcore.Callback(lambda x: 0.0)


@pytest.mark.parametrize("bad_m", ["missing", None, 0, -3, True, 1.5])
def test_vector_callback_needs_m(bad_m, lib):
    f = lib.vector("vec_cubic")
    x, _ = point(N)
    with pytest.raises(ValueError, match=r"\bm\b"):
        fdcore.Callback(f) if bad_m == "missing" else fdcore.Callback(f, m=bad_m)
    if bad_m in ("missing", None):
        for entry in (fdcore.jacobian, fdcore.gradient):
            with pytest.raises(ValueError, match=r"\bm\b"):
                run(entry, f, x)
        with pytest.raises(ValueError, match=r"\bm\b"):
            run(fdcore.jvp, f, x, np.ones(N))


def test_scalar_callback_refuses_m(lib):
    with pytest.raises(ValueError, match=r"\bm\b"):
        fdcore.Callback(lib.scalar("rosen_cubic"), m=3)


@pytest.mark.parametrize("mode", ["central", "forward", "backward", "order4", "richardson", "adaptive",
                                  "full_output"])
def test_vector_callback_to_gradient_and_hessian(mode, lib):
    f = fdcore.Callback(lib.vector("vec_cubic"), m=N + 1)
    x, _ = point(N)
    options = GRADIENT_MODES[mode][0]
    with pytest.raises(ValueError, match="scalar callback"):
        run(fdcore.gradient, f, x, **options)
    with pytest.raises(ValueError, match="scalar callback"):
        run(fdcore.hessian, f, x, **{k: v for k, v in options.items() if k != "order"})


@pytest.mark.parametrize("mode", ["central", "forward", "backward", "order4", "richardson", "adaptive",
                                  "full_output"])
def test_scalar_callback_to_jacobian(mode, lib):
    x, _ = point(N)
    options = JACOBIAN_MODES[mode][0]
    for f in (lib.scalar("rosen_cubic"), fdcore.get_problem("rosenbrock", N).compiled):
        with pytest.raises(ValueError, match="vector callback"):
            run(fdcore.jacobian, f, x, **options)


FAILING_MODES = ["central", "forward", "backward", "order4", "richardson", "adaptive", "full_output"]


@pytest.mark.parametrize("num_threads", [1, 2])
@pytest.mark.parametrize("mode", FAILING_MODES)
def test_vector_callback_status_is_reported(mode, num_threads, lib):
    x, _ = point(N_THREADED)
    centre = x.copy()
    f = fdcore.Callback(lib.vector("vec_fail_at_3"), centre, m=N_THREADED + 1)
    with pytest.raises(RuntimeError) as excinfo:
        run(fdcore.jacobian, f, x, num_threads=num_threads, **JACOBIAN_MODES[mode][0])
    message = str(excinfo.value)
    assert "coordinate 3" in message and "status 7" in message, message


@pytest.mark.parametrize("mode", ["central", "richardson"])
def test_smallest_failing_coordinate_is_reported_for_every_thread_count(mode, lib):
    """Two coordinates fail (3 with status 7, 40 with status 9). A serial run reports coordinate 3,
    the first it meets; kernels record "the first failure seen (by coordinate index, smallest
    wins)", and results must not depend on the thread count -- so every thread count must report
    coordinate 3 too. (The callback delays coordinates 0..2 so that, run in parallel, another
    thread meets coordinate 40 first.)"""
    x, _ = point(N_THREADED)
    f = fdcore.Callback(lib.vector("vec_fail_at_3_and_40"), x.copy(), m=N_THREADED + 1)
    for num_threads in (1, 2, 4):
        with pytest.raises(RuntimeError) as excinfo:
            run(fdcore.jacobian, f, x, num_threads=num_threads, **JACOBIAN_MODES[mode][0])
        message = str(excinfo.value)
        assert "coordinate 3" in message and "status 7" in message, f"num_threads={num_threads}: {message}"


def test_vector_callback_status_in_jvp(lib):
    x, _ = point(N)
    f = fdcore.Callback(lib.vector("vec_fail_at_3"), x.copy(), m=N + 1)
    with pytest.raises(RuntimeError, match="status 7"):
        run(fdcore.jvp, f, x, np.eye(N)[3])
    # Directions that leave x[3] alone succeed.
    d = run(fdcore.jvp, f, x, np.eye(N)[5])
    assert rel_err(d, vec_cubic_jac(x)[:, 5]) <= 1e-7


def test_wrong_m_surfaces_as_the_callbacks_status(lib):
    x, _ = point(N)
    f = fdcore.Callback(lib.vector("vec_cubic"), m=N)  # vec_cubic needs m = n + 1: returns 1
    with pytest.raises(RuntimeError, match="status 1"):
        run(fdcore.jacobian, f, x)


# A callback that writes into x. Was: the stencil was corrupted silently (the kernels perturb a
# work copy in place). It writes x[0] (a coordinate the first evaluations perturb) or x[n - 1]
# (one that most threads never perturb: seen before its own perturbation or at the end).

WRITES_X_ENTRIES = {f"gradient-{mode}": (fdcore.gradient, kwargs) for mode, (kwargs, _) in GRADIENT_MODES.items()}
WRITES_X_ENTRIES |= {f"hessian-{mode}": (fdcore.hessian, kwargs) for mode, (kwargs, _) in HESSIAN_MODES.items()}
WRITES_X_ENTRIES["jvp"] = (lambda f, x, **kw: fdcore.jvp(f, x, np.ones_like(x), **kw), {})
WRITES_X_ENTRIES["sparse hessian"] = (fdcore.hessian, {"sparsity": np.eye(N_THREADED, k=1) + np.eye(N_THREADED)})


@pytest.mark.parametrize("written", [0, N_THREADED - 1], ids=["x[0]", "x[n-1]"])
@pytest.mark.parametrize("num_threads", [1, 2])
@pytest.mark.parametrize("entry", list(WRITES_X_ENTRIES))
def test_scalar_callback_that_writes_into_x_is_refused(entry, num_threads, written, lib):
    x, _ = point(N_THREADED)
    f = fdcore.Callback(lib.scalar("writes_x"), np.array([float(written)]))
    function, kwargs = WRITES_X_ENTRIES[entry]
    with pytest.raises(ValueError, match="wrote into its x argument"):
        run(function, f, x, num_threads=num_threads, **kwargs)


@pytest.mark.parametrize("written", [0, N_THREADED - 1], ids=["x[0]", "x[n-1]"])
@pytest.mark.parametrize("num_threads", [1, 2])
@pytest.mark.parametrize("mode", list(JACOBIAN_MODES))
def test_vector_callback_that_writes_into_x_is_refused(mode, num_threads, written, lib):
    x, _ = point(N_THREADED)
    f = fdcore.Callback(lib.vector("vec_writes_x"), np.array([float(written)]), m=N_THREADED + 1)
    with pytest.raises(ValueError, match="wrote into its x argument"):
        run(fdcore.jacobian, f, x, num_threads=num_threads, **JACOBIAN_MODES[mode][0])


def test_callback_that_writes_into_x_leaves_fdcore_usable(lib):
    x, c = point(N_THREADED)
    with pytest.raises(ValueError, match="wrote into its x argument"):
        fdcore.gradient(fdcore.Callback(lib.scalar("writes_x"), np.array([3.0])), x, num_threads=2)
    g = run(fdcore.gradient, fdcore.Callback(lib.scalar("rosen_cubic"), c), x, num_threads=2)
    assert rel_err(g, rosen_cubic_grad(x, c), rosen_cubic_np(x, c)) <= TOL_FIRST["central"]


NAN_GRADIENT_MODES = ["central", "forward", "backward", "order4", "richardson", "adaptive", "full_output"]


def _nonfinite_message(coords, what):
    return f"f returned NaN or inf at stencil points of coordinates {coords}; those {what} entries are NaN"


@pytest.mark.parametrize("num_threads", [1, 2])
@pytest.mark.parametrize("mode", NAN_GRADIENT_MODES)
def test_scalar_callback_nan_and_inf_are_flagged(mode, num_threads, lib):
    n = N_THREADED
    x, _ = point(n)
    centre = x.copy()
    f = fdcore.Callback(lib.scalar("scalar_nan"), centre)

    def twin(p):
        if p[2] != centre[2]:
            return np.nan
        if p[7] != centre[7]:
            return np.inf
        return rosen_cubic_np(p)

    options = GRADIENT_MODES[mode][0]
    result, caught = record_warnings(lambda: run(fdcore.gradient, f, x, num_threads=num_threads, **options))
    expected, expected_caught = record_warnings(lambda: run(fdcore.gradient, twin, x, **options))
    assert caught == expected_caught
    assert (RuntimeWarning, _nonfinite_message("2, 7", "gradient")) in caught
    g = value_of(result)
    assert np.flatnonzero(np.isnan(g)).tolist() == [2, 7]
    if isinstance(result, fdcore.FDResult):
        assert np.isinf(result.error[[2, 7]]).all()
    finite = np.isfinite(g)
    assert finite.sum() == n - 2
    assert_agree(g[finite], value_of(expected)[finite])
    assert rel_err(g[finite], rosen_cubic_grad(x)[finite], rosen_cubic_np(x)) <= GRADIENT_MODES[mode][1]


@pytest.mark.parametrize("mode", ["central", "forward", "richardson"])
def test_scalar_callback_nan_in_hessian(mode, lib):
    x, _ = point(N)
    centre = x.copy()
    f = fdcore.Callback(lib.scalar("scalar_nan"), centre)

    def twin(p):
        if p[2] != centre[2]:
            return np.nan
        if p[7] != centre[7]:
            return np.inf
        return rosen_cubic_np(p)

    options = HESSIAN_MODES[mode][0]
    H, caught = record_warnings(lambda: run(fdcore.hessian, f, x, **options))
    expected, expected_caught = record_warnings(lambda: run(fdcore.hessian, twin, x, **options))
    assert caught == expected_caught
    assert any(category is RuntimeWarning and "Hessian entries are NaN" in message for category, message in caught)
    bad = np.zeros((N, N), dtype=bool)
    bad[[2, 7], :] = bad[:, [2, 7]] = True
    np.testing.assert_array_equal(np.isnan(H), bad)
    np.testing.assert_array_equal(np.isnan(expected), bad)
    assert_agree(H[~bad], expected[~bad])


@pytest.mark.parametrize("num_threads", [1, 2])
@pytest.mark.parametrize("mode", NAN_GRADIENT_MODES)
def test_vector_callback_nan_and_inf_are_flagged(mode, num_threads, lib):
    n = N_THREADED
    x, _ = point(n)
    centre = x.copy()
    f = fdcore.Callback(lib.vector("vec_nan"), centre, m=n + 1)

    def twin(p):
        out = vec_cubic_np(p)
        if p[5] != centre[5]:
            out[0] = np.nan
        if p[9] != centre[9]:
            out[2] = np.inf
        return out

    options = JACOBIAN_MODES[mode][0]
    result, caught = record_warnings(lambda: run(fdcore.jacobian, f, x, num_threads=num_threads, **options))
    expected, expected_caught = record_warnings(lambda: run(fdcore.jacobian, twin, x, **options))
    assert caught == expected_caught
    assert (RuntimeWarning, _nonfinite_message("5, 9", "Jacobian")) in caught
    J = value_of(result)
    assert np.argwhere(np.isnan(J)).tolist() == [[0, 5], [2, 9]]
    finite = np.isfinite(J)
    assert_agree(J[finite], value_of(expected)[finite])


def test_nan_in_jvp(lib):
    x, _ = point(N)
    f = fdcore.Callback(lib.scalar("scalar_nan"), x.copy())
    d, caught = record_warnings(lambda: run(fdcore.jvp, f, x, np.eye(N)[2]))
    assert np.isnan(d)
    assert any(category is RuntimeWarning and "NaN" in message for category, message in caught)
    d, caught = record_warnings(lambda: run(fdcore.jvp, f, x, np.eye(N)[4]))
    assert np.isfinite(d) and not caught


@pytest.mark.parametrize("entry", ["gradient", "jacobian", "hessian"])
def test_complex_method_is_refused(entry, lib):
    x, c = point(N)
    f = (fdcore.Callback(lib.vector("vec_cubic"), m=N + 1) if entry == "jacobian"
         else fdcore.Callback(lib.scalar("rosen_cubic"), c))
    with pytest.raises(TypeError, match="complex"):
        run(getattr(fdcore, entry), f, x, method="complex")


@pytest.mark.parametrize("extra", [{"args": (1.0,)}, {"kwargs": {"scale": 2.0}}])
@pytest.mark.parametrize("entry", ["gradient", "jacobian", "hessian", "jvp", "directional_derivative"])
def test_args_and_kwargs_are_refused(entry, extra, lib):
    x, c = point(N)
    f = (fdcore.Callback(lib.vector("vec_cubic"), m=N + 1) if entry == "jacobian"
         else fdcore.Callback(lib.scalar("rosen_cubic"), c))
    direction = (np.ones(N),) if entry in ("jvp", "directional_derivative") else ()
    with pytest.raises(TypeError, match="user_data"):
        run(getattr(fdcore, entry), f, x, *direction, **extra)


@pytest.mark.parametrize("num_threads", [0, -1, 1.5, True, "2"])
@pytest.mark.parametrize("entry", ["gradient", "jacobian", "hessian", "jvp", "directional_derivative"])
def test_bad_num_threads(entry, num_threads, lib):
    x, c = point(N)
    f = (fdcore.Callback(lib.vector("vec_cubic"), m=N + 1) if entry == "jacobian"
         else fdcore.Callback(lib.scalar("rosen_cubic"), c))
    direction = (np.ones(N),) if entry in ("jvp", "directional_derivative") else ()
    with pytest.raises(ValueError, match="num_threads"):
        run(getattr(fdcore, entry), f, x, *direction, num_threads=num_threads)


def test_num_threads_accepts_numpy_integers(lib):
    x, c = point(N_THREADED)
    f = fdcore.Callback(lib.scalar("rosen_cubic"), c)
    np.testing.assert_array_equal(run(fdcore.gradient, f, x, num_threads=np.int64(3)),
                                  run(fdcore.gradient, f, x, num_threads=1))


def test_bad_user_data(lib):
    f = lib.scalar("rosen_cubic")
    with pytest.raises(ValueError, match="C-contiguous"):
        fdcore.Callback(f, np.zeros(2 * N)[::2])
    with pytest.raises(TypeError, match="user_data"):
        fdcore.Callback(f, [1.0] * N)


# ---------------------------------------------------------------------------------------------
# The built-in problems' compiled versions
# ---------------------------------------------------------------------------------------------

def norm_rel(a, b):
    return float(np.linalg.norm(np.asarray(a) - b) / np.linalg.norm(b))


PROBLEMS = ["rosenbrock", "extended_powell", "broyden_tridiagonal", "dense_quadratic"]


@pytest.mark.parametrize("n", [8, 100])
@pytest.mark.parametrize("name", PROBLEMS)
def test_compiled_problem_first_derivatives(name, n):
    problem = fdcore.get_problem(name, n)
    assert isinstance(problem.compiled, fdcore.Callback)
    assert problem.compiled.kind == ("vector" if problem.vector else "scalar")
    x = problem.x0
    before = x.copy()
    exact = problem.derivative(x)
    entry = fdcore.jacobian if problem.vector else fdcore.gradient
    f0 = problem.f(x)
    # The accurate mode: both paths within ~1e-11 of the exact derivative, so within 1e-9 of each other.
    accurate = run(entry, problem.compiled, x, richardson=True)
    assert norm_rel(accurate, run(entry, problem.f, x, richardson=True)) <= AGREE
    assert norm_rel(accurate, exact) <= AGREE
    # The default central difference (its values differ from the NumPy f's by rounding only).
    plain = run(entry, problem.compiled, x)
    assert rel_err(plain, exact, f0) <= TOL_FIRST["central"]
    assert rel_err(plain, run(entry, problem.f, x), f0) <= TOL_FIRST["central"]
    np.testing.assert_array_equal(problem.x0, before)
    # The compiled function's value is the NumPy one (up to summation order).
    if problem.vector:
        out = run(fdcore.jvp, problem.compiled, x, np.ones(n))
        assert rel_err(out, exact @ np.ones(n), f0) <= 1e-7
    else:
        assert rel_err(run(fdcore.jvp, problem.compiled, x, np.ones(n)), exact.sum(), f0) <= 1e-7


@pytest.mark.parametrize("n", [8, 100])
@pytest.mark.parametrize("name", [p for p in PROBLEMS if p != "broyden_tridiagonal"])
def test_compiled_problem_hessian(name, n):
    problem = fdcore.get_problem(name, n)
    x = problem.x0
    exact = problem.hessian(x)
    accurate = run(fdcore.hessian, problem.compiled, x, richardson=True)
    np.testing.assert_array_equal(accurate, accurate.T)
    assert norm_rel(accurate, run(fdcore.hessian, problem.f, x, richardson=True)) <= AGREE
    assert norm_rel(accurate, exact) <= AGREE
    plain = run(fdcore.hessian, problem.compiled, x)
    f0 = problem.f(x)
    assert rel_err(plain, exact, f0) <= TOL_SECOND["central"]
    assert rel_err(plain, run(fdcore.hessian, problem.f, x), f0) <= 2 * TOL_SECOND["central"]


def test_compiled_dense_quadratic_uses_its_user_data():
    problem = fdcore.get_problem("dense_quadratic", 6)
    capsule = _cproblems.capsule("dense_quadratic")
    rng = np.random.default_rng(5)
    A = rng.standard_normal((6, 6))
    A = A + A.T
    b = rng.standard_normal(6)
    data = np.concatenate([A.ravel(), b])
    x = rng.uniform(-1, 1, 6)
    assert rel_err(run(fdcore.gradient, fdcore.Callback(capsule, data), x, richardson=True), A @ x + b) <= 1e-11
    assert rel_err(run(fdcore.hessian, fdcore.Callback(capsule, data), x, richardson=True), A) <= 1e-10
    # The problem's own callback carries the problem's A and b.
    assert rel_err(run(fdcore.gradient, problem.compiled, x, richardson=True), problem.derivative(x)) <= 1e-11


def test_unknown_compiled_problem():
    with pytest.raises(ValueError, match="no compiled version"):
        _cproblems.capsule("wood")


def test_linearize_and_classify_accept_compiled_callbacks():
    p = fdcore.get_problem("rosenbrock", 4)
    model = fdcore.linearize(p.compiled, p.x0)
    np.testing.assert_allclose(model.value, p.f(p.x0), rtol=1e-14)
    np.testing.assert_allclose(model.jacobian, p.derivative(p.x0), rtol=1e-8)
    assert fdcore.classify_critical_point(p.compiled, np.ones(4)).kind == "minimum"
    q = fdcore.get_problem("broyden_tridiagonal", 6)
    np.testing.assert_allclose(fdcore.linearize(q.compiled, q.x0).jacobian, q.derivative(q.x0), atol=1e-8)


@pytest.mark.parametrize("num_threads", [1, 2])
def test_pair_values_agree_across_evaluator_kinds(num_threads, lib):
    """Evaluator.pair_values (the accurate Hessian's four-corner points): the compiled kernel (nogil,
    OpenMP over the points), the Python-callable loop and the batched evaluator give the same values
    bit for bit, for pairs and for axis points (second < 0), and leave the work copy of x as it was."""
    from fdcore.evaluators.protocol import BatchOptions, make_evaluator

    x, c = point(N_HESSIAN_THREADED)
    rng = np.random.default_rng(3)
    P = 64  # >= SERIAL_BELOW: the compiled kernel runs on num_threads
    first = rng.integers(0, x.size, P).astype(np.intp)
    second = np.where(rng.random(P) < 0.25, -1, (first + 1 + rng.integers(0, x.size - 1, P)) % x.size).astype(np.intp)
    first_step, second_step = rng.normal(size=P) * 0.1, rng.normal(size=P) * 0.1
    expected = np.empty(P)
    for k in range(P):
        p = x.copy()
        p[first[k]] += first_step[k]
        if second[k] >= 0:
            p[second[k]] += second_step[k]
        expected[k] = rosen_cubic_np(p, c)
    evaluators = [make_evaluator(fdcore.Callback(lib.scalar("rosen_cubic"), c), x, num_threads=num_threads),
                  make_evaluator(python_twin(rosen_cubic_np, c), x),
                  make_evaluator(lambda X: np.array([rosen_cubic_np(X[:, k], c) for k in range(X.shape[1])]), x,
                                 batch=BatchOptions(vectorized=True))]
    for evaluator in evaluators:
        values = np.empty(P)
        evaluator.pair_values(first, first_step, second, second_step, values)
        np.testing.assert_array_equal(values, expected)
        np.testing.assert_array_equal(evaluator.x, x)
