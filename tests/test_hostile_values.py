"""Values and options that gave silently wrong results or unhelpful errors (hostile-input probes).

Each case states what used to happen; the assertions are what a user may rely on now.
"""

import warnings

import numpy as np
import pytest

import fdcore


def test_hvp_refuses_a_gradient_of_the_wrong_shape():
    # Was: a grad returning shape (1,) for n = 2 gave an hvp of shape (1,).
    with pytest.raises(ValueError, match=r"grad must return the gradient, a 1-D array of x's shape \(2,\)"):
        fdcore.hvp(None, [1.0, 2.0], [1.0, 0.0], grad=lambda x: np.array([x[0]]))
    with pytest.raises(TypeError, match="grad must return the gradient"):  # one type for both
        fdcore.hvp(None, [1.0, 2.0], [1.0, 0.0], grad=lambda x: float(x[0]))


@pytest.mark.parametrize("v", [[1e308, 1e308], [5e-324, 5e-324], [3e-310, -4e-310]])
def test_directional_derivative_along_huge_and_subnormal_directions(v):
    # Was: 0.0 for [1e308, 1e308] (the norm overflowed) and "v must be nonzero" for [5e-324, 5e-324].
    f = lambda p: 3.0 * p[0] - 2.0 * p[1]  # noqa: E731
    u = np.array(v) / np.max(np.abs(v))
    expected = (3.0 * u[0] - 2.0 * u[1]) / np.linalg.norm(u)
    assert fdcore.directional_derivative(f, [1.0, 2.0], v) == pytest.approx(expected, rel=1e-8)


def test_directional_derivative_of_the_zero_direction_is_refused():
    with pytest.raises(ValueError, match="v must be nonzero"):
        fdcore.directional_derivative(lambda p: p[0], [1.0, 2.0], [0.0, 0.0])


def test_sparse_jacobian_turns_inf_into_nan_and_warns_naming_the_column():
    # Was: inf kept, no warning (the dense Jacobian gives NaN and a warning).
    f = lambda p: np.array([np.inf * p[0], p[1]])  # noqa: E731
    with pytest.warns(RuntimeWarning, match="coordinates 0; those Jacobian entries are NaN"):
        J = fdcore.jacobian(f, [1.0, 2.0], sparsity=np.eye(2))
    assert np.isnan(J[0, 0]) and J[1, 1] == pytest.approx(1.0)


def test_sparse_hessian_warns_about_nan_like_the_dense_one():
    f = lambda p: np.log(p[0]) + p[1] ** 2  # the central stencil leaves the domain at x_0 = 1e-6  # noqa: E731
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "invalid value encountered in log")
        with pytest.warns(RuntimeWarning, match="coordinates 0; those Hessian entries are NaN"):
            H = fdcore.hessian(f, [1e-6, 2.0], sparsity=np.eye(2))
    assert np.isnan(H[0, 0]) and H[1, 1] == pytest.approx(2.0, rel=1e-6)


@pytest.mark.parametrize("bad", [None, "x"])
@pytest.mark.parametrize("richardson", [False, True])
def test_jacobian_refuses_none_or_strings_in_f_values(bad, richardson):
    # Was: [p0, None] became [p0, NaN] (gradient raised TypeError for None).
    with pytest.raises(TypeError, match="f must return a 1-D array of reals"):
        fdcore.jacobian(lambda p: [p[0], bad], [1.0, 2.0], richardson=richardson)


def test_jacobian_of_an_f_returning_a_read_only_array():
    # Was: "buffer source array is read-only" (e.g. a pandas copy-on-write Series' values).
    def f(p):
        value = np.array([p[0] * p[1], p[1] ** 2])
        value.setflags(write=False)
        return value

    assert np.allclose(fdcore.jacobian(f, [1.0, 2.0]), [[2.0, 1.0], [0.0, 4.0]], atol=1e-8)


@pytest.mark.parametrize("step", [True, np.bool_(True), [True, False]])
def test_boolean_step_is_refused(step):
    # Was: step=True taken as 1.0.
    with pytest.raises(TypeError, match="step must be a positive number"):
        fdcore.gradient(lambda p: p @ p, [1.0, 2.0], step=step)


@pytest.mark.parametrize("n", [2.0, 1.5, "2", None])
def test_derivative_order_must_be_an_int(n):
    # Was: n=2.0 passed the check (2.0 in (1, 2, 3, 4)) and failed deep inside.
    with pytest.raises(ValueError, match="n must be an integer from 1 to 10"):
        fdcore.derivative(np.sin, 1.0, n=n)


def _vector3(p):
    return np.array([p[0], p[1], p[0] * p[1]])


@pytest.mark.parametrize("call", [
    lambda: fdcore.jacobian(_vector3, [1.0, 2.0], noise=[1e-10, 1e-10], richardson=True),
    lambda: fdcore.gradient(lambda p: p @ p, [1.0, 2.0], noise=[1e-10, 1e-10, 1.0], richardson=True),
    lambda: fdcore.hessian(lambda p: p @ p, [1.0, 2.0], noise=[1e-10, 1e-10], richardson=True),
    lambda: fdcore.gradient(lambda p: p @ p, [1.0, 2.0], noise=[1e-10, 1e-10], step="adaptive"),
], ids=["jacobian", "gradient", "hessian", "adaptive"])
def test_noise_of_the_wrong_length_is_refused_naming_noise(call):
    # Was: NumPy's broadcast error or an IndexError.
    with pytest.raises(ValueError, match="noise must be one number or one per output of f"):
        call()


def test_noise_per_output_is_accepted():
    J = fdcore.jacobian(_vector3, [1.0, 2.0], noise=[1e-10, 1e-10, 0.0], richardson=True)
    assert np.allclose(J, [[1.0, 0.0], [0.0, 1.0], [2.0, 1.0]], atol=1e-6)


def _compiled_square():
    import ctypes

    prototype = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)
    return prototype(lambda n, x, data: x[0] ** 2)


@pytest.mark.parametrize("entry, name", [
    (lambda f: fdcore.derivative(f, 1.0), "f"),
    (lambda f: fdcore.partials(f, np.ones(3)), "f"),
    (lambda f: __import__("fdcore.compat.scipy").compat.scipy.approx_derivative(f, [1.0]), "fun"),
    (lambda f: __import__("fdcore.compat.scipy").compat.scipy.approx_fprime([1.0], f), "f"),
], ids=["derivative", "partials", "approx_derivative", "approx_fprime"])
def test_compiled_callback_where_only_python_callables_work_is_refused(entry, name):
    # Was: ctypes' "this function takes at least 3 arguments (1 given)".
    square = _compiled_square()
    with pytest.raises(TypeError, match=rf"^{name} is a compiled callback"):
        entry(square)


@pytest.mark.parametrize("bounds", [("a", "b"), "ab", ([0.0, "x"], None)])
def test_bounds_holding_strings_are_refused_naming_bounds(bounds):
    # Was: "could not convert string to float: 'a'".
    with pytest.raises(TypeError, match="bounds must hold numbers or None"):
        fdcore.gradient(lambda p: p @ p, [1.0, 2.0], bounds=bounds)


@pytest.mark.parametrize("min_block", ["x", 0, -2, 1.5, True])
def test_min_block_must_be_a_positive_int(min_block):
    # Was: accepted silently.
    with pytest.raises(ValueError, match="min_block must be a positive int"):
        fdcore.check_grad(lambda p: p @ p, lambda p: 2 * p, np.ones(5), mode="directions", min_block=min_block)


@pytest.mark.parametrize("seed", ["x", 1.5, -1])
def test_seed_of_the_wrong_kind_is_refused_naming_seed(seed):
    # Was: NumPy's "SeedSequence expects int or sequence of ints".
    with pytest.raises(TypeError, match="seed must be None, an int >= 0 or a numpy.random.Generator"):
        fdcore.check_grad(lambda p: p @ p, lambda p: 2 * p, np.ones(5), mode="directions", seed=seed)


class _FailsLater:
    """f that raises at its k-th evaluation (after the kernels have written part of the result)."""

    def __init__(self, f, k):
        self.f, self.k, self.calls = f, k, 0

    def __call__(self, p):
        self.calls += 1
        if self.calls == self.k:
            raise RuntimeError("f failed")
        return self.f(p)


@pytest.mark.parametrize("entry, shape, f", [
    (fdcore.gradient, (4,), lambda p: float(p @ p)),
    (fdcore.jacobian, (2, 4), lambda p: np.array([p @ p, p[0]])),
    (fdcore.hessian, (4, 4), lambda p: float(p @ p)),
], ids=["gradient", "jacobian", "hessian"])
@pytest.mark.parametrize("options", [{}, {"method": "forward"}], ids=["central", "forward"])
def test_out_is_untouched_when_f_raises(entry, shape, f, options):
    # Was: out partly written (the two-point and Hessian kernels write as they go).
    out = np.full(shape, -7.0)
    with pytest.raises(RuntimeError, match="f failed"):
        entry(_FailsLater(f, 4), np.arange(1.0, 5.0), out=out, **options)
    assert np.all(out == -7.0)
    result = entry(f, np.arange(1.0, 5.0), out=out, **options)
    assert result is out and np.all(out != -7.0)


def test_stencil_point_notes_do_not_pile_up_on_a_reraised_exception():
    # Was: every call added a note to the same exception object.
    error = ValueError("always the same object")

    def f(p):
        if p[1] > 2.0:
            raise error
        return float(p @ p)

    for _ in range(3):
        with pytest.raises(ValueError) as info:
            fdcore.gradient(f, [1.0, 2.0], workers=map)
    notes = [n for n in getattr(info.value, "__notes__", []) if n.startswith("fdcore:")]
    assert len(notes) == 1 and "x[1]" in notes[0]


def test_big_endian_float32_is_computed_in_float32_like_native_float32():
    # Was: '>f4' computed in float64 while '<f4' stayed float32.
    x = np.array([1.0, 2.0], dtype=">f4")
    g = fdcore.gradient(lambda p: p @ p, x)
    assert g.dtype == np.float32
    assert np.array_equal(g, fdcore.gradient(lambda p: p @ p, x.astype(np.float32)))


def test_masked_entries_are_refused_naming_x():
    # Was: the mask dropped silently (np.asarray keeps the masked data).
    x = np.ma.masked_array([1.0, 2.0, 3.0], mask=[False, True, False])
    with pytest.raises(ValueError, match="x is a masked array with 1 masked entries"):
        fdcore.gradient(lambda p: p @ p, x)
    unmasked = np.ma.masked_array([1.0, 2.0], mask=[False, False])
    assert np.allclose(fdcore.gradient(lambda p: p @ p, unmasked), [2.0, 4.0])


_SYMMETRIC = np.array([[4.0, 1.0, 0.0], [1.0, 3.0, 2.0], [0.0, 2.0, 5.0]])


@pytest.mark.parametrize("triangle", [np.tril, np.triu, lambda a: a], ids=["lower", "upper", "both"])
@pytest.mark.parametrize("from_gradient", [False, True], ids=["from-f", "from-grad"])
def test_sparse_hessian_pattern_may_be_either_triangle(triangle, from_gradient):
    # Was: a lower-triangle pattern gave off-diagonal zeros (from f) or halved entries (grad=).
    x = np.array([0.3, -0.2, 0.5])
    pattern = triangle(_SYMMETRIC != 0)
    if from_gradient:
        H = fdcore.hessian(None, x, grad=lambda p: _SYMMETRIC @ p, sparsity=pattern)
    else:
        H = fdcore.hessian(lambda p: 0.5 * p @ _SYMMETRIC @ p, x, sparsity=pattern)
    assert np.allclose(H.toarray(), _SYMMETRIC, atol=1e-6)


def test_vector_callback_too_large_for_memory_is_refused_before_allocation():
    # Was: m = 10**9 at n = 2 not refused (the Jacobian and the per-thread scratch were not counted).
    import ctypes

    from fdcore.evaluators.points import exceeds_memory

    prototype = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_int,
                                 ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)
    never_called = prototype(lambda n, x, m, out, data: 1)
    m = 2**31 - 1
    if not exceeds_memory(8 * m * (2 + 2)):
        pytest.skip("this machine could hold the Jacobian")
    with pytest.raises(MemoryError, match="the vector callback's m = 2147483647 outputs"):
        fdcore.jacobian(fdcore.Callback(never_called, m=m), [1.0, 2.0])
