"""The documentation's sources (docs/) are complete and wired up; cheap checks, no build.

The build itself (html with -W, and the doctest builder that runs every example) is .ci/docs.
"""

import doctest
import importlib
import os
import pathlib
import re
import runpy
import stat
import tomllib

import pytest

import fdcore
import fdcore.bench
import fdcore.compat.numdifftools
import fdcore.compat.scipy
import fdcore.compat.statsmodels
import fdcore.interop.jax
import fdcore.testing

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
if not DOCS.is_dir():  # an installed copy of the tests without the source tree
    pytest.skip("docs/ is not next to the tests", allow_module_level=True)

USER_GUIDE = ["partial_derivatives", "gradient", "directional_derivative", "tangent_plane", "chain_rule",
              "second_order", "hessian"]
TOP_LEVEL = ["choosing_a_method", "compiled", "parallel", "checking", "benchmarks", "user_guide/index",
             "migration/index", "reference/index"]
# Entries that document one object by name: autofunction, autoclass, data, ...
_DOCUMENTED = re.compile(r"^\.\. (?:auto)?(?:function|class|data|module)::\s+(\S+)", re.M)


def documented_names():
    """The fully qualified names the API reference documents."""
    names = set()
    for page in (DOCS / "reference").glob("*.rst"):
        module = "fdcore"
        for line in page.read_text().splitlines():
            current = re.match(r"^\.\. (?:current|auto)module::\s+(\S+)", line)
            if current:
                module = current.group(1)
            entry = _DOCUMENTED.match(line)
            if entry and not line.startswith((".. automodule", ".. currentmodule")):
                name = entry.group(1)
                names.add(name if name.startswith("fdcore.") else f"{module}.{name}")
    return names


PUBLIC = ([f"fdcore.{name}" for name in fdcore.__all__]
          + [f"fdcore.testing.{name}" for name in fdcore.testing.__all__]
          + [f"{m.__name__}.{name}" for m in (fdcore.compat.scipy, fdcore.compat.numdifftools,
                                              fdcore.compat.statsmodels, fdcore.interop.jax, fdcore.bench)
                  for name in m.__all__])


@pytest.mark.parametrize("name", PUBLIC)
def test_every_public_name_is_in_the_api_reference(name):
    assert name in documented_names()


def test_the_reference_documents_only_public_names():
    assert documented_names() <= set(PUBLIC)


def toctree_entries(page):
    """The documents listed by the toctrees of a page, relative to docs/."""
    text = page.read_text()
    entries = []
    for block in re.findall(r"^\.\. toctree::\n((?:[ \t]+.*\n|\n)+)", text, re.M):
        for line in block.splitlines():
            line = line.strip()
            if line and not line.startswith(":"):
                entries.append(str((page.parent / line).relative_to(DOCS)))
    return entries


def test_the_pages_exist_and_every_page_is_in_a_toctree():
    for name in TOP_LEVEL + [f"user_guide/{page}" for page in USER_GUIDE]:
        assert (DOCS / f"{name}.rst").is_file(), name
    listed = {"index"}
    for page in DOCS.rglob("*.rst"):
        listed.update(toctree_entries(page))
    pages = {str(p.relative_to(DOCS).with_suffix("")) for p in DOCS.rglob("*.rst") if "_build" not in p.parts}
    assert pages <= listed, pages - listed
    assert toctree_entries(DOCS / "user_guide" / "index.rst") == [f"user_guide/{page}" for page in USER_GUIDE]


@pytest.mark.parametrize("page", USER_GUIDE + ["choosing_a_method", "compiled", "parallel", "checking"])
def test_the_guide_pages_have_runnable_examples(page):
    path = DOCS / f"{page}.rst" if (DOCS / f"{page}.rst").exists() else DOCS / "user_guide" / f"{page}.rst"
    examples = doctest.DocTestParser().get_examples(path.read_text())
    assert len(examples) >= 5, page


def test_conf_does_not_put_the_source_tree_on_sys_path():
    # The docs document the installed fdcore (the source tree has no compiled extension).
    text = (DOCS / "conf.py").read_text()
    assert not re.search(r"sys\.path\.(insert|append|extend)|sys\.path\s*\+?=", text)


def test_conf_escapes_bars_in_prose_only():
    escape = runpy.run_path(str(DOCS / "conf.py"))["_escape_bars"]
    lines = ["Steps scale with max(1, |x_i|), ``|x|`` stays.", "", "    >>> a | b", "    3",
             "", "Code::", "", "    x = a | b", "", "After |f|."]
    assert escape(lines) == [r"Steps scale with max(1, \|x_i\|), ``|x|`` stays.", "", "    >>> a | b", "    3",
                             "", "Code::", "", "    x = a | b", "", r"After \|f\|."]


def test_the_docs_extra_and_the_ci_script():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert {re.split(r"[<>=\[ ]", r)[0] for r in extras["docs"]} == {
        "sphinx", "numpydoc", "pydata-sphinx-theme", "matplotlib"}
    script = ROOT / ".ci" / "docs"
    text = script.read_text()
    assert os.stat(script).st_mode & stat.S_IXUSR
    assert text.startswith("#!/usr/bin/env bash") and "set -euo pipefail" in text
    assert re.search(r"sphinx-build -W --keep-going .*-b html docs", text)
    assert re.search(r"sphinx-build -W --keep-going .*-b doctest docs", text)
    assert "python -m sphinx" not in text.replace("`python -m sphinx`", "")


def test_the_configured_extensions_import():
    pytest.importorskip("sphinx")
    pytest.importorskip("numpydoc")
    pytest.importorskip("pydata_sphinx_theme")
    pytest.importorskip("matplotlib")
    conf = runpy.run_path(str(DOCS / "conf.py"))
    for extension in conf["extensions"]:
        importlib.import_module(extension)
    assert conf["html_theme"] == "pydata_sphinx_theme"


def test_conf_skips_docstring_examples_whose_package_is_missing():
    skip = runpy.run_path(str(DOCS / "conf.py"))["_skip_examples_of_missing_packages"]
    lines = [">>> import numpy as np", ">>> from no_such_package_here import thing", ">>> thing(", "... )", "1"]
    skip(None, "function", "fdcore.example", None, {}, lines)
    assert lines == [">>> import numpy as np  # doctest: +SKIP",
                     ">>> from no_such_package_here import thing  # doctest: +SKIP",
                     ">>> thing(  # doctest: +SKIP", "... )", "1"]
    present = [">>> import numpy as np", ">>> np.zeros(1)", "array([0.])"]
    skip(None, "function", "fdcore.example", None, {}, present)
    assert present == [">>> import numpy as np", ">>> np.zeros(1)", "array([0.])"]
