"""Smoke test of an installed fdcore (a wheel, or an install from the sdist), run from outside the
repository with `python -P` so that the source tree cannot be the fdcore that is imported.

Used by .ci/package and by cibuildwheel's test-command (pyproject.toml). Checks that the compiled
extensions load, that a Python-callable gradient and a compiled-objective gradient on two OpenMP
threads are right, and that the build has OpenMP.
"""

import io
import pathlib
import re

import numpy as np

import fdcore

print("fdcore", fdcore.__version__, "from", fdcore.__file__)
checkout = pathlib.Path(__file__).resolve().parents[1]  # the repository, or cibuildwheel's test dir
assert checkout not in pathlib.Path(fdcore.__file__).resolve().parents, "imported the source tree"

g = fdcore.gradient(lambda p: p @ p, [1.0, 2.0])
assert np.allclose(g, [2.0, 4.0], rtol=1e-7, atol=0), g

problem = fdcore.get_problem("rosenbrock", 50)  # its compiled (C) objective runs the OpenMP kernels
x = np.linspace(-1.0, 2.0, 50)
g2 = fdcore.gradient(problem.compiled, x, num_threads=2)
assert np.allclose(g2, problem.derivative(x), rtol=1e-6, atol=1e-6), np.max(np.abs(g2 - problem.derivative(x)))

report = io.StringIO()
fdcore.show_config(file=report)
text = report.getvalue()
print(text)
assert re.search(r"^openmp\s+True$", text, re.M), "this build has no OpenMP"
print("smoke test passed")
