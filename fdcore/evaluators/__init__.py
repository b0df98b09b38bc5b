"""Evaluators: how f is called. An evaluator turns a plan (offsets per coordinate or pair) into
values of f, or, where a fixed weighted sum can be accumulated on the fly, into finished numbers.

protocol         the Evaluator protocol, its capability attributes, and `make_evaluator`
python_callable  Python callables: in-place perturbation of a private work copy, GIL held
compiled         compiled callbacks (C, Cython, numba cfunc, ctypes, cffi): nogil, OpenMP
callbacks        recognising compiled callbacks; `Callback`
batched          vectorized f and workers: stencil points as the columns of a matrix
workers          process pools, executors, dask clients and map-like callables
returns          validation of the values f returns (the one `FunctionValueError`)
stencil_terms.pxd  the stencil formulas, written once for every kernel
signals.pxd, threads, omp_shim.h, monotonic.h   Ctrl-C in nogil kernels, the OpenMP shim
config           show_config: build and threads

Rule (tests/test_layers.py): imports the standard library, NumPy and fdcore.numerics at most.
"""
