"""Inputs that gave silently wrong results near the ends of the floating-point range, from f's
precision, or from a large f(x); and errors that did not name the argument (hostile-input probes).

Each case states what used to happen; the assertions are what a user may rely on now.
"""

import ctypes
import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

import fdcore
from fdcore.compat import scipy as sc
import workerfuncs
from helpers import Counted

LARGEST = np.finfo(np.float64).max


@pytest.fixture
def no_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# --- the ends of the range: stencil points, spans and sums that overflow ----------------------

@pytest.mark.parametrize("entry", [fdcore.gradient, fdcore.hessian, fdcore.jvp], ids=["gradient", "hessian", "jvp"])
def test_x_at_the_largest_float_is_refused_naming_x(entry):
    # Was: f evaluated at x + h = inf and "f returned NaN or inf", a NaN gradient.
    call = (lambda f, x: entry(f, x, [1.0])) if entry is fdcore.jvp else entry
    with pytest.raises(ValueError, match=r"x is too close to the largest float64 number"):
        call(lambda p: p[0], [LARGEST])


def test_a_step_that_leaves_the_floats_is_refused_naming_step():
    with pytest.raises(ValueError, match=r"step is too large for x at coordinates 0"):
        fdcore.gradient(lambda p: p[0], [1e308], step=1e308)
    with pytest.raises(ValueError, match=r"step is too large"):
        fdcore.jvp(lambda p: p[0], [1e308], [1.0], step=1e308)


@pytest.mark.parametrize("options", [dict(method="backward"), dict(bounds=(None, None)),
                                     dict(method="backward", richardson=True)],
                         ids=["backward", "bounds", "backward-accurate"])
def test_one_sided_stencils_at_the_largest_float_are_exact(options, no_warnings):
    # The stencil steps towards zero; its sums of values near the largest float do not overflow.
    # (The accurate mode's unit-scale window cannot change x there: it never wins.)
    assert fdcore.gradient(lambda p: p[0], [LARGEST], **options)[0] == pytest.approx(1.0, rel=1e-10)


@pytest.mark.parametrize("options", [{}, dict(full_output=True), dict(richardson=2)], ids=["plain", "full", "levels"])
def test_a_step_whose_span_overflows_is_refused_naming_step(options):
    # Was: 0.0 for 0.5 x (the realized span (x + h) - (x - h) = inf), NaN for x.
    with pytest.raises(ValueError, match=r"step is too large for x at coordinates 0: the stencil's points x \+- "
                                         r"step, or their distance, exceed the largest float64 number"):
        fdcore.gradient(lambda p: 0.5 * p[0], [1.0], step=1e308, **options)
    assert fdcore.gradient(lambda p: 0.5 * p[0], [1.0], step=8e307)[0] == 0.5


@pytest.mark.parametrize("options", [{}, dict(method="forward"), dict(full_output=True)],
                         ids=["central", "forward", "full-output"])
def test_finite_values_near_the_largest_float_give_the_derivative(options, no_warnings):
    # Was: NaN with "f returned NaN or inf" although f only returned finite values (+-9.7e307):
    # the kernel's f(x + h) - f(x - h) overflowed.
    f = lambda p: 1e298 * (p[0] - 1.6e15)  # noqa: E731
    result = fdcore.gradient(f, [1.6e15], **options)
    value = result.value if options.get("full_output") else result
    assert value[0] == pytest.approx(1e298, rel=1e-12)


def test_the_kernels_difference_values_near_the_largest_float_in_one_pass(no_warnings):
    # The two-point quotient itself falls back to halves where f(x + h) - f(x - h) overflows: the
    # 2n evaluations of a central gradient, no second pass, for a Python and a compiled f.
    f = Counted(lambda p: 1e298 * (p[0] - 1.6e15) + 1e298 * (p[1] - 1.6e15))
    np.testing.assert_allclose(fdcore.gradient(f, [1.6e15, 1.6e15]), [1e298, 1e298], rtol=1e-12)
    assert f.calls == 4
    prototype = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)
    compiled = prototype(lambda n, x, data: 1e298 * (x[0] - 1.6e15) + 1e298 * (x[1] - 1.6e15))
    np.testing.assert_allclose(fdcore.gradient(compiled, [1.6e15, 1.6e15], num_threads=1), [1e298, 1e298], rtol=1e-12)


@pytest.mark.parametrize("method", ["central", "forward"])
def test_jacobian_and_jvp_of_values_near_the_largest_float(method, no_warnings):
    f = lambda p: 1e298 * (p - 1.6e15)  # noqa: E731
    np.testing.assert_allclose(fdcore.jacobian(f, [1.6e15, 1.6e15], method=method), 1e298 * np.eye(2), rtol=1e-12)
    sparse = fdcore.jacobian(f, [1.6e15, 1.6e15], method=method, sparsity=np.eye(2))
    np.testing.assert_allclose(sparse.toarray(), 1e298 * np.eye(2), rtol=1e-12)
    assert fdcore.jvp(f, [1.6e15], [1.0])[0] == pytest.approx(1e298, rel=1e-10)


def _hessian_across_the_float_range(c, s):
    """f = 0.95e308 (2 u^2 - 1) + 1e306 u v, u = (x_0 - c) / s, v = (x_1 - c) / s: at x = (c, c)
    and steps s, f(x) = -9.5e307 and f(x +- s e_0) = +9.5e307, whose differences overflow."""
    return lambda p: 0.95e308 * (2 * ((p[0] - c) / s) ** 2 - 1) + 1e306 * ((p[0] - c) / s) * ((p[1] - c) / s)


@pytest.mark.parametrize("options", [{}, dict(method="forward"), dict(sparsity=np.ones((2, 2))), dict(compiled=True)],
                         ids=["central", "forward", "sparse", "compiled"])
def test_hessian_of_values_across_the_float_range(options, no_warnings):
    # Was: H_00 NaN with "f returned NaN or inf" (f(x + h) - f(x) = 1.9e308 overflowed in the
    # kernels' second differences); the stencils now fall back to values scaled by 1/8.
    c = 1.6e15
    s = fdcore.hessian(lambda p: p @ p, [c, c], full_output=True).step[0]  # the default step there
    f = _hessian_across_the_float_range(c, s)
    if options.pop("compiled", False):
        prototype = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)
        f = prototype(lambda n, x, data, f=f: f([x[0], x[1]]))
    H = fdcore.hessian(f, [c, c], **options)
    H = H.toarray() if hasattr(H, "toarray") else H
    exact = np.array([[4 * (0.95e308 / s**2), 1e306 / s**2], [1e306 / s**2, 0.0]])
    np.testing.assert_allclose(H, exact, rtol=1e-10, atol=1e-10 * exact[0, 1])  # round-off: EPS 1e308 / 1e306


def test_one_sided_sums_of_values_near_the_largest_float(no_warnings):
    # f(x + h) - f(x) with f ~ 9.5e307 of either sign: the weighted sum overflowed.
    r = fdcore.gradient(lambda p: 1e308 * np.sin(p[0]), [0.3], method="forward", order=2, full_output=True)
    assert r.value[0] == pytest.approx(1e308 * np.cos(0.3), rel=1e-8)
    assert np.isfinite(r.error[0]) and r.error[0] < 1e-7 * r.value[0]


def test_a_derivative_beyond_the_largest_float_is_not_blamed_on_f():
    # f's values are finite; its derivative, 1e318, is not a float64.
    f = lambda p: 1e308 * np.sin(1e10 * p[0])  # noqa: E731
    with pytest.warns(RuntimeWarning, match=r"the derivative exceeds the largest float64 number at coordinates 0 "
                                            r"\(f's values there are finite\)") as caught:
        g = fdcore.gradient(f, [1.0])
    assert np.isnan(g[0])
    assert not any("f returned NaN or inf" in str(w.message) for w in caught)
    with pytest.warns(RuntimeWarning, match=r"the derivative along v exceeds the largest float"):
        assert np.isnan(fdcore.jvp(f, [1.0], [1.0]))
    # a sparse Jacobian tells the two causes apart, column by column
    g = lambda p: np.array([np.log(p[0]), f(p[1:])])  # noqa: E731
    with np.errstate(divide="ignore", invalid="ignore"):
        with pytest.warns(RuntimeWarning, match=r"f returned NaN or inf at stencil points of coordinates 0; the "
                                                r"derivative exceeds the largest float64 number at coordinates 1 "):
            J = fdcore.jacobian(g, [1e-6, 1.0], sparsity=np.eye(2))
    assert np.all(np.isnan(J.diagonal()))


def test_nan_of_f_is_still_named_as_f_returning_nan():
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value encountered in log")
        with pytest.warns(RuntimeWarning, match=r"f returned NaN or inf at stencil points of coordinates 0;"):
            g = fdcore.gradient(lambda p: np.log(p[0]) + p[1], [1e-6, 2.0])
    assert np.isnan(g[0]) and g[1] == pytest.approx(1.0)


@pytest.mark.parametrize("call", [
    lambda f: fdcore.gradient(f, [1e-6, 2.0]), lambda f: fdcore.hessian(f, [1e-6, 2.0]),
    lambda f: fdcore.jacobian(lambda p: np.array([f(p)]), [1e-6, 2.0], sparsity=np.ones((1, 2))),
    lambda f: fdcore.jvp(f, [1e-6, 2.0], [1.0, 0.0]),
], ids=["gradient", "hessian", "sparse-jacobian", "jvp"])
def test_nan_warnings_point_at_the_call(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(invalid="ignore", divide="ignore"):
            call(lambda p: np.log(p[0]) + p[1])
    ours = [w for w in caught if "NaN or inf" in str(w.message)]
    assert ours and all(w.filename == __file__ for w in ours)


# --- the complex step's imaginary part underflows ---------------------------------------------

@pytest.mark.parametrize("f, exact", [(lambda p: 1e-295 * p[0] ** 2, 2e-295), (lambda p: 1e-295 * (p[0] - 1), 1e-295)],
                         ids=["f(x)=1e-295", "f(x)=0"])
def test_complex_step_does_not_underflow(f, exact, no_warnings):
    # Was: 0 (Im f(x + i 4.9e-32) = 1e-326 rounds to 0).
    r = fdcore.gradient(f, [1.0], method="complex", full_output=True)
    assert r.value[0] == pytest.approx(exact, rel=1e-12)
    assert r.nfev == 3  # f at x, the step, the larger step
    assert abs(r.value[0] - exact) <= r.error[0]


def test_complex_step_jacobian_and_derivative_do_not_underflow(no_warnings):
    J = fdcore.jacobian(lambda p: np.array([1e-295 * p[0] ** 2, p[1]]), [1.0, 2.0], method="complex")
    np.testing.assert_allclose(J, [[2e-295, 0.0], [0.0, 1.0]], rtol=1e-12)
    d = fdcore.derivative(lambda t: 1e-295 * t**2, [1.0, 2.0], method="complex")
    np.testing.assert_allclose(d, [2e-295, 4e-295], rtol=1e-12)


def test_complex_step_hessian_inner_gradients_do_not_underflow(no_warnings):
    # Was: [[0, 0], [0, 0]]: the inner complex-step gradients had no underflow retry.
    f = Counted(lambda p: 1e-295 * (p[0] ** 2 * p[1] + p[1] ** 3))
    r = fdcore.hessian(f, [1.0, 2.0], method="complex", full_output=True)
    exact = 1e-295 * np.array([[4.0, 2.0], [2.0, 12.0]])
    np.testing.assert_allclose(r.value, exact, rtol=1e-8)
    assert np.all(np.abs(r.value - exact) <= r.error)
    assert r.nfev == f.calls == 2 * 2 * 2 + 1 + 2 * 2 * 2  # the 2 n gradients' retries: n more each


def test_complex_step_hessian_whose_inner_gradients_stay_subnormal_warns_once():
    with pytest.warns(RuntimeWarning, match=r"subnormal at the inner gradients' coordinates 0, 1 ") as caught:
        fdcore.hessian(lambda p: 1e-316 * (p[0] ** 2 + p[1] ** 2), [1.0, 2.0], method="complex")
    assert sum("subnormal" in str(w.message) for w in caught) == 1
    assert caught[0].filename == __file__


def test_complex_step_zero_derivatives_cost_nothing_more_where_f_resolves_them(no_warnings):
    # A coordinate f does not depend on (Im f = 0 exactly) at |f(x)| ~ 1: no retry.
    f = Counted(lambda p: np.sin(p[0]) + 0.0 * p[1])
    r = fdcore.gradient(f, [0.3, 5.0], method="complex", full_output=True)
    assert r.value[1] == 0.0 and r.nfev == f.calls == 3


def test_complex_step_that_stays_subnormal_warns():
    with pytest.warns(RuntimeWarning, match=r"Im f\(x \+ ih\) is subnormal at coordinates 0") as caught:
        r = fdcore.gradient(lambda p: 1e-315 * p[0], [1.0], method="complex", full_output=True)
    assert abs(r.value[0] - 1e-315) <= r.error[0]
    assert caught[0].filename == __file__  # the warning points at the call


# --- classify_critical_point with a large f(x) -------------------------------------------------

@pytest.mark.parametrize("offset", [1e6, 1e9])
@pytest.mark.parametrize("kind, f", [("minimum", lambda p: p @ p), ("maximum", lambda p: -(p @ p)),
                                     ("saddle", lambda p: p[0] ** 2 - p[1] ** 2),
                                     ("degenerate", lambda p: p[0] ** 4 + p[1] ** 2),
                                     ("not critical", lambda p: p @ p + 0.1 * p[0])])
def test_classification_with_a_large_constant(offset, kind, f):
    # Was: 'degenerate' for 1e6 + x.x (the eigenvalue tolerance 2.4 = 10 x the round-off floor of
    # |f| = 1e6 at the default step) and H = 0 for 1e9 + x.x.
    cp = fdcore.classify_critical_point(lambda p: offset + f(p), [0.0, 0.0])
    assert cp.kind == kind


def test_classification_without_a_large_constant_costs_the_same():
    f = Counted(lambda p: 5.0 + (p[0] - 1) ** 2 + 2 * (p[1] + 2) ** 2)
    cp = fdcore.classify_critical_point(f, [1.0, -2.0])
    n = 2
    assert cp.kind == "minimum" and cp.nfev == f.calls == 1 + 4 * n + 2 * (n * n + n + 1)


# --- f computes in float32 at a float64 x ------------------------------------------------------

FLOAT32_CALLS = {
    "gradient": lambda: fdcore.gradient(lambda p: np.float32(np.sin(p[0])), [1.0]),
    "richardson": lambda: fdcore.gradient(lambda p: np.float32(np.sin(p[0])), [1.0], richardson=True),
    "jacobian": lambda: fdcore.jacobian(lambda p: np.sin(p).astype(np.float32), [1.0]),
    "hessian": lambda: fdcore.hessian(lambda p: np.float32(np.sin(p[0])), [1.0]),
    "hessian-grad": lambda: fdcore.hessian(None, [1.0, 2.0], grad=lambda p: (2 * p).astype(np.float32)),
    "jvp": lambda: fdcore.jvp(lambda p: np.float32(np.sin(p[0])), [1.0], [1.0]),
    "hvp": lambda: fdcore.hvp(None, [1.0], [1.0], grad=lambda p: np.sin(p).astype(np.float32)),
    "derivative": lambda: fdcore.derivative(lambda t: np.sin(t).astype(np.float32), [1.0, 2.0]),
    "vectorized": lambda: fdcore.gradient(lambda P: np.sin(P[0]).astype(np.float32), [1.0], vectorized=True),
    "map-workers": lambda: fdcore.gradient(lambda p: np.float32(np.sin(p[0])), [1.0], workers=map),
    # Was silent: the values were checked in the workers, outside the caller's precision watch.
    "thread-workers": lambda: _with_threads(lambda ex: fdcore.gradient(workerfuncs.float32_sine, [1.0], workers=ex)),
    "process-pool": lambda: fdcore.gradient(workerfuncs.float32_sine, [1.0, 2.0], workers=2),
    "process-pool-jacobian": lambda: fdcore.jacobian(workerfuncs.float32_sines, [1.0, 2.0], workers=2),
}


def _with_threads(call):
    with ThreadPoolExecutor(2) as executor:
        return call(executor)


@pytest.mark.parametrize("call", FLOAT32_CALLS.values(), ids=FLOAT32_CALLS.keys())
def test_float32_values_at_a_float64_x_warn(call):
    # Was silent: the float64-sized default steps lose 0.15 to 5% (here 0.7%: 0.53645 for cos(1)).
    with pytest.warns(RuntimeWarning, match=r"f returned float32 values at a float64 x: the default steps"):
        call()


def test_float32_values_are_fine_at_float32_x_or_an_explicit_step(no_warnings):
    g = fdcore.gradient(lambda p: np.float32(np.sin(p[0])), np.array([1.0], np.float32))
    assert g.dtype == np.float32 and abs(g[0] - np.cos(1.0)) < 1e-5  # steps sized for float32
    fdcore.gradient(lambda p: np.float32(np.sin(p[0])), [1.0], step=1e-2)  # the user's step: theirs


def test_float32_values_inside_a_nested_call_warn_once_for_that_call():
    def outer(p):
        fdcore.gradient(lambda q: np.float32(q @ q), p)  # the inner f is the float32 one
        return float(p @ p)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fdcore.gradient(outer, [1.0])
    messages = [str(w.message) for w in caught if "float32 values" in str(w.message)]
    assert len(messages) == 2  # one per inner call (2 stencil points), none for the outer call
    assert all(w.filename == __file__ for w in caught)


# --- errors that name the argument -------------------------------------------------------------

@pytest.mark.parametrize("noise", [[1e-10, 1e-10, 1e-10], np.full(4, 1e-10)])
@pytest.mark.parametrize("options", [{}, dict(richardson=True), dict(step="adaptive"), dict(method="complex", n=2)],
                         ids=["plain", "richardson", "adaptive", "contour"])
def test_derivative_noise_of_the_wrong_length_names_noise(noise, options):
    # Was: IndexError "index 2 is out of bounds for axis 1 with size 1".
    with pytest.raises(ValueError, match=r"noise must be one number or one per point of x \(broadcastable to "
                                         r"x's shape \(2,\)\)"):
        fdcore.derivative(np.sin, [1.0, 2.0], noise=noise, **options)


def test_derivative_noise_per_point_scales_each_points_error():
    r = fdcore.derivative(np.sin, [1.0, 1.0], noise=[1e-10, 1e-8], full_output=True)
    np.testing.assert_allclose(r.value, np.cos(1.0), rtol=1e-6)
    assert r.error[1] == pytest.approx(100 * r.error[0], rel=1e-2)


def _ctypes_square():
    prototype = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)
    return prototype(lambda n, x, data: x[0] ** 2)


@pytest.mark.parametrize("entry, name", [
    (lambda f: fdcore.derivative(f, 1.0), "f"),
    (lambda f: fdcore.partials(f, np.ones(3)), "f"),
    (lambda f: sc.approx_derivative(f, [1.0]), "fun"),
    (lambda f: sc.check_grad(f, lambda p: 2 * p, [1.0]), "func"),
], ids=["derivative", "partials", "approx_derivative", "check_grad"])
def test_a_callback_object_where_only_python_callables_work_says_so(entry, name):
    # Was: "f must be callable, got Callback" (a Callback object is not callable).
    with pytest.raises(TypeError, match=rf"^{name} is a compiled callback; .* \(compiled callbacks work with "
                                        r"gradient, jacobian, hessian, jvp, directional_derivative, hvp"):
        entry(fdcore.Callback(_ctypes_square()))


@pytest.mark.parametrize("entry", [
    lambda step: fdcore.jvp(lambda p: p @ p, [1.0, 2.0], [1.0, 0.0], step=step),
    lambda step: fdcore.directional_derivative(lambda p: p @ p, [1.0, 2.0], [1.0, 0.0], step=step),
    lambda step: fdcore.hvp(None, [1.0, 2.0], [1.0, 0.0], grad=lambda p: 2 * p, step=step),
], ids=["jvp", "directional_derivative", "hvp"])
@pytest.mark.parametrize("step", [True, np.True_])
def test_boolean_step_along_a_direction_is_refused(entry, step):
    # Was: True taken as the step t = 1.0.
    with pytest.raises(TypeError, match=r"step must be a positive number \(the step t along v\)"):
        entry(step)


@pytest.mark.parametrize("bounds", [("0", None), (None, b"5"), (["0", 0.0], 5.0)])
def test_bounds_holding_numeric_strings_are_refused(bounds):
    # Was: "0" read as 0.0 (and in compat.scipy None as NaN: a NaN Jacobian).
    with pytest.raises(TypeError, match=r"bounds must hold numbers or None"):
        fdcore.hessian(lambda p: p @ p, [1.0, 2.0], bounds=bounds)
    with pytest.raises(TypeError, match=r"`bounds` must be a pair"):
        sc.approx_derivative(lambda p: p @ p, [1.0, 2.0], bounds=bounds)


def test_hvp_and_the_hessian_of_a_gradient_name_grad():
    with pytest.raises(TypeError, match=r"^grad must be callable, got int"):
        fdcore.hvp(None, [1.0, 2.0], [1.0, 0.0], grad=3)
    with pytest.raises(TypeError, match=r"^grad must return real numbers"):
        fdcore.hvp(None, [1.0, 2.0], [1.0, 0.0], grad=lambda p: [p[0], None])
    with pytest.raises(TypeError, match=r"^grad returned a value the Jacobian of a gradient cannot use"):
        fdcore.hessian(None, [1.0, 2.0], grad=lambda p: [p[0], None])
    # Was: NumPy's "operands could not be broadcast together with shapes (3,2) (2,3)".
    with pytest.raises(ValueError, match=r"grad must return the gradient, a 1-D array of x's shape \(2,\), got "
                                         r"shape \(3,\)"):
        fdcore.hessian(None, [1.0, 2.0], grad=lambda p: np.array([1.0, 2.0, 3.0]) * p[0])


def test_compat_scipy_refuses_masked_entries_naming_x0():
    # Was: the mask dropped (np.asarray), the masked data differentiated.
    x = np.ma.masked_array([1.0, 2.0], mask=[False, True])
    with pytest.raises(ValueError, match=r"`x0` is a masked array with 1 masked entries"):
        sc.approx_derivative(lambda p: p @ p, x)


def test_central_difference_leaving_the_domain_without_levels_is_nan_not_one_sided():
    # log at 1e-6: the central step 6e-6 leaves the domain. Without Richardson levels a one-sided
    # difference at that step is 4.3e5 for 1e6 with a round-off-only error estimate (6e-7): the
    # entry is NaN and warned, as on the fast path; with levels the tableau checks a one-sided retry.
    f = lambda p: np.log(p[0])  # noqa: E731
    for full_output in (False, True):
        with pytest.warns(RuntimeWarning, match="NaN or inf"), np.errstate(invalid="ignore"):
            r = fdcore.gradient(f, [1e-6], full_output=full_output)
        assert np.isnan(r.value[0] if full_output else r[0])
    with np.errstate(invalid="ignore"):
        r = fdcore.gradient(f, [1e-6], richardson=True, full_output=True)
    assert abs(r.value[0] - 1e6) <= r.error[0] < 1e-2
