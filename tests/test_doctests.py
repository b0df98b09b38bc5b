"""The docstring examples of every fdcore module that has them run and pass."""

import doctest
import importlib

import pytest

MODULES = ["fdcore.derivatives.first", "fdcore.derivatives.hessian", "fdcore.derivatives.directional",
           "fdcore.derivatives.elementwise", "fdcore.derivatives.analysis", "fdcore.derivatives.large", "fdcore.problems.suite",
           "fdcore.evaluators.config", "fdcore.checking.rules", "fdcore.testing", "fdcore.bench.function"]


@pytest.mark.parametrize("name", MODULES)
def test_module_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.attempted > 0
    assert result.failed == 0
