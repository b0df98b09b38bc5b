"""The complex-step method: steps, the evaluator check, error estimate, Hessian.

Complex step: f'(x) = Im f(x + i h) / h + O(h^2) for complex-analytic f, with no difference of
nearby values, so h can be tiny and the result is accurate to round-off (Squire & Trapp 1998;
Martins, Sturdza & Alonso, ACM TOMS 29 (2003) 245-262).
"""

import numpy as np

from fdcore.derivatives.axis import AxisOutcome
from fdcore.evaluators.protocol import make_evaluator
from fdcore.numerics.errors import SINGLE_ESTIMATE_SAFETY  # noqa: F401
from fdcore.numerics.steps import complex_step, resolve_step


def require_complex_input(evaluator):
    """TypeError / ValueError unless the evaluator can evaluate f at complex points."""
    if evaluator.compiled:
        raise TypeError("method='complex' needs a Python callable that computes with complex x, "
                        "not a compiled (double) callback")
    if not evaluator.complex_input:
        raise ValueError("method='complex' evaluates one complex point at a time; it does not "
                         "combine with vectorized= or workers=")


def require_real_on_the_real_axis(values, where="f(x)"):
    """ValueError unless ``values`` (f at real points, evaluated as complex ones) are real: the
    complex step takes Im f(x + i h) / h, which for an f that is complex for real x is
    Im f(x) / h, ~1e30 for the tiny steps used, not a derivative."""
    values = np.asarray(values)
    if values.dtype.kind == "c" and np.any(values.imag != 0):
        bad = np.flatnonzero(np.ravel(values.imag) != 0)
        raise ValueError(f"method='complex' needs an f that is real for real x; {where} has a nonzero imaginary "
                         f"part (at {bad.size} of {values.size} outputs), so Im f(x + ih)/h is not a derivative")


def check_real_at_x(evaluator):
    """One evaluation of f at x, as a complex point (f gets complex input, as in the step), checked
    by `require_real_on_the_real_axis`."""
    complex_dtype = np.complex64 if evaluator.x.dtype == np.float32 else np.complex128
    (value,) = evaluator.raw_values([evaluator.x.astype(complex_dtype)])
    require_real_on_the_real_axis(value)


def complex_hessian(evaluator, step):
    """Central differences (step EPS^(1/3)) of the complex-step gradient, symmetrised.

    Each gradient costs n evaluations and the outer difference 2n gradients: 2 n^2 evaluations,
    plus one of f at x (`check_real_at_x`).
    The inner derivative has no cancellation, so the error is that of a central *first*
    difference, O(h^2) + O(EPS / h), rather than the O(EPS / h^2) of a second difference.
    """
    require_complex_input(evaluator)
    check_real_at_x(evaluator)
    n = evaluator.x.shape[0]
    inner = complex_step(None, evaluator.x)

    def complex_gradient(point):
        g = np.empty(n)
        make_evaluator(evaluator.f, point, evaluator.args, evaluator.kwargs).complex_gradient(inner, g)
        return g

    h = resolve_step(step, evaluator.x, 1, "central")
    jac = make_evaluator(complex_gradient, evaluator.x).two_point_jacobian(h, 1, -1, None, None)
    H = 0.5 * (jac + jac.T)
    eps = np.finfo(evaluator.x.dtype).eps
    error = np.abs(jac - jac.T) + SINGLE_ESTIMATE_SAFETY * eps * np.abs(H) / np.minimum.outer(h, h)
    return AxisOutcome(H, error, h.astype(np.float64), 2 * n * n + 1)
