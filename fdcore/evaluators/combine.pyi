import numpy as np
from numpy.typing import NDArray

def two_point_quotients(f_plus: NDArray[np.float64], f_minus: NDArray[np.float64], x_plus: NDArray[np.float64],
                        x_minus: NDArray[np.float64], out: NDArray[np.float64]) -> None: ...
def central_hessian_entries(f0: float, f_p: NDArray[np.float64], f_q: NDArray[np.float64], p: NDArray[np.float64],
                            q: NDArray[np.float64], rows: NDArray[np.intp], cols: NDArray[np.intp],
                            f_pp: NDArray[np.float64], f_qq: NDArray[np.float64], diagonal: NDArray[np.float64],
                            pairs: NDArray[np.float64]) -> None: ...
def one_sided_hessian_entries(f0: float, f_d: NDArray[np.float64], f_2: NDArray[np.float64], d: NDArray[np.float64],
                              e: NDArray[np.float64], rows: NDArray[np.intp], cols: NDArray[np.intp],
                              f_dd: NDArray[np.float64], diagonal: NDArray[np.float64],
                              pairs: NDArray[np.float64]) -> None: ...
