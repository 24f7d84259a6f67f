"""An independent, plain-NumPy transcription of the original SVCCA recipe.

Written from the description of google/svcca's ``get_cca_similarity`` and
``compute_pwcca`` (issue 4), not from its code and without any of
``sklearn_svcca``'s internals: ``np.cov`` on the stacked activations, scaling
by the largest covariance entry, the epsilon rule, ``np.linalg.pinv`` and a
square root from ``np.linalg.eigh`` of the pseudo-inverse, then
``np.linalg.svd``. It has the original's numerical weaknesses (NaN on
singular covariances), so the tests only use it on well-conditioned data.

Where the original crashes rather than computing something (``compute_pwcca``
with a wider ``acts1``, or with neurons dropped by epsilon), this follows the
behaviour issue 4 specifies: the wider layer's own activations, and the kept
neurons' means.
"""

import numpy as np


def original_cca(acts1, acts2, epsilon=0.0, threshold=0.98):
    """Coefficients, thresholded mean, masks and matrices of the recipe."""
    p = acts1.shape[0]
    cov = np.cov(acts1, acts2)
    sxx, sxy, syy = cov[:p, :p], cov[:p, p:], cov[p:, p:]
    xmax, ymax = np.max(np.abs(sxx)), np.max(np.abs(syy))
    sxx, syy = sxx / xmax, syy / ymax
    sxy = sxy / np.sqrt(xmax * ymax)
    x_idxs = np.abs(np.diag(sxx)) >= epsilon
    y_idxs = np.abs(np.diag(syy)) >= epsilon
    sxx = sxx[x_idxs][:, x_idxs] + epsilon * np.eye(x_idxs.sum())
    syy = syy[y_idxs][:, y_idxs] + epsilon * np.eye(y_idxs.sum())
    sxy = sxy[x_idxs][:, y_idxs]

    def invsqrt(a):
        w, v = np.linalg.eigh(np.linalg.pinv(a))
        return v @ np.diag(np.sqrt(w)) @ v.conj().T

    ixx, iyy = invsqrt(sxx), invsqrt(syy)
    u, s, vh = np.linalg.svd(ixx @ sxy @ iyy)
    s = np.abs(s)
    # The first i whose prefix sum reaches the threshold, by brute force.
    i = len(s)
    for k in range(len(s)):
        if np.sum(s[:k]) / np.sum(s) >= threshold:
            i = k
            break
    return {
        "coefs": s,
        "mean": np.mean(s[:i]),
        "sum": np.sum(s),
        "x_idxs": x_idxs,
        "y_idxs": y_idxs,
        "u": u,
        "vh": vh,
        "invsqrt_xx": ixx,
        "invsqrt_yy": iyy,
        "means1": acts1.mean(axis=1, keepdims=True),
        "means2": acts2.mean(axis=1, keepdims=True),
    }


def original_pwcca(acts1, acts2, epsilon=0.0):
    """``(pwcca_mean, weights, coefs)`` of the original construction."""
    r = original_cca(acts1, acts2, epsilon)
    if r["x_idxs"].sum() <= r["y_idxs"].sum():
        coef, acts, idxs, means = r["u"].T, acts1, r["x_idxs"], r["means1"]
    else:
        coef, acts, idxs, means = r["vh"], acts2, r["y_idxs"], r["means2"]
    a = acts[idxs]
    dirns = coef @ (a - means[idxs]) + means[idxs]
    P, _ = np.linalg.qr(dirns.T)
    w = np.abs(P.T @ a.T).sum(axis=1)
    w = w / w.sum()
    return float(np.sum(w * r["coefs"])), w, r["coefs"]
