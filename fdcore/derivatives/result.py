"""The result object returned with ``full_output=True``."""

from dataclasses import dataclass
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

# The type of the estimate: an ndarray, or a NumPy scalar (`derivative` at a scalar x).
Value = TypeVar("Value")


@dataclass(frozen=True, repr=False)
class FDResult(Generic[Value]):
    """A finite-difference estimate with its error estimate and what it cost.

    Attributes
    ----------
    value : ndarray or NumPy scalar
        The estimate (also available as ``df``). ``FDResult[T]`` says its type, e.g.
        ``FDResult[numpy.ndarray]`` from `gradient`.
    error : ndarray or NumPy scalar
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

    value: Value
    error: Value
    step: NDArray[np.float64]
    nfev: int
    method: str
    order: int
    richardson: int

    @property
    def df(self) -> Value:
        return self.value

    def __repr__(self) -> str:
        def short(a: object) -> str:
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
