"""Parameter documentation, composed per parameter from each entry point's signature.

An entry point's docstring writes the entries that are its own (f, x, method, out, ...) in its
Parameters section; `document` adds the shared entry of `PARAMETERS` for every other parameter of
its signature and orders all entries as the signature does. A parameter with no entry, or an entry
naming no parameter, is an error when the module is imported, so a docstring cannot drift from its
signature (tests/test_docstrings.py checks every public callable the same way).
"""

import inspect
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, overload

# What `document` decorates: a function or class, returned as it is (its type kept).
Documented = TypeVar("Documented", bound=Callable[..., Any])

# The shared entries, one per parameter name, as they render under "Parameters".
PARAMETERS = {
    "f": """f : callable
    ``f(x, *args, **kwargs) -> float``: the scalar objective.""",
    "x": """x : array_like, shape (n,)
    The point (float32 is kept, other reals become float64). Never modified.""",
    "order": """order : int, optional
    Accuracy order of the stencil: 2, 4, 6 or 8 for 'central' (default 2: the two-point
    difference), 1 to 8 one-sided (default 1: the two-point difference). An order-p central
    stencil costs p evaluations per coordinate, one-sided p (plus f(x) once).""",
    "step": """step : float, array_like of shape (n,) or 'adaptive', optional
    Absolute step per coordinate (with Richardson levels: the coarsest level's step).
    Default ``EPS**(1/(q + 1)) * max(1, |x_i|)`` for final accuracy order q, i.e.
    ``EPS**(1/3)`` for the central and ``EPS**(1/2)`` for the one-sided two-point difference;
    EPS is the machine epsilon of x's dtype. 'adaptive': chosen per coordinate from estimates
    of f's higher derivative and noise (see `noise`).""",
    "typical_x": """typical_x : float or array_like of shape (n,), optional
    The magnitude on which f varies in each coordinate: the default steps use the scale
    ``max(|typical_x_i|, |x_i|)`` in place of ``max(1, |x_i|)`` (Dennis & Schnabel's typx;
    SciPy's ``x_scale`` and optimagic's scaling play the same part). For coordinates of a
    different order than 1, e.g. parameters near 1e-6 or 1e4. Not with an explicit ``step``,
    ``method='complex'``, ``step='adaptive'``, ``bounds=`` or ``sparsity=``.""",
    "richardson": """richardson : bool or int, optional
    Richardson extrapolation over the steps h, h/r, h/r^2, ...: an int is the number of
    levels; ``True`` is the accurate mode, 4 levels of the central two-point difference
    (8 evaluations per coordinate, typically 1e-12 relative error). Each component gets the
    tableau entry with the smallest estimated error. The accurate mode also searches other
    step scales where needed, up to 24 evaluations per coordinate: coordinates with
    |x_i| >> 1 are checked on the unit scale, poorly resolved ones at smaller steps, and f's
    noise is measured (up to 24 evaluations per call) where it shows.""",
    "step_ratio": """step_ratio : float, optional
    r, the ratio of consecutive Richardson steps (default 2: stencil points are shared
    between levels where the stencil allows).""",
    "noise": """noise : float, optional
    Absolute error of one evaluation of f (e.g. of a simulation); used by the error estimate
    and by ``step='adaptive'``. Default: f is accurate to machine precision.""",
    "args": """args : tuple, optional
    Extra positional arguments passed to f.""",
    "kwargs": """kwargs : dict, optional
    Extra keyword arguments passed to f.""",
    "full_output": """full_output : bool, optional
    Return an `FDResult` (value, error estimate and final step per component, nfev, method,
    order) instead of the array.""",
    "num_threads": """num_threads : int, optional
    For compiled objectives (see `Callback`): threads of the nogil kernels, 1 to 1024. Default:
    OpenMP's (``OMP_NUM_THREADS`` or all cores, capped at 1024); small problems run serially.
    Results are identical for every thread count. Ignored for Python callables.""",
    "vectorized": """vectorized : bool, optional
    f takes an (n, k) array whose columns are k points and returns (k,) (or (m, k) for
    vector f). fdcore assembles the stencil points in batches of at most
    ``max_batch_bytes`` (default 64 MiB) and calls f once per batch.""",
    "workers": """workers : int, Executor, dask.distributed.Client or map-like callable, optional
    Evaluate the stencil points in parallel: an int is a process pool that fdcore creates and
    reuses (f must be picklable), or pass any concurrent.futures.Executor, a dask Client, or
    ``map(function, iterable)``. Results are identical to the serial ones; an exception of f
    reaches the caller with a note naming the point, and f's values are checked as on the
    serial path. fdcore's pool is rebuilt after a worker dies, is killed on Ctrl-C, ends with
    its parent process, and inside a worker (f calling fdcore) an int evaluates serially.""",
    "max_batch_bytes": """max_batch_bytes : int, optional
    Memory budget of one batch of points (vectorized / workers).""",
    "progress": """progress : bool, optional
    Show a progress bar (tqdm if installed, else a line on stderr): the points evaluated out of
    each batch run's total with vectorized= or workers=, else a running count of f's calls. A
    compiled callback's kernels report nothing (they run without the interpreter).""",
    "sparsity": """sparsity : (m, n) bool array or scipy.sparse matrix, optional
    The nonzero pattern: a Jacobian is computed by column colouring (one two-point difference
    per group of columns that share no row; a tridiagonal pattern costs 6 evaluations whatever
    n is) and returned as a scipy.sparse csr array; a Hessian of f evaluates the mixed stencil
    on the pattern's pairs only (or, with ``grad=``, colours the gradient's Jacobian).""",
    "bounds": """bounds : (lb, ub), optional
    Scalars or arrays of shape (n,), None for no bound: stencils are made one-sided (or their
    step shrunk) where they would leave [lb, ub], so f is never evaluated outside the bounds.
    A Hessian keeps its central stencil when every coordinate has room for it and otherwise
    uses the one-sided stencil, each coordinate stepping towards its roomier side.""",
}

_SECTION = re.compile(r"^(?P<indent>[ ]*)Parameters\n(?P=indent)-{3,}\n", re.M)
_NEXT_SECTION = re.compile(r"^[ ]*\w[\w ]*\n[ ]*-{3,}\n", re.M)
_ENTRY = re.compile(r"^(\*{0,2}\w+(?:, \*{0,2}\w+)*)(?: : .*)?$")


def parameter_entries(text):
    """[(names, entry text)] of a Parameters section's body (dedented), in order."""
    entries = []
    for line in text.splitlines():
        match = _ENTRY.match(line)
        if match:
            entries.append(([n.strip() for n in match.group(1).split(",")], [line]))
        elif line.strip() and entries:
            entries[-1][1].append(line)
    return [(names, "\n".join(lines).rstrip()) for names, lines in entries]


def signature_names(function):
    """The parameter names of function as numpydoc writes them (``*arrays``, ``**options``)."""
    names = []
    for p in inspect.signature(function).parameters.values():
        if p.name != "self":
            names.append({p.VAR_POSITIONAL: "*", p.VAR_KEYWORD: "**"}.get(p.kind, "") + p.name)
    return names


@overload
def document(function: Documented, *, shared: Mapping[str, str] | None = None) -> Documented: ...
@overload
def document(function: None = None, *,
             shared: Mapping[str, str] | None = None) -> Callable[[Documented], Documented]: ...
def document(function: Documented | None = None, *,
             shared: Mapping[str, str] | None = None) -> Documented | Callable[[Documented], Documented]:
    """Decorator: compose function's Parameters section from its own entries and the shared ones.

    ``@document`` takes the shared entries from `PARAMETERS`; ``@document(shared=entries)`` from
    another registry of the same form (an interface with conventions of its own). A class is
    documented by its constructor's signature.
    """
    if function is None:
        return lambda f: document(f, shared=shared)
    shared = PARAMETERS if shared is None else shared
    doc = function.__doc__
    section = _SECTION.search(doc)
    if section is None:  # every entry is shared: open the section before the first other one
        indented = re.search(r"\n([ ]*)\S", doc)
        indent = indented.group(1) if indented else "    "  # a one-line docstring: a def's body indent
        first = _NEXT_SECTION.search(doc)
        at = first.start() if first else len(doc.rstrip()) + 1
        doc = doc[:at].rstrip() + f"\n\n{indent}Parameters\n{indent}----------\n\n" + indent + doc[at:].lstrip()
        section = _SECTION.search(doc)
    indent = section.group("indent")
    start = section.end()
    end_match = _NEXT_SECTION.search(doc, start)
    end = end_match.start() if end_match else len(doc)
    own = parameter_entries(inspect.cleandoc("\n" + doc[start:end]) if doc[start:end].strip() else "")
    accepted = signature_names(function)
    by_name = {}
    for names, text in own:
        unknown = [n for n in names if n not in accepted]
        if unknown:
            raise TypeError(f"{function.__qualname__} documents {', '.join(unknown)}, which it does not accept")
        by_name.update({n: (names, text) for n in names})
    composed, seen = [], set()
    for name in accepted:
        if name in seen:
            continue
        names, text = by_name.get(name) or ([name], shared.get(name))
        if text is None:
            raise TypeError(f"{function.__qualname__} does not document its parameter {name}")
        seen.update(names)  # an entry naming several parameters stands once, at its first
        composed.append(text)
    body = "\n".join(("\n".join(indent + line if line else line for line in text.splitlines()))
                     for text in composed)
    function.__doc__ = doc[:start] + body + "\n\n" + doc[end:].lstrip("\n")
    return function
