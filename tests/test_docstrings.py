"""Every public callable documents exactly the parameters it accepts; every public result type
exactly its fields.

Functions and classes: the names of the numpydoc "Parameters" section against the signature
(a class: its __init__; ``*args`` and ``**options`` as written in the signature); dataclasses and
named tuples: the "Attributes" section against their fields. Entries may name several parameters
(``rtol, atol : float``). The section is parsed here, independently of fdcore's own composer.
"""

import dataclasses
import inspect
import re

import pytest

import fdcore
import fdcore.bench
import fdcore.compat.numdifftools
import fdcore.compat.numdifftools_steps
import fdcore.compat.scipy
import fdcore.compat.statsmodels
import fdcore.testing

_ENTRY = re.compile(r"^(\*{0,2}[A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)\s*(?::.*)?$")


def section_names(doc, title):
    """The names documented in a numpydoc section, or None when there is no such section."""
    doc = inspect.cleandoc(doc or "")
    match = re.search(rf"^{title}\n-{{3,}}\n(.*?)(?=^\w[\w ]*\n-{{3,}}\n|\Z)", doc, re.M | re.S)
    if match is None:
        return None
    names = []
    for line in match.group(1).splitlines():
        entry = _ENTRY.match(line)
        if entry and not line.startswith(" "):
            names += [name.strip() for name in entry.group(1).split(",")]
    return names


def accepted(obj):
    names = []
    for p in inspect.signature(obj).parameters.values():
        if p.name != "self":
            names.append({p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name)
    return names


def is_record(obj):
    return inspect.isclass(obj) and (dataclasses.is_dataclass(obj) or hasattr(obj, "_fields"))


def fields(obj):
    return [f.name for f in dataclasses.fields(obj)] if dataclasses.is_dataclass(obj) else list(obj._fields)


def public(module, names=None):
    """(qualified name, object) of the public callables: ``names``, or those defined in module."""
    for name in names if names is not None else [n for n in dir(module) if not n.startswith("_")]:
        obj = getattr(module, name)
        if callable(obj) and (names is not None or getattr(obj, "__module__", None) == module.__name__):
            yield f"{module.__name__}.{name}", obj


CALLABLES = [*public(fdcore, fdcore.__all__), *public(fdcore.testing, fdcore.testing.__all__),
             *public(fdcore.compat.scipy), *public(fdcore.compat.numdifftools), *public(fdcore.compat.statsmodels),
             *public(fdcore.compat.numdifftools_steps), *public(fdcore.bench, fdcore.bench.__all__)]


@pytest.mark.parametrize("name, obj", CALLABLES, ids=[name for name, _ in CALLABLES])
def test_documents_exactly_what_it_accepts(name, obj):
    if is_record(obj):
        assert section_names(obj.__doc__, "Attributes") == fields(obj)
        return
    documented = section_names(obj.__doc__, "Parameters")
    assert documented is not None, f"{name} has no Parameters section"
    assert sorted(documented) == sorted(accepted(obj)), f"{name}: documented {documented}"
    assert len(documented) == len(set(documented)), f"{name} documents a parameter twice"


def test_entries_follow_the_signature_order():
    for name, obj in CALLABLES:
        if not is_record(obj):
            documented = section_names(obj.__doc__, "Parameters") or []  # missing: reported above
            order = accepted(obj)
            assert documented == sorted(documented, key=order.index), name


def test_the_parser_reads_grouped_and_starred_entries():
    doc = """Summary.

    Parameters
    ----------
    f : callable
        Continuation: not an entry, even with a colon : here.
    rtol, atol : float
    *arrays
    **options
        Passed on.

    Returns
    -------
    x : float
    """
    assert section_names(doc, "Parameters") == ["f", "rtol", "atol", "*arrays", "**options"]


def test_the_composer_refuses_drift():
    from fdcore.derivatives.docs import document

    def documents_a_ghost(f, x):
        """Summary.

        Parameters
        ----------
        f : callable
        x : ndarray
        ghost : int
        """

    def forgets_a_parameter(f, x, secret):
        """Summary.

        Parameters
        ----------
        f : callable
        x : ndarray
        """

    with pytest.raises(TypeError, match="ghost"):
        document(documents_a_ghost)
    with pytest.raises(TypeError, match="secret"):
        document(forgets_a_parameter)
