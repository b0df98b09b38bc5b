"""An evaluator whose coordinates run along directions: f seen as g(s) = f(x + sum_i (s_i - s0_i) d_i).

`AlongDirections` wraps the evaluator of f at x and presents g at s0 to the axis plans
(fdcore.derivatives.axis). Every axis stencil point moves one s_i, so the second derivative of
g along s_i is f's second directional derivative along d_i; the accurate Hessian-vector product
takes its components from those along ``d_i = a_i (v + c e_i)`` (fdcore.derivatives.directional).
That family is stored as (v, c, a), so a point costs O(n), not the O(n^2) of an explicit matrix.

Only what the axis plans and the noise measurement ask of an evaluator is here: ``x``,
``scalar(point)`` and ``axis_values``; g is a scalar function.
"""

import numpy as np

from fdcore.evaluators.points import read_only_view
from fdcore.evaluators.returns import scalar_from_result

# Points of x's size evaluated per batch of the wrapped evaluator, at most this many bytes.
_BATCH_BYTES = 16 * 2**20


class AlongDirections:
    """g(s) = f(x + sum_i (s_i - s0_i) a_i (v + c e_i)) at s0, through ``inner``, f's evaluator at x.

    ``x`` (the point of g) is a private copy of s0 in x's dtype: an axis step s0_i + h realized
    in that dtype moves x by exactly the realized offset times d_i before x's own rounding.
    """

    compiled = False
    batched = False
    complex_input = False
    vector_output = False

    def __init__(self, inner, v, c, a, s0):
        self.inner = inner
        self.base = inner.x
        dtype = self.base.dtype
        self.v = np.asarray(v, dtype=np.float64)
        self.c = float(c)
        self.a = np.asarray(a, dtype=np.float64)
        self.x = np.array(s0, dtype=dtype)
        self.x_view = read_only_view(self.x)
        self.args, self.kwargs = (), None

    def _at(self, moved):
        """x + sum_i moved_i (v + c e_i), in x's dtype (``moved`` = (s - s0) a)."""
        y = self.base.astype(np.float64) + moved.sum() * self.v + self.c * moved
        return y.astype(self.base.dtype)

    def scalar(self, point=None):
        """g at ``point`` (default s0): f at x moved along every direction by point - s0."""
        if point is None:
            return self.inner.scalar()
        return self.inner.scalar(self._at((np.asarray(point, dtype=np.float64) - self.x.astype(np.float64)) * self.a))

    def axis_values(self, h, nodes, coords, values, offsets):
        """values[b, k] = g(s0 + nodes[k] h_i e_i), offsets[b, k] = the realized offset, i = coords[b]."""
        start = self.x[coords]
        steps = (np.asarray(nodes)[None, :] * h[coords, None]).astype(start.dtype)
        moved = (start[:, None] + steps).astype(start.dtype)
        offsets[:] = moved.astype(np.float64) - start.astype(np.float64)[:, None]
        stencil = [(b, k) for b in range(len(coords)) for k in range(len(nodes))]
        batch = max(1, _BATCH_BYTES // (8 * max(1, self.base.shape[0])))
        for first in range(0, len(stencil), batch):
            chunk = stencil[first:first + batch]
            points = []
            for b, k in chunk:
                step = np.zeros(self.base.shape[0])
                step[coords[b]] = offsets[b, k] * self.a[coords[b]]
                points.append(self._at(step))
            for (b, k), value in zip(chunk, self.inner.raw_values(points)):
                values[b, k] = scalar_from_result(value)
