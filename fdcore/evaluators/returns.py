"""Validation of the values a user's f returns (the kernels' slow path).

The kernels convert a Python float (or NumPy float64) inline; anything else comes here, once per
evaluation, so that an f returning the wrong kind of value gets an error that says what was expected.
"""

import contextvars

import numpy as np


class FunctionValueError(TypeError, ValueError):
    """f returned the wrong kind of value (None, a string, complex, the wrong shape, ...).

    One type for every such error, whichever evaluator met it; it is both a TypeError and a
    ValueError so that ``except TypeError`` (a wrong kind) and ``except ValueError`` (a wrong
    shape) both catch it.
    """


def _describe(value):
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r:.60}"


class PrecisionWatch:
    """The narrowest floating dtype among f's values during one derivative (None: none narrower
    than float64), as `note_precision` saw them."""

    __slots__ = ("dtype",)

    def __init__(self):
        self.dtype = None


_WATCH = contextvars.ContextVar("fdcore_value_precision", default=None)


class watch_precision:
    """Context manager: collect, in a `PrecisionWatch`, the precision of f's values validated in
    this context (the serial kernels; the workers= batches report what their workers saw, see
    fdcore.evaluators.workers). A class, not a generator: it wraps every call of the entry points."""

    __slots__ = ("token",)

    def __enter__(self):
        watch = PrecisionWatch()
        self.token = _WATCH.set(watch)
        return watch

    def __exit__(self, *exc_info):
        _WATCH.reset(self.token)


def note_precision(value):
    """Record in the current `PrecisionWatch` a value of f computed in a floating dtype narrower than
    float64 (np.float32 scalars, float32 arrays): float64 steps and error bounds do not fit it."""
    note_dtype(getattr(value, "dtype", None))


def note_dtype(dtype):
    """`note_precision` of a value of this dtype (None: not a NumPy value), e.g. the narrowest one a
    worker saw."""
    if dtype is not None and dtype.kind == "f" and dtype.itemsize < 8:
        watch = _WATCH.get()
        if watch is not None and (watch.dtype is None or dtype.itemsize < watch.dtype.itemsize):
            watch.dtype = dtype


def scalar_from_result(value):
    """Return ``float(value)`` if f's value is a real scalar, else raise naming f."""
    note_precision(value)
    if isinstance(value, (str, bytes)) or value is None:
        raise FunctionValueError(f"f must return a real scalar, got {_describe(value)}")
    if isinstance(value, (complex, np.complexfloating)) or (
        isinstance(value, np.ndarray) and np.iscomplexobj(value)
    ):
        raise FunctionValueError(f"f must return a real scalar, got complex value {_describe(value)}")
    if np.ndim(value) != 0:
        raise FunctionValueError(
            f"f must return a scalar, got {_describe(np.asarray(value))}; "
            "use fdcore.jacobian for vector-valued functions"
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise FunctionValueError(f"f must return a real scalar, got {_describe(value)}") from None


def vector_from_result(value, m, where):
    """Return f's value as a contiguous float64 array of length ``m`` (``m < 0``: any length).

    ``where`` says which evaluation produced the value, for the error message.
    """
    if value is None or isinstance(value, (str, bytes)):
        raise FunctionValueError(f"f must return a 1-D array of reals, got {_describe(value)} {where}")
    arr = np.asarray(value)
    note_precision(arr)
    if arr.ndim == 0:
        raise FunctionValueError(
            f"f must return a 1-D array, got a scalar {where}; use fdcore.gradient for scalar functions"
        )
    if arr.ndim != 1:
        raise FunctionValueError(f"f must return a 1-D array, got shape {arr.shape} {where}")
    if np.iscomplexobj(arr):
        raise FunctionValueError(f"f must return real values, got dtype {arr.dtype} {where}")
    if arr.dtype.kind == "O":  # a list like [x0, None]: float() would turn None into NaN silently
        for k, item in enumerate(arr):
            if item is None or isinstance(item, (str, bytes)):
                raise FunctionValueError(f"f must return a 1-D array of reals, got {_describe(item)} at "
                                         f"index {k} {where}")
    if m >= 0 and arr.shape[0] != m:
        raise FunctionValueError(
            f"f returned shape {arr.shape} {where}, but shape ({m},) at its first evaluation"
        )
    try:
        return np.ascontiguousarray(arr, dtype=np.float64)
    except (TypeError, ValueError):
        raise FunctionValueError(f"f must return a 1-D array of reals, got dtype {arr.dtype} {where}") from None


_COMPLEX_HINT = "method='complex' needs an f that computes with complex x (complex-analytic)"


def imag_from_result(value, i):
    """Imaginary part of f's scalar value at the complex-step point of coordinate i."""
    arr = np.asarray(value)
    if arr.ndim != 0:
        raise FunctionValueError(f"f must return a scalar, got {_describe(arr)} when perturbing coordinate {i}")
    if arr.dtype.kind != "c":
        raise FunctionValueError(
            f"f returned a real value ({_describe(value)}) for complex input at coordinate {i}; "
            f"{_COMPLEX_HINT} (did it take abs(), .real, or convert to float?)"
        )
    return float(arr.imag)


def imag_vector_from_result(value, m, i):
    """Imaginary part of f's vector value (length m) at the complex-step point of coordinate i."""
    arr = np.asarray(value)
    where = f"when perturbing coordinate {i}"
    if arr.ndim != 1 or (m >= 0 and arr.shape[0] != m):
        raise FunctionValueError(f"f must return an array of shape ({m},), got {_describe(arr)} {where}")
    if arr.dtype.kind != "c":
        raise FunctionValueError(f"f returned real values (dtype {arr.dtype}) for complex input {where}; {_COMPLEX_HINT}")
    return np.ascontiguousarray(arr.imag, dtype=np.float64)
