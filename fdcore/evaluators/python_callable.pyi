from typing import Any, Callable

import numpy as np
from numpy.typing import NDArray

_Float = np.float32 | np.float64

def eval_vector(f: Callable[..., Any], x_view: NDArray[Any], extra_args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> NDArray[np.float64]: ...
def two_point_gradient(
    f: Callable[..., Any], x_work: NDArray[_Float], x_view: NDArray[_Float], h: NDArray[_Float],
    plus: int, minus: int, f0: float, out: NDArray[_Float], extra_args: tuple[Any, ...], kwargs: dict[str, Any] | None,
) -> None: ...
def two_point_jacobian(
    f: Callable[..., Any], x_work: NDArray[_Float], x_view: NDArray[_Float], h: NDArray[_Float],
    plus: int, minus: int, f0: NDArray[np.float64] | None, out: NDArray[_Float] | None,
    extra_args: tuple[Any, ...], kwargs: dict[str, Any] | None,
) -> NDArray[_Float]: ...
def hessian(
    f: Callable[..., Any], x_work: NDArray[_Float], x_view: NDArray[_Float], h: NDArray[_Float], sign: int,
    f0: float, out: NDArray[_Float], extra_args: tuple[Any, ...], kwargs: dict[str, Any] | None,
) -> None: ...
def axis_values(
    f: Callable[..., Any], x_work: NDArray[_Float], x_view: NDArray[_Float], h: NDArray[_Float],
    nodes: NDArray[np.float64], coords: NDArray[np.intp], values: NDArray[np.float64],
    offsets: NDArray[np.float64], scalar: bool, extra_args: tuple[Any, ...], kwargs: dict[str, Any] | None,
) -> None: ...
def pair_values(
    f: Callable[..., Any], x_work: NDArray[_Float], x_view: NDArray[_Float], first: NDArray[np.intp],
    first_step: NDArray[np.float64], second: NDArray[np.intp], second_step: NDArray[np.float64],
    values: NDArray[np.float64], extra_args: tuple[Any, ...], kwargs: dict[str, Any] | None,
) -> None: ...
def complex_step_gradient(
    f: Callable[..., Any], x_work: NDArray[np.complex64 | np.complex128], x_view: NDArray[Any],
    h: NDArray[np.float64], out: NDArray[np.float64], extra_args: tuple[Any, ...], kwargs: dict[str, Any] | None,
) -> None: ...
def complex_step_jacobian(
    f: Callable[..., Any], x_work: NDArray[np.complex64 | np.complex128], x_view: NDArray[Any],
    h: NDArray[np.float64], extra_args: tuple[Any, ...], kwargs: dict[str, Any] | None,
) -> NDArray[np.float64]: ...
def fill_points(
    x: NDArray[_Float], first: NDArray[np.intp], first_step: NDArray[np.float64], second: NDArray[np.intp],
    second_step: NDArray[np.float64], start: int, points: NDArray[_Float],
) -> None: ...

class PythonCallable:  # implements fdcore.evaluators.protocol.Evaluator (structurally)
    compiled: bool
    batched: bool
    complex_input: bool
    vector_output: None
    f: Callable[..., Any]
    def __init__(self, f: Callable[..., Any], x: NDArray[Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None) -> None: ...
    def complex_gradient(self, h: NDArray[np.float64], out: NDArray[np.float64]) -> None: ...
    def complex_jacobian(self, h: NDArray[np.float64], f: Callable[..., Any] | None = None) -> NDArray[np.float64]: ...
