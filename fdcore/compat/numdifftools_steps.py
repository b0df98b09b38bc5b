"""numdifftools' step generators (``MinStepGenerator``, ``MaxStepGenerator``), with its rules.

A generator called at a point, ``gen(x, method, n, order)``, yields a geometric sequence of steps

    MinStepGenerator:  step_nom * base_step * step_ratio ** (i + offset),  i = num_steps - 1, ..., 0
    MaxStepGenerator:  step_nom * base_step * step_ratio ** (-i + offset), i = 0, ..., num_steps - 1

(largest first). The defaults depend on the derivative being taken:

- step_nom = max(log(e - 1 + |x|), 1): grows slowly with |x|;
- base_step = EPS ** (1 / scale), with numdifftools' empirical scale per method, n and order
  (`default_scale`; 2.5 for a first derivative by one-sided differences); MaxStepGenerator's is 2;
- step_ratio = 2 for n = 1, else 1.6;
- num_steps = the fewest the stencil needs, (n + order - 1) // d with d = 2 for central
  differences, 2 or 4 for the complex step, 1 for one-sided ones, plus ``num_extrap``;
- with ``use_exact_steps`` the base step and ratio are rounded to representable offsets
  ((h + 1) - 1), so that x + h - x = h.

In fdcore.compat.numdifftools a generator given as ``step=`` sets the Richardson levels of fdcore's
accurate engine: its largest step is the coarsest level, its ratio the step ratio and its length
the number of levels.

Examples
--------
>>> from fdcore.compat.numdifftools import MaxStepGenerator, MinStepGenerator
>>> [float(h) for h in MaxStepGenerator(num_steps=4)(0)]
[2.0, 1.0, 0.5, 0.25]
>>> [float(h) for h in MinStepGenerator(base_step=0.25, step_ratio=2, num_steps=3)(0)]
[1.0, 0.5, 0.25]
"""

from collections.abc import Iterator

import numpy as np
from numpy.typing import ArrayLike, NDArray

EPS = float(np.finfo(np.float64).eps)

__all__ = ["EPS", "MaxStepGenerator", "MinStepGenerator", "default_scale", "get_base_step", "get_nominal_step"]


def get_nominal_step(x=None):
    """max(log(e - 1 + |x|), 1): numdifftools' nominal step (1 where x is None).

    Parameters
    ----------
    x : array_like, optional
        The point.
    """
    if x is None:
        return 1.0
    return np.log(np.e - 1.0 + np.abs(x)).clip(min=1)


def get_base_step(scale):
    """EPS ** (1 / scale).

    Parameters
    ----------
    scale : float
        The scale (see `default_scale`).
    """
    return EPS ** (1.0 / scale)


def default_scale(method: str = "forward", n: int = 1, order: int = 2) -> float:
    """numdifftools' empirical scale of the default base step EPS ** (1 / scale).

    2.5 for a first derivative by one-sided or central differences of order 2, 1.3 more per
    further derivative order, 3 (central) or 2 (one-sided) more per order step above 2; the
    complex step starts at 1.06, plus a correction for high derivatives (n > 1 or order >= 4)
    that cycles with n mod 4, as the complex step's accuracy does.

    Parameters
    ----------
    method : str, optional
        'forward' (default), 'backward', 'central', 'complex', 'multicomplex', ...
    n : int, optional
        The derivative order (default 1).
    order : int, optional
        The stencil's accuracy order (default 2).
    """
    high = n > 1 or order >= 4
    quarter, phase = divmod(n, 4)
    if high:
        complex_extra = (quarter * (10 + 1.5 * (n > 10)),
                         3.65 + quarter * (5 + 1.5 ** quarter),
                         3.65 + quarter * (5 + 1.7 ** quarter),
                         7.30 + quarter * (5 + 2.1 ** quarter))[phase]
    else:
        complex_extra = 0.0
    if method == "multicomplex":
        return 1.06
    if method == "complex":
        return 1.06 + complex_extra
    per_order = {"central": 3, "forward": 2, "backward": 2}.get(method, 0)
    return 2.5 + (n - 1) * 1.3 + max(order // 2 - 1, 0) * per_order


def _exact(h):
    return (h + 1.0) - 1.0


class MinStepGenerator:
    """Steps step_nom * base_step * step_ratio ** (i + offset), i = num_steps - 1, ..., 0: the
    smallest, step_nom * base_step * step_ratio ** offset, comes last.

    Parameters
    ----------
    base_step : float or array_like, optional
        The smallest step before ``step_nom`` and ``offset``; default EPS ** (1 / scale).
    step_ratio : float, optional
        Ratio of consecutive steps, > 1; default 2 for n = 1, else 1.6.
    num_steps : int, optional
        Number of steps; default the fewest the stencil needs plus ``num_extrap`` (and never
        fewer than the stencil needs while ``check_num_steps``).
    step_nom : float or array_like, optional
        Nominal step; default max(log(e - 1 + |x|), 1).
    offset : int, optional
        Exponent offset of the ratio (default 0).
    num_extrap : int, optional
        Steps added to the fewest for extrapolation (default 0).
    use_exact_steps : bool, optional
        Round base step and ratio to representable offsets (default True).
    check_num_steps : bool, optional
        Raise num_steps to the stencil's minimum (default True).
    scale : float, optional
        The scale of the default base step; default `default_scale` (method, n, order).
    """

    _ascending_exponent = True  # i runs num_steps - 1 .. 0 with exponent +i

    def __init__(self, base_step: ArrayLike | None = None, step_ratio: float | None = None, num_steps: int | None = None,
                 step_nom: ArrayLike | None = None, offset: int = 0, num_extrap: int = 0, use_exact_steps: bool = True,
                 check_num_steps: bool = True, scale: float | None = None) -> None:
        self.base_step = base_step
        self.step_ratio = step_ratio
        self.num_steps = num_steps
        self.step_nom = step_nom
        self.offset = offset
        self.num_extrap = num_extrap
        self.use_exact_steps = use_exact_steps
        self.check_num_steps = check_num_steps
        self.scale = scale

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in vars(self).items())
        return f"{type(self).__name__}({fields})"

    def min_num_steps(self, method: str = "forward", n: int = 1, order: int = 2) -> int:
        """The fewest steps the stencil of (method, n, order) needs."""
        complex_divisor = 4 if (n > 1 or order >= 4) else 2
        divisor = {"central": 2, "central2": 2, "complex": complex_divisor, "multicomplex": 2}.get(method, 1)
        return max(int(n + order - 1) // divisor, 1)

    def steps(self, x: ArrayLike = 0.0, method: str = "forward", n: int = 1, order: int = 2) -> NDArray[np.float64]:
        """The steps at x, largest first, as a list (of scalars, or arrays of x's shape)."""
        x = np.asarray(x)
        scale = default_scale(method, n, order) if self.scale is None else self.scale
        base = get_base_step(scale) if self.base_step is None else np.asarray(self.base_step)
        nominal = get_nominal_step(x) if self.step_nom is None else np.full(x.shape, self.step_nom)
        ratio = float({1: 2.0}.get(n, 1.6) if self.step_ratio is None else self.step_ratio)
        fewest = self.min_num_steps(method, n, order)
        if self.num_steps is None:
            count = fewest + int(self.num_extrap)
        else:
            count = max(int(self.num_steps), fewest) if self.check_num_steps else int(self.num_steps)
        start = base * nominal
        if self.use_exact_steps:
            start, ratio = _exact(start), _exact(ratio)
        exponents = range(count - 1, -1, -1) if self._ascending_exponent else (-i for i in range(count))
        steps = [start * ratio ** (k + self.offset) for k in exponents]
        return [h for h in steps if np.all(np.abs(h) > 0)]

    def __call__(self, x: ArrayLike = 0.0, method: str = "forward", n: int = 1,
                 order: int = 2) -> Iterator[NDArray[np.float64]]:
        """Iterate over the steps at x for the given derivative (see `steps`)."""
        return iter(self.steps(x, method, n, order))


class MaxStepGenerator(MinStepGenerator):
    """Steps step_nom * base_step * step_ratio ** (-i + offset), i = 0, ..., num_steps - 1: the
    largest, step_nom * base_step * step_ratio ** offset, comes first.

    Parameters
    ----------
    base_step, step_ratio, num_steps, step_nom, offset, num_extrap, use_exact_steps, check_num_steps, scale
        As for `MinStepGenerator`, with numdifftools' defaults for this one: base_step 2.0 (the
        largest step), num_steps 15, num_extrap 9, use_exact_steps False, scale 500.
    """

    _ascending_exponent = False

    def __init__(self, base_step: ArrayLike | None = 2.0, step_ratio: float | None = None, num_steps: int | None = 15,
                 step_nom: ArrayLike | None = None, offset: int = 0, num_extrap: int = 9, use_exact_steps: bool = False,
                 check_num_steps: bool = True, scale: float | None = 500) -> None:
        super().__init__(base_step, step_ratio, num_steps, step_nom, offset, num_extrap, use_exact_steps,
                         check_num_steps, scale)
