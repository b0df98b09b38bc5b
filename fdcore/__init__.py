"""fdcore: fast, trustworthy finite-difference derivatives.

Public API: gradient, jacobian, hessian, jvp, directional_derivative, derivative, linearize,
classify_critical_point, show_config, and the built-in test problems (get_problem,
Problem, PROBLEM_NAMES). Everything else is private.
"""

from fdcore._version import __version__

try:
    from fdcore import _pykernels  # noqa: F401  (the compiled extension)
except ImportError as exc:  # pragma: no cover - depends on how fdcore was (not) installed
    raise ImportError(
        "fdcore's compiled extension could not be imported. If you are running from the source "
        "tree, install the package first (`pip install .`) and run from outside the source "
        f"directory, or build in place (`python setup.py build_ext --inplace`). Cause: {exc}"
    ) from exc

from fdcore._callbacks import Callback
from fdcore._check import GradCheck, check_grad, check_jacobian
from fdcore._analysis import CriticalPoint, Linearization, classify_critical_point, linearize
from fdcore._api import (
    derivative,
    directional_derivative,
    gradient,
    hessian,
    hvp,
    jacobian,
    jvp,
    partials,
)
from fdcore._config import show_config
from fdcore._plots import plot_step_error
from fdcore._fdresult import FDResult
from fdcore._problems import PROBLEM_NAMES, Problem, get_problem, problem_suite
from fdcore._stencils import stencil_weights

__all__ = [
    "Callback",
    "CriticalPoint",
    "FDResult",
    "GradCheck",
    "Linearization",
    "PROBLEM_NAMES",
    "Problem",
    "__version__",
    "check_grad",
    "check_jacobian",
    "classify_critical_point",
    "derivative",
    "directional_derivative",
    "get_problem",
    "gradient",
    "hessian",
    "hvp",
    "jacobian",
    "jvp",
    "linearize",
    "partials",
    "plot_step_error",
    "problem_suite",
    "show_config",
    "stencil_weights",
]
