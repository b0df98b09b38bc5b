"""numdifftools-compatible interface, backed by fdcore's accurate mode.

``import fdcore.compat.numdifftools as nd`` then ``nd.Gradient(f)(x)`` etc., with numdifftools'
call signatures, return shapes and ``full_output`` results (an `EstimateResult` with estimate,
error_estimate, final_step, best_index). Every estimate uses fdcore's Richardson extrapolation:
central Gradient, Jacobian and Hessian its accurate mode (8 evaluations per coordinate instead of
numdifftools' ~30); Derivative and the one-sided methods numdifftools' default steps
(MaxStepGenerator: 15 levels, steps growing with log |x|). Supported methods: 'central',
'forward', 'backward', 'complex' and 'multicomplex' (computed by the complex step, whose
first-derivative formula is the multicomplex step's, and for Derivative of order n >= 2 by
fdcore's contour rule); numdifftools' other methods raise ValueError ('central2' is accepted by
Hessian and Hessdiag, as 'central'). The real methods take complex-valued f (the derivatives of
its real and imaginary parts) and, in Gradient, Jacobian and Hessian, complex x (real steps
along the real axis: the complex derivatives of an analytic f). numdifftools.fornberg's
fd_weights, fd_weights_all and fd_derivative are here too.

Examples
--------
>>> import numpy as np
>>> import fdcore.compat.numdifftools as nd
>>> nd.Gradient(lambda x: np.sum(x ** 3))([1.0, 2.0]).round(10)
array([ 3., 12.])
>>> float(nd.directionaldiff(lambda x: np.sum(x ** 3), [1.0, 2.0], [3.0, 4.0]).round(10))
11.4
"""

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

import fdcore as _api
from fdcore.compat.numdifftools_steps import (
    EPS,
    MaxStepGenerator,
    MinStepGenerator,
    default_scale,
)
from fdcore.derivatives.docs import document
from fdcore.derivatives.validation import (
    as_float_array,
    flag_nonfinite,
    read_only_view,
    refuse_compiled,
)
from fdcore.numerics.contour import contour_nodes
from fdcore.numerics.options import MAX_DERIVATIVE_ORDER, MAX_LEVELS, real_number
from fdcore.numerics.richardson import richardson_weights
from fdcore.numerics.stencils import float_weights, stencil_weights

__all__ = ["EPS", "Derivative", "EstimateResult", "Gradient", "Hessdiag", "Hessian", "Jacobian", "MaxStepGenerator",
           "MinStepGenerator", "Richardson", "default_scale", "directionaldiff", "fd_derivative", "fd_weights",
           "fd_weights_all"]
_METHODS = ("central", "forward", "backward", "complex", "multicomplex")
# numdifftools' 'central2' (its four-point central Hessian stencil): Hessian and Hessdiag only,
# computed by the central method (fdcore's accurate central Hessian / diagonal).
_HESSIAN_METHODS = _METHODS + ("central2",)
# The complex-step methods: f must be real-valued for real x (and analytic); a first derivative
# by the multicomplex (bicomplex) step is the complex step's, Im f(x + i h) / h.
_COMPLEX_METHODS = ("complex", "multicomplex")
# numdifftools' step options: keywords of the default step generator, MinStepGenerator.
_STEP_OPTIONS = ("base_step", "step_ratio", "num_steps", "step_nom", "offset", "num_extrap", "use_exact_steps",
                 "check_num_steps", "scale")


def _function_entry(name):
    return (f"{name} : callable\n    The function, called as ``{name}(x, *args, **kwds)`` with the arguments the "
            "estimator is\n    called with (what it must return: see the summary).")


# The constructor parameters the estimators share, composed into each docstring by @document.
_PARAMETERS = {
    "fun": _function_entry("fun"),
    "step": """step : float, array_like, MinStepGenerator or MaxStepGenerator, optional
    Absolute base step (the coarsest Richardson level's step); default None: fdcore's
    accurate-mode steps for 'central' and the complex step, numdifftools' MaxStepGenerator()
    for the one-sided methods and for Derivative. A step generator's steps become the
    Richardson levels (its largest step, ratio and length, at most 15).""",
    "method": """method : {'central', 'forward', 'backward', 'complex', 'multicomplex'}, optional
    Difference scheme ('multicomplex': computed as 'complex'); the complex-step methods
    refuse complex x and a complex-valued f (after one evaluation of f); numdifftools' other
    methods raise ValueError.""",
    "order": """order : int, optional
    Accuracy order of the basic stencil before Richardson extrapolation (default 2; even
    for 'complex', which ignores it). 'central' uses 2 floor(order / 2) (at least 2), as
    numdifftools' extrapolation assumes; fdcore's stencils go to order 8.""",
    "n": """n : int, optional
    Accepted for numdifftools compatibility and ignored: the first derivative is computed.""",
    "full_output": """full_output : bool, optional
    Return an `EstimateResult` instead of the estimate alone.""",
    "**options": """**options
    numdifftools' step options (base_step, step_ratio, num_steps, step_nom, offset, num_extrap,
    use_exact_steps, check_num_steps, scale): the default step becomes
    ``MinStepGenerator(**options)``, whose steps are the Richardson levels. Any other keyword
    raises TypeError.""",
}

# Hessian and Hessdiag: f, and method and order as they mean there.
_HESSIAN_PARAMETERS = {
    **_PARAMETERS,
    "f": _function_entry("f"),
    "method": """method : {'central', 'central2', 'forward', 'backward', 'complex', 'multicomplex'}, optional
    The accurate mode of `fdcore.hessian` for the real methods ('central2', numdifftools'
    four-point central stencil, is computed as 'central'), its complex-step Hessian for
    'complex' and 'multicomplex' (for Hessdiag: that Hessian's diagonal); numdifftools' other
    methods raise ValueError.""",
    "order": """order : int, optional
    Checked as numdifftools' order (positive, even for 'central' and 'complex'; Hessian takes
    None for 2) but without effect: the basic stencil is fdcore's order 2 (central) or 1.""",
}


class EstimateResult(NamedTuple):
    """The ``full_output`` result of the estimators, with numdifftools' field names.

    Parameters
    ----------
    estimate, error_estimate, final_step, best_index
        The fields, in this order (see Attributes).

    Attributes
    ----------
    estimate : ndarray or NumPy scalar
        The derivative estimate (what the call returns without ``full_output``).
    error_estimate : ndarray or NumPy scalar
        fdcore's estimate of the absolute error, per component of ``estimate``.
    final_step : ndarray
        The step behind each component of ``estimate`` (with Richardson extrapolation: that of
        the tableau entry chosen), of the estimate's shape; for a Hessian entry (i, j) the
        geometric mean sqrt(h_i h_j) of its two coordinates' steps.
    best_index : ndarray of int
        Always zeros, one per component of ``estimate`` (numdifftools' flat index into its
        sequence of steps and components): fdcore has no numdifftools-style step sequence to
        index into, and reports the step itself in ``final_step``.

    The shapes are numdifftools': ``error_estimate`` and ``final_step`` of the estimate's shape
    (for `Gradient`, of shape (1, n), with n = 1 for a scalar x), ``best_index`` of shape
    (estimate.size,).
    """

    estimate: Any
    error_estimate: Any
    final_step: NDArray[np.float64]
    best_index: NDArray[np.intp]


class _Estimator:
    """Common constructor: fun, step (absolute base step or None), method, order, n, full_output."""

    _methods = _METHODS
    _function_name = "fun"  # numdifftools' name of the function argument
    _pairwise_steps = False  # True where the estimate's entries (i, j) have the steps of x_i and x_j

    def __init__(self, fun: Callable[..., Any] | None = None, step: Any = None, method: str = "central",
                 order: int = 2, n: int = 1, full_output: bool = False, **options: Any) -> None:
        refuse_compiled(fun, f"numdifftools.{type(self).__name__}", self._function_name)
        if method not in self._methods:
            raise ValueError(f"method must be one of {', '.join(map(repr, self._methods))} in fdcore's "
                             f"numdifftools interface; got {method!r}")
        method = "central" if method == "central2" else method
        unknown = set(options) - set(_STEP_OPTIONS)
        if unknown:
            raise TypeError(f"unsupported options: {', '.join(sorted(unknown))}")
        if options:
            if step is not None:
                raise TypeError(f"the step options ({', '.join(sorted(options))}) configure the default step "
                                "generator; with step= given, pass them to that generator")
            step = MinStepGenerator(**options)  # numdifftools' default: MinStepGenerator(**step_options)
        if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
            raise ValueError(f"order must be a positive int, got {order!r}")
        if method == "complex" and order % 2:
            raise ValueError(f"order must be even for method={method!r}, got {order}")
        self.fun, self.step, self.method, self.order, self.n, self.full_output = fun, step, method, order, n, full_output

    def _fdcore_order(self):
        """fdcore's stencil order for numdifftools' ``order``: the power of the leading error
        term numdifftools' own extrapolation assumes, 2 floor(order / 2) (at least 2) for
        'central' and ``order`` for the one-sided methods (at most fdcore's 8)."""
        if self.method == "central":
            return min(2 * max(1, self.order // 2), 8)
        return min(self.order, 8)

    def _options(self, x, step=None, complex_levels=False):
        """fdcore's options for the estimator at the point x with ``step`` (default self.step).
        A step generator sets the Richardson levels: its largest step is the coarsest level's,
        its ratio the step ratio, its length the number of levels (numdifftools evaluates the
        same steps). The complex-step methods take fdcore's tiny complex step, unless
        ``complex_levels`` (the contour rule of derivatives of order n >= 2, the complex-step
        Hessian's outer differences: over the generator's levels)."""
        step = self.step if step is None else step
        generator = isinstance(step, MinStepGenerator)
        complex_step = self.method in _COMPLEX_METHODS
        if complex_step and not (complex_levels and generator):
            return dict(method="complex", step=None if generator else step)
        method = "complex" if complex_step else self.method
        order = None if complex_step else self._fdcore_order()
        if generator:
            # at most fdcore's MAX_LEVELS of them, the largest (MaxStepGenerator's default 15
            # fit)
            steps = step.steps(np.asarray(x, dtype=np.float64), self.method, self.n, self.order)[:MAX_LEVELS]
            if not steps:
                raise ValueError("the step generator gave no nonzero step")
            ratio = float(np.max(steps[0] / steps[1])) if len(steps) > 1 else 2.0
            return dict(method=method, order=order, richardson=len(steps), step_ratio=ratio,
                        step=np.broadcast_to(np.abs(steps[0]), np.shape(x)).copy())
        return dict(method=method, order=order, richardson=True, step=step)

    def _default_step(self):
        """The step: the user's; else for the one-sided methods numdifftools' default,
        MaxStepGenerator() (15 levels from 2 max(log(e - 1 + |x|), 1) down): their round-off,
        EPS / h^d, wants large steps, and over fdcore's accurate mode (4 levels of small
        steps) it is 30-1000x more accurate on one-sided Hessians and up to 2000x on the
        numdifftools suite's Jacobian of a squared residual at its zero, for about 3x the
        evaluations; for 'central' (and the complex step) fdcore's accurate mode (None)."""
        if self.step is None and self.method in ("forward", "backward"):
            return MaxStepGenerator()
        return self.step

    def _finish(self, r):
        """The estimate, or with full_output its `EstimateResult` in numdifftools' shapes."""
        if not self.full_output:
            return r.value
        size = np.size(r.value)
        step = np.asarray(r.step, dtype=np.float64)
        if self._pairwise_steps:
            step = np.sqrt(step[:, None] * step[None, :])  # a Hessian entry's two coordinates' steps
        step = np.broadcast_to(step, np.shape(r.value)).copy()
        return EstimateResult(r.value, r.error, step, np.zeros(size, dtype=np.intp))

    def _bind(self, args, kwds):
        if not args and not kwds:
            return self.fun
        return lambda x: self.fun(x, *args, **kwds)


def _point(x):
    """x checked (finite reals; the error names x) and flattened to 1-D, as numdifftools does."""
    return as_float_array(x, ndim=None).ravel()


def _complex_point(x):
    """A complex x as a finite complex128 copy (errors name x)."""
    try:
        z = np.array(x, dtype=np.complex128)
    except (TypeError, ValueError):
        raise TypeError(f"x must be an array of numbers, got {x!r:.60}") from None
    if z.size == 0 or not np.all(np.isfinite(z)):
        raise ValueError("x must be non-empty and finite")
    return z


class _Shifted:
    """t -> f(x + t) for real t: at a complex x the real methods differentiate along the real
    axis, which for an analytic f gives its complex derivatives (numdifftools' rule)."""

    def __init__(self, f, x):
        self.f, self.x = f, x

    def __call__(self, t):
        return self.f(read_only_view(self.x + t))


class _Part:
    """The real or imaginary part (``part`` np.real or np.imag) of a scalar f."""

    def __init__(self, f, part):
        self.f, self.part = f, part

    def __call__(self, t):
        return float(self.part(np.asarray(self.f(t)).reshape(())))


def _shifted_options(estimator, x, step=None):
    """fdcore's options for the real variables t of `_Shifted` at a complex x (t = 0): the
    steps (``step``, default the estimator's) of x's magnitudes, with the default steps on the
    scales max(1, |x|)."""
    options = estimator._options(np.abs(x), step)
    if options.get("step") is None:
        options["typical_x"] = np.maximum(1.0, np.abs(x))
    return options


def _vector_value(value, kinds="biuf"):
    """f's value for Jacobian, raveled (a scalar is one output): reals unless ``kinds`` admits
    complex numbers (f at the complex step's points)."""
    if value is None or isinstance(value, (str, bytes)):
        raise TypeError(f"f must return a number or an array of them, got {type(value).__name__}")
    arr = np.asarray(value)
    if arr.dtype.kind not in kinds:
        raise TypeError(f"f must return real numbers, got dtype {arr.dtype}")
    return arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64).reshape(-1)


class _RealAndImaginary:
    """A complex-valued f as the real vector [Re f, Im f], for the real stencils."""

    def __init__(self, f):
        self.f = f

    def __call__(self, z):
        value = _vector_value(self.f(z), "biufc")
        return np.concatenate([value.real, value.imag])


class _Rows:
    """f of x + scale t for t of shape (n,): row j of x (x of shape (n, ...)) moves as a whole,
    by scale_j t_j. numdifftools' Jacobian of an f vectorized over x's trailing axes perturbs
    rows so: the derivatives along each column come from the same n perturbations."""

    def __init__(self, f, x, scale):
        self.f, self.x = f, x
        self.scale = scale.reshape((-1,) + (1,) * (x.ndim - 1))

    def __call__(self, t):
        return self.f(read_only_view(self.x + self.scale * np.asarray(t).reshape(self.scale.shape)))


def _row_variables(x, options):
    """For x of shape (n, ...): the scale of each row's perturbation and the options for the
    row variables t (at 0): a row moves by scale_j times t's step. The scale is the row's largest
    per-element scale: its largest step where steps are given per element (a step generator),
    else max(1, |x|) (and t takes fdcore's default step at scale 1); a scalar step is t's."""
    step = options.get("step")
    if step is not None and np.ndim(step) > 0:
        return np.abs(np.asarray(step)).reshape(len(x), -1).max(axis=1), dict(options, step=1.0)
    if step is not None:
        return np.ones(len(x)), options
    return np.maximum(1.0, np.abs(x).reshape(len(x), -1).max(axis=1)), options


def _first_derivatives(estimator, f, x, entry):
    """``entry`` (fdcore.gradient or fdcore.jacobian, in the accurate mode) of f at x under
    numdifftools' rules: f is evaluated once at x first; the complex-step methods refuse complex x
    and a complex-valued f (before any perturbation), the real methods differentiate a
    complex-valued f's real and imaginary parts. Gradient flattens x. Jacobian keeps x's shape:
    for f(x) of shape V the Jacobian has shape V[:1] + (n,) + V[1:] ((1, n) for a scalar f),
    n = len(x), and for x of shape (n, ...) the rows of x are its variables (`_Rows`).
    Returns an FDResult-like (value, error, step)."""
    if np.iscomplexobj(np.asarray(x)) and estimator.method in _COMPLEX_METHODS:
        raise ValueError("a complex variable was given: the complex-step methods differentiate at real x only")
    if np.iscomplexobj(np.asarray(x)):  # the real methods along the real axis (`_Shifted`)
        z = _complex_point(x)
        z = z.ravel() if entry is _api.gradient else np.atleast_1d(z)
        value = np.asarray(f(read_only_view(z)))
        options = _shifted_options(estimator, z, estimator._default_step())
        f, x = _Shifted(f, z), np.zeros(z.shape)
    else:
        x = _point(x) if entry is _api.gradient else np.atleast_1d(as_float_array(x, ndim=None))
        value = np.asarray(f(read_only_view(x)))
        options = estimator._options(x, estimator._default_step())
    if entry is _api.gradient and value.size != 1:
        raise ValueError(f"Gradient needs a scalar function; f returned shape {value.shape} (use Jacobian)")
    _refuse_complex_values(estimator, value)
    scale = None
    if x.ndim > 1:
        scale, options = _row_variables(x, options)
        f, x = _Rows(f, x, scale), np.zeros(len(x))
    complex_step = estimator.method in _COMPLEX_METHODS
    if value.dtype.kind == "c" and not complex_step:
        r = _api.jacobian(_RealAndImaginary(f), x, full_output=True, **options)
        m = r.value.shape[0] // 2
        r = _Result(r.value[:m] + 1j * r.value[m:], r.error[:m] + r.error[m:], r.step)
    else:
        kinds = "biufc" if complex_step else "biuf"  # complex values at the complex step's points
        if entry is _api.gradient:
            target = f if value.ndim == 0 else (lambda z: _vector_value(f(z), kinds)[0])  # a (1,) value is a scalar
        else:
            target = lambda z: _vector_value(f(z), kinds)  # noqa: E731
        r = entry(target, x, full_output=True, **options)
    if entry is _api.gradient:
        return _Result(r.value[0], r.error[0], r.step) if np.ndim(r.value) == 2 else r  # (1, n): complex f
    if value.size != r.value.shape[0]:
        raise ValueError(f"f returned shape {value.shape} at x, but {r.value.shape[0]} values near x: its shape changed")
    J, error, step = r.value, r.error, r.step
    if scale is not None:  # back from the row variables t to x
        J, error, step = J / scale, error / scale, step * scale
    if value.ndim > 1:
        J, error = (np.moveaxis(a.reshape(value.shape + (len(x),)), -1, 1) for a in (J, error))
    return _Result(J, error, step)


def _refuse_complex_values(estimator, value):
    """The complex-step methods take Im f(x + i h): an f that is complex for real x would give
    Im f(x) / h, garbage of size 1e30. ValueError, as numdifftools raises."""
    if estimator.method in _COMPLEX_METHODS and value.dtype.kind == "c" and np.any(value.imag != 0):
        raise ValueError("the function given is complex valued: the complex-step methods need an f that is "
                         "real for real x")


def _scalar_function(f, x, name, value=None):
    """f for the Hessian kernels: itself when f(x) is a scalar, else (a value of size 1, as an
    elementwise f of a 1-element x returns) f with its value taken as a scalar; f of another size
    is a ValueError naming the estimator. One evaluation of f at x unless ``value`` is f(x)."""
    value = np.asarray(f(read_only_view(x))) if value is None else value
    if value.ndim == 0:
        return f
    if value.size != 1:
        raise ValueError(f"{name} needs a scalar function; f returned shape {value.shape}")
    return lambda z: np.asarray(f(z)).reshape(())[()]


class _Output:
    """Output k of a vector-valued f, as a scalar function."""

    def __init__(self, f, k):
        self.f, self.k = f, k

    def __call__(self, z):
        return np.asarray(self.f(z))[self.k]


class _Result(NamedTuple):
    value: object
    error: object
    step: object


@document(shared=_PARAMETERS)
class Derivative(_Estimator):
    """n-th derivative of a scalar function of one variable, elementwise over x; fun must be
    vectorized (it returns an array of x's shape).

    By default the steps are numdifftools' default, ``MaxStepGenerator()``: 15 Richardson levels
    from 2 max(log(e - 1 + |x|), 1) down by halves (n = 1; by 1.6 for n > 1), so that the steps
    grow with log |x|, not |x|, and a function that oscillates on the scale 1 keeps its
    accuracy at large |x|.

    Parameters
    ----------
    n : int, optional
        Derivative order, 0 to 10 (default 1; 0 is f itself, with error 0 and step 0). The
        complex-step methods take the complex step for n = 1 and order 2, else fdcore's
        contour rule (f on a circle about x in the complex plane) with 8 nodes for order 8
        and 4 otherwise (at least 4 ceil(n / 4)): the error powers numdifftools' rules have.
    richardson_terms : int, optional
        Powers of h removed by the extrapolation (default 2, numdifftools' default): the
        tableau's first richardson_terms + 1 columns (see `set_richardson_rule`).
    """

    def __init__(self, fun: Callable[..., Any] | None = None, step: Any = None, method: str = "central",
                 order: int = 2, n: int = 1, full_output: bool = False, richardson_terms: int = 2,
                 **options: Any) -> None:
        super().__init__(fun, step, method, order, n, full_output, **options)
        self.set_richardson_rule(None, richardson_terms)

    def set_richardson_rule(self, step_ratio: float = 2.0, num_terms: int = 2) -> None:
        """Set the extrapolation: remove ``num_terms`` powers of h (numdifftools' richardson_terms)
        over steps in the ratio ``step_ratio`` (None: the step generator's ratio).

        Parameters
        ----------
        step_ratio : float or None, optional
            Ratio of consecutive steps (> 1); the levels start at the generator's largest step.
        num_terms : int, optional
            Powers of h removed (default 2).
        """
        if isinstance(num_terms, bool) or not isinstance(num_terms, (int, np.integer)) or num_terms < 0:
            raise ValueError(f"num_terms must be a non-negative int, got {num_terms!r}")
        if step_ratio is not None and not (np.isfinite(step_ratio) and step_ratio > 1):
            raise ValueError(f"step_ratio must be a finite number > 1, got {step_ratio!r}")
        self.richardson_terms, self._rule_ratio = int(num_terms), step_ratio

    @property
    def richardson(self) -> "Richardson":
        """The `Richardson` rule this estimator extrapolates with: the ratio set_richardson_rule
        gave (2 until it gives one), the leading power of h and the step between the powers of
        fdcore's stencil for (method, n, order)."""
        if self.method in _COMPLEX_METHODS:
            order = error_step = self._contour_nodes() or 2  # the complex step's error: h^2, h^4, ...
        else:
            order, error_step = self._fdcore_order(), 2 if self.method == "central" else 1
        ratio = 2.0 if self._rule_ratio is None else self._rule_ratio
        return Richardson(ratio, error_step, order, self.richardson_terms)

    def _contour_nodes(self):
        """The complex methods' contour rule for (n, order) as numdifftools' error orders have it:
        N = 8 nodes for order 8, else 4 (at least fdcore's default for n); None for the complex
        step (n = 1, order 2)."""
        if self.n == 1 and self.order == 2:
            return None
        return max(contour_nodes(self.n), 8 if self.order >= 8 else 4)

    def __call__(self, x: ArrayLike, *args: Any, **kwds: Any) -> Any:
        f = self._bind(args, kwds)
        n = self.n
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n <= MAX_DERIVATIVE_ORDER:
            raise ValueError(f"n must be an integer from 0 to {MAX_DERIVATIVE_ORDER}, got {n!r}")
        x = as_float_array(x, ndim=None)  # checked before the step generator sees it
        if n == 0:
            value = np.asarray(f(read_only_view(x)))
            return self._finish(_Result(value, np.zeros(value.shape), np.zeros(value.shape)))
        nodes = self._contour_nodes() if self.method in _COMPLEX_METHODS else None
        if self.method in _COMPLEX_METHODS and nodes is None:
            return self._finish(_api.derivative(f, x, full_output=True, **self._options(x)))
        step = MaxStepGenerator() if self.step is None else self.step
        options = self._options(x, step, complex_levels=True)
        if nodes is not None:
            options["order"] = nodes
        if self._rule_ratio is not None and options.get("richardson", 1) > 1:
            options["step_ratio"] = self._rule_ratio
        return self._finish(_api.derivative(f, x, n=n, full_output=True, richardson_terms=self.richardson_terms,
                                            **options))


class Richardson:
    """numdifftools' description of a Richardson extrapolation: estimates at steps h, h/r, ...
    with errors in the powers order, order + step, ... of h; ``rule()`` gives the weights that
    remove num_terms of them.

    Parameters
    ----------
    step_ratio : float, optional
        r (default 2).
    step : int, optional
        The step between the error powers (2 for central differences, 1 one-sided).
    order : int, optional
        The leading error power.
    num_terms : int, optional
        Powers removed (default 2).

    Examples
    --------
    >>> from fdcore.compat.numdifftools import Richardson
    >>> Richardson(step_ratio=2.0, step=2, order=2, num_terms=1).rule()
    array([-0.33333333,  1.33333333])
    """

    def __init__(self, step_ratio: float = 2.0, step: int = 1, order: int = 1, num_terms: int = 2) -> None:
        self.step_ratio, self.step, self.order, self.num_terms = float(step_ratio), int(step), int(order), int(num_terms)

    def rule(self) -> NDArray[np.float64]:
        """The weights of the num_terms + 1 estimates, coarsest step first.

        Parameters
        ----------
        (none)
        """
        return richardson_weights(self.order, self.step, self.step_ratio, self.num_terms)


@document(shared=_PARAMETERS)
class Gradient(_Estimator):
    """Gradient of a scalar function fun(x), x of shape (n,); a scalar x gives the derivative."""

    def __call__(self, x: ArrayLike, *args: Any, **kwds: Any) -> Any:
        f = self._bind(args, kwds)
        if np.ndim(x) == 0 and self.method != "multicomplex":
            result = Derivative(self.fun, self.step, self.method, self.order, 1, self.full_output)(x, *args, **kwds)
        else:
            result = self._finish(_first_derivatives(self, f, x, _api.gradient))
        if self.full_output:
            # numdifftools' Gradient reports the error estimates and steps as a row (1, n)
            result = result._replace(error_estimate=np.reshape(result.error_estimate, (1, -1)),
                                     final_step=np.reshape(result.final_step, (1, -1)))
        return result


@document(shared=_PARAMETERS)
class Jacobian(_Estimator):
    """Jacobian (m, n) of fun(x), x of shape (n,), returning a real scalar or a 1-D array of
    shape (m,); a scalar function gives shape (1, n), as numdifftools does."""

    def __call__(self, x: ArrayLike, *args: Any, **kwds: Any) -> Any:
        return self._finish(_first_derivatives(self, self._bind(args, kwds), x, _api.jacobian))


@document(shared=_HESSIAN_PARAMETERS)
class Hessian(_Estimator):
    """Hessian (n, n) of a scalar function f(x), x of shape (n,); exactly symmetric. A
    vector-valued f (shape (m,)) gives the (m, n, n) stack of its outputs' Hessians."""

    _function_name = "f"
    _methods = _HESSIAN_METHODS
    _pairwise_steps = True

    def __init__(self, f: Callable[..., Any] | None = None, step: Any = None, method: str = "central",
                 order: int | None = None, full_output: bool = False, **options: Any) -> None:
        super().__init__(f, step, method, 2 if order is None else order, 2, full_output, **options)

    def __call__(self, x: ArrayLike, *args: Any, **kwds: Any) -> Any:
        f = self._bind(args, kwds)
        if self.method in _COMPLEX_METHODS and np.iscomplexobj(np.asarray(x)):
            raise ValueError("a complex variable was given: the complex-step methods differentiate at real x only")
        if np.iscomplexobj(np.asarray(x)):
            return self._finish(self._complex_hessian(f, _complex_point(x).ravel()))
        x = _point(x)
        options = self._options(x, self._default_step(), complex_levels=True)
        if self.method not in _COMPLEX_METHODS:
            options["order"] = 2 if self.method == "central" else 1
        value = np.asarray(f(read_only_view(x)))
        _refuse_complex_values(self, value)
        if value.dtype.kind == "c":
            return self._finish(self._complex_hessian(f, x.astype(np.complex128), value))
        if value.ndim == 1 and value.size > 1:
            # a vector-valued f: the Hessian of each output, stacked (m, n, n) as numdifftools
            # returns them; m times the evaluations of one Hessian
            parts = [_api.hessian(_Output(f, k), x, full_output=True, **options) for k in range(value.size)]
            return self._finish(_Result(np.stack([p.value for p in parts]), np.stack([p.error for p in parts]),
                                        parts[0].step))
        return self._finish(_api.hessian(_scalar_function(f, x, "Hessian", value), x, full_output=True, **options))

    def _complex_hessian(self, f, z, value=None):
        """The real methods at a complex z or of a complex-valued scalar f: the Hessians of the
        real and imaginary parts of f(z + t) in real t (twice the evaluations of one Hessian)."""
        value = np.asarray(f(read_only_view(z))) if value is None else value
        if value.size != 1:
            raise ValueError(f"Hessian of a complex f needs a scalar function; f returned shape {value.shape}")
        options = dict(_shifted_options(self, z, self._default_step()),
                       order=2 if self.method == "central" else 1)
        shifted, t = _Shifted(f, z), np.zeros(z.size)
        re, im = (_api.hessian(_Part(shifted, part), t, full_output=True, **options) for part in (np.real, np.imag))
        return _Result(re.value + 1j * im.value, re.error + im.error, re.step)


@document(shared=_HESSIAN_PARAMETERS)
class Hessdiag(_Estimator):
    """Diagonal of the Hessian (n,): 8 evaluations per coordinate (4 Richardson levels of the
    3-point second difference), not the n^2 of a full Hessian; with the complex-step methods,
    the diagonal of fdcore's complex-step Hessian (2 n^2 evaluations).

    f is a scalar function f(x), x of shape (n,).
    """

    _methods = _HESSIAN_METHODS
    _function_name = "f"

    def __init__(self, f: Callable[..., Any] | None = None, step: Any = None, method: str = "central",
                 order: int = 2, full_output: bool = False, **options: Any) -> None:
        super().__init__(f, step, method, order, 2, full_output, **options)

    def __call__(self, x: ArrayLike, *args: Any, **kwds: Any) -> Any:
        x = _point(x)
        f = self._bind(args, kwds)
        value = np.asarray(f(read_only_view(x)))
        _refuse_complex_values(self, value)
        f = _scalar_function(f, x, "Hessdiag", value)
        if self.method in _COMPLEX_METHODS:
            full = _api.hessian(f, x, method="complex", full_output=True)
            r = _Result(np.diagonal(full.value).copy(), np.diagonal(full.error).copy(), full.step)
        else:
            options = self._options(x, self._default_step())
            r = _api.hessian_diagonal(f, x, method=self.method, step=options["step"],
                                      richardson=options["richardson"], step_ratio=options.get("step_ratio", 2.0),
                                      full_output=True)
        flag_nonfinite(r.value, "Hessian diagonal")
        return self._finish(r)


def directionaldiff(f: Callable[..., Any], x0: ArrayLike, vec: ArrayLike, **options: Any) -> float:
    """Derivative of f at x0 along the unit vector vec / |vec| (accurate mode).

    Parameters
    ----------
    f : callable
        The scalar function ``f(x)``, x of x0's shape (read-only).
    x0 : array_like
        The point (finite reals).
    vec : array_like
        The direction, of x0's shape and nonzero; only its direction matters.
    **options
        Keywords of `Derivative`: step, method, order, n (n = 2 gives the second directional
        derivative) and full_output; any other raises TypeError.

    Returns
    -------
    NumPy float or EstimateResult
        The directional derivative (an `EstimateResult` with ``full_output=True``).
    """
    refuse_compiled(f, "numdifftools.directionaldiff")
    x0 = as_float_array(x0, "x0", ndim=None)
    u = as_float_array(vec, "vec", ndim=None)
    if u.shape != x0.shape:
        raise ValueError(f"vec must have the shape of x0, {x0.shape}; got {u.shape}")
    norm = np.linalg.norm(u)
    if norm == 0:
        raise ValueError("vec must be nonzero")
    u = u / norm
    full_output = options.pop("full_output", False)
    estimator = Derivative(lambda t: f(read_only_view(x0 + t * u)), full_output=full_output, **options)
    return estimator(0.0)


def _abscissas(x, x0, n=0):
    """x - x0 as distinct finite floats (numdifftools' abscissas), checked with the derivative
    order n they must support (len(x) > n); errors name the argument."""
    if np.iscomplexobj(x0):
        raise TypeError("x0 must be real in fdcore's numdifftools interface")
    offsets = as_float_array(x) - real_number(x0, "x0", "a real number")
    if np.unique(offsets).size != offsets.size:
        raise ValueError("x must be distinct")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or not 0 <= n < offsets.size:
        raise ValueError(f"n must be an integer from 0 to len(x) - 1 = {offsets.size - 1}, got {n!r}")
    return offsets


def fd_weights_all(x: ArrayLike, x0: float = 0, n: int = 1) -> NDArray[np.float64]:
    """Finite-difference weights on the abscissas x for the derivatives of orders 0..n at x0
    (numdifftools.fornberg.fd_weights_all): row j holds the weights w with
    f^(j)(x0) ~ sum(w * f(x)). Computed exactly (Fornberg's recurrence in rationals) and
    rounded once.

    Parameters
    ----------
    x : array_like, shape (m,)
        Distinct real abscissas, m > n.
    x0 : float, optional
        Where the derivatives are taken (default 0).
    n : int, optional
        The highest derivative order (default 1).

    Returns
    -------
    ndarray, shape (n + 1, m)

    Examples
    --------
    >>> from fdcore.compat.numdifftools import fd_weights_all
    >>> fd_weights_all([-1, 0, 1], n=2)
    array([[ 0. ,  1. ,  0. ],
           [-0.5,  0. ,  0.5],
           [ 1. , -2. ,  1. ]])
    """
    offsets = _abscissas(x, x0, n)
    return np.array([stencil_weights(j, offsets) for j in range(n + 1)])


def fd_weights(x: ArrayLike, x0: float = 0, n: int = 1) -> NDArray[np.float64]:
    """The weights on the abscissas x for the n-th derivative at x0: row n of `fd_weights_all`
    (numdifftools.fornberg.fd_weights).

    Parameters
    ----------
    x : array_like, shape (m,)
        Distinct real abscissas, m > n.
    x0 : float, optional
        Where the derivative is taken (default 0).
    n : int, optional
        The derivative order (default 1).

    Returns
    -------
    ndarray, shape (m,)

    Examples
    --------
    >>> import numpy as np
    >>> from fdcore.compat.numdifftools import fd_weights
    >>> x = np.linspace(-1, 1, 5) * 1e-3
    >>> bool(np.isclose(np.dot(fd_weights(x, x0=0, n=1), np.exp(x)), 1))
    True
    """
    offsets = _abscissas(x, x0, n)
    return stencil_weights(n, offsets).copy()


def fd_derivative(fx: ArrayLike, x: ArrayLike, n: int = 1, m: int = 2) -> NDArray[np.float64]:
    """The n-th derivative of tabulated values fx = f(x) at every abscissa
    (numdifftools.fornberg.fd_derivative): Fornberg weights on the 2 mm + 1 nearest points,
    mm = n // 2 + m, centred in the interior and the first / last 2 mm + 2 points at the
    mm points of each end.

    Parameters
    ----------
    fx : array_like, shape (k,)
        The values of f at x.
    x : array_like, shape (k,)
        Distinct real abscissas (any spacing), k >= 2 mm + 2.
    n : int, optional
        The derivative order, >= 1 (default 1).
    m : int, optional
        The stencil half-width beyond n // 2 (default 2).

    Returns
    -------
    ndarray, shape (k,)

    Examples
    --------
    >>> import numpy as np
    >>> from fdcore.compat.numdifftools import fd_derivative
    >>> x = np.linspace(-1, 1, 25)
    >>> bool(np.allclose(fd_derivative(np.exp(x), x, n=1), np.exp(x)))
    True
    """
    x = _abscissas(x, 0.0)
    values = np.asarray(fx)
    if values.shape != x.shape:
        raise ValueError(f"fx must have the shape of x, {x.shape}; got {values.shape}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 0:
        raise ValueError(f"m must be a non-negative integer, got {m!r}")
    mm = n // 2 + m
    size = 2 * mm + 2
    if x.size < size:
        raise ValueError(f"fd_derivative with n={n}, m={m} needs at least {size} points, got {x.size}")
    out = np.empty(x.size, dtype=np.result_type(values.dtype, np.float64))
    for i in range(x.size):
        if i < mm:
            window = slice(0, size)
        elif i >= x.size - mm:
            window = slice(x.size - size, x.size)
        else:
            window = slice(i - mm, i + mm + 1)
        out[i] = float_weights(n, x[window] - x[i]) @ values[window]
    return out
