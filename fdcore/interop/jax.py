"""Check JAX derivatives against finite differences: ``jax.grad`` of a model, or the rule of a
``jax.custom_vjp`` / ``custom_jvp`` function, in float64.

JAX computes in float32 unless 64-bit types are enabled; finite differences of a float32 loss
cannot check a gradient to better than ~1e-3 relative. Each check therefore runs with
``jax.enable_x64(True)``: the parameters are converted to float64 NumPy arrays once (the tree's
structure kept: dicts, lists, tuples or any JAX pytree), and the model and its derivative are
evaluated through ``jax.jit`` (one compilation each; every evaluation of f after that is one call
of the compiled function). The checks are fdcore's (`fdcore.check_grad`, `fdcore.check_vjp`,
`fdcore.check_jvp`): a failing one names the parameter array and row, e.g.
``x['layers'][1]['w'][17, :]``.

JAX is optional (``pip install jax``); it is imported when a check runs.
"""

from collections.abc import Callable
from typing import Any, Unpack

import numpy as np

import fdcore
from fdcore import GradCheck
from fdcore.derivatives.types import CheckOptions, RuleCheckOptions

__all__ = ["check_grad", "check_jvp", "check_vjp"]


def _jax():
    try:
        import jax
    except ImportError as exc:
        raise ImportError("fdcore.interop.jax needs JAX: pip install jax") from exc
    return jax


def _float64(jax, tree):
    """The tree with float64 NumPy leaves (one copy)."""
    return jax.tree_util.tree_map(lambda leaf: np.asarray(leaf, dtype=np.float64), tree)


def _to_numpy(jax, tree):
    return jax.tree_util.tree_map(np.asarray, tree)


def check_grad(loss: Callable[..., Any], params: Any, *, grad: Callable[..., Any] | None = None,
               **options: Unpack[CheckOptions]) -> GradCheck:
    """Check ``jax.grad(loss)`` (or ``grad``) at ``params`` against finite differences of ``loss``.

    Parameters
    ----------
    loss : callable
        ``loss(params, *args, **kwargs) -> scalar``, a JAX-traceable function.
    params : pytree
        The parameters: nested dicts, lists and tuples of arrays or any JAX pytree (float32
        leaves are checked in float64).
    grad : callable, optional
        The gradient to check, ``grad(params, *args, **kwargs)`` returning params' structure
        (default ``jax.grad(loss)``: where loss uses a ``custom_vjp`` or ``custom_jvp``
        function, that rule is what is checked).
    **options
        Keyword arguments of `fdcore.check_grad` (mode, k, rtol, atol, seed, args, ...).

    Returns
    -------
    GradCheck

    Examples
    --------
    >>> import jax.numpy as jnp
    >>> import fdcore.interop.jax as fdjax
    >>> loss = lambda p: jnp.sum(jnp.tanh(p["w"]) ** 2) + p["b"] ** 2
    >>> bool(fdjax.check_grad(loss, {"w": jnp.ones((3, 2)), "b": 0.5}))
    True
    """
    jax = _jax()
    with jax.enable_x64(True):
        compiled_loss = jax.jit(loss)
        compiled_grad = jax.jit(jax.grad(loss) if grad is None else grad)

        def f(p, *args, **kwargs):
            return float(compiled_loss(p, *args, **kwargs))

        def g(p, *args, **kwargs):
            return _to_numpy(jax, compiled_grad(p, *args, **kwargs))

        return fdcore.check_grad(f, g, _float64(jax, params), **options)


def check_vjp(f: Callable[..., Any], x: Any, *, vjp: Callable[..., Any] | None = None,
              **options: Unpack[RuleCheckOptions]) -> GradCheck:
    """Check the vector-Jacobian products of a JAX function (its ``custom_vjp`` rule, or
    reverse-mode autodiff through it) against finite differences of f (`fdcore.check_vjp`).

    Parameters
    ----------
    f : callable
        ``f(x) -> array or pytree``, JAX-traceable.
    x : pytree or array
        The point (checked in float64).
    vjp : callable, optional
        ``vjp(x, u) -> J(x)^T u`` in x's structure; default ``jax.vjp(f, x)[1](u)[0]``.
    **options
        Keyword arguments of `fdcore.check_vjp` (k, rtol, atol, seed, ...).

    Returns
    -------
    GradCheck
    """
    jax = _jax()
    default = lambda point, u: jax.vjp(f, point)[1](u)[0]  # noqa: E731
    return _check_rule(jax, fdcore.check_vjp, f, x, vjp or default, options)


def check_jvp(f: Callable[..., Any], x: Any, *, jvp: Callable[..., Any] | None = None,
              **options: Unpack[RuleCheckOptions]) -> GradCheck:
    """Check the Jacobian-vector products of a JAX function (its ``custom_jvp`` rule, or
    forward-mode autodiff through it) against finite differences of f (`fdcore.check_jvp`).

    Parameters
    ----------
    f : callable
        ``f(x) -> array or pytree``, JAX-traceable.
    x : pytree or array
        The point (checked in float64).
    jvp : callable, optional
        ``jvp(x, v) -> J(x) v`` in f's output structure; default ``jax.jvp(f, (x,), (v,))[1]``.
    **options
        Keyword arguments of `fdcore.check_jvp` (k, rtol, atol, seed, ...).

    Returns
    -------
    GradCheck
    """
    jax = _jax()
    default = lambda point, v: jax.jvp(f, (point,), (v,))[1]  # noqa: E731
    return _check_rule(jax, fdcore.check_jvp, f, x, jvp or default, options)


def _check_rule(jax, check, f, x, rule, options):
    """check (fdcore.check_vjp or check_jvp) of the rule of f at x, in float64 through jax.jit."""
    with jax.enable_x64(True):
        compiled_f, compiled_rule = jax.jit(f), jax.jit(rule)
        return check(lambda point: _to_numpy(jax, compiled_f(point)),
                     lambda point, w: _to_numpy(jax, compiled_rule(point, w)), _float64(jax, x), **options)
