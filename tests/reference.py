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


def relative_spectrum(Z):
    """Singular values of the centered, column-normalised ``Z``, over the largest.

    Exactly constant columns are dropped first: they carry nothing.
    """
    Z = exact_rescale(Z) if not np.iscomplexobj(Z) else Z
    keep = np.ptp(Z.real, axis=0) + np.ptp(Z.imag, axis=0) > 0
    Z = Z[:, keep]
    Z = Z - Z.mean(axis=0)
    norms = np.linalg.norm(Z, axis=0)
    Z = Z[:, norms > 0] / norms[norms > 0]
    if Z.shape[1] == 0:
        return np.zeros(0)
    s = np.linalg.svd(Z, compute_uv=False)
    return s / s[0]


def well_separated(s, resolution):
    """Every direction either an exact dependency or clearly resolved.

    ``resolution`` is the smallest relative singular value the data can
    vouch for (the condition limit, or the input's rounding, whichever is
    coarser); values between float64 rounding and that are ambiguous: a
    correct method may keep or drop them, so no answer is "the" answer.
    """
    s = np.asarray(s)
    return not np.any((s > 1e-12) & (s < resolution))


def distinct(values, gap=1e-6):
    """No two values closer than ``gap`` (ties leave directions undetermined)."""
    v = np.sort(np.asarray(values))
    return v.size < 2 or np.min(np.diff(v)) > gap
