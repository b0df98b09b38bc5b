# Signal polling for long nogil kernels: Ctrl-C (or any Python signal handler) interrupts them.
#
# Python runs signal handlers only in the main thread, when something calls PyErr_CheckSignals.
# A kernel that releases the GIL for seconds would otherwise ignore Ctrl-C until it finishes.
# So the calling thread (OpenMP thread 0 of every parallel region) polls: every
# FDCORE_POLL_SECONDS (0.1 s, fdcore/evaluators/monotonic.h) it
# takes the GIL and calls PyErr_CheckSignals. If a handler raised (KeyboardInterrupt for
# SIGINT), its exception stays set in the calling thread, ``stop`` is set, every thread skips its
# remaining work, and the kernel returns INTERRUPTED; the Python-level caller then propagates
# the pending exception (see fdcore.evaluators.compiled._check). Cost when no signal arrives: one coarse
# clock read (a few ns) per evaluation on thread 0, one GIL round trip per poll.

cdef extern from "monotonic.h" nogil:
    double fdcore_monotonic_seconds() noexcept nogil
    const double FDCORE_POLL_SECONDS

cdef extern from "Python.h":
    # Declared without an exception clause on purpose: when a handler raises, the exception
    # must stay set for the kernel's caller instead of being handled inside the nogil kernel.
    int PyErr_CheckSignals()

cdef enum:
    INTERRUPTED = -3  # kernel return code: a signal handler raised; the exception is set

cdef struct SignalWatch:
    int stop            # set once a handler has raised; read by every thread
    double next_poll    # fdcore_monotonic_seconds() of thread 0's next poll

cdef inline void watch_start(SignalWatch *watch) noexcept nogil:
    watch.stop = 0
    watch.next_poll = fdcore_monotonic_seconds() + FDCORE_POLL_SECONDS


cdef inline bint interrupted(SignalWatch *watch, int thread) noexcept nogil:
    """True once a signal handler has raised. Only thread 0 (the caller's thread) polls."""
    cdef double now
    if watch.stop:
        return True
    if thread != 0:
        return False
    now = fdcore_monotonic_seconds()
    if now < watch.next_poll:
        return False
    watch.next_poll = now + FDCORE_POLL_SECONDS
    with gil:
        if PyErr_CheckSignals() != 0:
            watch.stop = 1
    return watch.stop
