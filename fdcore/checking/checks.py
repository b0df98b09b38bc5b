"""Gradient checking at scale: compare a user's gradient with finite differences.

Modes
  full         every coordinate, with the accurate mode (8 evaluations per coordinate)
  coordinates  k random coordinates, each by an accurate derivative along e_i
  directions   k random +-1 directions v: grad(x) . v against an accurate derivative of
               t -> f(x + t v) (4 evaluations each: central differences at t and t/2,
               extrapolated); O(k) evaluations and three n-vectors whatever n is. On failure the
               faulty coordinates are localised by group testing.
  taylor       Taylor remainder test: r(e) = |f(x + e v) - f(x) - e grad(x) . v| must fall as e^2
               (observed rate ~2); a wrong gradient leaves an O(e) remainder (rate ~1).
  auto         full for n <= 1000, directions otherwise.

Tolerances are derived, not chosen: a directional derivative is compared within
TOLERANCE_SAFETY * (its finite-difference error estimate + F_ULPS EPS sum|grad_i v_i|, the rounding of grad and
of the dot product), a coordinate within TOLERANCE_SAFETY * (its Richardson error estimate + F_ULPS EPS (|grad_i| + max|grad|)). ``atol`` / ``rtol`` replace them by atol + rtol |reference|.

Localisation (group testing): the discrepancy r(S) = grad_S . v_S - D_{v_S} f of a direction
restricted to an index set S is additive over disjoint sets, so a block is split in halves, the
first half is measured and the second inferred (r(S2) = r(S) - r(S1)); halves whose discrepancy
exceeds their tolerance are split again, down to single coordinates or blocks below
``min_block``. One faulty coordinate costs about log2(n) directional checks.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from fdcore.checking.pytree import Structure, is_tree
from fdcore.derivatives.docs import document
from fdcore.derivatives.noise import measure_noise
from fdcore.derivatives.objective import bind_objective
from fdcore.derivatives.types import CheckMode, Objective, Parameters, Workers
from fdcore.numerics.errors import F_ULPS, TOLERANCE_SAFETY, nudged, values_precision
from fdcore.numerics.options import check_noise_size, parse_noise, real_number
from fdcore.numerics.scale_search import ambiguous_scale
from fdcore.numerics.steps import PROBE_STEP_EXPONENT, unit_direction_step

MODES = ("auto", "full", "coordinates", "directions", "taylor")
AUTO_FULL_MAX_N = 1000
# A probe's estimate poorer than this (relative) is measured again at smaller steps.
PROBE_RETRY = 1e-6
# Localisation budget: enough directional measurements (4 evaluations each, more where a probe
# retries other steps) to isolate this many separate faulty coordinates.
LOCALIZE_MAX_FAULTS = 8
# Factor between the error estimate and the tolerance of the blocks tested during localisation.
LOCALIZE_SAFETY = 3.0


@dataclass
class GradCheck:
    """The outcome of `check_grad`; ``str()`` gives a readable report.

    Attributes
    ----------
    passed : bool
    mode : str
        The mode that ran ('auto' resolved).
    n : int
        The number of parameters (coordinates of x).
    max_abs_error, max_rel_error : float
        Largest discrepancy between grad and the finite-difference reference (relative to the
        reference's size).
    tolerance : float or ndarray
        The tolerance(s) used.
    tolerance_rule : str
        How the tolerance was derived (from the error estimates, or ``atol + rtol |reference|``).
    worst : list of (index, grad_i, fd_i, |difference|)
        The worst coordinates (full and coordinates modes).
    direction_errors : ndarray
        Per probe direction, |grad . v - D_v f| (directions mode).
    taylor_rates : ndarray
        Observed convergence rates of the Taylor remainders (taylor mode).
    faulty_blocks : list of (start, stop)
        Index ranges that carry the error (directions mode with localisation).
    nfev : int
        Evaluations of f.
    kind : str
        'gradient' or 'Jacobian' (the check that made this result).
    localization_complete : bool
        False when localisation stopped at its evaluation budget before isolating every fault.
    parameters : list of str
        For parameters given as a tree: the faulty blocks named by path and index, e.g.
        ``x['layers'][2]['w'][3, 17]`` or a whole row ``x['layers'][2]['w'][3, :]``.
    leaves : list of LeafReport
        For parameters given as a tree: one summary per parameter array, the worst first
        (full and coordinates modes: over its checked coordinates; directions mode, after a
        failing probe: that probe's discrepancy restricted to the array).
    outputs, output_blocks : list of str, list of (start, stop)
        `check_vjp` / `check_jvp`: the faulty output blocks, named (by path for a tree-valued f)
        and as ranges of f's flattened output.
    """

    passed: bool
    mode: str
    n: int
    max_abs_error: float = 0.0
    max_rel_error: float = 0.0
    tolerance: float | NDArray[np.float64] | None = None
    tolerance_rule: str = ""
    worst: list[tuple[Any, float, float, float]] = field(default_factory=list)
    direction_errors: NDArray[np.float64] | None = None
    taylor_rates: NDArray[np.float64] | None = None
    faulty_blocks: list[tuple[int, int]] = field(default_factory=list)
    nfev: int = 0
    kind: str = "gradient"
    localization_complete: bool = True
    parameters: list[str] = field(default_factory=list)
    leaves: list["LeafReport"] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    output_blocks: list[tuple[int, int]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return self.passed

    def __str__(self) -> str:
        lines = [f"{self.kind} check ({self.mode}, n = {self.n}): {'PASSED' if self.passed else 'FAILED'}",
                 f"  evaluations of f: {self.nfev}",
                 f"  max abs error {self.max_abs_error:.3g}, max rel error {self.max_rel_error:.3g}",
                 f"  tolerance: {self.tolerance_rule}"]
        if self.worst:
            lines.append("  worst coordinates (index, grad, finite difference, |difference|):")
            lines += [f"    {str(i):>10}  {g: .10g}  {d: .10g}  {e:.3g}" for i, g, d, e in self.worst]
        if self.direction_errors is not None:
            lines.append("  per-direction |grad.v - D_v f|: " + ", ".join(f"{e:.3g}" for e in self.direction_errors))
        if self.taylor_rates is not None:
            lines.append("  Taylor remainder rates (2 = correct, 1 = wrong): "
                         + ", ".join(f"{r:.2f}" for r in self.taylor_rates))
        if self.leaves:
            lines.append("  per parameter array, worst first (path, size, max abs error, max rel error):")
            lines += [f"    {'FAILED' if not leaf.passed else 'ok    '}  {leaf.path}  {leaf.size}  "
                      f"{leaf.max_abs_error:.3g}  {leaf.max_rel_error:.3g}" for leaf in self.leaves[:20]]
        if self.outputs:
            more = f" (+{len(self.outputs) - 20} more)" if len(self.outputs) > 20 else ""
            lines.append(f"  faulty outputs: {', '.join(self.outputs[:20])}{more}")
        if self.parameters:
            more = f" (+{len(self.parameters) - 20} more)" if len(self.parameters) > 20 else ""
            lines.append(f"  faulty parameters: {', '.join(self.parameters[:20])}{more}")
        elif self.faulty_blocks:
            blocks = ", ".join(f"{a}" if b - a == 1 else f"{a}..{b - 1}" for a, b in self.faulty_blocks[:20])
            more = f" (+{len(self.faulty_blocks) - 20} more)" if len(self.faulty_blocks) > 20 else ""
            lines.append(f"  faulty coordinates / blocks: {blocks}{more}")
        if not self.localization_complete:
            lines.append("  localisation stopped at its evaluation budget: the error is spread over many "
                         "coordinates; the blocks above are coarse")
        return "\n".join(lines)


class LeafReport(NamedTuple):
    """One parameter array's part of a check of tree-shaped parameters (see GradCheck.leaves).

    Parameters
    ----------
    path, size, max_abs_error, max_rel_error, passed
        The fields, in this order (see Attributes).

    Attributes
    ----------
    path : str
        The array's name, e.g. ``x['layers'][2]['w']``.
    size : int
        Its number of entries.
    max_abs_error, max_rel_error : float
        Its largest discrepancy between the user's derivative and finite differences, absolute
        and relative to the array's largest reference value.
    passed : bool
        Whether that discrepancy is within the tolerance.
    """

    path: str
    size: int
    max_abs_error: float
    max_rel_error: float
    passed: bool


def _leaf_reports(structure, diff, reference, bad, checked=None):
    """LeafReports from per-coordinate differences, references and failures (flat arrays);
    ``checked``: the flat indices they belong to (default every coordinate)."""
    index = None if checked is None else np.asarray(checked)
    reports = []
    for leaf in structure.leaves:
        # every coordinate: the leaf's slice; a sample: the sampled indices inside the leaf
        mine = slice(leaf.start, leaf.stop) if index is None else (index >= leaf.start) & (index < leaf.stop)
        if index is not None and not mine.any():
            continue
        d, ref = np.asarray(diff)[mine], np.asarray(reference)[mine]
        worst = float(d.max())
        reports.append(LeafReport(structure.name + leaf.path, leaf.stop - leaf.start, worst,
                                  _relative(worst, float(np.abs(ref).max())), not bool(np.asarray(bad)[mine].any())))
    return _worst_first(reports)


def _worst_first(reports):
    return sorted(reports, key=lambda r: (r.passed, -r.max_rel_error))


class _OnTree:
    """f (or the user's derivative) called with the parameters as a tree: the flat vector the
    check works on is shown to it as read-only views in the tree's structure. Picklable when the
    function is (workers=)."""

    def __init__(self, function, structure, flatten_as=None):
        self.function, self.structure, self.flatten_as = function, structure, flatten_as

    def __call__(self, flat, *args, **kwargs):
        value = self.function(self.structure.unflatten(flat), *args, **kwargs)
        if self.flatten_as is None:
            return value
        return self.structure.flatten_like(value, self.flatten_as)


class _JacobianOnTree(_OnTree):
    """jac of tree-shaped parameters: a tree whose leaves have shape (m,) + the parameter's
    shape (as jax.jacrev returns it), as the flat (m, n) Jacobian."""

    def __call__(self, flat, *args, **kwargs):
        value = self.function(self.structure.unflatten(flat), *args, **kwargs)
        return self.structure.flatten_like(value, "jac", rows=True)


def _on_tree(f, derivative, x, vectorized, derivative_name, wrapper=_OnTree):
    """(f, derivative, x, structure) for a check: unchanged for a flat x; for a tree x, the
    wrappers that show it to f and the derivative as a tree, and the flat copy of x."""
    if not is_tree(x):
        return f, derivative, x, None
    if vectorized:
        raise ValueError("vectorized= takes x as a flat vector (f evaluates columns of points); x is a tree")
    if not callable(f):
        raise TypeError(f"f must be a Python callable when x is a tree of parameters, got {type(f).__name__}")
    structure = Structure(x)
    if not callable(derivative):
        raise TypeError(f"{derivative_name} must be callable, got {type(derivative).__name__}")
    return _OnTree(f, structure), wrapper(derivative, structure, derivative_name), structure.flat(), structure


def _named(result, structure, leaves=None):
    """The result with its coordinates named by path (tree-shaped parameters)."""
    if structure is None:
        return result
    def name(i):  # a coordinate, or a Jacobian entry (row, column)
        return structure.describe(i) if isinstance(i, (int, np.integer)) else f"f[{i[0]}] by {structure.describe(i[1])}"

    result.worst = [(name(i), *rest) for i, *rest in result.worst]
    result.parameters = [structure.describe(a, b) for a, b in result.faulty_blocks]
    if leaves is not None:
        result.leaves = leaves
    return result


class _Probe:
    """f along directions through x: accurate derivatives of t -> f(x + t v), counting evaluations.

    For a vector f (``vector=True``) the probed function is u . f with the weights u set by
    `set_weights` (u^T J v checks of a Jacobian).
    """

    def __init__(self, evaluator, vector=False, noise=None):
        self.evaluator, self.nfev, self.vector = evaluator, 0, vector
        self.noise = noise  # noise of one value of f: the user's, or measured (None: the probes' own)
        self.x = evaluator.x
        self.point = np.empty_like(self.x)  # one work vector for x + t v
        self.u = None
        self.fourth = {}  # fourth differences seen so far, per step scale: f's noise
        self.eps_f = None  # the precision f computes in, once known (see precision)
        self.measurements = 0  # directional derivatives measured (calls of derivative)
        self.good_division = 0  # how often 16 divided the step of the last good whole-direction probe
        self.F0 = self._raw(self.x)
        self.xmax = _abs_max(self.x)

    def set_weights(self, u):
        self.u = u

    @property
    def f0(self):
        return float(self.u @ self.F0) if self.vector else self.F0

    def noise_of_value(self):
        """The known noise of one probed value (of u . f for a vector f), or 0."""
        if self.noise is None:
            return 0.0
        if self.vector:
            return float(np.sqrt(np.sum((self.u * np.broadcast_to(self.noise, self.u.shape)) ** 2)))
        return float(np.max(self.noise))

    def _raw(self, point):
        self.nfev += 1
        if self.vector:
            return np.asarray(self.evaluator.vector(point), dtype=np.float64)
        return float(self.evaluator.scalar(point))

    def _value(self, point):
        value = self._raw(point)
        return float(self.u @ value) if self.vector else value

    def at(self, t, v, support=None):
        """f(x + t v), v restricted to ``support`` (a slice) when given; no temporary vectors."""
        t = self.x.dtype.type(t)
        if support is None:
            np.multiply(v, t, out=self.point)
            self.point += self.x
        else:
            np.copyto(self.point, self.x)
            part = self.point[support]
            np.multiply(v[support], t, out=part)
            part += self.x[support]
        return self._value(self.point)

    def derivative(self, v, support=None):
        """(D_v f, error estimate): central differences at t and t/2, one Richardson step (4 evals).

        The error estimate is that of the finer difference, |d(t/2) - d(t)| / 3 (the extrapolant
        is better still), plus f's noise propagated through the weights. The noise is measured,
        not assumed: the fourth difference of f at -t, -t/2, 0, t/2, t is ~ sqrt(70) times the
        noise of one value for a smooth f (Moré & Wild, SIAM J. Sci. Comput. 33 (2011) 1292); the
        probe uses 1.5 x the median over all its measurements so far (one sample is too erratic
        for a tolerance), floored at 4 EPS |f(x)|. t = EPS^(1/4) max(1, |x|_inf) / |v|_inf
        balances the O(t^2) and O(noise / t) parts of the estimate.

        Other step scales, 4 evaluations each, where that one fails. Where the estimate is poor
        (above 1e-3 relative) or met a non-finite value of f and 0 < |x|_inf < 1, f may vary on
        the scale of x: t scaled by |x|_inf. Then, while the estimate is poor (above
        PROBE_RETRY relative) and truncation-bound, or f met non-finite values (the edge of its
        domain), up to twice 16 times smaller; the best is kept. Where the step is long enough
        to alias an O(1)-scale oscillation (|x| >> 1), the unit scale, which decides when the
        two disagree (fdcore.numerics.scale_search).
        """
        vmax = _abs_max(v if support is None else v[support])
        if vmax == 0.0:
            return 0.0, 0.0
        self.measurements += 1
        eps = np.finfo(self.x.dtype).eps
        t = unit_direction_step(eps, self.xmax, PROBE_STEP_EXPONENT) / vmax
        if support is None and self.good_division:
            # Probes along whole random directions see the same f: where an earlier one was good
            # only at smaller steps of the default scale, the next starts there (4 evaluations
            # instead of 8 or 12), and falls back to the full search below when that is not good
            # enough.
            start = self._along(v, support, t / 16 ** self.good_division, f"smaller {self.good_division - 1}")
            if start is not None and start[1] <= PROBE_RETRY * abs(start[0]):
                return start[:2]
        best = self._along(v, support, t, "default")
        other_scale = False  # whether the unit or the x scale was tried
        if best is not None and ambiguous_scale(self.xmax, t * vmax):
            other_scale = True
            unit = self._along(v, support, unit_direction_step(eps, 1.0, PROBE_STEP_EXPONENT) / vmax, "unit")
            if unit is not None and (abs(unit[0] - best[0]) > unit[1] + best[1] or unit[1] < best[1]):
                best = unit
        if 0.0 < self.xmax < 1.0 and (best is None or best[1] > 1e-3 * abs(best[0])):
            # f may vary on the scale of x (its aliased values then look like noise, so this
            # retry does not wait for a truncation-bound estimate)
            other_scale = True
            t = unit_direction_step(eps, self.xmax, PROBE_STEP_EXPONENT, scale_floor=0.0) / vmax
            retry = self._along(v, support, t, "x")
            if retry is not None and (best is None or retry[1] < best[1]):
                best = retry
        division = 0
        for k in range(2):
            if best is not None and (best[1] <= PROBE_RETRY * abs(best[0]) or not best[2]):
                break  # good enough, or round-off-bound: smaller steps would not help
            t /= 16
            retry = self._along(v, support, t, f"smaller {k}")
            if retry is not None and (best is None or retry[1] < best[1]):
                best, division = retry, k + 1
        if support is None and not other_scale and best is not None and best[1] <= PROBE_RETRY * abs(best[0]):
            self.good_division = division
        if best is None:
            raise ValueError(f"f is not finite at the probe points x +- {t:.3g} v, nor at smaller steps: the "
                             "finite-difference check is undefined there (is x at the edge of f's domain?)")
        return best[:2]

    def precision(self, values, eps):
        """The machine epsilon of f's values: float32's when they are float32 numbers and f does not
        see a change of x below float32's resolution (one more evaluation, once), else eps."""
        if self.eps_f is None and values_precision(values, eps) != eps:
            same = self._value(nudged(self.x)) == self.f0
            self.eps_f = values_precision(values, eps) if same else eps
        return eps if self.eps_f is None else self.eps_f

    def _along(self, v, support, t, scale):
        """(estimate, error, truncation-bound) at step t, or None where f met a non-finite value."""
        eps = np.finfo(self.x.dtype).eps
        f1p, f1m = self.at(t, v, support), self.at(-t, v, support)
        f2p, f2m = self.at(t / 2, v, support), self.at(-t / 2, v, support)
        if not np.all(np.isfinite([f1p, f1m, f2p, f2m])):
            return None
        # Fourth differences bound the noise from above (they include O(t^4) truncation), so they
        # are pooled per step scale only: a too-coarse scale's samples say nothing of f's noise.
        samples = self.fourth.setdefault(scale, [])
        samples.append(abs(f1p - 4 * f2p + 6 * self.f0 - 4 * f2m + f1m))
        # The floor: 4 EPS |f(x)|, EPS that of the precision f's values show (float32 values at
        # a float64 x), or the user's noise.
        eps_f = self.precision(np.array([f1p, f1m, f2p, f2m, self.f0]), eps)
        noise = max(1.5 * float(np.median(samples)) / np.sqrt(70.0), 4 * eps_f * abs(self.f0), self.noise_of_value())
        estimate, truncation = central_pair(f1p, f1m, f2p, f2m, t)
        return estimate, truncation + 3.0 * noise / t, truncation > 2.0 * (3.0 * noise / t)


def central_pair(f1p, f1m, f2p, f2m, t):
    """(estimate, truncation error) of a directional derivative from f at +-t and +-t/2 (scalars
    or arrays of outputs): the central differences d1 (step t) and d2 (t/2), one Richardson step
    R = d2 + (d2 - d1) / 3 = (4/3) (f2p - f2m) / t - (1/6) (f1p - f1m) / t, whose weights sum
    to 3 / t in absolute value (the noise gain); the error estimate is that of d2, |d2 - d1| / 3."""
    d1, d2 = (f1p - f1m) / (2 * t), (f2p - f2m) / t
    return d2 + (d2 - d1) / 3.0, np.abs(d2 - d1) / 3.0


def _directions(rng, n, dtype, out=None):
    """A random +-1 vector (Rademacher): every coordinate probed with the same weight.

    Written into ``out`` when given; generated in chunks, so no n-sized temporary."""
    v = np.empty(n, dtype=dtype) if out is None else out
    chunk = 1 << 16
    for i in range(0, n, chunk):
        np.multiply(rng.integers(0, 2, size=min(chunk, n - i), dtype=np.int8), 2, out=v[i:i + chunk])
    v -= 1
    return v


def _prepare(f, derivative, name, x, mode, k, rtol, atol, min_block, args, kwargs, num_threads, vectorized, workers,
             progress):
    """Argument checks shared by check_grad and check_jacobian; the evaluator of f at x."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(repr(m) for m in MODES)}; got {mode!r}")
    check_probe_options(k, rtol, atol, min_block)
    if not callable(derivative):
        raise TypeError(f"{name} must be callable, got {type(derivative).__name__}")
    return bind_objective(f, x, args, kwargs, num_threads, vectorized, workers, progress)


def check_probe_options(k, rtol, atol, min_block):
    """ValueError naming k, rtol, atol or min_block where it is not a valid option of a check."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive int, got {k!r}")
    if isinstance(min_block, bool) or not isinstance(min_block, (int, np.integer)) or min_block < 1:
        raise ValueError(f"min_block must be a positive int, got {min_block!r}")
    for tolerance_name, tolerance in (("rtol", rtol), ("atol", atol)):
        if tolerance is not None:  # a NaN tolerance compared as False: every check passed
            value = real_number(tolerance, tolerance_name, "a finite number >= 0 or None")
            if not (np.isfinite(value) and value >= 0):
                raise ValueError(f"{tolerance_name} must be a finite number >= 0 or None, got {tolerance!r}")


def _generator(seed):
    """seed as a numpy.random.Generator (None: fresh entropy), or TypeError naming seed."""
    if isinstance(seed, np.random.Generator):
        return seed
    try:
        return np.random.default_rng(seed)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"seed must be None, an int >= 0 or a numpy.random.Generator, got {seed!r:.60} ({exc})") from None


def _user_derivative(name, derivative, evaluator, shape, expected, where, positions):
    """The user's derivative at x as float64, checked: of ``shape`` (None: any size), real, finite.

    Errors name ``name``; non-finite entries are reported ``where`` (e.g. 'at coordinates') by
    ``positions(non-finite mask)``.
    """
    value = np.asarray(derivative(evaluator.x_view, *evaluator.args, **(evaluator.kwargs or {})))
    if value.ndim != len(shape) or any(s is not None and s != v for s, v in zip(shape, value.shape)):
        raise ValueError(f"{name} must return an array of shape {expected}, got shape {value.shape}")
    if value.dtype.kind not in "biuf":
        raise ValueError(f"{name} must return real numbers, got dtype {value.dtype}")
    value = value.astype(np.float64, copy=False)
    bad = ~np.isfinite(value)
    if bad.any():
        raise ValueError(f"{name} returned non-finite values {where} {positions(bad)[:10]}")
    return value


@document
def check_grad(f: Objective, grad: Callable[..., Any], x: Parameters, *, mode: CheckMode = "auto", k: int = 8,
               rtol: float | None = None, atol: float | None = None, noise: float | None = None,
               seed: int | np.random.Generator | None = None, localize: bool = True, min_block: int = 1,
               args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None, num_threads: int | None = None,
               vectorized: bool = False, workers: Workers | None = None, progress: bool = False) -> GradCheck:
    """Check a gradient function against finite differences; say which coordinates are wrong.

    Parameters
    ----------
    f : callable or compiled callback
        The scalar objective (any evaluator kind: Python, compiled, vectorized, workers).
    grad : callable
        ``grad(x, *args, **kwargs) -> array of shape (n,)``: the gradient to check.
    x : array_like, shape (n,)
    mode : {'auto', 'full', 'coordinates', 'directions', 'taylor'}
        See the module notes; 'auto' is 'full' for n <= 1000, else 'directions'.
    k : int
        Number of probe directions or sampled coordinates.
    rtol, atol : float, optional
        Replace the derived tolerance by ``atol + rtol |reference|``.
    noise : float, optional
        The absolute error (standard deviation) of one value of f, if known. By default it is
        measured: in 'full' and 'taylor' mode from the high-order differences of 9 values of f
        on a line through x (Moré & Wild's ECnoise; 8 more evaluations, up to 24), in the probe
        modes from the fourth differences of the probes' own values.
    seed : int or numpy.random.Generator, optional
        For the random directions / coordinates.
    localize : bool
        In 'directions' mode, find the faulty coordinates by group testing when a probe fails.
    min_block : int
        Stop splitting blocks at this size.

    Returns
    -------
    GradCheck
        Truthy when the check passed; ``print(result)`` shows the report.

    Examples
    --------
    >>> import numpy as np, fdcore
    >>> f = lambda x: np.sum(np.sin(x) * x)
    >>> grad = lambda x: np.cos(x) * x + np.sin(x)
    >>> bool(fdcore.check_grad(f, grad, np.linspace(0, 1, 50)))
    True
    >>> wrong = lambda x: grad(x) + (np.arange(x.size) == 7) * 1e-3
    >>> result = fdcore.check_grad(f, wrong, np.linspace(0, 1, 50000), mode="directions", seed=0)
    >>> result.passed, result.faulty_blocks
    (False, [(7, 8)])
    """
    f, grad, x, structure = _on_tree(f, grad, x, vectorized, "grad")
    evaluator = _prepare(f, grad, "grad", x, mode, k, rtol, atol, min_block, args, kwargs, num_threads, vectorized, workers,
                         progress)
    noise = parse_noise(noise)
    x = evaluator.x
    n = x.shape[0]
    g = _user_derivative("grad", grad, evaluator, (n,), f"({n},)", "at coordinates", np.flatnonzero)
    rng = _generator(seed)
    if mode == "auto":
        mode = "full" if n <= AUTO_FULL_MAX_N else "directions"
    options = dict(num_threads=num_threads, vectorized=vectorized, workers=workers, progress=progress)
    if mode == "full":
        f0 = evaluator.scalar()
        _require_finite(f0)
        return _check_full(f, g, x, evaluator, f0, rtol, atol, noise, options, structure)
    probe = _Probe(evaluator, noise=noise)
    _require_finite(probe.F0)
    if mode == "coordinates":
        return _check_coordinates(probe, g, rng, k, rtol, atol, structure)
    if mode == "taylor":
        return _check_taylor(probe, g, rng, _measured(probe))
    return _check_directions(probe, g, rng, k, rtol, atol, localize, min_block, structure)


def _abs_max(a, chunk=1 << 16):
    """max |a_i| in chunks, without an n-sized temporary."""
    return float(max((np.abs(a[i:i + chunk]).max() for i in range(0, a.shape[0], chunk)), default=0.0))


def _realized_dot(g, point, x, chunk=1 << 16):
    """g . (point - x) in chunks, without an n-sized temporary."""
    return float(sum(g[i:i + chunk] @ (point[i:i + chunk] - x[i:i + chunk]) for i in range(0, x.shape[0], chunk)))


def _abs_sum(a, chunk=1 << 16):
    """sum |a_i| in chunks, without an n-sized temporary (n may be 1e7 or more)."""
    return float(sum(np.abs(a[i:i + chunk]).sum() for i in range(0, a.shape[0], chunk)))


def _relative(diff, reference):
    """diff / |reference|, and 0 when both vanish (no 1e300 ratios in reports)."""
    return 0.0 if diff == 0 else diff / max(abs(reference), np.finfo(float).tiny)


def _require_finite(value):
    if not np.all(np.isfinite(value)):
        raise ValueError(f"f is not finite at x (f(x) = {value}); derivatives there are undefined")


def _require_finite_reference(finite_per_coordinate):
    """The finite-difference reference must be finite: a NaN compares as 'not larger than the
    tolerance', and would pass the check."""
    if not finite_per_coordinate.all():
        shown = ", ".join(str(i) for i in np.flatnonzero(~finite_per_coordinate)[:10])
        raise ValueError(f"f is not finite at the stencil points of coordinates {shown}: the finite-difference "
                         "check is undefined there (is x at the edge of f's domain?)")


def _tolerance(fd_error, reference, dot_roundoff, rtol, atol, safety=TOLERANCE_SAFETY):
    if rtol is None and atol is None:
        return safety * (fd_error + dot_roundoff)
    return (atol or 0.0) + (rtol or 0.0) * np.abs(reference)


def _rule(rtol, atol, probes=False):
    if rtol is None and atol is None:
        noise = ("f's noise measured by a fourth difference of the probe's values" if probes
                 else "f's round-off, 32 ulps per value")
        return (f"{TOLERANCE_SAFETY:g} x (finite-difference error estimate: Richardson truncation + {noise}; "
                "plus 32 ulps of the gradient)")
    return f"atol + rtol |reference| (atol = {atol or 0.0:g}, rtol = {rtol or 0.0:g})"


def _noise_or_measured(noise, evaluator, f0, vector=False):
    """(noise, evaluations): the user's noise, else f's noise measured along a line through x
    (0 where it could not be measured)."""
    if noise is not None:
        return noise, 0
    measured, nfev = measure_noise(evaluator, f0, vector)
    return np.nan_to_num(measured, nan=0.0)[()], nfev


def _measured(probe):
    """The probe's noise (the user's, else measured and kept on the probe, its evaluations counted
    there), of one value of f or of each output."""
    probe.noise, nfev = _noise_or_measured(probe.noise, probe.evaluator, probe.F0, probe.vector)
    probe.nfev += nfev
    return probe.noise


def _check_full(f, g, x, evaluator, f0, rtol, atol, noise, options, structure=None):
    from fdcore.derivatives.first import gradient

    noise, spent = _noise_or_measured(noise, evaluator, f0)
    nfev = 1 + spent
    r = gradient(f, x, richardson=True, full_output=True, noise=noise, args=evaluator.args, kwargs=evaluator.kwargs,
                 **options)
    _require_finite_reference(np.isfinite(r.value))
    eps = np.finfo(x.dtype).eps
    diff = np.abs(g - r.value)
    # The floor 32 EPS max|g| covers f's rounding where f's value is much smaller than its terms
    # (a sum that cancels): the Richardson estimate, scaled by |f|, cannot see that.
    tol = _tolerance(r.error, r.value, F_ULPS * eps * (np.abs(g) + np.max(np.abs(g))), rtol, atol)
    bad = diff > tol
    scale = max(float(np.max(np.abs(r.value))), np.finfo(float).tiny)
    order = np.argsort(-(diff / np.maximum(tol, np.finfo(float).tiny)))[:5]
    result = GradCheck(
        passed=not bad.any(), mode="full", n=x.shape[0], max_abs_error=float(diff.max()),
        max_rel_error=float(diff.max() / scale), tolerance=tol, tolerance_rule=_rule(rtol, atol),
        worst=[(int(i), float(g[i]), float(r.value[i]), float(diff[i])) for i in order],
        faulty_blocks=_runs(bad), nfev=r.nfev + nfev,
    )
    return _named(result, structure, structure and _leaf_reports(structure, diff, r.value, bad))


def _runs(bad):
    """The faulty coordinates as blocks (start, stop) of consecutive indices."""
    index = np.flatnonzero(bad)
    if index.size == 0:
        return []
    breaks = np.flatnonzero(np.diff(index) > 1)
    starts = np.concatenate([index[:1], index[breaks + 1]])
    stops = np.concatenate([index[breaks], index[-1:]]) + 1
    return [(int(a), int(b)) for a, b in zip(starts, stops)]


def _check_coordinates(probe, g, rng, k, rtol, atol, structure=None):
    n = g.shape[0]
    picked = np.sort(rng.choice(n, size=min(k, n), replace=False))
    eps = np.finfo(probe.x.dtype).eps
    rows, faulty, worst_ratio, max_abs, max_rel = [], [], [], 0.0, 0.0
    unit = np.zeros(n, dtype=probe.x.dtype)
    for i in picked:
        unit[i] = 1.0
        value, error = probe.derivative(unit, slice(i, i + 1))
        unit[i] = 0.0
        diff = abs(g[i] - value)
        tol = float(_tolerance(error, value, F_ULPS * eps * abs(g[i]), rtol, atol))
        rows.append((int(i), float(g[i]), float(value), diff))
        worst_ratio.append(diff / max(tol, np.finfo(float).tiny))
        max_abs, max_rel = max(max_abs, diff), max(max_rel, _relative(diff, value))
        if diff > tol:
            faulty.append((int(i), int(i) + 1))
    order = np.argsort(-np.array(worst_ratio))[:5]
    result = GradCheck(passed=not faulty, mode="coordinates", n=n, max_abs_error=max_abs, max_rel_error=max_rel,
                       tolerance_rule=_rule(rtol, atol, probes=True), worst=[rows[i] for i in order],
                       faulty_blocks=faulty, nfev=probe.nfev)
    leaves = None
    if structure is not None:
        _, _, reference, diff = (np.array(column, dtype=np.float64) for column in zip(*rows))
        bad = np.isin(picked, [a for a, _ in faulty])
        leaves = _leaf_reports(structure, diff, reference, bad, checked=picked)
    return _named(result, structure, leaves)


def _check_directions(probe, g, rng, k, rtol, atol, localize, min_block, structure=None):
    n = g.shape[0]
    eps = np.finfo(probe.x.dtype).eps
    errors, failed_v, max_abs, max_rel, tolerances = [], None, 0.0, 0.0, []
    abs_g_sum = _abs_sum(g)
    v = np.empty(n, dtype=probe.x.dtype)  # reused: x, grad, v and one work point are all the memory
    for _ in range(k):
        _directions(rng, n, probe.x.dtype, out=v)
        value, error = probe.derivative(v)
        dot = float(g @ v)
        diff = abs(dot - value)
        tol = float(_tolerance(error, value, F_ULPS * eps * abs_g_sum, rtol, atol))  # |v_i| = 1
        errors.append(diff)
        tolerances.append(tol)
        max_abs, max_rel = max(max_abs, diff), max(max_rel, _relative(diff, value))
        if diff > tol:  # stop at the first failing probe: it is the one to localise
            failed_v = v
            break
    blocks, complete, leaves = [], True, None
    if failed_v is not None and localize:
        measure = lambda a, b: _discrepancy(probe, g, failed_v, a, b, rtol, atol)  # noqa: E731
        blocks, complete, leaves = _localize(measure, n, min_block, structure)
    result = GradCheck(passed=failed_v is None, mode="directions", n=n, max_abs_error=max_abs, max_rel_error=max_rel,
                       tolerance_rule=_rule(rtol, atol, probes=True), direction_errors=np.array(errors),
                       faulty_blocks=blocks, nfev=probe.nfev, tolerance=max(tolerances),
                       localization_complete=complete)
    return _named(result, structure, leaves)


def _discrepancy(probe, g, v, start, stop, rtol, atol):
    """(r(S), tolerance, D_{v_S} f) for S = start..stop-1: r(S) = grad_S . v_S - D_{v_S} f.

    The tolerance uses LOCALIZE_SAFETY, not TOLERANCE_SAFETY: a failure is already established, and the
    blocks that carry it must show it even when the first failing probe was marginal.
    """
    eps = np.finfo(probe.x.dtype).eps
    support = slice(start, stop)
    value, error = probe.derivative(v, support)
    dot = float(g[support] @ v[support])
    tol = float(_tolerance(error, value, F_ULPS * eps * _abs_sum(g[support]), rtol, atol, LOCALIZE_SAFETY))  # |v_i| = 1
    return dot - value, tol, value


def _localize(measure, n, min_block, structure=None):
    """Group testing: (the smallest blocks carrying the error, complete, per-array reports or None).

    ``measure(start, stop)`` gives (r(S), tolerance, reference) for the block S = start..stop-1
    of the n indices searched: the discrepancy between the user's derivative and finite
    differences restricted to S, additive over disjoint blocks (see the module notes), e.g.
    ``_discrepancy`` on the failing direction of a gradient check.

    The search stops after enough evaluations for LOCALIZE_MAX_FAULTS single faults; a gradient
    wrong almost everywhere then yields coarse blocks instead of costing ~8 n evaluations.

    Each split measures the first half and infers the second (r(S2) = r(S) - r(S1)). An inferred
    discrepancy carries the errors of both measurements, so before an inferred block is split
    it is measured itself: the tolerance never accumulates over the ~log2(n) levels.

    With tree-shaped parameters (``structure``) the search starts from the parameter arrays, one
    measurement each (their discrepancies are the per-array reports), and splits an array of
    ndim >= 2 along whole rows first; a row both of whose halves carry the error is reported as
    the row (a fault spread over it, e.g. one output unit's weights).
    """
    leaves = structure.leaves if structure is not None and len(structure.leaves) > 1 else []
    budget = (2 * int(np.ceil(np.log2(max(n, 2)))) + 2) * LOCALIZE_MAX_FAULTS + len(leaves)
    spent = 0

    def measured(start, stop):
        nonlocal spent
        spent += 1
        return measure(start, stop)

    stack, found, reports = [], [], None
    if leaves:
        reports = []
        for leaf in leaves:
            r, tol, reference = measured(leaf.start, leaf.stop)
            reports.append(LeafReport(structure.name + leaf.path, leaf.stop - leaf.start, abs(r),
                                      _relative(abs(r), reference), abs(r) <= tol))
            if abs(r) > tol:
                stack.append((leaf.start, leaf.stop, r, tol, True))
        reports = _worst_first(reports)
        stack.reverse()  # the first array is searched first
    else:
        r_all, tol_all, _ = measured(0, n)
        stack.append((0, n, r_all, tol_all, True))
    while stack:
        if spent >= budget:  # the error is spread over many coordinates: report coarse blocks
            return _merged(found + [(a, b) for a, b, *_ in stack]), False, reports
        start, stop, r, tol, known = stack.pop()
        if not known:
            r, tol, _ = measured(start, stop)
            if abs(r) <= tol:
                continue
        if stop - start <= min_block:
            found.append((start, stop))
            continue
        middle, one_row = _split(structure, start, stop)
        r1, tol1, _ = measured(start, middle)
        r2, tol2 = r - r1, tol + tol1
        if one_row and abs(r1) > tol1 and abs(r2) > tol2:
            found.append((start, stop))  # both halves of a row: the fault is spread over the row
            continue
        if abs(r2) > tol2 or abs(r1) <= tol1:  # the first half cannot explain r on its own
            stack.append((middle, stop, r2, tol2, False))
        if abs(r1) > tol1:
            stack.append((start, middle, r1, tol1, True))
    if not found:  # the failure did not reproduce on any block: name the whole range
        return [(0, n)], False, reports
    return _merged(found), True, reports


def _merged(blocks):
    """Blocks (start, stop) sorted, adjacent ones joined: a fault spread over consecutive
    coordinates is reported as one range."""
    joined = []
    for start, stop in sorted(blocks):
        if joined and joined[-1][1] == start:
            joined[-1] = (joined[-1][0], stop)
        else:
            joined.append((start, stop))
    return joined


def _split(structure, start, stop):
    """(middle, is one row): where group testing splits start..stop. Within one parameter array
    of ndim >= 2, on a row boundary while the block spans several rows."""
    if structure is not None:
        leaf = structure.leaf_of(start)
        row = structure.row_length(leaf) if len(leaf.shape) >= 2 else 0
        if row and stop <= leaf.stop and (start - leaf.start) % row == 0 and (stop - start) % row == 0:
            rows = (stop - start) // row
            if rows > 1:
                return start + row * (rows // 2), False
            return (start + stop) // 2, True
    return (start + stop) // 2, False


def _check_taylor(probe, g, rng, noise, max_levels=40):
    """Remainders r_k at e_k = e_0 / 2^k, halving e until r reaches the round-off floor. The rates
    log2(r_k / r_{k+1}) at the smallest e tell: ~2 passes, ~1 (an O(e) remainder: a wrong
    gradient) fails. e_0 = 1e-2 |x|_inf (1e-2 at x = 0), v a random +-1 direction. The floor at
    e: 1e3 EPS (|f(x)| + e sum|g_i|) (round-off; EPS that of the precision f's values show), plus
    30 times f's noise (a remainder is the difference of two noisy values)."""
    n = g.shape[0]
    v = _directions(rng, n, probe.x.dtype)
    eps = np.finfo(probe.x.dtype).eps
    e0 = 1e-2 * (probe.xmax if probe.xmax > 0 else 1.0)
    g_sum = _abs_sum(g)
    residuals, floors, values = [], [], [probe.f0]
    for level in range(max_levels):
        e = e0 / 2**level
        values.append(probe.at(e, v))
        # the realized step of x + e v: at |x| ~ 1e8 rounding moves e by ~1e-8, an O(e) term
        residuals.append(abs(values[-1] - probe.f0 - _realized_dot(g, probe.point, probe.x)))
        eps_f = probe.precision(np.array(values), eps)  # float32 values: float32's EPS
        floors.append(1e3 * eps_f * (abs(probe.f0) + e * g_sum) + 30.0 * noise)  # |v_i| = 1
        if residuals[-1] <= floors[-1] and level >= 2:
            break
    residuals = np.array(residuals)
    usable = residuals > np.array(floors)
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.log2(residuals[:-1] / residuals[1:])
    rates = rates[usable[:-1] & usable[1:]]
    # The asymptotic rate shows at the smallest steps: the last three usable rates decide. No
    # usable remainder at all means f is linear along v to round-off: nothing contradicts grad.
    passed = True if rates.size == 0 else bool(np.median(rates[-3:]) > 1.5)
    return GradCheck(passed=passed, mode="taylor", n=n, max_abs_error=float(residuals[0]),
                     max_rel_error=float(residuals[0] / max(abs(probe.f0), np.finfo(float).tiny)),
                     tolerance_rule="observed rate of the Taylor remainder at the smallest steps: "
                                    "median of the last three > 1.5 passes (2 = O(e^2), 1 = wrong gradient)",
                     taylor_rates=rates, nfev=probe.nfev)


@document
def check_jacobian(f: Objective, jac: Callable[..., Any], x: Parameters, *, mode: CheckMode = "auto", k: int = 8,
                   rtol: float | None = None, atol: float | None = None, noise: float | None = None,
                   seed: int | np.random.Generator | None = None, localize: bool = True, min_block: int = 1,
                   args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None, num_threads: int | None = None,
                   vectorized: bool = False, workers: Workers | None = None, progress: bool = False) -> GradCheck:
    """Check a Jacobian function against finite differences; say which columns are wrong.

    Like `check_grad` for f: R^n -> R^m and ``jac(x) -> (m, n)``. 'full' compares every entry
    with the accurate-mode Jacobian; 'directions' compares u^T J v with the derivative of
    t -> u . f(x + t v) for k random +-1 pairs (u, v) (4 evaluations each) and localises faulty
    columns by group testing; 'coordinates' checks k random columns the same way (v = e_j);
    'taylor' checks the remainder rate of u . f along v.

    Parameters
    ----------
    f : callable or compiled callback
        The vector objective ``f(x, *args, **kwargs) -> (m,)`` (any evaluator kind).
    jac : callable
        ``jac(x, *args, **kwargs) -> array of shape (m, n)``: the Jacobian to check.
    x : array_like, shape (n,)
    mode, k, rtol, atol, noise, seed, localize, min_block
        As for `check_grad` (columns take the place of coordinates; noise may also give one value
        per output of f).

    Returns
    -------
    GradCheck
        The outcome (``kind='Jacobian'``); in 'full' mode ``worst`` names entries by (row, column).

    Examples
    --------
    >>> import numpy as np, fdcore
    >>> f = lambda x: np.array([x[0] * x[1], np.sin(x[0]) + x[1] ** 2])
    >>> jac = lambda x: np.array([[x[1], x[0]], [np.cos(x[0]), 2 * x[1]]])
    >>> bool(fdcore.check_jacobian(f, jac, [0.3, 0.7]))
    True
    """
    f, jac, x, structure = _on_tree(f, jac, x, vectorized, "jac", _JacobianOnTree)
    evaluator = _prepare(f, jac, "jac", x, mode, k, rtol, atol, min_block, args, kwargs, num_threads, vectorized, workers,
                         progress)
    x = evaluator.x
    n = x.shape[0]
    J = _user_derivative("jac", jac, evaluator, (None, n), f"(m, {n})", "in columns",
                         lambda bad: np.flatnonzero(bad.any(axis=0)))
    noise = parse_noise(noise)
    probe = _Probe(evaluator, vector=True, noise=noise)
    _require_finite(probe.F0)
    if probe.F0.shape != (J.shape[0],):
        raise ValueError(f"jac returned {J.shape[0]} rows but f returns shape {probe.F0.shape}")
    check_noise_size(noise, J.shape[0])
    rng = _generator(seed)
    if mode == "auto":
        mode = "full" if n <= AUTO_FULL_MAX_N else "directions"
    if mode == "full":
        from fdcore.derivatives.first import jacobian

        noise = _measured(probe)
        r = jacobian(f, x, richardson=True, full_output=True, noise=noise, args=evaluator.args,
                     kwargs=evaluator.kwargs, num_threads=num_threads, vectorized=vectorized, workers=workers,
                     progress=progress)
        _require_finite_reference(np.isfinite(r.value).all(axis=0))
        eps = np.finfo(x.dtype).eps
        diff = np.abs(J - r.value)
        tol = _tolerance(r.error, r.value, F_ULPS * eps * (np.abs(J) + np.max(np.abs(J))), rtol, atol)
        bad = diff > tol
        flat = np.argsort(-(diff / np.maximum(tol, np.finfo(float).tiny)), axis=None)[:5]
        worst = [(tuple(int(a) for a in np.unravel_index(i, J.shape)), float(J.flat[i]), float(r.value.flat[i]),
                  float(diff.flat[i])) for i in flat]
        columns = bad.any(axis=0)
        result = GradCheck(passed=not bad.any(), mode="full", n=n, max_abs_error=float(diff.max()),
                           max_rel_error=float(diff.max() / max(float(np.abs(r.value).max()), np.finfo(float).tiny)),
                           tolerance=tol, tolerance_rule=_rule(rtol, atol), worst=worst,
                           faulty_blocks=_runs(columns), nfev=r.nfev + probe.nfev, kind="Jacobian")
        leaves = structure and _leaf_reports(structure, diff.max(axis=0), np.abs(r.value).max(axis=0), columns)
        return _named(result, structure, leaves)
    u = np.empty(J.shape[0])
    if mode == "taylor":
        probe.set_weights(_directions(rng, J.shape[0], np.float64, out=u))
        _measured(probe)
        return _check_taylor(probe, J.T @ u, rng, probe.noise_of_value())
    if mode == "coordinates":
        probe.set_weights(_directions(rng, J.shape[0], np.float64, out=u))
        return _check_coordinates(probe, J.T @ u, rng, k, rtol, atol, structure)
    eps = np.finfo(x.dtype).eps
    v = np.empty(n, dtype=x.dtype)
    errors, blocks, passed, max_abs, max_rel, complete, tolerances = [], [], True, 0.0, 0.0, True, []
    leaves = None
    for _ in range(k):
        probe.set_weights(_directions(rng, J.shape[0], np.float64, out=u))
        g = J.T @ u
        _directions(rng, n, x.dtype, out=v)
        value, error = probe.derivative(v)
        diff = abs(float(g @ v) - value)
        tol = float(_tolerance(error, value, F_ULPS * eps * _abs_sum(g), rtol, atol))
        errors.append(diff)
        tolerances.append(tol)
        max_abs, max_rel = max(max_abs, diff), max(max_rel, _relative(diff, value))
        if diff > tol:
            passed = False
            if localize:
                measure = lambda a, b: _discrepancy(probe, g, v, a, b, rtol, atol)  # noqa: E731
                blocks, complete, leaves = _localize(measure, n, min_block, structure)
            break
    result = GradCheck(passed=passed, mode="directions", n=n, max_abs_error=max_abs, max_rel_error=max_rel,
                       tolerance_rule=_rule(rtol, atol, probes=True), direction_errors=np.array(errors),
                       faulty_blocks=blocks, nfev=probe.nfev, kind="Jacobian", tolerance=max(tolerances),
                       localization_complete=complete)
    return _named(result, structure, leaves)
