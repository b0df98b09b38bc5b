from typing import Any

import numpy as np
from numpy.typing import NDArray

SERIAL_BELOW: int
X_WRITTEN_MESSAGE: str

class CompiledCallback:  # implements fdcore.evaluators.protocol.Evaluator (structurally)
    compiled: bool
    batched: bool
    complex_input: bool
    vector_output: bool
    m: int
    num_threads: int
    stop_requested: bool
    def __init__(self, callback: Any, num_threads: int, x: NDArray[np.float64]) -> None: ...
