"""The math of centered kernel alignment (CKA): statistics and formulas.

Linear CKA depends on the data only through feature-space statistics, so it
is computed from summaries that merge exactly, like CCA's moments:

- the plain (biased) form needs the centered cross-products alone
  (:class:`~sklearn_svcca._linalg.Moments`);
- the debiased form (the unbiased HSIC of Song et al., 2012) needs, with
  ``u_i = x_i - mean_x``, ``a_i = ‖u_i‖²`` and likewise ``v_i``, ``b_i`` for
  ``y``, the sums ``Σ a_i²``, ``Σ b_i²``, ``Σ a_i b_i`` (:class:`CKAMoments`).
  Merging summaries of disjoint batches moves each to the merged mean, which
  takes four more vectors ``Σ a_i u_i``, ``Σ b_i v_i``, ``Σ a_i v_i``,
  ``Σ b_i u_i``; with them the set is closed under a shift of the means (see
  :func:`_shift`), so merges are exact in any split and nothing is ever
  accumulated far from the data's own mean.

The RBF kernel needs the ``n × n`` kernel matrices: its "summary" is the data
itself, bounded by :data:`RBF_MAX_SAMPLES`.

Every function here takes arrays and returns arrays or floats; the estimator
plumbing is in :mod:`sklearn_svcca._cka`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from . import _array_api, _linalg

# The RBF kernel needs two n × n float64 kernel matrices and a temporary of
# the same size: about 24 n² bytes, 2.4 GB at this limit.
RBF_MAX_SAMPLES = 10_000

# Rows per block of the debiased sums: this pass is memory-bound (a few
# flops per element), so blocks are kept small enough to stay in cache.
_ROW_SUM_ELEMENTS = 1 << 18


class CKAMoments(NamedTuple):
    """:class:`~sklearn_svcca._linalg.Moments` plus the debiased-CKA sums.

    All sums are over samples of the views centered at their own means
    ``u_i = x_i - x_mean``, ``v_i = y_i - y_mean``, with ``a_i = ‖u_i‖²``,
    ``b_i = ‖v_i‖²``.

    Attributes
    ----------
    n_samples, x_mean, y_mean, cxx, cyy, cxy
        As in :class:`~sklearn_svcca._linalg.Moments`.
    saa, sbb, sab : float
        ``Σ a_i²``, ``Σ b_i²``, ``Σ a_i b_i``.
    au : ndarray of shape (p,)
        ``Σ a_i u_i``.
    bv : ndarray of shape (q,)
        ``Σ b_i v_i``.
    av : ndarray of shape (q,)
        ``Σ a_i v_i``.
    bu : ndarray of shape (p,)
        ``Σ b_i u_i``.
    """

    n_samples: int
    x_mean: np.ndarray
    y_mean: np.ndarray
    cxx: np.ndarray
    cyy: np.ndarray
    cxy: np.ndarray
    saa: float
    sbb: float
    sab: float
    au: np.ndarray
    bv: np.ndarray
    av: np.ndarray
    bu: np.ndarray

    @property
    def moments(self):
        return _linalg.Moments(*self[:6])


class SampleSummary(NamedTuple):
    """The samples themselves: the "moments" of the RBF kernel."""

    n_samples: int
    X: np.ndarray
    Y: np.ndarray


# ------------------------------------------------------------------ linear


def linear_cka(moments):
    """Linear CKA ``‖Cxy‖²_F / (‖Cxx‖_F ‖Cyy‖_F)`` from centered moments.

    In the moments' namespace and on their device: only three norms come to
    the host.
    """
    hxy = _sq_norm(moments.cxy)
    return float(hxy / np.sqrt(_sq_norm(moments.cxx) * _sq_norm(moments.cyy)))


def _sq_norm(a):
    # Scale first: squaring the entries of a cross-product matrix (fourth
    # powers of activations) overflows float64 from activations near 1e77.
    if 0 in a.shape:
        return 0.0
    xp, _ = _linalg.namespace_of(a)
    m = float(_linalg.to_host(xp.max(xp.abs(a))))
    if m == 0 or not np.isfinite(m):
        return m
    return float(_linalg.to_host(xp.sum((a / m) ** 2))) * m * m


def debiased_moments(X, Y):
    """:class:`CKAMoments` of two views (the ``batch`` function).

    Parameters
    ----------
    X : array of shape (n_samples, p)
        NumPy, or another Array API namespace (the sums then run there).
    Y : array of shape (n_samples, q)

    Returns
    -------
    moments : CKAMoments
        On the host.
    """
    # On the host: the debiased sums are merged there (merge_debiased_moments).
    m = _linalg.host_moments(_linalg.compute_moments(X, Y))
    # The first six fields: dense moments have no sums of squares.
    return CKAMoments(*m[:6], *row_sums(X, Y, m.x_mean, m.y_mean))


def debiased_moments_from_views(view_x, view_y, cxy):
    """:class:`CKAMoments` of two shared views (see :mod:`._views`)."""
    return CKAMoments(
        view_x.n_samples,
        view_x.mean,
        view_y.mean,
        view_x.cross,
        view_y.cross,
        cxy,
        *row_sums(view_x.data, view_y.data, view_x.mean, view_y.mean),
    )


def row_sums(X, Y, x_mean, y_mean):
    """``Σa², Σb², Σab, Σau, Σbv, Σav, Σbu`` in one pass over both views.

    Blocks of rows are copied to the accumulation dtype and centered (the
    means are known, so nothing cancels), in ``X``'s namespace and device;
    the sums come back to the host.
    """
    xp, device = _array_api.namespace(X)
    Y = _array_api.move_like(Y, X)
    acc = _array_api.float_dtype(xp, device)
    mx = xp.asarray(_array_api.from_numpy(x_mean, X), dtype=acc)
    my = xp.asarray(_array_api.from_numpy(y_mean, X), dtype=acc)
    n = X.shape[0]
    block_rows = max(16, _ROW_SUM_ELEMENTS // max(1, X.shape[1] + Y.shape[1]))
    sums = None
    for start in range(0, n, block_rows):
        # array-api-strict rejects slices that end past the array.
        stop = min(start + block_rows, n)
        u = xp.astype(X[start:stop, ...], acc, copy=True) - mx
        v = xp.astype(Y[start:stop, ...], acc, copy=True) - my
        a, b = xp.sum(u * u, axis=1), xp.sum(v * v, axis=1)
        part = (
            xp.sum(a * a),
            xp.sum(b * b),
            xp.sum(a * b),
            a @ u,
            b @ v,
            a @ v,
            b @ u,
        )
        sums = (
            part
            if sums is None
            else tuple(t + p for t, p in zip(sums, part, strict=True))
        )
    scalars = tuple(float(_array_api.to_numpy(t)) for t in sums[:3])
    return (*scalars, *(_array_api.to_numpy(t) for t in sums[3:]))


def merge_debiased_moments(a, b):
    """Combine the :class:`CKAMoments` of two disjoint sets of samples.

    Each summary's sums are moved from its own means to the merged means
    (:func:`_shift`) and added; the cross-products merge as in
    :func:`~sklearn_svcca._linalg.merge_moments`. Exact in exact arithmetic,
    in any split.
    """
    if a.n_samples == 0:
        return b
    if b.n_samples == 0:
        return a
    m = _linalg.merge_moments(a.moments, b.moments)
    sa = _shift(a, m.x_mean - a.x_mean, m.y_mean - a.y_mean)
    sb = _shift(b, m.x_mean - b.x_mean, m.y_mean - b.y_mean)
    return CKAMoments(*m[:6], *(u + v for u, v in zip(sa, sb, strict=True)))


def _shift(s, d, e):
    """The sums of a summary about means moved by ``d`` (x) and ``e`` (y).

    With ``u' = u - d``, ``a' = a - 2 d·u + ‖d‖²`` and ``Σ u = 0`` (the
    summary is centered at its own mean), expanding the products gives

    - ``Σ a'b' = Σab - 2 e·Σav - 2 d·Σbu + 4 dᵀ Cxy e + ‖e‖² A + ‖d‖² B
      + n ‖d‖² ‖e‖²``
    - ``Σ a'² = Σa² - 4 d·Σau + 4 dᵀ Cxx d + 2 ‖d‖² A + n ‖d‖⁴``
    - ``Σ a'u' = Σau - 2 Cxx d - (A + n ‖d‖²) d``
    - ``Σ a'v' = Σav - 2 Cxyᵀ d - (A + n ‖d‖²) e``

    with ``A = Σ a = tr Cxx`` (``B = tr Cyy``), and the same with the roles
    of the views exchanged.
    """
    n = s.n_samples
    A, B = np.trace(s.cxx), np.trace(s.cyy)
    D, E = d @ d, e @ e
    cxx_d, cyy_e = s.cxx @ d, s.cyy @ e
    cxy_e, cyx_d = s.cxy @ e, s.cxy.T @ d
    saa = s.saa - 4 * d @ s.au + 4 * d @ cxx_d + 2 * D * A + n * D * D
    sbb = s.sbb - 4 * e @ s.bv + 4 * e @ cyy_e + 2 * E * B + n * E * E
    sab = (
        s.sab - 2 * e @ s.av - 2 * d @ s.bu + 4 * d @ cxy_e + E * A + D * B + n * D * E
    )
    au = s.au - 2 * cxx_d - (A + n * D) * d
    bv = s.bv - 2 * cyy_e - (B + n * E) * e
    av = s.av - 2 * cyx_d - (A + n * D) * e
    bu = s.bu - 2 * cxy_e - (B + n * E) * d
    return saa, sbb, sab, au, bv, av, bu


def debiased_hsic_terms(moments):
    """Unbiased HSIC (times ``n (n - 3)``) of (x, y), (x, x) and (y, y).

    Song et al.'s estimator with ``K = XXᵀ``, ``L = YYᵀ`` and ``K̃``, ``L̃``
    their copies with zero diagonals:

    .. math:: n (n-3)\\, \\mathrm{HSIC}_1 = \\mathrm{tr}(\\tilde K \\tilde L)
              + \\frac{1^T \\tilde K 1 \\; 1^T \\tilde L 1}{(n-1)(n-2)}
              - \\frac{2}{n-2} 1^T \\tilde K \\tilde L 1 .

    It is invariant to translating either view, so it is evaluated on views
    centered at their means, where ``tr(K̃L̃) = ‖Cxy‖² - Σ a_i b_i``,
    ``1ᵀK̃1 = -tr Cxx`` and ``1ᵀK̃L̃1 = Σ a_i b_i``.
    """
    n = moments.n_samples
    A, B = np.trace(moments.cxx), np.trace(moments.cyy)
    f = n / (n - 2.0)
    g = 1.0 / ((n - 1.0) * (n - 2.0))
    hxy = _sq_norm(moments.cxy) - f * moments.sab + A * B * g
    hxx = _sq_norm(moments.cxx) - f * moments.saa + A * A * g
    hyy = _sq_norm(moments.cyy) - f * moments.sbb + B * B * g
    return float(hxy), float(hxx), float(hyy)


# --------------------------------------------------------------------- RBF


def sample_summary(X, Y):
    """The samples on the host (the ``batch`` function of the RBF kernel)."""
    check_rbf_size(X.shape[0])
    return SampleSummary(X.shape[0], _array_api.to_numpy(X), _array_api.to_numpy(Y))


def merge_samples(a, b):
    """Concatenate two :class:`SampleSummary`, within :data:`RBF_MAX_SAMPLES`."""
    check_rbf_size(a.n_samples + b.n_samples)
    return SampleSummary(
        a.n_samples + b.n_samples,
        np.concatenate([a.X, b.X]),
        np.concatenate([a.Y, b.Y]),
    )


def check_rbf_size(n):
    if n > RBF_MAX_SAMPLES:
        raise ValueError(
            f"kernel='rbf' needs the n × n kernel matrices of both views, and "
            f"n_samples={n} is above its limit of {RBF_MAX_SAMPLES} samples "
            f"(about {24 * n * n / 1e9:.1f} GB). Use kernel='linear', which is "
            "exact from streamed statistics on any number of samples, or "
            "subsample the rows (the same rows in both views)."
        )


def rbf_gram(X, bandwidth):
    """RBF kernel matrix, bandwidth a fraction of the median distance.

    ``K_ij = exp(-‖x_i - x_j‖² / (2 σ²))`` with ``σ² = bandwidth² ·
    median(‖x_i - x_j‖²)``, the median taken over all ``n²`` ordered pairs
    (diagonal included), as in Kornblith et al.'s reference code. Invariant
    to translations, orthogonal maps and isotropic scaling of ``X``.
    """
    Xc = np.asarray(X, dtype=np.float64)
    # Distances from a Gram matrix lose digits to a large common offset.
    Xc = Xc - Xc.mean(axis=0)
    sq = np.einsum("ij,ij->i", Xc, Xc)
    D = Xc @ Xc.T
    D *= -2.0
    D += sq[:, None]
    D += sq[None, :]
    np.maximum(D, 0.0, out=D)
    np.fill_diagonal(D, 0.0)
    median = float(np.median(D))
    if median == 0.0:
        # At least half of all pairs coincide; scale by the mean instead
        # so that distinct points still differ.
        median = float(np.mean(D))
    D *= -1.0 / (2.0 * bandwidth**2 * median)
    return np.exp(D, out=D)


def center_gram(K):
    """``H K H`` with ``H = I - 11ᵀ/n``, in place."""
    means = K.mean(axis=0)
    K -= means[None, :]
    K -= means[:, None]
    K += means.mean()
    return K


def gram_cka(K, L, *, debiased):
    """CKA of two kernel matrices (overwritten).

    Biased: returns ``⟨HKH, HLH⟩ / (‖HKH‖ ‖HLH‖)``. Debiased: returns the
    three unbiased HSIC estimators (times ``n (n - 3)``) of (x, y), (x, x)
    and (y, y), as :func:`debiased_hsic_terms` does.
    """
    if not debiased:
        K, L = center_gram(K), center_gram(L)
        return float(np.vdot(K, L) / np.sqrt(np.vdot(K, K) * np.vdot(L, L)))
    np.fill_diagonal(K, 0.0)
    np.fill_diagonal(L, 0.0)
    n, k1, l1 = K.shape[0], K.sum(axis=1), L.sum(axis=1)

    def hsic(Kt, Lt, k_sums, l_sums):
        # n (n - 3) HSIC_1 for kernel matrices with zero diagonals.
        return (
            np.vdot(Kt, Lt)
            + k_sums.sum() * l_sums.sum() / ((n - 1.0) * (n - 2.0))
            - 2.0 / (n - 2.0) * (k_sums @ l_sums)
        )

    hxy, hxx, hyy = hsic(K, L, k1, l1), hsic(K, K, k1, k1), hsic(L, L, l1, l1)
    return float(hxy), float(hxx), float(hyy)
