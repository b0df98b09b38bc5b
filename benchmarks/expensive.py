"""An objective that costs about 5 ms of real computation per call (module level: picklable).

Compute-bound and allocation-free (work buffers are reused), like a simulation's inner loop.
An allocation-heavy f behaves differently under dask: its workers set MALLOC_TRIM_THRESHOLD_=65536
by default, and the resulting page faults cost this 5 ms workload ~40% (measured).
"""

import numpy as np

_GRID = np.linspace(0.0, 1.0, 16000)
_BUFFER = np.empty_like(_GRID)


def expensive(x):
    """sum_k sum_grid sin((1 + x_k) * grid) / n: smooth in x, ~5 ms for n = 64."""
    total = 0.0
    for xk in x:
        np.multiply(_GRID, 1.0 + xk, out=_BUFFER)
        np.sin(_BUFFER, out=_BUFFER)
        total += float(_BUFFER.sum())
    return total / _GRID.shape[0]
