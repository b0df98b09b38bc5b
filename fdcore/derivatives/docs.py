"""The documentation of the parameters the entry points share."""

COMMON_PARAMETERS = """
    order : int, optional
        Accuracy order of the stencil: 2, 4, 6 or 8 for 'central' (default 2: the two-point
        difference), 1 to 8 one-sided (default 1: the two-point difference). An order-p central
        stencil costs p evaluations per coordinate, one-sided p (plus f(x) once).
    step : float, array_like of shape (n,) or 'adaptive', optional
        Absolute step per coordinate (with Richardson levels: the coarsest level's step).
        Default ``EPS**(1/(q + 1)) * max(1, |x_i|)`` for final accuracy order q, i.e.
        ``EPS**(1/3)`` for the central and ``EPS**(1/2)`` for the one-sided two-point difference;
        EPS is the machine epsilon of x's dtype. 'adaptive': chosen per coordinate from estimates
        of f's higher derivative and noise (see `noise`).
    richardson : bool or int, optional
        Richardson extrapolation over the steps h, h/r, h/r^2, ...: an int is the number of
        levels; ``True`` is the accurate mode, 4 levels of the central two-point difference
        (8 evaluations per coordinate, typically 1e-13 relative error). Each component gets the
        tableau entry with the smallest estimated error.
    step_ratio : float, optional
        r, the ratio of consecutive Richardson steps (default 2: stencil points are shared
        between levels where the stencil allows).
    noise : float, optional
        Absolute error of one evaluation of f (e.g. of a simulation); used by the error estimate
        and by ``step='adaptive'``. Default: f is accurate to machine precision.
    args, kwargs
        Extra arguments passed to f.
    full_output : bool, optional
        Return an `FDResult` (value, error estimate and final step per component, nfev, method,
        order) instead of the array.
    num_threads : int, optional
        For compiled objectives (see `Callback`): threads of the nogil kernels. Default: OpenMP's
        (``OMP_NUM_THREADS`` or all cores); small problems run serially. Results are identical
        for every thread count. Ignored for Python callables.
    vectorized : bool, optional
        f takes an (n, k) array whose columns are k points and returns (k,) (or (m, k) for
        vector f). fdcore assembles the stencil points in batches of at most
        ``max_batch_bytes`` (default 64 MiB) and calls f once per batch.
    workers : int, Executor, dask.distributed.Client or map-like callable, optional
        Evaluate the stencil points in parallel: an int is a process pool that fdcore creates and
        reuses (f must be picklable), or pass any concurrent.futures.Executor, a dask Client, or
        ``map(function, iterable)``. Results are identical to the serial ones; an exception of f
        reaches the caller with a note naming the point.
    max_batch_bytes : int, optional
        Memory budget of one batch of points (vectorized / workers).
    progress : bool, optional
        Show a progress bar (tqdm if installed) while batches are evaluated.
    sparsity : (m, n) bool array or scipy.sparse matrix, optional
        (jacobian, hessian) The nonzero pattern: a Jacobian is computed by column colouring (one
        two-point difference per group of columns that share no row; a tridiagonal pattern costs
        6 evaluations whatever n is) and returned as a scipy.sparse csr array; a Hessian of f
        evaluates the mixed stencil on the pattern's pairs only (or, with ``grad=``, colours the
        gradient's Jacobian).
    bounds : (lb, ub), optional
        Scalars or arrays of shape (n,), None for no bound: stencils are made one-sided (or their
        step shrunk) where they would leave [lb, ub], so f is never evaluated outside the bounds.
        A Hessian keeps its central stencil when every coordinate has room for it and otherwise
        uses the one-sided stencil, each coordinate stepping towards its roomier side."""


def document(function):
    function.__doc__ = function.__doc__.replace("    {common}", COMMON_PARAMETERS.strip("\n"))
    return function
