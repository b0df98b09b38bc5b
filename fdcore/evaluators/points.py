"""The private work copy of x that evaluators perturb, the read-only views f receives, and the
refusal of arrays that cannot fit in memory."""

import os

import numpy as np

from fdcore.numerics.arrays import all_finite

_REAL_KINDS = "biuf"


def as_float_array(x, name="x", *, ndim=1):
    """A fresh, C-contiguous float32 or float64 copy of ``x`` (never a view of the caller's data).

    float32 stays float32; integers, booleans, float16 and float64 become float64.
    ``ndim=1`` requires a non-empty 1-D array; ``ndim=None`` accepts any shape.
    """
    refuse_masked(x, name)
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
    dtype = work_dtype(arr.dtype)
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
        raise ValueError(f"{name} must be finite; non-finite entries at indices {format_indices(bad)}")
    return out


def work_dtype(dtype):
    """The dtype of the work copy of an x of this dtype: float32 for float32 of either byte order,
    float64 for every other real dtype."""
    return np.dtype(np.float32) if dtype.kind == "f" and dtype.itemsize == 4 else np.dtype(np.float64)


def refuse_masked(x, name="x"):
    """ValueError naming ``name`` for a masked array with masked entries: np.asarray would drop the
    mask silently and differentiate the masked data."""
    if np.ma.isMaskedArray(x) and np.ma.getmaskarray(x).any():
        masked = int(np.ma.getmaskarray(x).sum())
        raise ValueError(f"{name} is a masked array with {masked} masked entries; fdcore needs every value "
                         f"(pass {name}.filled(...) or the data)")


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


def read_only_view(w):
    """A view of the work array that f cannot write through, nor make writeable: its memory
    comes through a read-only buffer, so ``view.flags.writeable = True`` raises ValueError (a
    plain read-only view of a writeable array can be switched back, and an f that did so and
    wrote would corrupt the stencil). A non-contiguous w gets a plain read-only view."""
    if w.flags.c_contiguous:
        return np.frombuffer(memoryview(w).toreadonly(), dtype=w.dtype).reshape(w.shape)
    view = w.view()
    view.flags.writeable = False
    return view


def format_indices(indices, limit=10):
    shown = ", ".join(str(int(i)) for i in indices[:limit])
    return shown + (f", ... ({len(indices)} in all)" if len(indices) > limit else "")
