"""check_grad / check_jacobian with parameters as a tree (nested dicts, lists and tuples of
arrays): faults named by path and index, per-array summaries, the user's tree untouched."""

import numpy as np
import pytest

import fdcore


def mlp(sizes, seed=0):
    """A tanh MLP loss over a dict-of-lists-of-dicts of NumPy arrays, with its hand-written
    backward pass; ``bug_row`` plants a 1e-3 relative error in one row of layer 1's weight
    gradient (a wrong custom rule for that layer)."""
    rng = np.random.default_rng(seed)
    params = {"layers": [{"w": rng.normal(size=(a, b)) / np.sqrt(a), "b": 0.1 * rng.normal(size=b)}
                         for a, b in zip(sizes[:-1], sizes[1:])]}
    X, Y = rng.normal(size=(8, sizes[0])), rng.normal(size=(8, sizes[-1]))

    def forward(p):
        hs, h = [X], X
        for i, layer in enumerate(p["layers"]):
            h = h @ layer["w"] + layer["b"]
            if i < len(p["layers"]) - 1:
                h = np.tanh(h)
            hs.append(h)
        return hs

    def loss(p):
        return 0.5 * float(np.sum((forward(p)[-1] - Y) ** 2))

    def grad(p, bug_row=None):
        hs = forward(p)
        d, out = hs[-1] - Y, [None] * len(p["layers"])
        for i in reversed(range(len(p["layers"]))):
            gw = hs[i].T @ d
            if bug_row is not None and i == 1:
                gw[bug_row] *= 1.001
            out[i] = {"w": gw, "b": d.sum(axis=0)}
            if i > 0:
                d = (d @ p["layers"][i]["w"].T) * (1 - hs[i] ** 2)
        return {"layers": out}

    return params, loss, grad


def copy_tree(tree):
    if isinstance(tree, dict):
        return {k: copy_tree(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(copy_tree(v) for v in tree)
    return np.array(tree, copy=True)


def same_tree(a, b):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_tree(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same_tree(x, y) for x, y in zip(a, b))
    return np.array_equal(a, b)


def test_a_million_parameters_correct_gradient_passes_in_40_evaluations():
    params, loss, grad = mlp([256, 1024, 768, 16])
    n = sum(layer["w"].size + layer["b"].size for layer in params["layers"])
    assert n > 10**6
    result = fdcore.check_grad(loss, grad, params, seed=0)
    assert result.passed and result.mode == "directions"
    assert result.nfev <= 40


def test_a_wrong_row_is_named_by_path_and_row_within_250_evaluations():
    params, loss, grad = mlp([256, 1024, 768, 16])
    before = copy_tree(params)
    result = fdcore.check_grad(loss, lambda p: grad(p, bug_row=17), params, seed=0)
    assert not result.passed
    assert result.parameters == ["x['layers'][1]['w'][17, :]"]
    assert result.nfev <= 250 and result.localization_complete
    assert result.leaves[0].path == "x['layers'][1]['w']" and not result.leaves[0].passed
    assert all(leaf.passed for leaf in result.leaves[1:])
    assert "x['layers'][1]['w'][17, :]" in str(result)
    assert same_tree(params, before)  # the user's tree is never modified


def test_full_mode_names_coordinates_and_summarises_every_array():
    params, loss, grad = mlp([5, 4, 3])
    wrong = lambda p: grad(p, bug_row=2)  # noqa: E731
    result = fdcore.check_grad(loss, wrong, params, mode="full")
    assert not result.passed
    assert result.parameters == ["x['layers'][1]['w'][2, :]"]
    assert result.worst[0][0].startswith("x['layers'][1]['w'][2, ")
    assert len(result.leaves) == 4 and result.leaves[0].path == "x['layers'][1]['w']"
    assert [leaf.passed for leaf in result.leaves] == [False, True, True, True]
    assert fdcore.check_grad(loss, grad, params, mode="full").passed


def test_coordinates_mode_on_a_tree():
    params, loss, grad = mlp([5, 4, 3])
    result = fdcore.check_grad(loss, grad, params, mode="coordinates", k=20, seed=1)
    assert result.passed
    assert all(isinstance(row[0], str) and row[0].startswith("x['layers']") for row in result.worst)


def test_lists_tuples_scalars_and_arrays_of_any_shape():
    tree = [np.array([[0.5, -1.0], [2.0, 0.3]]), (1.5, {"z": np.array([0.1, 0.2, 0.3])})]

    def f(t):
        a, (s, d) = t
        return float(np.sum(np.sin(a)) * s + np.sum(d["z"] ** 3))

    def grad(t, wrong=False):
        a, (s, d) = t
        return [np.cos(a) * s, (np.sum(np.sin(a)) + (1e-3 if wrong else 0.0), {"z": 3 * d["z"] ** 2})]

    assert fdcore.check_grad(f, grad, tree, mode="full").passed
    result = fdcore.check_grad(f, lambda t: grad(t, wrong=True), tree, mode="full")
    assert not result.passed and result.parameters == ["x[1][0]"]
    matrix = np.array([[0.5, -1.0], [2.0, 0.3]])
    checked = fdcore.check_grad(lambda a: float(np.sum(a**3)), lambda a: 3 * a**2 + (a == 2.0) * 1e-3, matrix)
    assert checked.parameters == ["x[1, 0]"]


def test_f_sees_the_tree_read_only():
    seen = []

    def f(t):
        seen.append(t["a"].flags.writeable)
        return float(np.sum(t["a"] ** 2))

    fdcore.check_grad(f, lambda t: {"a": 2 * t["a"]}, {"a": np.arange(3.0)}, mode="full")
    assert seen and not any(seen)


def test_a_gradient_of_another_structure_is_an_error_naming_the_path():
    tree = {"a": np.ones(3), "b": np.ones(2)}
    f = lambda t: float(np.sum(t["a"]) + np.sum(t["b"]))  # noqa: E731
    with pytest.raises(ValueError, match=r"grad must return a tree of x's structure: missing x\['b'\]"):
        fdcore.check_grad(f, lambda t: {"a": np.ones(3)}, tree)
    with pytest.raises(ValueError, match=r"grad returned x\['b'\] of shape \(3,\), expected \(2,\)"):
        fdcore.check_grad(f, lambda t: {"a": np.ones(3), "b": np.ones(3)}, tree)


def test_vectorized_takes_a_flat_x():
    with pytest.raises(ValueError, match="vectorized= takes x as a flat vector"):
        fdcore.check_grad(lambda t: 0.0, lambda t: t, {"a": np.ones(2)}, vectorized=True)


def test_check_jacobian_on_a_tree():
    params = {"a": np.array([0.3, 0.7]), "b": np.ones((2, 2))}

    def f(t):
        return np.array([t["a"][0] * t["b"][0, 1], np.sin(t["a"][1]) + t["b"].sum()])

    def jac(t, wrong=False):  # leaves of shape (m,) + the parameter's shape, as jax.jacrev gives
        ja = np.array([[t["b"][0, 1], 0.0], [0.0, np.cos(t["a"][1])]])
        jb = np.zeros((2, 2, 2))
        jb[0, 0, 1], jb[1] = t["a"][0], 1.0
        if wrong:
            jb[1, 1, 0] += 1e-3
        return {"a": ja, "b": jb}

    for mode in ("full", "directions", "coordinates"):
        assert fdcore.check_jacobian(f, jac, params, mode=mode, seed=0).passed
        result = fdcore.check_jacobian(f, lambda t: jac(t, wrong=True), params, mode=mode, seed=0, k=8)
        assert not result.passed and result.parameters == ["x['b'][1, 0]"], mode


def test_the_pytorch_recipe_of_the_docs():
    """docs/checking.rst's recipe: a torch model's parameters as a dict of NumPy arrays."""
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)).double()
    X, Y = torch.randn(16, 4, dtype=torch.float64), torch.randn(16, 1, dtype=torch.float64)
    params = {name: p.detach().numpy().copy() for name, p in model.named_parameters()}

    def as_torch(p, requires_grad=False):
        return {name: torch.tensor(value, requires_grad=requires_grad) for name, value in p.items()}

    def loss(p):
        with torch.no_grad():
            return float(((torch.func.functional_call(model, as_torch(p), (X,)) - Y) ** 2).mean())

    def loss_grad(p, bug=False):
        tensors = as_torch(p, requires_grad=True)
        value = ((torch.func.functional_call(model, tensors, (X,)) - Y) ** 2).mean()
        grads = [g.numpy() for g in torch.autograd.grad(value, list(tensors.values()))]
        if bug:
            grads[0][3, 1] *= 1.001
        return dict(zip(tensors, grads))

    assert fdcore.check_grad(loss, loss_grad, params).passed
    result = fdcore.check_grad(loss, lambda p: loss_grad(p, bug=True), params)
    assert result.parameters == ["x['0.weight'][3, 1]"]
