"""workers=: stencil points evaluated by a process pool, an Executor, a dask Client or a map.

Results must be identical (array_equal) to the serial path; an exception of f in a worker reaches
the caller as itself, with a note naming the stencil point; bad workers are rejected.
"""

import os
import sys
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest

import fdcore

_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if _TESTS_DIR not in sys.path:  # e.g. --import-mode=importlib; spawned workers inherit sys.path
    sys.path.insert(0, _TESTS_DIR)
import workerfuncs as wf  # noqa: E402  (module-level functions that pool workers can import)

SCALAR_SUITE = fdcore.problem_suite()
# Dense Hessians through a pool cost ~n^2 pickled evaluations: the suite's n = 200 and 251
# problems (seconds each) are left to the gradient; many batches are tested below.
SMALL = 10
VECTOR_SUITE = fdcore.problem_suite(vector=True)
X4 = np.array([0.3, -0.8, 1.1, 0.6])
BROYDEN_X = np.linspace(-1.0, 0.5, 6)


def assert_identical(a, b):
    if isinstance(a, fdcore.FDResult):
        assert np.array_equal(a.value, b.value)
        assert np.array_equal(a.error, b.error)
        assert np.array_equal(a.step, b.step)
        assert a.nfev == b.nfev
    else:
        assert np.asarray(a).dtype == np.asarray(b).dtype
        assert np.array_equal(a, b)


# Each case: (entry point, f, x, options); run serially and with workers.
CASES = {
    "gradient": (fdcore.gradient, wf.smooth, X4, {}),
    "gradient-forward": (fdcore.gradient, wf.smooth, X4, {"method": "forward"}),
    "gradient-richardson": (fdcore.gradient, wf.smooth, X4, {"richardson": True, "full_output": True}),
    "gradient-order6": (fdcore.gradient, wf.smooth, X4, {"order": 6}),
    "gradient-adaptive": (fdcore.gradient, wf.smooth, X4, {"step": "adaptive", "full_output": True}),
    "gradient-float32": (fdcore.gradient, wf.smooth, X4.astype(np.float32), {}),
    "gradient-blas": (fdcore.gradient, wf.dense_quadratic, wf.QUAD_X0, {}),
    "gradient-blas-richardson": (fdcore.gradient, wf.dense_quadratic, wf.QUAD_X0, {"richardson": True}),
    "jacobian": (fdcore.jacobian, wf.broyden, BROYDEN_X, {}),
    "jacobian-backward": (fdcore.jacobian, wf.broyden, BROYDEN_X, {"method": "backward"}),
    "jacobian-richardson": (fdcore.jacobian, wf.broyden, BROYDEN_X, {"richardson": True, "full_output": True}),
    "hessian": (fdcore.hessian, wf.smooth, X4, {}),
    "hessian-forward": (fdcore.hessian, wf.smooth, X4, {"method": "forward"}),
    "hessian-richardson": (fdcore.hessian, wf.smooth, X4, {"richardson": True, "full_output": True}),
    "hessian-blas": (fdcore.hessian, wf.dense_quadratic, wf.QUAD_X0, {}),
}


def run_case(name, workers):
    entry, f, x, options = CASES[name]
    return entry(f, x, **options), entry(f, x, workers=workers, **options)


# --- process pool (workers=int) ---------------------------------------------------------------

@pytest.mark.parametrize("name", CASES)
def test_process_pool_identical_to_serial(name):
    serial, parallel = run_case(name, 2)
    assert_identical(parallel, serial)


def test_process_pool_suite_identical_to_serial():
    # every built-in problem (picklable by name), gradient and Hessian
    differ = []
    for problem in SCALAR_SUITE:
        f = wf.SuiteProblem(problem.name)
        # equal_nan: the domain-edge problems' stencils leave f's domain (NaN entries, warned)
        if not np.array_equal(fdcore.gradient(f, problem.x0, workers=2), fdcore.gradient(problem.f, problem.x0),
                              equal_nan=True):
            differ.append(("gradient", problem.name))
        if problem.x0.size <= SMALL and not np.array_equal(
                fdcore.hessian(f, problem.x0, workers=np.int64(2)), fdcore.hessian(problem.f, problem.x0), equal_nan=True):
            differ.append(("hessian", problem.name))
    for problem in VECTOR_SUITE:
        f = wf.SuiteProblem(problem.name)
        if not np.array_equal(fdcore.jacobian(f, problem.x0, workers=2), fdcore.jacobian(problem.f, problem.x0)):
            differ.append(("jacobian", problem.name))
    assert differ == []


def test_process_pool_accuracy_and_arguments():
    g = fdcore.gradient(wf.smooth, X4, workers=2, richardson=True)
    np.testing.assert_allclose(g, wf.smooth_gradient(X4), rtol=1e-11, atol=1e-11)
    J = fdcore.jacobian(wf.broyden, BROYDEN_X, workers=2)
    np.testing.assert_allclose(J, wf.broyden_jacobian(BROYDEN_X), rtol=0, atol=1e-8)
    a = np.array([1.0, 2.0, 3.0, 4.0])
    g = fdcore.gradient(wf.with_arguments, X4, workers=2, args=(a,), kwargs={"scale": 0.5})
    assert np.array_equal(g, fdcore.gradient(wf.with_arguments, X4, args=(a,), kwargs={"scale": 0.5}))
    np.testing.assert_allclose(g, a * X4, rtol=1e-8)


def test_process_pool_small_batches_identical():
    # several batches (max_batch_bytes) still give the serial result
    x = np.linspace(-1.0, 1.0, 20)
    for budget in (8, 8 * 20 * 3):
        assert np.array_equal(fdcore.gradient(wf.smooth, x, workers=2, max_batch_bytes=budget),
                              fdcore.gradient(wf.smooth, x))


def test_process_pool_jvp_and_directional_identical():
    v = np.array([1.0, -2.0, 0.5, 3.0])
    assert fdcore.jvp(wf.smooth, X4, v, workers=2) == fdcore.jvp(wf.smooth, X4, v)
    assert fdcore.directional_derivative(wf.smooth, X4, v, workers=2) == fdcore.directional_derivative(wf.smooth, X4, v)
    w = np.linspace(-1, 1, 8)
    assert fdcore.jvp(wf.dense_quadratic, wf.QUAD_X0, w, workers=2) == fdcore.jvp(wf.dense_quadratic, wf.QUAD_X0, w)
    np.testing.assert_array_equal(fdcore.jvp(wf.broyden, BROYDEN_X, np.ones(6), workers=2),
                                  fdcore.jvp(wf.broyden, BROYDEN_X, np.ones(6)))


def test_user_process_pool_executor():
    with ProcessPoolExecutor(max_workers=2) as pool:
        for name in ("gradient", "jacobian", "hessian-blas"):
            serial, parallel = run_case(name, pool)
            assert_identical(parallel, serial)


# --- thread pools and map ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def threads():
    with ThreadPoolExecutor(max_workers=2) as pool:
        yield pool


@pytest.mark.parametrize("name", CASES)
def test_thread_pool_identical_to_serial(name, threads):
    serial, parallel = run_case(name, threads)
    assert_identical(parallel, serial)


@pytest.mark.parametrize("name", CASES)
def test_builtin_map_identical_to_serial(name):
    serial, parallel = run_case(name, map)
    assert_identical(parallel, serial)


def test_thread_pool_and_map_accept_lambdas_on_the_suite(threads):
    differ = []
    for problem in SCALAR_SUITE:
        f = lambda x, p=problem: p.f(x)  # noqa: E731 - a lambda: fine for threads
        serial = fdcore.gradient(problem.f, problem.x0)
        if not np.array_equal(fdcore.gradient(f, problem.x0, workers=threads), serial):
            differ.append(("gradient threads", problem.name))
        if not np.array_equal(fdcore.gradient(f, problem.x0, workers=map), serial):
            differ.append(("gradient map", problem.name))
        if problem.x0.size <= SMALL and not np.array_equal(
                fdcore.hessian(f, problem.x0, workers=threads, method="forward"),
                fdcore.hessian(problem.f, problem.x0, method="forward")):
            differ.append(("hessian threads", problem.name))
    for problem in VECTOR_SUITE:
        if not np.array_equal(fdcore.jacobian(lambda x, p=problem: p.f(x), problem.x0, workers=threads),
                              fdcore.jacobian(problem.f, problem.x0)):
            differ.append(("jacobian threads", problem.name))
    assert differ == []


def test_map_like_callable_receives_picklable_tasks():
    calls = []

    def my_map(function, tasks):
        tasks = list(tasks)
        calls.append(len(tasks))
        return [function(t) for t in tasks]

    g = fdcore.gradient(wf.smooth, X4, workers=my_map)
    assert calls and sum(calls) >= 1
    assert np.array_equal(g, fdcore.gradient(wf.smooth, X4))


def test_worker_f_receives_points_like_the_serial_f(threads):
    # f on a worker gets what the serial f gets: a read-only, contiguous 1-D array of x's dtype
    def record(seen):
        def f(x):
            seen.add((x.ndim, x.shape, x.dtype.str, x.flags.writeable, x.flags.c_contiguous))
            return float(np.sum(x**2))
        return f

    for x in (np.linspace(-1.0, 1.0, 40), np.linspace(-1.0, 1.0, 40).astype(np.float32)):
        x_before = x.copy()
        serial, on_threads, on_map = set(), set(), set()
        fdcore.gradient(record(serial), x)
        fdcore.gradient(record(on_threads), x, workers=threads)
        fdcore.gradient(record(on_map), x, workers=map)
        assert serial == {(1, (40,), x.dtype.str, False, True)}
        assert on_threads == serial
        assert on_map == serial
        assert np.array_equal(x, x_before)


# --- dask ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.mark.parametrize("name", ["gradient", "gradient-richardson", "gradient-blas", "jacobian", "hessian",
                                  "hessian-richardson"])
def test_dask_identical_to_serial(name, dask_client):
    serial, parallel = run_case(name, dask_client)
    assert_identical(parallel, serial)


def test_dask_runs_lambdas(dask_client):
    # dask pickles with cloudpickle: a lambda (even a closure) works
    scale = 3.0
    f = lambda x: scale * float(np.sum(np.sin(x) * x))  # noqa: E731
    assert np.array_equal(fdcore.gradient(f, X4, workers=dask_client), fdcore.gradient(f, X4))
    assert np.array_equal(fdcore.hessian(f, X4, workers=dask_client), fdcore.hessian(f, X4))


# --- exceptions raised by f in a worker ---------------------------------------------------------

def check_raised(workers, entry=fdcore.gradient, **options):
    out = np.full(3, 7.0) if entry is fdcore.gradient and not options else None
    kw = {"out": out} if out is not None else {}
    f = wf.vector_raises_above_x1 if entry is fdcore.jacobian else wf.raises_above_x1
    with pytest.raises(ZeroDivisionError, match="division by zero in the objective") as info:
        entry(f, wf.RAISE_X0, workers=workers, **options, **kw)
    notes = getattr(info.value, "__notes__", [])
    assert len(notes) == 1, notes
    note = notes[0]
    assert "stencil point" in note and "x[1]" in note and "+" in note, note
    if out is not None:
        assert np.array_equal(out, np.full(3, 7.0))  # no partial result written
    return note


def test_exception_in_process_pool():
    note = check_raised(2)
    # the central gradient's points are x + h e_0, x - h e_0, x + h e_1, ...: point 2 raises
    assert "stencil point 2" in note
    check_raised(2, fdcore.hessian)
    check_raised(2, fdcore.gradient, richardson=True)
    check_raised(2, fdcore.jacobian)


def test_exception_in_thread_pool(threads):
    assert "stencil point 2" in check_raised(threads)
    check_raised(threads, fdcore.hessian, method="forward")


def test_exception_in_map():
    assert "stencil point 2" in check_raised(map)


def test_exception_in_dask(dask_client):
    assert "stencil point 2" in check_raised(dask_client)


def test_exception_in_a_later_batch_names_the_global_point():
    # with one point per batch the raising point is still point 2 of the stencil
    with pytest.raises(ZeroDivisionError) as info:
        fdcore.gradient(wf.raises_above_x1, wf.RAISE_X0, workers=map, max_batch_bytes=1)
    assert "stencil point 2 (x[1] +" in info.value.__notes__[0]


# --- rejected workers --------------------------------------------------------------------------------

def test_unpicklable_f_for_process_pool():
    for f, kw in ((lambda x: float(np.sum(x)), {}), (wf.with_arguments, {"args": (lambda: 1.0,)})):
        with pytest.raises(TypeError) as info:
            fdcore.gradient(f, X4, workers=2, **kw)
        message = str(info.value).lower()
        assert "thread" in message and "dask" in message and "cloudpickle" in message
    with ProcessPoolExecutor(max_workers=1) as pool:
        with pytest.raises(TypeError, match="cloudpickle"):
            fdcore.hessian(lambda x: float(np.sum(x)), X4, workers=pool)


@pytest.mark.parametrize("workers", ["two", [1, 2], (2,), 2.0, object()])
def test_unsupported_workers_type(workers):
    with pytest.raises(TypeError, match="workers"):
        fdcore.gradient(wf.smooth, X4, workers=workers)


@pytest.mark.parametrize("workers", [True, False])
def test_bool_workers_rejected(workers):
    with pytest.raises(TypeError, match="workers"):
        fdcore.gradient(wf.smooth, X4, workers=workers)


@pytest.mark.parametrize("workers", [0, -1, np.int32(0)])
def test_workers_must_be_positive(workers):
    with pytest.raises(ValueError, match="workers"):
        fdcore.gradient(wf.smooth, X4, workers=workers)
    with pytest.raises(ValueError, match="workers"):
        fdcore.jvp(wf.smooth, X4, X4, workers=workers)


def test_workers_with_vectorized_rejected():
    with pytest.raises(ValueError, match="vectorized"):
        fdcore.hessian(wf.smooth, X4, workers=2, vectorized=True)


def test_workers_with_compiled_callback_rejected(threads):
    p = fdcore.get_problem("rosenbrock")
    for workers in (2, threads, map):
        with pytest.raises(TypeError, match="compiled"):
            fdcore.gradient(p.compiled, p.x0, workers=workers)


# --- progress with workers -------------------------------------------------------------------------

def test_progress_with_workers(monkeypatch, capsys, threads):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    g = fdcore.gradient(wf.smooth, X4, workers=threads, progress=True)
    assert np.array_equal(g, fdcore.gradient(wf.smooth, X4))
    err = capsys.readouterr().err
    assert "fdcore" in err and "8/8 points evaluated" in err


def test_progress_with_workers_counts_all_points(monkeypatch, capsys):
    # several batches: the report is of all the stencil's points, as with vectorized=True
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    g = fdcore.gradient(wf.smooth, X4, workers=map, progress=True, max_batch_bytes=8 * 4 * 3)
    assert np.array_equal(g, fdcore.gradient(wf.smooth, X4))
    err = capsys.readouterr().err
    assert "8/8 points evaluated" in err, err
