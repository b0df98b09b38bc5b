"""Build and runtime configuration report."""

import sys
from typing import Any, Protocol

import numpy as np

from fdcore._version import __version__
from fdcore.evaluators import threads as _threads
from fdcore.evaluators.callbacks import MAX_THREADS


class SupportsWrite(Protocol):
    """A text stream, as `print` takes it."""

    def write(self, text: str, /) -> Any: ...


def config() -> dict[str, Any]:
    """The build and runtime facts as a dict (what `show_config` prints).

    Returns
    -------
    dict
        In print order: "fdcore", "python", "numpy" (running versions), "numpy (build)",
        "compiler", "compile args", "link args", "cython directives" (as recorded by the build),
        "openmp" (bool) and "threads" (int, the default thread count: OpenMP's, at most
        MAX_THREADS).
    """
    try:
        from fdcore.evaluators import build_info as info
    except ImportError:  # built without setup.py's build_ext (should not happen)
        info = None
    return {
        "fdcore": __version__,
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "numpy (build)": getattr(info, "NUMPY_BUILD", "unknown"),
        "compiler": getattr(info, "COMPILER", "unknown"),
        "compile args": " ".join(getattr(info, "COMPILE_ARGS", [])) or "unknown",
        "link args": " ".join(getattr(info, "LINK_ARGS", [])) or "(none)",
        "cython directives": getattr(info, "CYTHON_DIRECTIVES", "unknown"),
        "openmp": _threads.openmp_enabled(),
        "threads": min(_threads.max_threads(), MAX_THREADS),
    }


def show_config(file: SupportsWrite | None = None) -> None:
    """Print fdcore's version, build flags, OpenMP on/off and default thread count.

    Parameters
    ----------
    file : file-like object, optional
        Text stream to write to (anything with ``write``, as for `print`); default None,
        ``sys.stdout``.

    Examples
    --------
    >>> import fdcore
    >>> fdcore.show_config()  # doctest: +ELLIPSIS
    fdcore ...
    """
    lines = [f"{key:<18} {value}" for key, value in config().items()]
    print("\n".join(lines), file=file or sys.stdout)
