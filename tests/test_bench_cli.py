"""`python -m fdcore bench`: the suites of issue 8 run and give sane rows, the new peers appear
(or are listed as not installed), the goals report judges rows correctly, and --markdown / --json
write the report.

The suites run at small sizes with one timed call per row: these tests check the machinery, never
a timing.
"""

import json
import math
import sys

import numpy as np
import pytest

from fdcore.bench import checking as _bench_checking
from fdcore.bench import compat as _bench_compat
from fdcore.bench import goals as _bench_goals
from fdcore.bench import runner as _bench
from fdcore.bench import sparse as _bench_sparse
from fdcore.bench import vectorized as _bench_vectorized
from fdcore.bench import workers as _bench_parallel
from fdcore.bench.accuracy import MethodScore
from fdcore.bench.core import Context, Row
from fdcore.bench.report import format_table
from fdcore.problems.suite import get_problem

ONE_CALL = (0.0, 1)


def _run(monkeypatch, module, suite, cases):
    monkeypatch.setattr(module, "CASES_QUICK", cases)
    return _bench.run([suite], quick=True, progress=False, timing=ONE_CALL)


def _by_method(rows):
    return {r.method: r for r in rows}


def _assert_sane(rows, suite):
    for r in rows:
        assert r.suite == suite and r.n > 0 and r.median_s > 0 and math.isfinite(r.ratio_to_fdcore)
        assert r.nfev > 0 or r.nfev == -1
    assert next(r for r in rows if r.method.startswith("fdcore")).ratio_to_fdcore == 1.0


# --- the new suites, at small sizes --------------------------------------------------------------

def test_vectorized_suite_counts_points_and_measures_memory_against_the_budget(monkeypatch):
    rows, missing = _run(monkeypatch, _bench_vectorized, "vectorized", [("rosen", 50), ("memory", 300)])
    _assert_sane(rows, "vectorized")
    assert missing == []
    speed = _by_method(r for r in rows if r.problem == "rosen")
    assert [r.nfev for r in speed.values()] == [100, 100]  # 2n points, batched or one call each
    assert all(r.max_rel_error < 1e-8 for r in speed.values())
    (memory,) = [r for r in rows if r.problem == "sum of squares"]
    assert memory.n == 300 and memory.facts["budget_bytes"] > 0
    assert 0 < memory.peak_bytes < memory.facts["budget_bytes"]  # 600 points of 300 fit one batch
    assert "budget" in memory.note


def test_workers_suite_times_serial_pool_and_dask_on_the_same_points(monkeypatch):
    pytest.importorskip("distributed")
    rows, missing = _run(monkeypatch, _bench_parallel, "workers", [("expensive", 3)])
    _assert_sane(rows, "workers")
    assert missing == []
    assert [r.method.split(" (")[0] for r in rows] == [
        "fdcore gradient, serial", "fdcore gradient workers=2", "fdcore gradient workers=dask LocalCluster"]
    assert all(r.nfev == 6 and r.max_rel_error < 1e-7 for r in rows)


def test_expensive_gradient_is_the_derivative_of_expensive():
    x = np.array([0.1, 0.5])
    h = 1e-6
    numeric = [(_bench_parallel.expensive(x + h * e) - _bench_parallel.expensive(x - h * e)) / (2 * h)
               for e in np.eye(2)]
    assert np.allclose(_bench_parallel.expensive_gradient(x), numeric, rtol=1e-7)


def test_checking_suite_passes_the_right_gradient_and_localises_the_wrong_one(monkeypatch):
    rows, missing = _run(monkeypatch, _bench_checking, "checking", [("directions", 4000), ("peers", 300)])
    _assert_sane(rows, "checking")
    big = _by_method(r for r in rows if r.n == 4000)
    correct = big["fdcore check_grad directions (8 probes)"]
    assert correct.facts["passed"] and correct.nfev <= 40
    assert 3.5 < correct.facts["vectors"] < 8  # x's copy, grad, probe, work point (+ small-n overhead)
    wrong = big["fdcore check_grad directions, one wrong coordinate"]
    assert wrong.facts["localised"] and wrong.note == f"localised to [{_bench_checking.wrong_index(4000)}]"
    assert big["scipy check_grad direction='random', correct gradient"].nfev == 2
    small = _by_method(r for r in rows if r.n == 300)
    assert small["scipy check_grad direction='all', correct gradient"].nfev == 301
    if "jax.test_util.check_grads" not in missing:
        assert small["jax.test_util.check_grads (rev), correct gradient"].note == "passed"
        # one random direction: whether it sees the wrong coordinate is JAX's business, not ours
        assert small["jax.test_util.check_grads (rev), wrong gradient"].note in ("passed", "failed (no location)")


def test_sparse_suite_uses_two_evaluations_per_colour(monkeypatch):
    rows, missing = _run(monkeypatch, _bench_sparse, "sparse",
                         [("tridiagonal jacobian", 300), ("banded hessian", 300)])
    _assert_sane(rows, "sparse")
    assert missing == []
    for kind in ("tridiagonal jacobian", "banded hessian"):
        fd, scipy_row = [r for r in rows if r.problem == kind]
        assert fd.facts == {"colours": 3, "nnz": 3 * 300 - 2}
        assert fd.nfev == 2 * fd.facts["colours"]
        assert fd.max_rel_error < 1e-7 and scipy_row.max_rel_error < 1e-7
        assert fd.peak_bytes > 0 and scipy_row.peak_bytes > 0


def test_sparse_exact_answers_match_the_dense_ones():
    broyden, rosen = get_problem("broyden_tridiagonal", 7), get_problem("rosenbrock", 7)
    assert np.array_equal(_bench_sparse._broyden_jacobian(broyden.x0).toarray(), broyden.derivative(broyden.x0))
    assert np.allclose(_bench_sparse._rosen_hessian(rosen.x0).toarray(), rosen.hessian(rosen.x0), rtol=1e-15)


def test_compat_suite_compares_each_drop_in_with_its_library(monkeypatch):
    rows, missing = _run(monkeypatch, _bench_compat, "compat", [("scipy", 20), ("numdifftools", 20),
                                                                 ("statsmodels", 20)])
    _assert_sane(rows, "compat")
    methods = [r.method for r in rows]
    assert methods[:2] == ["fdcore.compat.scipy approx_derivative 3-point", "scipy approx_derivative 3-point"]
    assert methods[2] == "fdcore.compat.numdifftools Gradient"
    assert methods[-3:] == ["fdcore.compat.statsmodels approx_fprime centered", "statsmodels approx_fprime centered",
                            "floor: 41 bare calls of f"]
    assert all(r.max_rel_error < 1e-8 for r in rows if not r.method.startswith("floor"))
    assert rows[0].nfev == rows[1].nfev  # same stencil as SciPy's
    assert rows[-3].nfev == rows[-2].nfev == rows[-1].nfev == 41  # statsmodels' 2n + 1


# --- peers --------------------------------------------------------------------------------------

def _case(suite, kind, name, n):
    return _bench._run_derivative_case(suite, (kind, name, n), Context(True, ONE_CALL))


def test_new_peers_join_the_gradient_hessian_and_accurate_suites():
    pytest.importorskip("statsmodels")
    pytest.importorskip("jax")
    rows, _ = _case("gradient", "gradient", "rosenbrock", 10)
    gradient = _by_method(rows)
    assert gradient["statsmodels approx_fprime centered"].nfev == 21
    assert gradient["scipy.differentiate.jacobian (broadcasting f)"].nfev > 20  # counted in points
    jax_row = gradient["jax.grad, jit (exact derivative: cost reference)"]
    assert jax_row.nfev == -1 and jax_row.max_rel_error < 1e-14
    assert all(r.max_rel_error < 1e-6 for r in rows if not r.method.startswith("floor"))
    hessian = _by_method(_case("hessian", "hessian", "rosenbrock", 5)[0])
    assert hessian["statsmodels approx_hess3"].max_rel_error < 1e-5
    assert hessian["scipy.differentiate.hessian (broadcasting f)"].max_rel_error < 1e-8
    accurate = _by_method(_case("accurate", "gradient", "rosenbrock", 10)[0])
    assert accurate["statsmodels approx_fprime_cs"].max_rel_error < 1e-14


def test_peers_that_need_a_broadcasting_f_skip_other_problems():
    methods = [r.method for r in _case("gradient", "gradient", "extended_powell", 8)[0]]
    assert not any("differentiate" in m or "jax" in m for m in methods)


class _NotInstalled:
    """A meta-path finder under which importing the given top-level packages fails.

    Removing them from sys.modules (instead of setting sys.modules[name] = None) keeps libraries
    that probe sys.modules for optional packages (SciPy's array-API helpers look up
    sys.modules['jax'].Array) working as on a machine without them."""

    def __init__(self, *names):
        self.names = names

    def find_spec(self, fullname, path=None, target=None):
        if fullname.split(".")[0] in self.names:
            raise ImportError(f"No module named {fullname!r} (hidden by the test)")
        return None


def _hide_packages(monkeypatch, *names):
    for module in [m for m in sys.modules if m.split(".")[0] in names]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setattr(sys, "meta_path", [_NotInstalled(*names)] + sys.meta_path)


def test_missing_peers_are_listed_not_run(monkeypatch):
    _hide_packages(monkeypatch, "numdifftools", "statsmodels", "jax")  # imports fail as if not installed
    rows, missing = _case("gradient", "gradient", "rosenbrock", 10)
    assert {"numdifftools Gradient", "statsmodels approx_fprime centered",
            "jax.grad, jit (exact derivative: cost reference)"} <= set(missing)
    assert not any(label in r.method for r in rows for label in ("numdifftools", "statsmodels", "jax"))
    assert "not installed (skipped): " in format_table(rows, missing)
    # each missing peer with the command that provides it: the bench extra has neither JAX nor dask
    assert format_table(rows, missing).endswith("(pip install jax; pip install '.[bench]')")


def test_install_hints_name_what_really_provides_each_peer():
    from fdcore.bench.report import install_hint

    assert install_hint(["dask.distributed (workers suite)"]) == "pip install 'dask[distributed]'"
    assert install_hint(["numba njit loop", "numdifftools Gradient"]) == "pip install numba; pip install '.[bench]'"


def test_workers_suite_lists_dask_when_it_is_missing(monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    rows, missing = _run(monkeypatch, _bench_parallel, "workers", [("expensive", 2)])
    assert missing == ["dask.distributed (workers suite)"] and len(rows) == 2


# --- the goals report -----------------------------------------------------------------------------

def _row(suite, problem, n, method, seconds, nfev=100, error=1e-9, **extra):
    return Row(suite, problem, n, method, seconds, nfev, error, **extra)


def _gradient_rows(n=1000, floor=0.0098, scipy=0.02, scipy_error=1e-9):
    return [_row("gradient", "rosenbrock", n, "fdcore gradient", 0.010),
            _row("gradient", "rosenbrock", n, "floor: 2000 bare calls of f", floor),
            _row("gradient", "rosenbrock", n, "scipy approx_derivative 3-point", scipy, error=scipy_error)]


def _goal(rows, key, suites=("gradient",), accuracy=None):
    return next(g for g in _bench_goals.evaluate(rows, accuracy, suites) if g.key == key)


def test_goals_are_met_or_not_from_the_ratios_of_the_rows():
    assert _goal(_gradient_rows(), "G2a").status == "MET"  # 1.02x the floor
    assert _goal(_gradient_rows(floor=0.009), "G2a").status == "NOT MET"  # 1.11x
    met = _goal(_gradient_rows(), "G2b")
    assert met.status == "MET" and "speedup 2.00x" in met.figure
    assert _goal(_gradient_rows(scipy=0.014), "G2b").status == "NOT MET"  # 1.4x
    assert _goal(_gradient_rows(scipy_error=1e-11), "G2b").status == "NOT MET"  # 100x less accurate


def test_goals_at_other_sizes_are_quick_sizes_and_absent_suites_not_run():
    quick = _goal(_gradient_rows(n=100), "G2a")
    assert quick.status == "quick sizes: not the goal's n" and quick.figure.startswith("n=100: ")
    assert _goal([], "G2a", suites=()).status == "not run (needs --suite gradient or a full run)"
    assert _goal([], "G2a", suites=("gradient",)).status == "not run (needs a full run)"
    no_peer = _goal(_gradient_rows()[:2], "G2b")
    assert no_peer.status.startswith("not run (no 'scipy approx_derivative 3-point' row")


def test_goals_from_facts_counts_and_memory():
    sparse = [_row("sparse", "tridiagonal jacobian", 10**5, "fdcore jacobian sparsity=", 0.1, nfev=6,
                   peak_bytes=30e6, facts={"colours": 3, "nnz": 299998}),
              _row("sparse", "tridiagonal jacobian", 10**4, "fdcore jacobian sparsity=", 0.01, nfev=6,
                   peak_bytes=2.9e6, facts={"colours": 3, "nnz": 29998}),
              _row("sparse", "banded hessian", 10**4, "fdcore hessian(None, x, grad=g, sparsity=)", 0.01, nfev=8,
                   facts={"colours": 3, "nnz": 29998})]
    assert _goal(sparse, "G7c", ("sparse",)).status == "MET"
    sparse[0].peak_bytes = 60e6  # twice the bytes per nonzero of n / 10: not O(nnz)
    assert _goal(sparse, "G7c", ("sparse",)).status == "NOT MET"
    assert _goal(sparse, "G7c-hess", ("sparse",)).status == "NOT MET"  # 8 > 2 x 3
    check = [_row("checking", "x.x + sum(sin x)", 10**7, "fdcore check_grad directions (8 probes)", 3.0, nfev=33,
                  facts={"passed": True, "vectors": 4.0})]
    assert _goal(check, "G6a", ("checking",)).status == "MET"
    check[0].facts["vectors"] = 5.0
    assert _goal(check, "G6a", ("checking",)).status == "NOT MET"
    compiled = [_row("compiled", "rosenbrock", 200, "fdcore compiled hessian, 2 threads", 0.002),
                _row("compiled", "rosenbrock", 200, "fdcore Python path hessian (NumPy f)", 0.2)]
    reported = _goal(compiled, "G4e", ("compiled",))
    assert reported.status == "reported" and "100.0x as long" in reported.figure


def test_accuracy_goal_uses_the_accuracy_suite_scores():
    score = MethodScore("fdcore richardson=True", "accurate", errors={"a": 1e-15, "b": 1e-13, "c": 1e-10},
                        evals={"a": 8.0, "b": 8.0, "c": 20.0}, covered=99, estimated=100)
    accuracy = {score.method: score}
    met = _goal([], "G3c", suites=("accuracy",), accuracy=accuracy)
    assert met.status == "MET" and met.figure.startswith("median 1.0e-13, max 1.0e-10")
    score.covered = 90
    assert _goal([], "G3c", suites=("accuracy",), accuracy=accuracy).status == "NOT MET"
    score.covered, score.errors["c"] = 99, math.nan  # a NaN case is the worst error
    assert _goal([], "G3c", suites=("accuracy",), accuracy=accuracy).status == "NOT MET"
    assert _goal([], "G3c", suites=()).status.startswith("not run")


def test_accuracy_goals_against_the_peers_per_case():
    ours = MethodScore("fdcore richardson=True", "accurate", errors={"a": 1e-14, "b": 5e-9, "c": 1e-6},
                       evals={"a": 8.0, "b": 8.0, "c": 24.0}, covered=99, estimated=100)
    peer = MethodScore("jacobi.jacobi", "jacobi", errors={"a": 1e-15, "b": 1e-10, "c": 2e-7})
    accuracy = {ours.method: ours, peer.method: peer}
    result = _goal([], "G3d", suites=("accuracy",), accuracy=accuracy)
    # b: 5e-9 where a peer reaches 1e-10 (<= 1e-9); c: 1e-6 within 10x of the best peer's 2e-7
    assert result.status == "NOT MET" and "behind the best peer on 1 of 3 cases: b 5.0e-09" in result.figure
    ours.errors["b"] = 1e-9
    ours.errors["a"] = 1e-14
    assert _goal([], "G3d", suites=("accuracy",), accuracy=accuracy).status == "NOT MET"  # median 1e-9 > 1e-13
    ours.errors.update(a=1e-15, b=1e-14)
    assert _goal([], "G3d", suites=("accuracy",), accuracy=accuracy).status == "MET"
    ours.evals["c"] = 25.0  # more than 24 evaluations per coordinate somewhere
    assert _goal([], "G3d", suites=("accuracy",), accuracy=accuracy).status == "NOT MET"
    # the Hessian goal has no scores in this run
    assert _goal([], "G3e", suites=("accuracy",), accuracy=accuracy).status == "reported"


def test_accuracy_goal_on_error_estimates_per_class():
    score = MethodScore("fdcore richardson=True", "accurate", coverage={"mgh": [99, 100], "noisy": [3, 10]},
                        ratios=[10.0, 100.0, 1000.0], errors={"a": 1e-14}, evals={"a": 8.0}, covered=102,
                        estimated=110)
    result = _goal([], "G3f", suites=("accuracy",), accuracy={score.method: score})
    assert result.status == "NOT MET" and "noisy 30%" in result.figure and "mgh" not in result.figure
    score.coverage["noisy"] = [10, 10]
    assert _goal([], "G3f", suites=("accuracy",), accuracy={score.method: score}).status == "MET"


# --- the command line -----------------------------------------------------------------------------

def test_markdown_and_json_hold_the_tables_and_the_goals(monkeypatch, tmp_path, capsys):
    from fdcore.__main__ import main

    monkeypatch.setattr(_bench_compat, "CASES_QUICK", [("scipy", 20)])
    markdown, report = tmp_path / "bench.md", tmp_path / "bench.json"
    assert main(["bench", "--quick", "--suite", "compat", "--markdown", str(markdown), "--json", str(report)]) == 0
    out = capsys.readouterr().out
    assert "== compat ==" in out and "== performance goals ==" in out
    text = markdown.read_text()
    assert "### compat" in text and "| problem | n | method | median |" in text
    assert "| fdcore.compat.scipy approx_derivative 3-point |" in text.replace("| rosenbrock | 20 ", "")
    assert "### performance goals" in text and "| G7a |" in text
    goals = json.loads(report.read_text())["goals"]
    assert [g["key"] for g in goals] == [g.key for g in _bench_goals.GOALS]
    assert next(g for g in goals if g["key"] == "G7a")["status"] == "quick sizes: not the goal's n"


def test_tables_show_memory_and_note_columns_only_where_used():
    plain = [_row("gradient", "rosenbrock", 10, "fdcore gradient", 1e-4)]
    assert "peak memory" not in format_table(plain) and "note" not in format_table(plain)
    measured = [_row("sparse", "banded hessian", 10, "fdcore hessian", 1e-4, peak_bytes=2048.0, note="3 colours")]
    table = format_table(measured)
    assert "peak memory" in table and "2.0 KiB" in table and "3 colours" in table
