"""Test helpers for code that computes gradients: ``fdcore.testing.assert_grad_close``.

This module is public (``import fdcore.testing``) so that it can be used from test suites
without importing pytest into fdcore itself.
"""

from collections.abc import Callable
from typing import Any, Unpack

from numpy.typing import ArrayLike

from fdcore import GradCheck, check_grad, check_jacobian
from fdcore.derivatives.types import CheckOptions, Objective

__all__ = ["assert_grad_close", "assert_jacobian_close"]


def assert_grad_close(f: Objective, grad: Callable[..., Any], x: ArrayLike,
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


def assert_jacobian_close(f: Objective, jac: Callable[..., Any], x: ArrayLike,
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
