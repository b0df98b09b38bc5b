"""Robustness table (issue 9, item 1): every public entry point x every bad or awkward input.

One generic test runs every row (entry point, input, expected outcome):

* ENTRIES adapts each public entry point to one calling convention ``call(f, x, **options)``,
  with the kind of f it takes (scalar, vector, gradient, elementwise), the names its messages
  must use for x and f, the options it accepts and how to read and check its result.
* CASES are the bad or awkward inputs: x (NaN, empty, 0-d, 2-D, dtypes, layouts, too large),
  f (raises, NaN/inf, None, wrong or changing shapes, writes into its argument, calls fdcore),
  compiled callbacks (wrong signature, error status, NaN) and options (method, order, step,
  bounds, sparsity, workers, num_threads, out). A case applies to the entry points that take
  that input.
* The expected outcome is the case's default for the entry point (a correct result, an
  exception of a stated type whose message names the argument, or NaN entries with a
  RuntimeWarning naming the coordinate), unless OVERRIDES states another for that pair (mostly
  the SciPy/numdifftools compatibility layers, which keep their libraries' semantics).

For every row the caller's x, and an ``out`` that must not be written, are unchanged afterwards.
"""

import ctypes
import re
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pytest

import fdcore
import fdcore.testing
from fdcore.compat import numdifftools as nd
from fdcore.compat import scipy as sc

X0 = np.array([0.5, -1.25, 2.0])
N, M = 3, 2
V = np.array([1.0, -2.0, 0.5])  # the direction of jvp, directional_derivative, hvp, directionaldiff


# --- the objectives and their exact derivatives ----------------------------------------------

def f_scalar(p):
    return float(np.sum(p * p) + np.sum(p) ** 3 / 10)


def grad_scalar(p):
    p = np.asarray(p, dtype=np.float64)
    return 2 * p + 0.3 * np.sum(p) ** 2 * np.ones_like(p)


def hess_scalar(p):
    n = np.size(p)
    return 2 * np.eye(n) + 0.6 * np.sum(p) * np.ones((n, n))


def f_vector(p):
    return np.array([np.sum(p * p), np.sum(np.sin(p))])


def jac_vector(p):
    p = np.asarray(p, dtype=np.float64).ravel()
    return np.vstack([2 * p, np.cos(p)])


def f_elementwise(t):
    return np.sin(t)


def f_two(a, b):  # partials(f_two, x, 1.5)
    return np.sin(a) * b


B = 1.5


# --- the compiled callbacks (ctypes function pointers to Python bodies) ----------------------

DOUBLE_P = ctypes.POINTER(ctypes.c_double)
SCALAR_PROTO = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, DOUBLE_P, ctypes.c_void_p)
VECTOR_PROTO = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, DOUBLE_P, ctypes.c_int, DOUBLE_P, ctypes.c_void_p)
WRONG_PROTO = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, DOUBLE_P)  # no user_data


def _poked(p):
    """True at the stencil points that move x[1] (where the poisoned objectives fail: on both sides,
    so that no stencil can avoid them)."""
    return p[1] != X0[1]


@SCALAR_PROTO
def _c_scalar_nan(n, xp, data):
    p = np.ctypeslib.as_array(xp, (n,))
    return np.nan if _poked(p) else f_scalar(p)


def _c_vector(base, on_poked):
    @VECTOR_PROTO
    def body(n, xp, m, outp, data):
        p, out = np.ctypeslib.as_array(xp, (n,)), np.ctypeslib.as_array(outp, (m,))
        if _poked(p):
            if on_poked == "status":
                return 7
            out[:] = np.nan
            return 0
        out[:] = base(p)
        return 0

    return body


_c_vector_nan = _c_vector(f_vector, "nan")
_c_vector_status = _c_vector(f_vector, "status")
_c_grad_nan = _c_vector(grad_scalar, "nan")
_c_grad_status = _c_vector(grad_scalar, "status")


@WRONG_PROTO
def _c_wrong(n, xp):
    return 0.0


def compiled(kind, flavour):
    """A compiled callback of the entry's kind: 'nan', 'status' (vector kinds) or 'wrong' signature."""
    if flavour == "wrong":
        return _c_wrong
    if kind == "scalar":
        return fdcore.Callback(_c_scalar_nan)
    vector = {("vector", "nan"): (_c_vector_nan, M), ("vector", "status"): (_c_vector_status, M),
              ("gradient", "nan"): (_c_grad_nan, N), ("gradient", "status"): (_c_grad_status, N)}
    function, m = vector[(kind, flavour)]
    return fdcore.Callback(function, m=m)


# --- entry points ----------------------------------------------------------------------------

GOOD = {"scalar": f_scalar, "vector": f_vector, "gradient": grad_scalar, "elementwise": f_elementwise,
        "two": f_two}
FDCORE_FIRST = {"method", "order", "step", "bounds", "workers", "num_threads", "out", "noise"}
CHECKS = {"method", "workers", "num_threads", "rtol", "seed"}


@dataclass
class Entry:
    name: str
    call: Callable  # call(f, x, **options)
    kind: str  # the f it takes: scalar, vector, gradient (hvp), elementwise, two (partials)
    exact: Callable  # exact(x as float64) -> the exact derivative, in value()'s form
    value: Callable = np.asarray  # the result as an array to compare
    tol: float = 1e-8
    options: frozenset = frozenset()  # canonical options it takes (see CASES)
    rename: dict = field(default_factory=dict)  # canonical option -> its parameter name
    x_name: str = r"\bx\b"
    f_name: str = r"\bf\b"
    any_shape: bool = False  # x of any shape (elementwise entry points)
    compiled: bool = False  # takes compiled callbacks
    nan_mask: Callable = None  # where a poisoned f (NaN wherever x[1] moves) makes NaN entries
    nan_warning: str = r"coordinates (\d+, )*1\b"  # what the RuntimeWarning says about it
    vector_ok: bool = False  # a scalar-kind entry that also takes vector f
    scalar_ok: bool = False  # a vector-kind entry that also takes scalar f
    as_exact_x: Callable = None  # x as the entry sees it (e.g. numdifftools ravels)

    def option(self, name):
        return self.rename.get(name, name)

    def __repr__(self):
        return self.name


def _x(x):
    return np.asarray(x, dtype=np.float64)


def _nd_x(x):
    return np.atleast_1d(np.asarray(x, dtype=np.float64)).ravel()


def _sc_x(x):
    return np.atleast_1d(np.asarray(x, dtype=np.float64))


def _deriv_exact(k):
    return lambda x: np.sin(x + k * np.pi / 2)


COORD1 = lambda x: np.arange(np.size(x)) == 1  # noqa: E731
ROW_COL1 = lambda x: np.logical_or.outer(COORD1(x), COORD1(x))  # noqa: E731
ALL = lambda x: np.array(True)  # noqa: E731


def _derivative(k):
    return Entry(f"derivative-n{k}", lambda f, x, **o: fdcore.derivative(f, x, n=k, **o), "elementwise",
                 _deriv_exact(k), tol={1: 1e-8, 2: 1e-6, 3: 1e-5, 4: 1e-4}[k],
                 options=frozenset({"method", "order", "step", "noise"}), any_shape=True, nan_mask=COORD1)


def _dense(result):
    return result.toarray() if hasattr(result, "toarray") else np.asarray(result)


def _gradient_x(x):  # numdifftools' Gradient: the derivative for a scalar x, else x flattened
    return _x(x) if np.ndim(x) == 0 else _nd_x(x)


def _check_value(result):
    return np.array(bool(result))


ENTRIES = [
    Entry("gradient", fdcore.gradient, "scalar", grad_scalar, options=frozenset(FDCORE_FIRST), compiled=True,
          nan_mask=COORD1),
    Entry("jacobian", fdcore.jacobian, "vector", jac_vector, options=frozenset(FDCORE_FIRST | {"sparsity"}),
          compiled=True, nan_mask=lambda x: np.broadcast_to(COORD1(x), (M, np.size(x)))),
    Entry("hessian", fdcore.hessian, "scalar", hess_scalar, tol=1e-6, options=frozenset(FDCORE_FIRST | {"sparsity"}),
          compiled=True, nan_mask=ROW_COL1),
    Entry("jvp", lambda f, x, **o: fdcore.jvp(f, x, V, **o), "scalar", lambda x: grad_scalar(x) @ V,
          options=frozenset({"step", "workers", "num_threads"}), compiled=True, nan_mask=ALL, vector_ok=True,
          nan_warning=r"x [+-] t v"),
    Entry("directional_derivative", lambda f, x, **o: fdcore.directional_derivative(f, x, V, **o), "scalar",
          lambda x: grad_scalar(x) @ V / np.linalg.norm(V), options=frozenset({"step", "workers", "num_threads"}),
          compiled=True, nan_mask=ALL, vector_ok=True, nan_warning=r"x [+-] t v"),
    *[_derivative(k) for k in (1, 2, 3, 4)],
    Entry("partials", lambda f, x, **o: fdcore.partials(f, x, B, **o), "two",
          lambda x: np.stack([np.cos(x) * B, np.sin(x)]), value=np.stack,
          options=frozenset({"method", "order", "step", "noise"}), x_name=r"arrays\[0\]", any_shape=True,
          nan_mask=lambda x: np.stack([COORD1(x), np.zeros(np.size(x), bool)])),
    Entry("hvp", lambda f, x, **o: fdcore.hvp(None, x, V, grad=f, **o), "gradient", lambda x: hess_scalar(x) @ V,
          options=frozenset({"step"}), f_name=r"\b(grad|f)\b", compiled=True,
          nan_mask=lambda x: np.ones(np.size(x), bool), nan_warning=r"x [+-] t v"),
    Entry("linearize", fdcore.linearize, "scalar", grad_scalar, value=lambda r: r.jacobian,
          options=frozenset({"step", "workers"}), compiled=True, nan_mask=COORD1, vector_ok=True),
    # method='dense' as 'auto' takes up to n = 200; the n = 10**6 case is its Hessian's refusal
    Entry("classify_critical_point", lambda f, x, **o: fdcore.classify_critical_point(f, x, method="dense", **o),
          "scalar", grad_scalar,
          value=lambda r: r.gradient, tol=1e-7, options=frozenset({"workers"}), compiled=True),
    # x of any shape: an array is a tree with one leaf (tests/test_check_pytree.py)
    Entry("check_grad", lambda f, x, **o: fdcore.check_grad(f, grad_scalar, x, **o), "scalar", lambda x: True,
          value=_check_value, options=frozenset(CHECKS), rename={"method": "mode"},
          compiled=True, any_shape=True),
    Entry("check_jacobian", lambda f, x, **o: fdcore.check_jacobian(f, jac_vector, x, **o), "vector",
          lambda x: True, value=_check_value, options=frozenset(CHECKS),
          rename={"method": "mode"}, compiled=True),
    Entry("assert_grad_close", lambda f, x, **o: fdcore.testing.assert_grad_close(f, grad_scalar, x, **o),
          "scalar", lambda x: True, value=_check_value, options=frozenset(CHECKS),
          rename={"method": "mode"}, compiled=True, any_shape=True),
    Entry("assert_jacobian_close", lambda f, x, **o: fdcore.testing.assert_jacobian_close(f, jac_vector, x, **o),
          "vector", lambda x: True, value=_check_value, options=frozenset(CHECKS),
          rename={"method": "mode"}, compiled=True),
    Entry("scipy.approx_derivative", lambda f, x, **o: sc.approx_derivative(f, x, **o), "vector",
          lambda x: jac_vector(x), value=_dense, tol=1e-7,
          options=frozenset({"method", "step", "bounds", "sparsity", "workers"}), rename={"step": "abs_step"},
          x_name=r"\bx0\b", f_name=r"\bfun\b", scalar_ok=True, as_exact_x=_sc_x,
          nan_mask=lambda x: np.broadcast_to(COORD1(x), (M, np.size(x)))),
    Entry("scipy.approx_fprime", lambda f, x, **o: sc.approx_fprime(x, f, *o.values()), "scalar", grad_scalar,
          tol=1e-6, options=frozenset({"step"}), rename={"step": "epsilon"}, x_name=r"\bxk\b", vector_ok=True,
          as_exact_x=_sc_x, nan_mask=COORD1),
    Entry("scipy.check_grad", lambda f, x, **o: sc.check_grad(f, grad_scalar, x, **o), "scalar",
          lambda x: 0.0, tol=1e-5, options=frozenset({"method", "step"}),
          rename={"method": "direction", "step": "epsilon"}, x_name=r"\bx0\b", f_name=r"\bfunc\b",
          as_exact_x=_sc_x),
    Entry("nd.Derivative", lambda f, x, **o: nd.Derivative(f, **o)(x), "elementwise", _deriv_exact(1),
          f_name=r"\b(fun|f)\b", options=frozenset({"method", "order", "step"}), any_shape=True, nan_mask=COORD1),
    Entry("nd.Gradient", lambda f, x, **o: nd.Gradient(f, **o)(x), "scalar", grad_scalar,
          f_name=r"\b(fun|f)\b", options=frozenset({"method", "order", "step"}), as_exact_x=_gradient_x, nan_mask=COORD1),
    Entry("nd.Jacobian", lambda f, x, **o: nd.Jacobian(f, **o)(x), "vector", jac_vector,
          f_name=r"\b(fun|f)\b", options=frozenset({"method", "order", "step"}), as_exact_x=_nd_x, scalar_ok=True,
          nan_mask=lambda x: np.broadcast_to(COORD1(x), (M, np.size(x)))),
    # (a vector-valued f gives numdifftools' (m, n, n) stack of Hessians: its wrong value is 2-D)
    Entry("nd.Hessian", lambda f, x, **o: nd.Hessian(f, **o)(x), "scalar", hess_scalar, tol=1e-7,
          options=frozenset({"method", "order", "step"}), as_exact_x=_nd_x, nan_mask=ROW_COL1, vector_ok=True),
    Entry("nd.Hessdiag", lambda f, x, **o: nd.Hessdiag(f, **o)(x), "scalar", lambda x: np.diag(hess_scalar(x)),
          tol=1e-7, options=frozenset({"method", "order", "step"}), as_exact_x=_nd_x, nan_mask=COORD1),
    Entry("nd.directionaldiff", lambda f, x, **o: nd.directionaldiff(f, x, V, **o), "scalar",
          lambda x: grad_scalar(x) @ V / np.linalg.norm(V), options=frozenset({"method", "order", "step"}),
          x_name=r"\bx0\b", nan_mask=ALL, nan_warning=r"NaN or inf"),
]
BY_NAME = {e.name: e for e in ENTRIES}
FDCORE_CORE = {"gradient", "jacobian", "hessian", "jvp", "directional_derivative", "hvp", "linearize",
               "classify_critical_point", "check_grad", "check_jacobian", "assert_grad_close",
               "assert_jacobian_close", "derivative-n1", "derivative-n2", "derivative-n3", "derivative-n4",
               "partials"}
HESSIANS = {"hessian", "classify_critical_point", "nd.Hessian"}
# The entry points whose default steps assume f computes in x's precision (they warn otherwise).
DEFAULT_STEPS = {"gradient", "jacobian", "hessian", "jvp", "directional_derivative", "hvp", "linearize", "partials",
                 "derivative-n1", "derivative-n2", "derivative-n3", "derivative-n4"}
COMPAT = ("scipy.", "nd.")


# --- expected outcomes -----------------------------------------------------------------------

@dataclass
class Correct:
    """A correct result: the exact derivative (within the entry's tolerance) and bit for bit the
    result for the same point given as a contiguous float64 array; no warning."""


@dataclass
class Raises:
    exc: type
    match: str = None  # a regex the message must contain (the argument's name)


@dataclass
class NaNs:
    """NaN (or, with ``finite_only``, non-finite) entries exactly where the poisoned f failed, the
    rest correct, and (``warn``) a RuntimeWarning naming the coordinate."""
    warn: bool = True
    finite_only: bool = False  # SciPy's semantics: inf stays inf


@dataclass
class NonFinite:
    """No exception, every entry non-finite: SciPy's approx_derivative proceeds with a non-finite x0
    (its optimizers then report failure), so the drop-in does too; NumPy's own "invalid value"
    warnings from f and from the differences come as they come under SciPy."""


@dataclass
class LikeFloat32:
    """The result, bit for bit, for the same point as a native float32 array; no warning."""


@dataclass
class Warned:
    """A result and a RuntimeWarning whose message matches."""
    match: str


@dataclass
class Same:
    """The exception f raised reaches the caller: the same object."""


# --- cases -----------------------------------------------------------------------------------

@dataclass
class Case:
    name: str
    applies: Callable  # applies(entry) -> bool
    build: Callable  # build(entry) -> dict(f=, x=, options=, out=)
    expect: Callable  # expect(entry) -> outcome


def _good(entry, **options):
    return dict(f=GOOD[entry.kind], x=X0.copy(), options=options)


def x_case(name, make_x, expect, applies=lambda e: True):
    return Case(f"x-{name}", applies, lambda e: dict(f=GOOD[e.kind], x=make_x(), options={}), expect)


def _readonly(a):
    a.flags.writeable = False
    return a


def _junk():
    return np.array([0.5, "a", None], dtype=object)


def _huge():
    """An x of 2**40 entries: a 0-byte broadcast view whose float64 copy would need 8 TiB."""
    return np.broadcast_to(0.0, (2**40,))


def _x_error(exc):
    return lambda e: Raises(exc, e.x_name)


X_CASES = [
    x_case("nan", lambda: np.array([0.5, np.nan, 2.0]), _x_error(ValueError)),
    x_case("inf", lambda: np.array([0.5, -np.inf, 2.0]), _x_error(ValueError)),
    x_case("empty", lambda: np.zeros(0), _x_error(ValueError)),
    x_case("0d", lambda: np.array(0.5), lambda e: Correct() if e.any_shape else Raises(ValueError, e.x_name)),
    # (nd.Jacobian of a 2-D x: the rows are the variables, numdifftools' rule, tested against
    # numdifftools itself in test_compat_numdifftools.)
    x_case("2d", lambda: np.array([[0.5, -1.25], [2.0, 0.3]]),
           lambda e: Correct() if e.any_shape else Raises(ValueError, e.x_name), applies=lambda e: e.name != "nd.Jacobian"),
    x_case("int", lambda: np.array([1, -2, 3]), lambda e: Correct()),
    x_case("bool", lambda: np.array([True, False, True]), lambda e: Correct()),
    x_case("object", lambda: np.array([0.5, -1.25, 2.0], dtype=object), lambda e: Correct()),
    x_case("object-junk", _junk, _x_error(TypeError)),
    # (numdifftools' Gradient, Jacobian and Hessian take a complex x with the real methods, the
    # derivatives along the real axis: test_compat_numdifftools.)
    x_case("complex", lambda: np.array([0.5, -1.25 + 1j, 2.0]), _x_error(TypeError),
           applies=lambda e: e.name not in ("nd.Gradient", "nd.Jacobian", "nd.Hessian")),
    x_case("noncontiguous", lambda: np.array([0.5, 9.0, -1.25, 9.0, 2.0, 9.0])[::2], lambda e: Correct()),
    x_case("readonly", lambda: _readonly(X0.copy()), lambda e: Correct()),
    x_case("list", lambda: [0.5, -1.25, 2.0], lambda e: Correct()),
    x_case("big-endian-float32", lambda: X0.astype(">f4"), lambda e: LikeFloat32()),
    x_case("masked", lambda: np.ma.masked_array(X0, mask=[False, True, False]),
           lambda e: Raises(ValueError, e.x_name + r".* is a masked array with 1 masked entries")),
    x_case("too-large", _huge, lambda e: Raises(MemoryError, e.x_name + r".* needs [\d.e+]+ [TPEZY]iB")),
    # A dense Hessian of n = 10**6 needs 8e12 bytes: refused before anything is allocated.
    x_case("hessian-too-large", lambda: np.zeros(10**6), lambda e: Raises(MemoryError, r"needs 7.28 TiB"),
           applies=lambda e: e.name in HESSIANS),
]


class Boom(Exception):
    pass


def _raising(base):
    def f(*a):
        f.calls += 1
        if f.calls == 2:
            f.raised = Boom("second call")
            raise f.raised
        return base(*a)

    f.calls, f.raised = 0, None
    return f


def _poisoned(kind, bad):
    base = GOOD[kind]
    if kind in ("elementwise", "two"):
        def f(t, *rest):
            value = np.array(base(t, *rest), dtype=np.float64)
            if np.ravel(t)[1] != X0[1]:
                value.flat[1] = bad
            return value
        return f

    def f(p):
        if _poked(p):
            return bad if kind == "scalar" else np.full(np.shape(base(p)), bad)
        return base(p)
    return f


def _returning(value):
    return lambda *a: value


def _wrong_value(entry):
    """A value of the wrong shape for the entry's kind of f."""
    if entry.kind == "elementwise" or entry.kind == "two":
        return np.ones(5)
    if entry.kind == "scalar":
        return np.ones((2, 2)) if entry.vector_ok else np.ones(2)
    return np.ones((2, 2)) if entry.scalar_ok else 1.0


def _changing(entry):
    """f whose value changes shape after the first call."""
    base = GOOD[entry.kind]

    def f(*a):
        f.calls += 1
        value = base(*a)
        if f.calls == 1:
            return value
        if entry.kind in ("elementwise", "two"):
            return np.append(np.ravel(value), 0.0)
        return np.ones(2) if np.ndim(value) == 0 else np.ones(np.size(value) + 1)

    f.calls = 0
    return f


def _writer(kind):
    base = GOOD[kind]

    def f(t, *rest):
        t[...] = 42.0
        return base(t, *rest)
    return f


NESTED_ERRORS = []


def _reentrant(kind):
    """f that computes a gradient with fdcore itself at every call (and checks it)."""
    base = GOOD[kind]

    def f(t, *rest):
        p = np.ravel(t)
        inner = fdcore.gradient(lambda q: float(np.sum(q * q)), p)
        NESTED_ERRORS.append(float(np.max(np.abs(inner - 2 * p))))
        return base(t, *rest)
    return f


def _float32_valued(kind):
    """f computing in float32 (np.float32 scalars, float32 arrays) whatever x's dtype."""
    base = GOOD[kind]

    def f(*a):
        value = base(*a)
        return np.float32(value) if np.ndim(value) == 0 else np.asarray(value).astype(np.float32)
    return f


def _read_only_valued(kind):
    """f returning read-only arrays (as pandas' copy-on-write .values does)."""
    base = GOOD[kind]

    def f(*a):
        value = np.array(base(*a), dtype=np.float64)
        value.setflags(write=False)
        return value
    return f


def _none_entry(kind):
    """A vector f whose value holds None (was NaN, silently)."""
    base = GOOD[kind]
    return lambda p: [*np.asarray(base(p))[:-1], None]


def f_case(name, make_f, expect, applies=lambda e: True):
    return Case(f"f-{name}", applies, lambda e: dict(f=make_f(e), x=X0.copy(), options={}), expect)


def _nan_expect(e):
    if e.name.startswith("scipy."):
        return NaNs(warn=False, finite_only=True)  # SciPy's semantics: non-finite entries, no warning
    if e.nan_mask is None:  # checks and classification: undefined there, an error (never a pass)
        return Raises(ValueError, r"not finite at .*coordinates 1\b")
    return NaNs()


F_CASES = [
    f_case("raises", lambda e: _raising(GOOD[e.kind]), lambda e: Same()),
    f_case("nan", lambda e: _poisoned(e.kind, np.nan), _nan_expect),
    f_case("inf", lambda e: _poisoned(e.kind, np.inf), _nan_expect),
    f_case("returns-none", lambda e: _returning(None), lambda e: Raises(TypeError, e.f_name)),
    f_case("returns-str", lambda e: _returning("abc"), lambda e: Raises(TypeError, e.f_name)),
    # (nd.Jacobian takes f of any shape, as numdifftools does: test_compat_numdifftools.)
    f_case("wrong-shape", lambda e: _returning(_wrong_value(e)), lambda e: Raises(ValueError, e.f_name),
           applies=lambda e: e.name != "nd.Jacobian"),
    f_case("shape-changes", _changing, lambda e: Raises(ValueError, r"shape")),
    f_case("writes-argument", lambda e: _writer(e.kind), lambda e: Raises(ValueError, r"read-only")),
    f_case("reentrant", lambda e: _reentrant(e.kind), lambda e: Correct()),
    f_case("returns-float32", lambda e: _float32_valued(e.kind), lambda e: Warned(r"f returned float32 values"),
           applies=lambda e: e.name in DEFAULT_STEPS),
    f_case("returns-read-only", lambda e: _read_only_valued(e.kind), lambda e: Correct()),
    f_case("returns-none-entry", lambda e: _none_entry(e.kind), lambda e: Raises(TypeError, e.f_name),
           applies=lambda e: e.kind in ("vector", "gradient")),
    Case("f-raises-out-untouched", lambda e: e.name in ("gradient", "jacobian", "hessian"),
         lambda e: dict(f=_raising(GOOD[e.kind]), x=X0.copy(), options={"out": np.full(_result_shape(e), 7.0)},
                        out=None), lambda e: Same()),
]

C_CASES = [
    Case("compiled-wrong-signature", lambda e: e.compiled,
         lambda e: dict(f=compiled(e.kind, "wrong"), x=X0.copy(), options={}),
         lambda e: Raises(ValueError, r"signature")),
    Case("compiled-status", lambda e: e.compiled and e.kind in ("vector", "gradient"),
         lambda e: dict(f=compiled(e.kind, "status"), x=X0.copy(), options={}),
         lambda e: Raises(RuntimeError, r"coordinate 1\b.*status 7|status 7.*coordinate 1\b")),
    Case("compiled-nan", lambda e: e.compiled,
         lambda e: dict(f=compiled(e.kind, "nan"), x=X0.copy(), options={}), _nan_expect),
    Case("compiled-where-python-only", lambda e: not e.compiled,
         lambda e: dict(f=_c_scalar_nan, x=X0.copy(), options={}),
         lambda e: Raises(TypeError, rf"^{e.f_name} is a compiled callback")),
]


def o_case(name, option, value, expect, applies=None, out=None):
    """A case of one option; ``value`` may be a function of the entry."""
    def build(e):
        v = value(e) if callable(value) else value
        return dict(f=GOOD[e.kind], x=X0.copy(), options={e.option(option): v}, out=v if out else None)

    return Case(f"{option}-{name}", applies or (lambda e: option in e.options), build, expect)


def _named(exc, option):
    return lambda e: Raises(exc, rf"\b{e.option(option)}\b")


def _result_shape(e):
    return {"gradient": (N,), "jacobian": (M, N), "hessian": (N, N)}[e.name]


def _bad_sparsity(e, kind):
    shape = (N, N) if e.name == "hessian" else (M, N)
    if kind == "shape":
        return np.ones((shape[0], shape[1] + 1)) if e.name != "hessian" else np.ones((N + 1, N + 1))
    pattern = np.ones(shape)
    pattern[0, 0] = {"two": 2.0, "negative": -1.0, "half": 0.5, "nan": np.nan}[kind]
    return pattern


def _bad_method(e):
    return {"mode": "fast", "direction": "bogus"}.get(e.option("method"), "centre")


OPTION_CASES = [
    o_case("unknown", "method", _bad_method, _named(ValueError, "method")),
    o_case("odd", "order", 3, _named(ValueError, "order")),
    o_case("str", "order", "2", _named(ValueError, "order")),
    o_case("zero", "step", 0.0, _named(ValueError, "step")),
    o_case("negative", "step", -1e-6, _named(ValueError, "step")),
    o_case("wrong-shape", "step", np.full(N + 1, 1e-6), _named(ValueError, "step")),
    o_case("bool", "step", True, _named(TypeError, "step"),
           applies=lambda e: "step" in e.options and not e.name.startswith(COMPAT)),
    o_case("inverted", "bounds", (1.0, -1.0), lambda e: Raises(ValueError, r"bound")),
    o_case("x-outside", "bounds", (0.0, 5.0), lambda e: Raises(ValueError, r"bound")),
    o_case("wrong-shape", "bounds", (np.zeros(N - 1), 5.0), lambda e: Raises(ValueError, r"bounds")),
    o_case("not-a-pair", "bounds", 1.0, lambda e: Raises(TypeError, r"bounds")),
    o_case("str", "bounds", ("a", "b"), lambda e: Raises(TypeError, r"bounds")),
    o_case("numeric-str", "bounds", ("-5", None), lambda e: Raises(TypeError, r"bounds")),
    o_case("wrong-length", "noise", np.full(5, 1e-10), _named(ValueError, "noise")),
    o_case("str", "rtol", "x", _named(TypeError, "rtol")),
    o_case("str", "seed", "x", _named(TypeError, "seed")),
    o_case("wrong-shape", "sparsity", lambda e: _bad_sparsity(e, "shape"), _named(ValueError, "sparsity")),
    *[o_case(f"entry-{kind}", "sparsity", (lambda kind: lambda e: _bad_sparsity(e, kind))(kind),
             _named(ValueError, "sparsity")) for kind in ("two", "negative", "half", "nan")],
    o_case("str", "workers", "abc", _named(TypeError, "workers")),
    o_case("float", "workers", 1.5, _named(TypeError, "workers")),
    o_case("zero", "workers", 0, _named(ValueError, "workers")),
    o_case("zero", "num_threads", 0, _named(ValueError, "num_threads")),
    o_case("str", "num_threads", "2", _named(ValueError, "num_threads")),
    o_case("wrong-shape", "out", lambda e: np.full(_result_shape(e)[:-1] + (N + 1,), 7.0),
           _named(ValueError, "out"), out=True),
    o_case("wrong-dtype", "out", lambda e: np.full(_result_shape(e), 7.0, dtype=np.float32),
           _named(ValueError, "out"), out=True),
]

CASES = X_CASES + F_CASES + C_CASES + OPTION_CASES

# Where the expected outcome differs from the case's default, and why.
OVERRIDES = {
    # SciPy's approx_derivative takes x0 of at most one dimension (a 0-d x0 is one variable),
    # an empty x0 gives an empty Jacobian, an abs_step or epsilon of 0 means the default step
    # and a negative one a step of that sign; any nonzero entry of a sparsity structure counts.
    **{(name, "x-0d"): Correct() for name in ("scipy.approx_derivative", "scipy.approx_fprime", "scipy.check_grad")},
    **{(name, "x-empty"): Correct() for name in ("scipy.approx_derivative", "scipy.approx_fprime",
                                                   "scipy.check_grad")},
    **{(name, case): Correct() for name in ("scipy.approx_derivative", "scipy.approx_fprime", "scipy.check_grad")
       for case in ("step-zero", "step-negative")},
    **{("scipy.approx_derivative", f"sparsity-entry-{kind}"): Correct() for kind in ("two", "negative", "half", "nan")},
    **{("scipy.approx_derivative", f"x-{kind}"): NonFinite() for kind in ("nan", "inf")},
    # numdifftools: Gradient of a scalar x is the derivative; Gradient, Hessian and Hessdiag
    # flatten x (numdifftools' Gradient does; the compat layer does so for all three).
    **{(name, case): Correct() for name in ("nd.Gradient", "nd.Jacobian", "nd.Hessian", "nd.Hessdiag")
       for case in ("x-0d", "x-2d")},
    # numdifftools takes an odd central order as the even one below it (order 3 is order 2).
    **{(name, "order-odd"): Correct() for name in ("nd.Derivative", "nd.Gradient", "nd.Jacobian", "nd.Hessian",
                                                   "nd.Hessdiag", "nd.directionaldiff")},
    # directionaldiff: vec (3 entries) does not match an x0 of another shape.
    ("nd.directionaldiff", "x-0d"): Raises(ValueError, r"\bx0\b"),
    ("nd.directionaldiff", "x-2d"): Raises(ValueError, r"\bx0\b"),
    # jvp's step is one number t along v: an array is the wrong type.
    **{(name, "step-wrong-shape"): Raises(TypeError, r"\bstep\b") for name in ("jvp", "directional_derivative", "hvp")},
    # The compat layers' f-shape errors: SciPy raises RuntimeError for a value of more than one
    # dimension.
    ("scipy.approx_derivative", "f-wrong-shape"): Raises(RuntimeError, r"\bfun\b"),
    ("scipy.approx_fprime", "f-wrong-shape"): Raises(ValueError, r"\bf\b"),  # SciPy's type here
    # jvp's points are x +- t v: the status is the callback's, there is no coordinate to name.
    ("hvp", "compiled-status"): Raises(RuntimeError, r"status 7"),
    # The Jacobian checks measure f's noise first, on a line x + k delta v: no coordinate either.
    ("check_jacobian", "compiled-status"): Raises(RuntimeError, r"status 7"),
    ("assert_jacobian_close", "compiled-status"): Raises(RuntimeError, r"status 7"),
}


def _rows():
    rows = []
    for entry in ENTRIES:
        for case in CASES:
            if case.applies(entry):
                expected = OVERRIDES.get((entry.name, case.name)) or case.expect(entry)
                rows.append(pytest.param(entry, case, expected, id=f"{entry.name}-{case.name}"))
    return rows


ROWS = _rows()


# --- the test --------------------------------------------------------------------------------

def _snapshot(x):
    if isinstance(x, list):
        return list(x)
    if x.size > 10**6:  # the broadcast view: its layout and a few entries
        return (x.shape, x.strides, x.flags.writeable, x[:4].copy())
    return (x.copy(), x.flags.writeable, x.flags.c_contiguous)


def _assert_unchanged(x, before):
    if isinstance(x, list):
        assert x == before
    elif x.size > 10**6:
        assert (x.shape, x.strides, x.flags.writeable) == before[:3]
        np.testing.assert_array_equal(x[:4], before[3])
    else:
        copy, writeable, contiguous = before
        assert x.dtype == copy.dtype and x.shape == copy.shape
        assert (x.flags.writeable, x.flags.c_contiguous) == (writeable, contiguous)
        if x.dtype == object:
            assert all(a is b or a == b for a, b in zip(x.ravel(), copy.ravel()))
        else:
            np.testing.assert_array_equal(x, copy)


def _exact_x(entry, x):
    return (entry.as_exact_x or _x)(x)


@pytest.mark.parametrize("entry, case, expected", ROWS)
def test_robustness(entry, case, expected):
    spec = case.build(entry)
    f, x, options, out = spec["f"], spec["x"], spec["options"], spec.get("out")
    x_before = _snapshot(x)
    out_before = None if out is None else out.copy()
    NESTED_ERRORS.clear()
    result = excinfo = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = entry.call(f, x, **options)
        except BaseException as exc:  # noqa: BLE001 - every outcome is judged below
            excinfo = exc
    runtime_warnings = [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]

    _assert_unchanged(x, x_before)
    if out is not None:
        np.testing.assert_array_equal(out, out_before)

    if isinstance(expected, (Raises, Same)):
        assert excinfo is not None, f"expected an exception, got {result!r}"
        if isinstance(expected, Same):
            assert excinfo is f.raised, f"{type(excinfo).__name__}: {excinfo}"
            return
        assert isinstance(excinfo, expected.exc), f"expected {expected.exc.__name__}, got {type(excinfo).__name__}: {excinfo}"
        if expected.match:
            assert re.search(expected.match, str(excinfo)), f"{str(excinfo)!r} does not match {expected.match!r}"
        return

    if excinfo is not None:
        raise excinfo
    value = np.asarray(entry.value(result), dtype=np.float64)
    if isinstance(expected, Warned):
        assert any(re.search(expected.match, message) for message in runtime_warnings), runtime_warnings
        return
    if isinstance(expected, LikeFloat32):
        assert not runtime_warnings, runtime_warnings
        reference = entry.value(entry.call(GOOD[entry.kind], x.astype(np.float32), **options))
        np.testing.assert_array_equal(value, np.asarray(reference, dtype=np.float64))
        return
    if isinstance(expected, NonFinite):
        assert all("invalid value" in message for message in runtime_warnings), runtime_warnings
        assert not np.any(np.isfinite(value)), value
        return
    xf = _exact_x(entry, x)
    exact = np.asarray(entry.exact(xf), dtype=np.float64)
    assert value.shape == exact.shape, (value.shape, exact.shape)

    if isinstance(expected, Correct):
        assert not runtime_warnings, runtime_warnings
        np.testing.assert_allclose(value, exact, rtol=entry.tol, atol=entry.tol)
        reference = entry.value(entry.call(GOOD[entry.kind], np.array(np.asarray(x, dtype=np.float64)), **options))
        np.testing.assert_array_equal(value, np.asarray(reference, dtype=np.float64))
        assert all(error < 1e-8 for error in NESTED_ERRORS), NESTED_ERRORS
        return

    assert isinstance(expected, NaNs)
    mask = np.broadcast_to(entry.nan_mask(xf), value.shape) if entry.nan_mask is not None else np.ones(value.shape, bool)
    bad = ~np.isfinite(value) if expected.finite_only else np.isnan(value)
    np.testing.assert_array_equal(bad, mask)
    np.testing.assert_allclose(value[~mask], exact[~mask], rtol=entry.tol, atol=entry.tol)
    if expected.warn:
        assert any(re.search(entry.nan_warning, message) for message in runtime_warnings), runtime_warnings


def test_every_entry_point_has_rows():
    covered = {row.values[0].name for row in ROWS}
    assert covered == {e.name for e in ENTRIES} >= FDCORE_CORE
