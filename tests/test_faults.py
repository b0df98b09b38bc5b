"""Faults under workers=: the process pool fdcore owns is rebuilt after a worker dies, never used
by a forked child, killed on Ctrl-C even when f never returns, ends with its parent, is built once
by threads starting together; f's values are checked as on the serial path (pools and dask).

Every case runs in its own Python process, in its own session, with a time limit: a case may kill
processes or leave stuck workers, and the session's process group is killed when it ends. The
objectives live in tests/faultfuncs.py (pool workers import them by name).
"""

import os
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest

import fdcore

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals and process groups")

_TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(fdcore.__file__)))
_PRELUDE = """\
import multiprocessing, os, signal, sys, threading, time
import numpy as np
import fdcore
import faultfuncs as ff
from concurrent.futures.process import BrokenProcessPool
"""
LIMIT = 5.0  # seconds: the interpreter's exit after Ctrl-C, the workers' end after their parent's


class Child:
    """A Python process running ``script`` in a new session; stdout read line by line, stderr kept."""

    def __init__(self, script, env=None):
        environment = dict(os.environ, **(env or {}))
        paths = [_TESTS_DIR, _PACKAGE_PARENT] + [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p]
        environment["PYTHONPATH"] = os.pathsep.join(paths)
        self.process = subprocess.Popen([sys.executable, "-P", "-c", _PRELUDE + textwrap.dedent(script)],
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=environment, start_new_session=True)
        self.lines, self.stdout, self.stderr = queue.Queue(), [], []
        threading.Thread(target=self._read, args=(self.process.stdout, self.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._read, args=(self.process.stderr, self.stderr, None), daemon=True).start()

    @staticmethod
    def _read(stream, kept, lines):
        for line in stream:
            kept.append(line)
            if lines is not None:
                lines.put(line)

    def report(self):
        return f"stdout:\n{''.join(self.stdout)}\nstderr:\n{''.join(self.stderr)}"

    def line(self, prefix, timeout=20.0):
        """The rest of the next stdout line that starts with ``prefix``."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"no line starting with {prefix!r} within {timeout} s\n{self.report()}")
            if line.startswith(prefix):
                return line[len(prefix):].strip()

    def wait(self, timeout):
        """The return code, or a failure if the process is still running after ``timeout`` seconds."""
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the process did not end within {timeout} s\n{self.report()}")

    def succeeds(self, timeout=20.0):
        assert self.wait(timeout) == 0, self.report()
        assert "ok\n" in self.stdout, self.report()

    def kill_session(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


@pytest.fixture
def child():
    """child(script, env=None) -> a running Child; its whole session is killed after the test."""
    started = []

    def start(script, env=None):
        started.append(Child(script, env))
        return started[-1]

    yield start
    for c in started:
        c.kill_session()


def ended(pid):
    """Whether process ``pid`` has ended (gone, or a zombie nobody reaps)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True
    except OSError:  # no /proc
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


def seconds_until_ended(pids, since, limit=LIMIT):
    """Seconds from ``since`` until every process in ``pids`` has ended, or a failure after ``limit``."""
    while not all(ended(pid) for pid in pids):
        if time.monotonic() - since > limit:
            alive = [pid for pid in pids if not ended(pid)]
            pytest.fail(f"workers {alive} still running {limit} s later")
        time.sleep(0.02)
    return time.monotonic() - since


def worker_pids_in_f(c, count=2):
    """The pids of ``count`` distinct workers that announced they are inside f."""
    pids = set()
    while len(pids) < count:
        pids.add(int(c.line("in f ")))
    return pids


# --- 1. a worker dies: the pool is discarded, the next call builds a new one --------------------

@pytest.mark.parametrize("f, error, words", [
    ("exits_the_process", "BrokenProcessPool", "ended while evaluating f = faultfuncs.exits_the_process"),
    ("kills_its_process", "BrokenProcessPool", "ended while evaluating f = faultfuncs.kills_its_process"),
    ("raises_unpicklable_in_the_caller", "BrokenProcessPool", "could not be unpickled here"),
    ("raises_unpicklable", "RuntimeError", "f = faultfuncs.raises_unpicklable raised faultfuncs.NeedsTwoArguments"
                                           "(first and second) in a worker process, and that exception cannot be "
                                           "pickled back"),
])
def test_pool_is_rebuilt_after_a_worker_failure(child, f, error, words):
    c = child(f"""
        expected = fdcore.gradient(ff.quadratic, ff.X0)
        assert np.array_equal(fdcore.gradient(ff.quadratic, ff.X0, workers=2), expected)
        try:
            fdcore.gradient(ff.{f}, ff.X0, workers=2)
        except {error} as exc:
            message = " ".join(str(exc).split())
            assert {words!r} in message, message
        for _ in range(3):
            assert np.array_equal(fdcore.gradient(ff.quadratic, ff.X0, workers=2), expected)
        deadline = time.monotonic() + 5  # the broken pool's processes end: only the new pool's remain
        while len(multiprocessing.active_children()) != 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(multiprocessing.active_children()) == 2, multiprocessing.active_children()
        print("ok")
    """)
    c.succeeds()


# --- 2. nested calls and forked children never use the parent's pool -----------------------------

def test_nested_workers_return(child):
    # f itself calls gradient(..., workers=2): inside fdcore's pool worker that call is serial
    c = child("""
        x = np.array([0.5, -1.0, 2.0])
        assert np.array_equal(fdcore.gradient(ff.nested, x, workers=2), fdcore.gradient(ff.nested, x))
        print("ok")
    """)
    c.succeeds()


def test_forked_child_and_daemonic_worker_use_their_own_evaluation(child):
    c = child("""
        expected = fdcore.gradient(ff.quadratic, ff.X0)
        assert np.array_equal(fdcore.gradient(ff.quadratic, ff.X0, workers=2), expected)  # pool cached here
        fork = multiprocessing.get_context("fork")
        results = fork.Queue()
        forked = fork.Process(target=lambda: results.put(ff.gradient_on_two_workers(ff.X0)))
        forked.start()
        assert np.array_equal(results.get(timeout=15), expected)
        forked.join(15)
        assert forked.exitcode == 0
        with fork.Pool(1) as pool:  # daemonic: may not start processes, evaluates serially
            assert np.array_equal(pool.apply(ff.gradient_on_two_workers, (ff.X0,)), expected)
        assert np.array_equal(fdcore.gradient(ff.quadratic, ff.X0, workers=2), expected)
        print("ok")
    """)
    c.succeeds()


# --- 3. Ctrl-C while workers are inside an f that never returns ---------------------------------

@pytest.mark.parametrize("f, to", [("sleeps_forever", "process group"), ("holds_the_gil_forever", "parent")])
def test_ctrl_c_with_stuck_workers_exits(child, f, to):
    # SIGINT to the group is a terminal's Ctrl-C; the default handler is set in case SIGINT was
    # ignored when this test was started (a background job).
    c = child(f"""
        signal.signal(signal.SIGINT, signal.default_int_handler)
        fdcore.gradient(ff.{f}, ff.X0, workers=2)
    """)
    workers = worker_pids_in_f(c)
    sent = time.monotonic()
    if to == "parent":
        c.process.send_signal(signal.SIGINT)
    else:
        os.killpg(c.process.pid, signal.SIGINT)
    returncode = c.wait(LIMIT)
    assert returncode != 0 and "KeyboardInterrupt" in "".join(c.stderr), c.report()
    seconds_until_ended(workers, sent)


def test_normal_exit_with_a_worker_still_inside_f_ends(child):
    # The caller got f's error while another worker stays inside f: the interpreter's exit used to
    # wait for that worker forever (concurrent.futures joins its workers).
    c = child("""
        try:
            fdcore.gradient(ff.raises_late_while_another_point_sleeps, ff.X0, workers=2)
        except ValueError as exc:
            print("raised", exc, flush=True)
    """)
    workers = worker_pids_in_f(c, count=1)
    assert c.line("raised") == "the point x + h e_1"
    sent = time.monotonic()
    assert c.wait(LIMIT) == 0, c.report()
    seconds_until_ended(workers, sent)


# --- compat.scipy's workers=int: SciPy's own points on fdcore's pool, with the same handling ------

def test_compat_scipy_pool_is_rebuilt_and_killed_on_ctrl_c(child):
    # Was: a ProcessPoolExecutor per call, whose shutdown waited for a stuck worker forever.
    c = child("""
        from fdcore.compat import scipy as sc
        signal.signal(signal.SIGINT, signal.default_int_handler)
        pattern = np.ones((1, 3))
        expected = sc.approx_derivative(ff.quadratic, ff.X0)
        try:
            sc.approx_derivative(ff.exits_the_process, ff.X0, sparsity=pattern, workers=2)
        except BrokenProcessPool as exc:
            assert "the pool was discarded" in str(exc), exc
        for method in ("3-point", "cs"):
            J = sc.approx_derivative(ff.analytic_quadratic, ff.X0, sparsity=pattern, workers=2, method=method)
            assert np.allclose(J.toarray()[0], expected, rtol=1e-9), (method, J)
        assert np.allclose(sc.approx_derivative(ff.analytic_quadratic, ff.X0, method="cs", workers=2), expected,
                           rtol=1e-12)
        print("ok", flush=True)
        sc.approx_derivative(ff.sleeps_forever_at_faulty_points, ff.X0, sparsity=pattern, workers=2)
    """)
    c.line("ok")
    workers = worker_pids_in_f(c, count=1)  # one point of the 6 is faulty
    sent = time.monotonic()
    c.process.send_signal(signal.SIGINT)
    returncode = c.wait(LIMIT)
    assert returncode != 0 and "KeyboardInterrupt" in "".join(c.stderr), c.report()
    seconds_until_ended(workers, sent)


# --- 4. workers end with their parent ------------------------------------------------------------

@pytest.mark.parametrize("how", ["SIGTERM", "SIGKILL-gil-held", "SIGKILL-pool-built-by-a-thread"])
def test_busy_workers_end_when_the_parent_is_killed(child, how):
    if how == "SIGKILL-gil-held" and not sys.platform.startswith("linux"):
        pytest.skip("only the kernel's parent-death signal stops an f that holds the GIL")
    c = child(f"""
        f = ff.holds_the_gil_forever if {how!r} == "SIGKILL-gil-held" else ff.sleeps_forever
        if {how!r} == "SIGKILL-pool-built-by-a-thread":  # workers must outlive the thread that forked them
            built = threading.Thread(target=fdcore.gradient, args=(ff.quadratic, ff.X0), kwargs={{"workers": 2}})
            built.start()
            built.join()
            time.sleep(0.3)
            print("workers", *sorted(p.pid for p in multiprocessing.active_children()), flush=True)
        fdcore.gradient(f, ff.X0, workers=2)
    """)
    before = c.line("workers ") if how == "SIGKILL-pool-built-by-a-thread" else None
    workers = worker_pids_in_f(c)
    if before is not None:
        assert sorted(workers) == [int(pid) for pid in before.split()]
    sent = time.monotonic()
    c.process.send_signal(signal.SIGTERM if how == "SIGTERM" else signal.SIGKILL)
    c.wait(LIMIT)
    seconds_until_ended(workers, sent)


def test_idle_workers_end_after_os_exit(child):
    c = child("""
        fdcore.gradient(ff.quadratic, ff.X0, workers=2)
        print("workers", *(p.pid for p in multiprocessing.active_children()), flush=True)
        os._exit(0)
    """)
    workers = [int(pid) for pid in c.line("workers ").split()]
    assert len(workers) == 2
    c.wait(LIMIT)
    seconds_until_ended(workers, time.monotonic())


# --- 5. threads starting at once share one pool ---------------------------------------------------

def test_concurrent_first_use_builds_one_pool(child):
    c = child("""
        expected = fdcore.gradient(ff.quadratic, ff.X0)
        barrier = threading.Barrier(6)
        results = []

        def run():
            barrier.wait()
            results.append(np.array_equal(fdcore.gradient(ff.quadratic, ff.X0, workers=2), expected))

        threads = [threading.Thread(target=run) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == [True] * 6, results
        workers = sorted(p.pid for p in multiprocessing.active_children())
        assert len(workers) == 2, workers
        time.sleep(0.3)  # the threads that built the pool have ended: its workers have not
        assert np.array_equal(fdcore.gradient(ff.quadratic, ff.X0, workers=2), expected)
        assert sorted(p.pid for p in multiprocessing.active_children()) == workers
        print("ok")
    """)
    c.succeeds()


# --- 6. f's values are checked as on the serial path --------------------------------------------

_VALUE_CHECKS = textwrap.dedent("""
    def message(entry, f, workers, *args):
        try:
            entry(f, ff.X0, *args, workers=workers)
        except TypeError as exc:
            return str(exc)
        raise AssertionError(f"{f.__name__} under workers={workers!r} raised no TypeError")

    cases = [(fdcore.gradient, ff.returns_none), (fdcore.gradient, ff.returns_a_string),
             (fdcore.hessian, ff.returns_none), (fdcore.jacobian, ff.returns_none_inside_a_list),
             (fdcore.jacobian, ff.returns_a_matrix), (fdcore.jacobian, ff.changes_length),
             (fdcore.linearize, ff.returns_none), (fdcore.directional_derivative, ff.returns_a_string, ff.X0)]
    for workers in WORKERS:
        for entry, f, *args in cases:
            serial, parallel = message(entry, f, None, *args), message(entry, f, workers, *args)
            assert "vectorized" not in parallel, parallel
            # the same message, but for where: the serial path names the coordinate, workers the point
            where = (" at the centre point", " when perturbing coordinate 1", " when perturbing coordinate 0")
            for text in where:
                serial = serial.replace(text, "")
            parallel = parallel.replace(" at a stencil point", "").replace(" at stencil point 2 (x[1] +1.21e-05)", "")
            assert parallel == serial, (entry.__name__, f.__name__, workers, parallel, serial)
    print("ok")
""")


def test_values_are_checked_as_on_the_serial_path(child):
    c = child(textwrap.dedent("""
        from concurrent.futures import ThreadPoolExecutor
        WORKERS = [2, ThreadPoolExecutor(2), map]
    """) + _VALUE_CHECKS)
    c.succeeds()


def test_values_are_checked_as_on_the_serial_path_under_dask(child):
    pytest.importorskip("distributed")
    c = child(textwrap.dedent("""
        import distributed
        WORKERS = [distributed.Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None)]
    """) + _VALUE_CHECKS)
    c.succeeds(timeout=40)
