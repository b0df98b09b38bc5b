"""The accuracy suite of `python -m fdcore bench`: gradients and Hessians by every method on every
scalar problem of fdcore.problem_suite(), scored against the problems' analytic answers.

Methods (each with its default options unless named; a peer whose import fails is left out):
  gradients  fdcore central (default), richardson=True, order=6, step='adaptive', method='complex'
             (complex-analytic problems only); scipy approx_derivative 3-point,
             scipy.differentiate.jacobian, numdifftools Gradient, jacobi.jacobi, fdm (fdm.jvp along
             each coordinate with central_fdm(order=6, deriv=1, adapt=1), the adaptive method
             fdm.gradient uses by default), optimagic first_derivative, statsmodels approx_fprime
             (centered=True)
  Hessians   fdcore hessian (default), hessian(richardson=True, full_output=True); numdifftools
             Hessian, optimagic second_derivative, statsmodels approx_hess3,
             scipy.differentiate.hessian. numdifftools Hessian and scipy.differentiate.hessian
             spend hundreds of evaluations per entry: they skip problems with n > SLOW_HESSIAN_MAX_N
             (40); fdcore runs on all.
  Error estimates: fdcore's full_output error, scipy.differentiate's ``error``, numdifftools'
  error_estimate (full_output=True), jacobi's second return value (a standard error of its
  extrapolation fit: already an error, not a covariance), fdm's ``acc`` after each coordinate
  (None when fdm capped the step: no estimate). The other methods give none.

Per case (one method on one problem):
  error        the worst component of the relative error against the exact gradient g,
               max_i |est_i - g_i| / max(|g_i|, 1e-8 max_j |g_j|), and the same over all n x n
               entries of a Hessian; the absolute error where the exact answer is all zero; NaN
               when the estimate has a NaN or infinite component
  evaluations  points at which f is evaluated, counted by wrapping f (fdcore.bench.core.Counter):
               a peer that passes an (n, k, ...) array of points (scipy.differentiate) is handed
               each point in turn, and each point counts as one evaluation
  failed       the method raised: recorded (with the exception) for that case, never fatal.
               Warnings (and NumPy floating-point warnings) are silenced while a method runs.

Summary per method, one table for gradients and one for Hessians, over the smooth problems:
  median err       median of the per-case errors (a NaN case counts as an infinite error)
  <=1e-9           number of cases with error <= 1e-9 / number of cases scored
  NaN              number of cases whose error is NaN
  failed           number of cases on which the method raised (listed below the table)
  evals/coord      gradients: evaluations / n, median / max over the completed cases (the
                   non-smooth problems' too)
  evals/entry      Hessians: evaluations per unique entry, evaluations / (n (n + 1) / 2),
                   median / max likewise
  est >= err       methods with an error estimate: the share of components (Hessians: of all
                   n x n entries) whose estimate is >= the true error |est_i - exact_i|; a missing
                   (NaN) estimate, or a non-finite component of the estimate, does not count as
                   covered
  est/err median   median of estimate / true error over the components with a nonzero true error
  skipped          problems the method does not apply to (complex step on a non-analytic f, a slow
                   Hessian peer on n > 40)

Below each summary: the est >= err share per tag class (the tags of the problems; a problem counts
in each of its tags, one without tags in "other"; in brackets the number of problems) and
overall, and the per-case errors (problem x method; "fail" = raised, "-" = skipped, "nan").
Problems with smooth=False appear in the per-case table (marked *) but not in the summary.
The noise column (shown when some problem declares a ``noise``, the absolute noise level of f)
gives the problem's noise; no method is told it.
"""

import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import fdcore
from fdcore import problem_suite
from fdcore.bench.core import Counter

ACCURATE = 1e-9  # the "<=1e-9" column
RELATIVE_FLOOR = 1e-8  # per-case error: |est_i - true_i| / max(|true_i|, RELATIVE_FLOOR max|true|)
SLOW_HESSIAN_MAX_N = 40
KINDS = ("gradient", "hessian")


@dataclass(frozen=True)
class Method:
    """One row of the tables. ``compute(problem, f)`` returns (estimate, error estimate or None),
    or None when the method does not apply to the problem; ``f`` is the counted objective."""

    kind: str  # "gradient" or "hessian"
    label: str
    short: str  # the column heading of the per-case table
    compute: Callable
    estimates: bool = False  # gives an error estimate
    max_n: int | None = None  # problems with more variables are skipped


@dataclass
class MethodScore:
    method: str
    short: str
    kind: str = "gradient"
    errors: dict = field(default_factory=dict)  # smooth problem -> per-case error (NaN: non-finite estimate)
    unscored: dict = field(default_factory=dict)  # non-smooth problem -> per-case error (table only)
    evals: dict = field(default_factory=dict)  # problem -> evaluations per coordinate / unique entry
    failed: dict = field(default_factory=dict)  # problem -> "ExceptionType: message"
    skipped: list = field(default_factory=list)
    estimates: bool = False
    max_n: int | None = None  # larger problems skipped
    covered: int = 0  # components whose error estimate >= true error (all tag classes)
    estimated: int = 0  # components of the cases with an estimate
    coverage: dict = field(default_factory=dict)  # tag class -> [covered, estimated]
    ratios: list = field(default_factory=list)  # estimate / true error, nonzero true errors

    def median_error(self):
        values = [math.inf if math.isnan(e) else e for e in self.errors.values()]
        return float(np.median(values)) if values else math.nan

    def max_error(self):
        values = [math.inf if math.isnan(e) else e for e in self.errors.values()]
        return max(values) if values else math.nan

    def accurate_cases(self, threshold=ACCURATE):
        return sum(e <= threshold for e in self.errors.values())

    def nan_cases(self):
        return sum(math.isnan(e) for e in self.errors.values())


def case_error(estimate, exact):
    """The per-case error: the worst component of |est - exact| / max(|exact|, 1e-8 max|exact|)
    (absolute where exact is all zero); NaN if the estimate has a non-finite component."""
    estimate = np.asarray(estimate, dtype=np.float64)
    exact = np.asarray(exact, dtype=np.float64)
    if not np.all(np.isfinite(estimate)):
        return math.nan
    diff = np.abs(estimate - exact)
    scale = np.max(np.abs(exact)) if exact.size else 0.0
    if scale == 0:
        return float(np.max(diff, initial=0.0))
    return float(np.max(diff / np.maximum(np.abs(exact), RELATIVE_FLOOR * scale)))


def tag_classes(problem):
    return tuple(problem.tags) or ("other",)


class _Quiet:
    """Warnings and NumPy floating-point warnings off, for the duration of one method call."""

    def __enter__(self):
        self._warnings = warnings.catch_warnings()
        self._warnings.__enter__()
        warnings.simplefilter("ignore")
        self._errstate = np.errstate(all="ignore")
        self._errstate.__enter__()

    def __exit__(self, *exc):
        self._errstate.__exit__(*exc)
        return self._warnings.__exit__(*exc)


def _pointwise(counter):
    """The objective handed to every method: a point x of shape (n,) is one evaluation; an
    (n, k, ...) array of points (scipy.differentiate's calling convention) is evaluated one point
    at a time, so that every point counts as one evaluation."""

    def f(x):
        x = np.asarray(x)
        if x.ndim <= 1:
            return counter(x)
        points = x.reshape(x.shape[0], -1)
        return np.array([counter(points[:, k]) for k in range(points.shape[1])]).reshape(x.shape[1:])

    return f


def _optional(module):
    """The module, or None if importing it fails in any way (then its methods are left out)."""
    import importlib

    try:
        with _Quiet():
            return importlib.import_module(module)
    except Exception:  # noqa: BLE001 - a broken optional peer is a missing one
        return None


# --- the methods ----------------------------------------------------------------------------------

def _fd_gradient(**options):
    def compute(p, f):
        r = fdcore.gradient(f, p.x0, full_output=True, **options)
        return r.value, r.error

    return compute


def _gradient_methods():
    methods = [
        Method("gradient", "fdcore central (default)", "central", lambda p, f: (fdcore.gradient(f, p.x0), None)),
        Method("gradient", "fdcore richardson=True", "accurate", _fd_gradient(richardson=True), True),
        Method("gradient", "fdcore order=6", "order=6", _fd_gradient(order=6), True),
        Method("gradient", "fdcore step='adaptive'", "adaptive", _fd_gradient(step="adaptive"), True),
        Method("gradient", "fdcore method='complex'", "complex",
               lambda p, f: _fd_gradient(method="complex")(p, f) if p.analytic else None, True),
    ]
    numdiff = _optional("scipy.optimize._numdiff")  # approx_derivative: SciPy's approx_fprime calls it
    if numdiff is not None:
        methods.append(Method("gradient", "scipy approx_derivative 3-point", "scipy 3-pt",
                              lambda p, f: (numdiff.approx_derivative(f, p.x0, method="3-point"), None)))
    sd = _optional("scipy.differentiate")
    if sd is not None:

        def differentiate(p, f):
            r = sd.jacobian(f, p.x0)
            return r.df, r.error

        methods.append(Method("gradient", "scipy.differentiate.jacobian", "sp.differ.", differentiate, True))
    nd = _optional("numdifftools")
    if nd is not None:

        def numdifftools(p, f):
            r = nd.Gradient(f, full_output=True)(p.x0)
            return r.estimate, r.error_estimate

        methods.append(Method("gradient", "numdifftools Gradient", "numdifftools", numdifftools, True))
    jacobi = _optional("jacobi")
    if jacobi is not None:
        methods.append(Method("gradient", "jacobi.jacobi", "jacobi", lambda p, f: jacobi.jacobi(f, p.x0), True))
    fdm = _optional("fdm")
    if fdm is not None:

        def fdm_gradient(p, f):
            method = fdm.central_fdm(order=6, deriv=1, adapt=1)  # fdm.gradient's default method
            value, error = np.empty(p.n), np.empty(p.n)
            for i in range(p.n):
                direction = np.zeros(p.n)
                direction[i] = 1.0
                value[i] = fdm.jvp(f, direction, method)(p.x0)
                error[i] = np.nan if method.acc is None else method.acc
            return value, error

        methods.append(Method("gradient", "fdm central_fdm(6, 1) adaptive", "fdm", fdm_gradient, True))
    om = _optional("optimagic")
    if om is not None:
        methods.append(Method("gradient", "optimagic first_derivative", "optimagic",
                              lambda p, f: (om.first_derivative(f, p.x0).derivative, None)))
    sm = _optional("statsmodels.tools.numdiff")
    if sm is not None:
        methods.append(Method("gradient", "statsmodels approx_fprime centered", "statsmodels",
                              lambda p, f: (sm.approx_fprime(p.x0, f, centered=True), None)))
    return methods


def _hessian_methods():
    def accurate(p, f):
        r = fdcore.hessian(f, p.x0, richardson=True, full_output=True)
        return r.value, r.error

    methods = [
        Method("hessian", "fdcore hessian (default)", "default", lambda p, f: (fdcore.hessian(f, p.x0), None)),
        Method("hessian", "fdcore hessian richardson=True", "accurate", accurate, True),
    ]
    nd = _optional("numdifftools")
    if nd is not None:

        def numdifftools(p, f):
            r = nd.Hessian(f, full_output=True)(p.x0)
            return r.estimate, r.error_estimate

        methods.append(Method("hessian", "numdifftools Hessian", "numdifftools", numdifftools, True,
                              max_n=SLOW_HESSIAN_MAX_N))
    om = _optional("optimagic")
    if om is not None:
        methods.append(Method("hessian", "optimagic second_derivative", "optimagic",
                              lambda p, f: (om.second_derivative(f, p.x0).derivative, None)))
    sm = _optional("statsmodels.tools.numdiff")
    if sm is not None:
        methods.append(Method("hessian", "statsmodels approx_hess3", "statsmodels",
                              lambda p, f: (sm.approx_hess3(p.x0, f), None)))
    sd = _optional("scipy.differentiate")
    if sd is not None and hasattr(sd, "hessian"):

        def differentiate(p, f):
            r = sd.hessian(f, p.x0)
            return r.ddf, r.error

        methods.append(Method("hessian", "scipy.differentiate.hessian", "sp.differ.", differentiate, True,
                              max_n=SLOW_HESSIAN_MAX_N))
    return methods


def available_methods():
    """Every method whose package imports: the gradient methods, then the Hessian methods."""
    return _gradient_methods() + _hessian_methods()


# --- scoring --------------------------------------------------------------------------------------

def _score_case(score, method, p, estimate, error):
    """Add one completed case (estimate, error estimate or None) to the method's score."""
    n = p.n
    if method.kind == "gradient":
        shape, exact = (n,), np.asarray(p.derivative(p.x0), dtype=np.float64).reshape(n)
    else:
        shape, exact = (n, n), np.asarray(p.hessian(p.x0), dtype=np.float64)
    estimate = np.real(np.asarray(estimate)).astype(np.float64).reshape(shape)
    if error is not None:
        error = np.broadcast_to(np.real(np.asarray(error)).astype(np.float64).reshape(-1), (estimate.size,))
    err = case_error(estimate, exact)
    if not p.smooth:
        score.unscored[p.name] = err
        return
    score.errors[p.name] = err
    if error is None:
        return
    absolute = np.abs(estimate - exact).reshape(-1)  # NaN where the estimate is not finite
    with np.errstate(invalid="ignore"):
        covered = int(np.sum(error >= absolute))
    score.covered += covered
    score.estimated += absolute.size
    for tag in tag_classes(p):
        counts = score.coverage.setdefault(tag, [0, 0])
        counts[0] += covered
        counts[1] += absolute.size
    positive = (absolute > 0) & np.isfinite(error)
    score.ratios += (error[positive] / absolute[positive]).tolist()


def run(progress=None, problems=None, methods=None):
    """Score the methods (default: every available one) on the problems (default: the scalar
    problems of fdcore.problem_suite()); returns (problems, {label: MethodScore})."""
    problems = problem_suite() if problems is None else list(problems)
    methods = available_methods() if methods is None else list(methods)
    scores = {}
    for method in methods:
        score = scores.setdefault(method.label, MethodScore(method.label, method.short, method.kind,
                                                            estimates=method.estimates, max_n=method.max_n))
        for p in problems:
            if method.kind == "hessian" and p.hessian is None:
                continue
            if method.max_n is not None and p.n > method.max_n:
                score.skipped.append(p.name)
                continue
            if progress:
                progress(f"bench accuracy: {method.label}: {p.name}")
            counter = Counter(p.f)
            try:
                with _Quiet():
                    result = method.compute(p, _pointwise(counter))
                    if result is None:
                        score.skipped.append(p.name)
                        continue
                    _score_case(score, method, p, *result)
            except Exception as exc:  # noqa: BLE001 - a method failing on a case is reported, not fatal
                score.failed[p.name] = f"{type(exc).__name__}: {exc}".splitlines()[0][:120]
                continue
            unique = p.n if method.kind == "gradient" else p.n * (p.n + 1) // 2
            score.evals[p.name] = counter.calls / unique
    return problems, scores


# --- the report -----------------------------------------------------------------------------------

def _by_kind(scores, kind):
    return {label: s for label, s in scores.items() if s.kind == kind}


def _sci(value):
    return "-" if value is None else "nan" if math.isnan(value) else "inf" if math.isinf(value) else f"{value:.1e}"


def _summary_header(kind):
    return ["method", "median err", "<=1e-9", "NaN", "failed",
            "evals/coord med / max" if kind == "gradient" else "evals/entry med / max",
            "est >= err", "est/err median", "skipped"]


def _summary_cells(s):
    evals = list(s.evals.values())
    return [s.method,
            _sci(s.median_error()) if s.errors else "-",
            f"{s.accurate_cases()}/{len(s.errors)}",
            str(s.nan_cases()),
            str(len(s.failed)),
            f"{np.median(evals):.1f} / {max(evals):.1f}" if evals else "-",
            f"{100 * s.covered / s.estimated:.1f}%" if s.estimated else "-",
            f"{np.median(s.ratios):.3g}" if s.ratios else "-",
            ", ".join(s.skipped) if len(s.skipped) <= 3 else f"{len(s.skipped)} problems"]


def _classes(problems):
    """The tag classes of the problems, in order of first appearance, with their problem counts."""
    counts = {}
    for p in problems:
        if p.smooth:
            for tag in tag_classes(p):
                counts[tag] = counts.get(tag, 0) + 1
    return counts


def _coverage_table(problems, scores):
    """(header, lines): est >= err per tag class (rows) and method with an estimate (columns)."""
    estimating = [s for s in scores.values() if s.estimates]
    header = ["tag class (problems)"] + [s.short for s in estimating]

    def share(counts):
        return f"{100 * counts[0] / counts[1]:.1f}%" if counts and counts[1] else "-"

    lines = [[f"{tag} ({count})"] + [share(s.coverage.get(tag)) for s in estimating]
             for tag, count in _classes(problems).items()]
    lines.append([f"overall ({sum(p.smooth for p in problems)})"] + [share([s.covered, s.estimated]) for s in estimating])
    return header, lines


def _case_table(problems, scores, kind):
    """(header, lines): the per-case errors, problem x method."""
    noise = any(getattr(p, "noise", 0.0) for p in problems)
    header = ["problem", "n"] + (["noise"] if noise else []) + [s.short for s in scores.values()]
    lines = []
    for p in problems:
        if kind == "hessian" and p.hessian is None:
            continue
        cells = [p.name if p.smooth else p.name + " *", str(p.n)]
        if noise:
            level = getattr(p, "noise", 0.0)
            cells.append(f"{level:.0e}" if level else "-")
        for s in scores.values():
            if p.name in s.failed:
                cells.append("fail")
            elif p.name in s.errors or p.name in s.unscored:
                cells.append(_sci(s.errors.get(p.name, s.unscored.get(p.name))))
            else:
                cells.append("-")
        lines.append(cells)
    return header, lines


def _failures(scores):
    return [f"  {s.method} on {name}: {why}" for s in scores.values() for name, why in s.failed.items()]


def _text(header, lines, left=(0,)):
    table = [header] + lines
    widths = [max(len(line[k]) for line in table) for k in range(len(header))]
    out = []
    for i, line in enumerate(table):
        out.append("  ".join(c.ljust(w) if k in left else c.rjust(w)
                             for k, (c, w) in enumerate(zip(line, widths))).rstrip())
        if i == 0:
            out.append("-" * len(out[-1]))
    return out


def _title(kind, problems, scores):
    what = "gradients" if kind == "gradient" else "Hessians"
    count = sum(1 for p in problems if kind == "gradient" or p.hessian is not None)
    title = f"{what} on the {count} scalar problems"
    caps = {}
    for s in scores.values():
        if s.max_n is not None:
            caps.setdefault(s.max_n, []).append(s.short)
    for cap, shorts in caps.items():
        title += f"; {', '.join(shorts)}: n <= {cap} only"
    return title


def format_report(problems, scores):
    lines = []
    for kind in KINDS:
        section = _by_kind(scores, kind)
        if not section:
            continue
        lines += [f"\n== accuracy: {_title(kind, problems, section)} ==",
                  ("(per-case error: worst component of |est - exact| / max(|exact|, 1e-8 max|exact|); "
                   "see fdcore/bench/accuracy.py for the columns)")]
        header = _summary_header(kind)
        lines += _text(header, [_summary_cells(s) for s in section.values()])
        failures = _failures(section)
        if failures:
            lines += ["failed cases:"] + failures
        if any(s.estimates for s in section.values()):
            lines.append("\nestimate >= true error, share of components per tag class:")
            lines += _text(*_coverage_table(problems, section))
        lines.append("\nper-case error (fail: raised, -: skipped, *: not smooth, not in the summary):")
        lines += _text(*_case_table(problems, section, kind), left=(0,))
    return "\n".join(lines)


def format_markdown(scores, problems=None):
    """Both sections as Markdown (for `python -m fdcore bench --markdown`): the summaries, and with
    ``problems`` the tag-class and per-case tables."""
    from fdcore.bench.report import markdown_table

    parts = []
    for kind in KINDS:
        section = _by_kind(scores, kind)
        if not section:
            continue
        parts.append(f"#### {'gradients' if kind == 'gradient' else 'Hessians'}")
        parts.append(markdown_table(_summary_header(kind), [_summary_cells(s) for s in section.values()],
                                    numeric=range(1, 8)))
        failures = _failures(section)
        if failures:
            parts.append("Failed cases:\n\n" + "\n".join("-" + line[1:] for line in failures))
        if problems is not None:
            if any(s.estimates for s in section.values()):
                header, lines = _coverage_table(problems, section)
                parts += ["Estimate >= true error, share of components per tag class:",
                          markdown_table(header, lines, numeric=range(1, len(header)))]
            header, lines = _case_table(problems, section, kind)
            parts += ["Per-case error (fail: raised, -: skipped, *: not smooth):",
                      markdown_table(header, lines, numeric=range(1, len(header)))]
    return "\n\n".join(parts)
