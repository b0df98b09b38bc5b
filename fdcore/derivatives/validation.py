"""Input validation shared by the public entry points; every error names the argument."""

import warnings

import numpy as np

from fdcore.evaluators.callbacks import is_compiled_callback
from fdcore.evaluators.points import (
    as_float_array,
    format_indices,
    read_only_view,
    require_memory,
)
from fdcore.evaluators.protocol import call_arguments, check_callable
from fdcore.numerics.arrays import all_finite
from fdcore.numerics.steps import is_adaptive, typical_scale


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


def flag_nonfinite(result, what, index_of=None, stacklevel=3):
    """Replace non-finite entries of ``result`` by NaN and warn naming the coordinates.

    ``index_of`` maps flat positions to the coordinates named in the warning (default: identity);
    ``stacklevel`` points the warning at the user's call (3: flag_nonfinite called by an entry point).
    """
    if result.flags.c_contiguous and result.dtype in (np.float32, np.float64) and all_finite(result.reshape(-1)):
        return result  # the common case, without NumPy's temporaries
    bad = ~np.isfinite(result)
    if not bad.any():
        return result
    result[bad] = np.nan
    coords = np.flatnonzero(bad) if index_of is None else index_of(bad)
    warnings.warn(
        f"f returned NaN or inf at stencil points of coordinates {format_indices(coords)}; "
        f"those {what} entries are NaN",
        RuntimeWarning,
        stacklevel=stacklevel,
    )
    return result


def refuse_compiled(f, entry, name="f"):
    """TypeError naming ``name`` when f is a compiled callback, which ``entry`` cannot evaluate."""
    if is_compiled_callback(f):
        raise TypeError(f"{name} is a compiled callback; {entry} evaluates Python callables (compiled callbacks "
                        "work with gradient, jacobian, hessian, jvp and check_grad)")


# The point and argument checks live with the evaluators (they make the work copy and bind f);
# the entry points and the applications take them from here.
__all__ = ["as_float_array", "call_arguments", "check_callable", "check_out", "check_pattern_values",
           "flag_nonfinite", "is_compiled_callback", "read_only_view", "refuse_compiled", "require_memory"]


def dense_typical_scale(typical_x, x, method, step, bounds=None, sparsity=None):
    """typical_x checked (fdcore.numerics.steps.typical_scale), or ValueError where it meets an
    option whose steps follow other rules."""
    typical = typical_scale(typical_x, x)
    if typical is not None:
        if method == "complex" or is_adaptive(step) or bounds is not None or sparsity is not None:
            raise ValueError("typical_x sets the default steps of the dense real stencils; it does not combine "
                             "with method='complex', step='adaptive', bounds= or sparsity=")
    return typical
