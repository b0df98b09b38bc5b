"""vectorized=True: f evaluates a batch of points given as the columns of an (n, k) array.

The batched evaluator must give the serial results (identical when the vectorized f computes
each column exactly as the serial f does, as np.apply_along_axis does), bound the memory of a
batch by max_batch_bytes, hand f a read-only array in x's dtype and check f's output shape.
"""

import math
import sys

import numpy as np
import pytest
from scipy.optimize import rosen, rosen_der, rosen_hess

import fdcore

SCALAR_SUITE = fdcore.problem_suite()
# Dense Hessians cost ~2 n^2 evaluations per mode: the n = 200 and 251 problems (logistic
# regression, MLP) would take minutes here; batching over many columns is tested by the
# max_batch_bytes cases below.
SMALL_SCALAR_SUITE = [p for p in SCALAR_SUITE if p.x0.size <= 10]
VECTOR_SUITE = fdcore.problem_suite(vector=True)
ROSEN_X = np.array([-1.2, 1.0, 0.5, 0.8, 1.3])


def columnwise(f):
    """The vectorized version of a pointwise f: f applied to each column."""
    return lambda X: np.apply_along_axis(f, 0, X)


def broyden_columns(X):
    """Broyden tridiagonal system written for (n, k) arrays of points: returns (n, k)."""
    padded = np.zeros((X.shape[0] + 2, X.shape[1]))
    padded[1:-1] = X
    return (3.0 - 2.0 * X) * X - padded[:-2] - 2.0 * padded[2:] + 1.0


def normwise(approx, exact, scale=0.0):
    """||approx - exact|| / max(1, ||exact||, |scale|)."""
    approx, exact = np.asarray(approx, dtype=np.float64), np.asarray(exact, dtype=np.float64)
    return float(np.linalg.norm(approx - exact) / max(1.0, np.linalg.norm(exact), abs(scale)))


class Recorder:
    """A vectorized f that records the shape, dtype and writeability of every batch it gets."""

    def __init__(self, f):
        self.f = f
        self.shapes, self.dtypes, self.writeable = [], [], []

    def __call__(self, X, *args, **kwargs):
        self.shapes.append(X.shape)
        self.dtypes.append(X.dtype)
        self.writeable.append(X.flags.writeable)
        return self.f(X, *args, **kwargs)

    @property
    def calls(self):
        return len(self.shapes)

    @property
    def widest(self):
        return max(shape[1] for shape in self.shapes)


# --- agreement with the serial path on the problem suite ------------------------------------

GRADIENT_MODES = [
    {},
    {"method": "forward"},
    {"method": "backward"},
    {"order": 4},
    {"method": "forward", "order": 3},
    {"richardson": True},
    {"richardson": 3, "method": "backward"},
    {"step": "adaptive"},
]


@pytest.mark.filterwarnings("ignore:f returned NaN or inf:RuntimeWarning")  # the domain-edge problems
@pytest.mark.parametrize("problem", SCALAR_SUITE, ids=lambda p: p.name)
def test_suite_gradient_identical_to_serial(problem):
    vf = columnwise(problem.f)
    for mode in GRADIENT_MODES:
        serial = fdcore.gradient(problem.f, problem.x0, **mode)
        batched = fdcore.gradient(vf, problem.x0, vectorized=True, **mode)
        assert np.array_equal(batched, serial, equal_nan=True), mode  # NaN: a stencil left f's domain
    for mode in ({}, {"richardson": True}, {"step": "adaptive"}, {"method": "forward", "order": 2}):
        serial = fdcore.gradient(problem.f, problem.x0, full_output=True, **mode)
        batched = fdcore.gradient(vf, problem.x0, vectorized=True, full_output=True, **mode)
        assert np.array_equal(batched.value, serial.value, equal_nan=True), mode
        assert np.array_equal(batched.error, serial.error, equal_nan=True), mode
        assert np.array_equal(batched.step, serial.step), mode
        assert batched.nfev == serial.nfev, mode


@pytest.mark.filterwarnings("ignore:f returned NaN or inf:RuntimeWarning")  # the domain-edge problems
@pytest.mark.parametrize("problem", SMALL_SCALAR_SUITE, ids=lambda p: p.name)
def test_suite_hessian_identical_to_serial(problem):
    vf = columnwise(problem.f)
    for mode in ({}, {"method": "forward"}, {"method": "backward"}, {"order": 4}, {"richardson": True}):
        serial = fdcore.hessian(problem.f, problem.x0, **mode)
        batched = fdcore.hessian(vf, problem.x0, vectorized=True, **mode)
        assert np.array_equal(batched, serial, equal_nan=True), mode
        assert np.array_equal(batched, batched.T, equal_nan=True)


@pytest.mark.parametrize("problem", [p for p in SCALAR_SUITE if p.smooth], ids=lambda p: p.name)
def test_suite_accurate_mode_matches_analytic_gradient(problem):
    g = fdcore.gradient(columnwise(problem.f), problem.x0, vectorized=True, richardson=True)
    exact = problem.derivative(problem.x0)
    # an f computed in float32 is resolved to its precision (measured 2.3e-6 and 3.2e-5)
    assert normwise(g, exact, problem.f(problem.x0)) <= (1e-4 if "float32" in problem.tags else 1e-9)


@pytest.mark.parametrize("problem", VECTOR_SUITE, ids=lambda p: p.name)
def test_vector_suite_jacobian_identical_to_serial(problem):
    vf = columnwise(problem.f)
    for mode in ({}, {"method": "forward"}, {"order": 6}, {"richardson": True}, {"step": "adaptive"}):
        serial = fdcore.jacobian(problem.f, problem.x0, **mode)
        batched = fdcore.jacobian(vf, problem.x0, vectorized=True, **mode)
        assert np.array_equal(batched, serial), mode
    r = fdcore.jacobian(vf, problem.x0, vectorized=True, richardson=True, full_output=True)
    assert normwise(r.value, problem.derivative(problem.x0)) <= 1e-9


# --- natively vectorized functions ------------------------------------------------------------

@pytest.mark.parametrize("method", ["central", "forward", "backward"])
def test_rosen_natively_vectorized(method):
    # scipy.optimize.rosen accepts an (n, k) array and returns (k,).
    tol = {"central": 1e-8, "forward": 1e-6, "backward": 1e-6}[method]
    g = fdcore.gradient(rosen, ROSEN_X, vectorized=True, method=method)
    assert normwise(g, fdcore.gradient(rosen, ROSEN_X, method=method)) <= 1e-9
    assert normwise(g, rosen_der(ROSEN_X), rosen(ROSEN_X)) <= tol
    H = fdcore.hessian(rosen, ROSEN_X, vectorized=True, method=method)
    assert normwise(H, fdcore.hessian(rosen, ROSEN_X, method=method), rosen(ROSEN_X)) <= 1e-9
    assert np.array_equal(H, H.T)


def test_rosen_accurate_mode_vectorized():
    g = fdcore.gradient(rosen, ROSEN_X, vectorized=True, richardson=True)
    assert normwise(g, rosen_der(ROSEN_X)) <= 1e-9
    r = fdcore.hessian(rosen, ROSEN_X, vectorized=True, richardson=True, full_output=True)
    assert normwise(r.value, rosen_hess(ROSEN_X)) <= 1e-9
    assert r.nfev == fdcore.hessian(rosen, ROSEN_X, richardson=True, full_output=True).nfev


def test_broyden_jacobian_vectorized_against_analytic():
    p = fdcore.get_problem("broyden_tridiagonal", 7)
    x = p.x0 + np.linspace(0.0, 0.6, 7)
    exact = p.derivative(x)
    for mode, tol in (({}, 1e-8), ({"method": "forward"}, 1e-6), ({"order": 4}, 1e-9), ({"richardson": True}, 1e-12)):
        J = fdcore.jacobian(broyden_columns, x, vectorized=True, **mode)
        assert J.shape == (7, 7)
        assert normwise(J, exact) <= tol, mode
        assert normwise(J, fdcore.jacobian(p.f, x, **mode)) <= 1e-9, mode


def test_jvp_and_directional_derivative_vectorized():
    v = np.array([0.3, -1.0, 2.0, 0.5, -0.7])
    counted = Recorder(rosen)
    d = fdcore.jvp(counted, ROSEN_X, v, vectorized=True)
    assert counted.shapes == [(5, 2)]  # both points in one batch
    assert abs(d - fdcore.jvp(rosen, ROSEN_X, v)) <= 1e-9 * max(1.0, abs(d))
    assert abs(d - rosen_der(ROSEN_X) @ v) <= 1e-7 * max(1.0, abs(d))
    dd = fdcore.directional_derivative(rosen, ROSEN_X, v, vectorized=True)
    assert isinstance(dd, float)
    assert abs(dd - rosen_der(ROSEN_X) @ v / np.linalg.norm(v)) <= 1e-7 * max(1.0, abs(dd))
    assert dd == fdcore.directional_derivative(columnwise(rosen), ROSEN_X, v, vectorized=True)
    # identical to serial with a column-by-column f
    for problem in SCALAR_SUITE[:6]:
        w = np.linspace(-1.0, 1.0, problem.n)
        assert fdcore.jvp(columnwise(problem.f), problem.x0, w, vectorized=True) == fdcore.jvp(problem.f, problem.x0, w)
    # a vector f: J v
    p = fdcore.get_problem("broyden_tridiagonal", 5)
    jv = fdcore.jvp(broyden_columns, p.x0, v, vectorized=True)
    assert jv.shape == (5,)
    np.testing.assert_allclose(jv, p.derivative(p.x0) @ v, rtol=0, atol=1e-8)
    np.testing.assert_array_equal(jv, fdcore.jvp(p.f, p.x0, v))
    dvec = fdcore.directional_derivative(broyden_columns, p.x0, v, vectorized=True, normalize=False)
    np.testing.assert_array_equal(dvec, jv)


def test_args_and_kwargs_reach_vectorized_f():
    def f(X, a, power=2):
        return np.sum(a[:, None] * X**power, axis=0)

    a = np.array([1.0, 2.0, 3.0])
    x = np.array([0.5, -1.0, 2.0])
    g = fdcore.gradient(f, x, vectorized=True, args=(a,), kwargs={"power": 3})
    np.testing.assert_allclose(g, 3 * a * x**2, rtol=1e-8)
    H = fdcore.hessian(f, x, vectorized=True, args=(a,))
    np.testing.assert_allclose(H, np.diag(2 * a), atol=1e-6)


# --- batches: number of calls and the memory bound ------------------------------------------

N = 50
X50 = np.linspace(-1.0, 1.5, N)
K_MAX = 7
BUDGET = 8 * N * K_MAX  # float64: k_max = BUDGET // (8 n) = 7 points per batch


def test_default_budget_evaluates_central_gradient_in_one_call():
    rec = Recorder(rosen)
    g = fdcore.gradient(rec, X50, vectorized=True)
    assert rec.shapes == [(N, 2 * N)]
    assert np.array_equal(g, fdcore.gradient(rosen, X50))


def test_number_of_calls_and_largest_batch_central_gradient():
    rec = Recorder(rosen)
    g = fdcore.gradient(rec, X50, vectorized=True, max_batch_bytes=BUDGET)
    assert rec.calls == math.ceil(2 * N / K_MAX) == 15
    assert rec.widest == K_MAX
    assert sum(shape[1] for shape in rec.shapes) == 2 * N
    assert all(shape[0] == N for shape in rec.shapes)
    assert np.array_equal(g, fdcore.gradient(rosen, X50, vectorized=True))


def test_number_of_calls_forward_gradient_and_hessian():
    rec = Recorder(rosen)
    fdcore.gradient(rec, X50, vectorized=True, method="forward", max_batch_bytes=BUDGET)
    assert rec.calls == 1 + math.ceil(N / K_MAX)  # f(x), then the n forward points
    assert rec.widest <= K_MAX
    rec = Recorder(rosen)
    n = 12
    H = fdcore.hessian(rec, X50[:n], vectorized=True, max_batch_bytes=8 * n * K_MAX)
    assert rec.calls == 1 + math.ceil((n * n + n) / K_MAX)
    assert rec.widest == K_MAX
    assert np.array_equal(H, fdcore.hessian(rosen, X50[:n], vectorized=True))


def test_batch_size_does_not_change_results():
    reference = fdcore.gradient(rosen, X50, vectorized=True, richardson=True, full_output=True)
    for budget in (1, 8 * N, BUDGET, 8 * N * 64):
        rec = Recorder(rosen)
        r = fdcore.gradient(rec, X50, vectorized=True, richardson=True, full_output=True, max_batch_bytes=budget)
        assert rec.widest <= max(1, budget // (8 * N))
        assert np.array_equal(r.value, reference.value)
        assert np.array_equal(r.error, reference.error)
        assert r.nfev == reference.nfev
    rec = Recorder(rosen)
    fdcore.gradient(rec, X50[:5], vectorized=True, max_batch_bytes=1)  # k_max = max(1, 0) = 1
    assert rec.shapes == [(5, 1)] * 10


def test_memory_bound_counts_x_itemsize():
    # The same byte budget holds twice as many float32 points.
    rec = Recorder(rosen)
    fdcore.gradient(rec, X50.astype(np.float32), vectorized=True, max_batch_bytes=BUDGET)
    assert rec.widest == 2 * K_MAX
    assert rec.calls == math.ceil(2 * N / (2 * K_MAX))


@pytest.mark.parametrize("budget", [0, -8, 1.5, True, "64"])
def test_invalid_max_batch_bytes(budget):
    with pytest.raises(ValueError, match="max_batch_bytes"):
        fdcore.gradient(rosen, ROSEN_X, vectorized=True, max_batch_bytes=budget)


# --- what f receives; x unchanged ------------------------------------------------------------

def test_f_receives_read_only_points_and_x_is_unchanged():
    writes = []

    def f(X):
        try:
            X[0, 0] = 1e300
        except ValueError:
            writes.append("refused")
        else:
            writes.append("written")
        return rosen(X)

    x = ROSEN_X.copy()
    for call in (
        lambda: fdcore.gradient(f, x, vectorized=True),
        lambda: fdcore.gradient(f, x, vectorized=True, richardson=True),
        lambda: fdcore.hessian(f, x, vectorized=True, method="forward"),
        lambda: fdcore.jvp(f, x, np.ones(5), vectorized=True),
        lambda: fdcore.gradient(f, x, vectorized=True, step="adaptive"),
    ):
        call()
    assert writes and set(writes) == {"refused"}
    assert np.array_equal(x, ROSEN_X) and x.flags.writeable
    # a read-only x is accepted and untouched too
    ro = ROSEN_X.copy()
    ro.flags.writeable = False
    assert np.array_equal(fdcore.gradient(rosen, ro, vectorized=True), fdcore.gradient(rosen, ROSEN_X))


def test_points_are_the_stencil_points():
    # Columns of the central gradient batch: x + h_i e_i and x - h_i e_i for each i.
    seen = []

    def f(X):
        seen.append(np.array(X))
        return np.sum(X, axis=0)

    x = np.array([1.0, -2.0, 3.0])
    fdcore.gradient(f, x, vectorized=True)
    (points,) = seen
    delta = points - x[:, None]
    assert points.shape == (3, 6)
    assert np.count_nonzero(delta, axis=0).tolist() == [1] * 6  # one coordinate moved per point
    moved = np.argmax(delta != 0, axis=0)
    assert sorted(moved.tolist()) == [0, 0, 1, 1, 2, 2]
    signs = np.sign(delta[moved, np.arange(6)])
    for i in range(3):
        assert sorted(signs[moved == i].tolist()) == [-1.0, 1.0]


def test_float32_is_computed_in_float32():
    x = ROSEN_X.astype(np.float32)
    rec = Recorder(columnwise(rosen))
    g = fdcore.gradient(rec, x, vectorized=True)
    assert set(rec.dtypes) == {np.dtype(np.float32)}
    assert g.dtype == np.float32
    assert np.array_equal(g, fdcore.gradient(rosen, x))
    np.testing.assert_allclose(g, rosen_der(ROSEN_X.astype(np.float32).astype(np.float64)), rtol=1e-3, atol=1e-2)
    for mode in ({"method": "forward"}, {"richardson": True}):
        assert np.array_equal(fdcore.gradient(columnwise(rosen), x, vectorized=True, **mode),
                              fdcore.gradient(rosen, x, **mode))
    rec = Recorder(rosen)
    H = fdcore.hessian(rec, x, vectorized=True)
    assert H.dtype == np.float32 and set(rec.dtypes) == {np.dtype(np.float32)}
    J = fdcore.jacobian(broyden_columns, x, vectorized=True)
    assert J.dtype == np.float32


# --- errors -------------------------------------------------------------------------------------

X3 = np.array([1.0, 2.0, 3.0])  # central gradient: one batch of 6 points


@pytest.mark.parametrize(
    "bad",
    [
        lambda X: np.sum(X, axis=0)[:, None],  # (6, 1)
        lambda X: np.sum(X, axis=0)[None, :],  # (1, 6)
        lambda X: float(np.sum(X)),  # a scalar
        lambda X: np.zeros(X.shape[1] + 1),  # (7,)
        lambda X: X,  # (3, 6)
    ],
)
def test_scalar_f_wrong_shape(bad):
    with pytest.raises(ValueError, match=r"shape \(6,\)"):
        fdcore.gradient(bad, X3, vectorized=True)
    with pytest.raises(ValueError, match=r"shape \(1,\)"):  # f(x) alone comes first
        fdcore.hessian(bad, X3, vectorized=True)


@pytest.mark.parametrize(
    "bad",
    [
        lambda X: broyden_columns(X).T,  # (6, 3): points on rows
        lambda X: np.sum(X, axis=0),  # (6,)
        lambda X: broyden_columns(X)[..., None],  # (3, 6, 1)
    ],
)
def test_vector_f_wrong_shape(bad):
    with pytest.raises(ValueError, match=r"shape \(m, 6\)"):
        fdcore.jacobian(bad, X3, vectorized=True)


def test_jvp_wrong_shape_names_expected_shape():
    with pytest.raises(ValueError, match=r"\(2,\)"):
        fdcore.jvp(lambda X: np.zeros(3), X3, np.ones(3), vectorized=True)


def test_non_real_values_rejected():
    with pytest.raises(TypeError, match="real"):
        fdcore.gradient(lambda X: np.sum(X, axis=0) + 0j, X3, vectorized=True)


def test_vectorized_with_workers_is_rejected():
    with pytest.raises(ValueError, match="vectorized"):
        fdcore.gradient(rosen, X3, vectorized=True, workers=2)
    with pytest.raises(ValueError, match="vectorized"):
        fdcore.jvp(rosen, X3, X3, vectorized=True, workers=map)


def test_vectorized_with_compiled_callback_is_rejected():
    p = fdcore.get_problem("rosenbrock")
    with pytest.raises(TypeError, match="compiled"):
        fdcore.gradient(p.compiled, p.x0, vectorized=True)
    with pytest.raises(TypeError, match="compiled"):
        fdcore.hessian(p.compiled, p.x0, vectorized=True)


# --- progress= --------------------------------------------------------------------------------

def test_progress_without_tqdm_writes_to_stderr(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm -> ImportError
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    g = fdcore.gradient(rosen, X50, vectorized=True, progress=True, max_batch_bytes=BUDGET)
    assert np.array_equal(g, fdcore.gradient(rosen, X50, vectorized=True))
    err = capsys.readouterr().err
    assert "fdcore" in err and f"{2 * N}/{2 * N} points evaluated" in err
    assert f"{K_MAX}/{2 * N}" in err  # progress after the first batch


def test_progress_with_tqdm_drives_a_bar(monkeypatch, capsys):
    bars = []

    class FakeTqdm:
        def __init__(self, total, **kwargs):
            self.total, self.n, self.closed = total, 0, False
            bars.append(self)

        def update(self, k):
            self.n += k
            sys.stderr.write(f"bar {self.n}/{self.total}\n")

        def close(self):
            self.closed = True

    fake = type(sys)("tqdm.auto")
    fake.tqdm = FakeTqdm
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    g = fdcore.gradient(rosen, X50, vectorized=True, progress=True, max_batch_bytes=BUDGET)
    assert np.array_equal(g, fdcore.gradient(rosen, X50, vectorized=True))
    assert len(bars) == 1 and bars[0].total == 2 * N and bars[0].n == 2 * N and bars[0].closed
    assert "bar" in capsys.readouterr().err


def test_progress_with_whatever_is_installed(capsys):
    H = fdcore.hessian(rosen, ROSEN_X, vectorized=True, progress=True, richardson=True)
    assert np.array_equal(H, fdcore.hessian(rosen, ROSEN_X, vectorized=True, richardson=True))
    assert capsys.readouterr().err  # tqdm's bar or the fallback line, both on stderr


def test_complex_step_does_not_combine_with_batches():
    with pytest.raises(ValueError, match="complex"):
        fdcore.gradient(lambda X: np.sum(X**2, axis=0), np.ones(3), method="complex", vectorized=True)
    with pytest.raises(ValueError, match="complex"):
        fdcore.jacobian(lambda p: p**2, np.ones(3), method="complex", workers=map)


def test_linearize_and_classify_take_vectorized_f_and_workers():
    from scipy.optimize import rosen

    assert fdcore.classify_critical_point(rosen, np.ones(3), vectorized=True).kind == "minimum"
    serial = fdcore.linearize(rosen, [0.5, 0.5])
    for options in (dict(vectorized=True), dict(workers=map)):
        model = fdcore.linearize(rosen, [0.5, 0.5], **options)
        assert model.value == serial.value
        np.testing.assert_allclose(model.jacobian, serial.jacobian, rtol=1e-12)
