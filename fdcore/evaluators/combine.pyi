import numpy as np
from numpy.typing import NDArray

def two_point_quotients(f_plus: NDArray[np.float64], f_minus: NDArray[np.float64], x_plus: NDArray[np.float64],
                        x_minus: NDArray[np.float64], out: NDArray[np.float64]) -> None: ...
def hessian_entries(sign: int, f0: float, f1: NDArray[np.float64], f2: NDArray[np.float64], o1: NDArray[np.float64],
                    o2: NDArray[np.float64], rows: NDArray[np.intp], cols: NDArray[np.intp],
                    f_pair: NDArray[np.float64], f_pair2: NDArray[np.float64], diagonal: NDArray[np.float64],
                    pairs: NDArray[np.float64]) -> None: ...
