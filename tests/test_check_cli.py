"""python -m fdcore check MODULE:FUNC MODULE:GRAD (--x0 FILE.npy | --n N [--seed S]) [--mode M] [--k K].

Exit status 0 when the check passes, 1 when it fails, 2 on bad usage. The command runs with
``-P`` (no script directory or cwd on sys.path), so that the installed fdcore is imported, not the
repository's uncompiled source tree; the user's module is found through PYTHONPATH.
"""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

MODEL = textwrap.dedent("""
    import numpy as np


    def loss(x):
        return float(np.sum(x ** 4) + np.sum(np.sin(x)))


    def grad(x):
        return 4 * x ** 3 + np.cos(x)


    def bad_grad(x):
        g = grad(x)
        g[3] += 0.5
        return g


    def short_grad(x):
        return grad(x)[:-1]


    def complex_grad(x):
        return grad(x) + 0j


    def nan_loss(x):
        return float("nan")


    class Namespace:
        @staticmethod
        def grad(x):
            return 4 * x ** 3 + np.cos(x)


    not_callable = 3.0


    def raising_loss(x):
        raise RuntimeError("the model blew up")


    def raising_value_error_grad(x):
        raise ValueError("inside the user's gradient")
""")


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli")
    (path / "cli_model.py").write_text(MODEL)
    np.save(path / "x0.npy", np.linspace(-1.0, 1.0, 10))
    np.save(path / "x2d.npy", np.ones((2, 3)))
    np.save(path / "xbig.npy", np.random.default_rng(0).standard_normal(5000))
    (path / "junk.npy").write_bytes(b"this is not an npy file")
    return path


def run(workdir, *args):
    env = dict(os.environ, PYTHONPATH=str(workdir))
    return subprocess.run([sys.executable, "-P", "-m", "fdcore", "check", *args], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=120)


def test_passing_check_exits_0_and_prints_the_report(workdir):
    r = run(workdir, "cli_model:loss", "cli_model:grad", "--n", "50")
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("gradient check (full, n = 50): PASSED")
    assert "worst coordinates" in r.stdout and r.stderr == ""


def test_failing_check_exits_1_and_names_the_coordinate(workdir):
    r = run(workdir, "cli_model:loss", "cli_model:bad_grad", "--n", "50")
    assert r.returncode == 1, r.stderr
    assert "(full, n = 50): FAILED" in r.stdout
    assert "faulty coordinates / blocks: 3" in r.stdout


def test_x0_file_and_mode_and_k(workdir):
    r = run(workdir, "cli_model:loss", "cli_model:grad", "--x0", "x0.npy", "--mode", "taylor")
    assert r.returncode == 0 and "(taylor, n = 10): PASSED" in r.stdout
    assert "Taylor remainder rates" in r.stdout
    r = run(workdir, "cli_model:loss", "cli_model:bad_grad", "--x0", str(workdir / "x0.npy"),
            "--mode", "coordinates", "--k", "10")
    assert r.returncode == 1 and "(coordinates, n = 10): FAILED" in r.stdout
    assert "evaluations of f: 41" in r.stdout and "faulty coordinates / blocks: 3" in r.stdout


def test_directions_from_x0_file(workdir):
    r = run(workdir, "cli_model:loss", "cli_model:grad", "--x0", "xbig.npy")
    assert r.returncode == 0 and "(directions, n = 5000): PASSED" in r.stdout
    assert "evaluations of f: 33" in r.stdout
    r = run(workdir, "cli_model:loss", "cli_model:bad_grad", "--x0", "xbig.npy", "--k", "4")
    assert r.returncode == 1 and "(directions, n = 5000): FAILED" in r.stdout
    assert "faulty coordinates / blocks: 3" in r.stdout


def test_seed_makes_the_point_reproducible(workdir):
    a = run(workdir, "cli_model:loss", "cli_model:grad", "--n", "20", "--seed", "5")
    b = run(workdir, "cli_model:loss", "cli_model:grad", "--n", "20", "--seed", "5")
    c = run(workdir, "cli_model:loss", "cli_model:grad", "--n", "20", "--seed", "6")
    assert a.returncode == b.returncode == c.returncode == 0
    assert a.stdout == b.stdout != c.stdout


def test_dotted_attribute(workdir):
    r = run(workdir, "cli_model:loss", "cli_model:Namespace.grad", "--n", "5")
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("args, message", [
    (["cli_model", "cli_model:grad", "--n", "5"], "must have the form MODULE:NAME"),
    (["cli_model:loss", ":grad", "--n", "5"], "must have the form MODULE:NAME"),
    (["no_such_module_xyz:loss", "cli_model:grad", "--n", "5"], "cannot load 'no_such_module_xyz:loss'"),
    (["cli_model:missing", "cli_model:grad", "--n", "5"], "cannot load 'cli_model:missing'"),
    (["cli_model:loss", "cli_model:grad"], "one of the arguments --x0 --n --params is required"),
    (["cli_model:loss", "cli_model:grad", "--n", "5", "--x0", "x0.npy"], "not allowed with"),
    (["cli_model:loss", "cli_model:grad", "--x0", "missing.npy"], "cannot read --x0"),
    (["cli_model:loss", "cli_model:grad", "--x0", "junk.npy"], "cannot read --x0"),
    (["cli_model:loss", "cli_model:short_grad", "--n", "5"], "MODULE:GRAD must return an array of shape (5,)"),
    (["cli_model:loss", "cli_model:complex_grad", "--n", "5"], "real numbers"),
    (["cli_model:nan_loss", "cli_model:grad", "--n", "5"], "not finite"),
    (["cli_model:loss", "cli_model:not_callable", "--n", "5"], "MODULE:GRAD must be callable"),
    (["cli_model:loss", "cli_model:grad", "--n", "0"], "--n must be positive"),
    (["cli_model:loss", "cli_model:grad", "--n", "5", "--k", "0"], "k must be a positive int"),
    (["cli_model:loss", "cli_model:grad", "--n", "5", "--mode", "bogus"], "invalid choice"),
], ids=["no-colon", "no-module", "missing-module", "missing-attr", "no-point", "both-points", "missing-file",
        "unreadable-file", "short-grad", "complex-grad", "nan-f", "grad-not-callable", "n-0", "k-0",
        "bad-mode"])
def test_bad_usage_exits_2(workdir, args, message):
    r = run(workdir, *args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr
    assert "Traceback" not in r.stderr and r.stdout == ""


@pytest.mark.parametrize("args, message", [
    (["cli_model:raising_loss", "cli_model:grad", "--n", "5"], "the model blew up"),
    (["cli_model:loss", "cli_model:raising_value_error_grad", "--n", "5"], "inside the user's gradient"),
], ids=["loss-raises", "grad-raises-ValueError"])
def test_objective_that_raises_exits_3_with_its_traceback(workdir, args, message):
    # Was: exit 2 ('usage') for a ValueError inside the user's function, 1 (a failed check) otherwise.
    r = run(workdir, *args)
    assert r.returncode == 3, (r.stdout, r.stderr)
    assert "Traceback" in r.stderr and message in r.stderr and "cli_model.py" in r.stderr


@pytest.mark.parametrize("args, message", [
    (["cli_model:loss", "cli_model:grad", "--n", "5", "--seed", "-1"], "--seed must be >= 0"),
    (["cli_model:loss", "cli_model:grad", "--n", "5", "--k", "-3"], "--k must be a positive int"),
], ids=["seed", "k"])
def test_option_errors_exit_2_naming_the_option(workdir, args, message):
    r = run(workdir, *args)
    assert r.returncode == 2 and message in r.stderr, (r.stdout, r.stderr)


def test_check_help_lists_the_exit_codes(workdir):
    r = run(workdir, "--help")
    assert r.returncode == 0 and "exit codes: 0 the check passed, 1 it failed, 2 bad usage" in r.stdout


@pytest.mark.parametrize("command, codes", [
    ("bench", "exit codes: 0 the benchmark ran"), ("config", "exit codes: 0"), ("check", "exit codes: 0 the check"),
])
def test_every_command_help_says_what_it_does_and_its_exit_codes(workdir, command, codes):
    r = subprocess.run([sys.executable, "-P", "-m", "fdcore", command, "--help"], cwd=workdir,
                       capture_output=True, text=True)
    text = " ".join(r.stdout.split())
    assert r.returncode == 0 and codes in text, r.stdout
    assert text.split("options:")[0].count(".") >= 1  # a description, not only the usage line


TREE_MODEL = textwrap.dedent("""
    import numpy as np

    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 5))
    PARAMS = {"hidden": {"w": rng.normal(size=(5, 4)), "b": np.zeros(4)}, "out": rng.normal(size=4)}


    def init():
        return PARAMS


    def init_raises():
        raise RuntimeError("no parameters today")


    def loss(p):
        return float(np.sum(np.tanh(X @ p["hidden"]["w"] + p["hidden"]["b"]) @ p["out"]))


    def grad(p, bug=False):
        t = np.tanh(X @ p["hidden"]["w"] + p["hidden"]["b"])
        d = (1 - t ** 2) * p["out"]
        gw = X.T @ d
        if bug:
            gw[2] *= 1.001
        return {"hidden": {"w": gw, "b": d.sum(axis=0)}, "out": t.sum(axis=0)}


    def wrong_grad(p):
        return grad(p, bug=True)
""")


def test_params_as_a_tree_name_the_faulty_row(workdir):
    (workdir / "tree_model.py").write_text(TREE_MODEL)
    for params in ("tree_model:init", "tree_model:PARAMS"):
        r = run(workdir, "tree_model:loss", "tree_model:grad", "--params", params)
        assert r.returncode == 0 and "PASSED" in r.stdout, r.stderr
    r = run(workdir, "tree_model:loss", "tree_model:wrong_grad", "--params", "tree_model:init")
    assert r.returncode == 1
    assert "faulty parameters: x['hidden']['w'][2, :]" in r.stdout
    assert "FAILED  x['hidden']['w']  20" in r.stdout
    r = run(workdir, "tree_model:loss", "tree_model:grad", "--params", "tree_model:init_raises")
    assert r.returncode == 3 and "no parameters today" in r.stderr
    r = run(workdir, "tree_model:loss", "tree_model:grad", "--params", "tree_model:missing")
    assert r.returncode == 2 and "cannot load 'tree_model:missing'" in r.stderr


def test_an_x0_file_of_any_shape_is_the_point(workdir):
    """A 2-D array is parameters of that shape (a tree with one leaf): coordinates are named by
    their index."""
    r = run(workdir, "cli_model:loss", "cli_model:grad", "--x0", "x2d.npy")
    assert r.returncode == 0 and "(full, n = 6): PASSED" in r.stdout
    assert "x[1, 2]" in r.stdout or "x[0, 0]" in r.stdout

