"""The machinery every suite of `python -m fdcore bench` shares: the result row, the run's
settings, timing, counting evaluations, traced memory and the relative error.

A suite module (fdcore.bench.compiled, _bench_vectorized, ...) has ``CASES_QUICK``,
``CASES_FULL`` and ``run_case(case, context) -> (rows, labels of peers not installed)``; the
first row whose method starts with "fdcore" is the one the case's ratios refer to.
"""

import sys
import time
import tracemalloc
from dataclasses import dataclass, field
from statistics import median

import numpy as np


@dataclass
class Row:
    """One method on one case.

    ``nfev`` is -1 where evaluations of f are not counted (exact derivatives, jit-compiled
    checks). ``peak_bytes`` is NaN unless the suite measures memory: the tracemalloc peak above
    the memory in use before the call. ``note`` is shown in the table; ``facts`` holds the numbers
    the goals report needs beyond the columns (e.g. the number of colours of a sparse Jacobian).
    """

    suite: str
    problem: str
    n: int
    method: str
    median_s: float
    nfev: int
    max_rel_error: float
    ratio_to_fdcore: float = float("nan")
    peak_bytes: float = float("nan")
    note: str = ""
    facts: dict = field(default_factory=dict)


class NotApplicable(Exception):
    """Raised by a method's maker when the method does not apply to the case (e.g. a peer that
    needs a broadcasting version of f, which only some problems have): the row is left out."""


class Counter:
    """Wraps f and counts its calls (used only in untimed counting runs)."""

    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x, *args):
        self.calls += 1
        return self.f(x, *args)

    def batch(self, vectorized):
        """``vectorized`` (f on an (n, ...) array of points) counting every point as one call."""

        def counted(points, *args):
            self.calls += int(np.prod(np.shape(points)[1:]))
            return vectorized(points, *args)

        return counted


@dataclass
class Context:
    """The run's settings, handed to every case: ``timing`` is (min_time, repeats) of
    `median_time`; ``report`` shows a progress line."""

    quick: bool
    timing: tuple
    report: object = None

    def progress(self, text):
        if self.report is not None:
            self.report(text)

    def time(self, fn, max_repeats=None):
        min_time, repeats = self.timing
        return median_time(fn, min_time, repeats if max_repeats is None else min(repeats, max_repeats))


def median_time(fn, min_time, repeats):
    """Median over ``repeats`` of the mean time per call, each repeat lasting >= ``min_time``
    (after one untimed call that also sets the number of calls per repeat)."""
    start = time.perf_counter()
    fn()
    once = time.perf_counter() - start
    number = max(1, int(min_time / max(once, 1e-9)))
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(number):
            fn()
        samples.append((time.perf_counter() - start) / number)
    return median(samples)


def peak_memory(fn):
    """(fn(), peak traced memory during the call above the memory traced before it), in bytes."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = fn()
        peak = tracemalloc.get_traced_memory()[1] - before
    finally:
        if started:
            tracemalloc.stop()
    return result, float(peak)


def rel_error(estimate, exact):
    """Max-norm relative error ||estimate - exact|| / ||exact|| (absolute where exact is 0);
    dense arrays or scipy.sparse matrices."""
    if hasattr(exact, "tocsr"):  # sparse: never densify (n = 1e5 would need 80 GB)
        diff = abs(estimate - exact).max()
        scale = abs(exact).max()
    else:
        diff = np.max(np.abs(np.asarray(estimate) - exact))
        scale = np.max(np.abs(exact))
    return float(diff / (scale if scale > 0 else 1.0))


def stderr_progress(text):
    """Rewrite the progress line on stderr (the tables go to stdout)."""
    sys.stderr.write("\r\033[K" + text[:100])
    sys.stderr.flush()


def floor_row(suite, problem, f, x, calls, ctx):
    """The time of ``calls`` bare calls of f at x from a Python loop: what any driver must pay."""

    def bare():
        for _ in range(calls):
            f(x)

    return Row(suite, problem, x.shape[0], f"floor: {calls} bare calls of f", ctx.time(bare), calls, float("nan"))
