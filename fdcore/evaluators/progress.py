"""progress=True: a progress bar (tqdm if installed, else a line on stderr) for long runs."""

import sys


def progress_reporter(progress):
    """None, or a callable(done, total) that draws the progress of the evaluations."""
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    state = {"bar": None}

    def report(done, total):
        if tqdm is not None:
            if state["bar"] is None or state["bar"].total != total:
                state["bar"] = tqdm(total=total, unit="pt", desc="fdcore")
            state["bar"].update(done - state["bar"].n)
            if done >= total:
                state["bar"].close()
                state["bar"] = None
        else:
            sys.stderr.write(f"\rfdcore: {done}/{total} points evaluated")
            if done >= total:
                sys.stderr.write("\n")
            sys.stderr.flush()

    return report
