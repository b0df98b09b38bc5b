"""Batched and parallel evaluation (issue 5's goals), same run:

- vectorized gradient of scipy.optimize.rosen (which accepts (n, k) arrays) at n = 100: >= 10x
  faster than the Python-callable path; at n = 3000 the peak memory stays within the batch
  budget plus O(n) (measured with tracemalloc on a vectorized f without large temporaries);
- an expensive f (~5 ms per call, n = 64): workers=2 >= 1.7x faster than serial; a dask
  LocalCluster with 2 workers >= 1.5x faster than serial.

Run: OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 pytest benchmarks/test_bench_parallel.py
(single-threaded BLAS, so that the workers, not BLAS threads, use the two cores).
"""

import tracemalloc

import numpy as np
import pytest

import fdcore
from fdcore.bench.workers import expensive  # ~5 ms per call at n = 64; picklable by name

scipy_optimize = pytest.importorskip("scipy.optimize")
X100 = np.random.default_rng(1).uniform(-1.0, 2.0, 100)
X64 = np.linspace(0.0, 1.0, 64)


def test_vectorized_rosen(benchmark):
    benchmark.group = "rosen gradient n=100: vectorized vs Python path"
    g = benchmark(fdcore.gradient, scipy_optimize.rosen, X100, vectorized=True)
    exact = scipy_optimize.rosen_der(X100)
    assert np.max(np.abs(g - exact)) <= 1e-8 * np.max(np.abs(exact))


def test_python_path_rosen(benchmark):
    benchmark.group = "rosen gradient n=100: vectorized vs Python path"
    benchmark(fdcore.gradient, scipy_optimize.rosen, X100)


def test_vectorized_memory_is_bounded():
    """Peak traced memory of a vectorized gradient at n = 3000 <= budget + 64 n doubles."""
    n, budget = 3000, 8 * 2**20
    x = np.random.default_rng(2).uniform(-1.0, 2.0, n)

    def squares(points):  # no temporaries beyond its (k,) result
        return np.einsum("ij,ij->j", points, points)

    tracemalloc.start()
    g = fdcore.gradient(squares, x, vectorized=True, max_batch_bytes=budget)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert np.max(np.abs(g - 2 * x)) <= 1e-6 * np.max(np.abs(2 * x))  # round-off EPS |f| / h, f ~ 4e3
    assert peak <= budget + 64 * 8 * n


def test_expensive_serial(benchmark):
    benchmark.group = "expensive f (~5 ms) gradient n=64"
    benchmark.pedantic(fdcore.gradient, args=(expensive, X64), rounds=3)


def test_expensive_workers_2(benchmark):
    benchmark.group = "expensive f (~5 ms) gradient n=64"
    fdcore.gradient(expensive, X64, workers=2)  # start the pool outside the timing
    benchmark.pedantic(fdcore.gradient, args=(expensive, X64), kwargs={"workers": 2}, rounds=3)


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            yield client


def test_expensive_dask_2(benchmark, dask_client):
    benchmark.group = "expensive f (~5 ms) gradient n=64"
    fdcore.gradient(expensive, X64, workers=dask_client)  # ship f to the workers first
    benchmark.pedantic(fdcore.gradient, args=(expensive, X64), kwargs={"workers": dask_client}, rounds=3)
