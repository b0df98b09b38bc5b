"""Evaluating batches of points on workers: process pools, executors, dask, map-like callables.

``batch_caller(f, args, kwargs, workers)`` returns the ``call_batch`` of fdcore.evaluators.batched.BatchKernels:
the columns of a batch are split into chunks, each chunk is evaluated point by point by a worker
(``_evaluate_columns``), and the results are put back in order, so the result is identical to
the serial path's. An exception raised by f in a worker reaches the caller (the same exception,
with a note naming the point); no partial result is returned.

``workers`` may be an int (a process pool that fdcore creates once per size and reuses across
calls; closed at exit), any concurrent.futures.Executor, a dask.distributed.Client, or any
map-like callable ``workers(function, iterable) -> iterable`` (e.g. ``multiprocessing.Pool.map``).
"""

import atexit
import math
import os
import pickle
from concurrent.futures import Executor, ProcessPoolExecutor

import numpy as np

from fdcore.evaluators.points import read_only_view

_POOLS = {}


def _shutdown_pools():
    for pool in _POOLS.values():
        pool.shutdown(wait=False, cancel_futures=True)
    _POOLS.clear()


atexit.register(_shutdown_pools)


def _evaluate_columns(task):
    """Worker side: f at each column of ``points``. Returns ("ok", values) or ("error", column, exc)."""
    f, args, kwargs, points = task
    values = []
    for column in range(points.shape[1]):
        try:
            values.append(np.asarray(f(read_only_view(points[:, column]), *args, **kwargs), dtype=np.float64))
        except Exception as exc:  # noqa: BLE001 - handed back to the caller, which re-raises it
            return "error", column, exc
    return "ok", values


def _is_dask_client(workers):
    return type(workers).__name__ == "Client" and type(workers).__module__.startswith("distributed")


def _check_picklable(f, args, kwargs):
    try:
        pickle.dumps((f, args, kwargs))
    except Exception as exc:  # noqa: BLE001 - any pickling failure means the same advice
        raise TypeError(
            f"f (or its args/kwargs) cannot be pickled for a process pool ({exc}); define f at module "
            "level, or use workers=concurrent.futures.ThreadPoolExecutor(...) for f that releases "
            "the GIL, a dask.distributed.Client (which uses cloudpickle), or wrap f with cloudpickle"
        ) from None


def _mapper(workers, f, args, kwargs):
    """(map(function, tasks) -> iterable in order, number of workers) for a workers argument."""
    if isinstance(workers, bool):
        raise TypeError("workers must be an int, an Executor, a dask Client or a map-like callable, not a bool")
    if isinstance(workers, (int, np.integer)):
        if workers < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        _check_picklable(f, args, kwargs)
        pool = _POOLS.get(int(workers))
        if pool is None:
            pool = _POOLS[int(workers)] = ProcessPoolExecutor(max_workers=int(workers))
        return pool.map, int(workers)
    if isinstance(workers, Executor):
        if isinstance(workers, ProcessPoolExecutor):
            _check_picklable(f, args, kwargs)
        return workers.map, getattr(workers, "_max_workers", os.cpu_count() or 1)
    if _is_dask_client(workers):
        count = max(1, len(workers.scheduler_info().get("workers", {})))
        return (lambda fn, tasks: workers.gather(workers.map(fn, tasks, pure=False))), count
    if callable(workers):
        return workers, os.cpu_count() or 1
    raise TypeError(
        f"workers must be an int (a process pool), a concurrent.futures.Executor, a "
        f"dask.distributed.Client or a map-like callable; got {type(workers).__name__}"
    )


def batch_caller(f, args, kwargs, workers):
    """call_batch(points (n, k), report=None) -> values (k,) or (m, k), evaluated on ``workers``.

    ``report(done, k)`` is called as chunks of the batch come back (for progress bars).
    """
    mapper, count = _mapper(workers, f, args, kwargs)
    kwargs = kwargs or {}

    def call(points, report=None):
        k = points.shape[1]
        size = max(1, math.ceil(k / (4 * count)))  # ~4 chunks per worker balance uneven costs
        bounds = [(a, min(a + size, k)) for a in range(0, k, size)]
        # Fortran order: f gets each point as a contiguous array, as on the serial path (BLAS
        # sums a strided vector in another order, so the layout can change f's rounding).
        tasks = [(f, args, kwargs, np.asfortranarray(points[:, a:b])) for a, b in bounds]
        values = []
        for (a, b), result in zip(bounds, mapper(_evaluate_columns, tasks)):
            if result[0] == "error":
                _, column, exc = result
                exc.fdcore_column = a + column
                raise exc
            values += result[1]
            if report is not None:
                report(b, k)
        stacked = np.stack(values, axis=-1) if values else np.empty(0)
        return stacked  # (k,) for scalar f, (m, k) for vector f

    call.reports_progress = True
    return call
