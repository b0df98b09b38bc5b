"""A user's script, type-checked by tests/test_typing.py with mypy --strict and pyright: every
public entry point, the result types each returns, and values used as those types."""

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numpy.typing import NDArray

import fdcore
import fdcore.testing
from fdcore.bench import MethodRank, format_ranking, rank_methods
from fdcore.compat import numdifftools as nd
from fdcore.compat import scipy as fd_scipy
from fdcore.compat import statsmodels as fd_statsmodels
from fdcore.derivatives.types import Objective


def f(x: NDArray[np.float64]) -> float:
    return float(np.sum(np.cos(x)) + x[0] * x[1])


def grad(x: NDArray[np.float64]) -> NDArray[np.float64]:
    g = -np.sin(x)
    g[0] += x[1]
    g[1] += x[0]
    return g


def residuals(x: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.array([x[0] ** 2 - x[1], np.sin(x[1])])


def elementwise(t: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.exp(t)


x = np.array([0.5, -1.0, 2.0])
v = np.array([1.0, 0.0, -1.0])

g: NDArray[np.floating] = fdcore.gradient(f, x)
g_accurate = fdcore.gradient(f, [0.5, -1.0, 2.0], method="forward", order=2, richardson=True, noise=1e-12,
                             args=(), kwargs=None, num_threads=2, progress=False)
result = fdcore.gradient(f, x, full_output=True)
error: NDArray[np.floating] = result.error
nfev: int = result.nfev
steps: NDArray[np.float64] = result.step
print(float(np.max(error)), nfev, steps.shape, g @ g_accurate, result.df.shape)

flag = bool(len(x) > 2)
either = fdcore.gradient(f, x, full_output=flag)  # ndarray | FDResult: narrowed by isinstance
if isinstance(either, fdcore.FDResult):
    print(either.value.shape)
else:
    print(either.shape)

with ThreadPoolExecutor(2) as pool:
    g_pool = fdcore.gradient(f, x, workers=pool)
g_bounded = fdcore.gradient(f, x, bounds=(-5.0, None), step=1e-6)
g_scaled = fdcore.gradient(f, x, typical_x=[1.0, 1.0, 1.0])

J = fdcore.jacobian(residuals, x[:2])
J_result = fdcore.jacobian(residuals, x[:2], full_output=True)
print(J.shape, J_result.value.shape, (J @ x[:2]).sum())
J_sparse = fdcore.jacobian(residuals, x[:2], sparsity=np.ones((2, 2), dtype=bool))

H = fdcore.hessian(f, x, richardson=True)
H_from_grad = fdcore.hessian(None, x, grad=grad)
H_result = fdcore.hessian(f, x, method="forward", full_output=True)
eigenvalues = np.linalg.eigvalsh(H)
diagonal = fdcore.hessian_diagonal(f, x, order=4)
diagonal_result = fdcore.hessian_diagonal(f, x, full_output=True)
print(H_from_grad.shape, H_result.error.shape, diagonal @ diagonal_result.value, eigenvalues[0])

d = fdcore.derivative(elementwise, 0.5)
d_scalar: float = float(d)
d_array = fdcore.derivative(elementwise, np.linspace(0.0, 1.0, 5), n=2, method="complex")
d_result = fdcore.derivative(elementwise, [0.0, 1.0], richardson=True, richardson_terms=2, full_output=True)
print(d_scalar, d_array.shape, d_result.error.max())
dx, dy = fdcore.partials(lambda X, Y: X * Y, np.ones(3), np.ones(3))

slope: float = fdcore.directional_derivative(f, x, v)
tangent: float = fdcore.jvp(f, x, v, step=1e-6)
jv: NDArray[np.floating] = fdcore.jvp(residuals, x[:2], v[:2])
hv: NDArray[np.floating] = fdcore.hvp(f, x, v)
hv_grad = fdcore.hvp(None, x, v, grad=grad)
curvature: float = fdcore.second_directional_derivative(f, x, v)
print(slope + tangent + curvature, jv.shape, hv @ hv_grad, dx.shape, dy.shape)

operator = fdcore.hessian_operator(f, x)
spectrum = fdcore.hessian_eigenvalues(None, x, k=1, which="smallest", grad=grad)
lowest: float = float(spectrum.smallest[0])
decided: bool = bool(spectrum.sign_decided.all())
trace = fdcore.hessian_trace(f, x, samples=10, rng=0)
print(operator.shape, lowest, decided, trace.value + trace.error, spectrum.nhvp)
large_point = fdcore.classify_critical_point(None, np.zeros(3), grad=lambda p: 2 * p, method="lanczos")
model = fdcore.linearize(f, x)
print(model(x + 0.1), model.jacobian.shape, model.nfev)
point = fdcore.classify_critical_point(lambda p: float(p @ p), np.zeros(2))
kind: str = point.kind
print(kind, point.eigenvalues, point.nfev)

check = fdcore.check_grad(f, grad, x, mode="full", seed=np.random.default_rng(0))
passed: bool = check.passed
print(passed, bool(check), str(check), check.worst[:1], check.faulty_blocks)
checked_jacobian = fdcore.check_jacobian(residuals, lambda p: fdcore.jacobian(residuals, p), x[:2], k=4)
print(checked_jacobian.max_rel_error + 0.0)
fdcore.testing.assert_grad_close(f, grad, x, rtol=1e-6)
tree_check = fdcore.check_grad(lambda p: float(np.sum(p["w"] ** 2)), lambda p: {"w": 2 * p["w"]},
                              {"w": np.ones((2, 3))}, mode="full")
named: list[str] = tree_check.parameters
leaf_paths = [leaf.path for leaf in tree_check.leaves]
rule_check = fdcore.check_vjp(residuals, lambda p, u: fdcore.jacobian(residuals, p).T @ u, x[:2], k=4)
fdcore.testing.assert_jvp_close(residuals, lambda p, w: fdcore.jacobian(residuals, p) @ w, x[:2])
print(named, leaf_paths, rule_check.outputs, rule_check.output_blocks)

weights: NDArray[np.float64] = fdcore.stencil_weights(2, [-1, 0, 1])
problem: fdcore.Problem = fdcore.get_problem("rosenbrock", n=4)
problems = fdcore.problem_suite(vector=False)
objective: Objective = problem.f
print(weights.sum(), problem.n, len(problems), fdcore.gradient(objective, problem.x0).shape)
ranking: list[MethodRank] = rank_methods(f, [0.5, -1.0], repeat=1, rtol=1e-6)
best: MethodRank = ranking[0]
best_label: str = best.label
best_error: float = best.rel_error
best_nfev: int = best.nfev
if best.value is not None:
    print(best.value.shape)
ranked_residuals = rank_methods(residuals, x[:2], args=(), kwargs=None, repeat=1)
table: str = format_ranking(ranking, rtol=1e-6)
print(best_label, best_error, best_nfev, best.time, best.options, best.error_source, len(ranked_residuals), table[:4])
fdcore.show_config()
print(fdcore.__version__)

# The compatibility layers keep their peers' signatures, typed.

J_scipy = fd_scipy.approx_derivative(residuals, x[:2], method="2-point", rel_step=1e-6)
gradient_scipy = fd_scipy.approx_fprime(x, f, 1e-8)
difference: float = fd_scipy.check_grad(f, grad, x, direction="random", rng=0)
with fd_scipy.backend():
    pass
H_statsmodels = fd_statsmodels.approx_hess3(x, f)
g_statsmodels = fd_statsmodels.approx_fprime(x, f, centered=True)
g_nd = nd.Gradient(f, method="central", order=4)(x)
H_nd = nd.Hessian(f, full_output=True)(x).estimate  # an EstimateResult, as numdifftools
steps_nd = nd.MinStepGenerator(base_step=1e-4, num_steps=5).steps(0.0)
print(J_scipy, gradient_scipy, difference, H_statsmodels.shape, g_statsmodels.shape, g_nd, H_nd, steps_nd)
