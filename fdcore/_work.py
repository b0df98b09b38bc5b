"""The private work copy of x that evaluators perturb in place."""

from fdcore import _pykernels
from fdcore._validation import as_float_array, call_arguments, check_callable, read_only_view


class Work:
    """The private work copy of x, the read-only view f receives, and f's extra arguments.

    ``w_complex`` / ``w_arg_complex`` are made on demand by the complex-step method.
    """

    __slots__ = ("w", "w_arg", "args", "kwargs", "w_complex", "w_arg_complex")

    def __init__(self, f, x, args, kwargs):
        check_callable(f)
        self.w = as_float_array(x)
        self.w_arg = read_only_view(self.w)
        self.args, self.kwargs = call_arguments(args, kwargs)
        self.w_complex = self.w_arg_complex = None

    def scalar_at_centre(self, f):
        return _pykernels.eval_scalar(f, self.w_arg, self.args, self.kwargs)

    def vector_at_centre(self, f):
        return _pykernels.eval_vector(f, self.w_arg, self.args, self.kwargs)
