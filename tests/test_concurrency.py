"""Concurrent calls: 8 Python threads calling fdcore at once, with different objectives, evaluator
kinds and thread counts, all get the single-threaded answers (no shared mutable state)."""

import threading

import numpy as np

import fdcore


def test_eight_threads_at_once_get_correct_results():
    jobs = []
    for k in range(8):
        p = fdcore.get_problem(["rosenbrock", "extended_powell", "dense_quadratic"][k % 3], 48)
        f = p.compiled if k % 2 else p.f
        jobs.append((p, f, 1 + k % 3))
    expected = [fdcore.gradient(f, p.x0, num_threads=1) for p, f, _ in jobs]
    results, errors = [None] * len(jobs), []
    barrier = threading.Barrier(len(jobs))

    def run(k):
        p, f, threads = jobs[k]
        try:
            barrier.wait()
            for _ in range(5):
                g = fdcore.gradient(f, p.x0, num_threads=threads)
                H = fdcore.hessian(f, p.x0, num_threads=threads)
            results[k] = (g, H)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=run, args=(k,)) for k in range(len(jobs))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert not errors
    for (p, f, _), want, (g, H) in zip(jobs, expected, results):
        np.testing.assert_array_equal(g, want)
        np.testing.assert_array_equal(H, fdcore.hessian(f, p.x0, num_threads=1))
