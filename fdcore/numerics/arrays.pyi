
import numpy as np
from numpy.typing import NDArray

_Float = np.float32 | np.float64

def all_finite(a: NDArray[_Float]) -> bool: ...
def scaled_steps(x: NDArray[_Float], scale: float, out: NDArray[_Float]) -> None: ...
