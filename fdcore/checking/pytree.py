"""Parameters as a pytree: nested dicts, lists and tuples of arrays (and JAX pytrees when JAX is
loaded) flattened once into the float vector the checks work on, and named back by path.

A `Structure` records the leaves' paths, shapes and offsets in the flat vector, in the order
JAX flattens the same tree (dict keys sorted, sequences in order).
``unflatten`` gives the tree of read-only views into a flat vector, so f and the user's
derivative see the parameters in their own structure without a copy; ``flatten_like`` turns a
tree the user returns (a gradient, a vector-Jacobian product) into a flat vector, checking that
it has the parameters' structure. ``describe`` names a block of flat indices:
``x['layers'][2]['w'][3, 17]``, a whole row ``x['w'][3, :]`` or a range.
"""

import sys
from dataclasses import dataclass

import numpy as np

ROOT = "x"


@dataclass(frozen=True)
class Leaf:
    path: str  # e.g. "['layers'][2]['w']" ("" for a single array)
    shape: tuple[int, ...]
    start: int
    stop: int


def _is_container(value):
    return isinstance(value, (dict, list, tuple))


def is_tree(x):
    """Whether x is a pytree of parameters rather than a flat vector: a dict, a list or tuple
    holding arrays or containers (a list of numbers stays a vector), an array of ndim != 1, or
    another JAX pytree (JAX loaded)."""
    if isinstance(x, dict):
        return True
    if isinstance(x, (list, tuple)):
        return any(_is_container(item) or np.ndim(item) > 0 for item in x)
    if isinstance(x, np.ndarray) or hasattr(x, "__array__"):  # NumPy, JAX, torch arrays
        return np.ndim(x) != 1
    jax = sys.modules.get("jax")
    if jax is not None and not np.isscalar(x):
        try:
            leaves = jax.tree_util.tree_leaves(x)
        except Exception:  # noqa: BLE001 - not a pytree JAX knows
            return False
        return len(leaves) != 1 or leaves[0] is not x
    return False


def _children(node):
    """[(key, path part, child)] of a container, in the order JAX flattens it (dict keys sorted)."""
    if isinstance(node, dict):
        try:
            keys = sorted(node)
        except TypeError:  # keys of mixed types: insertion order
            keys = list(node)
        return [(key, f"[{key!r}]", node[key]) for key in keys]
    return [(i, f"[{i}]", item) for i, item in enumerate(node)]


class Structure:
    """The leaves of a parameter tree and how to rebuild it (see the module notes)."""

    def __init__(self, tree, name="x"):
        self.name = name
        self.leaves = []
        self._jax_treedef = None
        jax = sys.modules.get("jax")
        if not (_is_container(tree) or isinstance(tree, np.ndarray)) and jax is not None:
            with_paths, self._jax_treedef = jax.tree_util.tree_flatten_with_path(tree)
            arrays = [(jax.tree_util.keystr(path), leaf) for path, leaf in with_paths]
        else:
            arrays = list(self._walk(tree, ""))
        if not arrays:
            raise ValueError(f"{name} holds no parameters (an empty tree)")
        self._template = tree
        self._arrays = []
        offset = 0
        for path, leaf in arrays:
            array = np.asarray(leaf)
            if array.dtype.kind not in "biuf":
                raise TypeError(f"{name}{path} must hold real numbers, got dtype {array.dtype}")
            self.leaves.append(Leaf(path, array.shape, offset, offset + array.size))
            self._arrays.append(array)
            offset += array.size
        self.size = offset
        float32 = all(a.dtype == np.float32 for a in self._arrays)
        self.dtype = np.dtype(np.float32 if float32 else np.float64)

    def _walk(self, node, path):
        if _is_container(node):
            for _, part, child in _children(node):
                yield from self._walk(child, path + part)
        else:
            yield path, node

    def flat(self):
        """The parameters as one new flat vector (the one copy the check makes)."""
        out = np.empty(self.size, dtype=self.dtype)
        for leaf, array in zip(self.leaves, self._arrays):
            out[leaf.start:leaf.stop] = array.reshape(-1)
        return out

    def unflatten(self, vector):
        """The tree, its leaves read-only views of ``vector`` in their shapes."""
        views = []
        for leaf in self.leaves:
            view = vector[leaf.start:leaf.stop].reshape(leaf.shape)
            view.flags.writeable = False
            views.append(view)
        if self._jax_treedef is not None:
            return self._jax_treedef.unflatten(views)
        return self._rebuild(self._template, iter(views))

    def _rebuild(self, node, views):
        if isinstance(node, dict):
            rebuilt = dict.fromkeys(node)  # the user's key order; filled in flattening order
            for key, _, child in _children(node):
                rebuilt[key] = self._rebuild(child, views)
            return rebuilt
        if isinstance(node, (list, tuple)):
            items = [self._rebuild(child, views) for _, _, child in _children(node)]
            return type(node)(items) if type(node) in (list, tuple) else type(node)(*items)
        return next(views)

    def flatten_like(self, tree, what, rows=False):
        """A tree of the parameters' structure (``what`` returned it) as a flat float64 vector;
        with ``rows``, a tree whose leaves have shape (m,) + the parameter's (a Jacobian, as
        jax.jacrev returns it) as an (m, n) array."""
        jax = sys.modules.get("jax")
        if self._jax_treedef is not None and jax is not None:
            arrays = [(jax.tree_util.keystr(p), leaf) for p, leaf in jax.tree_util.tree_flatten_with_path(tree)[0]]
        else:
            arrays = list(self._walk(tree, ""))
        paths = [path for path, _ in arrays]
        expected = [leaf.path for leaf in self.leaves]
        if paths != expected:
            missing = sorted(set(expected) - set(paths))
            extra = sorted(set(paths) - set(expected))
            detail = "; ".join(part for part in (
                f"missing {', '.join(self.name + p for p in missing[:5])}" if missing else "",
                f"unexpected {', '.join(self.name + p for p in extra[:5])}" if extra else "",
            ) if part) or "the leaves come in another order"
            raise ValueError(f"{what} must return a tree of {self.name}'s structure: {detail}")
        leading = ()  # (m,) for rows: the number of rows, from the first leaf
        if rows:
            (path, value), leaf = arrays[0], self.leaves[0]
            if np.ndim(value) != len(leaf.shape) + 1:
                raise ValueError(f"{what} returned {self.name}{path} of shape {np.shape(value)}, expected "
                                 f"(m, {', '.join(map(str, leaf.shape))})")
            leading = np.shape(value)[:1]
        out = np.empty(leading + (self.size,), dtype=np.float64)
        for leaf, (path, value) in zip(self.leaves, arrays):
            array = np.asarray(value)
            if array.shape != leading + leaf.shape:
                raise ValueError(f"{what} returned {self.name}{path} of shape {array.shape}, expected "
                                 f"{leading + leaf.shape}")
            if array.dtype.kind not in "biuf":
                raise ValueError(f"{what} returned {self.name}{path} of dtype {array.dtype}: real numbers expected")
            out[..., leaf.start:leaf.stop] = array.reshape(leading + (-1,))
        return out

    def leaf_of(self, index):
        """The leaf holding flat index ``index``."""
        starts = [leaf.start for leaf in self.leaves]
        return self.leaves[int(np.searchsorted(starts, index, side="right")) - 1]

    def row_length(self, leaf):
        """Flat length of one row (index along the first axis) of a leaf; its size if 0-d or 1-d."""
        return int(np.prod(leaf.shape[1:])) if len(leaf.shape) >= 2 else max(leaf.stop - leaf.start, 1)

    def describe(self, start, stop=None):
        """Name flat indices start..stop-1 (one index without stop) by path and index."""
        stop = start + 1 if stop is None else stop
        first, last = self.leaf_of(start), self.leaf_of(stop - 1)
        if first is not last:
            return f"{self._index_name(first, start - first.start)} .. {self._index_name(last, stop - 1 - last.start)}"
        leaf = first
        a, b = start - leaf.start, stop - leaf.start
        name = self.name + leaf.path
        if a == 0 and b == leaf.stop - leaf.start and leaf.shape:
            return name  # the whole array
        if b - a == 1:
            return self._index_name(leaf, a)
        row = self.row_length(leaf)
        if len(leaf.shape) >= 2 and a % row == 0 and b % row == 0:
            rows = f"{a // row}" if b - a == row else f"{a // row}:{b // row}"
            return f"{name}[{rows}, {', '.join(':' for _ in leaf.shape[1:])}]"
        if len(leaf.shape) >= 2 and a // row == (b - 1) // row:  # part of one row
            head = np.unravel_index(a, leaf.shape)
            tail = np.unravel_index(b - 1, leaf.shape)
            if all(h == t for h, t in zip(head[:-1], tail[:-1])):
                fixed = ", ".join(str(int(i)) for i in head[:-1])
                return f"{name}[{fixed}, {int(head[-1])}:{int(tail[-1]) + 1}]"
        return f"{self._index_name(leaf, a)} .. {self._index_name(leaf, b - 1)}"

    def _index_name(self, leaf, offset):
        name = self.name + leaf.path
        if not leaf.shape:
            return name
        index = np.unravel_index(offset, leaf.shape)
        return f"{name}[{', '.join(str(int(i)) for i in index)}]"
