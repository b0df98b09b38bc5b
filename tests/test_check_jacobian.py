"""fdcore.check_jacobian and fdcore.testing.assert_jacobian_close."""

import numpy as np
import pytest

import fdcore
from fdcore import GradCheck, check_jacobian
from fdcore.testing import assert_jacobian_close

VECTOR = fdcore.problem_suite(vector=True)


def by_name(problems):
    return pytest.mark.parametrize("p", problems, ids=[p.name for p in problems])


def planted(jac, errors):
    """jac with errors[(i, j)] added to entry (i, j) (a fresh array every call)."""

    def wrong(x, *args, **kwargs):
        J = np.array(jac(x, *args, **kwargs), dtype=np.float64)
        for (i, j), delta in errors.items():
            J[i, j] += delta
        return J

    return wrong


def F(x):
    return np.array([x[0] * x[1], np.sin(x[0]) + x[1] ** 2, x[1]])


def JF(x):
    return np.array([[x[1], x[0]], [np.cos(x[0]), 2 * x[1]], [0.0, 1.0]])


Y = np.array([0.3, 0.7])


# --- 5. the vector problems --------------------------------------------------------------------------

@by_name(VECTOR)
@pytest.mark.parametrize("mode", ["auto", "full", "directions", "coordinates", "taylor"])
def test_vector_suite_passes(p, mode):
    for seed in (0, 1, 2):
        r = check_jacobian(p.f, p.derivative, p.x0, mode=mode, k=8 if mode != "coordinates" else p.n, seed=seed)
        assert isinstance(r, GradCheck)
        assert r.passed and r.faulty_blocks == [], r
        assert r.mode == ("full" if mode == "auto" else mode)
        if mode == "directions":  # + 1 where the probe tells float64 from float32 values (x0 dyadic)
            assert r.nfev in (33, 34)


def _entries(p):
    J = p.derivative(p.x0)
    m, n = J.shape
    largest = tuple(int(a) for a in np.unravel_index(np.argmax(np.abs(J)), J.shape))
    return J, [largest, (1, n - 2), (m - 1, 0)]  # (1, n - 2) is 0 in the tridiagonal Jacobians


@by_name(VECTOR)
@pytest.mark.parametrize("mode, rel", [("full", 1e-6), ("auto", 1e-6), ("directions", 1e-4), ("coordinates", 1e-4)])
def test_planted_entry_is_found_as_its_column(p, mode, rel):
    J, entries = _entries(p)
    scale = float(np.max(np.abs(J)))
    for i, j in entries:
        for sign in (1, -1):
            r = check_jacobian(p.f, planted(p.derivative, {(i, j): sign * rel * scale}), p.x0, mode=mode, seed=0,
                               k=p.n if mode == "coordinates" else 8)
            assert not r.passed, (i, j, sign)
            assert r.faulty_blocks == [(j, j + 1)], (i, j, sign, r.faulty_blocks)
            if mode in ("full", "auto"):
                assert r.worst[0][0] == (i, j)


@by_name(VECTOR)
def test_taylor_catches_planted_entry(p):
    J, entries = _entries(p)
    delta = 1e-2 * max(1.0, float(np.max(np.abs(J))))
    for i, j in entries:
        for seed in (0, 1):
            r = check_jacobian(p.f, planted(p.derivative, {(i, j): delta}), p.x0, mode="taylor", seed=seed)
            assert not r.passed and np.median(r.taylor_rates[-3:]) < 1.5


def test_full_mode_fields():
    p = fdcore.get_problem("discrete_boundary_value", 8)
    J = p.derivative(p.x0)
    errors = {(2, 3): 1e-4, (5, 3): -1e-4, (0, 6): 1e-3}
    r = check_jacobian(p.f, planted(p.derivative, errors), p.x0, mode="full")
    assert not r.passed and r.n == 8
    assert r.faulty_blocks == [(3, 4), (6, 7)]
    assert {r.worst[k][0] for k in range(3)} == set(errors)
    (i, j), Jij, fd, err = r.worst[0]
    assert (i, j) == (0, 6) and Jij == J[0, 6] + 1e-3 and err == pytest.approx(1e-3, rel=1e-4)
    assert fd == pytest.approx(J[0, 6], abs=1e-9)
    assert np.shape(r.tolerance) == J.shape


def test_directions_at_n_2000_find_a_column():
    p = fdcore.get_problem("broyden_tridiagonal", 2000)
    r = check_jacobian(p.f, p.derivative, p.x0, seed=0)
    assert r.mode == "directions" and r.passed and r.nfev == 33
    r = check_jacobian(p.f, planted(p.derivative, {(1235, 1234): 1e-4}), p.x0, seed=0)
    assert not r.passed and r.faulty_blocks == [(1234, 1235)]
    assert r.nfev <= 100


def test_compiled_vector_callback():
    p = fdcore.get_problem("broyden_tridiagonal", 40)
    x = p.x0.copy()
    for mode in ("auto", "directions", "taylor"):
        assert check_jacobian(p.compiled, p.derivative, x, mode=mode, seed=0).passed
    r = check_jacobian(p.compiled, planted(p.derivative, {(3, 30): 1e-5}), x, mode="directions", seed=0)
    assert not r.passed and r.faulty_blocks == [(30, 31)]
    np.testing.assert_array_equal(x, p.x0)


@pytest.mark.parametrize("options", [{"workers": map}, {"vectorized": True}])
def test_batch_evaluators(options):
    if options.get("vectorized"):
        def f(X):  # (n, k) -> (m, k)
            return np.stack([X[0] * X[1], np.sin(X[0]) + X[1] ** 2, X[1]])
    else:
        f = F
    x = Y.copy()
    for mode in ("auto", "directions", "coordinates", "taylor"):
        assert check_jacobian(f, JF, x, mode=mode, k=8 if mode != "coordinates" else 2, seed=0, **options).passed
    r = check_jacobian(f, planted(JF, {(1, 0): 1e-4}), x, seed=0, **options)
    assert not r.passed and r.faulty_blocks == [(0, 1)]
    np.testing.assert_array_equal(x, Y)


# --- 6. assert_jacobian_close and the report ----------------------------------------------------------

def test_assert_jacobian_close_returns_the_passing_check():
    assert assert_jacobian_close(F, JF, Y).passed


@pytest.mark.parametrize("mode", ["full", "directions", "coordinates", "taylor"])
def test_report_renders_in_every_mode(mode):
    # Regression: full mode stores the worst entries as ((i, j), J_ij, fd_ij, |diff|) and
    # GradCheck.__str__ formats the index with "{i:>10}", which raises
    # TypeError: unsupported format string passed to tuple.__format__ for every full-mode result
    # of check_jacobian (and so for assert_jacobian_close in the default mode when n <= 1000).
    r = check_jacobian(F, JF, Y, mode=mode, seed=0, k=2)
    report = str(r)
    assert f"({mode}, n = 2): PASSED" in report


@pytest.mark.parametrize("options", [{}, {"mode": "full"}, {"mode": "directions", "seed": 0}])
def test_assert_jacobian_close_raises_with_the_report(options):
    wrong = planted(JF, {(1, 0): 1e-3})
    with pytest.raises(AssertionError) as info:
        assert_jacobian_close(F, wrong, Y, **options)
    message = str(info.value)
    assert "FAILED" in message and "faulty coordinates / blocks: 0" in message


# --- 9. bad input ----------------------------------------------------------------------------------------

MODES = ["auto", "full", "coordinates", "directions", "taylor"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("wrong, match", [
    (lambda x: JF(x)[:, :1], r"shape \(m, 2\), got shape \(3, 1\)"),
    (lambda x: JF(x)[0], r"shape \(m, 2\), got shape \(2,\)"),
    (lambda x: JF(x)[:2], "2 rows but f returns shape"),
    (lambda x: JF(x) + 0j, "real numbers"),
], ids=["columns", "1d", "rows", "complex"])
def test_bad_jacobian_output_raises_value_error(mode, wrong, match):
    with pytest.raises(ValueError, match=match):
        check_jacobian(F, wrong, Y, mode=mode, seed=0)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("value", [np.nan, np.inf])
def test_non_finite_jacobian_is_never_passed(mode, value):
    # Regression: check_grad raises ValueError for a non-finite gradient; check_jacobian
    # does not look, and NaN / inf entries compare as "within tolerance" (NaN > tol is False):
    # the check PASSES in every mode. Either refusing the input (like check_grad) or failing the
    # check is acceptable here.
    wrong = planted(JF, {(1, 0): value})
    try:
        r = check_jacobian(F, wrong, Y, mode=mode, seed=0, k=2)
    except ValueError:
        return
    assert not r.passed, f"a Jacobian with J[1, 0] = {value} passed the {mode} check"


@pytest.mark.parametrize("mode", MODES)
def test_f_not_finite_raises_value_error(mode):
    with pytest.raises(ValueError, match="not finite"):
        check_jacobian(lambda x: F(x) * np.nan, JF, Y, mode=mode, seed=0)


def test_bad_mode_and_k():
    with pytest.raises(ValueError, match="mode must be one of"):
        check_jacobian(F, JF, Y, mode="jacobian")
    for k in (0, -3, True, 1.5):
        with pytest.raises(ValueError, match="k must be a positive int"):
            check_jacobian(F, JF, Y, k=k)


@pytest.mark.parametrize("jac", [None, JF(Y)])
def test_jac_not_callable_raises_type_error(jac):
    with pytest.raises(TypeError, match="jac must be callable"):
        check_jacobian(F, jac, Y)
