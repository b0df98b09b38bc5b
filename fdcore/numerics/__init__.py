"""Numerics: the mathematics of finite differences, with no knowledge of how f is called.

stencils    Fornberg weights (exact rationals) and the standard offsets
steps       every step rule (default, user, jvp, complex step) and the accuracy order
options     method / order / richardson / step_ratio / noise, parsed once
richardson  axis plans, level estimates and the Richardson tableau with per-component selection
contour     derivatives of order n >= 2 from f on a circle in the complex plane (Lyness & Moler)
errors      the one error model: round-off, noise and truncation estimates, each constant once
adaptive    step='adaptive': the step minimising truncation plus round-off per coordinate
lanczos     thick-restart Lanczos: extreme eigenpairs of a symmetric operator from its products
arrays, coloring   compiled helpers (finite checks and step fills at small n; greedy colouring)

Rule (tests/test_layers.py): imports only the standard library, NumPy and fdcore.numerics.
"""
