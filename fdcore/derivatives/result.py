"""The result object returned with ``full_output=True``."""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, repr=False)
class FDResult:
    """A finite-difference estimate with its error estimate and what it cost.

    Attributes
    ----------
    value : ndarray or float
        The estimate (also available as ``df``).
    error : ndarray or float
        Estimated absolute error per component: from the Richardson tableau (difference of
        same-order estimates at consecutive steps) plus the propagated round-off of f's values.
        Without Richardson levels it covers round-off only.
    step : ndarray
        Per coordinate, the finest step the chosen estimate uses.
    nfev : int
        Evaluations of f.
    method : str
    order : int
        Accuracy order of the base stencil.
    richardson : int
        Number of Richardson levels (1: none).
    """

    value: object
    error: object
    step: np.ndarray
    nfev: int
    method: str
    order: int
    richardson: int

    @property
    def df(self):
        return self.value

    def __repr__(self):
        def short(a):
            return np.array2string(np.asarray(a), precision=6, threshold=8, separator=", ")

        return (
            f"FDResult(value={short(self.value)}, error={short(self.error)}, step={short(self.step)}, "
            f"nfev={self.nfev}, method={self.method!r}, order={self.order}, richardson={self.richardson})"
        )


def finish(value, outcome, opts, full_output):
    if not full_output:
        return value
    error = np.where(np.isfinite(value), outcome.error, np.inf).astype(np.float64)
    return FDResult(value, error, np.asarray(outcome.step, dtype=np.float64), outcome.nfev,
                    opts.method, opts.order, opts.levels)
