"""progress=True: a progress bar (tqdm if installed, else a line on stderr) for long runs.

Batched evaluators know how many points a batch run has (``report(done, total)``); the serial
evaluators call f one point at a time from their kernels, so `counting` wraps f and reports the
points evaluated so far (``total`` None: a counting bar, closed when the evaluator is dropped).
"""

import sys
import time
import weakref

_DRAW_SECONDS = 0.1  # the serial count is redrawn at most this often: a draw costs ~10 us


def progress_reporter(progress):
    """None, or a callable(done, total) that draws the progress of the evaluations (total None:
    unknown; its ``close()`` ends the bar or line)."""
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    return _Reporter(tqdm)


class _Reporter:
    __slots__ = ("tqdm", "bar", "line_open")

    def __init__(self, tqdm):
        self.tqdm, self.bar, self.line_open = tqdm, None, False

    def __call__(self, done, total):
        if self.tqdm is not None:
            if self.bar is None or self.bar.total != total:
                self.bar = self.tqdm(total=total, unit="pt", desc="fdcore")
            self.bar.update(done - self.bar.n)
            if total is not None and done >= total:
                self.close()
        else:
            sys.stderr.write(f"\rfdcore: {done}{'' if total is None else f'/{total}'} points evaluated")
            self.line_open = True
            if total is not None and done >= total:
                self.close()
            sys.stderr.flush()

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        elif self.line_open:
            sys.stderr.write("\n")
            sys.stderr.flush()
        self.line_open = False


class _Counting:
    """f, counting its calls (in ``calls[0]``, shared with the finalizer) into a progress reporter."""

    __slots__ = ("f", "report", "calls", "next_draw", "__weakref__")

    def __init__(self, f, report):
        self.f, self.report, self.calls, self.next_draw = f, report, [0], 0.0

    def __call__(self, *args, **kwargs):
        value = self.f(*args, **kwargs)
        self.calls[0] += 1
        now = time.monotonic()
        if now >= self.next_draw:
            self.next_draw = now + _DRAW_SECONDS
            self.report(self.calls[0], None)
        return value


def _finish(calls, report):
    if calls[0]:
        report(calls[0], None)
    report.close()


def counting(f, progress):
    """f wrapped to draw the number of its calls (``progress``: the entry point's progress=); f
    itself when progress is off. The count's last value is drawn and the bar closed when the
    wrapper is dropped (at the end of the call that made it)."""
    report = progress_reporter(progress)
    if report is None:
        return f
    wrapped = _Counting(f, report)
    weakref.finalize(wrapped, _finish, wrapped.calls, report)
    return wrapped
