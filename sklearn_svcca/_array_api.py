"""Array API support: the heavy work in the input's namespace, on its device.

With ``sklearn.set_config(array_api_dispatch=True)`` the estimators accept
arrays of any Array API library (PyTorch, CuPy, array-api-strict, ...). The
split of work is:

- Everything that touches the ``n_samples`` axis -- the moments (``O(n (p +
  q)²)``), the QR factorization of the data on the exact route, the
  projections of ``transform`` and ``score`` -- runs in the input's namespace
  on its device, accumulating in float64 where the device has it.
- The ``(p + q)``-sized decompositions (symmetric eigendecompositions with a
  rank cut, the SVD of the cross matrix and of ``R``) run on the host with
  NumPy/SciPy in float64, exactly as for NumPy input. Their inputs and
  outputs are ``(p + q)²`` numbers, a negligible transfer; LAPACK's
  rank-revealing drivers and the gesdd-then-gesvd fallback are then the same
  on every backend, so a fit gives the same answer whatever the array type.
- Public fitted arrays are moved back to the input's namespace and device,
  so that ``transform`` and ``score`` never cross the host/device boundary
  with data.

NumPy input never reaches this module's namespace paths: the NumPy code in
``_linalg`` runs unchanged.
"""

from __future__ import annotations

import numpy as np

try:  # scikit-learn >= 1.6 vendors array-api-compat
    from sklearn.externals import array_api_compat as _compat
except ImportError:  # pragma: no cover - older scikit-learn
    try:
        import array_api_compat as _compat
    except ImportError:
        _compat = None


def is_foreign(a):
    """Whether ``a`` is an Array API array other than a NumPy array."""
    return (
        _compat is not None
        and a is not None
        and not isinstance(a, np.ndarray)
        and _compat.is_array_api_obj(a)
        and not _compat.is_dask_array(a)
    )


def namespace(a):
    """The (array-api-compat wrapped) namespace and the device of ``a``."""
    return _compat.array_namespace(a), _compat.device(a)


def float_dtype(xp, device):
    """float64 where the device supports it (it does not on Apple MPS)."""
    try:
        dtypes = xp.__array_namespace_info__().dtypes(
            kind="real floating", device=device
        )
    except (AttributeError, TypeError):  # pragma: no cover - pre-2023.12 API
        return xp.float64
    return xp.float64 if "float64" in dtypes else xp.float32


def to_numpy(a):
    """Copy a (small) array to the host as a NumPy array."""
    if isinstance(a, np.ndarray):
        return a
    try:
        from sklearn.utils._array_api import move_to

        return np.asarray(move_to(a, xp=np, device="cpu"))
    except ImportError:  # pragma: no cover - scikit-learn < 1.8
        from sklearn.utils._array_api import _convert_to_numpy

        return np.asarray(_convert_to_numpy(a, _compat.array_namespace(a)))


def from_numpy(a, like):
    """Put a host array into ``like``'s namespace and device.

    Floating arrays take the widest float dtype the device supports.
    """
    xp, device = namespace(like)
    if a.dtype.kind == "f":
        return xp.asarray(a, dtype=float_dtype(xp, device), device=device)
    return xp.asarray(a, device=device)


def move_like(a, like):
    """Move array ``a`` to the namespace and device of ``like`` if needed."""
    xp, device = namespace(like)
    if is_foreign(a) or isinstance(a, np.ndarray):
        a_xp, a_device = namespace(a)
        if a_xp is xp and a_device == device:
            return a
    try:
        from sklearn.utils._array_api import move_to

        return move_to(a, xp=xp, device=device)
    except ImportError:  # pragma: no cover - scikit-learn < 1.8
        return xp.asarray(to_numpy(a), device=device)


def astype(a, dtype):
    """``a`` cast to ``dtype`` (a copy), in ``a``'s namespace."""
    if isinstance(a, np.ndarray):
        return a.astype(dtype)
    xp, _ = namespace(a)
    return xp.astype(a, dtype)


def as_view(Y, like):
    """A second view as a 2-D float array in ``like``'s namespace and device."""
    Y = move_like(Y, like)
    xp, device = namespace(Y)
    if Y.ndim == 1:
        Y = xp.reshape(Y, (-1, 1))
    if not xp.isdtype(Y.dtype, "real floating"):
        Y = xp.astype(Y, float_dtype(xp, device))
    return Y


def fitted_to_namespace(estimator, like):
    """Move the public floating fitted arrays of ``estimator`` next to ``like``.

    ``_fit_moments`` computes every attribute on the host; this makes them
    arrays of the input's kind, on its device, so that ``transform`` and
    ``score`` run there. Private state (the moments that ``partial_fit``
    merges) stays on the host.
    """
    if not is_foreign(like):
        return
    for name, value in list(vars(estimator).items()):
        if (
            name.endswith("_")
            and not name.startswith("_")
            and isinstance(value, np.ndarray)
            and value.dtype.kind == "f"
        ):
            setattr(estimator, name, from_numpy(value, like))


def check_same_namespace(X, estimator, *, attribute, method):
    """scikit-learn's check that ``X`` matches the fitted namespace/device."""
    try:
        from sklearn.utils._array_api import check_same_namespace as check
    except ImportError:  # pragma: no cover - scikit-learn < 1.9
        return
    check(X, estimator, attribute=attribute, method=method)


# --------------------------------------------------------------- numerics


def compute_moments(X, Y, *, block_rows):
    """:func:`sklearn_svcca._linalg.compute_moments` in ``X``'s namespace.

    Same algorithm (blocks copied to the accumulation dtype, centered at a
    first estimate of the mean, residual first moment removed at the end);
    the means are accumulated block by block too, so that no full-size copy
    of the data is made on the device. Returns host (NumPy) moments.
    """
    from ._linalg import Moments

    xp, device = namespace(X)
    Y = move_like(Y, X)
    acc = float_dtype(xp, device)
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
    # The O((p + q)²) remainder is done on the host, in float64.
    sx, sy = to_numpy(sx).astype(np.float64), to_numpy(sy).astype(np.float64)
    return Moments(
        n,
        to_numpy(x_mean).astype(np.float64) + sx / n,
        to_numpy(y_mean).astype(np.float64) + sy / n,
        to_numpy(cxx).astype(np.float64) - np.outer(sx, sx) / n,
        to_numpy(cyy).astype(np.float64) - np.outer(sy, sy) / n,
        to_numpy(cxy).astype(np.float64) - np.outer(sx, sy) / n,
    )


def qr_factor(X, mean, *, columns, scale):
    """Thin QR of the centered, column-scaled kept columns, in-namespace.

    Returns ``(Q, R, magnitude)``: ``Q`` (``n × m``) stays on the device;
    ``R`` and the uncentered column norms (the scaling, when ``scale``) come
    back to the host for the small SVD.
    """
    xp, device = namespace(X)
    acc = float_dtype(xp, device)
    idx = xp.asarray(columns, device=device)
    xc = xp.astype(xp.take(X, idx, axis=1), acc, copy=True)
    magnitude = xp.linalg.vector_norm(xc, axis=0)
    xc -= xp.asarray(mean[columns], dtype=acc, device=device)
    if scale:
        xc /= magnitude
    Q, R = xp.linalg.qr(xc)
    return Q, to_numpy(R).astype(np.float64), to_numpy(magnitude).astype(np.float64)


def column_products(U, V):
    """``(Σ u v, ‖u‖, ‖v‖)`` per column of the centered ``U``, ``V``.

    The ``O(n k)`` work runs in the namespace; three ``k``-vectors come back.
    """
    xp, _ = namespace(U)
    U = U - xp.mean(U, axis=0)
    V = V - xp.mean(V, axis=0)
    return (
        to_numpy(xp.sum(U * V, axis=0)),
        to_numpy(xp.linalg.vector_norm(U, axis=0)),
        to_numpy(xp.linalg.vector_norm(V, axis=0)),
    )


def inner_products(Xc, H):
    """``Xcᵀ H / ‖H‖`` per column of the centered ``H``, in-namespace."""
    xp, _ = namespace(H)
    H = H - xp.mean(H, axis=0)
    norms = xp.linalg.vector_norm(H, axis=0)
    norms = xp.where(norms > 0, norms, xp.ones_like(norms))
    return to_numpy(Xc.T @ (H / norms))


def frobenius_norm(X):
    """``‖X‖_F`` in the accumulation dtype, as a host float."""
    xp, device = namespace(X)
    return float(to_numpy(xp.linalg.vector_norm(xp.astype(X, float_dtype(xp, device)))))


def centered(X):
    """``X`` in the accumulation dtype, each column centered."""
    xp, device = namespace(X)
    Xc = xp.astype(X, float_dtype(xp, device), copy=True)
    Xc -= xp.mean(Xc, axis=0)
    return Xc
