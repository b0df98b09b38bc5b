"""The conformance runner's import rewrite (benchmarks/conformance.py): which names reach fdcore."""

import importlib.util
import pathlib

import pytest

RUNNER = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "conformance.py"


@pytest.fixture(scope="module")
def conformance():
    if not RUNNER.exists():
        pytest.skip("benchmarks/conformance.py is not beside the tests (an installed copy of the tests)")
    spec = importlib.util.spec_from_file_location("conformance", RUNNER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_names_fdcore_provides_come_from_fdcore_the_rest_from_the_peer(conformance):
    suite = conformance.Suite("t", "scipy", "x.py", {"scipy.optimize._numdiff": "fdcore.compat.scipy"})
    source = ("import numpy as np\n"
              "from scipy.optimize._numdiff import (\n    approx_derivative, group_columns as gc)\n"
              "def test_a():\n    from scipy.optimize._numdiff import approx_derivative\n")
    text, kept = conformance.redirect_source(source, suite)
    assert "from fdcore.compat.scipy import approx_derivative\n" in text
    assert "from scipy.optimize._numdiff import group_columns as gc\n" in text
    assert "    from fdcore.compat.scipy import approx_derivative\n" in text  # a local import, indented
    assert kept == ["scipy.optimize._numdiff.group_columns"]
    compile(text, "t", "exec")


def test_module_aliases_and_attribute_calls_are_redirected(conformance):
    suite = conformance.Suite("t", "numdifftools", "x.py", {"numdifftools.core": "fdcore.compat.numdifftools"},
                              calls={"optimize.check_grad": "fdcore.compat.scipy"})
    source = ("import numdifftools.core as nd\nimport numpy as np\nfrom scipy import optimize\n"
              "r = optimize.check_grad(f, g, x)\ns = optimize.minimize(f, x)\n")
    text, kept = conformance.redirect_source(source, suite)
    assert "import fdcore.compat.numdifftools as nd\n" in text and "import numpy as np\n" in text
    assert "_fdcore_scipy.check_grad(f, g, x)" in text and "optimize.minimize(f, x)" in text
    assert text.startswith("import fdcore.compat.scipy as _fdcore_scipy\n") and kept == []
