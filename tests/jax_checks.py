"""The JAX checks of tests/test_interop_jax.py, run in a child process each (``python
jax_checks.py NAME``): JAX starts threads, and a process that imported it must not fork (the
process-pool tests of the same pytest run do)."""

import sys

import jax
import numpy as np

import fdcore.interop.jax as fdjax

jnp = jax.numpy

SIZES = [256, 1024, 768, 16]  # about 10^6 parameters


def make_model(bug_row=None):
    """A tanh MLP whose dense layers are a jax.custom_vjp function; ``bug_row`` plants a 1e-3
    relative error in that row of layer 1's weight gradient (its rule's backward pass)."""

    def dense_factory(layer):
        @jax.custom_vjp
        def dense(w, b, h):
            return h @ w + b

        def forward(w, b, h):
            return h @ w + b, (w, h)

        def backward(saved, d):
            w, h = saved
            gw = h.T @ d
            if bug_row is not None and layer == 1:
                gw = gw.at[bug_row].multiply(1.001)
            return gw, d.sum(axis=0), d @ w.T

        dense.defvjp(forward, backward)
        return dense

    layers = [dense_factory(i) for i in range(len(SIZES) - 1)]
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(8, SIZES[0])), rng.normal(size=(8, SIZES[-1]))

    def loss(params):
        h = X
        for i, (dense, layer) in enumerate(zip(layers, params["layers"])):
            h = dense(layer["w"], layer["b"], h)
            if i < len(layers) - 1:
                h = jnp.tanh(h)
        return 0.5 * jnp.sum((h - Y) ** 2)

    params = {"layers": [{"w": jnp.asarray(rng.normal(size=(a, b)) / np.sqrt(a), dtype=jnp.float32),
                          "b": jnp.asarray(0.1 * rng.normal(size=b), dtype=jnp.float32)}
                         for a, b in zip(SIZES[:-1], SIZES[1:])]}
    return loss, params


def test_a_correct_jax_grad_of_a_million_parameter_mlp_passes_in_40_evaluations():
    loss, params = make_model()
    assert sum(leaf.size for leaf in jax.tree_util.tree_leaves(params)) > 10**6
    result = fdjax.check_grad(loss, params, seed=0)
    assert result.passed and result.nfev <= 40


def test_a_planted_bug_in_a_custom_vjp_layer_is_named_by_path_and_row():
    loss, params = make_model(bug_row=17)
    result = fdjax.check_grad(loss, params, seed=0)
    assert not result.passed
    assert result.parameters == ["x['layers'][1]['w'][17, :]"]
    assert result.nfev <= 250
    assert result.leaves[0].path == "x['layers'][1]['w']"


def test_the_check_runs_in_float64_and_leaves_jax_in_float32():
    loss, params = make_model()
    fdjax.check_grad(loss, params, mode="coordinates", k=4, seed=0)
    assert jnp.ones(2).dtype == jnp.float32  # x64 only inside the check
    assert params["layers"][0]["w"].dtype == jnp.float32  # the user's parameters unchanged


def custom_rule_function(wrong=False):
    @jax.custom_vjp
    def f(x):
        return jnp.sin(x["a"]) * x["b"]

    def forward(x):
        return f(x), x

    def backward(x, u):
        ga = u * jnp.cos(x["a"]) * x["b"]
        if wrong:
            ga = ga.at[3].multiply(1.001)
        return ({"a": ga, "b": u * jnp.sin(x["a"])},)

    f.defvjp(forward, backward)
    return f


def test_custom_vjp_rule():
    x = {"a": jnp.linspace(0.1, 1.0, 10), "b": jnp.linspace(1.0, 2.0, 10)}
    assert fdjax.check_vjp(custom_rule_function(), x, seed=0).passed
    result = fdjax.check_vjp(custom_rule_function(wrong=True), x, seed=0)
    assert not result.passed and result.parameters == ["x['a'][3]"] and result.outputs == ["f[3]"]


def test_custom_jvp_rule():
    @jax.custom_jvp
    def g(x):
        return jnp.exp(x) - 1.0

    @g.defjvp
    def g_jvp(primals, tangents):
        (x,), (v,) = primals, tangents
        return g(x), jnp.exp(x) * v * jnp.where(jnp.arange(x.size) == 5, 1.001, 1.0)

    result = fdjax.check_jvp(g, jnp.linspace(-1.0, 1.0, 8), seed=0)
    assert not result.passed and result.outputs == ["f[5]"] and result.parameters == ["x[5]"]
    assert fdjax.check_jvp(lambda x: jnp.exp(x) - 1.0, jnp.linspace(-1.0, 1.0, 8), seed=0).passed



@jax.tree_util.register_pytree_with_keys_class
class Affine:
    """A user's own pytree class with key paths (as Flax / Equinox modules have)."""

    def __init__(self, weight, bias):
        self.weight, self.bias = weight, bias

    def tree_flatten_with_keys(self):
        key = jax.tree_util.GetAttrKey
        return ((key("weight"), self.weight), (key("bias"), self.bias)), None

    @classmethod
    def tree_unflatten(cls, aux, children):
        return cls(*children)


def test_a_registered_pytree_class_is_named_by_jax_key_paths():
    model = Affine(jnp.linspace(-1.0, 1.0, 6).reshape(2, 3), jnp.array([0.5, -0.5]))
    x = jnp.array([0.3, -0.2, 0.9])

    def loss(m):
        return jnp.sum(jnp.tanh(m.weight @ x + m.bias) ** 2)

    def wrong(m):
        g = jax.grad(loss)(m)
        return Affine(g.weight.at[1, 2].multiply(1.001), g.bias)

    assert fdjax.check_grad(loss, model).passed
    result = fdjax.check_grad(loss, model, grad=wrong)
    assert not result.passed and result.parameters == ["x.weight[1, 2]"], result.parameters

if __name__ == "__main__":
    globals()[sys.argv[1]]()
