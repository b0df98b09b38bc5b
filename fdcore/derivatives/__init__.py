"""The façade: every public derivative, each entry point as validate -> plan -> evaluate ->
combine -> result.

first        gradient, jacobian            hessian      hessian (dense, from a gradient, sparse)
directional  jvp, hvp, directional_derivative
large        hessian_diagonal, second_directional_derivative, hessian_operator, hessian_eigenvalues,
             hessian_trace (large n: nothing of size n^2)
elementwise  derivative, partials          analysis     linearize, classify_critical_point
axis         running axis plans through an evaluator (retries at other steps, one-sided fallbacks)
bounds, sparse, complex_step   bounds=, sparsity=, method='complex'
validation   argument checks that name the argument         docs   parameter documentation
result       FDResult

Rule (tests/test_layers.py): imports fdcore.numerics and fdcore.evaluators.
"""
