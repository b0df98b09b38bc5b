import numpy as np
from numpy.typing import NDArray

def greedy_coloring(indptr: NDArray[np.intp], indices: NDArray[np.intp], order: NDArray[np.intp]) -> NDArray[np.intp]: ...
