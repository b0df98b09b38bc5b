"""The 'workers' suite of `python -m fdcore bench` (issue 5), and its expensive objective.

The objective costs about 5 ms of real computation per call at n = 64 (it lives here, at module
level in an installed module, so that process pools and dask workers can unpickle it by name).
It is compute-bound and allocation-free (work buffers are reused), like a simulation's inner loop:
an allocation-heavy f behaves differently under dask, whose workers set
MALLOC_TRIM_THRESHOLD_=65536 by default; the page faults that follow cost this workload ~40%.

Rows per case (same run): the serial gradient, ``workers=2`` (fdcore's process pool) and, when
dask.distributed is installed, a LocalCluster with 2 single-threaded worker processes. Pool and
cluster start-up are excluded: one untimed gradient runs first on each (the goal is the steady
state with a reused pool). Quick runs use n = 16 (a quarter of the cost per call), where the
per-batch overheads weigh more.
"""

import logging

import numpy as np

import fdcore
from fdcore.bench.core import Counter, Row, rel_error

CASES_QUICK = [("expensive", 16)]
CASES_FULL = [("expensive", 64)]

_GRID = np.linspace(0.0, 1.0, 16000)
_BUFFER = np.empty_like(_GRID)


def expensive(x):
    """sum_k sum_grid sin((1 + x_k) * grid) / len(grid): smooth in x, ~5 ms for n = 64."""
    total = 0.0
    for xk in x:
        np.multiply(_GRID, 1.0 + xk, out=_BUFFER)
        np.sin(_BUFFER, out=_BUFFER)
        total += float(_BUFFER.sum())
    return total / _GRID.shape[0]


def expensive_gradient(x):
    """The analytic gradient of `expensive`."""
    return np.array([float(np.sum(_GRID * np.cos((1.0 + xk) * _GRID))) for xk in x]) / _GRID.shape[0]


def _dask_client():
    """(client, cluster) of a 2-worker LocalCluster, or None without dask.distributed."""
    try:
        import distributed
    except ImportError:
        return None
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None, silence_logs=logging.ERROR)
    return distributed.Client(cluster), cluster


def _row(x, label, workers, nfev, ctx):
    ctx.progress(f"bench workers: n={x.shape[0]}: {label}")
    estimate = fdcore.gradient(expensive, x, workers=workers)  # also starts the pool / ships f
    seconds = ctx.time(lambda: fdcore.gradient(expensive, x, workers=workers), max_repeats=5)
    return Row("workers", "expensive (~5 ms at n=64)", x.shape[0], label, seconds, nfev,
               rel_error(estimate, expensive_gradient(x)))


def run_case(case, ctx):
    _, n = case
    x = np.linspace(0.0, 1.0, n)
    counter = Counter(expensive)
    fdcore.gradient(counter, x)  # the workers evaluate the same points, in processes we cannot count in
    rows = [_row(x, "fdcore gradient, serial", None, counter.calls, ctx),
            _row(x, "fdcore gradient workers=2 (process pool)", 2, counter.calls, ctx)]
    dask = _dask_client()
    if dask is None:
        return rows, ["dask.distributed (workers suite)"]
    client, cluster = dask
    with cluster, client:
        rows.append(_row(x, "fdcore gradient workers=dask LocalCluster (2 workers x 1 thread)", client,
                         counter.calls, ctx))
    return rows, []
