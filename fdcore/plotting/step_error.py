"""Error-against-step curves: why a finite-difference step is chosen where it is.

matplotlib is optional (``pip install fdcore[bench]``); it is imported only when a plot is drawn.
"""

from collections.abc import Callable, Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike

from fdcore.derivatives.directional import jvp
from fdcore.derivatives.docs import document
from fdcore.derivatives.first import gradient
from fdcore.derivatives.validation import as_float_array, check_callable
from fdcore.numerics.steps import default_step


def step_error_curve(f, x, i=0, *, exact=None, steps=None, method="central", args=(), kwargs=None):
    """(steps, errors, marks) of the derivative of f along coordinate i at x.

    ``exact`` is the true partial derivative (default: fdcore's accurate mode, whose own error
    is ~1e-13 relative); ``marks`` maps a label to the step fdcore picks ('default',
    'adaptive').
    """
    check_callable(f)
    x = as_float_array(x)
    if not (0 <= i < x.shape[0]):
        raise ValueError(f"i must index a coordinate of x (0..{x.shape[0] - 1}), got {i}")
    scale = max(1.0, abs(float(x[i])))
    steps = np.logspace(-16, 0, 65) * scale if steps is None else np.asarray(steps, dtype=float)
    unit = np.zeros_like(x)
    unit[i] = 1.0
    if exact is None:
        exact = float(gradient(f, x, richardson=True, args=args, kwargs=kwargs)[i])
    errors = []
    for h in steps:
        if method == "central":
            estimate = jvp(f, x, unit, step=h, args=args, kwargs=kwargs)
        else:
            forward = x.copy()
            forward[i] += h
            kw = kwargs or {}
            estimate = (f(forward, *args, **kw) - f(x, *args, **kw)) / (forward[i] - x[i])
        errors.append(abs(float(estimate) - exact))
    adaptive = gradient(f, x, step="adaptive", method=method, full_output=True, args=args, kwargs=kwargs)
    marks = {
        "fdcore default step": float(default_step(x, 1, method)[i]),
        "fdcore step='adaptive'": float(adaptive.step[i]),
    }
    return steps, np.array(errors), marks


@document
def plot_step_error(f: Callable[..., Any], x: ArrayLike, i: int = 0, *, exact: float | None = None,
                    steps: ArrayLike | None = None, method: Literal["central", "forward"] = "central",
                    ax: Any = None, args: tuple[Any, ...] = (), kwargs: Mapping[str, Any] | None = None) -> Any:
    """Draw the error of the finite-difference derivative along coordinate i against the step.

    The classic V: truncation error falls as h^2 (central) or h (one-sided) to the right, round-off
    rises as EPS |f| / h to the left; fdcore's default and adaptive steps are marked on it.

    Parameters
    ----------
    i : int
        The coordinate.
    exact : float, optional
        The true partial derivative (default: fdcore's accurate mode).
    steps : array_like, optional
        Steps to evaluate (default: 65 steps from 1e-16 to 1, times max(1, |x_i|)).
    method : {'central', 'forward'}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import numpy as np, fdcore
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = fdcore.plot_step_error(lambda p: np.exp(p[0]) * np.sin(p[1]), [0.5, 1.0], i=0)
    >>> ax.get_xscale(), ax.get_yscale()
    ('log', 'log')
    """
    import matplotlib.pyplot as plt

    steps, errors, marks = step_error_curve(f, x, i, exact=exact, steps=steps, method=method, args=args, kwargs=kwargs)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 4))
    shown = np.where(errors > 0, errors, np.nan)
    ax.loglog(steps, shown, ".-", label=f"|error| of the {method} difference")
    for (label, h), style in zip(marks.items(), ("--", ":")):
        ax.axvline(h, linestyle=style, color="k", label=f"{label}: h = {h:.2g}")
    ax.set_xlabel("step h")
    ax.set_ylabel("absolute error")
    ax.set_title(f"d f / d x_{i}: truncation (right) against round-off (left)")
    ax.legend(fontsize=8)
    return ax

