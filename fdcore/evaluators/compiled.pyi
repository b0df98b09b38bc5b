from typing import Any

import numpy as np
from numpy.typing import NDArray

from fdcore.evaluators.protocol import Evaluator

SERIAL_BELOW: int
X_WRITTEN_MESSAGE: str

class CompiledCallback(Evaluator):
    compiled: bool
    batched: bool
    complex_input: bool
    vector_output: bool
    m: int
    num_threads: int
    stop_requested: bool
    def __init__(self, callback: Any, num_threads: int, x: NDArray[np.float64]) -> None: ...
