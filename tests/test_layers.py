"""The package's layering, enforced by parsing every module's imports (.py, .pyx and .pxd).

    numerics     imports only the standard library, NumPy and fdcore.numerics
    evaluators   imports fdcore.numerics at most (and fdcore._version)
    derivatives  imports fdcore.numerics and fdcore.evaluators
    applications (checking, compat, problems, plotting, bench, testing) use the public namespace
                 ``fdcore``, fdcore.derivatives and fdcore.numerics, the public modules of the other
                 applications (fdcore.compat.*, fdcore.testing, fdcore.kernels) and their own
                 subpackage; never fdcore.evaluators, never another layer's private (_name) names
    bench        is imported by nothing outside fdcore.bench but the command line (__main__)

The source tree is read from the installed package's location; nothing is imported.
"""

import ast
import pathlib
import re
import sys

import pytest

import fdcore

PACKAGE = pathlib.Path(fdcore.__file__).parent
APPLICATIONS = ("checking", "compat", "problems", "plotting", "bench", "testing", "interop")
PUBLIC_MODULES = ("fdcore.compat", "fdcore.testing", "fdcore.kernels", "fdcore._version")
# cimports of Cython's own declarations are part of the language, not dependencies.
CYTHON_BUILTINS = ("cython", "libc", "cpython", "numpy", "libcpp", "posix")
_CYTHON_FROM = re.compile(r"^[ \t]*from\s+([\w.]+)\s+c?import\s+(?:\(([^)]*)\)|([^\n]*))", re.M)
_CYTHON_IMPORT = re.compile(r"^[ \t]*c?import\s+([\w.]+)", re.M)


def imports_of(source, suffix):
    """[(module, [names])] imported by a module's source (names empty for ``import module``)."""
    if suffix == ".py":
        found = []
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                found.append((node.module, [a.name for a in node.names]))
            elif isinstance(node, ast.Import):
                found += [(a.name, []) for a in node.names]
        return found
    source = re.sub(r"#.*", "", source)
    found = [(module, [n.split(" as ")[0].strip() for n in (grouped or line).split(",") if n.strip()])
             for module, grouped, line in _CYTHON_FROM.findall(source)]
    return found + [(module, []) for module in _CYTHON_IMPORT.findall(source)]


def layer_of(module):
    """'root', 'numerics', 'evaluators', 'derivatives', an application's name, or None (not fdcore)."""
    parts = module.split(".")
    if parts[0] != "fdcore":
        return None
    if len(parts) == 1 or parts[1] in ("__init__", "__main__", "_version", "kernels"):
        return "root"
    return parts[1]


def violations(module, imports):
    """The layering rules broken by ``module`` (dotted name) importing ``imports``."""
    layer = layer_of(module)
    problems = []
    for target, names in imports:
        top = target.split(".")[0]
        target_layer = layer_of(target)
        if layer == "numerics":
            if target_layer is None:
                if top not in sys.stdlib_module_names and top not in CYTHON_BUILTINS:
                    problems.append(f"{module} imports {target}: numerics uses only the standard library and NumPy")
            elif target_layer != "numerics":
                problems.append(f"{module} imports {target}: numerics imports only numerics")
        elif layer == "evaluators":
            if target_layer not in (None, "numerics", "evaluators") and target != "fdcore._version":
                problems.append(f"{module} imports {target}: evaluators import numerics at most")
        elif layer == "derivatives":
            if target_layer not in (None, "numerics", "evaluators", "derivatives"):
                problems.append(f"{module} imports {target}: derivatives import numerics and evaluators only")
        elif layer in APPLICATIONS:
            own = target_layer == layer
            if target_layer == "evaluators":
                problems.append(f"{module} imports {target}: applications reach the evaluators through "
                                "fdcore.derivatives")
            elif target_layer in APPLICATIONS and not own and not target.startswith(PUBLIC_MODULES):
                problems.append(f"{module} imports {target}: use the public API of another application")
            if target_layer is not None and not own:
                private = [n for n in names if n.startswith("_") and n != "__version__"]
                if private:
                    problems.append(f"{module} imports the private {', '.join(private)} from {target}")
        if target_layer == "bench" and layer not in ("bench",) and module != "fdcore.__main__":
            problems.append(f"{module} imports {target}: nothing outside fdcore.bench imports it")
    return problems


def modules():
    for path in sorted(PACKAGE.rglob("*")):
        if path.suffix in (".py", ".pyx", ".pxd") and "__pycache__" not in path.parts:
            relative = path.relative_to(PACKAGE.parent).with_suffix("")
            name = ".".join(relative.parts)
            yield name.removesuffix(".__init__"), path


MODULES = list(modules())


def test_every_layer_is_present():
    layers = {layer_of(name) for name, _ in MODULES}
    assert {"numerics", "evaluators", "derivatives", "checking", "compat", "problems", "bench"} <= layers


@pytest.mark.parametrize("name, path", MODULES, ids=[name for name, _ in MODULES])
def test_imports_respect_the_layers(name, path):
    assert violations(name, imports_of(path.read_text(), path.suffix)) == []


def test_the_checker_catches_a_numerics_module_importing_an_evaluator():
    source = "import numpy as np\nfrom fdcore.evaluators.protocol import make_evaluator\n"
    found = violations("fdcore.numerics.steps", imports_of(source, ".py"))
    assert found == ["fdcore.numerics.steps imports fdcore.evaluators.protocol: numerics imports only numerics"]


def test_the_checker_reads_cython_cimports():
    source = "from libc.string cimport memcpy\nfrom fdcore.derivatives.axis cimport (a,\n    b)\n"
    assert violations("fdcore.evaluators.compiled", imports_of(source, ".pyx")) == [
        "fdcore.evaluators.compiled imports fdcore.derivatives.axis: evaluators import numerics at most"]


def test_the_checker_catches_reach_ins_from_applications():
    source = "from fdcore.evaluators.protocol import make_evaluator\nfrom fdcore.derivatives.axis import _retry_steps\n"
    assert len(violations("fdcore.compat.scipy", imports_of(source, ".py"))) == 2
    assert violations("fdcore.derivatives.first", imports_of("import fdcore.bench.core\n", ".py"))


def test_import_fdcore_loads_no_application_module():
    import subprocess

    code = ("import sys, fdcore; print(sorted(m for m in sys.modules if m.startswith('fdcore.') and "
            "m.split('.')[1] in ('bench', 'problems', 'plotting', 'checking', 'compat', 'testing')))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                            cwd=PACKAGE.parent.parent).stdout.strip()
    assert loaded == "[]"
