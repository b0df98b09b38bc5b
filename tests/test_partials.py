"""fdcore.partials: the partial derivatives of a vectorized f(x, y, ...) at every grid point."""

import numpy as np
import pytest

import fdcore

GRID = np.meshgrid(np.linspace(-np.pi, np.pi, 5), np.linspace(-np.pi, np.pi, 5))


class CountedField:
    """f(x, y) = sin(x) cos(y), counting calls and recording the shapes of the arguments."""

    def __init__(self):
        self.calls = 0
        self.shapes = set()

    def __call__(self, x, y):
        self.calls += 1
        self.shapes.add((np.shape(x), np.shape(y)))
        return np.sin(x) * np.cos(y)


def sin_cos(x, y):
    return np.sin(x) * np.cos(y)


def exact_sin_cos(x, y):
    return np.cos(x) * np.cos(y), -np.sin(x) * np.sin(y)


def max_error(results, exact):
    return max(float(np.max(np.abs(r - e))) for r, e in zip(results, exact))


def test_gradient_field_of_the_readme_example():
    X, Y = GRID
    X0, Y0 = X.copy(), Y.copy()
    result = fdcore.partials(sin_cos, X, Y)
    assert isinstance(result, tuple) and len(result) == 2
    dz_dx, dz_dy = result
    assert dz_dx.shape == dz_dy.shape == (5, 5)
    assert dz_dx.dtype == dz_dy.dtype == np.float64
    np.testing.assert_allclose(dz_dx, np.cos(X) * np.cos(Y), rtol=0, atol=1e-9)
    np.testing.assert_allclose(dz_dy, -np.sin(X) * np.sin(Y), rtol=0, atol=1e-9)
    assert np.array_equal(X, X0) and np.array_equal(Y, Y0)  # the caller's grids are untouched


def test_value_at_pi_over_4():
    q = np.pi / 4
    dx, dy = fdcore.partials(sin_cos, q, q)  # scalars: 0-d results
    assert np.ndim(dx) == np.ndim(dy) == 0
    assert abs(dx - 0.5) <= 1e-9 and abs(dy + 0.5) <= 1e-9
    # the same point inside a grid: linspace(-pi, pi, 9)[5] = pi/4
    X, Y = np.meshgrid(np.linspace(-np.pi, np.pi, 9), np.linspace(-np.pi, np.pi, 9))
    gx, gy = fdcore.partials(sin_cos, X, Y)
    assert abs(gx[5, 5] - 0.5) <= 1e-9 and abs(gy[5, 5] + 0.5) <= 1e-9


def test_three_variables():
    x, y, z = np.meshgrid(np.linspace(-1, 1, 3), np.linspace(0.5, 2, 4), np.linspace(-2, 0, 5), indexing="ij")

    def f(x, y, z):
        return x * y**2 + np.exp(z) * x + np.sin(y * z)

    exact = (y**2 + np.exp(z), 2 * x * y + z * np.cos(y * z), np.exp(z) * x + y * np.cos(y * z))
    result = fdcore.partials(f, x, y, z)
    assert len(result) == 3 and all(r.shape == (3, 4, 5) for r in result)
    for r, e in zip(result, exact):
        np.testing.assert_allclose(r, e, rtol=1e-8, atol=1e-8)
    accurate = fdcore.partials(f, x, y, z, richardson=True)
    for r, e in zip(accurate, exact):
        np.testing.assert_allclose(r, e, rtol=1e-11, atol=1e-11)


def test_broadcasting_column_and_row():
    x = np.linspace(0.1, 1.0, 4)[:, None]  # (4, 1)
    y = np.linspace(-1.0, 1.0, 3)[None, :]  # (1, 3)
    f = CountedField()
    dx, dy = fdcore.partials(f, x, y)
    assert dx.shape == dy.shape == (4, 3)
    assert f.shapes == {((4, 3), (4, 3))}  # f evaluates on the broadcast grid
    ex, ey = exact_sin_cos(*np.broadcast_arrays(x, y))
    np.testing.assert_allclose(dx, ex, rtol=0, atol=1e-9)
    np.testing.assert_allclose(dy, ey, rtol=0, atol=1e-9)
    # a scalar broadcasts too
    dx, dy = fdcore.partials(sin_cos, x, 0.25)
    assert dx.shape == dy.shape == (4, 1)
    np.testing.assert_allclose(dy, -np.sin(x) * np.sin(0.25), rtol=0, atol=1e-9)


@pytest.mark.parametrize(
    "options, per_variable",
    [
        ({}, 2),  # central two-point difference
        ({"method": "forward"}, 2),  # f(x) and f(x + h)
        ({"order": 4}, 4),  # an order-p central stencil: p evaluations
        ({"richardson": True}, 8),  # 4 levels of the central difference: 8 evaluations
    ],
)
def test_number_of_calls(options, per_variable):
    for arrays in (GRID, [GRID[0][:2, :3], GRID[1][:2, :3]]):
        f = CountedField()
        fdcore.partials(f, *arrays, **options)
        assert f.calls == 2 * per_variable, options
    f3 = lambda x, y, z: x * y * z  # noqa: E731
    calls = []
    fdcore.partials(lambda *a: calls.append(1) or f3(*a), *np.meshgrid([1.0, 2.0], [3.0], [4.0, 5.0]))
    assert len(calls) == 6


def test_options_pass_through_and_improve_accuracy():
    X, Y = GRID
    exact = exact_sin_cos(X, Y)
    plain = max_error(fdcore.partials(sin_cos, X, Y), exact)
    order4 = max_error(fdcore.partials(sin_cos, X, Y, order=4), exact)
    accurate = max_error(fdcore.partials(sin_cos, X, Y, richardson=True), exact)
    forward = max_error(fdcore.partials(sin_cos, X, Y, method="forward"), exact)
    assert order4 < plain and accurate < plain < forward
    assert order4 <= 1e-11 and accurate <= 1e-11 and forward <= 1e-6
    # full_output: one FDResult per variable, same values
    results = fdcore.partials(sin_cos, X, Y, richardson=True, full_output=True)
    assert len(results) == 2 and all(isinstance(r, fdcore.FDResult) for r in results)
    for r, value, e in zip(results, fdcore.partials(sin_cos, X, Y, richardson=True), exact):
        assert np.array_equal(r.value, value)
        # the estimate covers the true error (<= 1e-11); measured at most 3.6e-9: the top tableau
        # entry reports the error of the entry it improves, its own gain being unverifiable
        assert r.error.shape == (5, 5) and np.all(r.error >= np.abs(r.value - e)) and np.all(r.error < 1e-8)
        assert r.nfev == 8


def test_step_per_variable():
    X, Y = GRID
    dx, dy = fdcore.partials(sin_cos, X, Y, step=[1e-3, 1e-6])
    assert np.array_equal(dx, fdcore.partials(sin_cos, X, Y, step=1e-3)[0])
    assert np.array_equal(dy, fdcore.partials(sin_cos, X, Y, step=1e-6)[1])
    # a coarse step is visibly less accurate (central truncation ~ h^2 / 6)
    ex, ey = exact_sin_cos(X, Y)
    assert np.max(np.abs(dx - ex)) > 1e-8 and np.max(np.abs(dy - ey)) < 1e-8


def test_args_and_kwargs():
    X, Y = GRID

    def f(x, y, a, power=1):
        return a * x**power * y

    dx, dy = fdcore.partials(f, X, Y, args=(3.0,), kwargs={"power": 2})
    np.testing.assert_allclose(dx, 6.0 * X * Y, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(dy, 3.0 * X**2, rtol=1e-8, atol=1e-8)


def test_integer_and_float32_grids():
    xi, yi = np.meshgrid(np.arange(3), np.arange(4))
    dx, dy = fdcore.partials(lambda x, y: x**2 * y, xi, yi)
    assert dx.dtype == np.float64
    np.testing.assert_allclose(dx, 2.0 * xi * yi, rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(dy, xi**2.0, rtol=1e-8, atol=1e-8)
    X32, Y32 = (a.astype(np.float32) for a in GRID)
    dx, dy = fdcore.partials(sin_cos, X32, Y32)
    assert dx.dtype == dy.dtype == np.float32
    ex, ey = exact_sin_cos(*GRID)
    np.testing.assert_allclose(dx, ex, rtol=0, atol=1e-3)
    np.testing.assert_allclose(dy, ey, rtol=0, atol=1e-3)


def test_errors():
    X, Y = GRID
    with pytest.raises(ValueError, match="at least one"):
        fdcore.partials(sin_cos)
    with pytest.raises(ValueError, match="step"):
        fdcore.partials(sin_cos, X, Y, step=[1e-5])
    with pytest.raises(ValueError, match="step"):
        fdcore.partials(sin_cos, X, Y, step=(1e-5, 1e-5, 1e-5))
    with pytest.raises(TypeError, match="callable"):
        fdcore.partials("sin", X, Y)
    with pytest.raises(TypeError, match="callable"):
        fdcore.partials(None, X, Y)
    with pytest.raises(ValueError, match="shape"):  # f must return the grid's shape
        fdcore.partials(lambda x, y: np.sum(x * y), X, Y)
    with pytest.raises(ValueError):  # grids that do not broadcast
        fdcore.partials(sin_cos, np.ones(3), np.ones(4))
