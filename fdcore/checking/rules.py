"""Checks of custom differentiation rules of vector functions f: R^n -> R^m, by the dot-product
identity <u, J v> = <J^T u, v>.

`check_vjp` tests a vector-Jacobian product rule ``vjp(x, u) = J(x)^T u`` (a hand-written
backward pass, a ``jax.custom_vjp`` rule, an adjoint solver), `check_jvp` a Jacobian-vector
product rule ``jvp(x, v) = J(x) v``. For k random +-1 pairs (u, v), the rule's side is compared
with the finite-difference side, the derivative of t -> u . f(x + t v) (4 evaluations of f: central
differences at t and t/2, extrapolated; see fdcore.checking.checks._Probe), within a tolerance
derived from that derivative's error estimate. The probe phase costs 4 k + 1 evaluations of f
(plus retries at other step scales where a probe is poor), whatever n and m are.

On a failing pair, the fault is localised by group testing (fdcore.checking.checks._localize):
over output blocks first, with the finite-difference J v of the failing v computed once (4 more
evaluations) so that each output block costs only calls of the rule; then over the inputs, the
discrepancy <rule part, v_S> - D_{v_S}(u_B . f) restricted to input blocks S for the first
faulty output B (4 evaluations each; about 2 per faulty input, within the budget of
fdcore.checking.checks.LOCALIZE_MAX_FAULTS). With tree-shaped inputs or outputs (nested dicts, lists and
tuples of arrays, as for `check_grad`), blocks start from the arrays and are named by path.
"""

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from fdcore.checking.checks import (
    LOCALIZE_SAFETY,
    GradCheck,
    _abs_sum,
    _directions,
    _generator,
    _localize,
    _OnTree,
    _Probe,
    _relative,
    _require_finite,
    _rule,
    _runs,
    _tolerance,
    central_pair,
    check_probe_options,
)
from fdcore.checking.pytree import Structure, is_tree
from fdcore.derivatives.docs import document
from fdcore.derivatives.objective import bind_objective
from fdcore.derivatives.types import Parameters, Workers
from fdcore.numerics.errors import F_ULPS
from fdcore.numerics.options import parse_noise
from fdcore.numerics.steps import PROBE_STEP_EXPONENT, unit_direction_step

__all__ = ["check_jvp", "check_vjp"]


class _FlatOutput:
    """f with its output (an array of any shape, or a tree of arrays) as a flat float64 vector."""

    def __init__(self, f, outputs):
        self.f, self.outputs = f, outputs

    def __call__(self, x, *args, **kwargs):
        value = self.f(x, *args, **kwargs)
        if self.outputs is None:
            return value
        return self.outputs.flatten_like(value, "f")


def _structure_of(value, name):
    """A Structure for a tree (or an array of ndim != 1), None for a flat vector."""
    return Structure(value, name) if is_tree(value) else None


class _Rule:
    """The user's rule on flat vectors: its argument shown in the tree's structure (or as it is),
    its result flattened and checked (shape, real, finite), calls counted."""

    def __init__(self, rule, name, argument, result, point, args, kwargs):
        self.rule, self.name, self.argument, self.result = rule, name, argument, result
        self.point, self.args, self.kwargs = point, args, kwargs or {}
        self.calls = 0

    def __call__(self, flat, size):
        self.calls += 1
        argument = flat if self.argument is None else self.argument.unflatten(flat)
        value = self.rule(self.point, argument, *self.args, **self.kwargs)
        if self.result is not None:
            value = self.result.flatten_like(value, self.name)
        else:
            value = np.asarray(value)
            if value.dtype.kind not in "biuf":
                raise ValueError(f"{self.name} must return real numbers, got dtype {value.dtype}")
            if value.shape != (size,):
                raise ValueError(f"{self.name} must return an array of shape ({size},), got shape {value.shape}")
        value = np.asarray(value, dtype=np.float64)
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{self.name} returned non-finite values")
        return value


def _point(evaluator, inputs):
    """x as the rule receives it: the read-only flat view, or the tree of views into it."""
    return evaluator.x_view if inputs is None else inputs.unflatten(evaluator.x_view)


def _prepare(f, rule, rule_name, x, k, rtol, atol, min_block, args, kwargs, num_threads, workers, progress):
    """(evaluator, probe, input structure, output structure): the shared set-up of both checks."""
    check_probe_options(k, rtol, atol, min_block)
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    if not callable(rule):
        raise TypeError(f"{rule_name} must be callable, got {type(rule).__name__}")
    inputs = _structure_of(x, "x")
    flat_x = x if inputs is None else inputs.flat()
    on_tree = f if inputs is None else _OnTree(f, inputs)
    first = on_tree(np.asarray(flat_x, dtype=np.float64) if inputs is None else flat_x, *args, **(kwargs or {}))
    outputs = _structure_of(first, "f(x)")
    evaluator = bind_objective(_FlatOutput(on_tree, outputs), flat_x, args, kwargs, num_threads, False, workers,
                               progress)
    probe = _Probe(evaluator, vector=True)
    probe.nfev += 1  # the call that showed f's output structure
    _require_finite(probe.F0)
    if probe.F0.ndim != 1:
        raise ValueError(f"f must return an array (or a tree of arrays), got shape {probe.F0.shape}")
    return evaluator, probe, inputs, outputs


def _directional_jacobian(probe, v):
    """(J v, error estimate per output): central differences of f at t and t/2 along v,
    extrapolated (4 evaluations), the error that of the finer difference plus 4 EPS |f| / t."""
    eps = np.finfo(probe.x.dtype).eps
    t = unit_direction_step(eps, probe.xmax, PROBE_STEP_EXPONENT) / max(float(np.max(np.abs(v))), 1e-300)
    values = {}
    for s in (t, -t, t / 2, -t / 2):
        np.multiply(v, probe.x.dtype.type(s), out=probe.point)
        probe.point += probe.x
        values[s] = probe._raw(probe.point)
    estimate, truncation = central_pair(values[t], values[-t], values[t / 2], values[-t / 2], t)
    return estimate, truncation + 3.0 * 4.0 * eps * np.abs(probe.F0) / t


def _probe_pairs(probe, rule_side, rng, k, n, m, rtol, atol):
    """The probe phase: (errors, tolerances, failing (u, v) or None, max abs, max rel)."""
    eps = np.finfo(probe.x.dtype).eps
    errors, tolerances, max_abs, max_rel = [], [], 0.0, 0.0
    for _ in range(k):
        u = _directions(rng, m, np.float64)
        v = _directions(rng, n, probe.x.dtype)
        probe.set_weights(u)
        value, error = probe.derivative(v)
        dot, magnitude = rule_side(u, v)
        diff = abs(dot - value)
        tol = float(_tolerance(error, value, F_ULPS * eps * magnitude, rtol, atol))
        errors.append(diff)
        tolerances.append(tol)
        max_abs, max_rel = max(max_abs, diff), max(max_rel, _relative(diff, value))
        if diff > tol:
            return errors, tolerances, (u, v), max_abs, max_rel
    return errors, tolerances, None, max_abs, max_rel


def _check_pairs(kind, probe, rule_side, localize_failure, seed, k, rtol, atol, inputs, outputs):
    """The probe phase, then, where a pair failed and ``localize_failure`` is given, its
    localisation ``localize_failure(jv, jv_error, u, v) -> (in_blocks, out_blocks, leaves,
    complete)`` from J v of the failing v: the GradCheck of check_vjp and check_jvp."""
    n, m = probe.x.shape[0], probe.F0.shape[0]
    errors, tolerances, failed, max_abs, max_rel = _probe_pairs(probe, rule_side, _generator(seed), k, n, m, rtol,
                                                                atol)
    if failed is None or localize_failure is None:
        return _report(kind, failed is None, n, errors, tolerances, max_abs, max_rel, rtol, atol, probe, inputs,
                       outputs)
    u, v = failed
    jv, jv_error = _directional_jacobian(probe, v)
    return _report(kind, False, n, errors, tolerances, max_abs, max_rel, rtol, atol, probe, inputs, outputs,
                   *localize_failure(jv, jv_error, u, v))


def _report(kind, passed, n, errors, tolerances, max_abs, max_rel, rtol, atol, probe, inputs, outputs,
            in_blocks=(), out_blocks=(), leaves=None, complete=True):
    result = GradCheck(passed=passed, mode="directions", n=n, max_abs_error=max_abs, max_rel_error=max_rel,
                       tolerance=max(tolerances), tolerance_rule=_rule(rtol, atol, probes=True),
                       direction_errors=np.array(errors), faulty_blocks=list(in_blocks), nfev=probe.nfev, kind=kind,
                       localization_complete=complete)
    name_in = inputs.describe if inputs is not None else lambda a, b: f"x[{a}]" if b - a == 1 else f"x[{a}:{b}]"
    name_out = outputs.describe if outputs is not None else lambda a, b: f"f[{a}]" if b - a == 1 else f"f[{a}:{b}]"
    result.parameters = [name_in(a, b) for a, b in in_blocks]
    result.outputs = [name_out(a, b) for a, b in out_blocks]
    result.output_blocks = list(out_blocks)
    result.leaves = leaves or []
    return result


def _localize_vjp(probe, rule_on_u, jv, jv_error, u, v, n, m, rtol, atol, min_block, inputs, outputs):
    """Output blocks, then input blocks within the first faulty output block (module notes)."""
    eps = np.finfo(probe.x.dtype).eps

    def measure_outputs(start, stop):
        part = np.zeros(m)
        part[start:stop] = u[start:stop]
        g = rule_on_u(part)
        user = float(g @ v)
        reference = float(part[start:stop] @ jv[start:stop])
        tol = LOCALIZE_SAFETY * (float(np.abs(part[start:stop]) @ jv_error[start:stop])
                                 + F_ULPS * eps * _abs_sum(g))
        if rtol is not None or atol is not None:
            tol = (atol or 0.0) + (rtol or 0.0) * abs(reference)
        return user - reference, tol, reference

    out_blocks, out_complete, _ = _localize(measure_outputs, m, min_block, outputs)
    # The inputs are searched for the first faulty output only (its block when blocks stop at
    # min_block > 1): a rule wrong for many outputs would otherwise spread the fault over all
    # their inputs, and group testing costs ~2 measurements per faulty input.
    start = out_blocks[0][0]
    stop = min(start + min_block, out_blocks[0][1])
    part = np.zeros(m)
    part[start:stop] = u[start:stop]
    probe.set_weights(part)
    g = rule_on_u(part)

    def measure_inputs(a, b):
        support = slice(a, b)
        value, error = probe.derivative(v, support)
        user = float(g[support] @ v[support])
        tol = float(_tolerance(error, value, F_ULPS * eps * _abs_sum(g[support]), rtol, atol, LOCALIZE_SAFETY))
        return user - value, tol, value

    in_blocks, in_complete, leaves = _localize(measure_inputs, n, min_block, inputs)
    return in_blocks, out_blocks, leaves, in_complete and out_complete


def _localize_jvp(probe, rule, jv_rule, jv, jv_error, u, v, n, m, rtol, atol, min_block, inputs):
    """The faulty outputs read off the two J v's directly; then input blocks for them by group
    testing, the rule called with v restricted to each block."""
    eps = np.finfo(probe.x.dtype).eps
    if rtol is None and atol is None:
        tol = LOCALIZE_SAFETY * (jv_error + F_ULPS * eps * np.abs(jv_rule))
    else:
        tol = (atol or 0.0) + (rtol or 0.0) * np.abs(jv)
    faulty = np.abs(jv_rule - jv) > tol
    if not faulty.any():  # the pair failed through many small contributions: all outputs
        faulty[:] = True
    out_blocks = _runs(faulty)
    part = np.where(faulty, u, 0.0)
    probe.set_weights(part)
    restricted = np.zeros_like(v)

    def measure_inputs(a, b):
        support = slice(a, b)
        value, error = probe.derivative(v, support)
        restricted[:] = 0
        restricted[support] = v[support]
        jv_part = rule(restricted, m)
        user = float(part @ jv_part)
        scale = float(np.abs(part) @ np.abs(jv_part))
        return user - value, float(_tolerance(error, value, F_ULPS * eps * scale, rtol, atol, LOCALIZE_SAFETY)), value

    in_blocks, complete, leaves = _localize(measure_inputs, n, min_block, inputs)
    return in_blocks, out_blocks, leaves, complete


@document
def check_vjp(f: Callable[..., Any], vjp: Callable[..., Any], x: Parameters, *, k: int = 8,
              rtol: float | None = None, atol: float | None = None, noise: float | None = None,
              seed: int | np.random.Generator | None = None, localize: bool = True, min_block: int = 1,
              args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None, num_threads: int | None = None,
              workers: Workers | None = None, progress: bool = False) -> GradCheck:
    """Check a vector-Jacobian product rule against finite differences; say where it is wrong.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)``: an array (of any shape) or a tree of arrays, m numbers in all.
    vjp : callable
        ``vjp(x, u, *args, **kwargs) -> J(x)^T u``, with u in f's output structure (an array of
        f's output shape, or a tree like f's) and the result in x's structure. A JAX rule fits as
        ``lambda x, u: jax.vjp(f, x)[1](u)[0]``.
    x : array_like, or a tree of arrays
        The point: a vector, or nested dicts, lists and tuples of arrays (see `check_grad`).
    k : int
        Number of probe pairs (u, v).
    rtol, atol, noise, seed, localize, min_block
        As for `check_grad`.

    Returns
    -------
    GradCheck
        kind 'VJP'; ``parameters`` names the faulty input blocks and ``outputs`` the faulty output
        blocks (for a tree, by path).

    Examples
    --------
    >>> import numpy as np, fdcore
    >>> A = np.arange(12.0).reshape(3, 4)
    >>> f = lambda x: np.tanh(A @ x)
    >>> vjp = lambda x, u: A.T @ (u * (1 - np.tanh(A @ x) ** 2))
    >>> bool(fdcore.check_vjp(f, vjp, np.linspace(-0.1, 0.1, 4), seed=0))
    True
    >>> wrong = lambda x, u: vjp(x, u) + np.array([0, 0, 1e-3, 0]) * u[1]
    >>> result = fdcore.check_vjp(f, wrong, np.linspace(-0.1, 0.1, 4), seed=0)
    >>> result.passed, result.outputs, result.parameters
    (False, ['f[1]'], ['x[2]'])
    """
    evaluator, probe, inputs, outputs = _prepare(f, vjp, "vjp", x, k, rtol, atol, min_block, args, kwargs,
                                                 num_threads, workers, progress)
    probe.noise = parse_noise(noise)
    n, m = probe.x.shape[0], probe.F0.shape[0]
    rule = _Rule(vjp, "vjp", outputs, inputs, _point(evaluator, inputs), evaluator.args, evaluator.kwargs)

    def rule_side(u, v):
        g = rule(u, n)
        return float(g @ v), _abs_sum(g)

    def localize_failure(jv, jv_error, u, v):
        return _localize_vjp(probe, lambda part: rule(part, n), jv, jv_error, u, v, n, m, rtol, atol, min_block,
                             inputs, outputs)

    return _check_pairs("VJP", probe, rule_side, localize_failure if localize else None, seed, k, rtol, atol,
                        inputs, outputs)


@document
def check_jvp(f: Callable[..., Any], jvp: Callable[..., Any], x: Parameters, *, k: int = 8,
              rtol: float | None = None, atol: float | None = None, noise: float | None = None,
              seed: int | np.random.Generator | None = None, localize: bool = True, min_block: int = 1,
              args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None, num_threads: int | None = None,
              workers: Workers | None = None, progress: bool = False) -> GradCheck:
    """Check a Jacobian-vector product rule against finite differences; say where it is wrong.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)``: an array (of any shape) or a tree of arrays, m numbers in all.
    jvp : callable
        ``jvp(x, v, *args, **kwargs) -> J(x) v``, with v in x's structure and the result in f's
        output structure. A JAX rule fits as ``lambda x, v: jax.jvp(f, (x,), (v,))[1]``.
    x : array_like, or a tree of arrays
        The point: a vector, or nested dicts, lists and tuples of arrays (see `check_grad`).
    k : int
        Number of probe pairs (u, v).
    rtol, atol, noise, seed, localize, min_block
        As for `check_grad`.

    Returns
    -------
    GradCheck
        kind 'JVP'; ``parameters`` names the faulty input blocks and ``outputs`` the faulty output
        blocks.

    Examples
    --------
    >>> import numpy as np, fdcore
    >>> f = lambda x: np.array([x[0] * x[1], np.sin(x[2])])
    >>> jvp = lambda x, v: np.array([v[0] * x[1] + x[0] * v[1], np.cos(x[2]) * v[2]])
    >>> bool(fdcore.check_jvp(f, jvp, np.array([0.5, -1.0, 2.0]), seed=0))
    True
    """
    evaluator, probe, inputs, outputs = _prepare(f, jvp, "jvp", x, k, rtol, atol, min_block, args, kwargs,
                                                 num_threads, workers, progress)
    probe.noise = parse_noise(noise)
    n, m = probe.x.shape[0], probe.F0.shape[0]
    rule = _Rule(jvp, "jvp", inputs, outputs, _point(evaluator, inputs), evaluator.args, evaluator.kwargs)

    def rule_side(u, v):
        jv = rule(v, m)
        return float(u @ jv), float(np.abs(u) @ np.abs(jv))

    def localize_failure(jv, jv_error, u, v):
        return _localize_jvp(probe, rule, rule(v, m), jv, jv_error, u, v, n, m, rtol, atol, min_block, inputs)

    return _check_pairs("JVP", probe, rule_side, localize_failure if localize else None, seed, k, rtol, atol,
                        inputs, outputs)
