"""Pure numerical routines behind the estimators.

Nothing in this module knows about scikit-learn estimators: every function
takes arrays and returns arrays. The estimators in ``_cca.py``, ``_svcca.py``
and ``_pwcca.py`` are thin plumbing around these.

Conventions
-----------
- Data are ``(n_samples, n_features)``; ``X`` is the first view, ``Y`` the
  second.
- All accumulation happens in float64, whatever the input dtype: float32 Gram
  products lose about three digits on ordinary activations, which is visible
  in the canonical correlations.
- "Cross-products" are *unnormalised* centered sums ``Σ (x - μ)(x - μ)ᵀ``;
  covariances are cross-products divided by ``n_samples - 1``. Keeping sums
  makes merging batches exact and keeps ``n_samples`` in one place.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import NamedTuple

import numpy as np
from scipy.linalg.blas import dgemm as _dgemm
from scipy.linalg.blas import dger as _dger
from scipy.linalg.blas import dsyr as _dsyr
from scipy.linalg.blas import dsyrk as _dsyrk
from sklearn import config_context
from sklearn.utils.extmath import svd_flip

from . import _array_api

EPS = np.finfo(np.float64).eps

# A neuron whose standard deviation is below this fraction of its mean
# magnitude is constant to working precision (a dead ReLU, a saturated unit).
# After the mean correction in `compute_moments`, an exactly constant column
# leaves a residual around eps**1.5 of its mean, while a float32 column that
# changes by one ulp on one sample in a million still has ~1e-10.
CONSTANT_RTOL = 1e-13

# `solver="auto"` trusts the Gram route while every eigenvalue of each
# (column-scaled) Gram matrix it relies on is at least this fraction of the
# largest. Below it, whitening from the Gram matrix loses more than about
# eps / GRAM_RCOND ~ 1e-8 of accuracy, so the exact QR route takes over.
GRAM_RCOND = 1e-8

# A neuron whose variance is carried by fewer samples than this (its
# effective number of samples, see `effective_samples`) cannot give a
# canonical direction that generalises; see `few_sample_columns`.
FEW_SAMPLES = 5

# Rows per block when forming cross-products: bounds the temporary float64
# copies to about 32 MiB per call whatever n_samples is, while keeping the
# inner dimension of each GEMM long enough to run at full speed.
_BLOCK_ELEMENTS = 1 << 22


# The solve path (nonconstant_columns .. variate_correlations) is written
# once against the Array API: ``xp`` is NumPy itself for NumPy arrays (the
# same numbers as ever, at NumPy's speed) and the array's own namespace
# otherwise, so that every p x p matrix stays on the array's device. Only
# per-column numbers that drive decisions (eigenvalues for the rank cut,
# column indices) come to the host: a few hundred numbers, never a matrix.


# Python floats: strict namespaces refuse NumPy scalars next to their arrays.
_EPS = float(EPS)


def _ns(a):
    return _array_api.namespace(a)[0]


def _is_complex(a):
    return _ns(a).isdtype(a.dtype, "complex floating")


def _real_part(a):
    return _ns(a).real(a) if _is_complex(a) else a


def _host(a):
    """A per-problem vector that drives a decision, as a host NumPy array."""
    return np.asarray(_array_api.to_numpy(a))


def _count(mask):
    """``True`` entries along the last axis of a stacked mask, in its namespace."""
    return _ns(mask).count_nonzero(mask, axis=-1)


def namespace_of(a):
    """``(xp, device)`` of ``a``: NumPy itself for a NumPy array."""
    if _array_api.is_foreign(a):
        return _array_api.namespace(a)
    return np, "cpu"


def to_host(a):
    """A small array (per-column numbers) as a NumPy array on the host."""
    return _array_api.to_numpy(a) if _array_api.is_foreign(a) else a


def take(a, index, axis):
    """``a`` at host integer ``index`` along ``axis`` (a copy), in its namespace.

    NumPy arrays are indexed as they always were (``a[:, index]`` is
    Fortran-ordered): the layout decides the order of later reductions, so
    NumPy fits keep their numbers to the last bit.
    """
    if _array_api.is_foreign(a):
        return _array_api.take(a, index, axis=axis)
    return a[(slice(None),) * axis + (index,)]


def _submatrix(c, rows, cols):
    """``c[np.ix_(rows, cols)]`` (host index arrays), in ``c``'s namespace."""
    return _array_api.take(_array_api.take(c, rows, axis=0), cols, axis=1)


def _column_dots(A, B):
    """``Σ_i A_ij B_ij`` per column; NumPy's einsum makes no (n, k) temporary."""
    if _array_api.is_foreign(A):
        xp, _ = _array_api.namespace(A)
        return xp.sum(A * B, axis=0)
    return np.einsum("ij,ij->j", A, B)


def safe_divisor(a):
    """``a`` with its zeros (and negatives) replaced by 1: safe divisors."""
    xp, _ = namespace_of(a)
    return xp.where(a > 0, a, xp.ones_like(a))


class Moments(NamedTuple):
    """Sufficient statistics of two views: everything CCA needs from the data.

    The one moments type of the package, merged by :func:`merge_moments`.
    The product fields may carry a leading problem axis: FourierCCA's
    moments (:func:`~sklearn_svcca._fourier.spectral_moments`) are stacked
    over its solved frequencies, ``cxx[t] = Ẑᴴ Ẑ`` with ``Ẑ`` the centered
    DFT coefficients of ``X`` at frequency ``t`` (complex128, Hermitian).
    The means are then the mean maps, of shape ``(h_x, w_x, p)`` and
    ``(h_y, w_y, q)``, and a merge passes a ``to_problems`` map that takes a
    difference of mean maps to the products' coordinates (its DFT at the
    solved frequencies). Arrays are NumPy, or of another Array API
    namespace and on its device.

    Attributes
    ----------
    n_samples : int
    x_mean : ndarray of shape (p,) or (h_x, w_x, p)
        The mean of ``X``; with a problem axis, its mean map.
    y_mean : ndarray of shape (q,) or (h_y, w_y, q)
    cxx : ndarray of shape ([n_problems,] p, p)
        ``Σ (x - x_mean)(x - x_mean)ᴴ`` over samples (per problem).
    cyy : ndarray of shape ([n_problems,] q, q)
    cxy : ndarray of shape ([n_problems,] p, q)
    x_sumsq : ndarray of shape (p,) or None, default=None
        The uncentered sum of squares ``Σ x²`` of each column (channel, over
        samples and positions): the magnitude its rounding is relative to.
        None where it is derived from the diagonal of ``cxx`` and the mean
        (the dense estimators).
    y_sumsq : ndarray of shape (q,) or None, default=None
    """

    n_samples: int
    x_mean: np.ndarray
    y_mean: np.ndarray
    cxx: np.ndarray
    cyy: np.ndarray
    cxy: np.ndarray
    x_sumsq: np.ndarray | None = None
    y_sumsq: np.ndarray | None = None


def compute_moments(X, Y, *, block_rows=None, into=None):
    """Centered cross-products of two views, accumulated in float64.

    The means are computed first; each block of rows is then centered into
    a float64 buffer (reused from block to block) and its products are
    added in place to the accumulators: SYRK for the diagonal blocks, GEMM
    for ``XᵀY``, both with ``beta=1``, so no ``(p, q)`` temporary is made.
    Because the mean is itself rounded, the residual first moment ``s = Σ (x
    - μ)`` is accumulated too and removed at the end (``C ← C - s sᵀ / n``,
    ``μ ← μ + s / n``): this makes the cross-product of an exactly constant
    column vanish to rounding of rounding, which is what lets
    :func:`nonconstant_columns` use a tight threshold.

    Parameters
    ----------
    X : array of shape (n_samples, p)
        A NumPy array, or an array of another Array API namespace: the work
        then runs in that namespace, on the array's device.
    Y : array of shape (n_samples, q)
    block_rows : int, default=None
        Rows per block; by default chosen so that a block of both views holds
        about four million float64 values.
    into : Moments, default=None
        Moments of other samples to add these to, as :func:`merge_moments`
        would; for NumPy input in place: its matrices are updated and reused
        (the caller must own them), and the batch's products are never
        formed on their own.

    Returns
    -------
    moments : Moments
        Arrays of ``X``'s namespace, on its device, in float64; on a device
        without float64 (Apple MPS) NumPy float64 arrays on the host, where
        the decompositions then run (see :func:`_namespace_moments`).
    """
    if _array_api.is_foreign(X):
        if block_rows is None:
            block_rows = max(256, _BLOCK_ELEMENTS // max(1, X.shape[1] + Y.shape[1]))
        batch = _namespace_moments(X, Y, block_rows=block_rows)
        return batch if into is None else merge_moments(into, batch)
    means = (
        np.mean(X, axis=0, dtype=np.float64),
        np.mean(Y, axis=0, dtype=np.float64),
    )
    n = X.shape[0]
    if into is None or into.n_samples == 0:
        into, n_a, old = None, 0, means
        products = None
    else:
        n_a, old = into.n_samples, (into.x_mean, into.y_mean)
        products = [into.cxx, into.cyy, into.cxy]
    products, new_means = _centered_products(
        (X, Y),
        means,
        ((0, 0), (1, 1), (0, 1)),
        block_rows,
        products=products,
        merge=(n_a, old),
    )
    return Moments(n_a + n, *new_means, *products)


def _namespace_moments(X, Y, *, block_rows):
    """:func:`compute_moments` for an array of another Array API namespace.

    The general case, written once against the namespace: blocks copied to
    the accumulation dtype, centered at a first estimate of the mean, the
    residual first moment removed at the end. The means are accumulated
    block by block too, so that no full-size copy of the data is made on
    the device. NumPy input takes the in-place BLAS kernel instead
    (measured faster there).

    The moments stay on the device in float64. A device without float64
    (Apple MPS) accumulates in float32 and finishes on the host in float64:
    the one place where the solve leaves the device.
    """
    xp, device = _array_api.namespace(X)
    Y = _array_api.move_like(Y, X)
    acc = _array_api.float_dtype(xp, device)
    n, p = X.shape
    q = Y.shape[1]

    def blocks():
        for start in range(0, n, block_rows):
            stop = min(start + block_rows, n)
            yield (
                xp.astype(X[start:stop, ...], acc, copy=True),
                xp.astype(Y[start:stop, ...], acc, copy=True),
            )

    x_mean = xp.zeros((p,), dtype=acc, device=device)
    y_mean = xp.zeros((q,), dtype=acc, device=device)
    for xb, yb in blocks():
        x_mean += xp.sum(xb, axis=0)
        y_mean += xp.sum(yb, axis=0)
    x_mean /= n
    y_mean /= n
    cxx = xp.zeros((p, p), dtype=acc, device=device)
    cyy = xp.zeros((q, q), dtype=acc, device=device)
    cxy = xp.zeros((p, q), dtype=acc, device=device)
    sx = xp.zeros((p,), dtype=acc, device=device)
    sy = xp.zeros((q,), dtype=acc, device=device)
    for xb, yb in blocks():
        xb -= x_mean
        yb -= y_mean
        cxx += xb.T @ xb
        cyy += yb.T @ yb
        cxy += xb.T @ yb
        sx += xp.sum(xb, axis=0)
        sy += xp.sum(yb, axis=0)
    stats = (x_mean, y_mean, cxx, cyy, cxy, sx, sy)
    if acc != xp.float64:
        stats = [_array_api.to_numpy(a).astype(np.float64) for a in stats]
    x_mean, y_mean, cxx, cyy, cxy, sx, sy = stats
    return Moments(
        n,
        x_mean + sx / n,
        y_mean + sy / n,
        cxx - outer(sx, sx) / n,
        cyy - outer(sy, sy) / n,
        cxy - outer(sx, sy) / n,
    )


def host_moments(moments):
    """``moments`` (any NamedTuple of statistics) with its arrays on the host.

    For the measures that finish on the host (debiased, RBF CKA): NumPy arrays
    pass unchanged, other namespaces' arrays are copied as NumPy.
    """
    return type(moments)(
        *(_array_api.to_numpy(a) if _array_api.is_foreign(a) else a for a in moments)
    )


def view_moments(X, *, block_rows=None):
    """Mean and centered cross-products of one view, as :func:`compute_moments`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, p)
    block_rows : int, default=None

    Returns
    -------
    mean : ndarray of shape (p,)
    c : ndarray of shape (p, p)
        ``Σ (x - mean)(x - mean)ᵀ``, the ``cxx`` of :func:`compute_moments`.
    """
    mean = np.mean(X, axis=0, dtype=np.float64)
    (c,), (mean,) = _centered_products((X,), (mean,), ((0, 0),), block_rows)
    return mean, c


def cross_products(X, Y, x_mean, y_mean, *, block_rows=None):
    """Centered cross-products ``Σ (x - x_mean)(y - y_mean)ᵀ`` of two views.

    The ``cxy`` of :func:`compute_moments` for views whose means (and own
    cross-products, :func:`view_moments`) are already known: one GEMM, the
    only per-pair work when many pairs of views share their decompositions.

    Parameters
    ----------
    X : ndarray of shape (n_samples, p)
    Y : ndarray of shape (n_samples, q)
    x_mean : ndarray of shape (p,)
    y_mean : ndarray of shape (q,)
    block_rows : int, default=None

    Returns
    -------
    cxy : ndarray of shape (p, q)
    """
    (cxy,), _ = _centered_products((X, Y), (x_mean, y_mean), ((0, 1),), block_rows)
    return cxy


def _centered_products(
    arrays, means, pairs, block_rows, *, products=None, merge=(0, None)
):
    """Blocked float64 products ``Aᵢᵀ Aⱼ`` of centered arrays, for (i, j) in pairs.

    The products are added in place to ``products`` (zeros when None).
    Returns them with the residual first moments ``sᵢ = Σ (aᵢ - meanᵢ)``
    removed (see :func:`compute_moments`), and the exact means
    ``meanᵢ + sᵢ / n``. With ``merge = (n_a, means_a)`` the products already
    hold the centered sums of ``n_a`` other samples with those means; the
    pairwise update of :func:`merge_moments` is then applied in place and
    the returned means are those of all the samples.
    """
    n = arrays[0].shape[0]
    if block_rows is None:
        width = sum(a.shape[1] for a in arrays)
        block_rows = max(256, _BLOCK_ELEMENTS // max(1, width))
    if products is None:
        # Fortran order: the layout BLAS writes in place.
        products = [
            np.zeros((arrays[i].shape[1], arrays[j].shape[1]), order="F")
            for i, j in pairs
        ]
    sums = [np.zeros(a.shape[1]) for a in arrays]
    # Overflow (activations near 1e154) is reported by the caller as a clear
    # error from the non-finite result, not as numpy's RuntimeWarnings.
    with np.errstate(over="ignore", invalid="ignore"):
        triangles = _accumulate_blocks(arrays, means, pairs, products, sums, block_rows)
        n_a, means_a = merge
        exact = [m + s / n for m, s in zip(means, sums, strict=True)]
        if n_a:
            # Chan et al.: C = C_a + C_b + (n_a n / (n_a + n)) δ δᵀ.
            deltas = [m - ma for m, ma in zip(exact, means_a, strict=True)]
            factor = n_a * n / (n_a + n)
            new_means = [
                ma + d * (n / (n_a + n)) for ma, d in zip(means_a, deltas, strict=True)
            ]
        for k, (out, (i, j)) in enumerate(zip(products, pairs, strict=True)):
            _rank_one_into(out, -1.0 / n, sums[i], sums[j], triangles[k])
            if n_a:
                _rank_one_into(out, factor, deltas[i], deltas[j], triangles[k])
            if triangles[k] is not None:
                _mirror(out, triangles[k])
    return products, (new_means if n_a else exact)


def _fortran_view(out):
    """``(c, transposed)``: ``out`` or ``out.T``, whichever is Fortran-ordered."""
    if out.flags.f_contiguous:
        return out, False
    if out.flags.c_contiguous:
        return out.T, True
    return None, None


def _accumulate_blocks(arrays, means, pairs, products, sums, block_rows):
    """Add every block's centered products to ``products``, in place.

    Returns, per pair, the triangle (``"lower"``/``"upper"``, in NumPy
    indexing) that SYRK filled for a diagonal pair, or None (full).
    """
    n = arrays[0].shape[0]
    rows = min(block_rows, n)
    # One float64 buffer per array, reused by every block: centering writes
    # into it directly (one pass, converting float32 on the fly), and fresh
    # ~32 MiB buffers per block would cost page faults on every block.
    buffers = [np.empty((rows, a.shape[1])) for a in arrays]
    triangles = [None] * len(pairs)
    for start in range(0, n, block_rows):
        stop = min(start + block_rows, n)
        blocks = []
        for a, mean, s, buf in zip(arrays, means, sums, buffers, strict=True):
            b = buf[: stop - start]
            np.subtract(a[start:stop], mean, out=b)
            s += b.sum(axis=0)
            blocks.append(b)
        for k, (out, (i, j)) in enumerate(zip(products, pairs, strict=True)):
            triangles[k] = _product_into(out, blocks[i], blocks[j], same=i == j)
    return triangles


def _product_into(out, a, b, *, same):
    """``out += aᵀ b`` in place (``a``, ``b`` C-ordered blocks).

    With ``same``, SYRK fills one triangle only (half the flops); the
    triangle is returned, for :func:`_mirror`. ``a.T`` of a C-ordered block
    is the Fortran-ordered matrix BLAS reads without a copy.
    """
    c, transposed = _fortran_view(out)
    if c is None:  # pragma: no cover - our accumulators are contiguous
        out += a.T @ b
        return None
    if same:
        _dsyrk(1.0, a.T, beta=1.0, c=c, trans=0, lower=1, overwrite_c=1)
        # Lower in c's (Fortran) indexing is upper in out's when c = out.T.
        return "upper" if transposed else "lower"
    if transposed:
        _dgemm(1.0, b.T, a.T, trans_b=1, beta=1.0, c=c, overwrite_c=1)
    else:
        _dgemm(1.0, a.T, b.T, trans_b=1, beta=1.0, c=c, overwrite_c=1)
    return None


def _rank_one_into(out, alpha, x, y, triangle):
    """``out += alpha x yᵀ`` in place (on ``triangle`` only, when given)."""
    c, transposed = _fortran_view(out)
    if c is None:  # pragma: no cover - our accumulators are contiguous
        out += alpha * np.outer(x, y)
    elif triangle is not None:
        _dsyr(alpha, x, lower=1, a=c, overwrite_a=1)
    elif transposed:
        _dger(alpha, y, x, a=c, overwrite_a=1)
    else:
        _dger(alpha, x, y, a=c, overwrite_a=1)


def _mirror(out, triangle, tile=256):
    """Copy the filled ``triangle`` of a symmetric matrix onto the other.

    By square tiles: dense strided copies run about 3x faster than
    scattering the triangle through index arrays (measured at p = 1024),
    which matters when a ``partial_fit`` call is meant to cost about its
    batch's Gram products.
    """
    p = out.shape[0]
    for start in range(0, p, tile):
        stop = min(start + tile, p)
        diag = out[start:stop, start:stop]
        below = np.tri(stop - start, dtype=bool)
        if triangle == "lower":
            diag[...] = np.where(below, diag, diag.T)
            out[start:stop, stop:] = out[stop:, start:stop].T
        else:
            diag[...] = np.where(below, diag.T, diag)
            out[stop:, start:stop] = out[start:stop, stop:].T


class PairMoments(NamedTuple):
    """Moments of several views of the same samples, for chosen pairs.

    The statistics :func:`similarity_matrix <sklearn_svcca.similarity_matrix>`
    needs for many layers: each view's mean and, for each requested pair
    ``(i, j)`` (``(i, i)`` for a view's own Gram matrix), the centered
    cross-products. Arrays are NumPy or torch tensors (all on one device).

    Attributes
    ----------
    n_samples : int
    means : tuple of arrays of shape (p_i,)
    products : dict
        ``products[i, j] = Σ (a_i - μ_i)ᵀ (a_j - μ_j)``, shape ``(p_i, p_j)``.
    """

    n_samples: int
    means: tuple
    products: dict


def conj(a):
    """``ā`` in ``a``'s namespace (``a`` itself when real)."""
    xp, _ = namespace_of(a)
    return xp.conj(a) if xp.isdtype(a.dtype, "complex floating") else a


def outer(a, b):
    """``āᵀ b`` per problem: ``out[..., i, j] = conj(a[..., i]) b[..., j]``.

    Broadcasting rather than np.outer, so that torch tensors stay tensors
    (on their device); leading axes are problems (FourierCCA's frequencies).
    """
    return conj(a)[..., :, None] * b[..., None, :]


def pair_moments(arrays, pairs):
    """:class:`PairMoments` of one batch of float64 views.

    As :func:`compute_moments`: centered at the batch mean, with the
    residual first moment of the centering removed. Written with operators
    that NumPy arrays and torch tensors share, so that it runs on the
    tensors' device.

    Parameters
    ----------
    arrays : list of arrays of shape (n_samples, p_i)
        float64, all NumPy or all torch tensors on one device.
    pairs : iterable of (int, int)

    Returns
    -------
    moments : PairMoments
    """
    n = arrays[0].shape[0]
    means = [a.mean(axis=0) for a in arrays]
    centered = [a - m for a, m in zip(arrays, means, strict=True)]
    sums = [c.sum(axis=0) for c in centered]
    products = {
        (i, j): centered[i].T @ centered[j] - outer(sums[i], sums[j]) / n
        for i, j in pairs
    }
    means = tuple(m + s / n for m, s in zip(means, sums, strict=True))
    return PairMoments(n, means, products)


def merge_pair_moments(a, b, *, in_place=False, to_problems=None):
    """Combine the :class:`PairMoments` of two disjoint sets of samples.

    The pairwise update of Chan, Golub & LeVeque (1979): with
    ``δᵢ = μᵢ_b - μᵢ_a``, ``Cᵢⱼ = Cᵢⱼ_a + Cᵢⱼ_b + (n_a n_b / n) δ̄ᵢ δⱼᵀ``. It is
    exact in exact arithmetic and stable in floating point, unlike updating
    raw (uncentered) sums of squares. The one merge of the package: dense
    moments, the layer pairs of ``similarity_matrix`` and FourierCCA's
    per-frequency moments all go through it. NumPy or torch, as
    :func:`pair_moments`. ``in_place=True`` updates ``a``'s products
    instead of allocating new ones (a running total that nothing else
    holds).

    Parameters
    ----------
    a, b : PairMoments
    in_place : bool, default=False
    to_problems : callable, default=None
        ``to_problems(i, δᵢ)``: view ``i``'s difference of means in the
        coordinates of its products, with a leading problem axis
        (FourierCCA: the DFT of the difference of the mean maps at the
        solved frequencies, complex, hence the conjugate above); None: the
        means are those coordinates.

    Returns
    -------
    moments : PairMoments
    """
    if a.n_samples == 0:
        return b
    if b.n_samples == 0:
        return a
    # Overflow is reported by the estimator from the non-finite result.
    with np.errstate(over="ignore", invalid="ignore"):
        n = a.n_samples + b.n_samples
        deltas = [mb - ma for ma, mb in zip(a.means, b.means, strict=True)]
        f = a.n_samples * b.n_samples / n
        means = tuple(
            m + d * (b.n_samples / n) for m, d in zip(a.means, deltas, strict=True)
        )
        if to_problems is not None:
            deltas = [to_problems(i, d) for i, d in enumerate(deltas)]
        if in_place:
            for (i, j), c in a.products.items():
                c += b.products[i, j]
                c += f * outer(deltas[i], deltas[j])
            return PairMoments(n, means, a.products)
        products = {
            (i, j): c + b.products[i, j] + f * outer(deltas[i], deltas[j])
            for (i, j), c in a.products.items()
        }
        return PairMoments(n, means, products)


def moments_of_pair(moments, i, j):
    """The :class:`Moments` of views ``i`` and ``j`` of a :class:`PairMoments`.

    ``(i, i)``, ``(j, j)`` and ``(i, j)`` or ``(j, i)`` must have been
    accumulated.
    """
    cxy = moments.products.get((i, j))
    if cxy is None:
        cxy = moments.products[j, i].T
    return Moments(
        moments.n_samples,
        moments.means[i],
        moments.means[j],
        moments.products[i, i],
        moments.products[j, j],
        cxy,
    )


def effective_samples(X, mean, sum_squares, *, block_rows=None):
    """How many samples carry each column's variance.

    With ``d = x - mean`` the participation ratio ``(Σ d²)² / Σ d⁴``: ``n``
    when every sample deviates equally, ``k`` for a unit active (equally) on
    ``k`` of ``n`` samples, ``n / 3`` for Gaussian data (``n`` over the
    kurtosis). Needs the data: fourth moments are not among the
    sufficient statistics that streaming keeps.

    Parameters
    ----------
    X : array of shape (n_samples, p)
        NumPy or another Array API namespace (the pass runs there).
    mean : ndarray of shape (p,)
    sum_squares : ndarray of shape (p,)
        ``Σ d²``, the diagonal of the centered cross-products, which the
        fit already has: only ``Σ d⁴`` is computed here (one pass).
    block_rows : int, default=None

    Returns
    -------
    n_eff : ndarray of shape (p,)
        ``inf`` for a column with no variation.
    """
    n = X.shape[0]
    if block_rows is None:
        block_rows = max(256, _BLOCK_ELEMENTS // max(1, X.shape[1]))
    # Per-column numbers: the host decides the threshold.
    mean, sum_squares = to_host(mean), to_host(sum_squares)
    # Standardised deviations e = d / σ have Σ e² = n, so n_eff = n² / Σ e⁴;
    # they cannot overflow when raised to the fourth power, which lets a
    # float32 view be processed in float32 (2.3x faster than float64 here,
    # and a 1e-7 relative error is immaterial to a threshold of 5).
    # np.where evaluates both branches: a sum of squares that rounding made
    # 0 or slightly negative (a constant column) must not warn.
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_std = np.where(sum_squares > 0, np.sqrt(n / sum_squares), 0.0)
    # float32 only where the scale factors fit in it (subnormal spreads
    # have inverse deviations beyond float32's range).
    xp, _ = namespace_of(X)
    small = X.dtype == xp.float32 and np.max(inv_std, initial=0.0) < 1e30
    if _array_api.is_foreign(X):
        s4 = _array_api.fourth_powers(
            X, mean, inv_std, block_rows=block_rows, low_precision=small
        )
    else:
        dtype = np.float32 if small else np.float64
        mean, inv_std = mean.astype(dtype), inv_std.astype(dtype)
        s4 = np.zeros(X.shape[1])
        for start in range(0, n, block_rows):
            e = np.subtract(X[start : start + block_rows], mean, dtype=dtype)
            e *= inv_std
            e *= e
            e *= e
            s4 += e.sum(axis=0, dtype=np.float64)
    n_eff = np.full(X.shape[1], np.inf)
    np.divide(float(n) * n, s4, out=n_eff, where=s4 > 0)
    return n_eff


def few_sample_columns(n_eff, n_samples):
    """Columns whose variance is carried by a handful of samples.

    A column is flagged when its :func:`effective_samples` is below
    ``FEW_SAMPLES`` (a ReLU unit active on 2 of 797 images has about 2) and
    below ``n_samples / 20``, so that small samples of ordinary data, whose
    heaviest column can reach ``n / 10``, are not flagged.

    Returns
    -------
    columns : ndarray of int
    """
    return np.flatnonzero(n_eff < min(FEW_SAMPLES, n_samples / 20))


def merge_moments(a, b, *, to_problems=None):
    """Combine the moments of two views over two disjoint sets of samples.

    :func:`merge_pair_moments` (Chan, Golub & LeVeque's pairwise update) for
    the two views; the uncentered sums of squares, where present, add.
    Computed in the moments' namespace, on their device; neither input is
    modified.

    Parameters
    ----------
    a, b : Moments
        Both with sums of squares, or both without.
    to_problems : callable, default=None
        See :func:`merge_pair_moments`: FourierCCA's maps a difference of
        mean maps to its DFT at the solved frequencies.

    Returns
    -------
    moments : Moments
    """
    if (a.x_sumsq is None) != (b.x_sumsq is None):
        with_sums = "a" if b.x_sumsq is None else "b"
        raise ValueError(
            f"merge_moments: only {with_sums} has sums of squares (x_sumsq, "
            "y_sumsq); merge moments computed by the same function "
            "(compute_moments, or FourierCCA's spectral_moments)."
        )
    if a.n_samples == 0:
        return b
    if b.n_samples == 0:
        return a

    def as_pairs(m):
        products = {(0, 0): m.cxx, (1, 1): m.cyy, (0, 1): m.cxy}
        return PairMoments(m.n_samples, (m.x_mean, m.y_mean), products)

    merged = merge_pair_moments(as_pairs(a), as_pairs(b), to_problems=to_problems)
    merged = moments_of_pair(merged, 0, 1)
    if a.x_sumsq is None:
        return merged
    # Overflowed statistics stay non-finite, and the estimator says so.
    with np.errstate(over="ignore", invalid="ignore"):
        return merged._replace(
            x_sumsq=a.x_sumsq + b.x_sumsq, y_sumsq=a.y_sumsq + b.y_sumsq
        )


def nonconstant_columns(c, mean, n_samples):
    """Indices of the columns that vary, from a cross-product matrix.

    A column is constant when its sum of squares is zero or its standard
    deviation is below ``CONSTANT_RTOL`` times its mean magnitude.

    Parameters
    ----------
    c : array of shape (p, p)
        Centered cross-products, in any namespace.
    mean : array of shape (p,)
    n_samples : int

    Returns
    -------
    columns : ndarray of int
        On the host (NumPy), whatever the namespace of ``c``.
    """
    xp, _ = namespace_of(c)
    ss = xp.linalg.diagonal(c)
    return np.flatnonzero(to_host(ss > n_samples * (CONSTANT_RTOL * xp.abs(mean)) ** 2))


@dataclass
class ViewBasis:
    """A rank-revealing decomposition of one view, in one problem or a stack.

    With ``Xk`` the kept (non-constant) columns of the centered view and
    ``D = diag(scale)``, the decomposition is ``Xk D⁻¹ = B S Vᴴ`` with ``B``
    orthonormal, cut to the numerical rank ``r``. The one type of both
    engines: a dense fit is **one problem**, whose factors are 2-D,
    restricted to the kept ``columns`` (cheaper with many dead neurons) and
    cut to ``r`` directions; FourierCCA's frequencies are **a stack**, whose
    factors have a leading problem axis and every column, the dropped ones
    masked by ``keep``, and ``m`` directions per problem, those beyond the
    problem's rank having a singular value of 0 (so that the stack stays
    rectangular). One problem stays 2-D so that NumPy keeps SciPy's drivers
    (``syevd``, ``gesdd``) and their numbers.

    The matrices and the vectors they are made of (``scale``, ``V``, ``s``,
    ``Q``, ``U``, ``s_white``) are in the namespace of the view's moments,
    on their device; ``columns``, ``rank``, ``numerical_rank`` and
    ``unresolved``, which drive decisions, are NumPy (host).

    Attributes
    ----------
    columns : ndarray of int, shape (m,), or None
        One problem: kept columns of the original view. None for a stack.
    keep : array of bool, shape (n_problems, m), or None
        A stack: the columns that vary in each problem. None for one problem.
    scale : array of shape (..., m)
        Column scaling ``D`` (ones when the view is not scaled, 1 for
        dropped columns).
    V : array of shape (..., m, r)
        Right singular vectors (``r = m`` for a stack).
    s : array of shape (..., r)
        Singular values of the scaled view, descending; 0 beyond a stacked
        problem's rank.
    spectrum : array of shape (..., m)
        All squared singular values before the rank cut (descending, clipped
        at zero), for explained-variance ratios and conditioning checks. On
        the host for one problem (they decide ``svd_dims``); in the
        namespace of the factors for a stack (only the decisions drawn from
        them come to the host).
    rank : int or ndarray of int, shape (n_problems,)
        Directions kept (per problem).
    Q, U : array or None
        On the QR route, ``B = Q U`` explicitly (``Q`` is ``n × m`` per
        problem, ``U``'s columns beyond the rank are 0); on the Gram route
        both are None and ``B`` is never formed.
    s_white : array of shape (..., r) or None
        Whitening scale when it differs from ``s`` (shrinkage applied after
        the decomposition, as SVCCA's ``reg`` does); None means ``s``.
    numerical_rank : int or ndarray of int
        Rank before any truncation (``rank`` at construction).
    factors_data : bool
        Whether ``B S Vᴴ D`` is the view itself (to the rank cut), so that
        inner products with the view's columns can be read off the factors;
        False for a shrunk Gram basis, whose ``s`` are not the view's
        singular values.
    unresolved : int or ndarray of int
        Directions the Gram route cut although they may be real: their
        eigenvalues are below what it resolves but above both the level an
        exact linear dependency rounds to and the data's noise floor. Only
        the data (the QR route) can decide them.
    """

    scale: object
    V: object
    s: object
    spectrum: object
    columns: np.ndarray | None = None
    keep: object = None
    rank: int | np.ndarray | None = None
    Q: object = None
    U: object = None
    s_white: object = None
    numerical_rank: int | np.ndarray | None = None
    factors_data: bool = True
    unresolved: int | np.ndarray = 0

    def __post_init__(self):
        if self.rank is None:
            self.rank = self.s.shape[-1]
        if self.numerical_rank is None:
            self.numerical_rank = self.rank

    @property
    def stacked(self):
        return self.keep is not None

    def whitener(self):
        """``W = D⁻¹ V S_w⁻¹``; with no shrinkage ``(Xk W)ᴴ (Xk W) = I``.

        Columns beyond a problem's rank (``s = 0``) and rows of dropped
        columns are exactly zero.
        """
        xp, _ = namespace_of(self.V)
        s = self.s if self.s_white is None else self.s_white
        positive = s > 0
        W = self.V / xp.where(positive, s, xp.ones_like(s))[..., None, :]
        W = xp.where(positive[..., None, :], W, xp.zeros_like(W))
        W = W / self.scale[..., :, None]
        if self.keep is not None:
            W = xp.where(self.keep[..., :, None], W, xp.zeros_like(W))
        return W

    def _result(self, per_problem):
        return per_problem if self.stacked else bool(per_problem)

    def needs_exact_route(self, k=None):
        """Whether the first ``k`` directions are too ill-conditioned for Gram.

        Looks at every eigenvalue of the kept columns up to ``k`` (all of
        them by default), including those that fell below the rank cut: an
        eigenvalue that is zero to working precision cannot be told apart
        from a small, real one, which only the data itself can settle. A
        bool for one problem, a host boolean array for a stack.
        """
        m = _host(_count(self.keep)) if self.stacked else self.spectrum.shape[-1]
        count = m if k is None else np.minimum(m, k)
        return self._result(_spans_beyond_rcond(self.spectrum, count))

    def ill_conditioned_kept(self):
        """Whether the *kept* directions (their ``s``, shrunk or truncated as
        the basis is) span more than ``1 / GRAM_RCOND`` in squared singular
        value. A bool for one problem, a host boolean array for a stack.
        """
        return self._result(_spans_beyond_rcond(self.s**2, self.rank))

    def with_problems(self, rows, other):
        """This stack with its problems ``rows`` (host ints) taken from ``other``.

        ``other`` is a stack of those problems alone (from the other
        route); the explicit ``Q``, ``U`` of a QR basis are not kept.
        """
        fields = ("scale", "V", "s", "spectrum", "rank", "numerical_rank", "unresolved")
        return replace(
            self,
            Q=None,
            U=None,
            **{
                f: replace_rows(getattr(self, f), rows, getattr(other, f))
                for f in fields
            },
        )

    def truncate(self, k):
        """Keep the top ``k`` directions."""
        rank = np.minimum(self.rank, k) if self.stacked else min(self.rank, k)
        return replace(
            self,
            V=self.V[..., :k],
            s=self.s[..., :k],
            U=None if self.U is None else self.U[..., :k],
            s_white=None if self.s_white is None else self.s_white[..., :k],
            rank=rank,
        )

    def shrink(self, reg):
        """Whiten with ``(1 - reg) s² + reg mean(s²)`` instead of ``s²``.

        The mean is over each problem's kept directions.
        """
        if reg == 0:
            return self
        xp, device = namespace_of(self.s)
        s2 = self.s**2
        count = self.rank
        if self.stacked:
            count = xp.asarray(self.rank[:, None], dtype=s2.dtype, device=device)
        mean = xp.sum(s2, axis=-1, keepdims=True) / count
        s_white = xp.sqrt((1.0 - reg) * s2 + reg * mean)
        return replace(self, s_white=xp.where(self.s > 0, s_white, 0.0))


def _spans_beyond_rcond(values, count):
    """Whether the first ``count`` (host) of the descending ``values`` (per
    problem, last axis) span more than ``1 / GRAM_RCOND``.

    Decided in ``values``' namespace; only the booleans come to the host.
    """
    if values.shape[-1] == 0:
        return np.zeros(values.shape[:-1], dtype=bool)
    xp, device = namespace_of(values)
    count = np.asarray(count)
    index = xp.asarray(np.maximum(count - 1, 0)[..., None], device=device)
    last = xp.take_along_axis(values, index, axis=-1)[..., 0]
    return (count > 0) & _host(last < GRAM_RCOND * values[..., 0])


def _cut_basis(
    scale,
    V,
    s,
    spectrum,
    above,
    *,
    columns=None,
    keep=None,
    Q=None,
    U=None,
    unresolved=None,
):
    """The :class:`ViewBasis` of a decomposition's directions above the cut.

    ``above`` is the rank cut's mask over the descending singular values
    (``unresolved``, the Gram route's, a mask like it). One problem
    (``keep`` None, ``above`` on the host: a prefix) is cut to its ``r``
    directions; a stack keeps ``m`` per problem with zero singular values,
    and zero columns of ``U``, beyond each problem's rank.
    """
    if keep is None:
        r = int(np.count_nonzero(above))
        return ViewBasis(
            scale,
            V[:, :r],
            s[:r],
            spectrum,
            columns=columns,
            rank=r,
            Q=Q,
            U=None if U is None else U[:, :r],
            unresolved=0 if unresolved is None else int(np.count_nonzero(unresolved)),
        )
    xp = _ns(s)
    rank = _host(_count(above))
    return ViewBasis(
        scale,
        V,
        xp.where(above, s, 0.0),
        spectrum,
        keep=keep,
        rank=rank,
        Q=Q,
        U=None if U is None else xp.where(above[:, None, :], U, 0.0),
        unresolved=(
            np.zeros_like(rank) if unresolved is None else _host(_count(unresolved))
        ),
    )


def input_eps(A):
    """Relative precision of the values stored in ``A``.

    The machine epsilon of its floating dtype (float32: 1.2e-7; float16 and
    bfloat16 coarser), at least float64's: the precision the data were
    recorded in, whatever they are converted to for the arithmetic. Taken
    from the caller's array before validation, which converts float16 to
    float64 exactly but cannot restore the lost digits.
    """
    if _array_api.is_foreign(A):
        xp, _ = _array_api.namespace(A)
        if not xp.isdtype(A.dtype, "real floating"):
            return EPS
        return max(float(xp.finfo(A.dtype).eps), EPS)
    dtype = getattr(A, "dtype", None)
    if dtype is None or not np.issubdtype(dtype, np.floating):
        return EPS
    return max(float(np.finfo(dtype).eps), EPS)


def noise_floor(energy, scale, n_samples, eps, keep=None):
    """Size of a view's rounding noise, in its decomposition's coordinates.

    Each stored activation is known to about ``eps`` relative to its own
    magnitude, so column ``j`` carries noise of norm about
    ``eps · sqrt(energy_j) / scale_j``, with ``energy_j`` its *uncentered*
    sum of squares: centering removes the mean, not the noise, so a neuron
    with a large mean and a small spread has few significant digits of
    variation. For independent rounding errors the spectral norm of the
    noise is about the root-mean-square column noise times
    ``1 + sqrt(m / n)``; twice that is the floor below which a singular
    value cannot be told from an exact linear dependency.

    Batched: the columns are the last axis, and any leading axes are
    problems, each with its own floor. In the namespace of ``energy``.

    Parameters
    ----------
    energy : array of shape (..., m)
        Uncentered sums of squares of the columns.
    scale : array of shape (..., m)
        Column scaling of the decomposition.
    n_samples : int
    eps : float
        See :func:`input_eps`.
    keep : array of bool, shape (..., m), default=None
        Columns that count (per problem); None: all of them. ``m`` is then
        the number of kept columns.

    Returns
    -------
    floor : array of shape (...)
        0 for a problem with no columns.
    """
    xp, _ = namespace_of(energy)
    eps, n_samples = float(eps), int(n_samples)
    col2 = eps**2 * energy / scale**2
    if keep is None:
        m = float(energy.shape[-1])
        total = xp.sum(col2, axis=-1)
        rms = xp.sqrt(total / max(m, 1.0))
    else:
        m = xp.astype(_count(keep), col2.dtype)
        total = xp.sum(xp.where(keep, col2, 0.0), axis=-1)
        rms = xp.sqrt(total / xp.clip(m, min=1.0))
    spread = np.sqrt(m / n_samples) if keep is None else xp.sqrt(m / n_samples)
    return 2.0 * rms * (1.0 + spread)


def gram_rank_cut(lam, m, n_samples, floor):
    """The Gram route's rank cut, per problem: which eigenvalues are kept.

    The Gram matrix resolves eigenvalues to about ``max(m, sqrt(n)) eps64
    λ_max`` (its formation and the eigensolver); an exact dependency (a
    duplicated neuron) rounds to below that. An eigenvalue is kept above
    the larger of 100 times that (a safety factor) and the square of the
    data's :func:`noise_floor`. Batched over leading axes, in the
    namespace of ``lam``.

    Parameters
    ----------
    lam : array of shape (..., m_max)
        Eigenvalues of the scaled Gram matrices, descending.
    m : int or array of shape (...)
        Number of columns of each problem.
    n_samples : int
    floor : float or array of shape (...)
        :func:`noise_floor` of each problem.

    Returns
    -------
    above : array of bool, shape (..., m_max)
        The eigenvalues kept.
    unresolved : array of bool, shape (..., m_max)
        Eigenvalues cut although they may be real (see
        :attr:`ViewBasis.unresolved`): below what the route resolves but
        above both an exact dependency's rounding and the noise floor.
    """
    xp, _ = namespace_of(lam)
    if lam.shape[-1] == 0:
        return lam > 0, lam > 0
    resolved = lam[..., 0] * xp.clip(m, min=float(np.sqrt(n_samples))) * _EPS
    floor2 = floor**2
    above = lam > xp.maximum(100.0 * resolved, floor2)[..., None]
    unresolved = ~above & (lam > xp.maximum(resolved, floor2)[..., None])
    return above, unresolved


def qr_rank_cut(s, m, n_samples, floor):
    """The QR route's rank cut, per problem: which singular values are kept.

    A singular value is kept above the larger of numpy's ``matrix_rank``
    tolerance (``s_max max(n, m) eps64``: what the factorisation resolves)
    and the data's own :func:`noise_floor`. Batched as
    :func:`gram_rank_cut`.

    Parameters
    ----------
    s : array of shape (..., k)
        Singular values of the scaled data, descending.
    m : int or array of shape (...)
        Number of columns of each problem.
    n_samples : int
    floor : float or array of shape (...)

    Returns
    -------
    above : array of bool, shape (..., k)
    """
    xp, _ = namespace_of(s)
    if s.shape[-1] == 0:
        return s > 0
    tol = s[..., 0] * xp.clip(m, min=float(n_samples)) * _EPS
    return s > xp.maximum(tol, floor)[..., None]


def column_scale(ref, keep=None):
    """Column scaling of a decomposition: ``sqrt(ref)``, 1 outside ``keep``.

    ``ref`` is the squared magnitude each column's rounding is relative to
    (its uncentered sum of squares, see :func:`gram_basis`); batched over
    leading axes, in ``ref``'s namespace.
    """
    xp, _ = namespace_of(ref)
    if keep is None:
        return xp.sqrt(ref)
    return xp.where(keep, xp.sqrt(xp.where(keep, ref, 1.0)), 1.0)


def gram_eigen(c, ref, n_samples, eps, *, scale=True, keep=None):
    """The Gram route's decomposition and rank cut, written once.

    The symmetric (Hermitian) eigendecomposition of the column-scaled Gram
    matrix ``D⁻¹ C D⁻¹`` with :func:`noise_floor` and :func:`gram_rank_cut`:
    the computation behind :func:`gram_basis`, for one problem (``c``
    restricted to its kept columns) or a stack (the dropped columns of each
    problem masked by ``keep``). In
    ``c``'s namespace, on its device; the exactly real problems of a
    complex stack in real arithmetic.

    Parameters
    ----------
    c : array of shape (m, m) or (n_problems, m, m)
        Centered cross-products of the columns.
    ref : array of shape (m,) or (n_problems, m)
        Squared magnitude each column's rounding is relative to.
    n_samples : int
    eps : float
        Relative precision of the stored data (:func:`input_eps`).
    scale : bool, default=True
        Scale the columns by ``sqrt(ref)`` (see :func:`gram_basis`).
    keep : array of bool, shape (n_problems, m), default=None
        Columns that count in each problem (a stack); None: all.

    Returns
    -------
    d : array of shape (..., m)
        Column scaling.
    lam : array of shape (..., m)
        Eigenvalues, descending.
    V : array of shape (..., m, m)
        Eigenvectors, in the same order.
    above, unresolved : array of bool, shape (..., m)
        :func:`gram_rank_cut`'s masks; for one problem (``keep=None``) on
        the host, decided from its ``m`` eigenvalues.
    """
    xp, device = namespace_of(c)
    if not scale:
        d = xp.ones(ref.shape, dtype=ref.dtype, device=device)
    else:
        d = column_scale(ref, keep)
    g = c / xp.astype(outer(d, d), c.dtype, copy=False)
    if keep is None:
        lam, V = eigh(g)
    else:
        g = xp.where(keep[:, :, None] & keep[:, None, :], g, 0.0)
        lam, V = _by_realness(eigh, (g,), complex_outputs=(1,))
    lam = xp.flip(lam, axis=-1)
    V = xp.flip(V, axis=-1)
    if keep is None:
        # One problem: its m eigenvalues decide, on the host.
        lam_c, ref_c, d_c, m = to_host(lam), to_host(ref), to_host(d), c.shape[-1]
    else:
        lam_c, ref_c, d_c = lam, ref, d
        m = xp.astype(_count(keep), lam.dtype)
    floor = noise_floor(ref_c, d_c, n_samples, eps, keep=keep)
    above, unresolved = gram_rank_cut(lam_c, m, n_samples, floor)
    return d, lam, V, above, unresolved


def gram_basis(
    c,
    *,
    n_samples,
    columns=None,
    keep=None,
    scale=True,
    reg=0.0,
    mean=None,
    energy=None,
    eps=EPS,
):
    """Decompose a view from its cross-product matrix (symmetric eigensolver).

    The Gram route of both engines: one problem (``c`` 2-D, restricted to
    ``columns``) or a stack (``c`` with a leading problem axis, the dropped
    columns of each problem masked by ``keep``), decomposed by
    :func:`gram_eigen` in ``c``'s namespace, on its device.

    Parameters
    ----------
    c : array of shape (p, p) or (n_problems, m, m)
        Centered cross-products of the whole view (Hermitian).
    n_samples : int
    columns : ndarray of int, default=None
        One problem: the non-constant columns to use (None: all).
    keep : array of bool, shape (n_problems, m), default=None
        A stack: the columns that vary in each problem (same namespace and
        device as ``c``).
    scale : bool, default=True
        Scale each column by its uncentered norm first. CCA is invariant to
        it; afterwards every column carries rounding noise of the same
        relative size, so one rank tolerance fits all neurons whatever their
        units and offsets, and the eigenproblem is well scaled (Jacobi
        preconditioning). SVCCA's SVD step is not scale-invariant, so it
        passes False.
    reg : float, default=0.0
        Shrinkage (one problem): the covariance becomes
        ``(1 - reg) Σ + reg (tr Σ / m) I``, restricted to the view's column
        space (the numerical rank is decided on the unshrunk matrix).
    mean : array of shape (p,), default=None
        Column means of the whole view (None: the data were centered). With
        the centered sums of squares they give each column's uncentered
        magnitude, which its rounding noise is relative to.
    energy : array of shape (m,) or (n_problems, m), default=None
        That squared magnitude itself, where the diagonal and the mean do
        not give it (for DFT coefficients, the channel's spatial sum of
        squares, by Parseval). Overrides ``mean``.
    eps : float, default=float64's epsilon
        Relative precision of the stored data (:func:`input_eps`).

    Returns
    -------
    basis : ViewBasis

    Notes
    -----
    An eigenvalue is dropped when it is below the larger of what the Gram
    route can resolve (``100 max(m, sqrt(n)) eps64 λ_max``: its formation
    and the eigensolver) and the square of the data's own
    :func:`noise_floor`.
    """
    xp, device = namespace_of(c)
    if columns is not None:
        c = _submatrix(c, columns, columns)
    # A new array, not a view of c's diagonal (real: compat's and
    # FourierCCA's Hermitian cross-products).
    ref = _real_part(xp.linalg.diagonal(c)) + 0.0
    if energy is not None:
        if columns is not None:
            energy = _array_api.take(energy, columns, axis=0)
        ref = xp.broadcast_to(energy, ref.shape)
    elif mean is not None:
        if columns is not None:
            mean = _array_api.take(mean, columns, axis=0)
        ref = ref + n_samples * mean**2
    d, lam, V, above, unresolved = gram_eigen(
        c, ref, n_samples, eps, scale=scale, keep=keep
    )
    if keep is None:
        spectrum = np.clip(to_host(lam), 0.0, None)
    else:
        spectrum = xp.clip(lam, min=0.0)
    if reg > 0:
        if keep is not None:
            raise ValueError("Shrinkage (reg > 0) is defined for one problem.")
        # Shrink within the column space. A direction's component in the
        # null space of C adds nothing to any covariance with y and, being
        # orthogonal to the column space in the original coordinates, only
        # spends the constraint budget: the shrunk optimum never has one,
        # and keeping it would add variates made of rounding noise. The
        # scaled eigenvectors decide the rank (scale-invariantly); D V spans
        # the column space in the original coordinates, where the shrinkage
        # is defined.
        m, r = c.shape[0], int(np.count_nonzero(above))
        B, _ = _array_api.qr(V[:, :r] * d[:, None])
        G = (1.0 - reg) * (B.T @ c @ B)
        shift = reg * float(xp.linalg.trace(c)) / m
        G = G + shift * xp.eye(r, dtype=G.dtype, device=device)
        mu, M = eigh(G)
        return ViewBasis(
            xp.ones(m, dtype=G.dtype, device=device),
            B @ xp.flip(M, axis=1),
            xp.sqrt(xp.flip(mu)),
            spectrum,
            columns=columns,
            factors_data=False,
            unresolved=int(np.count_nonzero(unresolved)),
        )
    s = xp.sqrt(xp.clip(lam, min=0.0))
    return _cut_basis(
        d, V, s, spectrum, above, columns=columns, keep=keep, unresolved=unresolved
    )


def qr_basis(
    X, mean=None, *, columns=None, keep=None, energy=None, scale=True, eps=None
):
    """Decompose a view from its data: Householder QR, then an SVD of ``R``.

    ``Xk D⁻¹ = Q R`` and ``R = U S Vᴴ`` give ``Xk D⁻¹ = (Q U) S Vᴴ``, the SVD
    of the view, with backward-stable singular values; the rank is then read
    off ``S`` (:func:`qr_decomposition`). Using ``Q`` alone as a basis would
    be wrong on rank-deficient data: its extra columns span rounding noise.
    The exact route of both engines, for one problem (``X`` 2-D, restricted
    to ``columns``) or a stack (a leading problem axis, the dropped columns
    masked by ``keep``).

    Parameters
    ----------
    X : array of shape (n_samples, p) or (n_problems, n_samples, m)
        For a non-NumPy Array API array the QR, the SVD of ``R`` and every
        factor stay in its namespace, on its device; only the singular
        values come to the host for the rank cut. Where the moments are on
        the host although ``X`` is not (a device without float64), ``X``
        comes to the host too. Never modified.
    mean : array of shape (p,), default=None
        In the namespace the view's moments are in (their dtype is the
        arithmetic's). None: the data's own mean, per problem.
    columns : ndarray of int, default=None
        One problem: the columns to use (None: all).
    keep : array of bool, shape (n_problems, m), default=None
        A stack: the columns that vary in each problem.
    energy : array of shape (m,) or (n_problems, m), default=None
        The squared magnitude each column's rounding is relative to (see
        :func:`gram_basis`); None: the column's uncentered sum of squares.
    scale : bool, default=True
        Scale each column by the root of its energy (see
        :func:`gram_basis`).
    eps : float, default=None
        Relative precision of the stored data; None: :func:`input_eps` of
        ``X``.

    Returns
    -------
    basis : ViewBasis

    Notes
    -----
    A singular value is dropped when it is below the larger of numpy's
    ``matrix_rank`` tolerance (``s_max max(n, m) eps64``: what the
    factorisation resolves) and the data's own :func:`noise_floor`.
    """
    n = X.shape[-2]
    if eps is None:
        eps = input_eps(X)
    if mean is not None and _array_api.is_foreign(X) != _array_api.is_foreign(mean):
        X = _array_api.move_like(X, mean)
    xp, device = namespace_of(X)
    if columns is not None:
        X = take(X, columns, axis=X.ndim - 1)
    # Our own copy, centered, scaled and factored in place.
    Zc = xp.astype(X, X.dtype if mean is None else mean.dtype, copy=True)
    if energy is None:
        energy = xp.linalg.vector_norm(Zc, axis=-2) ** 2
    elif columns is not None:
        energy = _array_api.take(energy, columns, axis=0)
    if mean is None:
        Zc -= xp.mean(Zc, axis=-2, keepdims=True)
    else:
        Zc -= mean if columns is None else _array_api.take(mean, columns, axis=0)
    positive = energy > 0
    if keep is not None:
        Zc *= xp.astype(keep, Zc.dtype)[:, None, :]
        positive = positive & keep
    ref = xp.broadcast_to(energy, (*Zc.shape[:-2], Zc.shape[-1]))
    d = column_scale(ref, positive) if scale else None
    Q, U, s, V, above = qr_decomposition(
        Zc, d, ref, n, eps, keep=keep, overwrite_a=True
    )
    if d is None:
        d = xp.ones(ref.shape, dtype=ref.dtype, device=device)
    spectrum = to_host(s) ** 2 if keep is None else s**2
    return _cut_basis(d, V, s, spectrum, above, columns=columns, keep=keep, Q=Q, U=U)


def qr_decomposition(Zc, d, ref, n_samples, eps, *, keep=None, overwrite_a=False):
    """The QR route's decomposition and rank cut, written once.

    ``Zc D⁻¹ = Q R`` (Householder) and ``R = U S Vᴴ`` give the SVD
    ``Zc D⁻¹ = (Q U) S Vᴴ`` of the scaled data, with backward-stable singular
    values, cut by :func:`noise_floor` and :func:`qr_rank_cut`: the
    computation behind :func:`qr_basis`, for one problem (its kept
    centered columns) or a stack (whose dropped columns are zero and masked
    by ``keep``), as :func:`gram_eigen` is for
    the Gram route. In ``Zc``'s namespace, on its device; one problem stays
    2-D (NumPy: SciPy's QR and ``gesdd``), the exactly real problems of a
    complex stack are decomposed in real arithmetic.

    Parameters
    ----------
    Zc : array of shape (n_samples, m) or (n_problems, n_samples, m)
        Centered data.
    d : array of shape (m,) or (n_problems, m), or None
        Column scaling (no zeros); None: unscaled (SVCCA), without a pass
        over the data.
    ref : array of shape (m,) or (n_problems, m)
        Squared magnitude each column's rounding is relative to.
    n_samples : int
    eps : float
        Relative precision of the stored data (:func:`input_eps`).
    keep : array of bool, shape (n_problems, m), default=None
        Columns that count in each problem (a stack); None: all.
    overwrite_a : bool, default=False
        Scale and factor ``Zc`` in place (the caller's own copy).

    Returns
    -------
    Q : array of shape (..., n_samples, k)
        ``k = min(n_samples, m)``.
    U : array of shape (..., k, m)
        Left singular vectors of ``R``, zero-padded to ``m`` columns when
        ``n_samples < m`` (so that every problem has ``m`` directions).
    s : array of shape (..., m)
        Singular values, descending, zero-padded likewise.
    V : array of shape (..., m, m)
        Right singular vectors (``Vᴴ``'s conjugate transpose), padded.
    above : array of bool, shape (..., m)
        :func:`qr_rank_cut`'s mask (padded values are never kept); for one
        problem (``keep=None``) on the host, decided from its singular
        values.
    """
    xp, _ = namespace_of(Zc)
    m = Zc.shape[-1]
    if d is not None:
        dz = xp.astype(d, Zc.dtype, copy=False)
        dz = dz if keep is None else dz[:, None, :]
        if overwrite_a:
            Zc /= dz
        else:
            Zc = Zc / dz
    Q, R = _array_api.qr(Zc, overwrite_a=overwrite_a or d is not None)
    if keep is None:
        U, s, Vh = svd(R)
        Vh = xp.conj(Vh) if _is_complex(Vh) else Vh
        V = Vh.T
    else:
        U, s, Vh = stacked_svd(R)
        V = _array_api.conj_t(Vh)
    # With fewer samples than columns the factors are narrower than m: pad
    # them with zero directions so that every problem has m of them.
    s, U, V = _pad_columns(s, m), _pad_columns(U, m), _pad_columns(V, m)
    if d is None:
        d = xp.ones(ref.shape, dtype=ref.dtype, device=_array_api.namespace(ref)[1])
    if keep is None:
        # One problem: its singular values decide, on the host.
        floor = noise_floor(to_host(ref), to_host(d), n_samples, eps)
        above = qr_rank_cut(to_host(s), m, n_samples, floor)
    else:
        floor = noise_floor(ref, d, n_samples, eps, keep=keep)
        above = qr_rank_cut(s, xp.astype(_count(keep), s.dtype), n_samples, floor)
    return Q, U, s, V, above


# One definition of each decomposition, for every namespace (see _array_api).
svd = _array_api.svd
eigh = _array_api.eigh


class CanonicalPairs(NamedTuple):
    """What :func:`canonical_directions` returns.

    Attributes
    ----------
    rho : array of shape (..., k)
        Canonical correlations, descending, clipped to [0, 1], with
        ``k = min`` of the two bases' widths; 0 beyond a stacked problem's
        ``n_pairs``.
    A : array of shape (..., m_x, k)
    B : array of shape (..., m_y, k)
        Directions on the basis' columns (one problem: its kept columns)
        with ``(Xk A)ᴴ (Xk A) = I`` (unit norm, not yet unit variance) and
        ``(Xk A)ᴴ (Yk B) = diag(rho)`` on the actual pairs, zero columns
        beyond them.
    n_pairs : int or ndarray of int
        ``min(rank_x, rank_y)`` (per problem, host): the actual pairs.
    P, T : array of shape (..., r_x, k) and (..., r_y, k)
        The pairs' coefficients in each view's whitened basis (for
        :func:`variate_inner`).
    """

    rho: object
    A: object
    B: object
    n_pairs: object
    P: object
    T: object


def canonical_directions(bx, by, cxy=None):
    """Canonical correlations and directions of two decomposed views.

    The one solve of both engines, for one problem or a stack: the cross
    matrix of the two orthonormal bases, ``(Qx Ux)ᴴ (Qy Uy)`` on the QR
    route (the ``O(n m²)`` product runs where ``Q`` lives) or
    ``Wxᴴ Cxy Wy`` on the Gram route, whose singular values are the
    canonical correlations; one SVD (:func:`stacked_svd`: the exactly real
    problems of a complex stack in real arithmetic); the clip to [0, 1]; and
    the mask of a stack's padded pairs. Everything is in the namespace of
    the bases, on their device.

    Parameters
    ----------
    bx, by : ViewBasis
        Both one problem or both a stack; both from the QR route, or the
        Gram route.
    cxy : array of shape (..., p, q), default=None
        Centered cross-products between the whole views (Gram route).

    Returns
    -------
    pairs : CanonicalPairs
    """
    xp, device = namespace_of(bx.V)
    Wx, Wy = bx.whitener(), by.whitener()
    if bx.Q is not None and by.Q is not None:
        # Xk W = Q U S S_w⁻¹: the factor S S_w⁻¹ is 1 without shrinkage.
        ux = bx.U if bx.s_white is None else bx.U * (bx.s / bx.s_white)
        uy = by.U if by.s_white is None else by.U * (by.s / by.s_white)
        M = _array_api.conj_t(ux) @ (_array_api.conj_t(bx.Q) @ by.Q) @ uy
    else:
        if bx.columns is not None:
            cxy = _submatrix(cxy, bx.columns, by.columns)
        (M,) = _by_realness(_whitened_cross, (Wx, cxy, Wy), complex_outputs=(0,))
    P, rho, Th = stacked_svd(M)
    k = min(M.shape[-2:])
    P, rho, T = P[..., :k], rho[..., :k], _array_api.conj_t(Th[..., :k, :])
    A, B = Wx @ P, Wy @ T
    n_pairs = np.minimum(bx.rank, by.rank)
    if bx.stacked:
        valid = xp.asarray(np.arange(k)[None, :] < n_pairs[:, None], device=device)
        rho = xp.where(valid, rho, 0.0)
        A = xp.where(valid[:, None, :], A, 0.0)
        B = xp.where(valid[:, None, :], B, 0.0)
    else:
        n_pairs = int(n_pairs)
    return CanonicalPairs(xp.clip(rho, min=0.0, max=1.0), A, B, n_pairs, P, T)


def _whitened_cross(Wx, cxy, Wy):
    return (_array_api.conj_t(Wx) @ cxy @ Wy,)


def replace_rows(a, rows, values):
    """``a`` with its rows ``rows`` (host ints) replaced by ``values`` (a copy).

    In ``a``'s namespace: a gather for arrays of another namespace, which
    need not support assignment through an integer index.
    """
    if not _array_api.is_foreign(a):
        out = np.array(a, copy=True)
        out[rows] = values
        return out
    xp, _ = _array_api.namespace(a)
    index = np.arange(a.shape[0])
    index[rows] = a.shape[0] + np.arange(rows.shape[0])
    return _array_api.take(xp.concat([a, values], axis=0), index, axis=0)


def solve_on_routes(gram, exact, qr_bases, cxy=None):
    """The canonical pairs of one problem or a stack, each on its route.

    The one solve of every canonical estimator. The problems that the exact
    route decides are solved from their QR bases (:func:`qr_basis`), the
    others from their Gram bases (:func:`gram_basis`), both by
    :func:`canonical_directions`; in a stack the two results are merged
    problem by problem.

    Parameters
    ----------
    gram : pair of ViewBasis or None
        The Gram bases of both views, for every problem; None when every
        problem takes the exact route (``solver="qr"``).
    exact : bool or ndarray of bool, shape (n_problems,)
        Which problems the exact route decides (host).
    qr_bases : callable
        ``qr_bases(rows)``: the QR bases of both views for the exact
        problems only, ``rows`` their indices in a stack (None for one
        problem). Called only when some problem is exact.
    cxy : array of shape (..., p, q), default=None
        Centered cross-products between the views (Gram route).

    Returns
    -------
    pairs : CanonicalPairs
    bases : pair of ViewBasis
        The bases each problem was solved from: a stack's exact problems
        have their QR bases' rows (without the explicit ``Q``, ``U``).
    """
    if np.ndim(exact) == 0:
        bases = qr_bases(None) if exact else gram
        return canonical_directions(*bases, cxy), bases
    rows = np.flatnonzero(exact)
    if rows.size == 0:
        return canonical_directions(*gram, cxy), gram
    exact_bases = qr_bases(rows)
    exact_pairs = canonical_directions(*exact_bases)
    if rows.size == exact.shape[0]:
        return exact_pairs, exact_bases
    pairs = canonical_directions(*gram, cxy)
    merged = CanonicalPairs(
        *(replace_rows(a, rows, b) for a, b in zip(pairs, exact_pairs, strict=True))
    )
    bases = tuple(
        g.with_problems(rows, q) for g, q in zip(gram, exact_bases, strict=True)
    )
    return merged, bases


def variate_inner(basis, P, c):
    """``⟨h_i, x_j⟩`` for the variates ``h_i ∝ Xk W p_i`` and kept columns ``x_j``.

    PWCCA's weights. Through the directions this is ``Cₖ a_i / ‖Xk a_i‖``,
    but the directions of a near-collinear view are huge (``1 / s_min``) and
    ``Cₖ a_i`` cancels to a relative error of ``eps · cond``: 1e-2 on the
    weights when two neurons differ by 1e-8. The factors avoid it: with
    ``Xk = B S Vᵀ D`` the variates are ``B G`` with ``G = (S / S_w) P``, so
    ``Xkᵀ h_i = D V S g_i / ‖g_i‖``, a product of well-scaled factors.
    A shrunk Gram basis (``reg > 0``) does not factor the data; its
    directions are bounded by the shrinkage and ``Cₖ`` is used.

    Parameters
    ----------
    basis : ViewBasis
    P : ndarray of shape (r, k)
        Coefficients of the variates in the whitened basis.
    c : ndarray of shape (p, p)
        Centered cross-products of the whole view.

    Returns
    -------
    inner : ndarray of shape (len(basis.columns), k)
    """
    if not basis.factors_data:
        ck = _submatrix(c, basis.columns, basis.columns)
        return inner_from_moments(ck, basis.whitener() @ P)
    xp, _ = namespace_of(P)
    G = P if basis.s_white is None else P * (basis.s / basis.s_white)[:, None]
    norms = xp.linalg.vector_norm(G, axis=0)
    inner = ((basis.V * basis.s) * basis.scale[:, None]) @ G
    return inner / safe_divisor(norms)


def scatter_rows(a, rows, n_rows):
    """``a`` as rows ``rows`` (host ints) of ``(n_rows, a.shape[1])`` zeros.

    By one ``take`` from ``a`` with a zero row appended, in ``a``'s namespace
    (Array API arrays have no integer-array assignment).
    """
    xp, device = namespace_of(a)
    source = xp.concat([a, xp.zeros((1, a.shape[1]), dtype=a.dtype, device=device)])
    index = np.full(n_rows, a.shape[0])
    index[rows] = np.arange(a.shape[0])
    return _array_api.take(source, index, axis=0)


def n_svd_dims(spectrum, svd_dims, rank, n_samples=None):
    """How many leading singular directions SVCCA keeps.

    Parameters
    ----------
    spectrum : ndarray
        Squared singular values, descending.
    svd_dims : int, float or "mle"
        An int keeps that many; a float in (0, 1] keeps the fewest whose
        explained-variance ratio ``s² / Σ s²`` reaches it (PCA's rule);
        ``"mle"`` takes Minka's estimate (``PCA(n_components="mle")``).
    rank : int
        Numerical rank: never keep more directions than that.
    n_samples : int, default=None
        Number of samples, for ``"mle"``.

    Returns
    -------
    k : int
    """
    if isinstance(svd_dims, str):
        if rank < 2:
            return int(rank)
        from sklearn.decomposition._pca import _infer_dimension

        # Minka's evidence over the view's column space; its candidates are
        # 1 .. rank - 1.
        return int(_infer_dimension(spectrum[:rank] / (n_samples - 1), n_samples))
    if isinstance(svd_dims, (int, np.integer)):
        return int(min(svd_dims, rank))
    ratio = np.cumsum(spectrum) / np.sum(spectrum)
    # PCA: the number of components whose cumulated ratio first reaches the
    # threshold; searchsorted's side="right" makes an exact hit count.
    k = int(np.searchsorted(ratio, svd_dims, side="right")) + 1
    if k > 1 and np.isclose(ratio[k - 2], svd_dims, rtol=1e-12, atol=0):
        k -= 1
    return int(min(k, rank))


def pearson_columns(U, V, tol_u=0.0, tol_v=0.0):
    """Pearson correlation of matching columns of ``U`` and ``V``.

    A column whose centered norm is at most its tolerance is constant to
    working precision: its correlation is undefined and counts as 0 (no
    linear relationship can be seen), never NaN nor rounding noise. ``U``
    and ``V`` may live in another Array API namespace: everything runs
    there, and the result is an array of that namespace.

    Parameters
    ----------
    U, V : array of shape (n_samples, k)
    tol_u, tol_v : float or array of shape (k,), default=0.0
        Rounding level of each column (see :func:`projection_rounding`).

    Returns
    -------
    r : array of shape (k,)
    """
    xp, _ = namespace_of(U)
    U = U - xp.mean(U, axis=0)
    V = V - xp.mean(V, axis=0)
    return pearson_from_sums(
        _column_dots(U, V), _column_dots(U, U), _column_dots(V, V), tol_u, tol_v
    )


def projection_rounding(norm_x, W):
    """Rounding level of the columns of ``(X - m) @ W``, per column.

    Each entry of the product is a sum of ``p`` terms of size up to
    ``|x_j| |w_ij|``; its error is at most ``p eps`` times their magnitude
    (centering adds no more than the uncentered ``X`` bounds). Summed over
    samples: ``p eps ‖X‖_F ‖w_i‖``, with a safety factor of 10. ``norm_x``
    is ``‖X‖_F`` (a number, or per problem); ``W`` is ``(..., p, k)``. In
    the namespace of ``W``.
    """
    return 10.0 * W.shape[-2] * _EPS * norm_x * safe_norm(W, axis=W.ndim - 2)


def safe_norm(A, axis=None):
    """Euclidean norm (Frobenius for ``axis=None``) that cannot over/underflow.

    ``np.linalg.norm`` squares the entries: 0 for magnitudes below 1e-162,
    inf above 1e154, where the norm itself is representable (weights of
    activations near 1e-300 are near 1e300). Scaled by the largest entry, as
    LAPACK's nrm2 is. In ``A``'s namespace; the norm of a float32 array is
    float32 (it sets tolerances, not results).
    """
    if _array_api.is_foreign(A):
        xp, _ = _array_api.namespace(A)
        if 0 in A.shape:
            return xp.linalg.vector_norm(A, axis=axis)
        top = safe_divisor(xp.max(xp.abs(A), axis=axis, keepdims=True))
        out = xp.linalg.vector_norm(A / top, axis=axis, keepdims=True) * top
        return xp.reshape(out, ()) if axis is None else xp.squeeze(out, axis=axis)
    top = np.max(np.abs(A), axis=axis, keepdims=True) if A.size else np.zeros(1)
    top = np.where(top > 0, top, 1.0)
    with np.errstate(invalid="ignore"):
        out = np.linalg.norm(A / top, axis=axis, keepdims=True) * top
    return out.reshape(()) if axis is None else np.squeeze(out, axis=axis)


def projection_weights(inner):
    """PWCCA's weights from inner products of directions and neurons.

    Parameters
    ----------
    inner : ndarray of shape (n_neurons, k)
        ``⟨h_i, x_j⟩`` for unit-length canonical variates ``h_i`` and
        centered neurons ``x_j``.

    Returns
    -------
    alpha : array of shape (k,)
        ``α_i = Σ_j |⟨h_i, x_j⟩|``, normalised to sum to 1 (in the namespace
        of ``inner``).
    """
    xp, _ = namespace_of(inner)
    alpha = xp.sum(xp.abs(inner), axis=0)
    total = xp.sum(alpha)
    if not float(total) > 0:
        # Only possible when every canonical variate is constant on the data
        # at hand; uniform weights make PWCCA fall back to the plain mean.
        return xp.full_like(alpha, 1.0 / max(alpha.shape[0], 1))
    return alpha / total


def inner_from_moments(c, A):
    """``⟨h_i, x_j⟩`` from cross-products: ``C A / sqrt(diag(Aᵀ C A))``."""
    xp, _ = namespace_of(c)
    CA = c @ A
    norms = xp.sqrt(xp.clip(_column_dots(A, CA), 0.0, None))
    return CA / safe_divisor(norms)


def inner_from_data(Xc, H):
    """``⟨h_i, x_j⟩`` from centered data ``Xc`` and variates ``H``.

    ``H`` is centered here. Both in one namespace, where the ``O(n p k)``
    product runs and the result stays.
    """
    xp, _ = namespace_of(H)
    H = H - xp.mean(H, axis=0)
    norms = xp.linalg.vector_norm(H, axis=0)
    return Xc.T @ (H / safe_divisor(norms))


def variate_correlations(A, B, moments):
    """Pearson correlation of each pair of variates, from the moments.

    With ``u_i = (X - μx) a_i`` and ``v_i = (Y - μy) b_i`` over the samples
    the moments summarise: ``r_i = a_iᵀ Cxy b_i / (‖u_i‖ ‖v_i‖)`` with
    ``‖u_i‖² = a_iᵀ Cxx a_i``. A variate with no variation counts as
    uncorrelated (0), never NaN.

    Returns
    -------
    r : array of shape (k,)
        Clipped to [-1, 1]. In the namespace of the moments, as are:
    nx, ny : array of shape (k,)
        ``‖u_i‖`` and ``‖v_i‖``.
    """
    return pearson_from_sums(
        _column_dots(A, moments.cxy @ B),
        _column_dots(A, moments.cxx @ A),
        _column_dots(B, moments.cyy @ B),
        return_norms=True,
    )


def partial_whitener(columns, basis, alpha, *, like):
    """Williams et al.'s partial whitening of one view, on its kept columns.

    ``Z = α I + (1 - α) V S⁻¹ Vᵀ`` for the (unscaled) decomposition
    ``Xk = B S Vᵀ`` of the centered view, so that ``Xk Z = B (α S + (1 - α))
    Vᵀ + α (Xk - B S Vᵀ)``: the raw view at ``α = 1``, an orthonormal basis of
    its column space at ``α = 0`` (``basis`` is only read when ``α < 1``).
    This is netrep's ``whiten(X, alpha)`` with
    ``XᵀX`` the centered cross-products (not divided by ``n``), up to its
    variance-preserving rescaling, which no angle depends on; directions
    below the numerical rank get the weight ``α`` (netrep clips their
    eigenvalues to ``1e-7`` instead; the data have no component there).
    ``Z`` is made in the namespace, on the device and in the dtype of
    ``like`` (the view's cross-products), where the basis also lives.
    """
    xp, device = namespace_of(like)
    Z = xp.eye(columns.shape[0], dtype=like.dtype, device=device) * alpha
    if alpha < 1:
        Z = Z + (1.0 - alpha) * ((basis.V / basis.s) @ basis.V.T)
    return Z


def shape_alignment(zx, zy, moments, cols_x, cols_y):
    """Optimal orthogonal alignment of two partially whitened views.

    With ``Xw = Xk Zx`` and ``Yw = Yk Zy`` (kept columns, centered), the
    best rotation of one onto the other (zero-padding the narrower view) has
    ``cos θ = ‖Xwᵀ Yw‖_* / (‖Xw‖_F ‖Yw‖_F)``, the nuclear norm taken from the
    SVD ``Xwᵀ Yw = P Σ Tᵀ``; ``Xw P`` and ``Yw T`` are the aligned views.
    Everything comes from the cross-products, in their namespace and on
    their device; only the three numbers of ``cos`` come to the host.

    Returns
    -------
    cos : float
        In [0, 1].
    Wx : array of shape (p, m)
        Maps the centered ``X`` into the aligned space of dimension
        ``m = max(p, q)`` (columns past ``X``'s width are zero).
    Wy : array of shape (q, m)
    sigma : array of shape (min(len(cols_x), len(cols_y)),)
        Singular values of ``Xwᵀ Yw``, descending.
    """
    xp, device = namespace_of(moments.cxx)
    p, q = moments.cxx.shape[0], moments.cyy.shape[0]
    cxx = _submatrix(moments.cxx, cols_x, cols_x)
    cyy = _submatrix(moments.cyy, cols_y, cols_y)
    M = zx.T @ _submatrix(moments.cxy, cols_x, cols_y) @ zy
    nx = float(to_host(xp.sum(zx * (cxx @ zx))))
    ny = float(to_host(xp.sum(zy * (cyy @ zy))))
    P, sigma, Tt = svd(M, full_matrices=True)
    cos = float(np.clip(float(to_host(xp.sum(sigma))) / np.sqrt(nx * ny), 0.0, 1.0))
    k = sigma.shape[0]
    # Dropped (constant) neurons get zero rows.
    Wx = scatter_rows(zx @ _principal_rest(P, cxx, k), cols_x, p)
    Wy = scatter_rows(zy @ _principal_rest(Tt.T, cyy, k), cols_y, q)
    # scikit-learn's sign convention (svd_flip, as the estimators use):
    # paired directions flip together; the unpaired rest of the wider view
    # spans its complement, each with a sign of its own (largest-magnitude
    # entry positive). The rest is flipped alone, with an empty partner:
    # svd_flip flips in place, and passing the same memory as both u and v
    # (u.T) undid the flip, which left the unpaired columns of ``transform``
    # with the SVD's arbitrary signs until this was fixed.
    Ax, By = align_phases(Wx[:, :k], Wy[:, :k])
    m = max(p, q)
    Wx, Wy = (
        xp.concat(
            [
                paired,
                align_phases(W[:, k:], W[:0, k:])[0] if W.shape[1] > k else W[:, k:],
                xp.zeros((W.shape[0], m - W.shape[1]), dtype=W.dtype, device=device),
            ],
            axis=1,
        )
        for paired, W in ((Ax, Wx), (By, Wy))
    )
    return cos, Wx, Wy, sigma


# Eigenvalues of the unpaired directions' variances closer than this
# (relative to the largest) are a tie, broken by neuron order: see
# `_principal_rest`.
_TIE_RTOL = 1e-8


def _principal_rest(Q, c, k):
    """``Q`` (orthogonal) with its columns past ``k`` made a canonical basis.

    The unpaired columns of the wider view span the complement of the paired
    ones, in which the SVD returns *any* orthonormal basis: LAPACK builds
    (NumPy's, torch's, a GPU's) return different ones. Rotated to the
    principal axes of the kept columns' cross-products ``c`` within that
    span, in descending order of variance, they are the same everywhere up
    to sign (which ``svd_flip`` then fixes). Axes of tied variance (the
    directions the data have no component in, of dependent neurons, most
    often) are rotated within their tie to the principal axes of
    ``diag(1, 2, ...)``: ascending, the first leans most on the earliest
    neurons. This changed ``transform``'s unpaired columns when the solve
    moved to the input's device; the similarity does not depend on them.
    """
    rest = Q[:, k:]
    if rest.shape[1] < 2:
        return Q
    xp, device = namespace_of(Q)
    w, E = eigh(rest.T @ c @ rest)
    descending = np.arange(E.shape[1] - 1, -1, -1)
    rest = rest @ take(E, descending, axis=1)
    w = to_host(w)[descending]
    # Ties: runs of consecutive eigenvalues closer than _TIE_RTOL.
    gap = np.abs(np.diff(w)) > _TIE_RTOL * max(float(np.max(np.abs(w))), EPS)
    bounds = np.r_[0, np.flatnonzero(gap) + 1, w.shape[0]]
    order = xp.asarray(
        np.arange(1, rest.shape[0] + 1, dtype=np.float64), dtype=Q.dtype, device=device
    )
    parts = [Q[:, :k]]
    for start, stop in pairwise(bounds.tolist()):
        G = rest[:, start:stop]
        if G.shape[1] > 1:
            _, F = eigh((G * order[:, None]).T @ G)
            G = G @ F
        parts.append(G)
    return xp.concat(parts, axis=1)


# ---------------------------------------------------------------------------
# Stacked (batched) complex CCA.
#
# The functions below solve many small, independent CCA problems at once, one
# per leading index (FourierCCA has one per spatial frequency). They mirror the
# real, single-problem routines above -- the same column scaling, rank
# tolerances and exact-route criterion -- but work on complex Hermitian
# cross-products of shape (n_problems, p, p), so that every step is one call to
# a stacked routine instead of a Python loop. Ranks differ between problems; to
# keep fixed shapes, directions beyond a problem's rank are kept as zero
# columns ("masked") rather than dropped.
#
# They are written once against the Array API: the stacks stay in the
# namespace, and on the device, of their input (NumPy's stacked LAPACK
# routines for NumPy input, ``xp.linalg`` elsewhere: see ``_array_api.eigh``).
# Only what drives decisions -- a few integers or booleans per problem (ranks,
# route choices) -- comes to the host.


def _pad_columns(a, m):
    """``a`` (n_problems, ..., r) with ``m - r`` zero columns appended."""
    xp, device = _array_api.namespace(a)
    r = a.shape[-1]
    if r == m:
        return a
    zeros = xp.zeros((*a.shape[:-1], m - r), dtype=a.dtype, device=device)
    return xp.concat([a, zeros], axis=-1)


def _exactly_real(*arrays):
    """Per problem (leading axis): whether every array is exactly real there."""
    xp, device = _array_api.namespace(arrays[0])
    real = xp.ones(arrays[0].shape[0], dtype=xp.bool, device=device)
    for a in arrays:
        if _is_complex(a):
            real = real & xp.all(xp.imag(a) == 0, axis=tuple(range(1, a.ndim)))
    return real


def _by_realness(func, arrays, complex_outputs):
    """``func(*arrays)``, in real arithmetic on the exactly real problems.

    The DC and Nyquist frequencies of real maps are real problems, and so is
    every frequency of 1x1 maps (2-D input, where FourierCCA is CCA):
    complex arithmetic would cost them about four times the work. ``func``
    maps stacked arrays to a tuple of stacked arrays; the outputs listed in
    ``complex_outputs`` stay complex (directions), the others are real
    (eigenvalues, singular values). The problems are split with boolean
    indexing on the leading axis, in the arrays' namespace.
    """
    complex_dtypes = [a.dtype for a in arrays if _is_complex(a)]
    if not complex_dtypes or arrays[0].ndim < 3:
        # Real, or one problem (no problem axis to split).
        return func(*arrays)
    xp, device = _array_api.namespace(arrays[0])
    real = _exactly_real(*arrays)
    n_real = int(_host(xp.count_nonzero(real)))
    if n_real == 0:
        return func(*arrays)
    parts_real = func(*(_real_part(a[real]) for a in arrays))
    if n_real == real.shape[0]:
        return tuple(
            xp.astype(o, complex_dtypes[0]) if i in complex_outputs else o
            for i, o in enumerate(parts_real)
        )
    parts_complex = func(*(a[~real] for a in arrays))
    out = []
    for o_real, o_cplx in zip(parts_real, parts_complex, strict=True):
        full = xp.empty(
            (real.shape[0], *o_cplx.shape[1:]), dtype=o_cplx.dtype, device=device
        )
        full[real] = xp.astype(o_real, o_cplx.dtype)
        full[~real] = o_cplx
        out.append(full)
    return tuple(out)


def stacked_svd(a):
    """Thin SVD (:func:`svd`) of a matrix or a stack, in real arithmetic on
    the exactly real problems of a complex stack."""
    return _by_realness(svd, (a,), complex_outputs=(0, 2))


def align_phases(A, B):
    """Make the sign (real) or phase (complex) of paired directions deterministic.

    scikit-learn's convention, ``svd_flip`` on ``(A, Bᵀ)``: each column of
    ``A`` and the matching column of ``B`` are multiplied by the unit
    number that makes the entry of largest magnitude in the column of ``A``
    real and positive. Directions are defined up to such a common factor,
    which leaves the pair's correlation unchanged. One problem of real
    directions (the dense estimators) goes through scikit-learn's
    ``svd_flip`` itself; stacked or complex directions (FourierCCA) through
    the same rule written for a leading problem axis and complex phases,
    which on real problems is exactly ``svd_flip``.

    Parameters
    ----------
    A : array of shape (p, k) or (n_problems, p, k)
    B : array of shape (q, k) or (n_problems, q, k)

    Returns
    -------
    A, B : arrays
        In the namespace and on the device of ``A``. Real 2-D input may be
        flipped in place.
    """
    xp, _ = namespace_of(A)
    if A.ndim == 2 and not _is_complex(A):
        # svd_flip follows the Array API only while dispatch is on; a solve
        # deferred by partial_fit may run after the user's config_context
        # has closed, so it is switched on here for arrays of another
        # namespace.
        dispatch = _array_api.is_foreign(A)
        with config_context(array_api_dispatch=True) if dispatch else nullcontext():
            A, Bt = svd_flip(A, B.T)
        return A, Bt.T
    idx = xp.argmax(xp.abs(A), axis=-2)
    pivot = xp.take_along_axis(A, idx[..., None, :], axis=-2)[..., 0, :]
    mag = xp.abs(pivot)
    nonzero = mag > 0
    phase = xp.where(
        nonzero, pivot / xp.astype(xp.where(nonzero, mag, 1.0), pivot.dtype), 1.0
    )
    rot = (xp.conj(phase) if _is_complex(phase) else phase)[..., None, :]
    return A * rot, B * rot


def pearson_from_sums(sxy, sxx, syy, tol_u=0.0, tol_v=0.0, *, return_norms=False):
    """Correlations of pairs of variates from their centered sums, 0 where undefined.

    ``r = Re(sxy) / sqrt(sxx syy)``. For real variates ``u``, ``v`` this is
    their Pearson correlation; for complex ones with ``sxy = Σ ū v`` it is
    the Pearson correlation of the real vectors ``(Re u, Im u)`` and
    ``(Re v, Im v)``, so it is negative for opposed variates and near 0 for
    unrelated ones (the modulus would not be). A variate whose centered
    norm is at most its tolerance (or 0) is constant to working precision:
    its correlation is undefined and counts as 0 (no linear relationship
    can be seen), never NaN nor rounding noise. The one formula behind
    :func:`pearson_columns` (from data), :func:`variate_correlations` (from
    moments) and the score path's :func:`correlations_from_sums` (from
    merged :class:`ScoreSums`, FourierCCA's frequencies included); any
    leading axes are problems.

    Parameters
    ----------
    sxy : array of shape (..., k)
        ``Σ ū v`` over samples, centered.
    sxx, syy : array of shape (..., k)
        ``Σ |u|²`` and ``Σ |v|²``, centered.
    tol_u, tol_v : float or array of shape (..., k), default=0.0
        Rounding level of the norms of ``u`` and ``v`` (see
        :func:`projection_rounding`).
    return_norms : bool, default=False
        Also return the norms ``sqrt(sxx)`` and ``sqrt(syy)``.

    Returns
    -------
    r : array of shape (..., k)
        Clipped to [-1, 1], in the namespace and on the device of ``sxx``.
    nu, nv : array of shape (..., k)
        Only with ``return_norms``.
    """
    xp, _ = namespace_of(sxx)
    nu = xp.sqrt(xp.clip(sxx, min=0.0))
    nv = xp.sqrt(xp.clip(syy, min=0.0))
    den = nu * nv
    # den > 0 as well: two tiny norms whose product underflows.
    ok = (nu > tol_u) & (nv > tol_v) & (den > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = xp.where(ok, _real_part(sxy) / xp.where(ok, den, 1.0), 0.0)
    r = xp.clip(r, min=-1.0, max=1.0)
    return (r, nu, nv) if return_norms else r


# ---------------------------------------------------------------------------
# The score path: mergeable sums over held-out samples.
#
# Every estimator of the CCA family scores held-out data the same way: the
# samples are projected onto the fitted weights block by block, each block
# gives a ScoreSums, the sums are merged (Chan et al.) in any split, and
# correlations_from_sums turns the merged sums into the correlation of each
# canonical pair. In memory that is one block; on a device, blocks there;
# with Dask, a tree reduction of the chunks' sums. A leading batch axis holds
# FourierCCA's frequencies.


class ScoreSums(NamedTuple):
    """Sums over samples behind the held-out correlations of canonical pairs.

    ``u`` and ``v`` are the variates of the two views, ``(..., k)`` per
    sample (a leading batch axis for stacked problems); complex for
    FourierCCA. Centered sums are about the samples' own means, so merging
    sets of samples with large offsets cancels nothing.

    Attributes
    ----------
    n_samples : int
    u_mean, v_mean : array of shape (..., k)
        Means of the variates.
    suu, svv : array of shape (..., k)
        ``Σ |u - ū|²`` and ``Σ |v - v̄|²`` (real).
    suv : array of shape (..., k)
        ``Σ conj(u - ū) (v - v̄)``.
    x_norm, y_norm : float
        Root of the uncentered energy of each view (``‖X‖_F``; for maps, that
        of their spectra), which sets the rounding level of the variates.
    x_mean, y_mean : array of shape (p,) / (q,), or None
        Means of the neurons, where cross sums are kept.
    xu, yv : array of shape (p, k) / (q, k), or None
        ``Σ (x - x̄)(u - ū)`` (PWCCA's held-out inner products), where kept.
    """

    n_samples: int
    u_mean: object
    v_mean: object
    suu: object
    svv: object
    suv: object
    x_norm: float
    y_norm: float
    x_mean: object = None
    y_mean: object = None
    xu: object = None
    yv: object = None


def _sample_dots(A, B):
    """``Σ conj(A) B`` over the sample axis (-2), per column (and problem)."""
    xp, _ = namespace_of(A)
    if not _array_api.is_foreign(A):
        return np.einsum(
            "...ij,...ij->...j", np.conj(A) if A.dtype.kind == "c" else A, B
        )
    if xp.isdtype(A.dtype, "complex floating"):
        A = xp.conj(A)
    return xp.sum(A * B, axis=-2)


def _real_dots(A):
    """``Σ |A|²`` over the sample axis (-2), real."""
    xp, _ = namespace_of(A)
    s = _sample_dots(A, A)
    return xp.real(s) if xp.isdtype(s.dtype, "complex floating") else s


def variate_sums(U, V, *, u_shift, v_shift, x_norm, y_norm, cross_x=None, cross_y=None):
    """:class:`ScoreSums` of one block of variates.

    Parameters
    ----------
    U, V : array of shape (..., n_samples, k)
        Variates of the block's data centered at the block's means (their
        means are then rounding, removed here).
    u_shift, v_shift : array of shape (..., k)
        The block's means projected: ``u = U + u_shift``.
    x_norm, y_norm : float
        See :class:`ScoreSums`.
    cross_x, cross_y : (Xc, x_mean) or None
        The block's centered neurons and their mean, for the cross sums.
    """
    xp, _ = namespace_of(U)
    du, dv = xp.mean(U, axis=-2), xp.mean(V, axis=-2)
    U = U - du[..., None, :]
    V = V - dv[..., None, :]
    cross = []
    for pair, W in ((cross_x, U), (cross_y, V)):
        cross += [None, None] if pair is None else [pair[1], pair[0].T @ W]
    return ScoreSums(
        U.shape[-2],
        u_shift + du,
        v_shift + dv,
        _real_dots(U),
        _real_dots(V),
        _sample_dots(U, V),
        float(x_norm),
        float(y_norm),
        cross[0],
        cross[2],
        cross[1],
        cross[3],
    )


def _centered64(X):
    """``X`` in the accumulation dtype with its columns centered, and the means."""
    if _array_api.is_foreign(X):
        xp, device = _array_api.namespace(X)
        Xc = xp.astype(X, _array_api.float_dtype(xp, device), copy=True)
        mean = xp.mean(Xc, axis=0)
    else:
        Xc = X.astype(np.float64)
        mean = Xc.mean(axis=0)
    Xc -= mean
    return Xc, mean


def dense_score_sums(X, Y, x_weights, y_weights, *, cross=None):
    """:class:`ScoreSums` of one block of 2-D views, in their namespace.

    ``cross`` is None, ``"x"`` or ``"y"``: which view's cross sums to keep
    (PWCCA's held-out weights). A plain function of its arguments, so that
    Dask can run it on each chunk.
    """
    # Overflowing sums (activations near 1e200, unscaled) are refused by the
    # caller, which checks them: no RuntimeWarning from a worker.
    with np.errstate(over="ignore", invalid="ignore"):
        return _dense_score_sums(X, Y, x_weights, y_weights, cross)


def _dense_score_sums(X, Y, x_weights, y_weights, cross):
    Xc, x_mean = _centered64(X)
    Yc, y_mean = _centered64(Y)
    return variate_sums(
        Xc @ x_weights,
        Yc @ y_weights,
        u_shift=x_mean @ x_weights,
        v_shift=y_mean @ y_weights,
        x_norm=float(safe_norm(X)),
        y_norm=float(safe_norm(Y)),
        cross_x=(Xc, x_mean) if cross == "x" else None,
        cross_y=(Yc, y_mean) if cross == "y" else None,
    )


def sums_from_moments(
    n, cxx, cyy, cxy, A, B, *, x_norm, y_norm, shifts=None, means=None, cross=None
):
    """:class:`ScoreSums` of the samples that centered cross-products summarise.

    With ``u = (x - μx) A``: ``Σ conj(u) v = Σ_p conj(A) (Cxy B)``, and so on
    (stacked problems along a leading axis). ``shifts`` are the projected
    means (zeros when None: a single set of samples needs none); ``means``
    the neurons' means, with ``cross`` (None, "x" or "y") as in
    :func:`dense_score_sums`.
    """
    xp, _ = namespace_of(cxx)
    CA, CB = cxx @ A, cyy @ B
    suu, svv = _sample_dots(A, CA), _sample_dots(B, CB)
    if xp.isdtype(suu.dtype, "complex floating"):
        suu, svv = xp.real(suu), xp.real(svv)
    suv = _sample_dots(A, cxy @ B)
    if shifts is None:
        shifts = (xp.zeros_like(suv), xp.zeros_like(suv))
    x_mean, y_mean = means if means is not None else (None, None)
    return ScoreSums(
        n,
        *shifts,
        suu,
        svv,
        suv,
        float(x_norm),
        float(y_norm),
        x_mean if cross == "x" else None,
        y_mean if cross == "y" else None,
        CA if cross == "x" else None,
        CB if cross == "y" else None,
    )


def merge_score_sums(a, b):
    """The :class:`ScoreSums` of two disjoint sets of samples (Chan et al.)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return _merge_score_sums(a, b)


def _merge_score_sums(a, b):
    n = a.n_samples + b.n_samples
    if a.n_samples == 0 or b.n_samples == 0:
        return b if a.n_samples == 0 else a
    xp, _ = namespace_of(a.suu)
    f = a.n_samples * b.n_samples / n
    du, dv = b.u_mean - a.u_mean, b.v_mean - a.v_mean
    wa, wb = a.n_samples / n, b.n_samples / n
    cross = []
    for m_a, m_b, s_a, s_b, d in (
        (a.x_mean, b.x_mean, a.xu, b.xu, du),
        (a.y_mean, b.y_mean, a.yv, b.yv, dv),
    ):
        if s_a is None or s_b is None:
            cross += [None, None]
        else:
            dm = m_b - m_a
            cross += [m_a + dm * wb, s_a + s_b + f * (dm[:, None] * d[None, :])]
    conj_du = xp.conj(du) if xp.isdtype(du.dtype, "complex floating") else du
    return ScoreSums(
        n,
        a.u_mean * wa + b.u_mean * wb,
        a.v_mean * wa + b.v_mean * wb,
        a.suu + b.suu + f * _real_abs2(du),
        a.svv + b.svv + f * _real_abs2(dv),
        a.suv + b.suv + f * (conj_du * dv),
        float(np.hypot(a.x_norm, b.x_norm)),
        float(np.hypot(a.y_norm, b.y_norm)),
        cross[0],
        cross[2],
        cross[1],
        cross[3],
    )


def _real_abs2(d):
    xp, _ = namespace_of(d)
    return xp.real(d * xp.conj(d)) if xp.isdtype(d.dtype, "complex floating") else d * d


def correlations_from_sums(sums, x_weights, y_weights):
    """Correlation of each canonical pair from merged :class:`ScoreSums`.

    ``r = Re Σ conj(u - ū)(v - v̄) / (‖u - ū‖ ‖v - v̄‖)``: for complex variates
    the Pearson correlation of ``(Re u, Im u)`` and ``(Re v, Im v)``. A
    variate whose centered norm is at most its rounding level is constant
    on these samples to working precision and counts as uncorrelated (0),
    never NaN nor rounding noise (the rounding level of
    :func:`projection_rounding`).

    Parameters
    ----------
    sums : ScoreSums
    x_weights, y_weights : array of shape (..., p, k) and (..., q, k)
        The weights that made the variates (for their rounding level).

    Returns
    -------
    r : array of shape (..., k)
        Clipped to [-1, 1], in the namespace of the sums.
    """
    tol_u = projection_rounding(sums.x_norm, x_weights)
    tol_v = projection_rounding(sums.y_norm, y_weights)
    return pearson_from_sums(sums.suv, sums.suu, sums.svv, tol_u, tol_v)


def inner_from_sums(sums, view):
    """PWCCA's ``⟨h_i, x_j⟩`` on the summarised samples: ``xu / ‖u - ū‖``."""
    xp, _ = namespace_of(sums.suu)
    cross = sums.xu if view == "x" else sums.yv
    norms = sums.suu if view == "x" else sums.svv
    return cross / safe_divisor(xp.sqrt(xp.clip(norms, min=0.0)))
