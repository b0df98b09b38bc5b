"""Input validation shared by the public entry points; every error names the argument."""

import os
import warnings

import numpy as np

from fdcore.numerics.options import check_method  # noqa: F401  (re-exported for the entry points)
from fdcore.numerics.arrays import all_finite

_REAL_KINDS = "biuf"


def as_float_array(x, name="x", *, ndim=1):
    """A fresh, C-contiguous float32 or float64 copy of ``x`` (never a view of the caller's data).

    float32 stays float32; integers, booleans, float16 and float64 become float64.
    ``ndim=1`` requires a non-empty 1-D array; ``ndim=None`` accepts any shape.
    """
    try:
        arr = np.asarray(x)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be an array of real numbers: {exc}") from None
    if arr.dtype.kind == "c":
        raise TypeError(f"{name} must be real, got complex dtype {arr.dtype}")
    if arr.dtype.kind == "O":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be an array of real numbers, got object dtype") from None
    if arr.dtype.kind not in _REAL_KINDS:
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype}")
    if arr.dtype == np.longdouble and np.longdouble != np.float64:
        raise TypeError(f"{name} has dtype longdouble; fdcore computes in float32 or float64")
    dtype = np.float32 if arr.dtype == np.float32 else np.float64
    if ndim == 1 and arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty")
    nbytes = arr.size * (4 if dtype is np.float32 else 8)
    if exceeds_memory(nbytes):  # a broadcast view (np.broadcast_to) is free, its copy is not
        raise memory_error(nbytes, f"{name} has {arr.size} entries: its {np.dtype(dtype)} copy")
    out = np.array(arr, dtype=dtype, order="C", copy=True)
    if not all_finite(out.reshape(-1)):
        bad = np.flatnonzero(~np.isfinite(out))
        raise ValueError(f"{name} must be finite; non-finite entries at indices {_list(bad)}")
    return out


def _physical_memory():
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not a POSIX system: no limit known
        return None


_PHYSICAL_MEMORY = _physical_memory()


def format_bytes(nbytes):
    """1536 -> '1.5 KiB'."""
    if nbytes < 1024:
        return f"{int(nbytes)} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "ZiB"):
        nbytes /= 1024
        if nbytes < 1024:
            break
    return f"{nbytes:.3g} {unit}"


def exceeds_memory(nbytes):
    """Whether an allocation of nbytes is larger than the machine's physical memory.

    Such arrays are refused before they are allocated: NumPy would try (and, with memory
    overcommit, might even succeed until the pages are touched).
    """
    return _PHYSICAL_MEMORY is not None and nbytes > _PHYSICAL_MEMORY


def memory_error(nbytes, what):
    """The MemoryError for an allocation refused by `exceeds_memory`: what needed how much."""
    return MemoryError(f"{what} needs {format_bytes(nbytes)}, more than this machine's memory "
                       f"({format_bytes(_PHYSICAL_MEMORY)})")


def require_memory(nbytes, what):
    """Raise `memory_error` when `exceeds_memory`."""
    if exceeds_memory(nbytes):
        raise memory_error(nbytes, what)


def check_pattern_values(sparsity, name="sparsity"):
    """A sparsity pattern holds booleans or 0/1 (stored entries of a scipy.sparse matrix included).

    Any other value (2, -1, 0.5, NaN) is more likely a matrix of values passed by mistake than a
    pattern; it is refused rather than silently read as 'nonzero'.
    """
    values = sparsity.tocoo().data if hasattr(sparsity, "tocoo") else sparsity  # scipy.sparse: the stored values
    try:
        values = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a 2-D boolean (0/1) array or a scipy.sparse matrix: {exc}") from None
    if values.dtype.kind == "b":
        return
    if values.dtype.kind not in "iuf":
        raise ValueError(f"{name} must hold booleans or 0/1, got dtype {values.dtype}")
    bad = ~((values == 0) | (values == 1))
    if bad.any():
        raise ValueError(f"{name} must hold booleans or 0/1 (the nonzero pattern), got the value "
                         f"{values[bad].flat[0]!r}")


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


def check_out(out, shape, dtype, name="out"):
    """Return ``out`` after checking it can receive a result of ``shape`` and ``dtype``.

    A ``None`` in ``shape`` accepts any length on that axis (one not known yet).
    """
    if not isinstance(out, np.ndarray):
        raise TypeError(f"{name} must be a NumPy array, got {type(out).__name__}")
    if len(out.shape) != len(shape) or any(s is not None and s != o for s, o in zip(shape, out.shape)):
        wanted = "(" + ", ".join("m" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise ValueError(f"{name} must have shape {wanted}, got {out.shape}")
    if out.dtype != dtype:
        raise ValueError(f"{name} must have dtype {np.dtype(dtype)}, got {out.dtype}")
    if not out.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    return out


def read_only_view(w):
    """A view of the work array that f cannot write through."""
    view = w.view()
    view.flags.writeable = False
    return view


def _list(indices, limit=10):
    shown = ", ".join(str(int(i)) for i in indices[:limit])
    return shown + (f", ... ({len(indices)} in all)" if len(indices) > limit else "")


def flag_nonfinite(result, what, index_of=None):
    """Replace non-finite entries of ``result`` by NaN and warn naming the coordinates.

    ``index_of`` maps flat positions to the coordinates named in the warning (default: identity).
    """
    if result.flags.c_contiguous and result.dtype in (np.float32, np.float64) and all_finite(result.reshape(-1)):
        return result  # the common case, without NumPy's temporaries
    bad = ~np.isfinite(result)
    if not bad.any():
        return result
    result[bad] = np.nan
    coords = np.flatnonzero(bad) if index_of is None else index_of(bad)
    warnings.warn(
        f"f returned NaN or inf at stencil points of coordinates {_list(coords)}; "
        f"those {what} entries are NaN",
        RuntimeWarning,
        stacklevel=3,
    )
    return result
