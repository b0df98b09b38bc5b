"""Bad input: every error has the documented type and names the offending argument."""

import numpy as np
import pytest

import fdcore

scalar_f = lambda p: float(np.sum(p**2))  # noqa: E731
vector_f = lambda p: np.array([p[0], p[0] * p[1], 1.0])  # noqa: E731

# (entry point, a valid f for it, the shape of its result for n = 2)
ENTRY = {
    "gradient": (fdcore.gradient, scalar_f, (2,)),
    "jacobian": (fdcore.jacobian, vector_f, (3, 2)),
    "hessian": (fdcore.hessian, scalar_f, (2, 2)),
}
ALL = pytest.mark.parametrize("name", list(ENTRY))
X = [1.0, 2.0]


@ALL
@pytest.mark.parametrize("x", [[1 + 2j, 3.0], np.array([1.0, 2.0], dtype=np.complex128)])
def test_complex_x(name, x):
    fn, f, _ = ENTRY[name]
    with pytest.raises(TypeError, match=r"\bx\b"):
        fn(f, x)


@ALL
@pytest.mark.parametrize(
    "x", [np.ones((2, 2)), 1.0, np.array(3.0), [], np.zeros(0), [1.0, np.nan], [np.inf, 1.0], [1.0, -np.inf]],
    ids=["2d", "float", "0d", "empty-list", "empty", "nan", "inf", "-inf"],
)
def test_bad_x(name, x):
    fn, f, _ = ENTRY[name]
    with pytest.raises(ValueError, match=r"\bx\b"):
        fn(f, x)


@ALL
@pytest.mark.parametrize(
    "step", [0.0, -1e-3, np.nan, np.inf, [1e-3, 0.0], [1e-3, -1e-3], [1e-3, 1e-3, 1e-3], [[1e-3, 1e-3]], np.ones((2, 2))],
    ids=["zero", "negative", "nan", "inf", "zero-entry", "negative-entry", "too-long", "2d", "2x2"],
)
def test_bad_step(name, step):
    fn, f, _ = ENTRY[name]
    with pytest.raises(ValueError, match="step"):
        fn(f, X, step=step)


@ALL
def test_step_too_small_to_change_x(name):
    fn, f, _ = ENTRY[name]
    with pytest.raises(ValueError, match="step is too small to change x at coordinates 0"):
        fn(f, [1e20, 1.0], step=1e-3)


@ALL
@pytest.mark.parametrize("method", ["centre", "Central", "", None, "five-point", 1])
def test_unknown_method(name, method):
    fn, f, _ = ENTRY[name]
    with pytest.raises(ValueError, match="method"):
        fn(f, X, method=method)


@ALL
@pytest.mark.parametrize("method", ["central", "forward"])
@pytest.mark.parametrize("x_dtype, bad", [
    (np.float64, lambda s: np.empty(s[:-1] + (s[-1] + 1,))),  # wrong shape
    (np.float64, lambda s: np.empty(s + (1,))),  # wrong ndim
    (np.float64, lambda s: np.empty(s, np.float32)),  # wrong dtype
    (np.float64, lambda s: np.empty(s, np.int64)),
    (np.float32, lambda s: np.empty(s)),  # float64 out for a float32 computation
], ids=["shape", "ndim", "f32-out", "int-out", "f64-out-for-f32"])
def test_bad_out(name, method, x_dtype, bad):
    fn, f, shape = ENTRY[name]
    with pytest.raises(ValueError, match="out"):
        fn(f, np.array(X, dtype=x_dtype), method=method, out=bad(shape))


@ALL
def test_read_only_out(name):
    fn, f, shape = ENTRY[name]
    out = np.empty(shape)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="out"):
        fn(f, X, out=out)


def test_jacobian_out_with_wrong_number_of_rows_central():
    # m is only known after the first evaluation for the central stencil
    with pytest.raises(ValueError, match="out"):
        fdcore.jacobian(vector_f, X, out=np.empty((2, 2)))


@pytest.mark.parametrize("fn", [fdcore.gradient, fdcore.jacobian, fdcore.hessian, fdcore.linearize,
                                fdcore.classify_critical_point, fdcore.derivative])
@pytest.mark.parametrize("f", [None, 3.0, "sin", np.array([1.0])])
def test_f_not_callable(fn, f):
    with pytest.raises(TypeError, match=r"\bf\b"):
        fn(f, X)


@pytest.mark.parametrize("f", [None, 3.0])
def test_f_not_callable_direction(f):
    with pytest.raises(TypeError):
        fdcore.jvp(f, X, X)
    with pytest.raises(TypeError):
        fdcore.directional_derivative(f, X, X)


@pytest.mark.parametrize("name", ["gradient", "hessian"])
@pytest.mark.parametrize("method", ["central", "forward", "backward"])
@pytest.mark.parametrize("value", [np.array([1.0, 2.0]), [1.0, 2.0], np.ones((1, 1)), np.array([1.0])],
                         ids=["array", "list", "2d", "length-1"])
def test_scalar_f_returning_non_scalar(name, method, value):
    fn = ENTRY[name][0]
    with pytest.raises(ValueError):
        fn(lambda p: value, X, method=method)


@pytest.mark.parametrize("name", ["gradient", "hessian", "jacobian"])
@pytest.mark.parametrize("method", ["central", "forward", "backward"])
@pytest.mark.parametrize("value", [None, "abc", b"abc"])
def test_f_returning_none_or_string(name, method, value):
    fn = ENTRY[name][0]
    with pytest.raises(TypeError):
        fn(lambda p: value, X, method=method)


@pytest.mark.parametrize("name", ["gradient", "hessian", "jacobian"])
def test_f_returning_complex(name):
    fn = ENTRY[name][0]
    value = 1.0 + 1j if name != "jacobian" else np.array([1.0 + 1j, 2.0])
    with pytest.raises(TypeError):
        fn(lambda p: value, X)


@pytest.mark.parametrize("method", ["central", "forward", "backward"])
@pytest.mark.parametrize("value", [1.0, np.float64(1.0), np.array(1.0), np.ones((2, 2))],
                         ids=["float", "np-float", "0d", "2d"])
def test_jacobian_f_returning_non_vector(method, value):
    with pytest.raises(ValueError):
        fdcore.jacobian(lambda p: value, X, method=method)


@pytest.mark.parametrize("method", ["central", "forward", "backward"])
def test_jacobian_f_changing_length(method):
    f = lambda p: np.ones(3) if p[1] == 2.0 else np.ones(4)  # noqa: E731
    with pytest.raises(ValueError, match="shape"):
        fdcore.jacobian(f, X, method=method)


@pytest.mark.parametrize("fn", [fdcore.gradient, fdcore.jacobian, fdcore.hessian])
def test_bad_args_kwargs(fn):
    f = ENTRY[fn.__name__][1]
    with pytest.raises(TypeError, match="args"):
        fn(f, X, args="abc")
    with pytest.raises(TypeError, match="args"):
        fn(f, X, args=3)
    with pytest.raises(TypeError, match="kwargs"):
        fn(f, X, kwargs=[("a", 1)])


# --- jvp / directional_derivative -----------------------------------------------------------------

@pytest.mark.parametrize("fn", [fdcore.jvp, fdcore.directional_derivative])
def test_direction_bad_inputs(fn):
    with pytest.raises(ValueError, match=r"\bv\b"):
        fn(scalar_f, X, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"\bv\b"):
        fn(scalar_f, X, [1.0, np.nan])
    with pytest.raises(TypeError, match=r"\bv\b"):
        fn(scalar_f, X, [1j, 1.0])
    with pytest.raises(ValueError, match=r"\bx\b"):
        fn(scalar_f, [1.0, np.inf], [1.0, 1.0])
    with pytest.raises(TypeError, match=r"\bx\b"):
        fn(scalar_f, [1.0j, 1.0], [1.0, 1.0])
    for step in (0.0, -1e-3, np.nan, np.inf):
        with pytest.raises(ValueError, match="step"):
            fn(scalar_f, X, [1.0, 1.0], step=step)
    with pytest.raises(ValueError):
        fn(lambda p: np.ones((2, 2)), X, [1.0, 1.0])
    with pytest.raises(TypeError):
        fn(lambda p: "abc", X, [1.0, 1.0])


def test_directional_derivative_zero_direction():
    with pytest.raises(ValueError, match=r"\bv\b"):
        fdcore.directional_derivative(scalar_f, X, [0.0, 0.0])


# --- derivative ---------------------------------------------------------------------------------

def test_derivative_bad_inputs():
    with pytest.raises(ValueError, match=r"\bx\b"):
        fdcore.derivative(np.sin, [1.0, np.nan])
    with pytest.raises(ValueError, match=r"\bx\b"):
        fdcore.derivative(np.sin, [])
    with pytest.raises(TypeError, match=r"\bx\b"):
        fdcore.derivative(np.sin, [1j])
    for step in (0.0, -1e-3, np.nan, [1e-3, 0.0]):
        with pytest.raises(ValueError, match="step"):
            fdcore.derivative(np.sin, [1.0, 2.0], step=step)
    with pytest.raises(TypeError):
        fdcore.derivative(lambda t: np.full(np.shape(t), "a"), [1.0, 2.0])


def test_derivative_step_of_wrong_shape_names_step():
    with pytest.raises(ValueError, match="step"):
        fdcore.derivative(np.sin, [1.0, 2.0], step=[1e-3, 1e-3, 1e-3])


# --- analysis and problems ----------------------------------------------------------------------

@pytest.mark.parametrize("fn", [fdcore.linearize, fdcore.classify_critical_point])
def test_analysis_bad_x(fn):
    with pytest.raises(ValueError, match=r"\bx\b"):
        fn(scalar_f, [[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"\bx\b"):
        fn(scalar_f, [np.nan, 2.0])
    with pytest.raises(TypeError, match=r"\bx\b"):
        fn(scalar_f, [1j, 2.0])


def test_linearize_f_returning_matrix():
    with pytest.raises(ValueError):
        fdcore.linearize(lambda p: np.ones((2, 2)), X)


def test_get_problem_bad_arguments():
    with pytest.raises(ValueError, match="name"):
        fdcore.get_problem("himmelblau", 4)
    for n in (0, -3, 2.5, "4"):
        with pytest.raises(ValueError, match=r"\bn\b"):
            fdcore.get_problem("rosenbrock", n)
    with pytest.raises(ValueError, match="multiple of 4"):
        fdcore.get_problem("extended_powell", 6)
