"""The Evaluator protocol: what the façade may ask of any kind of objective, and `make_evaluator`.

An evaluator is made once per call, with f, its extra arguments and the private work copy ``x``
of the point bound; its methods take only what varies (steps, stencil nodes, coordinates, output
arrays). It either returns raw values of f for the numerics to combine (``axis_values``), or,
where a fixed weighted sum can be accumulated on the fly, finished numbers (the two-point
differences and the Hessian stencils), so that memory stays O(n).

Kinds (one class each): `PythonCallable` (fdcore.evaluators.python_callable: GIL held, in-place
perturbation), `CompiledCallback` (fdcore.evaluators.compiled: nogil, OpenMP) and `Batched`
(fdcore.evaluators.batched: vectorized f or workers). What a kind can do is stated by its
capability attributes, never probed with ``hasattr``.
"""

from typing import Any, Protocol, Sequence

import numpy as np

from fdcore.evaluators.callbacks import ExceptionsFromPythonBody, as_callback
from fdcore.evaluators.compiled import CompiledCallback
from fdcore.evaluators.points import as_float_array
from fdcore.evaluators.python_callable import PythonCallable


class Evaluator(Protocol):
    """Evaluates f at the stencil points of a plan around the work copy ``x``.

    Capabilities
    ------------
    compiled : bool
        A compiled callback: float64 only, no extra arguments, kernels run without the GIL.
    batched : bool
        Points are evaluated in batches (vectorized f, workers).
    complex_input : bool
        f can be evaluated at complex points (``complex_gradient`` / ``complex_jacobian``).
    vector_output : bool or None
        Whether f returns vectors; None when that is known only once f has been called.
    """

    compiled: bool
    batched: bool
    complex_input: bool
    vector_output: bool | None
    x: np.ndarray  # the private work copy of the point (perturbed in place and restored)
    x_view: np.ndarray  # the read-only view of x that f receives
    args: tuple
    kwargs: dict | None

    def scalar(self, point: np.ndarray | None = None) -> float:
        """f at ``point`` (default x) as a real scalar, or FunctionValueError."""

    def vector(self, point: np.ndarray | None = None) -> np.ndarray:
        """f at ``point`` (default x) as a new float64 array of shape (m,), or FunctionValueError."""

    def raw_values(self, points: Sequence[np.ndarray]) -> list[np.ndarray]:
        """f's values at the points, unvalidated (scalar or vector f), each a new array."""

    def two_point_gradient(self, h: np.ndarray, plus: int, minus: int, f0: float, out: np.ndarray) -> None:
        """out[i] = (f(x + plus h_i e_i) - f(x + minus h_i e_i)) / realized span; a node 0 uses f0."""

    def two_point_jacobian(self, h: np.ndarray, plus: int, minus: int, f0: np.ndarray | None,
                           out: np.ndarray | None) -> np.ndarray:
        """The (m, n) Jacobian by the same stencil; f0 is f(x) (needed when a node is 0) or None."""

    def axis_values(self, h: np.ndarray, nodes: np.ndarray, coords: np.ndarray, values: np.ndarray,
                    offsets: np.ndarray) -> None:
        """values[b, k] = f(x + nodes[k] h_i e_i), offsets[b, k] = realized offset, i = coords[b]."""

    def axis_values_vector(self, h: np.ndarray, nodes: np.ndarray, coords: np.ndarray, values: np.ndarray,
                           offsets: np.ndarray) -> None:
        """values[b, k, :] for a vector f; see axis_values."""

    def pair_values(self, first: np.ndarray, first_step: np.ndarray, second: np.ndarray,
                    second_step: np.ndarray, values: np.ndarray) -> None:
        """values[k] = f(x + first_step[k] e_i + second_step[k] e_j) for a scalar f, i = first[k],
        j = second[k] (j < 0: the axis point x + first_step[k] e_i); the steps are added in x's dtype."""

    def hessian(self, h: np.ndarray, sign: int, f0: float, out: np.ndarray) -> None:
        """The Hessian stencil into out (n, n): sign 0 central (n^2 + n evaluations), +1 / -1
        forward / backward (n(n + 1)/2 + n); f0 = f(x)."""


class BatchOptions:
    """vectorized= / workers= / max_batch_bytes= / progress= of an entry point."""

    __slots__ = ("vectorized", "workers", "max_batch_bytes", "progress")

    def __init__(self, vectorized=False, workers=None, max_batch_bytes=None, progress=False):
        if vectorized and workers is not None:
            raise ValueError("vectorized=True and workers= do not combine: a vectorized f already "
                             "evaluates whole batches")
        self.vectorized, self.workers = bool(vectorized), workers
        self.max_batch_bytes, self.progress = max_batch_bytes, progress

    @property
    def active(self):
        return self.vectorized or self.workers is not None

    def batch_caller(self, f, args, kwargs):
        """call_batch(points (n, k)) -> values (k,) or (m, k) for this f."""
        from fdcore.evaluators.workers import batch_caller

        if self.vectorized:
            kw = kwargs or {}
            return lambda points: f(points, *args, **kw)
        return batch_caller(f, args, kwargs, self.workers)


def check_callable(f, name="f"):
    if not callable(f):
        raise TypeError(f"{name} must be callable, got {type(f).__name__}")


def call_arguments(args, kwargs):
    """(extra positional args as a tuple, keyword args as a dict or None)."""
    if not isinstance(args, tuple):
        if isinstance(args, (str, bytes)) or not hasattr(args, "__iter__"):
            raise TypeError(f"args must be a tuple of extra positional arguments, got {type(args).__name__}")
        args = tuple(args)
    if kwargs is not None:
        if not isinstance(kwargs, dict):
            raise TypeError(f"kwargs must be a dict, got {type(kwargs).__name__}")
        kwargs = kwargs or None
    return args, kwargs


def make_evaluator(f: Any, x: Any, args: Any = (), kwargs: Any = None, num_threads: Any = None,
                   batch: BatchOptions | None = None) -> Evaluator:
    """The evaluator for f at a private float copy of x (x itself is never written).

    f is a Python callable or a compiled callback (see `Callback`); ``batch`` selects vectorized
    or workers evaluation. The arguments are checked in this order, each error naming its
    argument: num_threads and the callback, f, args / kwargs, the batch options, then x.
    """
    callback = as_callback(f, num_threads)
    if callback is None:
        check_callable(f)
    args, kwargs = call_arguments(args, kwargs)
    call_batch = None
    if batch is not None and batch.active:
        if callback is not None:
            raise TypeError("vectorized= and workers= are for Python callables; a compiled callback "
                            "is evaluated by the nogil kernels (see num_threads=)")
        from fdcore.evaluators.batched import Batched, check_batch_bytes

        call_batch = batch.batch_caller(f, args, kwargs)
        budget = check_batch_bytes(batch.max_batch_bytes)
    work_copy = as_float_array(x)
    if callback is not None:
        if args or kwargs:
            raise TypeError("args and kwargs cannot be passed to a compiled callback; use its user_data")
        evaluator = CompiledCallback(callback, int(num_threads or 0), work_copy.astype("float64", copy=False))
        return ExceptionsFromPythonBody(evaluator) if callback.python_body else evaluator
    if call_batch is not None:
        from fdcore.evaluators.progress import progress_reporter

        return Batched(call_batch, work_copy, args, kwargs, budget, progress_reporter(batch.progress))
    if batch is not None and batch.progress:
        from fdcore.evaluators.progress import counting

        f = counting(f, batch.progress)
    return PythonCallable(f, work_copy, args, kwargs)


__all__ = ["BatchOptions", "Evaluator", "call_arguments", "check_callable", "make_evaluator"]
