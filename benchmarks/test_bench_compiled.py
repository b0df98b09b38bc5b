"""Compiled objectives through the nogil kernels (issue 4's goals), same run:

- central gradient of the compiled Rosenbrock at n = 1000, 1 thread: within 1.15x of a numba
  njit central-difference loop with the function inlined;
- 2 threads >= 1.7x faster than 1;
- >= 10x faster than the Python-callable path on the NumPy Rosenbrock; the accurate mode on the
  compiled objective >= 100x faster than numdifftools.Gradient at n = 1000;
- Hessian of the compiled Rosenbrock at n = 200 with 1 and 2 threads and the Python path.

Run: pytest benchmarks/test_bench_compiled.py --benchmark-group-by=group
"""

import numpy as np
import pytest

import fdcore
from fdcore.bench.compiled import _numba_loop

N = 1000
HESSIAN_N = 200


@pytest.fixture(scope="module")
def problem():
    return fdcore.get_problem("rosenbrock", N)


@pytest.mark.parametrize("threads", [1, 2])
def test_compiled_gradient(benchmark, problem, threads):
    benchmark.group = f"compiled rosen gradient n={N}"
    g = benchmark(fdcore.gradient, problem.compiled, problem.x0, num_threads=threads)
    exact = problem.derivative(problem.x0)
    assert np.max(np.abs(g - exact)) <= 1e-7 * np.max(np.abs(exact))


def test_numba_loop(benchmark, problem):
    loop = _numba_loop()
    if loop is None:
        pytest.skip("numba is not installed (pip install numba)")
    benchmark.group = f"compiled rosen gradient n={N}"
    h = np.finfo(float).eps ** (1 / 3) * np.maximum(1.0, np.abs(problem.x0))
    loop(problem.x0, h)
    benchmark(loop, problem.x0, h)


def test_python_path(benchmark, problem):
    benchmark.group = f"compiled rosen gradient n={N}"
    benchmark(fdcore.gradient, problem.f, problem.x0)


def test_compiled_accurate(benchmark, problem):
    benchmark.group = f"accurate rosen gradient n={N}"
    benchmark(fdcore.gradient, problem.compiled, problem.x0, richardson=True, num_threads=2)


def test_numdifftools_accurate(benchmark, problem):
    nd = pytest.importorskip("numdifftools")
    benchmark.group = f"accurate rosen gradient n={N}"
    benchmark.pedantic(nd.Gradient(problem.f), args=(problem.x0,), rounds=3)


@pytest.mark.parametrize("threads", [1, 2])
def test_compiled_hessian(benchmark, threads):
    p = fdcore.get_problem("rosenbrock", HESSIAN_N)
    benchmark.group = f"compiled rosen hessian n={HESSIAN_N}"
    H = benchmark(fdcore.hessian, p.compiled, p.x0, num_threads=threads)
    assert np.max(np.abs(H - p.hessian(p.x0))) <= 1e-5 * np.max(np.abs(p.hessian(p.x0)))


def test_python_hessian(benchmark):
    p = fdcore.get_problem("rosenbrock", HESSIAN_N)
    benchmark.group = f"compiled rosen hessian n={HESSIAN_N}"
    benchmark.pedantic(fdcore.hessian, args=(p.f, p.x0), rounds=3)
