"""The types of the public API's parameters and results, for annotations (PEP 484) and for users
who annotate their own code (``from fdcore.derivatives.types import Objective``).

The entry points that take ``full_output`` are overloaded on it (``typing.overload``):
``full_output=False`` (the default) gives the array, ``full_output=True`` an `FDResult`. Their
shared keyword options are the `TypedDict` classes below (PEP 692 ``**options:
Unpack[...]``), so each option's type is written once and a misspelled keyword is a type error.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Executor
from typing import Any, Literal, Protocol, TypeAlias, TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

from fdcore.evaluators.callbacks import Callback

# A Python callable ``f(x, *args, **kwargs)`` or a compiled one (see `Callback`; a bare
# LowLevelCallable, ctypes or cffi pointer or numba cfunc is accepted too).
Objective: TypeAlias = Callable[..., Any] | Callback
# Where the result's type follows f's: a scalar f and a vector (1-D array) f.
ScalarFunction: TypeAlias = Callable[..., float]
VectorFunction: TypeAlias = Callable[..., NDArray[Any]]

# Results: float64, or float32 for a float32 x (complex for the complex-valued compat paths).
FloatArray: TypeAlias = NDArray[np.floating[Any]]

Method: TypeAlias = Literal["central", "forward", "backward", "complex"]
RealMethod: TypeAlias = Literal["central", "forward", "backward"]

# The parameters of the checks (check_grad, check_jacobian, check_vjp, check_jvp): a vector, or a
# tree of arrays (nested dicts, lists and tuples; JAX pytrees where JAX is loaded).
Parameters: TypeAlias = ArrayLike | Mapping[Any, Any] | Sequence[Any]

# step=: an absolute step (scalar or per coordinate) or 'adaptive'.
Step: TypeAlias = float | ArrayLike | Literal["adaptive"]
# bounds=: (lb, ub), each a scalar, an (n,) array or None.
Bounds: TypeAlias = tuple[float | ArrayLike | None, float | ArrayLike | None]


class SubmitsWork(Protocol):
    """What ``workers=`` needs of an executor: ``submit`` (concurrent.futures.Executor, a
    dask.distributed.Client)."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any: ...


# workers=: a pool size, an executor or client, or a map(function, iterable).
Workers: TypeAlias = int | Executor | SubmitsWork | Callable[[Callable[[Any], Any], Iterable[Any]], Iterable[Any]]


class DirectionOptions(TypedDict, total=False):
    """The keyword options of `jvp` and `directional_derivative`."""

    step: float | None
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] | None
    num_threads: int | None
    vectorized: bool
    workers: Workers | None


class ProductOptions(TypedDict, total=False):
    """The keyword options of `hvp` (besides full_output)."""

    grad: Any
    step: float | None
    richardson: bool | int
    noise: float | None
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] | None
    num_threads: int | None
    vectorized: bool
    workers: Workers | None


class EvaluationOptions(TypedDict, total=False):
    """How f is called: its extra arguments and the evaluator's options."""

    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] | None
    num_threads: int | None
    vectorized: bool
    workers: Workers | None
    max_batch_bytes: int | None
    progress: bool


class StepOptions(TypedDict, total=False):
    """The stencil, its steps and Richardson extrapolation."""

    order: int | None
    step: Step | None
    typical_x: float | ArrayLike | None
    richardson: bool | int
    step_ratio: float
    noise: float | None


class GradientOptions(StepOptions, EvaluationOptions, total=False):
    """The keyword options of `gradient` and `jacobian` besides full_output (and sparsity)."""

    method: Method
    out: NDArray[Any] | None
    bounds: Bounds | None


class HessianOptions(GradientOptions, total=False):
    """The keyword options of `hessian` besides full_output and sparsity."""

    grad: Objective | None


class DiagonalOptions(StepOptions, EvaluationOptions, total=False):
    """The keyword options of `hessian_diagonal` besides full_output."""

    method: RealMethod


class PartialsOptions(TypedDict, total=False):
    """The keyword options of `partials` besides full_output."""

    method: Method
    order: int | None
    step: Step | None
    richardson: bool | int
    step_ratio: float
    noise: float | ArrayLike | None
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] | None


class DerivativeOptions(PartialsOptions, total=False):
    """The keyword options of `derivative` besides n and full_output."""

    richardson_terms: int | None


# The checks (fdcore.checking); fdcore.testing's assertions pass these options on.
CheckMode: TypeAlias = Literal["auto", "full", "coordinates", "directions", "taylor"]


class RuleCheckOptions(TypedDict, total=False):
    """The keyword options of `check_vjp` and `check_jvp`."""

    k: int
    rtol: float | None
    atol: float | None
    noise: float | None
    seed: int | np.random.Generator | None
    localize: bool
    min_block: int
    args: tuple[Any, ...]
    kwargs: Mapping[str, Any] | None
    num_threads: int | None
    workers: Workers | None
    progress: bool


class CheckOptions(RuleCheckOptions, total=False):
    """The keyword options of `check_grad` and `check_jacobian`."""

    mode: CheckMode
    vectorized: bool
