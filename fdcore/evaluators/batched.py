"""The batched evaluator: every stencil point of a plan is a column of a matrix of points.

A batch of k points is evaluated at once, by a vectorized f (``vectorized=True``: f takes an
(n, k) array and returns (k,) or (m, k)) or by a pool of workers (``workers=``, see
fdcore.evaluators.workers). Points are assembled in Cython (fdcore.evaluators.python_callable.fill_points) in chunks of at
most ``max_batch_bytes``, so memory stays bounded whatever n is.

BatchKernels has the methods of fdcore.evaluators.python_callable (the façade calls either without knowing which),
implemented by listing the points each stencil needs:
    point p = x + first_step[p] e_first[p] (+ second_step[p] e_second[p] where second[p] >= 0).
"""

import numpy as np

from fdcore.evaluators import python_callable as _pykernels
from fdcore.derivatives.validation import read_only_view

DEFAULT_MAX_BATCH_BYTES = 64 * 2**20


class BatchKernels:
    """Evaluator for batch-callable objectives.

    call_batch(points) -> values: points is a read-only (n, k) array (columns are points);
    values must be (k,) for a scalar f or (m, k) for a vector f. ``progress`` is None or a
    callable(done, total) reporting evaluated points.
    """

    compiled = False

    def __init__(self, call_batch, max_batch_bytes=DEFAULT_MAX_BATCH_BYTES, progress=None):
        if isinstance(max_batch_bytes, bool) or not isinstance(max_batch_bytes, (int, np.integer)) or max_batch_bytes < 1:
            raise ValueError(f"max_batch_bytes must be a positive int, got {max_batch_bytes!r}")
        self.call_batch = call_batch
        self.max_batch_bytes = int(max_batch_bytes)
        self.progress = progress

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
            _pykernels.fill_points(x, first, first_step, second, second_step, start, points)
            try:
                if self.progress is not None and getattr(self.call_batch, "reports_progress", False):
                    batch = self.call_batch(read_only_view(points),
                                            lambda done, _, start=start: self.progress(start + done, P))
                else:
                    batch = self.call_batch(read_only_view(points))
            except Exception as exc:
                column = getattr(exc, "fdcore_column", None)
                if column is not None:  # raised by f on a worker: say which point
                    p = start + column
                    where = f"x[{first[p]}] {first_step[p]:+.3g}"
                    if second[p] >= 0:
                        where += f" and x[{second[p]}] {second_step[p]:+.3g}"
                    exc.add_note(f"fdcore: f raised this at stencil point {p} ({where})")
                raise
            values = self._checked(batch, k, vector, start)
            if out is None:
                out = np.empty((P,) + values.shape[1:])
            out[start:start + k] = values
            if self.progress is not None and not getattr(self.call_batch, "reports_progress", False):
                self.progress(start + k, P)
        return out if out is not None else np.empty((0,))

    @staticmethod
    def _checked(values, k, vector, start):
        """f's batch values as float64 (k,) or (k, m), or a ValueError stating the expected shape."""
        values = np.asarray(values)
        if values.dtype.kind not in "biuf":
            raise TypeError(f"f must return real values, got dtype {values.dtype}")
        if vector:
            if values.ndim != 2 or values.shape[1] != k:
                raise ValueError(f"a vectorized f must return an array of shape (m, {k}) for {k} points "
                                 f"(columns {start}..{start + k - 1}), got shape {values.shape}")
            return np.array(values.T, dtype=np.float64)
        if values.shape != (k,):
            raise ValueError(f"a vectorized f must return an array of shape ({k},) for {k} points "
                             f"(columns {start}..{start + k - 1}), got shape {values.shape}")
        return np.array(values, dtype=np.float64)

    def _axis(self, x, h, nodes, coords):
        """The points x + c_k h_i e_i, i = coords[b], point index b K + k, and realized offsets."""
        K = nodes.shape[0]
        first = np.repeat(np.asarray(coords, dtype=np.intp), K)
        steps = (np.asarray(nodes)[None, :] * h[coords].astype(np.float64)[:, None]).reshape(-1)
        realized = (x[first].astype(np.float64) + steps).astype(x.dtype).astype(np.float64) - x[first]
        return first, steps, realized.reshape(len(coords), K)

    # --- the kernel API of fdcore.evaluators.python_callable ----------------------------------------------------

    def eval_scalar(self, f, w_arg, extra_args, kwargs):
        return float(self.evaluate(w_arg, np.zeros(1, np.intp), np.zeros(1))[0])

    def eval_vector(self, f, w_arg, extra_args, kwargs):
        return self.evaluate(w_arg, np.zeros(1, np.intp), np.zeros(1), vector=True)[0].copy()

    def axis_values(self, f, w, w_arg, h, nodes, coords, values, offsets, extra_args, kwargs):
        first, steps, realized = self._axis(w, h, nodes, coords)
        values[...] = self.evaluate(w, first, steps).reshape(values.shape)
        offsets[...] = realized

    def axis_values_vector(self, f, w, w_arg, h, nodes, coords, values, offsets, extra_args, kwargs):
        first, steps, realized = self._axis(w, h, nodes, coords)
        values[...] = self.evaluate(w, first, steps, vector=True).reshape(values.shape)
        offsets[...] = realized

    def two_point_gradient(self, f, w, w_arg, h, plus, minus, f0, out, extra_args, kwargs):
        out[...] = self._two_point(w, h, plus, minus, f0, vector=False)

    def two_point_jacobian(self, f, w, w_arg, h, plus, minus, f0, out, extra_args, kwargs):
        jac = self._two_point(w, h, plus, minus, f0, vector=True).T
        if out is None:
            return jac.astype(w.dtype)
        if out.shape != jac.shape:
            raise ValueError(f"out must have shape {jac.shape} (m outputs, n inputs), got {out.shape}")
        out[...] = jac
        return out

    def _two_point(self, w, h, plus, minus, f0, vector):
        nodes = np.array([c for c in (plus, minus) if c != 0], dtype=np.float64)
        n = w.shape[0]
        first, steps, _ = self._axis(w, h, nodes, np.arange(n, dtype=np.intp))
        values = self.evaluate(w, first, steps, vector=vector).reshape((n, nodes.size) + ((-1,) if vector else ()))
        centre = np.asarray(f0, dtype=np.float64)
        f_hi = values[:, 0] if plus != 0 else np.broadcast_to(centre, values[:, 0].shape)
        f_lo = values[:, -1] if minus != 0 else np.broadcast_to(centre, values[:, 0].shape)
        # The realized span (x + plus h) - (x + minus h), computed from the points as the serial
        # kernels do: the difference of the offsets can differ in the last bit when |x| < h.
        x, hd = w.astype(np.float64), h.astype(np.float64)
        x_hi = (x + plus * hd).astype(w.dtype).astype(np.float64)
        x_lo = (x + minus * hd).astype(w.dtype).astype(np.float64)
        span = x_hi - x_lo
        return (f_hi - f_lo) / (span[:, None] if vector else span)

    def central_hessian(self, f, w, w_arg, h, f0, out, extra_args, kwargs):
        """The n^2 + n + 1 stencil of fdcore.evaluators.python_callable.central_hessian."""
        n = w.shape[0]
        i, j = np.triu_indices(n, 1)
        hd = h.astype(np.float64)
        first = np.concatenate([np.arange(n), np.arange(n), i, i]).astype(np.intp)
        first_step = np.concatenate([hd, -hd, hd[i], -hd[i]])
        second = np.concatenate([np.full(2 * n, -1), j, j]).astype(np.intp)
        second_step = np.concatenate([np.zeros(2 * n), hd[j], -hd[j]])
        v = self.evaluate(w, first, first_step, second, second_step)
        x = w.astype(np.float64)
        p = (x + hd).astype(w.dtype) - x
        q = x - (x - hd).astype(w.dtype)
        f_p, f_q = v[:n], v[n:2 * n]
        a = (v[2 * n:2 * n + i.size] - f_p[i]) - (f_p[j] - f0)
        b = (v[2 * n + i.size:] - f_q[i]) - (f_q[j] - f0)
        H = np.empty((n, n))
        H[np.diag_indices(n)] = 2.0 * ((f_p - f0) / p - (f0 - f_q) / q) / (p + q)
        H[i, j] = H[j, i] = (a + b) / (p[i] * p[j] + q[i] * q[j])
        out[...] = H

    def one_sided_hessian(self, f, w, w_arg, h, sign, f0, out, extra_args, kwargs):
        """The n(n + 1)/2 + n + 1 stencil of fdcore.evaluators.python_callable.one_sided_hessian."""
        n = w.shape[0]
        i, j = np.triu_indices(n, 1)
        s = sign * h.astype(np.float64)
        first = np.concatenate([np.arange(n), np.arange(n), i]).astype(np.intp)
        first_step = np.concatenate([s, 2 * s, s[i]])
        second = np.concatenate([np.full(2 * n, -1), j]).astype(np.intp)
        second_step = np.concatenate([np.zeros(2 * n), s[j]])
        v = self.evaluate(w, first, first_step, second, second_step)
        x = w.astype(np.float64)
        d = (x + s).astype(w.dtype) - x
        e = (x + 2 * s).astype(w.dtype) - x
        f_d, f2 = v[:n], v[n:2 * n]
        a = (v[2 * n:] - f_d[i]) - (f_d[j] - f0)
        H = np.empty((n, n))
        H[np.diag_indices(n)] = 2.0 * ((f2 - f_d) / (e - d) - (f_d - f0) / d) / e
        H[i, j] = H[j, i] = a / (d[i] * d[j])
        out[...] = H
