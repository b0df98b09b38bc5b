"""Sphinx configuration of fdcore's documentation.

The documentation is built against the *installed* fdcore: this file does not put the repository
root on sys.path (the source tree has no compiled extension unless it was built in place). Run
``sphinx-build`` (the console script, not ``python -m sphinx``, which would put the current
directory first on sys.path) with fdcore installed, or point PYTHONPATH at a tree whose extension
modules are built.

Two builders are used, both with ``-W``: ``html`` and ``doctest`` (every ``>>>`` example of the
pages and of the docstrings pulled in by autodoc runs).
"""

import doctest
import importlib.util
import os
import re
import shutil

import fdcore

project = "fdcore"
author = "the fdcore developers"
copyright = "the fdcore developers"
version = release = fdcore.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "numpydoc",
    "matplotlib.sphinxext.plot_directive",
]

exclude_patterns = ["_build"]
root_doc = "index"
default_role = "py:obj"  # `name` in the docstrings refers to an object, as NumPy's docs do
nitpicky = False

# -- HTML: the PyData theme, as NumPy and SciPy use -------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"fdcore {release}"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
}
html_static_path = []
html_show_sourcelink = False

# -- autodoc / autosummary / numpydoc ---------------------------------------------------------------
# The reference pages are written by hand (one page per group of names, tables by autosummary
# without stub generation), so nothing is generated into the source tree.
autosummary_generate = False
autodoc_default_options = {"members": False}
autodoc_typehints = "none"  # the numpydoc sections already give the types
numpydoc_show_class_members = False  # result classes list their fields under "Attributes"
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# numpydoc's validation, limited to the checks that concern content, not style (the docstrings are
# composed per parameter and checked against the signatures by tests/test_docstrings.py):
# GL08 no docstring, SS01 no summary, PR01 / PR02 parameters undocumented / unknown,
# PR10 "name:type" without the space before the colon.
numpydoc_validation_checks = {"GL08", "SS01", "PR01", "PR02", "PR10"}
# The project writes "(none)" under the Parameters heading of functions that take no arguments
# (tests/test_docstrings.py wants every public callable to have the section).
numpydoc_validation_overrides = {"PR02": [r"Parameters\n\s*-+\n\s*\(none\)"]}
# Records (dataclasses, named tuples) document their fields under "Attributes", not "Parameters".
numpydoc_validation_exclude = {
    r"^fdcore\.(FDResult|Linearization|CriticalPoint|GradCheck|LeafReport|HessianEigenvalues|HessianTrace|Problem)$",
    r"^fdcore\.compat\.numdifftools\.EstimateResult$",
    r"^fdcore\.bench\.MethodRank$",
}

# The docstrings are written to read well as plain text (help(), IPython's ?), where |x_i| means an
# absolute value. In reST a pair of bars is a substitution reference, so before numpydoc parses a
# docstring the bars of its prose are escaped; inline literals, doctest blocks and literal blocks
# (code) are left as they are.
_INLINE_LITERAL = re.compile(r"(``.*?``)")


def _escape_bars(lines):
    out, in_doctest, literal_indent = [], False, None
    for line in lines:
        stripped = line.lstrip()
        indent = len(line) - len(stripped)
        if literal_indent is not None:
            if stripped and indent <= literal_indent:
                literal_indent = None
            else:
                out.append(line)
                continue
        if stripped.startswith(">>>"):
            in_doctest = True
        elif not stripped:
            in_doctest = False
        if in_doctest or "|" not in line:
            out.append(line)
        else:
            parts = _INLINE_LITERAL.split(line)
            out.append("".join(p if i % 2 else p.replace("|", r"\|") for i, p in enumerate(parts)))
        if stripped.endswith("::") and not in_doctest:
            literal_indent = indent
    return out


def _escape_docstring_bars(app, what, name, obj, options, lines):
    lines[:] = _escape_bars(lines)


# Docstring examples that need an optional package (they import it, or they document a module
# built on it) are skipped, not failed, where it is not installed, as the pages' examples are
# (their :skipif:). The html build and every other example are unaffected.
_IMPORT = re.compile(r"^\s*>>>\s+(?:import|from)\s+([A-Za-z_]\w*)")
_BUILT_ON = {"fdcore.compat.scipy": "scipy", "fdcore.interop.jax": "jax"}


def _skip_examples_of_missing_packages(app, what, name, obj, options, lines):
    needed = {m.group(1) for m in map(_IMPORT.match, lines) if m}
    needed.update(package for module, package in _BUILT_ON.items()
                  if name == module or name.startswith(module + "."))
    if any(importlib.util.find_spec(module) is None for module in needed):
        lines[:] = [line + "  # doctest: +SKIP" if line.lstrip().startswith(">>>") else line
                    for line in lines]


def setup(app):
    # Before numpydoc (priority 500) turns the sections into reST.
    app.connect("autodoc-process-docstring", _escape_docstring_bars, priority=400)
    app.connect("autodoc-process-docstring", _skip_examples_of_missing_packages, priority=400)


# -- doctest ----------------------------------------------------------------------------------------
doctest_default_flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.DONT_ACCEPT_TRUE_FOR_1
doctest_global_setup = f"""
import matplotlib
matplotlib.use("Agg")
import numpy as np
np.set_printoptions(legacy=False)
HAVE_SCIPY = {importlib.util.find_spec("scipy") is not None}
HAVE_NUMBA = {importlib.util.find_spec("numba") is not None}
HAVE_CFFI = {importlib.util.find_spec("cffi") is not None}
HAVE_DASK = {importlib.util.find_spec("distributed") is not None}
HAVE_NUMDIFFTOOLS = {importlib.util.find_spec("numdifftools") is not None}
HAVE_STATSMODELS = {importlib.util.find_spec("statsmodels") is not None}
HAVE_CC = {shutil.which(os.environ.get("CC", "cc")) is not None}
"""

# -- plots: drawn at build time by the plot directive, nothing binary is committed --------------
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 100)]
plot_pre_code = "import numpy as np\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
plot_rcparams = {"figure.figsize": (6.4, 4.0), "savefig.bbox": "tight"}
