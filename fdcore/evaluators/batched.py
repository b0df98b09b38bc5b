"""The batched evaluator: every stencil point of a plan is a column of a matrix of points.

A batch of k points is evaluated at once, by a vectorized f (``vectorized=True``: f takes an
(n, k) array and returns (k,) or (m, k)) or by a pool of workers (``workers=``, see
fdcore.evaluators.workers). Points are assembled in Cython (fdcore.evaluators.python_callable.fill_points) in chunks of at
most ``max_batch_bytes``, so memory stays bounded whatever n is.

`Batched` implements the Evaluator protocol (fdcore.evaluators.protocol) by listing the points each
stencil needs:
    point p = x + first_step[p] e_first[p] (+ second_step[p] e_second[p] where second[p] >= 0).
"""

import numpy as np

from fdcore.evaluators.combine import hessian_entries, two_point_quotients
from fdcore.evaluators.points import read_only_view
from fdcore.evaluators.python_callable import fill_points
from fdcore.evaluators.returns import FunctionValueError, vector_from_result
from fdcore.evaluators.workers import PointwiseBatches

DEFAULT_MAX_BATCH_BYTES = 64 * 2**20
_NOTES = ("fdcore: f raised this at stencil point", "fdcore: f returned this at stencil point")


def check_batch_bytes(max_batch_bytes):
    """The memory budget of one batch: DEFAULT_MAX_BATCH_BYTES for None, else a positive int."""
    if max_batch_bytes is None:
        return DEFAULT_MAX_BATCH_BYTES
    if isinstance(max_batch_bytes, bool) or not isinstance(max_batch_bytes, (int, np.integer)) or max_batch_bytes < 1:
        raise ValueError(f"max_batch_bytes must be a positive int, got {max_batch_bytes!r}")
    return int(max_batch_bytes)


class Batched:
    """The evaluator for batch-callable objectives, bound to the work copy ``x``.

    call_batch(points) -> values: points is a read-only (n, k) array (columns are points);
    values must be (k,) for a scalar f or (m, k) for a vector f. For workers= call_batch is a
    fdcore.evaluators.workers.PointwiseBatches, which checks f's value at every point as the
    serial path does and reports progress itself. ``args`` / ``kwargs`` are
    already bound in call_batch (kept for callers that pass them on). ``progress`` is None or a
    callable(done, total) reporting evaluated points.
    """

    compiled = False
    batched = True
    complex_input = False
    vector_output = None

    def __init__(self, call_batch, x, args=(), kwargs=None, max_batch_bytes=DEFAULT_MAX_BATCH_BYTES,
                 progress=None):
        self.call_batch = call_batch
        self.x, self.x_view = x, read_only_view(x)
        self.args, self.kwargs = args, kwargs
        self.max_batch_bytes = max_batch_bytes  # checked by make_evaluator (check_batch_bytes)
        self.progress = progress
        self.pointwise = isinstance(call_batch, PointwiseBatches)
        self.m = None  # a vector f's length, once known (pointwise: checked at every point)

    # --- evaluating lists of points -----------------------------------------------------------

    def evaluate(self, x, first, first_step, second=None, second_step=None, vector=False):
        """Values of f at the listed points: (P,) for scalar f, (P, m) for vector f."""
        P = first.shape[0]
        if second is None:
            second = np.full(P, -1, dtype=np.intp)
            second_step = np.zeros(P)
        k_max = max(1, self.max_batch_bytes // (x.shape[0] * x.itemsize))
        out = None
        # Fortran order: each point (column) contiguous, and buffer[:, :k] still Fortran-contiguous.
        buffer = np.empty((x.shape[0], min(k_max, max(P, 1))), dtype=x.dtype, order="F")
        for start in range(0, P, k_max):
            k = min(k_max, P - start)
            points = buffer[:, :k]
            fill_points(x, first, first_step, second, second_step, start, points)
            try:
                batch = self._call(read_only_view(points), "vector" if vector else "scalar", start, P)
            except Exception as exc:
                column = getattr(exc, "fdcore_column", None)
                if column is not None:  # raised by f on a worker: say which point
                    del exc.fdcore_column  # consumed: the same exception object may be raised again
                    p = start + column
                    verb = "returned" if isinstance(exc, FunctionValueError) else "raised"
                    # One such note, the latest: an f that raises the same object again must not pile them up.
                    exc.__notes__ = [note for note in getattr(exc, "__notes__", []) if not note.startswith(_NOTES)]
                    exc.add_note(f"fdcore: f {verb} this at stencil point {p} "
                                 f"({_point(p, first, first_step, second, second_step)})")
                raise
            if self.pointwise:  # checked point by point on the workers
                values = batch if not vector else self._stacked(batch, start, first, first_step, second, second_step)
            else:
                values = self._checked(batch, k, vector, start)
            if out is None:
                out = np.empty((P,) + values.shape[1:])
            out[start:start + k] = values
            if self.progress is not None and not self.pointwise:
                self.progress(start + k, P)
        return out if out is not None else np.empty((0,))

    def _call(self, points, kind, start, total):
        """call_batch on one batch; a pointwise call_batch checks f's values as ``kind`` and reports progress."""
        if not self.pointwise:
            return self.call_batch(points)
        if self.progress is None:
            return self.call_batch(points, kind)
        return self.call_batch(points, kind, lambda done, _: self.progress(start + done, total))

    def _stacked(self, values, start, first, first_step, second, second_step):
        """A pointwise call's vector values as (k, m); every m must be the first evaluation's."""
        if self.m is None:
            self.m = values[0].shape[0] if values else None
        for c, value in enumerate(values):
            if value.shape[0] != self.m:  # the serial path's check and message
                p = start + c
                vector_from_result(value, self.m, f"at stencil point {p} "
                                                  f"({_point(p, first, first_step, second, second_step)})")
        return np.stack(values) if values else np.empty((0, self.m or 0))

    @staticmethod
    def _checked(values, k, vector, start):
        """A vectorized f's batch values as float64 (k,) or (k, m), or a ValueError stating the expected shape."""
        values = np.asarray(values)
        if values.dtype.kind not in "biuf":
            raise FunctionValueError(f"f must return real values, got dtype {values.dtype}")
        if vector:
            if values.ndim != 2 or values.shape[1] != k:
                raise FunctionValueError(f"a vectorized f must return an array of shape (m, {k}) for {k} points "
                                 f"(columns {start}..{start + k - 1}), got shape {values.shape}")
            return np.array(values.T, dtype=np.float64)
        if values.shape != (k,):
            raise FunctionValueError(f"a vectorized f must return an array of shape ({k},) for {k} points "
                             f"(columns {start}..{start + k - 1}), got shape {values.shape}")
        return np.array(values, dtype=np.float64)

    def _axis(self, x, h, nodes, coords):
        """The points x + c_k h_i e_i, i = coords[b], point index b K + k, and realized offsets."""
        K = nodes.shape[0]
        first = np.repeat(np.asarray(coords, dtype=np.intp), K)
        steps = (np.asarray(nodes)[None, :] * h[coords].astype(np.float64)[:, None]).reshape(-1)
        realized = (x[first].astype(np.float64) + steps).astype(x.dtype).astype(np.float64) - x[first]
        return first, steps, realized.reshape(len(coords), K)

    # --- the Evaluator protocol ------------------------------------------------------------------

    def scalar(self, point=None):
        return float(self.evaluate(self.x_view if point is None else point, np.zeros(1, np.intp), np.zeros(1))[0])

    def vector(self, point=None):
        point = self.x_view if point is None else point
        return self.evaluate(point, np.zeros(1, np.intp), np.zeros(1), vector=True)[0].copy()

    def raw_values(self, points):
        """f at the points, in one batch: a vectorized f returns (k,) or (m, k) for k points."""
        k = len(points)
        if self.pointwise:
            return self.call_batch(read_only_view(np.stack(points, axis=1)), "raw")
        values = np.asarray(self.call_batch(read_only_view(np.stack(points, axis=1))), dtype=np.float64)
        if values.shape[-1:] != (k,) or values.ndim > 2:
            raise FunctionValueError(f"a vectorized f must return shape ({k},) or (m, {k}) for {k} "
                                     f"point{'s' if k > 1 else ''}, got {values.shape}")
        return [values[..., c].copy() for c in range(k)]

    def axis_values(self, h, nodes, coords, values, offsets):
        first, steps, realized = self._axis(self.x, h, nodes, coords)
        values[...] = self.evaluate(self.x, first, steps).reshape(values.shape)
        offsets[...] = realized

    def axis_values_vector(self, h, nodes, coords, values, offsets):
        first, steps, realized = self._axis(self.x, h, nodes, coords)
        values[...] = self.evaluate(self.x, first, steps, vector=True).reshape(values.shape)
        offsets[...] = realized

    def pair_values(self, first, first_step, second, second_step, values):
        values[...] = self.evaluate(self.x, first, first_step, second, second_step)

    def two_point_gradient(self, h, plus, minus, f0, out):
        out[...] = self._two_point(self.x, h, plus, minus, f0, vector=False)

    def two_point_jacobian(self, h, plus, minus, f0, out):
        jac = self._two_point(self.x, h, plus, minus, f0, vector=True).T
        if out is None:
            return jac.astype(self.x.dtype)
        if out.shape != jac.shape:
            raise ValueError(f"out must have shape {jac.shape} (m outputs, n inputs), got {out.shape}")
        out[...] = jac
        return out

    def _two_point(self, x_work, h, plus, minus, f0, vector):
        nodes = np.array([c for c in (plus, minus) if c != 0], dtype=np.float64)
        n = x_work.shape[0]
        first, steps, _ = self._axis(x_work, h, nodes, np.arange(n, dtype=np.intp))
        values = self.evaluate(x_work, first, steps, vector=vector).reshape((n, nodes.size) + ((-1,) if vector else ()))
        f0 = np.asarray(f0, dtype=np.float64)
        f_hi = values[:, 0] if plus != 0 else np.broadcast_to(f0, values[:, 0].shape)
        f_lo = values[:, -1] if minus != 0 else np.broadcast_to(f0, values[:, 0].shape)
        # The realized span (x + plus h) - (x + minus h), computed from the points as the serial
        # kernels do: the difference of the offsets can differ in the last bit when |x| < h.
        x, hd = x_work.astype(np.float64), h.astype(np.float64)
        x_hi = (x + plus * hd).astype(x_work.dtype).astype(np.float64)
        x_lo = (x + minus * hd).astype(x_work.dtype).astype(np.float64)
        columns = (n, -1)
        quotients = np.empty(np.broadcast_shapes(f_hi.shape, f_lo.shape)).reshape(columns)
        two_point_quotients(np.ascontiguousarray(f_hi).reshape(columns), np.ascontiguousarray(f_lo).reshape(columns),
                            x_hi, x_lo, quotients)
        return quotients if vector else quotients[:, 0]

    def hessian(self, h, sign, f0, out):
        """The Hessian stencils of fdcore.evaluators.python_callable.hessian (sign 0: central)."""
        x_work = self.x
        n = x_work.shape[0]
        i, j = (np.ascontiguousarray(k, dtype=np.intp) for k in np.triu_indices(n, 1))
        central = sign == 0
        c1, c2 = (1.0, -1.0) if central else (float(sign), 2.0 * sign)
        pair_nodes = (c1, c2) if central else (c1,)  # the central stencil's pairs step both ways
        hd = h.astype(np.float64)
        axis = np.arange(n)
        first = np.concatenate([axis, axis] + [i] * len(pair_nodes)).astype(np.intp)
        first_step = np.concatenate([c1 * hd, c2 * hd] + [c * hd[i] for c in pair_nodes])
        second = np.concatenate([np.full(2 * n, -1)] + [j] * len(pair_nodes)).astype(np.intp)
        second_step = np.concatenate([np.zeros(2 * n)] + [c * hd[j] for c in pair_nodes])
        v = self.evaluate(x_work, first, first_step, second, second_step)
        x = x_work.astype(np.float64)
        o1 = (x + c1 * hd).astype(x_work.dtype) - x
        o2 = (x + c2 * hd).astype(x_work.dtype) - x
        f_pair = v[2 * n:2 * n + i.size]
        diagonal, pairs = np.empty(n), np.empty(i.size)
        hessian_entries(sign, f0, v[:n], v[n:2 * n], o1, o2, i, j, f_pair, v[2 * n + i.size:] if central else f_pair,
                        diagonal, pairs)
        _assemble_symmetric(diagonal, i, j, pairs, out)


def _point(p, first, first_step, second, second_step):
    """Stencil point p as offsets from x, e.g. 'x[1] +0.001 and x[2] -0.001'."""
    if first_step[p] == 0 and second[p] < 0:
        return "x itself"
    where = f"x[{first[p]}] {first_step[p]:+.3g}"
    if second[p] >= 0:
        where += f" and x[{second[p]}] {second_step[p]:+.3g}"
    return where


def _assemble_symmetric(diagonal, rows, cols, pairs, out):
    """out = the symmetric matrix with the given diagonal and entries out[i, j] = out[j, i] = pairs."""
    H = np.empty(out.shape)
    H[np.diag_indices(diagonal.size)] = diagonal
    H[rows, cols] = H[cols, rows] = pairs
    out[...] = H
