"""No leaks: repeated calls of every entry point keep traced memory and reference counts flat.
(A modest count here; benchmarks/leak_run.py runs 10^5 calls.)"""

import ctypes
import gc
import sys
import tracemalloc

import numpy as np
import pytest

import fdcore
from fdcore.compat import numdifftools as compat_nd
from fdcore.compat import scipy as compat_scipy

P = fdcore.get_problem("rosenbrock", 8)
V = fdcore.get_problem("broyden_tridiagonal", 8)
TRIDIAGONAL = np.eye(8, dtype=bool) | np.eye(8, k=1, dtype=bool) | np.eye(8, k=-1, dtype=bool)
_VECTOR_PROTO = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_int,
                                 ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)
FAILING_CALLBACK = _VECTOR_PROTO(lambda n, x, m, out, data: 7)  # a vector callback: status 7


CALLS_TRACED = 200


def _raises(call, exception):
    """The call, expected to raise: error paths must not leak either."""

    def run():
        try:
            call()
        except exception:
            return
        raise AssertionError("expected an exception")

    return run


def _f_raises(x):
    raise ArithmeticError("boom")


# One call of each public entry point and evaluator, and of the error paths (also used by
# benchmarks/leak_run.py for its 10^5-call run).
CALLS = {
    "gradient": lambda: fdcore.gradient(P.f, P.x0),
    "gradient compiled": lambda: fdcore.gradient(P.compiled, P.x0, num_threads=2),
    "gradient accurate": lambda: fdcore.gradient(P.f, P.x0, richardson=True, full_output=True),
    "gradient complex": lambda: fdcore.gradient(lambda x: np.sum(np.sin(x)), P.x0, method="complex"),
    "gradient bounds": lambda: fdcore.gradient(P.f, P.x0, bounds=(P.x0, np.inf)),
    "gradient workers=map": lambda: fdcore.gradient(P.f, P.x0, workers=map),
    "vectorized": lambda: fdcore.gradient(lambda X: np.sum(X**2, axis=0), P.x0, vectorized=True),
    "jacobian": lambda: fdcore.jacobian(V.f, V.x0),
    "jacobian compiled": lambda: fdcore.jacobian(V.compiled, V.x0),
    "jacobian sparse": lambda: fdcore.jacobian(V.f, V.x0, sparsity=TRIDIAGONAL),
    "hessian": lambda: fdcore.hessian(P.f, P.x0),
    "hessian compiled": lambda: fdcore.hessian(P.compiled, P.x0),
    "hessian from gradient": lambda: fdcore.hessian(None, P.x0, grad=P.derivative),
    "jvp": lambda: fdcore.jvp(P.f, P.x0, np.ones(8)),
    "directional_derivative": lambda: fdcore.directional_derivative(P.f, P.x0, np.ones(8)),
    "hvp": lambda: fdcore.hvp(None, P.x0, np.ones(8), grad=P.derivative),
    "derivative": lambda: fdcore.derivative(np.sin, np.linspace(0, 1, 8)),
    "partials": lambda: fdcore.partials(lambda a, b: a * b, np.linspace(0, 1, 8), np.linspace(1, 2, 8)),
    "linearize": lambda: fdcore.linearize(V.f, V.x0),
    "classify_critical_point": lambda: fdcore.classify_critical_point(lambda x: float(x @ x), np.zeros(3)),
    "check_grad": lambda: fdcore.check_grad(P.f, P.derivative, P.x0),
    "check_jacobian": lambda: fdcore.check_jacobian(V.f, V.derivative, V.x0),
    "compat.scipy approx_derivative": lambda: compat_scipy.approx_derivative(P.f, P.x0),
    "compat.numdifftools Gradient": lambda: compat_nd.Gradient(P.f)(P.x0),
    "nan warning": lambda: fdcore.gradient(lambda x: np.nan, P.x0),
    "f raises": _raises(lambda: fdcore.gradient(_f_raises, P.x0), ArithmeticError),
    "callback status": _raises(lambda: fdcore.jacobian(fdcore.Callback(FAILING_CALLBACK, m=3), P.x0), RuntimeError),
    "bad argument": _raises(lambda: fdcore.gradient(P.f, P.x0, step=-1.0), ValueError),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", list(CALLS))
def test_repeated_calls_do_not_grow_memory(name):
    call = CALLS[name]
    for _ in range(20):  # warm caches (option parsing, stencils, plans)
        call()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    refs = sys.gettotalrefcount() if hasattr(sys, "gettotalrefcount") else None
    for _ in range(CALLS_TRACED):
        call()
    gc.collect()
    growth = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    # 64 KiB over 200 calls: less than one leaked small array (~300 bytes) per call; scipy.sparse
    # and NumPy's caches wander by ~35 KiB
    assert growth < 64 * 1024, f"{name}: traced memory grew by {growth} bytes over {CALLS_TRACED} calls"
    if refs is not None:  # debug builds of Python only
        assert sys.gettotalrefcount() - refs < 1000
