"""Module-level objectives for tests/test_faults.py: pool workers import them by name.

The faulty ones misbehave only at points with x[1] > X0[1] (x + h e_1 of a stencil at X0), so the
centre point and the points of coordinate 0 are evaluated normally first. The stuck ones announce
themselves on stdout ("in f <pid>") and, when FDCORE_FAULTS_MARKERS names a directory, with a file
named by their pid there.
"""

import multiprocessing
import os
import re
import signal
import time

import numpy as np

import fdcore

X0 = np.array([1.0, 2.0, 3.0])


def quadratic(x):
    """sum x^2: the well-behaved objective."""
    return float(x @ x)


def analytic_quadratic(x):
    """sum x^2 for real or complex x (the complex step)."""
    return x @ x


def _faulty_point(x):
    return x[1] > X0[1]


def exits_the_process(x):
    """os._exit(3) at the faulty points."""
    if _faulty_point(x):
        os._exit(3)
    return quadratic(x)


def kills_its_process(x):
    """SIGKILL to its own process at the faulty points."""
    if _faulty_point(x):
        os.kill(os.getpid(), signal.SIGKILL)
    return quadratic(x)


class NeedsTwoArguments(Exception):
    """Pickles (as its message) but cannot be unpickled: __init__ needs two arguments."""

    def __init__(self, first, second):
        super().__init__(f"{first} and {second}")


def raises_unpicklable(x):
    """Raises NeedsTwoArguments at the faulty points."""
    if _faulty_point(x):
        raise NeedsTwoArguments("first", "second")
    return quadratic(x)


def _rebuild_in_a_worker_only(message):
    if multiprocessing.parent_process() is None:
        raise RuntimeError("this exception cannot be rebuilt in the caller's process")
    return RuntimeError(message)


class UnpicklableInTheCaller(Exception):
    """Survives a pickle round trip inside a worker, but not in the caller's process."""

    def __reduce__(self):
        return _rebuild_in_a_worker_only, (str(self),)


def raises_unpicklable_in_the_caller(x):
    """Raises UnpicklableInTheCaller at the faulty points."""
    if _faulty_point(x):
        raise UnpicklableInTheCaller("f failed")
    return quadratic(x)


def nested(x):
    """x . gradient(quadratic, x) computed with workers=2 (a pool inside the pool's f)."""
    return float(x @ fdcore.gradient(quadratic, x, workers=2))


def _announce():
    markers = os.environ.get("FDCORE_FAULTS_MARKERS")
    if markers:
        open(os.path.join(markers, str(os.getpid())), "w").close()
    os.write(1, f"in f {os.getpid()}\n".encode())  # one write: the workers' lines do not interleave


def sleeps_forever(x):
    """Never returns; sleeps with the GIL released."""
    _announce()
    while True:
        time.sleep(3600)


def sleeps_forever_at_faulty_points(x):
    """`sleeps_forever` at the faulty points, sum x^2 elsewhere (f(x) returns: SciPy's f0)."""
    if _faulty_point(x):
        sleeps_forever(x)
    return quadratic(x)


def raises_late_while_another_point_sleeps(x):
    """ValueError at x + h e_1 after 1 s, by when x + h e_2 (a later point, so the caller sees the
    error first) is in `sleeps_forever` on the other worker; sum x^2 elsewhere."""
    if x[1] > X0[1]:
        time.sleep(1.0)
        raise ValueError("the point x + h e_1")
    if x[2] > X0[2]:
        sleeps_forever(x)
    return quadratic(x)


def holds_the_gil_forever(x):
    """Never returns in practice: a regular expression backtracking 2**60 times with the GIL held."""
    _announce()
    return float(re.match(r"(a+)+$", "a" * 60 + "b") is None)


def returns_none(x):
    """None instead of a number."""
    return None


def returns_a_string(x):
    """'1.5' instead of 1.5."""
    return "1.5"


def returns_none_inside_a_list(x):
    """[x0, None]: a vector with a missing entry."""
    return [x[0], None]


def returns_a_matrix(x):
    """A 2-D array where a 1-D one is expected."""
    return np.outer(x, x)


def changes_length(x):
    """A vector of length 2, but of length 3 at the faulty points."""
    return np.array([x[0], x[1], x[2]] if _faulty_point(x) else [x[0], x[1]])


def gradient_on_two_workers(x):
    """gradient(quadratic, x, workers=2), for a worker of a multiprocessing.Pool (a daemonic process)."""
    return fdcore.gradient(quadratic, x, workers=2)
