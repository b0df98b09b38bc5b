"""numdifftools-compatible interface, backed by fdcore's accurate mode.

``import fdcore.compat.numdifftools as nd`` then ``nd.Gradient(f)(x)`` etc., with numdifftools'
call signatures, return shapes and ``full_output`` results (an `EstimateResult` with estimate,
error_estimate, final_step, best_index). Every estimate uses fdcore's Richardson accurate mode
(8 evaluations per coordinate instead of numdifftools' ~30). Supported methods: 'central',
'forward', 'backward', 'complex'; numdifftools' other methods raise ValueError.

Examples
--------
>>> import numpy as np
>>> import fdcore.compat.numdifftools as nd
>>> nd.Gradient(lambda x: np.sum(x ** 3))([1.0, 2.0]).round(10)
array([ 3., 12.])
>>> float(nd.directionaldiff(lambda x: np.sum(x ** 3), [1.0, 2.0], [3.0, 4.0]).round(10))
11.4
"""

from typing import NamedTuple

import numpy as np

from fdcore import _api
from fdcore._axis import axis_derivative
from fdcore._options import parse
from fdcore._steps import resolve_step
from fdcore._work import Work

__all__ = ["Derivative", "EstimateResult", "Gradient", "Hessdiag", "Hessian", "Jacobian", "directionaldiff"]
_METHODS = ("central", "forward", "backward", "complex")


class EstimateResult(NamedTuple):
    estimate: object
    error_estimate: object
    final_step: object
    best_index: object


class _Estimator:
    """Common constructor: fun, step (absolute base step or None), method, order, n, full_output."""

    def __init__(self, fun=None, step=None, method="central", order=2, n=1, full_output=False, **options):
        if method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))} in fdcore's "
                             f"numdifftools interface; got {method!r}")
        if options:
            raise TypeError(f"unsupported options: {', '.join(sorted(options))}")
        self.fun, self.step, self.method, self.order, self.n, self.full_output = fun, step, method, order, n, full_output

    def _options(self):
        if self.method == "complex":
            return dict(method="complex", step=self.step)
        order = self.order if self.method == "central" else max(1, self.order - 1)
        return dict(method=self.method, order=order, richardson=True, step=self.step)

    def _finish(self, r):
        if self.full_output:
            return EstimateResult(r.value, r.error, r.step, np.zeros(np.shape(r.value), dtype=int))
        return r.value

    def _bind(self, args, kwds):
        if not args and not kwds:
            return self.fun
        return lambda x: self.fun(x, *args, **kwds)


class Derivative(_Estimator):
    """n-th derivative of a scalar function of one variable, elementwise over x (vectorized f)."""

    def __call__(self, x, *args, **kwds):
        options = self._options()
        if self.method == "complex" and self.n != 1:
            raise ValueError("method='complex' supports n=1 only here")
        r = _api.derivative(self._bind(args, kwds), x, n=self.n, full_output=True, **options)
        return self._finish(r)


class Gradient(_Estimator):
    """Gradient of a scalar function; a scalar x gives the derivative."""

    def __call__(self, x, *args, **kwds):
        f = self._bind(args, kwds)
        if np.ndim(x) == 0:
            return Derivative(self.fun, self.step, self.method, self.order, 1, self.full_output)(x, *args, **kwds)
        return self._finish(_api.gradient(f, np.asarray(x, dtype=float).ravel(), full_output=True, **self._options()))


class Jacobian(_Estimator):
    """Jacobian (m, n); a scalar function gives shape (1, n), as numdifftools does."""

    def __call__(self, x, *args, **kwds):
        f = self._bind(args, kwds)
        x = np.atleast_1d(np.asarray(x, dtype=float)).ravel()
        vector = lambda z: np.atleast_1d(np.asarray(f(z), dtype=float)).ravel()  # noqa: E731
        return self._finish(_api.jacobian(vector, x, full_output=True, **self._options()))


class Hessian(_Estimator):
    """Hessian (n, n), exactly symmetric."""

    def __init__(self, f=None, step=None, method="central", order=None, full_output=False, **options):
        super().__init__(f, step, method, 2 if order is None else order, 2, full_output, **options)

    def __call__(self, x, *args, **kwds):
        options = self._options()
        if self.method != "complex":
            options["order"] = 2 if self.method == "central" else 1
        return self._finish(_api.hessian(self._bind(args, kwds), np.atleast_1d(np.asarray(x, dtype=float)).ravel(),
                                         full_output=True, **options))


class Hessdiag(_Estimator):
    """Diagonal of the Hessian (n,): 8 evaluations per coordinate (4 Richardson levels of the
    3-point second difference), not the n^2 of a full Hessian."""

    def __init__(self, f=None, step=None, method="central", order=2, full_output=False, **options):
        super().__init__(f, step, method, order, 2, full_output, **options)

    def __call__(self, x, *args, **kwds):
        if self.method == "complex":
            raise ValueError("Hessdiag supports the real methods only here")
        f = self._bind(args, kwds)
        work = Work(f, np.atleast_1d(np.asarray(x, dtype=float)).ravel(), (), None)
        opts = parse(self.method, 2 if self.method == "central" else 1, True, 2.0, None)
        h = resolve_step(self.step, work.w, 2, opts.method, opts.order, opts.levels, opts.ratio)
        r = axis_derivative(f, work, 2, opts.order, opts.method, opts.levels, opts.ratio, h, None, False)
        if self.full_output:
            return EstimateResult(r.value, r.error, r.step, np.zeros(r.value.shape, dtype=int))
        return r.value


def directionaldiff(f, x0, vec, **options):
    """Derivative of f at x0 along the unit vector vec / |vec| (accurate mode)."""
    x0 = np.asarray(x0, dtype=float)
    u = np.asarray(vec, dtype=float)
    norm = np.linalg.norm(u)
    if norm == 0:
        raise ValueError("vec must be nonzero")
    u = u / norm
    full_output = options.pop("full_output", False)
    estimator = Derivative(lambda t: f(x0 + t * u), full_output=full_output, **options)
    return estimator(0.0)
