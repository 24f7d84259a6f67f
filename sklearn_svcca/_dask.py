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
statistics) and return arrays. Dask views are validated with every other
kind of array, by :func:`sklearn_svcca._validation.check_views`, which
uses :func:`as_dask` and :func:`whole_samples` to place them; the
estimators (``_base``) call :func:`reduce_moments` and :func:`project` and
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


def whole_samples(a, row_chunks=None):
    """``a`` in one chunk along every axis but the first (samples).

    With ``row_chunks``, the rows are rechunked to those too.
    """
    chunks = {axis: -1 for axis in range(1, a.ndim)}
    if row_chunks is not None:
        chunks[0] = row_chunks
    return a.rechunk(chunks)


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
        Same row chunks, one chunk across columns (as
        :func:`sklearn_svcca._validation.check_views` returns them).
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
