"""Input validation shared by the public entry points; every error names the argument."""

import functools
import sys
import warnings
from collections.abc import Callable
from typing import Any, TypeVar, cast

import numpy as np

from fdcore.evaluators.callbacks import is_compiled_callback
from fdcore.evaluators.points import (
    as_float_array,
    format_indices,
    read_only_view,
    refuse_masked,
    require_memory,
    work_dtype,
)
from fdcore.evaluators.protocol import call_arguments, check_callable
from fdcore.evaluators.returns import note_precision, watch_precision
from fdcore.numerics.arrays import all_finite
from fdcore.numerics.steps import is_adaptive, typical_scale

# An entry point decorated by checks_value_precision: its type is kept.
Entry = TypeVar("Entry", bound=Callable[..., Any])


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


def flag_nonfinite(result, what, index_of=None, finite_values=None):
    """Replace non-finite entries of ``result`` by NaN and warn naming the coordinates.

    ``index_of`` maps flat positions to the coordinates named in the warning (default: identity);
    the warning points at the user's call (`user_stacklevel`).
    ``finite_values`` (result's shape, optional): where f's values were all finite, so that a
    non-finite entry there is a derivative beyond the largest float, not a NaN or inf of f.
    """
    if result.flags.c_contiguous and result.dtype in (np.float32, np.float64) and all_finite(result.reshape(-1)):
        return result  # the common case, without NumPy's temporaries
    bad = ~np.isfinite(result)
    if not bad.any():
        return result
    result[bad] = np.nan
    overflowed = bad & finite_values if finite_values is not None else np.zeros_like(bad)
    coords = (lambda mask: np.flatnonzero(mask)) if index_of is None else index_of
    causes = []
    if (bad & ~overflowed).any():
        causes.append(f"f returned NaN or inf at stencil points of coordinates {format_indices(coords(bad & ~overflowed))}")
    if overflowed.any():
        causes.append(f"the derivative exceeds the largest {result.dtype} number at coordinates "
                      f"{format_indices(coords(overflowed))} (f's values there are finite)")
    warnings.warn(f"{'; '.join(causes)}; those {what} entries are NaN", RuntimeWarning, stacklevel=user_stacklevel())
    return result


# The public entry points that evaluate compiled callbacks (tests/test_robustness.py: ``compiled=True``).
COMPILED_ENTRY_POINTS = ("gradient, jacobian, hessian, jvp, directional_derivative, hvp, linearize, "
                         "classify_critical_point, check_grad and check_jacobian")


def checks_value_precision(entry: Entry) -> Entry:
    """Decorator of an entry point: a RuntimeWarning when, at its default steps, f's values came in
    a floating dtype narrower than the one the derivative is computed in (np.float32 from f at a
    float64 x): those steps and the error model assume the point's precision, and float32
    round-off over a float64-sized step costs ~1e-2 relative at the central default
    (fdcore.evaluators.returns.note_precision sees the values). A step the user gives is theirs."""

    @functools.wraps(entry)
    def checked(*args, **kwargs):
        with watch_precision() as watch:
            result = entry(*args, **kwargs)
        step = kwargs.get("step")
        if watch.dtype is not None and (step is None or isinstance(step, str)):
            computed = work_dtype(np.asarray(args[1] if len(args) > 1 else kwargs["x"]).dtype)  # entries: (f, x, ...)
            if np.finfo(watch.dtype).eps > np.finfo(computed).eps:
                warnings.warn(f"f returned {watch.dtype} values at a {computed} x: the default steps and error "
                              f"bounds assume {computed} round-off, and {watch.dtype}'s over those steps costs up "
                              f"to ~1e-2 relative (default central difference); pass x as {watch.dtype} (steps "
                              f"sized for it) or have f return {computed}", RuntimeWarning, stacklevel=user_stacklevel())
        return result

    return cast(Entry, checked)


def watched(f, vectorized):
    """f, or for a vectorized f a wrapper showing its values to note_precision (the batched
    evaluator converts them to float64 unseen); compiled callbacks and non-callables stay as they
    are, for make_evaluator to check."""
    if not vectorized or not callable(f) or is_compiled_callback(f):
        return f

    def vectorized_f(*args, **kwargs):
        values = f(*args, **kwargs)
        note_precision(values)
        return values

    return vectorized_f


def user_stacklevel():
    """The warnings stacklevel of the first frame outside fdcore, seen from the caller of this function."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "fdcore":
        frame, level = frame.f_back, level + 1
    return level


def refuse_compiled(f, entry, name="f"):
    """TypeError naming ``name`` when f is a compiled callback, which ``entry`` cannot evaluate."""
    if is_compiled_callback(f):
        raise TypeError(f"{name} is a compiled callback; {entry} evaluates Python callables (compiled callbacks "
                        f"work with {COMPILED_ENTRY_POINTS})")


# The point and argument checks live with the evaluators (they make the work copy and bind f);
# the entry points and the applications take them from here.
__all__ = ["as_float_array", "call_arguments", "check_callable", "check_out", "check_pattern_values",
           "flag_nonfinite", "is_compiled_callback", "read_only_view", "refuse_compiled", "refuse_masked",
           "require_memory"]


def dense_typical_scale(typical_x, x, method, step, bounds=None, sparsity=None):
    """typical_x checked (fdcore.numerics.steps.typical_scale), or ValueError where it meets an
    option whose steps follow other rules."""
    typical = typical_scale(typical_x, x)
    if typical is not None:
        if method == "complex" or is_adaptive(step) or bounds is not None or sparsity is not None:
            raise ValueError("typical_x sets the default steps of the dense real stencils; it does not combine "
                             "with method='complex', step='adaptive', bounds= or sparsity=")
    return typical
