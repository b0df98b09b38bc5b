"""The 'vectorized' suite of `python -m fdcore bench` (issue 5): batched evaluation.

Speed cases ("rosen", n): the gradient of scipy.optimize.rosen (which sums over axis 0, so it
evaluates an (n, k) array of points at once) with ``vectorized=True``, against the Python-callable
path calling it once per point. Evaluations are counted in points.

Memory case ("memory", 3000, full runs only): the peak traced memory of a vectorized gradient with
the default batch budget (fdcore.evaluators.batched.DEFAULT_MAX_BATCH_BYTES). f is a column-wise sum of
squares through einsum, which allocates nothing beyond its (k,) result, so the peak is fdcore's
own: the batch of points (<= the budget) plus O(n) vectors.
"""

import numpy as np

import fdcore
from fdcore.bench.core import Counter, Row, peak_memory, rel_error
from fdcore.derivatives.objective import DEFAULT_MAX_BATCH_BYTES

CASES_QUICK = [("rosen", 100)]
CASES_FULL = [("rosen", 100), ("rosen", 1000), ("memory", 3000)]


def _point(n):
    return np.random.default_rng(n).uniform(-1.0, 2.0, n)


def _speed_rows(n, ctx):
    from scipy.optimize import rosen, rosen_der

    x = _point(n)
    exact = rosen_der(x)
    # call(f one point at a time, f on (n, k) batches of points)
    methods = [
        ("fdcore gradient vectorized=True", lambda f, batch: fdcore.gradient(batch, x, vectorized=True)),
        ("fdcore gradient (Python f, one call per point)", lambda f, batch: fdcore.gradient(f, x)),
    ]
    rows = []
    for label, call in methods:
        ctx.progress(f"bench vectorized: rosen n={n}: {label}")
        counter = Counter(rosen)
        estimate = call(counter, counter.batch(rosen))
        rows.append(Row("vectorized", "rosen", n, label, ctx.time(lambda: call(rosen, rosen)), counter.calls,
                        rel_error(estimate, exact)))
    return rows


def _squares(points):
    """Column-wise sum of squares of an (n, k) array: no temporaries beyond the (k,) result."""
    return np.einsum("ij,ij->j", points, points)


def _memory_row(n, ctx):
    x = _point(n)
    label = "fdcore gradient vectorized=True, f = einsum sum of squares"
    ctx.progress(f"bench vectorized: memory n={n}")
    counter = Counter(_squares)
    estimate, peak = peak_memory(lambda: fdcore.gradient(counter.batch(_squares), x, vectorized=True))
    budget = DEFAULT_MAX_BATCH_BYTES
    note = f"peak = budget {budget / 2**20:.0f} MiB + {(peak - budget) / (8 * n):.1f} n-vectors"
    return Row("vectorized", "sum of squares", n, label,
               ctx.time(lambda: fdcore.gradient(_squares, x, vectorized=True), max_repeats=3),
               counter.calls, rel_error(estimate, 2 * x), peak_bytes=peak, note=note,
               facts={"budget_bytes": budget})


def run_case(case, ctx):
    kind, n = case
    if kind == "memory":
        return [_memory_row(n, ctx)], []
    try:
        import scipy.optimize  # noqa: F401
    except ImportError:
        return [], ["scipy (the vectorized suite's objective is scipy.optimize.rosen)"]
    return _speed_rows(n, ctx), []
