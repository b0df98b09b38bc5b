"""fdcore.interop.jax: jax.grad of a model and custom_vjp / custom_jvp rules checked against
finite differences in float64, faults named by pytree path and row.

Each check runs in a child process (tests/jax_checks.py): importing JAX starts threads, after
which this pytest process could not safely fork the process pools of other tests.
"""

import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

if importlib.util.find_spec("jax") is None:
    pytest.skip("JAX is not installed", allow_module_level=True)

CHECKS = pathlib.Path(__file__).with_name("jax_checks.py")
NAMES = ['test_a_correct_jax_grad_of_a_million_parameter_mlp_passes_in_40_evaluations', 'test_a_planted_bug_in_a_custom_vjp_layer_is_named_by_path_and_row', 'test_the_check_runs_in_float64_and_leaves_jax_in_float32', 'test_custom_vjp_rule', 'test_custom_jvp_rule', 'test_a_registered_pytree_class_is_named_by_jax_key_paths']


@pytest.mark.parametrize("name", NAMES)
def test_jax_check(name):
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    run = subprocess.run([sys.executable, str(CHECKS), name], capture_output=True, text=True, env=env, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
