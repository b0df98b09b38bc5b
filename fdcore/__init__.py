"""fdcore: fast, trustworthy finite-difference derivatives.

Data flows down, results flow up::

    fdcore (this namespace)      the public API; applications load on first use (PEP 562)
      applications               checking/ (check_grad, check_jacobian) · compat/ (SciPy, numdifftools)
                                 problems/ (test problems) · plotting/ · bench/ (python -m fdcore bench)
            |  public API only
      derivatives/  (façade)     gradient, jacobian, hessian, jvp, derivative, ...: each entry point
                                 validates, plans, evaluates and combines
            |
      numerics/   (no f)         stencils, step rules, Richardson tableaux, the one error model
      evaluators/ (calls f)      Python callables, compiled callbacks (nogil, OpenMP), batches, workers

An evaluator is made once per call with f, its arguments and the private work copy of x bound;
it turns a plan (the offsets at which f is needed) into values of f. A new kind of objective is a
new evaluator, a new numerical method is new numerics; neither touches the other.
tests/test_layers.py enforces the layering by parsing every module's imports.
"""

import importlib
from typing import TYPE_CHECKING, Any

from fdcore._version import __version__

try:
    from fdcore.evaluators import python_callable as _python_callable  # noqa: F401  (the compiled extension)
except ImportError as exc:  # pragma: no cover - depends on how fdcore was (not) installed
    raise ImportError(
        "fdcore's compiled extension could not be imported. If you are running from the source "
        "tree, install the package first (`pip install .`) and run from outside the source "
        f"directory, or build in place (`python setup.py build_ext --inplace`). Cause: {exc}"
    ) from exc

from fdcore.derivatives.analysis import (
    CriticalPoint,
    Linearization,
    classify_critical_point,
    linearize,
)
from fdcore.derivatives.directional import directional_derivative, hvp, jvp
from fdcore.derivatives.elementwise import derivative, partials
from fdcore.derivatives.first import gradient, jacobian
from fdcore.derivatives.hessian import hessian
from fdcore.derivatives.large import (
    HessianEigenvalues,
    HessianTrace,
    hessian_diagonal,
    hessian_eigenvalues,
    hessian_operator,
    hessian_trace,
    second_directional_derivative,
)
from fdcore.derivatives.result import FDResult
from fdcore.evaluators.callbacks import Callback
from fdcore.evaluators.config import show_config
from fdcore.numerics.stencils import stencil_weights

# Public names whose modules are imported only when first used: `import fdcore` loads no
# checking, problem, plotting, compat or bench module. Type checkers see them imported.
if TYPE_CHECKING:
    from fdcore import compat as compat  # submodules, loaded on first use
    from fdcore import testing as testing
    from fdcore.checking.checks import GradCheck, LeafReport, check_grad, check_jacobian
    from fdcore.checking.rules import check_jvp, check_vjp
    from fdcore.plotting.step_error import plot_step_error
    from fdcore.problems.suite import PROBLEM_NAMES, Problem, get_problem, problem_suite

_LAZY = {
    "GradCheck": "fdcore.checking.checks",
    "check_grad": "fdcore.checking.checks",
    "check_jacobian": "fdcore.checking.checks",
    "check_jvp": "fdcore.checking.rules",
    "check_vjp": "fdcore.checking.rules",
    "LeafReport": "fdcore.checking.checks",
    "PROBLEM_NAMES": "fdcore.problems.suite",
    "Problem": "fdcore.problems.suite",
    "get_problem": "fdcore.problems.suite",
    "problem_suite": "fdcore.problems.suite",
    "plot_step_error": "fdcore.plotting.step_error",
}
_LAZY_SUBMODULES = ("compat", "testing")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value  # later lookups skip __getattr__
        return value
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"fdcore.{name}")
    raise AttributeError(f"module 'fdcore' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


__all__ = [
    "Callback",
    "CriticalPoint",
    "FDResult",
    "GradCheck",
    "HessianEigenvalues",
    "HessianTrace",
    "LeafReport",
    "Linearization",
    "PROBLEM_NAMES",
    "Problem",
    "__version__",
    "check_grad",
    "check_jacobian",
    "check_jvp",
    "check_vjp",
    "classify_critical_point",
    "derivative",
    "directional_derivative",
    "get_problem",
    "gradient",
    "hessian",
    "hessian_diagonal",
    "hessian_eigenvalues",
    "hessian_operator",
    "hessian_trace",
    "hvp",
    "jacobian",
    "jvp",
    "linearize",
    "partials",
    "plot_step_error",
    "problem_suite",
    "second_directional_derivative",
    "show_config",
    "stencil_weights",
]
