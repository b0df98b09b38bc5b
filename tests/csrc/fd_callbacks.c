/* Test objectives for fdcore's compiled-callback support (tests/test_compiled.py).
 *
 * Built once per test session into a temporary shared library. Every sum is a single left-to-right
 * loop so that the NumPy twins in the tests (np.cumsum of the same terms) reproduce the values.
 *
 *   scalar  double f(int n, double *x, void *user_data)
 *   vector  int f(int n, double *x, int m, double *out, void *user_data)   (0 on success)
 */
#include <math.h>
#include <stddef.h>
#include <time.h>

/* Chained Rosenbrock plus sum_i c_i x_i^3, c = (double *)user_data (the cubic term is absent
 * when user_data is NULL). */
double rosen_cubic(int n, double *x, void *user_data)
{
    const double *c = (const double *)user_data;
    double s = 0.0, t;
    int i;
    for (i = 0; i < n - 1; i++) {
        t = x[i + 1] - x[i] * x[i];
        s += 100.0 * t * t + (1.0 - x[i]) * (1.0 - x[i]);
    }
    if (c != NULL)
        for (i = 0; i < n; i++)
            s += c[i] * x[i] * x[i] * x[i];
    return s;
}

/* m = n + 1 outputs: F_k = c_k x_k^3 + x_k x_{k+1} - 2 x_k (x_n = 0, c_k = 1 without user_data),
 * F_n = sum_k x_k^2. Returns 1 if m != n + 1. */
int vec_cubic(int n, double *x, int m, double *out, void *user_data)
{
    const double *c = (const double *)user_data;
    double s = 0.0;
    int k;
    if (m != n + 1)
        return 1;
    for (k = 0; k < n; k++) {
        out[k] = (c != NULL ? c[k] : 1.0) * x[k] * x[k] * x[k] + (k + 1 < n ? x[k] * x[k + 1] : 0.0)
                 - 2.0 * x[k];
        s += x[k] * x[k];
    }
    out[n] = s;
    return 0;
}

/* vec_cubic without coefficients, but returns status 7 as soon as x[3] differs from
 * ((double *)user_data)[3] (the centre point): i.e. whenever coordinate 3 is perturbed. */
int vec_fail_at_3(int n, double *x, int m, double *out, void *user_data)
{
    const double *ref = (const double *)user_data;
    if (x[3] != ref[3])
        return 7;
    return vec_cubic(n, x, m, out, NULL);
}

/* vec_cubic without coefficients, but fails with status 7 whenever x[3] is perturbed and with
 * status 9 whenever x[40] is (relative to user_data, the centre point). Evaluations that perturb
 * x[0], x[1] or x[2] first sleep 20 ms: in a parallel run the thread that owns coordinates 0..3
 * is still busy when another thread reaches coordinate 40. (n >= 41.) */
int vec_fail_at_3_and_40(int n, double *x, int m, double *out, void *user_data)
{
    const double *ref = (const double *)user_data;
    struct timespec pause = {0, 20000000L};
    if (x[0] != ref[0] || x[1] != ref[1] || x[2] != ref[2])
        nanosleep(&pause, NULL);
    if (x[3] != ref[3])
        return 7;
    if (x[40] != ref[40])
        return 9;
    return vec_cubic(n, x, m, out, NULL);
}

/* vec_cubic without coefficients; out[0] is NaN whenever x[5] is perturbed and out[2] is +inf
 * whenever x[9] is perturbed (perturbation relative to user_data, the centre point). */
int vec_nan(int n, double *x, int m, double *out, void *user_data)
{
    const double *ref = (const double *)user_data;
    int status = vec_cubic(n, x, m, out, NULL);
    if (x[5] != ref[5])
        out[0] = NAN;
    if (x[9] != ref[9])
        out[2] = INFINITY;
    return status;
}

/* rosen_cubic without coefficients; NaN whenever x[2] is perturbed, +inf whenever x[7] is
 * (perturbation relative to user_data, the centre point). */
double scalar_nan(int n, double *x, void *user_data)
{
    const double *ref = (const double *)user_data;
    if (x[2] != ref[2])
        return NAN;
    if (x[7] != ref[7])
        return INFINITY;
    return rosen_cubic(n, x, NULL);
}

/* Records which thread evaluates each coordinate's stencil points: user_data is a struct
 * thread_probe {const double *centre; unsigned long *ids;}; when coordinate i is perturbed,
 * ids[i] = pthread_self(). Each coordinate is handled by one thread, so no two threads write the
 * same slot. The value is rosen_cubic without coefficients. */
#include <pthread.h>

struct thread_probe {
    const double *centre;
    unsigned long *ids;
};

double thread_probe(int n, double *x, void *user_data)
{
    struct thread_probe *probe = (struct thread_probe *)user_data;
    struct timespec pause = {0, 1000000L};  /* 1 ms: no thread can take all the work before the others start */
    int i;
    for (i = 0; i < n; i++)
        if (x[i] != probe->centre[i])
            probe->ids[i] = (unsigned long)pthread_self();
    nanosleep(&pause, NULL);
    return rosen_cubic(n, x, NULL);
}

/* Broken callbacks that write into x: rosen_cubic / vec_cubic without coefficients, then
 * x[k] = 0.5 with k = (int)((double *)user_data)[0]. fdcore must refuse their results. */
double writes_x(int n, double *x, void *user_data)
{
    double s = rosen_cubic(n, x, NULL);
    x[(int)((const double *)user_data)[0]] = 0.5;
    return s;
}

int vec_writes_x(int n, double *x, int m, double *out, void *user_data)
{
    int status = vec_cubic(n, x, m, out, NULL);
    x[(int)((const double *)user_data)[0]] = 0.5;
    return status;
}

/* Unbalanced work: sum_i x_i^2, but an evaluation that perturbs a coordinate of the second half
 * (relative to the centre ((double *)user_data)[1 .. n]) first sleeps ((double *)user_data)[0]
 * seconds (below 1). A static split over two threads leaves all the slow work to the second. */
double unbalanced(int n, double *x, void *user_data)
{
    const double *data = (const double *)user_data;
    double s = 0.0;
    int i, slow = 0;
    for (i = 0; i < n; i++) {
        s += x[i] * x[i];
        if (i >= n / 2 && x[i] != data[1 + i])
            slow = 1;
    }
    if (slow) {
        struct timespec pause = {0, (long)(data[0] * 1e9)};
        nanosleep(&pause, NULL);
    }
    return s;
}
