"""Conformance runner: the peers' own test suites, run against fdcore.compat and against the peers.

    python benchmarks/conformance.py            # every suite; prints the table, exit 0
    python benchmarks/conformance.py --strict   # exit 1 where fdcore.compat fails a test the peer passes
    python benchmarks/conformance.py --suite scipy-numdiff -v   # one suite, with pytest's failure report
    python benchmarks/conformance.py --backend  # also SciPy's optimize tests with fdcore as its backend

At run time each suite's test module is copied from the installed peer package into a temporary
directory (nothing of the peers is stored in this repository) and run twice with pytest, in a
subprocess each: as shipped (the peer's baseline), and with its imports pointed at fdcore.compat.
The rewrite works on the module's import statements (found with `ast`): a name imported from a
redirected peer module comes from the fdcore.compat module where that module provides it and from
the peer otherwise; those names are listed in the report, because tests that use only them test
the peer, not fdcore. ``import peer.module as nd`` becomes ``import fdcore.compat.x as nd``: an
attribute fdcore.compat lacks then fails the test that uses it. Attribute calls on a peer module
imported under another name (``optimize.check_grad``) are rewritten per suite (`Suite.calls`).
A suite whose compat module does not exist is reported as such and not run against fdcore.

With ``--backend``, SciPy's optimize test modules that exercise its finite differences run in
place (from the installed SciPy, with SciPy's conftest) twice: as shipped, and with a pytest plugin
that calls ``fdcore.compat.scipy.install()`` first, so that every scipy.optimize module's
``approx_derivative`` is fdcore's; the report lists tests that fail only with the backend.
"""

import argparse
import ast
import importlib
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Suite:
    name: str
    package: str  # the installed peer package holding the test module
    path: str  # the test module, relative to the package directory
    redirect: dict  # peer module -> fdcore.compat module
    calls: dict = field(default_factory=dict)  # "optimize.check_grad" -> the compat module's name
    tests: tuple = ()  # test functions to run (default: the whole module)
    helpers: tuple = ()  # (package-relative path, module name it is imported as) copied beside it


SUITES = (
    Suite("scipy-numdiff", "scipy", "optimize/tests/test__numdiff.py",
          {"scipy.optimize._numdiff": "fdcore.compat.scipy"}),
    Suite("scipy-optimize-fd", "scipy", "optimize/tests/test_optimize.py", {},
          calls={"optimize.check_grad": "fdcore.compat.scipy", "optimize.approx_fprime": "fdcore.compat.scipy"},
          tests=("test_check_grad", "test_approx_fprime")),
    Suite("numdifftools-core", "numdifftools", "tests/test_numdifftools.py",
          {"numdifftools.core": "fdcore.compat.numdifftools", "numdifftools": "fdcore.compat.numdifftools",
           "numdifftools.step_generators": "fdcore.compat.numdifftools",
           # EstimateResult, public as numdifftools.core.EstimateResult (the helper checks results
           # with isinstance); the module's typing aliases stay the peer's
           "numdifftools._typing": "fdcore.compat.numdifftools"},
          helpers=(("tests/hamiltonian.py", "numdifftools.tests.hamiltonian"),)),
    Suite("numdifftools-steps", "numdifftools", "tests/test_step_generators.py",
          {"numdifftools.core": "fdcore.compat.numdifftools",
           "numdifftools.step_generators": "fdcore.compat.numdifftools"}),
    Suite("numdifftools-complex", "numdifftools", "tests/test_jacobian_complex_validation.py",
          {"numdifftools": "fdcore.compat.numdifftools"}),
    Suite("statsmodels-numdiff", "statsmodels", "tools/tests/test_numdiff.py",
          {"statsmodels.tools.numdiff": "fdcore.compat.statsmodels"},
          calls={"numdiff.": "fdcore.compat.statsmodels"}),
)


@dataclass
class Outcome:
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    failures: list = field(default_factory=list)  # test names that failed or errored
    note: str = ""

    @property
    def total(self):
        return self.passed + self.failed + self.errors + self.skipped


def _module_available(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


def _provided(compat_module, name):
    module = importlib.import_module(compat_module)
    return hasattr(module, name)


def redirect_source(source, suite):
    """The test module's source with its imports pointed at fdcore.compat; also the names that
    stay with the peer (no counterpart in fdcore.compat)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    edits = []  # (first line, last line, replacement text), 1-based inclusive
    kept = []
    helper_modules = {module for _, module in suite.helpers}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in helper_modules:
            edits.append((node.lineno, node.end_lineno, _indent(lines[node.lineno - 1]) + "from "
                          + _helper_name(node.module) + " import "
                          + ", ".join(_alias(a) for a in node.names) + "\n"))
        elif isinstance(node, ast.ImportFrom) and node.module in suite.redirect:
            target = suite.redirect[node.module]
            ours = [a for a in node.names if _provided(target, a.name)]
            theirs = [a for a in node.names if not _provided(target, a.name)]
            kept += [f"{node.module}.{a.name}" for a in theirs]
            indent = _indent(lines[node.lineno - 1])
            text = ""
            if ours:
                text += f"{indent}from {target} import {', '.join(_alias(a) for a in ours)}\n"
            if theirs:
                text += f"{indent}from {node.module} import {', '.join(_alias(a) for a in theirs)}\n"
            edits.append((node.lineno, node.end_lineno, text))
        elif isinstance(node, ast.Import):
            if any(a.name in suite.redirect and a.asname for a in node.names):
                indent = _indent(lines[node.lineno - 1])
                parts = [f"{suite.redirect[a.name]} as {a.asname}" if a.name in suite.redirect and a.asname else _alias(a)
                         for a in node.names]
                edits.append((node.lineno, node.end_lineno, f"{indent}import {', '.join(parts)}\n"))
    for first, last, text in sorted(edits, reverse=True):
        lines[first - 1:last] = [text]
    source = "".join(lines)
    for call, target in suite.calls.items():
        alias = "_fdcore_" + target.rsplit(".", 1)[-1]
        pattern = re.escape(call) + (r"(?=\w)" if call.endswith(".") else r"\b")
        replacement = alias + "." + (call.split(".", 1)[1] if not call.endswith(".") else "")
        source, count = re.subn(r"(?<![\w.])" + pattern, replacement, source)
        if count:
            source = f"import {target} as {alias}\n" + source
    return source, sorted(set(kept))


def _indent(line):
    return line[:len(line) - len(line.lstrip())]


def _alias(a):
    return f"{a.name} as {a.asname}" if a.asname else a.name


def _helper_name(module):
    return "_helper_" + module.rsplit(".", 1)[-1]


def _package_dir(package):
    return pathlib.Path(importlib.import_module(package).__file__).parent


def _run_pytest(directory, module, tests, verbose):
    """pytest on directory/module (only ``tests`` if given) in a subprocess: an Outcome."""
    targets = [f"{module}::{t}" for t in tests] if tests else [module]
    (directory / "pytest.ini").write_text("[pytest]\n")  # not the repository's configuration
    options = ["-W", "ignore::DeprecationWarning", "--rootdir", str(directory), "-c", str(directory / "pytest.ini")]
    return _pytest(directory, directory / f"{module}.xml", options + targets, verbose)


def _pytest(directory, report, arguments, verbose, env=None):
    """``python -m pytest arguments`` in a subprocess, from directory: an Outcome read from its
    JUnit report (failures named class::test)."""
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", *arguments]
    start = time.perf_counter()
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", **(env or {}))
    done = subprocess.run(command, cwd=directory, capture_output=True, text=True, env=env)
    outcome = Outcome(seconds=time.perf_counter() - start)
    if verbose:
        print(done.stdout[-20000:], done.stderr[-5000:])
    if not report.exists():
        outcome.note = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["pytest did not run"]
        outcome.note = outcome.note[0][:200]
        outcome.errors = 1
        return outcome
    for case in ET.parse(report).getroot().iter("testcase"):
        kinds = {child.tag for child in case}
        name = case.get("name")
        if case.get("classname", "").rsplit(".", 1)[-1][:1].isupper():  # a test class
            name = case.get("classname").rsplit(".", 1)[-1] + "::" + name
        if "failure" in kinds:
            outcome.failed += 1
            outcome.failures.append(name)
        elif "error" in kinds:
            outcome.errors += 1
            outcome.failures.append(name)
        elif "skipped" in kinds:
            outcome.skipped += 1
        else:
            outcome.passed += 1
    return outcome


def run_suite(suite, verbose=False):
    """(peer Outcome, fdcore Outcome or None, names kept with the peer) for one suite."""
    package_dir = _package_dir(suite.package)
    source = (package_dir / suite.path).read_text()
    module = "test_" + suite.name.replace("-", "_") + ".py"
    with tempfile.TemporaryDirectory(prefix="fdcore-conformance-") as tmp:
        peer_dir, ours_dir = pathlib.Path(tmp, "peer"), pathlib.Path(tmp, "fdcore")
        peer_dir.mkdir()
        ours_dir.mkdir()
        (peer_dir / module).write_text(source)
        peer = _run_pytest(peer_dir, module, suite.tests, verbose)
        targets = set(suite.redirect.values()) | set(suite.calls.values())
        missing = [t for t in sorted(targets) if not _module_available(t)]
        if missing:
            return peer, None, [f"no module {', '.join(missing)}"]
        for path, helper in suite.helpers:
            text, _ = redirect_source((package_dir / path).read_text(), suite)
            (ours_dir / (_helper_name(helper) + ".py")).write_text(text)
        text, kept = redirect_source(source, suite)
        (ours_dir / module).write_text(text)
        ours = _run_pytest(ours_dir, module, suite.tests, verbose)
    return peer, ours, kept


# SciPy's optimize test modules that exercise its finite differences (minimize without jac,
# least_squares, root, SLSQP, trust-constr, L-BFGS-B, TNC, approx_fprime, check_grad, ...), run in
# place from the installed SciPy, with and without fdcore's backend (fdcore.compat.scipy.install).
BACKEND_MODULES = ("test_least_squares", "test_minimize_constrained", "test_slsqp", "test_differentiable_functions",
                   "test__root", "test_lbfgsb_hessinv", "test_lbfgsb_setulb", "test_constraint_conversion",
                   "test__numdiff", "test_trustregion", "test_trustregion_krylov", "test_trustregion_exact",
                   "test_optimize", "test_tnc", "test_constraints", "test_hessian_update_strategy", "test_minpack",
                   "test_cobyla", "test_regression")
_BACKEND_PLUGIN = """def pytest_configure(config):
    import fdcore.compat.scipy
    fdcore.compat.scipy.install()
"""


def run_backend(verbose=False):
    """(SciPy's optimize tests as shipped, the same with fdcore's backend installed): Outcomes."""
    targets = ["--pyargs"] + [f"scipy.optimize.tests.{module}" for module in BACKEND_MODULES]
    with tempfile.TemporaryDirectory(prefix="fdcore-backend-") as tmp:
        directory = pathlib.Path(tmp)
        (directory / "fdcore_scipy_backend.py").write_text(_BACKEND_PLUGIN)
        path = os.pathsep.join(filter(None, [str(directory), os.environ.get("PYTHONPATH")]))
        with ThreadPoolExecutor(2) as pool:  # two pytest processes at once
            plain = pool.submit(_pytest, directory, directory / "plain.xml", targets, verbose)
            routed = pool.submit(_pytest, directory, directory / "routed.xml", ["-p", "fdcore_scipy_backend"] + targets,
                                 verbose, {"PYTHONPATH": path})
            return plain.result(), routed.result()


def _counts(outcome):
    if outcome is None:
        return "not run"
    text = f"{outcome.passed} / {outcome.total}"
    if outcome.failed or outcome.errors:
        text += f" ({outcome.failed} failed, {outcome.errors} errors)"
    if outcome.skipped:
        text += f" ({outcome.skipped} skipped)"
    return text + f", {outcome.seconds:.0f} s"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--suite", action="append", choices=[s.name for s in SUITES],
                        help="run only this suite (repeatable)")
    parser.add_argument("--strict", action="store_true",
                        help="exit 1 where fdcore.compat fails a test that passes against the peer")
    parser.add_argument("--backend", action="store_true",
                        help="also run SciPy's optimize tests with fdcore as scipy.optimize's finite-difference backend")
    parser.add_argument("-v", "--verbose", action="store_true", help="print pytest's output")
    args = parser.parse_args(argv)
    chosen = [s for s in SUITES if not args.suite or s.name in args.suite]
    regressions = 0
    print(f"{'suite':22s} {'peer (as shipped)':34s} fdcore.compat")
    installed = [s for s in chosen if _module_available(s.package)]
    with ThreadPoolExecutor(2) as pool:  # the suites are independent processes: two at a time
        results = dict(zip([s.name for s in installed], pool.map(lambda s: run_suite(s, args.verbose), installed)))
    for suite in chosen:
        if suite.name not in results:
            print(f"{suite.name:22s} {suite.package} is not installed")
            continue
        peer, ours, kept = results[suite.name]
        print(f"{suite.name:22s} {_counts(peer):34s} {_counts(ours)}")
        if kept:
            print(f"{'':22s} from the peer (no fdcore.compat counterpart): {', '.join(kept)}")
        if ours is not None:
            behind = sorted(set(ours.failures) - set(peer.failures))
            regressions += len(behind)
            if behind:
                print(f"{'':22s} failing against fdcore.compat only: {', '.join(behind)}")
        else:
            regressions += peer.passed
    if args.backend and _module_available("scipy"):
        plain, routed = run_backend(args.verbose)
        print(f"{'scipy-optimize-backend':22s} {_counts(plain):34s} {_counts(routed)}  (fdcore.compat.scipy.install())")
        behind = sorted(set(routed.failures) - set(plain.failures))
        regressions += len(behind)
        if behind:
            print(f"{'':22s} failing with the backend only: {', '.join(behind)}")
    return 1 if args.strict and regressions else 0


if __name__ == "__main__":
    sys.exit(main())
