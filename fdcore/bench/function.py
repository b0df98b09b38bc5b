"""`python -m fdcore bench --function MODULE:FUNC --x0 ...`: every method on the user's own f.

For the question "which method for my function?": each of fdcore's methods (the default central
difference, orders 4, 6 and 8, the accurate mode richardson=True, the complex step where f is
complex-analytic, step='adaptive') is run on f at x0, its error estimated and its cost counted
(evaluations of f, median time over repeats), and the methods are ranked.

Error estimates. The accurate mode and the complex step estimate their own error (the Richardson
tableau; the complex step has no cancellation, its error is round-off). The other methods'
``FDResult.error`` covers round-off only, so their error is bounded against the *reference*, the
own-estimate method with the smallest error: ``|value - reference| + error of the reference``
(per component, the larger of that and the method's own estimate). An own-estimate method that
disagrees with the reference by more than both estimates gets ``|value - reference| - error of
the reference`` (a lower bound of its error) where that is larger than its own estimate.

The complex step is tried only if fdcore accepts f for it (f computes with complex x and returns
complex values) and its result agrees with the accurate mode's; otherwise (an f that takes abs(),
.real or float() of its input, a math.exp, a non-analytic formula) it is 'not applicable', with
the reason.

Ranking rule (documented in `rank_methods`): by the decade of the relative estimated error, then
own estimates before bounds against the reference, then evaluations, then time; with ``rtol``,
every method within rtol is good enough and those come first, cheapest first.
"""

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from statistics import median
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

import fdcore
from fdcore.bench.report import format_time
from fdcore.derivatives.docs import document
from fdcore.derivatives.types import FloatArray

# (label, options) of every method tried, in the order the table lists ties.
METHODS: tuple[tuple[str, dict[str, Any]], ...] = (
    ("default (central, order 2)", {}),
    ("order=4", {"order": 4}),
    ("order=6", {"order": 6}),
    ("order=8", {"order": 8}),
    ("richardson=True (accurate mode)", {"richardson": True}),
    ("method='complex'", {"method": "complex"}),
    ("step='adaptive'", {"step": "adaptive"}),
)
ACCURATE_LABEL = METHODS[4][0]
COMPLEX_LABEL = METHODS[5][0]
# The complex step agrees with the accurate mode if they differ by at most this many times their
# summed error estimates, or by this relative amount: a non-analytic f (abs, .real, conj) makes
# them differ by O(1); the slack keeps an optimistic Richardson estimate from refusing a good f.
_AGREEMENT_FACTOR = 100.0
_AGREEMENT_RTOL = 1e-8
_EPS = float(np.finfo(np.float64).eps)

ErrorSource = Literal["own estimate", "bound vs reference", "not applicable"]


@dataclass(frozen=True)
class MethodRank:
    """One method on the user's f, as ranked by `rank_methods`.

    Attributes
    ----------
    rank : int
        1 for the best method; 0 where the method is not applicable.
    label : str
        The method, e.g. ``"order=4"``.
    options : dict
        The keyword options of `fdcore.gradient` (or `fdcore.jacobian`) that select it.
    value : ndarray or None
        The gradient, shape (n,), or the Jacobian, shape (m, n); None if not applicable.
    error : float
        Estimated absolute error, max-norm over the components (NaN if not applicable).
    rel_error : float
        ``error`` divided by the max-norm of the reference value (absolute if that is 0).
    error_source : {'own estimate', 'bound vs reference', 'not applicable'}
        Where ``error`` comes from: the method's own estimate (Richardson tableau, complex
        step), or the bound ``|value - reference| + error of the reference`` for methods whose
        own estimate covers round-off only.
    nfev : int
        Evaluations of f per call (-1 if not applicable).
    time : float
        Median wall time per call over the repeats, in seconds (NaN if not applicable).
    note : str
        Why the method is not applicable, or the warnings it raised.
    """

    rank: int
    label: str
    options: dict[str, Any]
    value: FloatArray | None
    error: float
    rel_error: float
    error_source: ErrorSource
    nfev: int
    time: float
    note: str = ""

    @property
    def applicable(self) -> bool:
        return self.error_source != "not applicable"


@dataclass
class _Run:
    label: str
    options: dict[str, Any]
    result: Any = None  # FDResult
    times: list[float] = field(default_factory=list)
    note: str = ""
    own: bool = False  # its FDResult.error is a real estimate (truncation included)


def _max_norm(a: Any) -> float:
    a = np.abs(np.asarray(a, dtype=float))
    return float(np.max(a)) if a.size else 0.0


def _run(derivative, f, x, label, options, args, kwargs, repeat):
    run = _Run(label, options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        start = time.perf_counter()
        run.result = derivative(f, x, full_output=True, args=args, kwargs=kwargs, **options)
        run.times.append(time.perf_counter() - start)
    messages = list(dict.fromkeys(str(w.message).split("\n")[0] for w in caught))
    if messages:
        run.note = "; ".join(messages)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeat - 1):
            start = time.perf_counter()
            derivative(f, x, args=args, kwargs=kwargs, **options)
            run.times.append(time.perf_counter() - start)
    run.own = run.result.richardson > 1 or run.result.method == "complex"
    return run


def _complex_disagrees(complex_run, accurate_run):
    """Why the complex step is not trusted (its values differ from the accurate mode's by more
    than the estimates allow), or ''."""
    if accurate_run is None:
        return ""
    vc, va = np.asarray(complex_run.result.value), np.asarray(accurate_run.result.value)
    allowed = (_AGREEMENT_FACTOR * (np.asarray(complex_run.result.error) + np.asarray(accurate_run.result.error))
               + _AGREEMENT_RTOL * max(_max_norm(va), 1.0))
    gap = np.abs(vc - va)
    if np.all(gap <= allowed):
        return ""
    return (f"disagrees with the accurate mode by {_max_norm(gap):.1e} (estimates allow {_max_norm(allowed):.1e}): "
            "f is not complex-analytic (abs, .real, conj or a real-only formula?)")


def _bucket(rel_error):
    """The decade of a relative error (errors below EPS count as EPS); inf for NaN or inf."""
    if not math.isfinite(rel_error):
        return math.inf
    return math.floor(math.log10(max(rel_error, _EPS)))


@document
def rank_methods(f: Callable[..., Any], x0: ArrayLike, *, args: tuple[Any, ...] = (),
                 kwargs: Mapping[str, Any] | None = None, repeat: int = 5,
                 rtol: float | None = None) -> list[MethodRank]:
    """Run every fdcore method on f at x0 and rank them by estimated error against cost.

    The methods: the default central difference, ``order=4``, ``6`` and ``8``, the accurate mode
    ``richardson=True``, the complex step ``method='complex'`` (only where f is complex-analytic:
    fdcore accepts it and its result agrees with the accurate mode's; otherwise 'not applicable',
    with the reason) and ``step='adaptive'``. A scalar f is differentiated with
    `fdcore.gradient`, a vector f with `fdcore.jacobian`.

    Error estimates: the accurate mode's and the complex step's own (``FDResult.error``). The
    other methods' own estimate covers round-off only, so their error is the bound
    ``|value - reference| + error of the reference``, the reference being the own-estimate
    method with the smallest error (``error_source`` says which applies). An own estimate that
    the reference contradicts is raised to ``|value - reference| - error of the reference``.

    Ranking: by the decade of the relative error (the resolution of an error estimate); within
    a decade, own estimates before bounds against the reference (a bound contains the
    reference's error, so it cannot show a method more accurate than the reference), then fewer
    evaluations, then less time. With ``rtol``, the methods whose relative error is at most
    rtol come first, cheapest first (evaluations, then time); the others follow as above. Not
    applicable methods come last.

    Cost: every method once per repeat, roughly 35 n to 60 n evaluations of f (n + 1 for the
    complex step, up to 24 n for the accurate mode); with an expensive f, use ``repeat=1``.

    Parameters
    ----------
    f : callable
        A Python callable ``f(x, *args, **kwargs)`` returning a float (ranked on gradients) or
        a 1-D array (on Jacobians).
    x0 : array_like, shape (n,)
        The point.
    repeat : int, optional
        Calls of each method timed (the first also gives the estimate); the median is reported.
    rtol : float, optional
        Relative error that is good enough: methods within it rank by cost alone. Default: rank
        the most accurate first.

    Returns
    -------
    list of MethodRank
        Best first; the not applicable methods last, with rank 0.

    Examples
    --------
    >>> import numpy as np
    >>> from fdcore.bench import rank_methods
    >>> rows = rank_methods(lambda x: np.exp(x[0]) * np.sin(x[1]), [0.5, 1.0], repeat=1)
    >>> rows[0].label, rows[0].error_source
    ("method='complex'", 'own estimate')
    >>> bool(rows[0].rel_error < 1e-14)
    True
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    point = np.asarray(x0)
    if point.dtype.kind not in "biuf" or point.ndim != 1 or point.size == 0:
        raise ValueError(f"x0 must be a non-empty 1-D array of reals, got {point.dtype} of shape {point.shape}")
    x = point.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("x0 must be finite")
    if isinstance(repeat, bool) or not isinstance(repeat, (int, np.integer)) or repeat < 1:
        raise ValueError(f"repeat must be a positive int, got {repeat!r}")
    if rtol is not None and (isinstance(rtol, bool) or not isinstance(rtol, (int, float))
                             or not (rtol > 0 and math.isfinite(rtol))):
        raise ValueError(f"rtol must be a positive float or None, got {rtol!r}")
    kwargs = {} if kwargs is None else dict(kwargs)
    args = tuple(args)
    value = np.asarray(f(x.copy(), *args, **kwargs))
    if value.ndim == 0:
        derivative: Callable[..., Any] = fdcore.gradient
    elif value.ndim == 1:
        derivative = fdcore.jacobian
    else:
        raise ValueError(f"f must return a float or a 1-D array, got shape {value.shape}")

    runs, not_applicable = [], {}
    for label, options in METHODS:
        if label == COMPLEX_LABEL:
            try:
                runs.append(_run(derivative, f, x, label, options, args, kwargs, repeat))
            except Exception as exc:  # the complex step refused f, or f refused complex input
                cause = exc.__cause__ if exc.__cause__ is not None and not str(exc) else exc
                not_applicable[label] = f"{type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}"
            continue
        runs.append(_run(derivative, f, x, label, options, args, kwargs, repeat))
    by_label = {run.label: run for run in runs}
    complex_run = by_label.get(COMPLEX_LABEL)
    if complex_run is not None:
        reason = _complex_disagrees(complex_run, by_label.get(ACCURATE_LABEL))
        if reason:
            runs.remove(complex_run)
            not_applicable[COMPLEX_LABEL] = reason

    estimated = [run for run in runs if run.own]
    reference = min(estimated, key=lambda run: _max_norm(run.result.error))
    ref_value, ref_error = np.asarray(reference.result.value), np.asarray(reference.result.error)
    scale = _max_norm(ref_value) or 1.0
    rows = []
    for run in runs:
        own_error = np.asarray(run.result.error, dtype=float)
        gap = np.abs(np.asarray(run.result.value) - ref_value)
        if run.own:
            error = np.maximum(own_error, gap - ref_error)
            source: ErrorSource = "own estimate"
        else:
            error = np.maximum(own_error, gap + ref_error)
            source = "bound vs reference"
        err = _max_norm(error)
        rows.append(MethodRank(0, run.label, dict(run.options), run.result.value, err, err / scale, source,
                               int(run.result.nfev), median(run.times), run.note))

    def key(row):
        cost = (row.nfev, row.time)
        evidence = row.error_source != "own estimate"
        if rtol is not None and row.rel_error <= rtol:
            return (0, 0, *cost, evidence)
        return (1, _bucket(row.rel_error), evidence, *cost)

    ranked = [replace(row, rank=rank) for rank, row in enumerate(sorted(rows, key=key), start=1)]
    options = dict(METHODS)
    ranked += [MethodRank(0, label, dict(options[label]), None, math.nan, math.nan, "not applicable", -1,
                          math.nan, note) for label, note in not_applicable.items()]
    return ranked


@document
def format_ranking(rows: Sequence[MethodRank], rtol: float | None = None) -> str:
    """The ranking as a plain-text table, with a legend of its columns.

    Parameters
    ----------
    rows : sequence of MethodRank
        As returned by `rank_methods`.
    rtol : float, optional
        The ``rtol`` the ranking used (for the legend's ranking rule).

    Returns
    -------
    str
    """
    best_own = min((r for r in rows if r.error_source == "own estimate"), key=lambda r: r.error, default=None)
    reference = "-" if best_own is None else best_own.label
    header = ["rank", "method", "est. abs error", "est. rel error", "error from", "evals", "median time", "note"]
    table = [header]
    for r in rows:
        source = {"own estimate": "own estimate", "bound vs reference": "bound vs reference",
                  "not applicable": "-"}[r.error_source]
        table.append([str(r.rank) if r.rank else "-", r.label,
                      "-" if math.isnan(r.error) else f"{r.error:.1e}",
                      "-" if math.isnan(r.rel_error) else f"{r.rel_error:.1e}",
                      source, "-" if r.nfev < 0 else str(r.nfev),
                      format_time(r.time) if math.isfinite(r.time) else "-",
                      _shorten("not applicable: " + r.note if not r.applicable else r.note)])
    widths = [max(len(line[k]) for line in table) for k in range(len(header))]
    left = {1, 4, 7}
    lines = []
    for i, line in enumerate(table):
        lines.append("  ".join(c.ljust(w) if k in left else c.rjust(w)
                               for k, (c, w) in enumerate(zip(line, widths))).rstrip())
        if i == 0:
            lines.append("-" * len(lines[-1]))
    lines += ["",
              "est. abs error: max-norm over the components; est. rel error: divided by the max-norm of the reference.",
              "error from: 'own estimate' = the method's error estimate (Richardson tableau, complex step);",
              f"  'bound vs reference' = |value - reference| + the reference's error, reference = {reference}",
              "  (these methods' own estimates cover round-off only).",
              "rank: by decade of est. rel error, then own estimates first, then evaluations, then time"
              + ("." if rtol is None else f"; within rtol={rtol:g} first, cheapest first.")]
    return "\n".join(lines)


def _shorten(text, width=110):
    return text if len(text) <= width else text[:width - 3] + "..."


def _largest_spread(rows):
    """The index (into the flattened value) where the applicable methods differ most."""
    values = np.array([np.ravel(r.value) for r in rows if r.value is not None])
    return int(np.argmax(np.max(values, axis=0) - np.min(values, axis=0)))


@document
def plot_ranking(f: Callable[..., Any], x0: ArrayLike, rows: Sequence[MethodRank], path: str | None = None, *,
                 args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None) -> Any:
    """Draw the ranking: the error against the step of the component where the methods differ
    most (`fdcore.plot_step_error`, exact value: the reference), and each method's estimated
    relative error against its evaluations of f.

    matplotlib is needed (``pip install '.[bench]'``; ImportError otherwise).

    Parameters
    ----------
    f : callable
        The function `rank_methods` ranked the methods on.
    x0 : array_like, shape (n,)
        Its point.
    rows : sequence of MethodRank
        As returned by `rank_methods`.
    path : str, optional
        Where to write the figure (PNG, or any format matplotlib infers from the name).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    x = np.asarray(x0, dtype=float)
    kwargs = {} if kwargs is None else dict(kwargs)
    applicable = [r for r in rows if r.applicable and r.value is not None]
    reference = min((r for r in applicable if r.error_source == "own estimate"), key=lambda r: r.error)
    ref_value = np.asarray(reference.value)
    flat = _largest_spread(applicable)
    if ref_value.ndim == 1:
        component, i, title = f, flat, f"d f / d x_{flat}"
    else:
        row, i = np.unravel_index(flat, ref_value.shape)
        row, i = int(row), int(i)

        def component(point, *a, **k):
            return np.asarray(f(point, *a, **k))[row]

        title = f"d f_{row} / d x_{i}"
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    fdcore.plot_step_error(component, x, i, exact=float(ref_value.flat[flat]), ax=left, args=args, kwargs=kwargs)
    left.set_title(f"{title}: error against step (exact: {reference.label})", fontsize=9)
    for r in applicable:
        marker = "o" if r.error_source == "own estimate" else "s"
        right.scatter(r.nfev, max(r.rel_error, _EPS / 10), marker=marker)
        right.annotate(f"{r.rank}. {r.label}", (r.nfev, max(r.rel_error, _EPS / 10)), fontsize=7,
                       xytext=(4, 2), textcoords="offset points")
    right.set_yscale("log")
    right.set_xlabel("evaluations of f")
    right.set_ylabel("estimated relative error")
    right.set_title("estimated error against cost (o: own estimate, square: bound vs reference)", fontsize=9)
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=110)
    return fig
