"""No leaks: repeated calls of every entry point keep traced memory and reference counts flat.
(A modest count here; benchmarks/leak_run.py runs 10^5 calls.)"""

import gc
import sys
import tracemalloc

import numpy as np
import pytest

import fdcore

P = fdcore.get_problem("rosenbrock", 8)
V = fdcore.get_problem("broyden_tridiagonal", 8)
CALLS = {
    "gradient": lambda: fdcore.gradient(P.f, P.x0),
    "gradient compiled": lambda: fdcore.gradient(P.compiled, P.x0, num_threads=2),
    "gradient accurate": lambda: fdcore.gradient(P.f, P.x0, richardson=True, full_output=True),
    "jacobian": lambda: fdcore.jacobian(V.f, V.x0),
    "jacobian compiled": lambda: fdcore.jacobian(V.compiled, V.x0),
    "hessian": lambda: fdcore.hessian(P.f, P.x0),
    "hessian compiled": lambda: fdcore.hessian(P.compiled, P.x0),
    "jvp": lambda: fdcore.jvp(P.f, P.x0, np.ones(8)),
    "derivative": lambda: fdcore.derivative(np.sin, np.linspace(0, 1, 8)),
    "vectorized": lambda: fdcore.gradient(lambda X: np.sum(X**2, axis=0), P.x0, vectorized=True),
    "check_grad": lambda: fdcore.check_grad(P.f, P.derivative, P.x0),
    "nan warning": lambda: fdcore.gradient(lambda x: np.nan, P.x0),
}


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("name", list(CALLS))
def test_repeated_calls_do_not_grow_memory(name):
    call = CALLS[name]
    for _ in range(50):  # warm caches (option parsing, stencils, plans)
        call()
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    refs = sys.gettotalrefcount() if hasattr(sys, "gettotalrefcount") else None
    for _ in range(500):
        call()
    gc.collect()
    growth = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert growth < 64 * 1024, f"{name}: traced memory grew by {growth} bytes over 500 calls"
    if refs is not None:  # debug builds of Python only
        assert sys.gettotalrefcount() - refs < 1000
