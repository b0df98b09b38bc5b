"""The long leak run: 10^5 calls of each entry point, traced memory reported every 10^4 calls.

Run: python benchmarks/leak_run.py [CALLS]. A flat 'traced' column means no leak. (The test
suite's tests/test_leaks.py runs the same calls 500 times.)
"""

import gc
import sys
import tracemalloc
import warnings

import numpy as np

import fdcore

P = fdcore.get_problem("rosenbrock", 8)
V = fdcore.get_problem("broyden_tridiagonal", 8)
CALLS = {
    "gradient": lambda: fdcore.gradient(P.f, P.x0),
    "gradient compiled": lambda: fdcore.gradient(P.compiled, P.x0, num_threads=2),
    "gradient accurate": lambda: fdcore.gradient(P.f, P.x0, richardson=True, full_output=True),
    "jacobian compiled": lambda: fdcore.jacobian(V.compiled, V.x0),
    "hessian compiled": lambda: fdcore.hessian(P.compiled, P.x0),
    "vectorized": lambda: fdcore.gradient(lambda X: np.sum(X**2, axis=0), P.x0, vectorized=True),
    "nan warning": lambda: fdcore.gradient(lambda x: np.nan, P.x0),
}


def main(calls=100_000):
    warnings.simplefilter("ignore")
    for name, call in CALLS.items():
        for _ in range(100):
            call()
        gc.collect()
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        print(f"{name}:", end="")
        for k in range(calls):
            call()
            if (k + 1) % (calls // 10) == 0:
                gc.collect()
                print(f" {tracemalloc.get_traced_memory()[0] - start:+d}", end="", flush=True)
        tracemalloc.stop()
        print(" bytes")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
