"""The long leak run: 10^5 calls of each entry point (and error path), memory every 10^4 calls.

Run from the repository root: python benchmarks/leak_run.py [CALLS]. The calls are those of
tests/test_leaks.py (which runs each 500 times in CI). Two columns per entry point, as growth
since the first 100 (warm-up) calls: 'traced' (tracemalloc: Python and NumPy allocations) and
'rss' (the resident set from /proc/self/statm, which also sees the C kernels' malloc'ed work
copies). Flat columns mean no leak; rss moves in whole pages and with the allocator's caching,
so a few hundred KiB of early growth that then stays flat is not a leak.
"""

import gc
import os
import sys
import tracemalloc
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from test_leaks import CALLS  # noqa: E402  (one table for the CI test and this run)

PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


def main(calls=100_000):
    warnings.simplefilter("ignore")
    print(f"{calls} calls per entry point; growth in KiB after each tenth (traced / rss)")
    for name, call in CALLS.items():
        for _ in range(100):
            call()
        gc.collect()
        tracemalloc.start()
        traced0, rss0 = tracemalloc.get_traced_memory()[0], _rss()
        print(f"{name:32}", end="")
        for k in range(calls):
            call()
            if (k + 1) % (calls // 10) == 0:
                gc.collect()
                traced = (tracemalloc.get_traced_memory()[0] - traced0) / 1024
                print(f" {traced:+.0f}/{(_rss() - rss0) / 1024:+.0f}", end="", flush=True)
        tracemalloc.stop()
        print()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
