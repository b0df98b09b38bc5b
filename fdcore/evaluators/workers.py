"""Evaluating batches of points on workers: process pools, executors, dask, map-like callables.

``batch_caller(f, args, kwargs, workers)`` returns a `PointwiseBatches`, the ``call_batch`` of
fdcore.evaluators.batched.Batched: the columns of a batch are split into chunks, each chunk is
evaluated point by point by a worker (``_evaluate_columns``), each value checked there by the
serial path's own checks (fdcore.evaluators.returns), and the results are put back in order, so
the result is identical to the serial path's. An exception raised by f in a worker reaches the
caller (the same exception, with a note naming the point; a RuntimeError describing it if it
cannot be pickled back); no partial result is returned.

``workers`` may be an int (a process pool that fdcore creates once per size and reuses across
calls; closed at exit), any concurrent.futures.Executor, a dask.distributed.Client, or any
map-like callable ``workers(function, iterable) -> iterable`` (e.g. ``multiprocessing.Pool.map``).

The pools fdcore owns:
- one per size and process, built under a lock (threads that start at once share one pool); a
  forked child never uses its parent's pools, and inside a pool worker (or any daemonic process,
  which may not have children) an int ``workers`` evaluates serially, so nested calls return;
- a pool one of whose workers died (os._exit, a signal, an exception that cannot be unpickled) is
  discarded: the call raises BrokenProcessPool naming f, the next call builds a new pool;
- on Ctrl-C (any BaseException that is not an Exception) the pool's processes are killed, since
  f may never return, and the pool is discarded;
- workers ignore SIGINT (the parent handles Ctrl-C) and end when their parent ends: Linux's
  PR_SET_PDEATHSIG when the parent's main thread forked them (the signal follows the forking
  thread, and another thread may end long before the process), and always a thread polling the
  parent (every ``_PARENT_POLL_SECONDS``; it cannot run while f holds the GIL).
"""

import ctypes
import math
import multiprocessing
import multiprocessing.util
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

import numpy as np

from fdcore.evaluators.points import read_only_view
from fdcore.evaluators.returns import (
    note_dtype,
    scalar_from_result,
    vector_from_result,
    watch_precision,
)

_PARENT_POLL_SECONDS = 0.2
_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

_POOLS = {}  # (pid of the process that built it, size) -> ProcessPoolExecutor
_POOLS_LOCK = threading.Lock()
_IN_POOL_WORKER = False  # set by the initializer of fdcore's pool workers
_EXIT_HOOK_PID = None  # the process whose exit shuts its pools down


def _new_lock_in_child():
    """After a fork: a lock that some thread of the parent held at the fork would never be released here."""
    global _POOLS_LOCK
    _POOLS_LOCK = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_new_lock_in_child)


def _shutdown_pools():
    """At exit: shut down the pools this process built (a forked child's inherited entries are not its own).

    Waits for the workers to end: in a multiprocessing child a later exit finalizer closes the queue
    that carries the workers' stop signals.
    """
    for key, pool in list(_POOLS.items()):
        if key[0] == os.getpid():
            del _POOLS[key]
            pool.shutdown(wait=True, cancel_futures=True)


def _shut_down_at_exit():
    """Once per process: shut the pools down at exit, before multiprocessing joins this process's children
    (in a multiprocessing child, which runs no atexit hook, that join would wait for idle workers forever)."""
    global _EXIT_HOOK_PID
    if _EXIT_HOOK_PID != os.getpid():
        multiprocessing.util.Finalize(None, _shutdown_pools, exitpriority=100)
        _EXIT_HOOK_PID = os.getpid()


# --- the workers' side --------------------------------------------------------------------------

def _set_parent_death_signal():
    """Linux: the kernel sends SIGKILL to this process when the thread that forked it ends."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, ctypes.c_ulong(signal.SIGKILL), ctypes.c_ulong(0), ctypes.c_ulong(0),
                   ctypes.c_ulong(0))
    except (OSError, AttributeError):  # no prctl: the watching thread remains
        pass


def _watch_parent(parent_pid):
    """End this worker once its parent has gone (a new parent pid on POSIX, the parent's sentinel elsewhere)."""
    parent = multiprocessing.parent_process()
    while os.getppid() == parent_pid and (parent is None or parent.is_alive()):
        time.sleep(_PARENT_POLL_SECONDS)
    os._exit(1)


def _start_worker(creator_pid, kernel_death_signal):
    """Initializer of fdcore's pool workers: nested int workers run serially, Ctrl-C is the parent's
    to handle, and the worker ends with its parent."""
    global _IN_POOL_WORKER
    _IN_POOL_WORKER = True
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if kernel_death_signal:
        _set_parent_death_signal()
    parent_pid = os.getppid()
    if creator_pid is not None and parent_pid != creator_pid:  # the parent died before the signal was set
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="fdcore-parent-watch", daemon=True).start()


def _scalar_value(value):
    """A scalar f's value, checked as the serial kernels check it."""
    return scalar_from_result(value)


def _vector_value(value):
    """A vector f's value as a new float64 array (f may return the same buffer every time)."""
    return vector_from_result(value, -1, "at a stencil point").copy()


def _raw_value(value):
    """f's value unchecked, as the serial evaluator's raw_values returns it."""
    return np.array(value)


_CONVERTERS = {"scalar": _scalar_value, "vector": _vector_value, "raw": _raw_value}


def _describe(f):
    """f's qualified name (or repr), for error messages."""
    name = getattr(f, "__qualname__", None)
    if name is None:
        return f"{f!r:.80}"
    module = getattr(f, "__module__", None)
    return f"{module}.{name}" if module else name


def _sendable(exc, f):
    """exc if it survives a pickle round trip back to the caller, else a RuntimeError describing it.

    An exception that cannot be unpickled would otherwise break the whole pool.
    """
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception as reason:  # noqa: BLE001 - whatever stops the round trip
        where = "".join(traceback.format_exception(exc))
        return RuntimeError(
            f"f = {_describe(f)} raised {type(exc).__module__}.{type(exc).__qualname__}({exc}) in a worker "
            f"process, and that exception cannot be pickled back to the caller ({type(reason).__name__}: "
            f"{reason}); the worker's traceback:\n{where}")


def _evaluate_columns(task):
    """Worker side: f at each column of ``points``. Returns ("ok", values, the narrowest floating
    dtype of f's values if narrower than float64, else None) or ("error", column, exc). The
    worker's own precision watch: a process or thread does not share the caller's."""
    f, args, kwargs, points, kind, crosses_processes = task
    convert = _CONVERTERS[kind]
    values = []
    with watch_precision() as watch:
        for column in range(points.shape[1]):
            try:
                values.append(convert(f(read_only_view(points[:, column]), *args, **kwargs)))
            except Exception as exc:  # noqa: BLE001 - handed back to the caller, which re-raises it
                return "error", column, _sendable(exc, f) if crosses_processes else exc
    return "ok", values, watch.dtype


# --- the pools fdcore owns ----------------------------------------------------------------------

def _new_pool(size):
    """A pool of ``size`` workers that end with this process; forked at once by this thread when
    it is the main thread, so that the kernel's parent-death signal is tied to a lasting thread."""
    context = multiprocessing.get_context()
    method = context.get_start_method()
    forks_now = method == "fork" and threading.current_thread() is threading.main_thread()
    creator_pid = os.getpid() if method in ("fork", "spawn") else None  # forkserver: the server is the parent
    pool = ProcessPoolExecutor(max_workers=size, mp_context=context, initializer=_start_worker,
                               initargs=(creator_pid, forks_now))
    if forks_now:
        pool.submit(os.getpid).result()  # the first submit forks every worker, here
    return pool


def _own_pool(size):
    """This process's pool of ``size`` workers, built on first use (once, whatever the threads)."""
    key = (os.getpid(), size)
    with _POOLS_LOCK:
        pool = _POOLS.get(key)
        if pool is not None and getattr(pool, "_broken", False):  # private flag: a worker died while idle
            _end(pool, kill=False)
            pool = None
        if pool is None:
            _shut_down_at_exit()
            pool = _POOLS[key] = _new_pool(size)
        return pool


def _discard(pool, kill):
    """Remove ``pool`` from the cache (if still there) and end it; ``kill``: its processes too."""
    with _POOLS_LOCK:
        for key, cached in list(_POOLS.items()):
            if cached is pool:
                del _POOLS[key]
    _end(pool, kill)


def _end(pool, kill):
    """Shut ``pool`` down without waiting; ``kill``: SIGKILL its processes first (f may never return)."""
    if kill:  # the executor's private pid -> process map: no public way to kill before Python 3.14
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


def _cannot_start_processes():
    """Inside fdcore's pool worker (no pools of pools) or a daemonic process (which may not have children)."""
    return _IN_POOL_WORKER or multiprocessing.current_process().daemon


# --- batch_caller -------------------------------------------------------------------------------

def _is_dask_client(workers):
    """Whether ``workers`` is a dask.distributed.Client (recognised without importing dask)."""
    return type(workers).__name__ == "Client" and type(workers).__module__.startswith("distributed")


def _check_picklable(f, args, kwargs):
    """TypeError with advice when f, args or kwargs cannot be pickled for a process pool."""
    try:
        pickle.dumps((f, args, kwargs))
    except Exception as exc:  # noqa: BLE001 - any pickling failure means the same advice
        raise TypeError(
            f"f (or its args/kwargs) cannot be pickled for a process pool ({exc}); define f at module "
            "level, or use workers=concurrent.futures.ThreadPoolExecutor(...) for f that releases "
            "the GIL, a dask.distributed.Client (which uses cloudpickle), or wrap f with cloudpickle"
        ) from None


class PointwiseBatches:
    """The call_batch of workers=: f at each point (column) of a batch, the points split among workers.

    Parameters
    ----------
    f : callable
        ``f(x, *args, **kwargs)`` for one point x.
    args : tuple
        Extra positional arguments of f.
    kwargs : dict or None
        Keyword arguments of f.
    workers : int, Executor, dask.distributed.Client or map-like callable
        Where the points are evaluated (see the module docstring).

    Calling it: ``batches(points, kind, report=None)`` with points (n, k); kind "scalar" returns
    (k,) float64, "vector" a list of k float64 arrays, "raw" a list of k ``np.array(value)``.
    ``report(done, k)`` is called as chunks come back (for progress bars).

    Examples
    --------
    >>> import numpy as np
    >>> from fdcore.evaluators.workers import PointwiseBatches
    >>> batches = PointwiseBatches(lambda p: float(p @ p), (), None, map)
    >>> batches(np.array([[1.0, 2.0], [0.0, 1.0]]), "scalar")
    array([1., 5.])
    """

    def __init__(self, f, args, kwargs, workers):
        self.f, self.args, self.kwargs = f, args, kwargs or {}
        self.own_pool_size = None  # an int workers: fdcore's pool of that size
        self.crosses_processes = False  # f's exceptions are pickled back
        if isinstance(workers, bool):
            raise TypeError("workers must be an int, an Executor, a dask Client or a map-like callable, not a bool")
        if isinstance(workers, (int, np.integer)):
            if workers < 1:
                raise ValueError(f"workers must be >= 1, got {workers}")
            if _cannot_start_processes():
                self.map, self.count = map, 1
            else:
                _check_picklable(f, args, kwargs)
                self.own_pool_size = self.count = int(workers)
                self.crosses_processes = True
        elif isinstance(workers, Executor):
            if isinstance(workers, ProcessPoolExecutor):
                _check_picklable(f, args, kwargs)
                self.crosses_processes = True
            self.map, self.count = workers.map, getattr(workers, "_max_workers", os.cpu_count() or 1)
        elif _is_dask_client(workers):
            self.count = max(1, len(workers.scheduler_info().get("workers", {})))
            self.map = lambda fn, tasks: workers.gather(workers.map(fn, tasks, pure=False))
            self.crosses_processes = True
        elif callable(workers):
            self.map, self.count = workers, os.cpu_count() or 1
        else:
            raise TypeError(
                f"workers must be an int (a process pool), a concurrent.futures.Executor, a "
                f"dask.distributed.Client or a map-like callable; got {type(workers).__name__}"
            )

    def __call__(self, points, kind, report=None):
        k = points.shape[1]
        size = max(1, math.ceil(k / (4 * self.count)))  # ~4 chunks per worker balance uneven costs
        bounds = [(a, min(a + size, k)) for a in range(0, k, size)]
        # Fortran order: f gets each point as a contiguous array, as on the serial path (BLAS
        # sums a strided vector in another order, so the layout can change f's rounding).
        tasks = [(self.f, self.args, self.kwargs, np.asfortranarray(points[:, a:b]), kind, self.crosses_processes)
                 for a, b in bounds]
        pool = None if self.own_pool_size is None else _own_pool(self.own_pool_size)
        values, failure, futures = [], None, []
        try:
            if pool is None:
                results = self.map(_evaluate_columns, tasks)
            else:
                futures = [pool.submit(_evaluate_columns, task) for task in tasks]
                results = (future.result() for future in futures)
            for (a, b), result in zip(bounds, results):
                if result[0] == "error":
                    failure = (a + result[1], result[2])
                    break
                values += result[1]
                note_dtype(result[2])
                if report is not None:
                    report(b, k)
        except BrokenProcessPool as exc:
            if pool is None:
                raise
            _discard(pool, kill=False)
            raise BrokenProcessPool(
                f"a worker process of fdcore's pool (workers={self.own_pool_size}) ended while evaluating "
                f"f = {_describe(self.f)}: f (or code it called) ended the process (os._exit, a crash), the "
                "process was killed (a signal, the out-of-memory killer), or f's exception could not be "
                "unpickled here; the pool was discarded and the next call starts a new one") from exc
        except BaseException as exc:
            if pool is not None and not isinstance(exc, Exception):  # Ctrl-C: f may never return
                _discard(pool, kill=True)
            raise
        if failure is not None:
            running = [future for future in futures if not future.cancel() and not future.done()]
            if running:
                # workers still inside f for this failed call, perhaps forever: a later call (or
                # the interpreter's exit, which joins them) would wait for them
                _discard(pool, kill=True)
            column, exc = failure
            exc.fdcore_column = column
            raise exc
        return np.array(values, dtype=np.float64) if kind == "scalar" else values


def own_pool_map(fn, points, size):
    """[fn(p) for p in points] (as ``np.array(value)``) on fdcore's pool of ``size`` workers, with
    `PointwiseBatches`' handling of faults: for a map-like API over SciPy's own points."""
    return PointwiseBatches(fn, (), None, size)(np.stack([np.asarray(p) for p in points], axis=1), "raw")


def batch_caller(f, args, kwargs, workers):
    """The `PointwiseBatches` evaluating f's points on ``workers`` (int, Executor, dask Client or map)."""
    return PointwiseBatches(f, args, kwargs, workers)
