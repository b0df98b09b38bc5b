"""The 'checking' suite of `python -m fdcore bench` (issue 6): gradient checks at scale.

The objective is f(x) = x.x + sum(sin x) with gradient 2x + cos x (as in
benchmarks/test_bench_check.py); the wrong gradient is off by 1e-3 (relative) at one coordinate,
index 0.7654321 n (7_654_321 at n = 10^7). Cases:

  ("directions", n)  n = 10^5 (quick) or 10^7 (full): fdcore's directions mode with 8 probes on
                     the correct gradient (evaluations, time; peak traced memory measured on the
                     allocation-free f(x) = x.x, so that it is fdcore's own, in n-vectors) and on
                     the wrong one (evaluations to localise it); SciPy's check_grad
                     direction='random' on both (2 evaluations, one number, no verdict).
  ("peers", n)       n = 10^3 (quick) or 10^4 (full): fdcore against SciPy's check_grad
                     direction='all' (n + 1 evaluations, each copying x) and
                     jax.test_util.check_grads (reverse mode, one random direction) on a jax.numpy
                     version of f whose VJP is the gradient under test.

At n >= 10^5 a check of fdcore takes 0.1 s to seconds: its time is one call, not a median.
"""

import functools
import time

import numpy as np

import fdcore
from fdcore.bench.core import Counter, Row, peak_memory

CASES_QUICK = [("directions", 10**5), ("peers", 10**3)]
CASES_FULL = [("directions", 10**7), ("peers", 10**4)]
PROBES = 8
SEED = 1
_SINGLE_CALL_N = 10**5
_WRONG_FACTOR = 1 + 1e-3


def f(x):
    return float(x @ x) + float(np.sum(np.sin(x)))


def grad(x):
    return 2 * x + np.cos(x)


def wrong_index(n):
    """7_654_321 at n = 10^7 (the coordinate of issue 6's figure), in integers: int(0.7654321 n)
    rounds to 7_654_320, where |grad| = 0.70 makes the 1e-3 error smaller than the check's
    tolerance at this n (f's rounding noise), while at 7_654_321 |grad| = 2.5."""
    return n * 7_654_321 // 10**7


def wrong_grad(x):
    g = grad(x)
    g[wrong_index(x.shape[0])] *= _WRONG_FACTOR
    return g


def _dot(x):  # allocation-free: the peak traced memory of a check on it is fdcore's own
    return float(x @ x)


def _point(n):
    return np.random.default_rng(0).uniform(-1.0, 1.0, n)


def _timed(fn, ctx, n):
    """(fn(), seconds per call): at n >= 10^5 a check takes 0.1 s to seconds and this one call is
    the measurement; below, the median of ctx.time."""
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    return result, seconds if n >= _SINGLE_CALL_N else ctx.time(fn)


def _fdcore_rows(x, ctx, with_wrong):
    n = x.shape[0]
    check = functools.partial(fdcore.check_grad, mode="directions", k=PROBES, seed=SEED)
    ctx.progress(f"bench checking: n={n}: fdcore directions")
    result, seconds = _timed(lambda: check(f, grad, x), ctx, n)
    memory_check, peak = peak_memory(lambda: check(_dot, lambda z: 2 * z, x))
    vectors = peak / (8 * n)
    passed = result.passed and memory_check.passed
    rows = [Row("checking", "x.x + sum(sin x)", n, f"fdcore check_grad directions ({PROBES} probes)", seconds,
                result.nfev, float("nan"), peak_bytes=peak,
                note=f"{'passed' if passed else 'FAILED'}; peak {vectors:.2f} n-vectors (f = x.x)",
                facts={"passed": passed, "vectors": vectors})]
    if with_wrong:
        ctx.progress(f"bench checking: n={n}: fdcore localisation")
        result, seconds = _timed(lambda: check(f, wrong_grad, x), ctx, n)
        j = wrong_index(n)
        localised = result.faulty_blocks == [(j, j + 1)]
        note = f"localised to [{j}]" if localised else f"NOT localised: blocks {result.faulty_blocks[:3]}"
        rows.append(Row("checking", "x.x + sum(sin x)", n, "fdcore check_grad directions, one wrong coordinate",
                        seconds, result.nfev, float("nan"), note=note, facts={"localised": localised}))
    return rows


def _scipy_rows(x, ctx, direction, gradients):
    from scipy.optimize import check_grad

    n = x.shape[0]
    rows = []
    for which, gradient in gradients:
        label = f"scipy check_grad direction='{direction}', {which} gradient"
        ctx.progress(f"bench checking: n={n}: {label}")

        def call(function):
            return check_grad(function, gradient, x, direction=direction, rng=np.random.default_rng(SEED))

        counter = Counter(f)
        value = call(counter)
        rows.append(Row("checking", "x.x + sum(sin x)", n, label, ctx.time(lambda: call(f), max_repeats=3),
                        counter.calls, float("nan"), note=f"returns {value:.2g} (a number, no verdict)"))
    return rows


@functools.lru_cache(maxsize=None)
def _jax_objective(wrong):
    """f in jax.numpy with a custom VJP: the gradient under test (check_grads checks the VJP)."""
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    @jax.custom_vjp
    def objective(x):
        return jnp.dot(x, x) + jnp.sum(jnp.sin(x))

    def forward(x):
        return objective(x), x

    def backward(x, cotangent):
        g = 2 * x + jnp.cos(x)
        if wrong:
            g = g.at[wrong_index(x.shape[0])].multiply(_WRONG_FACTOR)
        return (cotangent * g,)

    objective.defvjp(forward, backward)
    return objective


def _jax_rows(x, ctx):
    from jax.test_util import check_grads

    n = x.shape[0]
    rows = []
    for which, wrong in (("correct", False), ("wrong", True)):
        label = f"jax.test_util.check_grads (rev), {which} gradient"
        ctx.progress(f"bench checking: n={n}: {label}")

        def call():
            try:
                check_grads(_jax_objective(wrong), (x,), order=1, modes=("rev",))
            except AssertionError:
                return "failed (no location)"
            return "passed"

        verdict = call()  # also compiles
        rows.append(Row("checking", "x.x + sum(sin x)", n, label, ctx.time(call), -1, float("nan"), note=verdict))
    return rows


def run_case(case, ctx):
    kind, n = case
    x = _point(n)
    missing = []
    rows = _fdcore_rows(x, ctx, with_wrong=kind == "directions")
    try:
        import scipy.optimize  # noqa: F401
    except ImportError:
        missing.append("scipy check_grad")
    else:
        gradients = [("correct", grad)] + ([("wrong", wrong_grad)] if kind == "directions" else [])
        rows += _scipy_rows(x, ctx, "random" if kind == "directions" else "all", gradients)
    if kind == "peers":
        try:
            import jax  # noqa: F401
        except ImportError:
            missing.append("jax.test_util.check_grads")
        else:
            rows += _jax_rows(x, ctx)
    return rows, missing
