"""Helpers shared by the pytest-benchmark files (imported by name: pytest puts benchmarks/ on
sys.path). Every benchmark asserts its answer is right; none asserts a timing."""

import numpy as np

# At this n and above a call takes seconds to minutes: one round, not pytest-benchmark's >= 5.
ONE_ROUND_N = 100_000


def point(n):
    """The Rosenbrock point of every gradient benchmark (the same x in every group)."""
    return np.random.default_rng(n).uniform(-1.0, 2.0, n)


def assert_normwise_close(estimate, exact, rtol):
    """Max-norm relative error: rosen's value grows with n, so its round-off error does too."""
    assert np.max(np.abs(estimate - exact)) <= rtol * np.max(np.abs(exact))


def bare_calls(f, x, k):
    for _ in range(k):
        f(x)


def measure(benchmark, n, function, *args, rounds=None, **kwargs):
    """benchmark(function, *args, **kwargs), in ``rounds`` rounds (one at n >= ONE_ROUND_N)."""
    if rounds is None and n >= ONE_ROUND_N:
        rounds = 1
    if rounds is None:
        return benchmark(function, *args, **kwargs)
    return benchmark.pedantic(function, args=args, kwargs=kwargs, rounds=rounds)
