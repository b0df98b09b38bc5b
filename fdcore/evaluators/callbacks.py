"""Recognising compiled objectives and binding them to the nogil kernels.

Accepted (float64 only):
  scalar   double f(int n, double *x, void *user_data)
  vector   int f(int n, double *x, int m, double *out, void *user_data)   (0 on success)
given as a scipy.LowLevelCallable, a PyCapsule named by its signature (SciPy's convention, e.g. a
Cython function exported by ``PyCapsule_New(<void*>f, "double (int, double *, void *)", NULL)``),
a ctypes function pointer, a cffi function pointer, a numba ``cfunc`` -- or any of these wrapped
in `Callback` to attach user_data and, for vector callbacks, the output size m.
"""

import ctypes
import sys
import threading
import types
from typing import Any

import numpy as np

# The largest C int: n and m are ints in the callback signatures.
MAX_C_INT = 2**31 - 1
# The most threads a compiled kernel may be asked for (num_threads=; also caps OpenMP's default).
# libgomp ends the process when it cannot create the threads ("Thread creation failed" at 40000
# here; 10**6 segfaulted): 1024 is far above any core count and safe to create.
MAX_THREADS = 1024

SCALAR_SIGNATURE = "double (int, double *, void *)"
VECTOR_SIGNATURE = "int (int, double *, int, double *, void *)"
ACCEPTED = f"'{SCALAR_SIGNATURE}' (scalar) or '{VECTOR_SIGNATURE}' (vector, returns 0 on success)"

_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.restype, _capsule_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype, _capsule_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
_capsule_context = ctypes.pythonapi.PyCapsule_GetContext
_capsule_context.restype, _capsule_context.argtypes = ctypes.c_void_p, [ctypes.py_object]


def _normalise(signature):
    return "".join(signature.split())


def _kind_of(signature, source):
    s = _normalise(signature)
    if s == _normalise(SCALAR_SIGNATURE):
        return "scalar"
    if s == _normalise(VECTOR_SIGNATURE):
        return "vector"
    raise ValueError(f"{source} has signature '{signature}'; fdcore accepts {ACCEPTED}")


def _is_capsule(obj):
    return type(obj).__name__ == "PyCapsule"


def _from_capsule(capsule, source="the capsule"):
    name = _capsule_name(capsule)
    if name is None:
        raise ValueError(f"{source} has no name; name it by its signature: {ACCEPTED}")
    try:
        signature = name.decode()
    except UnicodeDecodeError:
        raise ValueError(f"{source} is named {name!r}, not by a signature; fdcore accepts {ACCEPTED}") from None
    kind = _kind_of(signature, source)
    address = _capsule_pointer(capsule, name)
    return kind, address, _capsule_context(capsule) or 0


_CTYPES_SCALAR = (ctypes.c_double, (ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_void_p))
_CTYPES_VECTOR = (ctypes.c_int, (ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_int,
                                 ctypes.POINTER(ctypes.c_double), ctypes.c_void_p))


def _ctypes_signature(fptr):
    def name(t):
        if t is None:
            return "void"
        return {ctypes.c_double: "double", ctypes.c_int: "int", ctypes.c_void_p: "void *",
                ctypes.POINTER(ctypes.c_double): "double *"}.get(t, getattr(t, "__name__", str(t)))

    return f"{name(fptr.restype)} ({', '.join(name(a) for a in (fptr.argtypes or ()))})"


def _from_ctypes(fptr, source="the ctypes function"):
    kind = _kind_of(_ctypes_signature(fptr), source)
    return kind, ctypes.cast(fptr, ctypes.c_void_p).value, 0


def _from_cffi(fptr):
    import cffi

    ffi = cffi.FFI()
    ctype = ffi.typeof(fptr)
    if ctype.kind != "function":
        raise ValueError(f"the cffi object is a {ctype.cname}, not a function pointer; fdcore accepts {ACCEPTED}")
    signature = ctype.cname.replace("(*)", "")
    return _kind_of(signature, "the cffi function"), int(ffi.cast("uintptr_t", fptr)), 0


def _user_data_address(user_data):
    """The void* address of user_data: None, an int, a ctypes object/pointer, cffi pointer, capsule."""
    if user_data is None:
        return 0
    if isinstance(user_data, (int, np.integer)):
        return int(user_data)
    if isinstance(user_data, np.ndarray):
        if not user_data.flags.c_contiguous:
            raise ValueError("user_data given as an array must be C-contiguous")
        return user_data.ctypes.data
    if _is_capsule(user_data):
        name = _capsule_name(user_data)
        return _capsule_pointer(user_data, name)
    if isinstance(user_data, ctypes._Pointer) or isinstance(user_data, ctypes.c_void_p):
        return ctypes.cast(user_data, ctypes.c_void_p).value or 0
    if isinstance(user_data, ctypes._SimpleCData) or isinstance(user_data, (ctypes.Array, ctypes.Structure)):
        return ctypes.addressof(user_data)
    if type(user_data).__module__ == "_cffi_backend":
        import cffi

        return int(cffi.FFI().cast("uintptr_t", user_data))
    raise TypeError(
        f"user_data must be None, an int address, a ctypes object or pointer, a cffi pointer or a "
        f"capsule; got {type(user_data).__name__}"
    )


_PYTHON_CALLABLES = (types.FunctionType, types.BuiltinFunctionType, types.MethodType, np.ufunc)


def _has_thunk(objects):
    """Whether a ctypes ``_objects`` tree holds a CThunkObject (a Python callable behind a pointer)."""
    if isinstance(objects, dict):
        return any(_has_thunk(o) for o in objects.values())
    return type(objects).__name__ == "CThunkObject"


def _has_python_body(function):
    """Whether calling the compiled function runs a Python callable: a ctypes function made from
    one (``CFUNCTYPE(...)(python_function)``, also cast or wrapped in a LowLevelCallable) or a cffi
    ``ffi.callback``. Not detectable: a bare address of such a function."""
    if type(function).__name__ == "LowLevelCallable" and isinstance(function, tuple):
        function = tuple.__getitem__(function, 1)  # the object it was made from
    if isinstance(function, ctypes._CFuncPtr):
        return _has_thunk(getattr(function, "_objects", None))
    # ffi.callback returns an owning cdata; a function of a compiled library or ffi.cast does not.
    return type(function).__module__ == "_cffi_backend" and type(function).__name__ == "__CDataOwnGC"


def _describe(function):
    """(kind, address, user_data address) of a compiled function, or None for a Python callable."""
    if isinstance(function, _PYTHON_CALLABLES):
        return None
    if type(function).__name__ == "LowLevelCallable" and isinstance(function, tuple):
        # A tuple (capsule named by the signature, with user_data as its context, function, data).
        capsule = tuple.__getitem__(function, 0)
        kind, address, _ = _from_capsule(capsule, "the LowLevelCallable")
        return kind, address, _capsule_context(capsule) or 0
    if _is_capsule(function):
        return _from_capsule(function)
    if isinstance(function, ctypes._CFuncPtr):
        return _from_ctypes(function)
    if type(function).__module__ == "_cffi_backend":
        return _from_cffi(function)
    if hasattr(function, "address") and hasattr(function, "ctypes") and hasattr(function, "native_name"):
        return _from_ctypes(function.ctypes, "the numba cfunc")  # numba.cfunc
    return None


class Callback:
    """A compiled objective with its user_data and, for vector callbacks, its output size m.

    Parameters
    ----------
    function : LowLevelCallable, PyCapsule, ctypes / cffi function pointer or numba cfunc
        With the signature ``double f(int n, double *x, void *user_data)`` (scalar) or
        ``int f(int n, double *x, int m, double *out, void *user_data)`` (vector, returning 0 on
        success and non-zero to stop the computation).
    user_data : optional
        Passed as f's last argument: a C-contiguous NumPy array (its data pointer), an int
        address, a ctypes object or pointer, a cffi pointer or a capsule. A LowLevelCallable
        carries its own. fdcore keeps a reference to it.
    m : int
        Output size; required for vector callbacks.

    Notes
    -----
    f must treat x as read-only. fdcore calls it on work copies that it perturbs in place; it
    checks after every call that the perturbed coordinates are unchanged, before perturbing a
    coordinate that it is, and at the end of each thread's work the whole copy, and raises
    ValueError when f wrote into x. A write that f undoes before returning is harmless and not
    seen.

    ``num_threads`` (of gradient, jacobian, hessian, ...) is an int from 1 to 1024
    (``MAX_THREADS``): OpenMP ends the process when it cannot create the threads asked for.
    The default, OpenMP's (``OMP_NUM_THREADS`` or all cores), is capped likewise, and no kernel
    starts more threads than it has units of work.

    Ctrl-C (or any Python signal handler that raises) stops a run within about 0.1 s plus two
    evaluations of f, on any number of threads: an evaluation in progress cannot be
    interrupted, so a single long evaluation delays it by its whole duration.

    A ctypes function made from a Python function (as in the example), or a cffi
    ``ffi.callback``, runs Python at every evaluation, so it gains nothing over passing the
    Python function itself; it is accepted for testing callback code. ctypes and cffi cannot let
    its exceptions through the C call (they print them and return 0): fdcore records them
    through ``sys.unraisablehook`` while the kernel runs, stops the kernel, and raises the first
    one when it returns, Ctrl-C included. Concurrent parallel runs of such callbacks from
    several Python threads may see each other's exceptions. Not detectable, hence not covered:
    such a function passed by its bare address (an int made into a capsule or another pointer).

    Examples
    --------
    >>> import ctypes, numpy as np, fdcore
    >>> prototype = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int,
    ...                              ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)
    >>> square_sum = prototype(lambda n, x, data: sum(x[i] ** 2 for i in range(n)))
    >>> fdcore.gradient(fdcore.Callback(square_sum), [1.0, 2.0]).round(6)
    array([2., 4.])
    """

    __slots__ = ("function", "user_data", "m", "kind", "address", "user_data_address", "python_body")

    function: Any
    user_data: Any
    kind: str  # 'scalar' or 'vector'
    m: int  # output size (0 for a scalar callback)

    def __init__(self, function: Any, user_data: Any = None, *, m: int | None = None) -> None:
        described = _describe(function)
        if described is None:
            raise TypeError(
                f"function must be a compiled callback (LowLevelCallable, capsule, ctypes or cffi "
                f"function pointer, numba cfunc) with signature {ACCEPTED}; got {type(function).__name__}"
            )
        self.function, self.user_data = function, user_data
        self.kind, self.address, own_data = described
        # ctypes / cffi only report an exception raised in a Python body and return 0: see
        # ExceptionsFromPythonBody.
        self.python_body = _has_python_body(function)
        if not self.address:  # a NULL function pointer would crash inside the kernel
            raise ValueError(f"f, the compiled callback, is a NULL pointer ({type(function).__name__}); fdcore "
                             f"accepts {ACCEPTED}")
        self.user_data_address = _user_data_address(user_data) if user_data is not None else own_data
        if not 0 <= self.user_data_address < 2 ** (8 * ctypes.sizeof(ctypes.c_void_p)):
            raise ValueError(f"user_data as an int must be an address (0 <= user_data < 2**64), got {user_data!r}")
        if self.kind == "vector":
            if (m is None or isinstance(m, bool) or not isinstance(m, (int, np.integer))
                    or not 1 <= m <= MAX_C_INT):
                raise ValueError(f"m must be the output size of the vector callback, an int from 1 to "
                                 f"{MAX_C_INT} (a C int), got {m!r}")
            self.m = int(m)
        else:
            if m is not None:
                raise ValueError("m is only for vector callbacks")
            self.m = 0

    def __repr__(self) -> str:
        return f"Callback({type(self.function).__name__}, kind={self.kind!r}, m={self.m or None})"


# The reports ctypes and cffi make, through sys.unraisablehook, of an exception raised in a
# callback's Python body ("Exception ignored on calling ctypes callback function",
# "Exception ignored from cffi callback <function ...>").
_CALLBACK_REPORTS = ("ctypes callback", "cffi callback")
_running = []  # (calling thread's ident, record) of the guarded calls running now
_running_lock = threading.Lock()
_previous_hook = None  # sys.unraisablehook before the first of them started


def _dispatch(report):
    """sys.unraisablehook while guarded calls run: a callback's exception goes to the calls made
    from the thread that reports it (a kernel's calling thread is its OpenMP thread 0 and does
    all its serial work), else -- from an OpenMP worker thread, which the report cannot tie to
    a call -- to every running call; any other report goes to the previous hook."""
    if any(source in (report.err_msg or "") for source in _CALLBACK_REPORTS):
        here = threading.get_ident()
        with _running_lock:
            running = [record for ident, record in _running if ident == here] or [r for _, r in _running]
        for record in running:
            record(report.exc_value)
        if running:
            return
    (_previous_hook or sys.__unraisablehook__)(report)


def _start_guard(record):
    global _previous_hook
    with _running_lock:
        if not _running:
            _previous_hook, sys.unraisablehook = sys.unraisablehook, _dispatch
        _running.append((threading.get_ident(), record))


def _end_guard(record):
    global _previous_hook
    with _running_lock:
        _running.remove((threading.get_ident(), record))
        if not _running:
            if sys.unraisablehook is _dispatch:  # else someone replaced it meanwhile: keep theirs
                sys.unraisablehook = _previous_hook
            _previous_hook = None


class ExceptionsFromPythonBody:
    """An evaluator of a compiled callback with a Python body whose exceptions reach the caller.

    ctypes and cffi cannot propagate an exception out of a C call: they report it through
    ``sys.unraisablehook`` ("Exception ignored on calling ctypes callback function") and return
    0, so the derivative would silently use 0 (and Ctrl-C inside the callback would be lost).
    Each evaluator method runs with a hook that records those reports and asks the running
    kernel to stop (``stop_requested``: every thread ends after its current unit of work); the
    first recorded exception is raised once the kernel returns. The hook is process-wide while
    such kernels run (installed by the first, restored by the last). An exception raised on an
    OpenMP worker thread cannot be tied to its kernel: concurrent parallel runs of such
    callbacks from several Python threads may see each other's errors.
    """

    def __init__(self, evaluator):
        self._evaluator = evaluator

    def __getattr__(self, name):
        attribute = getattr(self._evaluator, name)
        if not callable(attribute):
            return attribute
        evaluator = self._evaluator

        def guarded(*args, **kwargs):
            caught = []

            def record(exception):
                caught.append(exception)
                evaluator.stop_requested = True

            evaluator.stop_requested = False
            _start_guard(record)
            try:
                result = attribute(*args, **kwargs)
            except Exception:
                if caught:  # the kernel's own error (a stop, a garbage status) follows from it
                    raise caught[0] from None
                raise
            finally:
                _end_guard(record)
            if caught:
                raise caught[0]
            return result

        return guarded


def is_compiled_callback(f):
    """True for a compiled objective (a `Callback` or anything `Callback` accepts)."""
    return isinstance(f, Callback) or _describe(f) is not None


def as_callback(f, num_threads):
    """f as a `Callback` when it is a compiled objective, else None (a plain Python callable).

    num_threads is checked for every f: it is ignored for Python callables, but a bad value is
    a mistake whatever f is. At most MAX_THREADS: OpenMP ends the process when it cannot create
    the threads asked for (libgomp: "Thread creation failed" at 40000 here).
    """
    integer = isinstance(num_threads, (int, np.integer)) and not isinstance(num_threads, bool)
    if num_threads is not None and not (integer and 1 <= num_threads <= MAX_THREADS):
        raise ValueError(f"num_threads must be an int from 1 to {MAX_THREADS} or None, got {num_threads!r}")
    if isinstance(f, Callback):
        return f
    if _describe(f) is not None:
        return Callback(f)  # a vector callback without m raises here, naming m
    return None
