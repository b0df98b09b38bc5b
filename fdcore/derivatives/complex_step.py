"""The complex-step method: steps, the evaluator check, error estimate, Hessian.

Complex step: f'(x) = Im f(x + i h) / h + O(h^2) for complex-analytic f, with no difference of
nearby values, so h can be tiny and the result is accurate to round-off (Squire & Trapp 1998;
Martins, Sturdza & Alonso, ACM TOMS 29 (2003) 245-262).
"""

import warnings

import numpy as np

from fdcore.derivatives.axis import AxisOutcome
from fdcore.derivatives.validation import user_stacklevel
from fdcore.evaluators.points import format_indices
from fdcore.evaluators.protocol import make_evaluator
from fdcore.evaluators.returns import imag_from_result, imag_vector_from_result
from fdcore.numerics.errors import complex_step_error, complex_step_underflow
from fdcore.numerics.richardson import Tableau, extrapolate
from fdcore.numerics.steps import complex_retry_step, complex_step, resolve_step


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
    by `require_real_on_the_real_axis`; returns f(x) (its real part, as a float64 array)."""
    (value,) = evaluator.raw_values([evaluator.x.astype(_complex_dtype(evaluator.x))])
    require_real_on_the_real_axis(value)
    return np.real(value).astype(np.float64)


def _complex_dtype(x):
    return np.complex64 if x.dtype == np.float32 else np.complex128


def complex_step_derivative(evaluator, h, vector):
    """The complex-step gradient (n,) or Jacobian (m, n) at the imaginary steps h (f at x first,
    `check_real_at_x`), coordinates whose imaginary parts underflow computed again at larger
    steps (`retry_underflow`). Returns an AxisOutcome."""
    f_x = check_real_at_x(evaluator)
    x = evaluator.x
    n = x.shape[0]
    if vector:
        value = evaluator.complex_jacobian(h)
        f_x = f_x.reshape(-1, 1)
    else:
        value = np.empty(n)
        evaluator.complex_gradient(h, value)

    value, h, nfev, still = retry_underflow(value, h, f_x, x, imaginary_parts(evaluator, vector, value.shape[0]))
    warn_still_subnormal(still, x)
    return AxisOutcome(value, complex_step_error(value, h, x.dtype), h, n + 1 + nfev)


def imaginary_parts(evaluator, vector, m):
    """``evaluate(coords, steps)`` -> (Im f(x + i steps_k e_k) for k in coords, evaluations): the
    imaginary parts (coordinates on the last axis; (m, len(coords)) for a vector f) at the
    evaluator's x, one point each (`retry_underflow`'s evaluate)."""
    x = evaluator.x

    def evaluate(coords, steps):
        points = []
        for i, step in zip(coords, steps):
            point = x.astype(_complex_dtype(x))
            point[i] += 1j * step
            points.append(point)
        values = evaluator.raw_values(points)
        if vector:
            columns = [imag_vector_from_result(v, m, i) for v, i in zip(values, coords)]
            return np.stack(columns, axis=1), len(coords)
        return np.array([imag_from_result(v, i) for v, i in zip(values, coords)]), len(coords)

    return evaluate


def retry_underflow(value, h, f_x, x, evaluate):
    """Complex-step derivatives ``value`` = Im f(x + i h) / h (coordinates on the last axis), with
    the entries whose imaginary parts may have underflowed (fdcore.numerics.errors.
    complex_step_underflow: 1e-295 x^2 at x = 1 has Im f = 1e-326 -> 0 at the default step)
    computed again at fdcore.numerics.steps.complex_retry_step. ``evaluate``: see
    `imaginary_parts`. Returns (value, h per coordinate, evaluations, the coordinates whose
    imaginary parts are still subnormal at the larger step: precision lost, see
    `warn_still_subnormal`); value and h are updated copies."""
    lost = complex_step_underflow(value * h, h, f_x, x, x.dtype)
    coords = np.flatnonzero(lost.any(axis=0) if lost.ndim == 2 else lost)
    if not coords.size:
        return value, h, 0, coords
    steps = complex_retry_step(x)[coords]
    again, nfev = evaluate(coords, steps)
    value, h = value.copy(), np.array(h, dtype=np.float64)
    value[..., coords] = np.where(lost[..., coords], again / steps, value[..., coords])
    h[coords] = steps
    magnitude = np.abs(again)
    subnormal = lost[..., coords] & (magnitude > 0) & (magnitude < np.finfo(x.dtype).tiny)
    return value, h, nfev, coords[subnormal.any(axis=0) if subnormal.ndim == 2 else subnormal]


def warn_still_subnormal(coords, x, where=""):
    """The RuntimeWarning for `retry_underflow`'s coordinates whose imaginary parts stayed
    subnormal (``where``: what the derivatives are of, e.g. "the inner gradients' ")."""
    if not len(coords):
        return
    steps = complex_retry_step(x)[coords]
    warnings.warn(f"method='complex': Im f(x + ih) is subnormal at {where}coordinates {format_indices(coords)} even "
                  f"at the larger step EPS^(1/2) max(1, |x_i|): those derivatives are below "
                  f"~{float(np.finfo(x.dtype).tiny / steps.max()):.2g} and lose precision to underflow",
                  RuntimeWarning, stacklevel=user_stacklevel())


def complex_hessian(evaluator, step, levels=1, ratio=2.0):
    """Central differences (step EPS^(1/3)) of the complex-step gradient, symmetrised.

    Each gradient costs n evaluations and the outer difference 2n gradients: 2 n^2 evaluations
    per Richardson level, plus one of f at x (`check_real_at_x`).
    The inner derivative has no cancellation, so the error is that of a central *first*
    difference, O(h^2) + O(EPS / h), rather than the O(EPS / h^2) of a second difference. With
    levels > 1 the outer differences at h, h/r, ... are extrapolated (powers 2, 4, ...), and
    their truncation enters the error estimate; one level has only its round-off and the
    asymmetry |J - J^T|.
    """
    require_complex_input(evaluator)
    f_x = check_real_at_x(evaluator)
    n = evaluator.x.shape[0]
    inner = complex_step(None, evaluator.x)
    retried, still = [0], set()

    def complex_gradient(point):
        """The complex-step gradient at point, with `retry_underflow` (f(x) stands for f's
        magnitude at the nearby point)."""
        at_point = make_evaluator(evaluator.f, point, evaluator.args, evaluator.kwargs)
        g = np.empty(n)
        at_point.complex_gradient(inner, g)
        g, _, nfev, subnormal = retry_underflow(g, inner, f_x, at_point.x, imaginary_parts(at_point, False, None))
        retried[0] += nfev
        still.update(subnormal.tolist())
        return g

    h = resolve_step(step, evaluator.x, 1, "central", levels=levels, ratio=ratio)
    outer = make_evaluator(complex_gradient, evaluator.x)
    eps = np.finfo(evaluator.x.dtype).eps
    estimates, roundoff, asymmetry = (np.empty((n * n, levels)) for _ in range(3))
    for level in range(levels):
        h_level = (h / evaluator.x.dtype.type(ratio**level)).astype(evaluator.x.dtype)
        jac = outer.two_point_jacobian(h_level, 1, -1, None, None)
        estimates[:, level] = (0.5 * (jac + jac.T)).reshape(-1)
        roundoff[:, level] = (eps * np.abs(estimates[:, level].reshape(n, n)) / np.minimum.outer(h_level, h_level)).reshape(-1)
        asymmetry[:, level] = np.abs(jac - jac.T).reshape(-1)
    H, error, level = extrapolate(estimates, roundoff, Tableau(2, ratio, 2), select=levels > 1)
    error = error + np.take_along_axis(asymmetry, level[:, None], axis=1)[:, 0]
    used = h.astype(np.float64) * ratio ** -level.reshape(n, n).max(axis=1).astype(np.float64)
    H = H.reshape(n, n)
    warn_still_subnormal(np.array(sorted(still), dtype=np.intp), evaluator.x, "the inner gradients' ")
    return AxisOutcome(0.5 * (H + H.T), error.reshape(n, n), used, 2 * n * n * levels + 1 + retried[0])
