"""bench --plot: the benchmark's figure (time against n, and an error-against-step curve)."""

from fdcore import get_problem, plot_step_error


def plot_benchmark(rows, path):
    """Write a PNG: time against n (log-log) per method of the 'gradient' suite, and the
    error-against-step curve of Rosenbrock's first coordinate with fdcore's steps marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    gradient_rows = [r for r in rows if r.suite == "gradient" and r.problem == "rosenbrock"]
    for method in dict.fromkeys(r.method for r in gradient_rows):
        points = sorted((r.n, r.median_s) for r in gradient_rows if r.method == method)
        if len(points) > 1:
            n, t = zip(*points)
            left.loglog(n, t, "o-", label=method)
    left.set_xlabel("n")
    left.set_ylabel("median time per gradient (s)")
    left.set_title("Rosenbrock gradient: time against n")
    left.legend(fontsize=7)
    p = get_problem("rosenbrock", 4)
    plot_step_error(p.f, p.x0, 0, exact=float(p.derivative(p.x0)[0]), ax=right)
    right.set_title("Rosenbrock, d f / d x_0: error against step")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
