"""The packaging configuration, read as files: nothing is built here (.ci/package builds the sdist
and a wheel from it, and checks what they contain)."""

import ast
import os
import re
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PROJECT = PYPROJECT["project"]
CIBW = PYPROJECT["tool"]["cibuildwheel"]
SUPPORTED = ("3.11", "3.12", "3.13")


def test_license_file_is_the_declared_bsd_3_clause():
    text = (ROOT / "LICENSE").read_text()
    assert PROJECT["license"] == "BSD-3-Clause"
    assert PROJECT["license-files"] == ["LICENSE"]
    assert text.startswith("BSD 3-Clause License\n")
    assert re.search(r"^Copyright \(c\) \d{4}, the fdcore developers$", text, re.M)
    assert "Neither the name of the copyright holder nor the names of its" in text  # clause 3
    # PEP 639: a license expression excludes license classifiers (setuptools refuses both)
    assert not [c for c in PROJECT["classifiers"] if c.startswith("License ::")]


def test_metadata_names_authors_keywords_and_urls():
    assert PROJECT["authors"] == [{"name": "fdcore developers"}]
    assert len(PROJECT["keywords"]) >= 5
    urls = PROJECT["urls"]
    assert set(urls) == {"Homepage", "Documentation", "Source", "Issues"}
    assert urls["Homepage"] == urls["Source"] == "https://github.com/fdcore/fdcore"
    assert urls["Issues"] == urls["Source"] + "/issues"
    assert urls["Documentation"] == "https://fdcore.readthedocs.io"


def test_classifiers_match_requires_python_and_the_wheels_built():
    classifiers = PROJECT["classifiers"]
    versions = {c.rsplit(" :: ", 1)[1] for c in classifiers
                if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)}
    assert versions == set(SUPPORTED)
    assert PROJECT["requires-python"] == ">=" + min(SUPPORTED)
    for needed in ("Programming Language :: Cython", "Intended Audience :: Science/Research",
                   "Topic :: Scientific/Engineering :: Mathematics"):
        assert needed in classifiers
    assert [c for c in classifiers if c.startswith("Operating System :: ")]
    assert CIBW["build"].split() == [f"cp{v.replace('.', '')}-*" for v in SUPPORTED]


def test_cibuildwheel_config_builds_with_openmp_and_smoke_tests_the_wheel():
    skipped = CIBW["skip"].split()
    assert {"*-musllinux_*", "*_i686", "*-win32"} <= set(skipped)
    for table in (CIBW, CIBW["macos"]):  # a platform's environment replaces the global one
        assert table["environment"]["FDCORE_OPENMP"] == "1"
    assert "libomp" in CIBW["macos"]["before-all"]
    assert "libomp" in CIBW["macos"]["environment"]["CPPFLAGS"]
    assert "-lomp" in (ROOT / "setup.py").read_text()  # the probe's Apple-clang candidate
    [source] = CIBW["test-sources"]
    assert (ROOT / source).is_file()
    assert CIBW["test-command"] == f"python -P {source}"


def test_wheels_ship_kernel_sources_but_not_the_generated_c():
    package_data = PYPROJECT["tool"]["setuptools"]["package-data"]["*"]
    assert {"*.pyx", "*.pxd", "*.h", "py.typed"} <= set(package_data)
    assert PYPROJECT["tool"]["setuptools"]["exclude-package-data"]["*"] == ["*.c"]
    manifest = (ROOT / "MANIFEST.in").read_text().splitlines()
    assert "recursive-exclude fdcore *.c" in manifest


def _setup_py():
    return ast.parse((ROOT / "setup.py").read_text())


def test_every_build_switch_setup_py_reads_is_documented_in_its_docstring():
    tree = _setup_py()
    read = {node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and re.fullmatch(r"FDCORE_[A-Z_]+", node.value)}
    assert {"FDCORE_OPENMP", "FDCORE_DEBUG_CYTHON", "FDCORE_WERROR", "FDCORE_STRIP", "FDCORE_BUILD_JOBS"} <= read
    docstring = ast.get_docstring(tree)
    assert [name for name in sorted(read) if not re.search(rf"^{name}\s", docstring, re.M)] == []


def test_werror_adds_only_werror():
    """Every exemption next to -Werror needs its reason in setup.py; today there is none."""
    [value] = [node.value for node in ast.walk(_setup_py()) if isinstance(node, ast.Assign)
               and any(getattr(t, "id", None) == "WERROR_ARGS" for t in node.targets)]
    assert ast.literal_eval(value) == ["-Werror"]


@pytest.mark.skipif(not (ROOT / ".ci" / "run").exists(), reason="not a checkout (the sdist has no CI)")
def test_ci_package_script_is_executable_and_strict():
    script = ROOT / ".ci" / "package"
    text = script.read_text()
    assert text.startswith("#!/usr/bin/env bash\n")
    assert "\nset -euo pipefail\n" in text
    assert os.access(script, os.X_OK)
    for step in ("--sdist", "FDCORE_WERROR=1", "auditwheel show", "smoke_test.py"):
        assert step in text


def test_readme_states_the_prerequisites_in_the_setup_section():
    section = (ROOT / "README.md").read_text().split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    prerequisites = section.split("\n\n")[1]
    assert prerequisites.startswith("Prerequisites: Python 3.11 or newer")
    assert "OpenMP" in prerequisites and "libomp" in prerequisites
