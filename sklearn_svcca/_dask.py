"""Dask support: sufficient statistics by a tree reduction, the rest locally.

A fit needs only the moments of the two views (counts, means, centered
cross-products; ``O((p + q)²)`` numbers), and moments of disjoint sets of
samples merge exactly (Chan et al.'s pairwise update). So for Dask arrays
chunked by rows each chunk is summarised where it lives, the summaries are
merged pairwise up a tree, and only the final ``(p + q)²`` summary reaches
the client, which runs the small decompositions with NumPy/SciPy. This works
with any Dask scheduler, ``dask.distributed`` included.

This module knows nothing of the estimators: its functions take arrays,
names and callables (the summary and merge functions of the estimator's
statistics) and return arrays. The estimators (``_base``) call them and
keep their own bookkeeping (feature counts, fitted attributes).

Dask is never imported here at module level: a Dask array can only exist if
the user imported Dask, and :func:`is_dask_array` checks ``sys.modules``.
"""

from __future__ import annotations

import sys
from functools import reduce

import numpy as np
from sklearn.utils.validation import assert_all_finite

# Summaries merged per node of the reduction tree: few enough levels that
# the client waits on little, small enough that no worker holds many.
_SPLIT_EVERY = 8


def is_dask_array(a):
    """Whether ``a`` is a Dask array (without importing Dask)."""
    da = sys.modules.get("dask.array")
    return da is not None and isinstance(a, da.Array)


def as_dask(a, name, *, row_chunks):
    """``a`` as a Dask array; a 1-D ``y`` becomes one column.

    An in-memory array with as many rows as ``row_chunks`` (the other view's
    row chunks) is split the same way, in one chunk along its other axes.
    """
    import dask.array as da

    if not is_dask_array(a):
        a = np.asarray(a)
        aligned = a.ndim >= 1 and a.shape[0] == sum(row_chunks)
        a = da.from_array(
            a, chunks=(row_chunks, *(-1,) * (a.ndim - 1)) if aligned else -1
        )
    if a.ndim == 1 and name == "y":
        a = a[:, None]
    return a


def check_view(a, name, *, owner, min_samples):
    """Sizes and dtype of one Dask view, rows first (any number of axes).

    ``owner`` names the estimator in messages. Returns the view as a
    floating Dask array (integers are cast to float64, as for in-memory
    input).
    """
    n = a.shape[0]
    if np.isnan(n):
        raise ValueError(
            f"{name} has unknown chunk sizes (e.g. after boolean indexing); "
            f"call {name}.compute_chunk_sizes() before fitting."
        )
    context = f" by {owner}"
    if n < min_samples:
        raise ValueError(
            f"Found array with {n} sample(s) (shape={a.shape}) while a minimum "
            f"of {min_samples} is required{context}."
        )
    if int(np.prod(a.shape[1:])) < 1:
        raise ValueError(
            f"Found array with 0 feature(s) (shape={a.shape}) while a minimum "
            f"of 1 is required{context}."
        )
    kind = a.dtype.kind
    if kind == "c":
        raise ValueError(f"Complex data not supported: {name} has dtype {a.dtype}.")
    if kind not in "fiub":
        raise ValueError(
            f"dtype='{a.dtype}' is not supported: {name} must be numeric "
            "(float32 or float64 activations)."
        )
    if a.dtype not in (np.float32, np.float64):
        a = a.astype(np.float64)
    return a


def _as_dask_2d(a, name, *, owner, row_chunks, min_samples):
    """One view as a 2-D floating Dask array."""
    a = as_dask(a, name, row_chunks=row_chunks)
    if a.ndim != 2:
        raise ValueError(
            f"Expected a 2D Dask array for {name}, got {a.ndim}D array instead. "
            "Reshape your data: one row per sample, one column per neuron."
        )
    return check_view(a, name, owner=owner, min_samples=min_samples)


def whole_samples(a, row_chunks=None):
    """``a`` in one chunk along every axis but the first (samples).

    With ``row_chunks``, the rows are rechunked to those too.
    """
    chunks = {axis: -1 for axis in range(1, a.ndim)}
    if row_chunks is not None:
        chunks[0] = row_chunks
    return a.rechunk(chunks)


def align_rows(X, Y):
    """Check that two Dask views have as many rows, and chunk them alike.

    ``Y`` takes ``X``'s row chunks; both get one chunk along every other
    axis, so each task sees whole samples.
    """
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{X.shape[0]}, {Y.shape[0]}]"
        )
    X = whole_samples(X)
    return X, whole_samples(Y, X.chunks[0])


def require_y(y, *, owner):
    """The error for a missing second view, as scikit-learn words it."""
    if y is None:
        raise ValueError(
            f"This {owner} estimator requires y to be passed, but the target y is None."
        )


def row_chunks(X, y):
    """The row chunks of whichever of the two views is a Dask array."""
    return (X if is_dask_array(X) else y).chunks[0]


def check_views(X, y, *, owner, min_samples=2):
    """Validate two views given as Dask arrays (or one Dask, one in memory).

    Both come back as floating Dask arrays with the same row chunks and one
    chunk across columns. Feature counts are the caller's to record or
    check (``_BaseCCA._check_features``).
    """
    require_y(y, owner=owner)
    chunks = row_chunks(X, y)
    kwargs = {"owner": owner, "row_chunks": chunks, "min_samples": min_samples}
    X = _as_dask_2d(X, "X", **kwargs)
    Y = _as_dask_2d(y, "y", **kwargs)
    return align_rows(X, Y)


def check_solver(solver):
    """Dask input has no exact (QR) route."""
    if solver == "qr":
        raise ValueError(
            "solver='qr' factorizes the data in memory and cannot be used with "
            "Dask arrays; use solver='auto' or 'gram' (the Gram route, from "
            "moments that Dask computes), or compute() the arrays first."
        )


def _chunk_moments(xb, yb, batch_moments):
    """Summary of one chunk of rows (runs on a worker)."""
    assert_all_finite(xb, input_name="X")
    assert_all_finite(yb, input_name="y")
    if xb.shape[0] == 0:
        return None
    return batch_moments(xb, yb)


def _merge_all(parts, merge):
    """Merge the summaries of sibling chunks (runs on a worker)."""
    parts = [part for part in parts if part is not None]
    return reduce(merge, parts) if parts else None


def reduce_moments(X, Y, batch_moments, merge, *, split_every=_SPLIT_EVERY):
    """Moments of two row-aligned Dask arrays by a tree reduction.

    Parameters
    ----------
    X, Y : dask.array.Array
        Same row chunks, one chunk across columns (see :func:`check_views`).
    batch_moments : callable
        ``(x_chunk, y_chunk) -> summary`` for NumPy chunks.
    merge : callable
        ``(summary, summary) -> summary``, associative.
    split_every : int, default=8
        Fan-in of each merge node.

    Returns
    -------
    summary
        The merged summary of all rows, computed with the current Dask
        scheduler (a ``distributed.Client`` when one is active).
    """
    import dask

    parts = [
        dask.delayed(_chunk_moments, pure=True)(xb, yb, batch_moments)
        for xb, yb in zip(X.to_delayed().ravel(), Y.to_delayed().ravel(), strict=True)
    ]
    while len(parts) > 1:
        parts = [
            dask.delayed(_merge_all, pure=True)(parts[i : i + split_every], merge)
            for i in range(0, len(parts), split_every)
        ]
    (moments,) = dask.compute(parts[0])
    return moments


def _finite(block, input_name):
    assert_all_finite(block, input_name=input_name)
    return block


def project(X, mean, weights, name):
    """Lazy ``(X - mean) @ weights`` in ``X``'s dtype, chunked like ``X``."""
    import dask.array as da

    dtype = X.dtype
    X = X.map_blocks(_finite, input_name=name, dtype=dtype)
    W = da.from_array(np.asarray(weights, dtype=dtype), chunks=-1)
    return (X - np.asarray(mean, dtype=dtype)) @ W


def prediction_views(X, y, *, owner):
    """Validate the views given to ``transform``: X, and y or None.

    Both come back as 2-D floating Dask arrays chunked like ``X`` along rows
    and in one chunk across columns (an in-memory ``X`` next to a Dask ``y``
    takes ``y``'s row chunks).
    """
    import dask.array as da

    if not is_dask_array(X):
        X = da.from_array(np.asarray(X), chunks=(y.chunks[0], -1))
    X = _as_dask_2d(X, "X", owner=owner, row_chunks=X.chunks[0], min_samples=1)
    X = X.rechunk({1: -1})
    if y is None:
        return X, None
    Y = _as_dask_2d(y, "y", owner=owner, row_chunks=X.chunks[0], min_samples=1)
    if X.shape[0] != Y.shape[0]:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{X.shape[0]}, {Y.shape[0]}]"
        )
    return X, Y.rechunk({0: X.chunks[0], 1: -1})
