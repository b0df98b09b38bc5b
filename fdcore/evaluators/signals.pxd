# Signal polling for long nogil kernels: Ctrl-C (or any Python signal handler) interrupts them.
#
# Python runs signal handlers only in the main thread, when something calls PyErr_CheckSignals,
# and only the calling thread (OpenMP thread 0 of every parallel region) may call it. So thread
# 0 polls: every FDCORE_POLL_SECONDS (0.1 s, fdcore/evaluators/monotonic.h) it takes the GIL and
# calls PyErr_CheckSignals. If a handler raised (KeyboardInterrupt for SIGINT), its exception
# stays set in the calling thread and thread 0 sets the shared flag ``stop``; every thread reads
# it before each unit of work and skips the rest, and the kernel returns INTERRUPTED; the
# Python-level caller then propagates the pending exception (fdcore.evaluators.compiled._check).
# The kernels schedule their loops dynamically, so thread 0 keeps taking work, and polling,
# until no work is left to start: unbalanced work cannot leave it waiting at the end of a
# loop while another thread runs for seconds. What cannot be cut short is the unit of work in
# progress (at most two evaluations of f): the latency is one poll interval plus that.
#
# ``abort`` (optional) is a flag set from outside the kernel -- e.g. by the hook that records an
# exception raised inside a ctypes callback with a Python body -- and is read like ``stop``.
# Cost when no signal arrives: one coarse clock read (a few ns) per unit of work on thread 0,
# one GIL round trip per poll.

cdef extern from "monotonic.h" nogil:
    double fdcore_monotonic_seconds() noexcept nogil
    const double FDCORE_POLL_SECONDS

cdef extern from "Python.h":
    # Declared without an exception clause on purpose: when a handler raises, the exception
    # must stay set for the kernel's caller instead of being handled inside the nogil kernel.
    int PyErr_CheckSignals()

cdef enum:
    INTERRUPTED = -3  # kernel return code: a signal handler raised; its exception is set
    ABORTED = -5      # kernel return code: stopped by ``abort``; no exception is set

cdef struct SignalWatch:
    volatile int stop            # set once the run must end, for any reason; read by every thread
    int raised                   # set by thread 0 when a handler raised
    double next_poll             # fdcore_monotonic_seconds() of thread 0's next poll
    const volatile int *abort    # an external stop request, or NULL

cdef inline void watch_start(SignalWatch *watch, const volatile int *abort) noexcept nogil:
    watch.stop = 0
    watch.raised = 0
    watch.next_poll = fdcore_monotonic_seconds() + FDCORE_POLL_SECONDS
    watch.abort = abort


cdef inline bint interrupted(SignalWatch *watch, int thread) noexcept nogil:
    """True once a signal handler has raised or abort is set. Only thread 0 (the caller's) polls."""
    cdef double now
    if watch.stop:
        return True
    if watch.abort != NULL and watch.abort[0]:
        watch.stop = 1
        return True
    if thread != 0:
        return False
    now = fdcore_monotonic_seconds()
    if now < watch.next_poll:
        return False
    watch.next_poll = now + FDCORE_POLL_SECONDS
    with gil:
        if PyErr_CheckSignals() != 0:
            watch.raised = 1
            watch.stop = 1
    return watch.stop
