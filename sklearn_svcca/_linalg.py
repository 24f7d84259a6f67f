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

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np
import scipy.linalg

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

# Rows per block when forming cross-products: bounds the temporary float64
# copies to about 32 MiB per call whatever n_samples is, while keeping the
# inner dimension of each GEMM long enough to run at full speed.
_BLOCK_ELEMENTS = 1 << 22


class Moments(NamedTuple):
    """Sufficient statistics of two views: everything CCA needs from the data.

    Attributes
    ----------
    n_samples : int
    x_mean : ndarray of shape (p,)
    y_mean : ndarray of shape (q,)
    cxx : ndarray of shape (p, p)
        ``Σ (x - x_mean)(x - x_mean)ᵀ`` over samples.
    cyy : ndarray of shape (q, q)
    cxy : ndarray of shape (p, q)
    """

    n_samples: int
    x_mean: np.ndarray
    y_mean: np.ndarray
    cxx: np.ndarray
    cyy: np.ndarray
    cxy: np.ndarray


def compute_moments(X, Y, *, block_rows=None):
    """Centered cross-products of two views, accumulated in float64.

    The means are computed first; each block of rows is then copied to
    float64, centered and multiplied (SYRK for the diagonal blocks, one GEMM
    for ``XᵀY``). Because the mean is itself rounded, the residual first
    moment ``s = Σ (x - μ)`` is accumulated too and removed at the end
    (``C ← C - s sᵀ / n``, ``μ ← μ + s / n``): this makes the cross-product of
    an exactly constant column vanish to rounding of rounding, which is what
    lets :func:`nonconstant_columns` use a tight threshold.

    Parameters
    ----------
    X : array of shape (n_samples, p)
        A NumPy array, or an array of another Array API namespace: the work
        then runs in that namespace, on the array's device.
    Y : array of shape (n_samples, q)
    block_rows : int, default=None
        Rows per block; by default chosen so that a block of both views holds
        about four million float64 values.

    Returns
    -------
    moments : Moments
        Always NumPy (host) arrays.
    """
    n, p = X.shape
    q = Y.shape[1]
    if block_rows is None:
        block_rows = max(256, _BLOCK_ELEMENTS // max(1, p + q))
    if _array_api.is_foreign(X):
        return _array_api.compute_moments(X, Y, block_rows=block_rows)
    x_mean = np.mean(X, axis=0, dtype=np.float64)
    y_mean = np.mean(Y, axis=0, dtype=np.float64)
    cxx = np.zeros((p, p))
    cyy = np.zeros((q, q))
    cxy = np.zeros((p, q))
    sx = np.zeros(p)
    sy = np.zeros(q)
    for start in range(0, n, block_rows):
        xb = np.array(X[start : start + block_rows], dtype=np.float64)
        yb = np.array(Y[start : start + block_rows], dtype=np.float64)
        xb -= x_mean
        yb -= y_mean
        # `a.T @ a` on the same buffer is dispatched to SYRK: half the flops.
        cxx += xb.T @ xb
        cyy += yb.T @ yb
        cxy += xb.T @ yb
        sx += xb.sum(axis=0)
        sy += yb.sum(axis=0)
    cxx -= np.outer(sx, sx) / n
    cyy -= np.outer(sy, sy) / n
    cxy -= np.outer(sx, sy) / n
    return Moments(n, x_mean + sx / n, y_mean + sy / n, cxx, cyy, cxy)


def merge_moments(a, b):
    """Combine the moments of two disjoint sets of samples.

    The pairwise update of Chan, Golub & LeVeque (1979): with
    ``δ = μ_b - μ_a``, ``C = C_a + C_b + (n_a n_b / n) δ δᵀ``. It is exact in
    exact arithmetic and stable in floating point, unlike updating raw
    (uncentered) sums of squares.

    Parameters
    ----------
    a, b : Moments

    Returns
    -------
    moments : Moments
    """
    if a.n_samples == 0:
        return b
    if b.n_samples == 0:
        return a
    n = a.n_samples + b.n_samples
    dx = b.x_mean - a.x_mean
    dy = b.y_mean - a.y_mean
    f = a.n_samples * b.n_samples / n
    return Moments(
        n,
        a.x_mean + dx * (b.n_samples / n),
        a.y_mean + dy * (b.n_samples / n),
        a.cxx + b.cxx + f * np.outer(dx, dx),
        a.cyy + b.cyy + f * np.outer(dy, dy),
        a.cxy + b.cxy + f * np.outer(dx, dy),
    )


def nonconstant_columns(c, mean, n_samples):
    """Indices of the columns that vary, from a cross-product matrix.

    A column is constant when its sum of squares is zero or its standard
    deviation is below ``CONSTANT_RTOL`` times its mean magnitude.

    Parameters
    ----------
    c : ndarray of shape (p, p)
        Centered cross-products.
    mean : ndarray of shape (p,)
    n_samples : int

    Returns
    -------
    columns : ndarray of int
    """
    ss = np.diag(c)
    return np.flatnonzero(ss > n_samples * (CONSTANT_RTOL * np.abs(mean)) ** 2)


@dataclass
class ViewBasis:
    """A rank-revealing decomposition of one centered (and scaled) view.

    With ``Xk`` the kept (non-constant) columns of the centered view and
    ``D = diag(scale)``, the decomposition is ``Xk D⁻¹ = B S Vᵀ`` with ``B``
    orthonormal, truncated to the numerical rank ``r``.

    Attributes
    ----------
    columns : ndarray of int, shape (m,)
        Kept columns of the original view.
    scale : ndarray of shape (m,)
        Column scaling ``D`` (ones when the view is not scaled).
    V : ndarray of shape (m, r)
    s : ndarray of shape (r,)
        Singular values of the scaled view, descending.
    spectrum : ndarray of shape (m,)
        All squared singular values before the rank cut (descending, clipped
        at zero), for explained-variance ratios and conditioning checks.
    Q, U : ndarray or None
        On the QR route, ``B = Q U`` explicitly (``Q`` is ``n × m``); on the
        Gram route both are None and ``B`` is never formed.
    s_white : ndarray of shape (r,) or None
        Whitening scale when it differs from ``s`` (shrinkage applied after
        the decomposition, as SVCCA's ``reg`` does); None means ``s``.
    numerical_rank : int
        Rank before any truncation (``r`` at construction).
    """

    columns: np.ndarray
    scale: np.ndarray
    V: np.ndarray
    s: np.ndarray
    spectrum: np.ndarray
    Q: np.ndarray | None = None
    U: np.ndarray | None = None
    s_white: np.ndarray | None = None
    numerical_rank: int = -1

    def __post_init__(self):
        if self.numerical_rank < 0:
            self.numerical_rank = self.s.shape[0]

    @property
    def rank(self):
        return self.s.shape[0]

    def whitener(self):
        """``W = D⁻¹ V S_w⁻¹``; with no shrinkage ``(Xk W)ᵀ (Xk W) = I``."""
        s = self.s if self.s_white is None else self.s_white
        return (self.V / s) / self.scale[:, None]

    def needs_exact_route(self, k=None):
        """Whether the first ``k`` directions are too ill-conditioned for Gram.

        Looks at every eigenvalue up to ``k`` (all of them by default),
        including those that fell below the rank cut: an eigenvalue that is
        zero to working precision cannot be told apart from a small, real
        one, which only the data itself can settle.
        """
        spec = self.spectrum if k is None else self.spectrum[:k]
        return bool(spec.size) and spec[-1] < GRAM_RCOND * spec[0]

    def truncate(self, k):
        """Keep the top ``k`` directions."""
        return replace(
            self,
            V=self.V[:, :k],
            s=self.s[:k],
            U=None if self.U is None else self.U[:, :k],
            s_white=None if self.s_white is None else self.s_white[:k],
        )

    def shrink(self, reg):
        """Whiten with ``(1 - reg) s² + reg mean(s²)`` instead of ``s²``."""
        if reg == 0:
            return self
        s2 = self.s**2
        return replace(self, s_white=np.sqrt((1.0 - reg) * s2 + reg * s2.mean()))


def gram_basis(c, *, columns, n_samples, scale=True, reg=0.0):
    """Decompose a view from its cross-product matrix (symmetric eigensolver).

    Parameters
    ----------
    c : ndarray of shape (p, p)
        Centered cross-products of the whole view.
    columns : ndarray of int
        Non-constant columns to use.
    n_samples : int
    scale : bool, default=True
        Scale columns to unit norm first (Jacobi preconditioning). CCA is
        invariant to it, and it makes the rank decision independent of each
        neuron's units. SVCCA's SVD step is not scale-invariant, so it
        passes False.
    reg : float, default=0.0
        Shrinkage: the covariance becomes ``(1 - reg) Σ + reg (tr Σ / m) I``.

    Returns
    -------
    basis : ViewBasis
    """
    m = columns.shape[0]
    ck = c[np.ix_(columns, columns)]
    d = np.sqrt(np.diag(ck)) if scale else np.ones(m)
    g = ck / np.outer(d, d)
    if reg > 0:
        g *= 1.0 - reg
        g[np.diag_indices(m)] += reg * (np.trace(ck) / m) / d**2
    # Divide and conquer (syevd, NumPy's choice too): 15-20 % faster here
    # than SciPy's default MRRR (syevr) for the full eigendecomposition, and
    # robust on the clustered spectra of duplicated neurons.
    lam, V = scipy.linalg.eigh(g, check_finite=False, driver="evd")
    lam = lam[::-1]
    V = V[:, ::-1]
    spectrum = np.clip(lam, 0.0, None)
    lam_max = lam[0] if m else 0.0
    # The eigenvalues of a Gram matrix are accurate to about eps * lam_max
    # times a modest factor (its formation and the eigensolver); anything
    # below that is indistinguishable from an exactly dependent neuron.
    tol = lam_max * 100.0 * max(m, np.sqrt(n_samples)) * EPS
    r = int(np.count_nonzero(lam > tol))
    return ViewBasis(columns, d, V[:, :r], np.sqrt(lam[:r]), spectrum)


def qr_basis(X, mean, *, columns, scale=True):
    """Decompose a view from its data: Householder QR, then an SVD of ``R``.

    ``Xk D⁻¹ = Q R`` and ``R = U S Vᵀ`` give ``Xk D⁻¹ = (Q U) S Vᵀ``, the SVD
    of the view, with backward-stable singular values; the rank is then read
    off ``S`` (numpy's ``matrix_rank`` tolerance). Using ``Q`` alone as a
    basis would be wrong on rank-deficient data: its extra columns span
    rounding noise.

    Parameters
    ----------
    X : array of shape (n_samples, p)
        For a non-NumPy Array API array the QR runs in its namespace, on its
        device, and ``Q`` stays there; ``R`` comes to the host.
    mean : ndarray of shape (p,)
    columns : ndarray of int
    scale : bool, default=True

    Returns
    -------
    basis : ViewBasis
    """
    n, m = X.shape[0], columns.shape[0]
    if _array_api.is_foreign(X):
        Q, R, d = _array_api.qr_factor(X, mean, columns=columns, scale=scale)
    else:
        xc = np.array(X[:, columns], dtype=np.float64)
        xc -= mean[columns]
        d = np.linalg.norm(xc, axis=0) if scale else np.ones(m)
        xc /= d
        Q, R = scipy.linalg.qr(
            xc, mode="economic", overwrite_a=True, check_finite=False
        )
    U, s, _Vt = svd(R)
    V = _Vt.T
    tol = (s[0] if s.size else 0.0) * max(n, m) * EPS
    r = int(np.count_nonzero(s > tol))
    spectrum = np.zeros(m)
    spectrum[: s.shape[0]] = s**2
    return ViewBasis(columns, d, V[:, :r], s[:r], spectrum, Q=Q, U=U[:, :r])


def svd(a):
    """Thin SVD that does not give up: LAPACK's gesdd, then gesvd.

    gesdd (divide and conquer) is fast but can report non-convergence on
    perfectly valid matrices; that is the "SVD did not converge" users of the
    original code met. gesvd (QR iteration) is slower and converges.
    """
    try:
        return scipy.linalg.svd(a, full_matrices=False, check_finite=False)
    except np.linalg.LinAlgError:  # pragma: no cover - LAPACK-dependent
        return scipy.linalg.svd(
            a, full_matrices=False, check_finite=False, lapack_driver="gesvd"
        )


def cross_matrix(bx, by, cxy):
    """``Bxᵀ By`` for the two views' orthonormal bases.

    Its singular values are the canonical correlations. On the QR route the
    bases are explicit; on the Gram route it is ``Wxᵀ Cxy Wy``.
    """
    if bx.Q is not None and by.Q is not None:
        # Xk W = Q U S S_w⁻¹: the factor S S_w⁻¹ is 1 without shrinkage.
        ux = bx.U if bx.s_white is None else bx.U * (bx.s / bx.s_white)
        uy = by.U if by.s_white is None else by.U * (by.s / by.s_white)
        # The O(n m²) product runs where Q lives (possibly a device).
        qtq = _array_api.to_numpy(bx.Q.T @ by.Q)
        return ux.T @ qtq @ uy
    return bx.whitener().T @ cxy[np.ix_(bx.columns, by.columns)] @ by.whitener()


def canonical_directions(bx, by, cxy):
    """Canonical correlations and directions of two decomposed views.

    Parameters
    ----------
    bx, by : ViewBasis
    cxy : ndarray of shape (p, q)
        Centered cross-products between the whole views (Gram route).

    Returns
    -------
    rho : ndarray of shape (k,)
        Canonical correlations, descending, clipped to [0, 1].
    A : ndarray of shape (len(bx.columns), k)
    B : ndarray of shape (len(by.columns), k)
        Directions on the kept columns with ``(Xk A)ᵀ (Xk A) = I`` (unit
        norm, not yet unit variance).
    """
    M = cross_matrix(bx, by, cxy)
    P, rho, Tt = svd(M)
    k = min(M.shape)
    A = bx.whitener() @ P[:, :k]
    B = by.whitener() @ Tt[:k].T
    return np.clip(rho[:k], 0.0, 1.0), A, B


def n_svd_dims(spectrum, svd_dims, rank):
    """How many leading singular directions SVCCA keeps.

    Parameters
    ----------
    spectrum : ndarray
        Squared singular values, descending.
    svd_dims : int or float
        An int keeps that many; a float in (0, 1] keeps the fewest whose
        explained-variance ratio ``s² / Σ s²`` reaches it (PCA's rule).
    rank : int
        Numerical rank: never keep more directions than that.

    Returns
    -------
    k : int
    """
    if isinstance(svd_dims, (int, np.integer)):
        return int(min(svd_dims, rank))
    ratio = np.cumsum(spectrum) / np.sum(spectrum)
    # PCA: the number of components whose cumulated ratio first reaches the
    # threshold; searchsorted's side="right" makes an exact hit count.
    k = int(np.searchsorted(ratio, svd_dims, side="right")) + 1
    if k > 1 and np.isclose(ratio[k - 2], svd_dims, rtol=1e-12, atol=0):
        k -= 1
    return int(min(k, rank))


def pearson_columns(U, V):
    """Pearson correlation of matching columns of ``U`` and ``V``.

    A column with no variation has no defined correlation; it counts as 0
    (no linear relationship can be seen), never NaN. ``U`` and ``V`` may
    live in another Array API namespace (the reductions run there); the
    result is a NumPy array.
    """
    if _array_api.is_foreign(U):
        num, nu, nv = _array_api.column_products(U, V)
    else:
        U = U - U.mean(axis=0)
        V = V - V.mean(axis=0)
        nu = np.linalg.norm(U, axis=0)
        nv = np.linalg.norm(V, axis=0)
        num = np.einsum("ij,ij->j", U, V)
    den = nu * nv
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
    return np.clip(r, -1.0, 1.0)


def projection_weights(inner):
    """PWCCA's weights from inner products of directions and neurons.

    Parameters
    ----------
    inner : ndarray of shape (n_neurons, k)
        ``⟨h_i, x_j⟩`` for unit-length canonical variates ``h_i`` and
        centered neurons ``x_j``.

    Returns
    -------
    alpha : ndarray of shape (k,)
        ``α_i = Σ_j |⟨h_i, x_j⟩|``, normalised to sum to 1.
    """
    alpha = np.abs(inner).sum(axis=0)
    total = alpha.sum()
    if not total > 0:
        # Only possible when every canonical variate is constant on the data
        # at hand; uniform weights make PWCCA fall back to the plain mean.
        return np.full(alpha.shape, 1.0 / max(alpha.shape[0], 1))
    return alpha / total


def inner_from_moments(c, A):
    """``⟨h_i, x_j⟩`` from cross-products: ``C A / sqrt(diag(Aᵀ C A))``."""
    CA = c @ A
    norms = np.sqrt(np.clip(np.einsum("ij,ij->j", A, CA), 0.0, None))
    return CA / np.where(norms > 0, norms, 1.0)


def inner_from_data(Xc, H):
    """``⟨h_i, x_j⟩`` from centered data ``Xc`` and variates ``H``.

    ``H`` is centered here. Either may live in another Array API namespace
    (the ``O(n p k)`` product runs there); the result is a NumPy array.
    """
    if _array_api.is_foreign(H):
        return _array_api.inner_products(Xc, H)
    H = H - H.mean(axis=0)
    norms = np.linalg.norm(H, axis=0)
    return Xc.T @ (H / np.where(norms > 0, norms, 1.0))


def variate_correlations(A, B, moments):
    """Pearson correlation of each pair of variates, from the moments.

    With ``u_i = (X - μx) a_i`` and ``v_i = (Y - μy) b_i`` over the samples
    the moments summarise: ``r_i = a_iᵀ Cxy b_i / (‖u_i‖ ‖v_i‖)`` with
    ``‖u_i‖² = a_iᵀ Cxx a_i``. A variate with no variation counts as
    uncorrelated (0), never NaN.

    Returns
    -------
    r : ndarray of shape (k,)
        Clipped to [-1, 1].
    nx, ny : ndarray of shape (k,)
        ``‖u_i‖`` and ``‖v_i‖``.
    """
    vx = np.einsum("ij,ij->j", A, moments.cxx @ A)
    vy = np.einsum("ij,ij->j", B, moments.cyy @ B)
    cov = np.einsum("ij,ij->j", A, moments.cxy @ B)
    nx = np.sqrt(np.clip(vx, 0.0, None))
    ny = np.sqrt(np.clip(vy, 0.0, None))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.where(nx * ny > 0, cov / (nx * ny), 0.0)
    return np.clip(r, -1.0, 1.0), nx, ny


def flip_signs(A, B):
    """Make the sign of each pair of directions deterministic.

    The entry of largest magnitude in each column of ``A`` becomes positive
    and ``B`` follows, so the pair's correlation keeps its sign. This depends
    only on the directions, not on the route (Gram or QR) that found them.
    """
    idx = np.argmax(np.abs(A), axis=0)
    signs = np.sign(A[idx, np.arange(A.shape[1])])
    signs[signs == 0] = 1.0
    return A * signs, B * signs
