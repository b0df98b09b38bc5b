"""check_vjp / check_jvp: custom rules of f: R^n -> R^m checked by <u, J v> = <J^T u, v>, with
evaluation counts independent of n and m and faults localised to output blocks and inputs."""

import numpy as np
import pytest

import fdcore

ROWS, COLS = 1000, 100  # f: R^(10^5) -> R^(10^3)


def blockwise(seed=0):
    """f_i(x) = tanh(w_i . x_i) + 0.01 (sum x)^2, x_i the i-th row of x as (ROWS, COLS): its rules."""
    rng = np.random.default_rng(seed)
    W = rng.normal(size=(ROWS, COLS)) / np.sqrt(COLS)
    x = 0.1 * rng.normal(size=ROWS * COLS)

    def f(x):
        X = x.reshape(ROWS, COLS)
        return np.tanh(np.sum(W * X, axis=1)) + 0.01 * np.sum(x) ** 2

    def vjp(x, u, wrong_rows=None):
        X = x.reshape(ROWS, COLS)
        s = 1 - np.tanh(np.sum(W * X, axis=1)) ** 2
        g = (u * s)[:, None] * W + 0.02 * np.sum(x) * np.sum(u)
        if wrong_rows is not None:  # the rule is wrong for the outputs in wrong_rows
            g[wrong_rows] += 1e-3 * u[wrong_rows, None] * W[wrong_rows]
        return g.ravel()

    def jvp(x, v, wrong_rows=None):
        X, V = x.reshape(ROWS, COLS), v.reshape(ROWS, COLS)
        s = 1 - np.tanh(np.sum(W * X, axis=1)) ** 2
        local = s * np.sum(W * V, axis=1)
        out = local + 0.02 * np.sum(x) * np.sum(v)
        if wrong_rows is not None:  # wrong in the outputs' own (row-local) term
            out[wrong_rows] += 1e-3 * local[wrong_rows]
        return out

    return f, vjp, jvp, x


class Counted:
    def __init__(self, f):
        self.f, self.calls = f, 0

    def __call__(self, x):
        self.calls += 1
        return self.f(x)


def test_a_correct_vjp_passes_within_40_evaluations_at_n_1e5_m_1e3():
    f, vjp, _, x = blockwise()
    counted = Counted(f)
    result = fdcore.check_vjp(counted, vjp, x, seed=0)
    assert result.passed and result.kind == "VJP"
    assert counted.calls == result.nfev <= 40


def test_a_vjp_wrong_in_one_output_block_is_localised_to_it():
    f, vjp, _, x = blockwise()
    x_before = x.copy()
    result = fdcore.check_vjp(f, lambda x, u: vjp(x, u, slice(600, 610)), x, seed=0)
    assert not result.passed
    assert result.output_blocks == [(600, 610)] and result.outputs == ["f[600:610]"]
    # the inputs of its first output: row 600 of x as (ROWS, COLS)
    assert result.faulty_blocks == [(600 * COLS, 601 * COLS)] and result.localization_complete
    assert np.array_equal(x, x_before)


def test_a_correct_jvp_passes_and_a_wrong_one_is_localised():
    f, _, jvp, x = blockwise()
    counted = Counted(f)
    assert fdcore.check_jvp(counted, jvp, x, seed=0).passed and counted.calls <= 40
    result = fdcore.check_jvp(f, lambda x, v: jvp(x, v, slice(42, 43)), x, seed=0)
    assert not result.passed and result.output_blocks == [(42, 43)] and result.outputs == ["f[42]"]
    assert all(42 * COLS <= a and b <= 43 * COLS for a, b in result.faulty_blocks)


def test_trees_in_and_out_are_named_by_path():
    rng = np.random.default_rng(1)
    A, B = rng.normal(size=(3, 4)), rng.normal(size=(2, 5))
    x = {"u": 0.1 * rng.normal(size=4), "v": 0.1 * rng.normal(size=5)}

    def f(t):
        return {"p": np.tanh(A @ t["u"]), "q": np.sin(B @ t["v"]) * np.sum(t["u"])}

    def vjp(t, c, wrong=False):
        su = 1 - np.tanh(A @ t["u"]) ** 2
        inner = B @ t["v"]
        gu = A.T @ (c["p"] * su) + np.sum(c["q"] * np.sin(inner))
        gv = B.T @ (c["q"] * np.cos(inner) * np.sum(t["u"]) * (1.001 if wrong else 1.0))
        return {"u": gu, "v": gv}

    assert fdcore.check_vjp(f, vjp, x, seed=0).passed
    result = fdcore.check_vjp(f, lambda t, c: vjp(t, c, wrong=True), x, seed=0)
    assert not result.passed
    assert result.outputs and all(name.startswith("f(x)['q']") for name in result.outputs)
    assert result.parameters and all(name.startswith("x['v']") for name in result.parameters)


def test_bad_input_names_the_argument():
    f, vjp, _, x = blockwise()
    with pytest.raises(ValueError, match="k must be a positive int"):
        fdcore.check_vjp(f, vjp, x, k=0)
    with pytest.raises(TypeError, match="vjp must be callable"):
        fdcore.check_vjp(f, None, x)
    with pytest.raises(ValueError, match=r"vjp must return an array of shape \(100000,\)"):
        fdcore.check_vjp(f, lambda x, u: u, x)
    with pytest.raises(ValueError, match="rtol must be a finite number"):
        fdcore.check_jvp(f, lambda x, v: v, x, rtol=-1.0)
