/* A cheap monotonic clock in seconds, for the kernels' periodic signal checks.
 * CLOCK_MONOTONIC_COARSE (Linux) costs a few ns and has ~1-4 ms resolution: plenty for a
 * 0.1 s polling interval; other platforms fall back to their standard monotonic clock. */
#ifndef FDCORE_MONOTONIC_H
#define FDCORE_MONOTONIC_H
/* How often the nogil kernels poll for signals (fdcore/evaluators/signals.pxd). */
#define FDCORE_POLL_SECONDS 0.1
#ifdef _WIN32
#include <windows.h>
static inline double fdcore_monotonic_seconds(void) { return (double)GetTickCount64() * 1e-3; }
#else
#include <time.h>
#ifdef CLOCK_MONOTONIC_COARSE
#define FDCORE_CLOCK CLOCK_MONOTONIC_COARSE
#else
#define FDCORE_CLOCK CLOCK_MONOTONIC
#endif
static inline double fdcore_monotonic_seconds(void)
{
    struct timespec t;
    clock_gettime(FDCORE_CLOCK, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}
#endif
#endif
