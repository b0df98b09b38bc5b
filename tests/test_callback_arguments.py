"""Compiled-callback arguments that used to crash the interpreter or raise the wrong error.

A NULL cffi function pointer segfaulted inside the kernel, num_threads=10**6 segfaulted and
40000 made libgomp end the process; a NULL ctypes pointer, num_threads=2**31, m=2**31,
user_data=-1 and a capsule with a non-UTF-8 name raised TypeError / OverflowError /
UnicodeDecodeError from deep inside. Each is now a ValueError naming the argument, raised before
any kernel runs.
"""

import ctypes

import numpy as np
import pytest

import fdcore
from fdcore.evaluators.callbacks import MAX_C_INT, MAX_THREADS
from fdcore.evaluators.threads import openmp_enabled

SCALAR = ctypes.CFUNCTYPE(ctypes.c_double, ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)
VECTOR = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.POINTER(ctypes.c_double), ctypes.c_int,
                          ctypes.POINTER(ctypes.c_double), ctypes.c_void_p)


@SCALAR
def _square(n, x, data):
    return x[0] * x[0]


@VECTOR
def _identity(n, x, m, out, data):
    out[0] = x[0]
    return 0


def test_null_ctypes_pointer_is_refused():
    with pytest.raises(ValueError, match="NULL pointer"):
        fdcore.gradient(SCALAR(), [1.0])


def test_null_cffi_pointer_is_refused():
    cffi = pytest.importorskip("cffi")
    null = cffi.FFI().cast("double(*)(int, double *, void *)", 0)
    with pytest.raises(ValueError, match="NULL pointer"):
        fdcore.gradient(null, [1.0])
    with pytest.raises(ValueError, match="NULL pointer"):
        fdcore.Callback(null)


def test_capsule_named_by_something_else_than_a_signature_is_refused():
    new = ctypes.pythonapi.PyCapsule_New
    new.restype, new.argtypes = ctypes.py_object, [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_void_p]
    name = b"\xff\xfe not a signature"  # kept alive: the capsule points at it
    capsule = new(ctypes.cast(_square, ctypes.c_void_p).value, name, None)
    with pytest.raises(ValueError, match="not by a signature"):
        fdcore.gradient(capsule, [1.0])


@pytest.mark.parametrize("num_threads", [MAX_THREADS + 1, 40_000, 10**6, 2**31, 2**64])
@pytest.mark.parametrize("compiled", [True, False], ids=["compiled", "python"])
def test_num_threads_above_the_stated_maximum_is_refused(num_threads, compiled):
    f = _square if compiled else (lambda p: float(p @ p))
    with pytest.raises(ValueError, match=rf"num_threads must be an int from 1 to {MAX_THREADS}"):
        fdcore.gradient(f, [1.0], num_threads=num_threads)


def test_num_threads_at_the_maximum_is_accepted():
    # n = 2 runs serially (below the kernels' parallel threshold): no 1024 threads are started.
    assert np.allclose(fdcore.gradient(_square, [1.5, 0.0], num_threads=MAX_THREADS), [3.0, 0.0])


@pytest.mark.parametrize("m", [MAX_C_INT + 1, 2**63, 0, -1])
def test_vector_size_outside_a_c_int_is_refused(m):
    with pytest.raises(ValueError, match=r"^m must be the output size"):
        fdcore.Callback(_identity, m=m)


def test_vector_size_at_the_c_int_limit_is_accepted():
    assert fdcore.Callback(_identity, m=MAX_C_INT).m == MAX_C_INT


@pytest.mark.parametrize("user_data", [-1, -(2**63), 2**64])
def test_user_data_address_outside_a_pointer_is_refused(user_data):
    with pytest.raises(ValueError, match="user_data"):
        fdcore.Callback(_square, user_data)


# --- ctypes callbacks with a Python body: their exceptions reach the caller -----------------------
# Was: ctypes printed "Exception ignored on calling ctypes callback function", returned 0, and the
# gradient was silently [0, 0]; a KeyboardInterrupt inside the callback was swallowed.

def _raising(exception):
    def body(*args):
        raise exception

    return body


@pytest.mark.parametrize("entry", [
    lambda f: fdcore.gradient(f, [1.0, 2.0]),
    lambda f: fdcore.gradient(f, [1.0, 2.0], richardson=True),
    lambda f: fdcore.hessian(f, [1.0, 2.0]),
    lambda f: fdcore.jvp(f, [1.0, 2.0], [1.0, 0.0]),
    lambda f: fdcore.check_grad(f, lambda x: 2 * x, np.ones(3)),
], ids=["gradient", "accurate", "hessian", "jvp", "check_grad"])
def test_exception_in_a_python_body_scalar_callback_propagates(entry, recwarn):
    f = SCALAR(_raising(ZeroDivisionError("inside the callback")))
    with pytest.raises(ZeroDivisionError, match="inside the callback"):
        entry(f)


def test_exception_in_a_python_body_vector_callback_propagates():
    f = fdcore.Callback(VECTOR(_raising(ValueError("vector body"))), m=2)
    with pytest.raises(ValueError, match="vector body"):
        fdcore.jacobian(f, [1.0, 2.0])


def test_keyboard_interrupt_in_a_python_body_callback_propagates():
    with pytest.raises(KeyboardInterrupt):
        fdcore.gradient(SCALAR(_raising(KeyboardInterrupt())), [1.0, 2.0])


def test_python_body_callback_that_does_not_raise_gives_the_derivative():
    f = SCALAR(lambda n, x, data: x[0] ** 2 + 3.0 * x[1])
    assert np.allclose(fdcore.gradient(f, [1.5, 2.0]), [3.0, 3.0])
    assert fdcore.Callback(f).python_body


def test_other_unraisable_reports_still_reach_the_previous_hook(monkeypatch):
    import sys

    seen = []
    monkeypatch.setattr(sys, "unraisablehook", lambda report: seen.append(report.err_msg))

    class NoisyFinaliser:
        def __del__(self):
            raise RuntimeError("not from the callback")

    def body(n, x, data):
        NoisyFinaliser()  # its __del__ reports an unraisable exception that is not the callback's
        return x[0]

    assert np.allclose(fdcore.gradient(SCALAR(body), [1.0]), [1.0])
    assert seen and all("ctypes callback" not in (message or "") for message in seen)


def test_exception_in_a_python_body_stops_the_kernel():
    # Was: the kernel went on calling the failing body for every remaining stencil point.
    calls = []

    def body(n, x, data):
        calls.append(1)
        raise ZeroDivisionError("first call")

    with pytest.raises(ZeroDivisionError, match="first call"):
        fdcore.gradient(SCALAR(body), np.ones(200), num_threads=1)
    assert len(calls) <= 2  # the two evaluations of the first coordinate at most, not 400


@pytest.mark.parametrize("returned", ["not a number", None])
def test_python_body_returning_a_non_number_propagates(returned):
    # ctypes reports "Exception ignored on converting result of ctypes callback function".
    with pytest.raises(TypeError):
        fdcore.gradient(SCALAR(lambda n, x, data: returned), [1.0, 2.0])


def test_python_body_inside_a_low_level_callable_propagates():
    scipy = pytest.importorskip("scipy")
    f = scipy.LowLevelCallable(SCALAR(_raising(ZeroDivisionError("wrapped"))))
    assert fdcore.Callback(f).python_body
    with pytest.raises(ZeroDivisionError, match="wrapped"):
        fdcore.gradient(f, [1.0, 2.0])


def test_exception_in_a_cffi_callback_propagates():
    cffi = pytest.importorskip("cffi")
    ffi = cffi.FFI()
    f = ffi.callback("double(int, double *, void *)", _raising(ZeroDivisionError("cffi body")))
    assert fdcore.Callback(f).python_body
    with pytest.raises(ZeroDivisionError, match="cffi body"):
        fdcore.gradient(f, [1.0, 2.0])
    compiled = ffi.cast("double(*)(int, double *, void *)", 1)  # never called
    assert not fdcore.Callback(compiled).python_body


@pytest.mark.parametrize("num_threads", [1, 2])
def test_unraisable_hook_is_restored_after_concurrent_runs(num_threads):
    # Was: each run replaced sys.unraisablehook and restored what it had found, so overlapping runs
    # from several Python threads could leave a stale hook that swallowed every later report.
    import sys
    import threading

    before = sys.unraisablehook
    results, errors = {}, {}

    def work(k):
        body = _raising(ValueError(f"run {k}")) if k % 2 else (lambda n, x, data: x[0] * x[0] + k * x[1])
        try:
            results[k] = fdcore.gradient(SCALAR(body), np.linspace(1.0, 2.0, 40), num_threads=num_threads)
        except ValueError as exc:
            errors[k] = str(exc)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sys.unraisablehook is before
    assert sorted(k for k in errors if k % 2) == [1, 3, 5]
    for k in (0, 2, 4):
        if num_threads == 1:  # every evaluation on the calling thread: errors are told apart
            assert k not in errors and np.allclose(results[k][:2], [2.0, k])
        elif k in errors:  # an error raised on an OpenMP worker may reach any parallel run
            assert errors[k] in ("run 1", "run 3", "run 5")
        else:
            assert np.allclose(results[k][:2], [2.0, k])


def test_python_body_that_writes_into_x_once_is_refused():
    # The write outlives the call and lands on a coordinate perturbed later (or never): refused.
    calls = []

    def body(n, x, data):
        calls.append(1)
        if len(calls) == 1:
            x[n - 1] = 7.0
        return x[0] * x[0]

    with pytest.raises(ValueError, match="wrote into its x argument"):
        fdcore.gradient(SCALAR(body), np.ones(5))


def test_python_body_that_undoes_its_write_is_harmless():
    def body(n, x, data):
        saved, x[0] = x[0], -1.0
        x[0] = saved
        return x[0] * x[0] + 3.0 * x[1]

    assert np.allclose(fdcore.gradient(SCALAR(body), [1.5, 2.0], method="forward"), [3.0, 3.0], atol=1e-6)


def test_vector_callback_scratch_is_counted_by_the_memory_check(monkeypatch):
    # Was: m = 10**9 at n = 2 was not refused: the per-thread scratch (2m doubles) was not counted.
    # The Jacobian alone (16 GB) fits a 20 GB machine; with 16 GB of scratch it does not.
    from fdcore.evaluators import points

    monkeypatch.setattr(points, "_PHYSICAL_MEMORY", 20 * 10**9)
    f = fdcore.Callback(_identity, m=10**9)
    with pytest.raises(MemoryError, match=r"m = 1000000000 outputs.*2m doubles of scratch for each of 1 thread"):
        fdcore.jacobian(f, [1.0, 2.0])
    monkeypatch.setattr(points, "_PHYSICAL_MEMORY", 4 * 10**9)  # not even f(x) fits
    with pytest.raises(MemoryError, match=r"m = 1000000000 outputs"):
        fdcore.jacobian(f, [1.0, 2.0], method="forward")


def test_default_thread_count_is_capped():
    # OMP_NUM_THREADS beyond what libgomp can start ended the process ("Thread creation failed").
    import os
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent(
        """
        import numpy as np, fdcore
        from fdcore.evaluators.config import config
        p = fdcore.get_problem("rosenbrock", 64)
        g = fdcore.gradient(p.compiled, p.x0)
        print(np.allclose(g, p.derivative(p.x0), rtol=1e-6), config()["threads"])
        """
    )
    env = dict(os.environ, OMP_NUM_THREADS="100000")
    # -P: not the working directory first on sys.path (the repository root's uncompiled fdcore)
    run = subprocess.run([sys.executable, "-P", "-c", script], capture_output=True, text=True, timeout=60, env=env)
    expected = str(MAX_THREADS) if openmp_enabled() else "1"
    assert run.returncode == 0 and run.stdout.split() == ["True", expected], run.stdout + run.stderr
