"""plot_step_error and the benchmark plot: the curves show what they claim."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

import fdcore  # noqa: E402
from fdcore.plotting.step_error import step_error_curve  # noqa: E402


def f(p):
    return np.exp(p[0]) * np.sin(p[1])


def test_error_against_step_is_a_v_with_fdcore_steps_near_its_bottom():
    x = np.array([0.5, 1.0])
    steps, errors, marks = step_error_curve(f, x, 0, exact=np.exp(0.5) * np.sin(1.0))
    best = steps[np.argmin(errors)]
    # truncation dominates at large steps, round-off at tiny ones: both ends far above the bottom
    assert errors[-1] > 1e6 * errors.min() and errors[0] > 1e6 * errors.min()
    for h in marks.values():
        assert best / 10 < h < best * 10  # fdcore's steps sit at the bottom of the V
        i = np.argmin(np.abs(np.log(steps / h)))
        assert errors[i] < 1e3 * errors.min()


def test_plot_step_error_draws_on_log_axes():
    ax = fdcore.plot_step_error(f, [0.5, 1.0], i=1)
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert len(ax.get_lines()) == 3  # the curve and two marked steps


def test_bench_plot_writes_a_png(tmp_path):
    from fdcore.bench.runner import run
    from fdcore.bench.plots import plot_benchmark

    rows, _ = run(["gradient"], quick=True, progress=False)
    path = tmp_path / "bench.png"
    plot_benchmark(rows, path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
