"""The accuracy suite of `python -m fdcore bench` (fdcore.bench.accuracy): the per-case error,
evaluation counting (in points), failures recorded per case, the report's sections; and the real
peers on two small problems. No timing."""

import math
import sys
import warnings

import numpy as np
import pytest

from fdcore.bench import accuracy
from fdcore.bench.accuracy import Method, case_error
from fdcore.problems.suite import get_problem


def _problems():
    return [get_problem("rosenbrock"), get_problem("beale"), get_problem("rosenbrock_minimum")]


# --- the per-case error ---------------------------------------------------------------------------

def test_case_error_is_the_worst_component_relative_to_a_floored_exact_value():
    exact = np.array([2.0, -4.0, 0.0])
    # |est - exact| / max(|exact|, 1e-8 * 4): 0.1 / 2, 0, 1e-8 / 4e-8
    assert case_error([2.1, -4.0, 1e-8], exact) == pytest.approx(0.25)
    assert case_error([2.1, -4.0, 0.0], exact) == pytest.approx(0.05)
    assert case_error([1e-3, -2e-3], [0.0, 0.0]) == pytest.approx(2e-3)  # exact all zero: absolute
    assert math.isnan(case_error([np.nan, -4.0, 0.0], exact))
    assert math.isnan(case_error([np.inf, -4.0, 0.0], exact))
    # Hessians: the worst of all entries, floored at 1e-8 * max|H|
    H = np.array([[2.0, 0.0], [0.0, 1.0]])
    assert case_error([[2.0, 1e-9], [1e-9, 1.001]], H) == pytest.approx(0.05)


# --- scoring hand-made methods --------------------------------------------------------------------

def _scaled_gradient(p, f):
    """The exact gradient times (1 + 1e-6), after three evaluations of f; estimate 2x its error."""
    for _ in range(3):
        f(p.x0)
    g = p.derivative(p.x0)
    return g * (1 + 1e-6), 2e-6 * np.abs(g)


def _batch(p, f):
    """One call with an (n, 5) array of points (scipy.differentiate's convention): 5 evaluations."""
    values = f(np.repeat(p.x0[:, None], 5, axis=1))
    assert values.shape == (5,) and np.all(values == p.f(p.x0))
    return p.derivative(p.x0), None


def _raises(p, f):
    f(p.x0)
    raise RuntimeError("boom")


def _warns(p, f):
    warnings.warn("a peer's warning", RuntimeWarning)
    np.log(np.zeros(1))  # a NumPy floating-point warning
    return p.derivative(p.x0), None


def _not_beale(p, f):
    return None if p.name == "beale" else (p.derivative(p.x0), None)


def _exact_hessian(p, f):
    for _ in range(p.n):
        f(p.x0)
    H = p.hessian(p.x0)
    return H + 1e-9, np.full(H.shape, 2e-9)  # the estimate covers its error (1e-9 up to rounding)


METHODS = [
    Method("gradient", "scaled", "scaled", _scaled_gradient, estimates=True),
    Method("gradient", "batch", "batch", _batch),
    Method("gradient", "raises", "raises", _raises),
    Method("gradient", "warns", "warns", _warns),
    Method("gradient", "not beale", "not beale", _not_beale),
    Method("hessian", "exact hessian", "exact", _exact_hessian, estimates=True, max_n=3),
]


def test_run_scores_counts_and_records_failures_per_case():
    problems = _problems()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got, scores = accuracy.run(problems=problems, methods=METHODS)
    assert got == problems
    assert caught == []  # the peers' warnings are silenced inside the bench
    names = [p.name for p in problems]

    scaled = scores["scaled"]
    assert list(scaled.errors) == names
    assert scaled.errors["rosenbrock"] == pytest.approx(1e-6, rel=1e-6)
    assert scaled.errors["rosenbrock_minimum"] == 0.0  # zero gradient: absolute error
    assert scaled.evals == {p.name: 3 / p.n for p in problems}
    assert scaled.accurate_cases() == 1 and scaled.nan_cases() == 0 and scaled.median_error() == pytest.approx(1e-6, rel=1e-6)
    components = sum(p.n for p in problems)
    assert scaled.covered == scaled.estimated == components  # 2x the error covers it
    assert scaled.coverage == {"mgh": [6, 6], "zero-gradient": [4, 4]}
    nonzero = sum(np.count_nonzero(p.derivative(p.x0)) for p in problems)  # the zero gradient has none
    assert np.allclose(scaled.ratios, 2.0) and len(scaled.ratios) == nonzero > 0

    assert scores["batch"].evals == {p.name: 5 / p.n for p in problems}  # points, not calls

    raises = scores["raises"]
    assert raises.failed == {name: "RuntimeError: boom" for name in names}
    assert raises.errors == {} and raises.evals == {}

    assert scores["warns"].errors == {name: 0.0 for name in names}
    assert scores["not beale"].skipped == ["beale"] and "beale" not in scores["not beale"].errors

    hessian = scores["exact hessian"]
    assert hessian.skipped == ["rosenbrock", "rosenbrock_minimum"]  # n = 4 > max_n = 3
    assert hessian.evals == {"beale": 2 / 3}  # n evaluations over n (n + 1) / 2 unique entries
    assert hessian.covered == hessian.estimated == 4

    report = accuracy.format_report(problems, scores)
    assert "gradients on the 3 scalar problems" in report and "Hessians on the 3 scalar problems" in report
    assert "raises on beale: RuntimeError: boom" in report
    case_lines = [line for line in report.splitlines() if line.startswith("beale ")]
    assert len(case_lines) == 2 and "fail" in case_lines[0].split()
    assert "exact: n <= 3 only" in report
    markdown = accuracy.format_markdown(scores, problems)
    assert "#### gradients" in markdown and "#### Hessians" in markdown
    assert "| scaled | 1.0e-06 | 1/3 | 0 | 0 |" in markdown
    assert "| raises | - | 0/0 | 0 | 3 |" in markdown
    assert "| zero-gradient (1) | 100.0% |" in markdown


def test_a_missing_peer_is_left_out(monkeypatch):
    for name in ("jacobi", "fdm", "optimagic"):
        monkeypatch.setitem(sys.modules, name, None)  # importing it raises ImportError
    labels = [m.label for m in accuracy.available_methods()]
    assert not [label for label in labels if label.startswith(("jacobi", "fdm", "optimagic"))]
    assert "fdcore richardson=True" in labels and "fdcore hessian richardson=True" in labels


# --- the real peers ---------------------------------------------------------------------------------

def test_every_peer_runs_on_small_problems():
    for name in ("scipy.differentiate", "numdifftools", "jacobi", "fdm", "optimagic", "statsmodels"):
        pytest.importorskip(name)
    problems = [get_problem("rosenbrock"), get_problem("beale")]
    _, scores = accuracy.run(problems=problems)
    gradients = {label: s for label, s in scores.items() if s.kind == "gradient"}
    hessians = {label: s for label, s in scores.items() if s.kind == "hessian"}
    assert {"jacobi.jacobi", "fdm central_fdm(6, 1) adaptive", "optimagic first_derivative",
            "statsmodels approx_fprime centered"} <= set(gradients)
    assert {"numdifftools Hessian", "optimagic second_derivative", "statsmodels approx_hess3",
            "scipy.differentiate.hessian"} <= set(hessians)
    for s in scores.values():
        assert s.failed == {} and set(s.errors) == {"rosenbrock", "beale"}, s.method
        assert all(e > 0 for e in s.evals.values()), s.method
    for s in gradients.values():
        assert s.max_error() < 1e-4, s.method
    assert gradients["fdcore central (default)"].evals == {"rosenbrock": 2.0, "beale": 2.0}
    assert gradients["statsmodels approx_fprime centered"].evals == {"rosenbrock": 9 / 4, "beale": 5 / 2}
    assert gradients["scipy.differentiate.jacobian"].evals["rosenbrock"] > 4  # counted in points
    for label in ("jacobi.jacobi", "fdm central_fdm(6, 1) adaptive", "numdifftools Gradient"):
        assert gradients[label].estimated == 6 and gradients[label].ratios, label
    assert hessians["fdcore hessian richardson=True"].estimated == 16 + 4
    assert hessians["numdifftools Hessian"].max_error() < 1e-6
