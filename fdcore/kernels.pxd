# fdcore's public C API: the compiled-callback types and the nogil kernels, for other Cython code.
#
#   from fdcore.kernels cimport scalar_fn, vector_fn, central_gradient
#
# Declared in fdcore/evaluators/compiled.pxd (private: its layout may change); this file is the
# stable name. Return codes, threading and Ctrl-C behaviour are described there.

from fdcore.evaluators.compiled cimport (
    axis_values_scalar,
    axis_values_vec,
    central_gradient,
    central_hessian_c,
    scalar_fn,
    vector_fn,
)
