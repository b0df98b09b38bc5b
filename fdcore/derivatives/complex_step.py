"""The complex-step method: steps, the complex work copy, error estimate, Hessian.

Complex step: f'(x) = Im f(x + i h) / h + O(h^2) for complex-analytic f, with no difference of
nearby values, so h can be tiny and the result is accurate to round-off (Squire & Trapp 1998;
Martins, Sturdza & Alonso, ACM TOMS 29 (2003) 245-262).
"""

import numpy as np

from fdcore.evaluators import python_callable as _pykernels
from fdcore.derivatives.axis import AxisOutcome
from fdcore.numerics.errors import SINGLE_ESTIMATE_SAFETY, complex_step_error as complex_error  # noqa: F401
from fdcore.numerics.steps import resolve_step
from fdcore.derivatives.validation import read_only_view
from fdcore.evaluators.protocol import Work


def complex_step(step, w):
    """Per-coordinate imaginary step (float64): EPS^2 * max(1, |x_i|) by default."""
    if step is None:
        eps = np.finfo(w.dtype).eps
        return eps * eps * np.maximum(1.0, np.abs(w.astype(np.float64)))
    if isinstance(step, str):
        raise ValueError(f"step must be a positive number or an array for method='complex', got {step!r}")
    h = np.broadcast_to(np.asarray(step, dtype=np.float64), w.shape) if np.ndim(step) == 0 else np.asarray(step, dtype=np.float64)
    if h.shape != w.shape:
        raise ValueError(f"step must be a scalar or have shape {w.shape}, got shape {h.shape}")
    if not np.all(np.isfinite(h)) or not np.all(h > 0):
        raise ValueError("step must be positive and finite")
    return np.ascontiguousarray(h)


def complex_work(work):
    """The complex work copy of x (complex64 for float32 x) and the read-only view f receives."""
    if work.compiled:
        raise TypeError("method='complex' needs a Python callable that computes with complex x, "
                        "not a compiled (double) callback")
    if not hasattr(work.kernels, "complex_step_gradient"):
        raise ValueError("method='complex' evaluates one complex point at a time; it does not "
                         "combine with vectorized= or workers=")
    if work.w_complex is None:
        work.w_complex = work.w.astype(np.complex64 if work.w.dtype == np.float32 else np.complex128)
        work.w_arg_complex = read_only_view(work.w_complex)
    return work.w_complex


def complex_hessian(f, work, step):
    """Central differences (step EPS^(1/3)) of the complex-step gradient, symmetrised.

    Each gradient costs n evaluations and the outer difference 2n gradients: 2 n^2 evaluations.
    The inner derivative has no cancellation, so the error is that of a central *first*
    difference, O(h^2) + O(EPS / h), rather than the O(EPS / h^2) of a second difference.
    """
    complex_work(work)  # refuses compiled callbacks
    n = work.w.shape[0]
    inner = complex_step(None, work.w)

    def complex_gradient(point):
        inner_work = Work(f, point, work.args, work.kwargs)
        g = np.empty(n)
        _pykernels.complex_step_gradient(f, complex_work(inner_work), inner_work.w_arg_complex, inner,
                                         g, work.args, work.kwargs)
        return g

    h = resolve_step(step, work.w, 1, "central")
    jac = _pykernels.two_point_jacobian(complex_gradient, work.w, work.w_arg, h, 1, -1, None, None, (), None)
    H = 0.5 * (jac + jac.T)
    eps = np.finfo(work.w.dtype).eps
    error = np.abs(jac - jac.T) + SINGLE_ESTIMATE_SAFETY * eps * np.abs(H) / np.minimum.outer(h, h)
    return AxisOutcome(H, error, h.astype(np.float64), 2 * n * n)
