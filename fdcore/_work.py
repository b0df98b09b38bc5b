"""The private work copy of x that evaluators perturb in place, and the evaluator for f."""

from fdcore import _pykernels
from fdcore._callbacks import compiled_kernels
from fdcore._validation import as_float_array, call_arguments, check_callable, read_only_view


class Work:
    """The private work copy of x, the read-only view f receives, f's extra arguments, and the
    evaluator (``kernels``) that runs stencils for this kind of f.

    ``kernels`` is the module fdcore._pykernels for Python callables and a
    fdcore._ckernels.CompiledKernels for compiled callbacks (float64 only: x is computed in
    float64). ``w_complex`` / ``w_arg_complex`` are made on demand by the complex-step method.
    """

    __slots__ = ("w", "w_arg", "args", "kwargs", "kernels", "compiled", "w_complex", "w_arg_complex")

    def __init__(self, f, x, args, kwargs, num_threads=None):
        compiled = compiled_kernels(f, num_threads)
        if compiled is None:
            check_callable(f)
        self.compiled = compiled is not None
        self.kernels = compiled if self.compiled else _pykernels
        self.w = as_float_array(x)
        if self.compiled:
            self.w = self.w.astype("float64", copy=False)
        self.w_arg = read_only_view(self.w)
        self.args, self.kwargs = call_arguments(args, kwargs)
        if self.compiled and (self.args or self.kwargs):
            raise TypeError("args and kwargs cannot be passed to a compiled callback; use its user_data")
        self.w_complex = self.w_arg_complex = None

    def scalar_at_centre(self, f):
        return self.kernels.eval_scalar(f, self.w_arg, self.args, self.kwargs)

    def vector_at_centre(self, f):
        return self.kernels.eval_vector(f, self.w_arg, self.args, self.kwargs)
