"""An objective bound to a point, for the applications (checking, compat): f evaluated at points
near x for any kind of objective (Python callable, compiled callback, vectorized f, workers), with
the same argument checks and private work copy of x as the entry points.

This is the applications' door to the evaluators; they never import fdcore.evaluators.
"""

from fdcore.evaluators.batched import DEFAULT_MAX_BATCH_BYTES
from fdcore.evaluators.protocol import BatchOptions, Evaluator, make_evaluator
from fdcore.evaluators.returns import FunctionValueError
from fdcore.evaluators.workers import own_pool_map


def bind_objective(f, x, args=(), kwargs=None, num_threads=None, vectorized=False, workers=None,
                   progress=False) -> Evaluator:
    """The evaluator of f at a private copy of x (see fdcore.evaluators.protocol.Evaluator)."""
    return make_evaluator(f, x, args, kwargs, num_threads, BatchOptions(vectorized, workers, progress=progress))


__all__ = ["DEFAULT_MAX_BATCH_BYTES", "Evaluator", "FunctionValueError", "bind_objective", "own_pool_map"]
