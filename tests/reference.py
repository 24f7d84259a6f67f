"""Independent reference implementations, written from the definitions.

Deliberately naive and slow: plain NumPy SVDs of the data, no Gram
matrices, no column scaling, nothing shared with ``sklearn_svcca``. The
library is checked against these on random, rank-deficient and real data.
"""

import numpy as np


def orthonormal_basis(X, rtol=None):
    """Orthonormal basis of the centered column space of X, and its SVD."""
    Xc = np.asarray(X, dtype=np.float64)
    Xc = Xc - Xc.mean(axis=0)
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    if rtol is None:
        rtol = max(Xc.shape) * np.finfo(np.float64).eps
    rank = int(np.sum(s > rtol * s[0])) if s.size and s[0] > 0 else 0
    return U[:, :rank], s[:rank], Vt[:rank].T


def cca(X, Y, rtol=None):
    """Canonical correlations and unit-length canonical variates.

    The singular values of Qxᵀ Qy for orthonormal bases Qx, Qy of the
    centered column spaces (directions below ``rtol`` times the largest
    singular value are dependencies).
    """
    Qx, _, _ = orthonormal_basis(X, rtol)
    Qy, _, _ = orthonormal_basis(Y, rtol)
    P, rho, Tt = np.linalg.svd(Qx.T @ Qy, full_matrices=False)
    k = min(Qx.shape[1], Qy.shape[1])
    return np.clip(rho[:k], 0, 1), Qx @ P[:, :k], Qy @ Tt[:k].T


def qr_correlations(X, Y):
    """Canonical correlations by Householder QR of both centered views.

    The singular values of ``Qxᵀ Qy``: the "QR reference" of the accuracy
    targets (1e-8 in float64). No rank cut, so for full-rank views only;
    ``cca`` handles rank deficiency.
    """
    X = np.asarray(X, dtype=np.float64)
    Y = np.asarray(Y, dtype=np.float64)
    qx, _ = np.linalg.qr(X - X.mean(axis=0))
    qy, _ = np.linalg.qr(Y - Y.mean(axis=0))
    return np.linalg.svd(qx.T @ qy, compute_uv=False)


def svd_reduce(X, dims, rtol=None):
    """SVCCA's first step: the top singular directions of the centered X."""
    U, s, _ = orthonormal_basis(X, rtol)
    if isinstance(dims, float):
        ratio = np.cumsum(s**2) / np.sum(s**2)
        dims = int(np.argmax(ratio >= dims - 1e-12)) + 1
    return U[:, :dims] * s[:dims]


def svcca(X, Y, dims_x, dims_y=None, rtol=None):
    dims_y = dims_x if dims_y is None else dims_y
    return cca(svd_reduce(X, dims_x, rtol), svd_reduce(Y, dims_y, rtol), rtol)[0]


def pwcca(X, Y, rtol=None):
    """Morcos et al. (2018): Σ α_i ρ_i, α_i ∝ Σ_j |⟨h_i, x_j⟩|."""
    rho, H, _ = cca(X, Y, rtol)
    Xc = np.asarray(X, dtype=np.float64)
    Xc = Xc - Xc.mean(axis=0)
    alpha = np.abs(H.T @ Xc).sum(axis=1)
    alpha /= alpha.sum()
    return float(alpha @ rho), alpha, rho


def svcca_joint_gaussian(X, Y, dims_x, dims_y, n_components=None, reg=0.0):
    """Mean and dense covariance of SVCCA's joint model, from the definitions.

    Each view: probabilistic PCA of its sample covariance (Tipping & Bishop),
    ``Σx = Vk Λk Vkᵀ + σ² (I - Vk Vkᵀ)`` with ``σ²`` the mean discarded
    eigenvalue and ``Λk`` shrunk as SVCCA's ``reg`` does. Cross-covariance:
    the reduced views' sample cross-covariance, times ``1 - reg``, truncated
    to its ``n_components`` leading canonical pairs (Bach & Jordan's
    probabilistic CCA), mapped back. Built as one dense ``(p + q)²`` matrix.
    """

    def ppca(A, k):
        A = np.asarray(A, dtype=np.float64)
        lam, V = np.linalg.eigh(np.cov(A, rowvar=False))
        lam, V = lam[::-1], V[:, ::-1]
        kept = (1.0 - reg) * lam[:k] + reg * lam[:k].mean()
        noise = lam[k:].mean() if k < lam.size else 0.0
        Vk = V[:, :k]
        cov = Vk @ np.diag(kept) @ Vk.T + noise * (np.eye(lam.size) - Vk @ Vk.T)
        return A.mean(axis=0), cov, Vk, kept

    mx, Sx, Vx, lx = ppca(X, dims_x)
    my, Sy, Vy, ly = ppca(Y, dims_y)
    p = Sx.shape[0]
    Sxy = (1.0 - reg) * np.cov(np.hstack([X, Y]), rowvar=False)[:p, p:]
    K = (Vx / np.sqrt(lx)).T @ Sxy @ (Vy / np.sqrt(ly))
    P, rho, Tt = np.linalg.svd(K)
    m = rho.size if n_components is None else n_components
    Km = (P[:, :m] * rho[:m]) @ Tt[:m]
    cross = (Vx * np.sqrt(lx)) @ Km @ (Vy * np.sqrt(ly)).T
    return np.concatenate([mx, my]), np.block([[Sx, cross], [cross.T, Sy]])


# --------------------------------------------------------------------- CKA
# Kornblith et al.'s n × n formulation: Gram matrices, centred explicitly.


def _centered(X):
    Xc = np.asarray(X, dtype=np.float64)
    return Xc - Xc.mean(axis=0)


def gram_linear(X):
    """``K = XXᵀ`` of the raw (uncentred) view."""
    X = np.asarray(X, dtype=np.float64)
    return X @ X.T


def gram_rbf(X, threshold=1.0):
    """Kornblith's ``gram_rbf``: σ² = threshold² · median squared distance."""
    X = np.asarray(X, dtype=np.float64)
    sq = np.sum(X**2, axis=1)
    D = sq[:, None] + sq[None, :] - 2 * X @ X.T
    return np.exp(-D / (2 * threshold**2 * np.median(D)))


def center_gram(G, unbiased=False):
    """Kornblith's ``center_gram``: HGH, or the unbiased (U-statistic) form."""
    G = np.array(G, dtype=np.float64)
    n = G.shape[0]
    if unbiased:
        np.fill_diagonal(G, 0)
        means = G.sum(axis=0) / (n - 2)
        means -= means.sum() / (2 * (n - 1))
        G -= means[:, None]
        G -= means[None, :]
        np.fill_diagonal(G, 0)
        return G
    H = np.eye(n) - np.ones((n, n)) / n
    return H @ G @ H


def cka_from_grams(K, L, debiased=False):
    Kc, Lc = center_gram(K, debiased), center_gram(L, debiased)
    return float(np.sum(Kc * Lc) / (np.linalg.norm(Kc) * np.linalg.norm(Lc)))


def cka(X, Y, kernel="linear", debiased=False, threshold=1.0):
    if kernel == "linear":
        return cka_from_grams(gram_linear(X), gram_linear(Y), debiased)
    return cka_from_grams(gram_rbf(X, threshold), gram_rbf(Y, threshold), debiased)


# -------------------------------------------------------------- Procrustes


def netrep_whiten(Xc, alpha):
    """netrep's partial whitening of a centred view: X (α I + (1-α) (XᵀX)^(-1/2)).

    The inverse square root on the numerical column space of XᵀX (netrep
    clips eigenvalues at 1e-7; the data have no component in the rest).
    """
    lam, V = np.linalg.eigh(Xc.T @ Xc)
    keep = lam > lam.max() * Xc.shape[0] * 1e-13
    inv_sqrt = (V[:, keep] / np.sqrt(lam[keep])) @ V[:, keep].T
    return Xc @ (alpha * np.eye(Xc.shape[1]) + (1 - alpha) * inv_sqrt)


def procrustes_cos(X, Y, alpha=1.0):
    """cos of Williams et al.'s angle: zero-pad, whiten, nuclear norm."""
    Xw, Yw = netrep_whiten(_centered(X), alpha), netrep_whiten(_centered(Y), alpha)
    width = max(Xw.shape[1], Yw.shape[1])
    Xw = np.pad(Xw, ((0, 0), (0, width - Xw.shape[1])))
    Yw = np.pad(Yw, ((0, 0), (0, width - Yw.shape[1])))
    nuclear = np.linalg.svd(Xw.T @ Yw, compute_uv=False).sum()
    return float(nuclear / (np.linalg.norm(Xw) * np.linalg.norm(Yw)))


def procrustes_aligned(X, Y, alpha=1.0):
    """netrep's fitted transform: the aligned views (rotation from a full SVD)."""
    Xw, Yw = netrep_whiten(_centered(X), alpha), netrep_whiten(_centered(Y), alpha)
    width = max(Xw.shape[1], Yw.shape[1])
    Xw = np.pad(Xw, ((0, 0), (0, width - Xw.shape[1])))
    Yw = np.pad(Yw, ((0, 0), (0, width - Yw.shape[1])))
    U, _, Vt = np.linalg.svd(Xw.T @ Yw)
    return Xw @ U, Yw @ Vt.T


# ------------------------------------------------------------------ Fourier


def complex_cca(A, B, rtol=1e-9):
    """Canonical correlations of two (real or complex) views, from the math."""

    def basis(Z):
        Z = Z - Z.mean(axis=0)
        norms = np.linalg.norm(Z, axis=0)
        if not norms.max() > 0:
            return Z[:, :0]
        Z = Z[:, norms > rtol * norms.max()]
        Z = Z / np.linalg.norm(Z, axis=0)
        U, s, _ = np.linalg.svd(Z, full_matrices=False)
        return U[:, s > rtol * s[0]]

    qa, qb = basis(A), basis(B)
    k = min(qa.shape[1], qb.shape[1])
    return np.linalg.svd(qa.conj().T @ qb, compute_uv=False)[:k]


def spectra(X, Y):
    """Full ``fft2`` of both maps at the frequencies both layers have.

    The paper's selection: ``fftfreq`` of each axis, kept where it lies in
    ``[-H/2, H/2)`` for ``H`` the smaller size (likewise ``W``).
    """
    H, W = min(X.shape[1], Y.shape[1]), min(X.shape[2], Y.shape[2])

    def spectrum(maps):
        F = np.fft.fft2(maps, axes=(1, 2))
        fu = np.fft.fftfreq(maps.shape[1], 1 / maps.shape[1])
        fv = np.fft.fftfreq(maps.shape[2], 1 / maps.shape[2])
        rows = np.flatnonzero((fu >= -H / 2) & (fu < H / 2))
        cols = np.flatnonzero((fv >= -W / 2) & (fv < W / 2))
        return F[:, rows][:, :, cols]

    return spectrum(X), spectrum(Y)


def spectral_moments(X, Y, positions):
    """FourierCCA's sufficient statistics from their definitions.

    At flat grid positions ``positions`` of :func:`spectra`: ``(n, mean map
    of X, mean map of Y, Zᴴ Z, Wᴴ W, Zᴴ W, Σ x², Σ y²)`` with ``Z``, ``W`` the
    centered DFT coefficients (one ``(n, channels)`` matrix per position)
    and the uncentered sums of squares per channel over samples and
    positions.
    """
    FX, FY = spectra(X, Y)
    W = FX.shape[2]
    rows, cols = np.divmod(np.asarray(positions), W)
    Z = np.moveaxis(FX[:, rows, cols], 1, 0)  # (positions, n, p)
    V = np.moveaxis(FY[:, rows, cols], 1, 0)
    Z = Z - Z.mean(axis=1, keepdims=True)
    V = V - V.mean(axis=1, keepdims=True)

    def products(A, B):
        return np.conj(np.swapaxes(A, 1, 2)) @ B

    return (
        X.shape[0],
        X.mean(axis=0),
        Y.mean(axis=0),
        products(Z, Z),
        products(V, V),
        products(Z, V),
        np.sum(X * X, axis=(0, 1, 2)),
        np.sum(Y * Y, axis=(0, 1, 2)),
    )


def fourier(X, Y, rtol=1e-9):
    """Per-frequency CCA, one frequency at a time, as the paper describes it."""
    FX, FY = spectra(X, Y)
    H, W = FX.shape[1:3]
    out = np.zeros((H, W, min(X.shape[3], Y.shape[3])))
    for i in range(H):
        for j in range(W):
            r = complex_cca(FX[:, i, j], FY[:, i, j], rtol)
            out[i, j, : r.shape[0]] = r
    return out


# --------------------------------------------------- well-posed problems


def exact_rescale(X):
    """``X`` times the power of two that brings its largest entry to [0.5, 1).

    Exact (only exponents change), so every measure here, being invariant to
    scaling, is unchanged; and it keeps tiny or huge activations away from
    underflow and overflow in the reference itself.
    """
    X = np.asarray(X, dtype=np.float64)
    m = np.max(np.abs(X)) if X.size else 0.0
    if not (np.isfinite(m) and m > 0):
        return X
    return np.ldexp(X, -int(np.frexp(m)[1]))


# ------------------------------------------------------- held-out scores


def held_out_correlations(U, V):
    """Pearson correlation of matching columns of (real or complex) variates.

    ``Re Σ conj(u - ū)(v - v̄) / (‖u - ū‖ ‖v - v̄‖)``, from the definition:
    for complex variates, the correlation of ``(Re u, Im u)`` with
    ``(Re v, Im v)``. Samples along axis -2.
    """
    U = U - U.mean(axis=-2, keepdims=True)
    V = V - V.mean(axis=-2, keepdims=True)
    num = np.real(np.sum(np.conj(U) * V, axis=-2))
    return num / (np.linalg.norm(U, axis=-2) * np.linalg.norm(V, axis=-2))


def held_out_projection_weights(X, U):
    """PWCCA's α on given samples: ``Σ_j |⟨h_i, x_j⟩|``, normalised."""
    Xc = X - X.mean(axis=0)
    H = U - U.mean(axis=0)
    H = H / np.linalg.norm(H, axis=0)
    alpha = np.abs(Xc.T @ H).sum(axis=0)
    return alpha / alpha.sum()
