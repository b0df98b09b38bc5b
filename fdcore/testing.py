"""Test helpers for code that computes gradients: ``fdcore.testing.assert_grad_close``.

This module is public (``import fdcore.testing``) so that it can be used from test suites
without importing pytest into fdcore itself.
"""

from collections.abc import Callable
from typing import Any, Unpack

from fdcore import GradCheck, check_grad, check_jacobian, check_jvp, check_vjp
from fdcore.derivatives.types import (
    CheckOptions,
    Objective,
    Parameters,
    RuleCheckOptions,
)

__all__ = ["assert_grad_close", "assert_jacobian_close", "assert_jvp_close", "assert_vjp_close"]


def assert_grad_close(f: Objective, grad: Callable[..., Any], x: Parameters,
                      **options: Unpack[CheckOptions]) -> GradCheck:
    """Raise AssertionError, with the check's report, unless grad agrees with f's finite differences.

    Parameters
    ----------
    f, grad, x, **options
        As for `fdcore.check_grad` (mode, k, rtol, atol, seed, ...).

    Returns
    -------
    GradCheck
        The passing check, for further inspection.

    Examples
    --------
    >>> import numpy as np
    >>> from fdcore.testing import assert_grad_close
    >>> _ = assert_grad_close(lambda x: np.sum(x ** 3), lambda x: 3 * x ** 2, np.linspace(-1, 1, 20))
    >>> assert_grad_close(lambda x: np.sum(x ** 3), lambda x: 3 * x, np.linspace(-1, 1, 20))
    Traceback (most recent call last):
    ...
    AssertionError: gradient check (full, n = 20): FAILED
    ...
    """
    result = check_grad(f, grad, x, **options)
    if not result.passed:
        raise AssertionError(str(result))
    return result


def assert_jacobian_close(f: Objective, jac: Callable[..., Any], x: Parameters,
                          **options: Unpack[CheckOptions]) -> GradCheck:
    """Like `assert_grad_close` for a Jacobian function (see `fdcore.check_jacobian`).

    Parameters
    ----------
    f : callable
        The vector function ``f(x, *args, **kwargs) -> (m,)`` (any evaluator kind that
        `fdcore.check_jacobian` takes).
    jac : callable
        ``jac(x, *args, **kwargs) -> array of shape (m, n)``: the Jacobian to check.
    x : array_like, shape (n,)
        The point.
    **options
        Keyword arguments of `fdcore.check_jacobian` (mode, k, rtol, atol, seed, args, ...).

    Returns
    -------
    GradCheck
        The passing check, for further inspection.
    """
    result = check_jacobian(f, jac, x, **options)
    if not result.passed:
        raise AssertionError(str(result))
    return result


def assert_vjp_close(f: Callable[..., Any], vjp: Callable[..., Any], x: Parameters,
                     **options: Unpack[RuleCheckOptions]) -> GradCheck:
    """Raise AssertionError, with the report naming the faulty outputs and inputs, unless the
    vector-Jacobian product rule agrees with f's finite differences (see `fdcore.check_vjp`).

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)``: an array or a tree of arrays.
    vjp : callable
        ``vjp(x, u, *args, **kwargs) -> J(x)^T u``: the rule to check.
    x : array_like, or a tree of arrays
        The point.
    **options
        Keyword arguments of `fdcore.check_vjp` (k, rtol, atol, seed, args, ...).

    Returns
    -------
    GradCheck
        The passing check, for further inspection.

    Examples
    --------
    >>> import numpy as np
    >>> from fdcore.testing import assert_vjp_close
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    >>> _ = assert_vjp_close(lambda x: np.sin(A @ x), lambda x, u: A.T @ (u * np.cos(A @ x)), np.ones(2))
    """
    result = check_vjp(f, vjp, x, **options)
    if not result.passed:
        raise AssertionError(str(result))
    return result


def assert_jvp_close(f: Callable[..., Any], jvp: Callable[..., Any], x: Parameters,
                     **options: Unpack[RuleCheckOptions]) -> GradCheck:
    """Like `assert_vjp_close` for a Jacobian-vector product rule (see `fdcore.check_jvp`).

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)``: an array or a tree of arrays.
    jvp : callable
        ``jvp(x, v, *args, **kwargs) -> J(x) v``: the rule to check.
    x : array_like, or a tree of arrays
        The point.
    **options
        Keyword arguments of `fdcore.check_jvp` (k, rtol, atol, seed, args, ...).

    Returns
    -------
    GradCheck
        The passing check, for further inspection.
    """
    result = check_jvp(f, jvp, x, **options)
    if not result.passed:
        raise AssertionError(str(result))
    return result
