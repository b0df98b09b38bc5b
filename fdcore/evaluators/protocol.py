"""The private work copy of x that evaluators perturb in place, and the evaluator for f."""

from fdcore.evaluators import python_callable as _pykernels
from fdcore.evaluators.callbacks import compiled_kernels
from fdcore.derivatives.validation import as_float_array, call_arguments, check_callable, read_only_view


class Work:
    """The private work copy of x, the read-only view f receives, f's extra arguments, and the
    evaluator (``kernels``) that runs stencils for this kind of f.

    ``kernels`` is the module fdcore.evaluators.python_callable for Python callables, a
    fdcore.evaluators.compiled.CompiledKernels for compiled callbacks (float64 only: x is computed in
    float64) and a fdcore.evaluators.batched.BatchKernels for vectorized f or workers (``batch``, a
    `BatchOptions`). ``w_complex`` / ``w_arg_complex`` are made on demand by the complex-step method.
    """

    __slots__ = ("w", "w_arg", "args", "kwargs", "kernels", "compiled", "w_complex", "w_arg_complex")

    def __init__(self, f, x, args, kwargs, num_threads=None, batch=None):
        compiled = compiled_kernels(f, num_threads)
        if compiled is None:
            check_callable(f)
        self.compiled = compiled is not None
        self.args, self.kwargs = call_arguments(args, kwargs)
        if batch is not None and batch.active:
            if self.compiled:
                raise TypeError("vectorized= and workers= are for Python callables; a compiled callback "
                                "is evaluated by the nogil kernels (see num_threads=)")
            self.kernels = batch.kernels(f, self.args, self.kwargs)
        else:
            self.kernels = compiled if self.compiled else _pykernels
        self.w = as_float_array(x)
        if self.compiled:
            self.w = self.w.astype("float64", copy=False)
        self.w_arg = read_only_view(self.w)
        if self.compiled and (self.args or self.kwargs):
            raise TypeError("args and kwargs cannot be passed to a compiled callback; use its user_data")
        self.w_complex = self.w_arg_complex = None

    def scalar_at_centre(self, f):
        return self.kernels.eval_scalar(f, self.w_arg, self.args, self.kwargs)

    def vector_at_centre(self, f):
        return self.kernels.eval_vector(f, self.w_arg, self.args, self.kwargs)


class BatchOptions:
    """vectorized= / workers= / max_batch_bytes= / progress= of an entry point."""

    __slots__ = ("vectorized", "workers", "max_batch_bytes", "progress")

    def __init__(self, vectorized=False, workers=None, max_batch_bytes=None, progress=False):
        if vectorized and workers is not None:
            raise ValueError("vectorized=True and workers= do not combine: a vectorized f already "
                             "evaluates whole batches")
        self.vectorized, self.workers = bool(vectorized), workers
        self.max_batch_bytes, self.progress = max_batch_bytes, progress

    @property
    def active(self):
        return self.vectorized or self.workers is not None

    def kernels(self, f, args, kwargs):
        from fdcore.evaluators.batched import DEFAULT_MAX_BATCH_BYTES, BatchKernels
        from fdcore.evaluators.workers import batch_caller
        from fdcore.evaluators.progress import progress_reporter

        if self.vectorized:
            kw = kwargs or {}
            call = lambda points: f(points, *args, **kw)  # noqa: E731
        else:
            call = batch_caller(f, args, kwargs, self.workers)
        budget = DEFAULT_MAX_BATCH_BYTES if self.max_batch_bytes is None else self.max_batch_bytes
        return BatchKernels(call, budget, progress_reporter(self.progress))
