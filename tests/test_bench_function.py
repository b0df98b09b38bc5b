"""fdcore.bench.rank_methods and `python -m fdcore bench --function MODULE:FUNC --x0 ...`: every
method on the user's own f, ranked by estimated error, then cost.

The ranking must put the complex step first for a complex-analytic f and the accurate mode
(richardson=True) first for an f the complex step cannot differentiate. No timing is asserted.
"""

import json
import math
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import fdcore
from fdcore.bench import MethodRank, format_ranking, rank_methods
from fdcore.bench.function import ACCURATE_LABEL, COMPLEX_LABEL, METHODS

X0 = np.array([0.3, -0.7, 1.2])
FDCORE_ROOT = pathlib.Path(fdcore.__file__).resolve().parent.parent


def analytic(x):
    return np.sum(np.exp(x) * np.sin(x)) + x[0] * x[1] ** 2


def analytic_gradient(x):
    g = np.exp(x) * (np.sin(x) + np.cos(x))
    g[0] += x[1] ** 2
    g[1] += 2 * x[0] * x[1]
    return g


def float_valued(x):  # float() drops the imaginary part: fdcore refuses the complex step
    return float(np.sum(np.abs(x) ** 3) + np.sum(np.sqrt(x ** 2 + 1)))


def modulus(x):  # np.abs of a complex x is its modulus: complex values, wrong derivative
    return np.sum(np.abs(x) ** 3) + np.sum(np.cos(x))


def residuals(x):
    return np.array([np.sin(x[0]) * x[1], np.exp(x[2]), x[0] * x[2]])


def _labels(rows):
    return [r.label for r in rows]


def test_complex_analytic_f_ranks_the_complex_step_first():
    rows = rank_methods(analytic, X0, repeat=1)
    assert rows[0].label == COMPLEX_LABEL and rows[0].rank == 1 and rows[0].error_source == "own estimate"
    assert sorted(_labels(rows)) == sorted(label for label, _ in METHODS)  # every method, all applicable
    assert [r.rank for r in rows] == list(range(1, len(METHODS) + 1))
    exact = analytic_gradient(X0)
    for r in rows:
        assert isinstance(r, MethodRank) and r.applicable and r.nfev > 0 and r.time > 0
        # each estimated error bounds the true one (the complex step is exact to round-off)
        assert np.max(np.abs(r.value - exact)) <= r.error * 1.01 + 1e-14, r.label
        assert math.isclose(r.rel_error, r.error / np.max(np.abs(rows[0].value)))
    assert rows[0].nfev == X0.size + 1 and rows[0].rel_error < 1e-14
    by_label = {r.label: r for r in rows}
    assert by_label[ACCURATE_LABEL].error_source == "own estimate"
    assert by_label["default (central, order 2)"].error_source == "bound vs reference"
    assert by_label["order=4"].options == {"order": 4}


@pytest.mark.parametrize("f", [float_valued, modulus], ids=["float-valued", "modulus"])
def test_f_that_is_not_complex_analytic_ranks_the_accurate_mode_first(f):
    rows = rank_methods(f, X0, repeat=1)
    assert rows[0].label == ACCURATE_LABEL and rows[0].options == {"richardson": True}
    assert rows[0].error_source == "own estimate" and rows[0].rel_error < 1e-8
    last = rows[-1]
    assert last.label == COMPLEX_LABEL and not last.applicable and last.rank == 0
    assert last.value is None and math.isnan(last.error) and last.nfev == -1
    reason = "returned a real value" if f is float_valued else "not complex-analytic"
    assert reason in last.note
    # the other methods' errors are bounds against the accurate mode: never below its own
    assert all(r.error >= rows[0].error for r in rows[1:-1])
    assert [r.rank for r in rows] == [*range(1, len(METHODS)), 0]


def test_f_that_refuses_complex_input_marks_the_complex_step_not_applicable():
    import math as m

    rows = rank_methods(lambda x: m.exp(x[0]) + m.sin(x[1]), X0[:2], repeat=1)
    assert rows[0].label == ACCURATE_LABEL
    assert not rows[-1].applicable and rows[-1].label == COMPLEX_LABEL


def test_vector_f_ranks_jacobians():
    rows = rank_methods(residuals, X0, repeat=1)
    assert rows[0].label == COMPLEX_LABEL
    assert all(r.value.shape == (3, 3) for r in rows)


def test_rtol_ranks_the_good_enough_methods_by_cost():
    rows = rank_methods(float_valued, X0, repeat=1, rtol=1e-5)
    good = [r for r in rows if r.applicable and r.rel_error <= 1e-5]
    assert rows[:len(good)] == good and rows[0].label == "default (central, order 2)"
    assert [r.nfev for r in good] == sorted(r.nfev for r in good)


def test_args_and_kwargs_reach_f():
    rows = rank_methods(lambda x, a, b=0.0: a * np.sum(x ** 2) + b, X0, args=(3.0,), kwargs={"b": 1.0}, repeat=1)
    assert np.allclose(rows[0].value, 6 * X0)


@pytest.mark.parametrize("call, message", [
    (lambda: rank_methods(3.0, X0), "f must be callable"),
    (lambda: rank_methods(analytic, np.ones((2, 2))), "x0 must be a non-empty 1-D array"),
    (lambda: rank_methods(analytic, [1j, 2.0]), "x0 must be a non-empty 1-D array of reals"),
    (lambda: rank_methods(analytic, []), "x0 must be a non-empty 1-D array"),
    (lambda: rank_methods(analytic, [np.nan, 1.0]), "x0 must be finite"),
    (lambda: rank_methods(analytic, X0, repeat=0), "repeat must be a positive int"),
    (lambda: rank_methods(analytic, X0, rtol=-1.0), "rtol must be a positive float"),
    (lambda: rank_methods(analytic, X0, rtol=True), "rtol must be a positive float"),
    (lambda: rank_methods(lambda x: np.ones((2, 2)), X0), "f must return a float or a 1-D array"),
])
def test_bad_arguments_are_named(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_the_table_says_which_error_column_is_which():
    rows = rank_methods(modulus, X0, repeat=1)
    table = format_ranking(rows)
    header, rule, first = table.splitlines()[:3]
    assert header.split()[:2] == ["rank", "method"] and "error from" in header and set(rule) == {"-"}
    assert first.split()[:3] == ["1", "richardson=True", "(accurate"]
    assert "not applicable: disagrees with the accurate mode" in table
    assert f"reference = {ACCURATE_LABEL}" in table and "cover round-off only" in table
    assert "within rtol" in format_ranking(rows, rtol=1e-6)


def test_plot_ranking_writes_the_figure(tmp_path):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from fdcore.bench import plot_ranking

    for f, name in ((modulus, "scalar.png"), (residuals, "vector.png")):
        figure = plot_ranking(f, X0, rank_methods(f, X0, repeat=1), str(tmp_path / name))
        assert len(figure.axes) == 2 and (tmp_path / name).stat().st_size > 10_000
        plt.close(figure)


# --- the command line -----------------------------------------------------------------------------

USER_MODULE = textwrap.dedent("""
    import math

    import numpy as np


    def analytic(x):
        return np.sum(np.exp(x) * np.sin(x)) + x[0] * x[1] ** 2


    def rough(x):
        return math.fsum(abs(float(t)) ** 3 for t in x) + float(np.sum(np.cos(x)))


    def raising(x):
        raise RuntimeError("the model blew up")


    def matrix(x):
        return np.ones((2, 2))


    not_callable = 3.0
""")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench_function")
    (path / "user_model.py").write_text(USER_MODULE)
    np.save(path / "x0.npy", X0)
    np.save(path / "x2d.npy", np.ones((2, 2)))
    return path


def run(workdir, *args):
    # -P: the user's module and this fdcore are found through PYTHONPATH only
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(workdir), str(FDCORE_ROOT)]), MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-P", "-m", "fdcore", "bench", *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=300)


def _table_rows(stdout):
    lines = stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("rank")) + 2
    return [line for line in lines[start:] if line.strip()][:len(METHODS)]


def test_cli_ranks_the_complex_step_first_and_writes_the_plot(workdir):
    pytest.importorskip("matplotlib")
    plot = workdir / "ranking.png"
    r = run(workdir, "--function", "user_model:analytic", "--x0", "0.3,-0.7,1.2", "--repeat", "1",
            "--plot", str(plot))
    assert r.returncode == 0, r.stderr
    rows = _table_rows(r.stdout)
    assert rows[0].split()[:2] == ["1", "method='complex'"]
    assert len(rows) == len(METHODS) and "est. rel error" in r.stdout and "bound vs reference" in r.stdout
    assert "gradient" in r.stdout.splitlines()[0]
    assert f"wrote {plot}" in r.stdout and plot.stat().st_size > 10_000


def test_cli_ranks_the_accurate_mode_first_for_a_real_only_f(workdir, tmp_path):
    report = tmp_path / "ranking.json"
    r = run(workdir, "--function", "user_model:rough", "--x0", "x0.npy", "--quick", "--json", str(report))
    assert r.returncode == 0, r.stderr
    rows = _table_rows(r.stdout)
    assert rows[0].split()[:2] == ["1", "richardson=True"]
    assert rows[-1].split()[:2] == ["-", "method='complex'"] and "not applicable" in rows[-1]
    saved = json.loads(report.read_text())
    assert saved[0]["label"] == ACCURATE_LABEL and len(saved[0]["value"]) == 3
    assert saved[-1]["error_source"] == "not applicable" and saved[-1]["value"] is None


def test_cli_accepts_a_list_literal(workdir):
    r = run(workdir, "--function", "user_model:analytic", "--x0", "[0.3, 0.7]", "--repeat", "1")
    assert r.returncode == 0 and "n = 2" in r.stdout, r.stderr


@pytest.mark.parametrize("args, message", [
    (["--function", "user_model:analytic", "--x0", "1,two"], "--x0 must be comma-separated numbers"),
    (["--function", "user_model:analytic", "--x0", "missing.npy"], "cannot read --x0"),
    (["--function", "user_model:analytic", "--x0", "x2d.npy"], "--x0 must be a non-empty 1-D array"),
    (["--function", "user_model:analytic", "--x0", "1,nan"], "--x0 must be finite"),
    (["--function", "user_model:analytic"], "--function needs --x0"),
    (["--function", "user_model:missing", "--x0", "1,2"], "--function: cannot load 'user_model:missing'"),
    (["--function", "no_such_module_xyz:f", "--x0", "1,2"], "--function: cannot load 'no_such_module_xyz:f'"),
    (["--function", "user_model", "--x0", "1,2"], "--function: 'user_model' must have the form MODULE:NAME"),
    (["--function", "user_model:not_callable", "--x0", "1,2"], "--function 'user_model:not_callable' is not callable"),
    (["--function", "user_model:matrix", "--x0", "1,2"], "--function MODULE:FUNC must return a float or a 1-D array"),
    (["--function", "user_model:analytic", "--x0", "1,2", "--repeat", "0"], "--repeat must be a positive int"),
    (["--function", "user_model:analytic", "--x0", "1,2", "--rtol", "0"], "--rtol must be a positive number"),
    (["--function", "user_model:analytic", "--x0", "1,2", "--suite", "gradient"], "--suite does not apply"),
    (["--x0", "1,2"], "--x0 needs --function"),
], ids=["x0-junk", "x0-missing-file", "x0-2d", "x0-nan", "no-x0", "missing-attr", "missing-module", "no-colon",
        "not-callable", "matrix-f", "repeat-0", "rtol-0", "suite", "x0-alone"])
def test_cli_bad_usage_exits_2_naming_the_option(workdir, args, message):
    r = run(workdir, *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr and "Traceback" not in r.stderr and r.stdout == ""


def test_cli_plot_without_matplotlib_exits_2_with_the_install_hint(workdir, monkeypatch, capsys):
    from fdcore.__main__ import main

    monkeypatch.syspath_prepend(str(workdir))
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib raises ImportError
    code = main(["bench", "--function", "user_model:analytic", "--x0", "1,2", "--plot", str(workdir / "no.png")])
    assert code == 2 and "--plot needs matplotlib: pip install '.[bench]'" in capsys.readouterr().err
    assert not (workdir / "no.png").exists()


def test_cli_objective_that_raises_exits_3_with_its_traceback(workdir):
    r = run(workdir, "--function", "user_model:raising", "--x0", "1,2")
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "Traceback" in r.stderr and "the model blew up" in r.stderr and "user_model.py" in r.stderr


def test_cli_help_documents_function_and_the_exit_codes(workdir):
    r = run(workdir, "--help")
    text = " ".join(r.stdout.split())
    assert r.returncode == 0 and "--function MODULE:FUNC" in text and "--x0 X" in text
    assert "3 --function's objective raised" in text and "richardson=True" in text
