"""Array API support: the work in the input's namespace, on its device.

With ``sklearn.set_config(array_api_dispatch=True)`` the estimators accept
arrays of any Array API library (PyTorch, CuPy, array-api-strict, ...). The
split of work for CCA, SVCCA and PWCCA (the dense engine):

- Everything runs in the input's namespace, on its device, in float64 where
  the device has it (CUDA and CPU torch, CuPy): the moments
  (``_linalg.compute_moments``), the QR factorization of the data on the
  exact route, the symmetric eigendecompositions and SVDs of the
  ``(p + q)``-sized matrices (:func:`eigh`, :func:`svd`, :func:`qr`, one
  definition for every namespace), and the projections of ``transform`` and
  ``score``. Only per-column numbers that drive decisions (eigenvalues for
  the rank cut, the kept column indices, spectra for ``svd_dims``) come to
  the host. The fitted arrays are computed on the device and stay there.
- A device without float64 (Apple MPS) accumulates the moments in float32
  on the device and copies them to the host in float64, where the
  decompositions run with NumPy/SciPy as for NumPy input; the fitted arrays
  are then moved back to the device (:func:`fitted_to_namespace`).
- CKA and Procrustes finish on the host from the device's moments; their
  fitted arrays are moved to the device likewise.

NumPy input runs the same code with NumPy itself as the namespace, and
keeps its measured kernels (in-place BLAS accumulation, SciPy's LAPACK
drivers).

FourierCCA goes further than the host: its per-frequency statistics stay on
the device and its stacked decompositions (``_linalg``'s ``stacked_*``
functions, written against the Array API) run there through :func:`eigh`,
:func:`svd` and :func:`qr`; see the FourierCCA section below.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

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


def check_scipy_array_api():
    """Raise this library's error when SciPy's Array API support is off.

    scikit-learn dispatches to Array API namespaces only if SciPy does too,
    and SciPy reads ``SCIPY_ARRAY_API`` once, when it is first imported:
    setting ``os.environ["SCIPY_ARRAY_API"] = "1"`` after anything imported
    scipy (scikit-learn and this library do) has no effect, and
    scikit-learn's own check, which reads the environment, then passes.
    This reads the switch SciPy actually uses. It is only called for
    non-NumPy arrays, which reach this library's namespace code only with
    ``array_api_dispatch=True``.
    """
    import os

    from sklearn import get_config

    if not get_config()["array_api_dispatch"]:
        return
    try:
        from scipy._lib._array_api_override import SCIPY_ARRAY_API
    except ImportError:  # pragma: no cover - other SciPy layouts
        return
    if SCIPY_ARRAY_API:
        return
    when = (
        "it was set after scipy was imported, which is too late"
        if os.environ.get("SCIPY_ARRAY_API") == "1"
        else "it is not set"
    )
    raise RuntimeError(
        "sklearn-svcca was given a non-NumPy array with array_api_dispatch=True, "
        "which needs SciPy's Array API support: set the environment variable "
        "SCIPY_ARRAY_API=1 before scipy is first imported (in the shell, "
        "`export SCIPY_ARRAY_API=1`, or at the very top of the script, before "
        f"importing sklearn, scipy or sklearn_svcca); {when}."
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


def complex_dtype(xp, device):
    """The complex counterpart of :func:`float_dtype`."""
    return xp.complex128 if float_dtype(xp, device) == xp.float64 else xp.complex64


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

    Floating (complex) arrays take the widest float (complex) dtype the
    device supports.
    """
    xp, device = namespace(like)
    # A fresh copy: PyTorch refuses negative strides (a reversed sort), which
    # np.ascontiguousarray keeps on arrays of one element.
    a = np.array(a, order="C")
    if a.dtype.kind == "f":
        return xp.asarray(a, dtype=float_dtype(xp, device), device=device)
    if a.dtype.kind == "c":
        return xp.asarray(a, dtype=complex_dtype(xp, device), device=device)
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
    """Move the public floating (or complex) fitted arrays that are on the host
    next to ``like``.

    For what a fit computes on the host although the input is elsewhere:
    small per-column vectors of the dense engine (SVCCA's explained-variance
    ratios), everything on a device without float64, and the fits that
    finish on the host (debiased and RBF CKA). Arrays already in the input's
    namespace (the dense engine's and FourierCCA's results) are left alone.
    """
    if not is_foreign(like):
        return
    for name, value in list(vars(estimator).items()):
        if (
            name.endswith("_")
            and not name.startswith("_")
            and isinstance(value, np.ndarray)
            and value.dtype.kind in "fc"
        ):
            setattr(estimator, name, from_numpy(value, like))


def empty_like_namespace(a):
    """An empty array of ``a``'s namespace and device (None for NumPy input)."""
    if not is_foreign(a):
        return None
    xp, device = namespace(a)
    return xp.zeros((0,), device=device)


def check_same_namespace(X, estimator, *, attribute, method):
    """scikit-learn's check that ``X`` matches the fitted namespace/device."""
    try:
        from sklearn.utils._array_api import check_same_namespace as check
    except ImportError:  # pragma: no cover - scikit-learn < 1.9
        return
    check(X, estimator, attribute=attribute, method=method)


# ------------------------------------------------------ linear algebra
# The decompositions every route needs, dispatched once: NumPy input keeps the
# LAPACK drivers measured fastest and most robust here; any other namespace
# runs its own ``linalg`` on the array's device. Both take stacks (a leading
# batch axis) as well as single matrices.


def eigh(a):
    """Eigenvalues (ascending) and eigenvectors of Hermitian ``a``, in its namespace.

    NumPy: SciPy's divide-and-conquer driver (syevd) for one matrix, 15-20 %
    faster here than its default MRRR and robust on the clustered spectra of
    duplicated neurons; NumPy's (also syevd) for a stack.
    """
    if is_foreign(a):
        xp, _ = namespace(a)
        return xp.linalg.eigh(a)
    if a.ndim == 2:
        return scipy.linalg.eigh(a, check_finite=False, driver="evd")
    return np.linalg.eigh(a)


def svd(a, *, full_matrices=False):
    """SVD that does not give up, in ``a``'s namespace (thin by default).

    NumPy: LAPACK's gesdd, then gesvd. gesdd (divide and conquer) is fast but
    can report non-convergence on perfectly valid matrices; that is the "SVD
    did not converge" users of the original code met. gesvd (QR iteration)
    is slower and converges. A stack is retried matrix by matrix.
    ``full_matrices=True`` returns square ``U`` and ``Vᴴ`` (the layout of
    :func:`numpy.linalg.svd`).
    """
    if is_foreign(a):
        xp, _ = namespace(a)
        return xp.linalg.svd(a, full_matrices=full_matrices)
    if a.ndim > 2:
        try:
            return np.linalg.svd(a, full_matrices=full_matrices)
        except np.linalg.LinAlgError:  # pragma: no cover - LAPACK-dependent
            parts = [svd(block, full_matrices=full_matrices) for block in a]
            return tuple(np.stack(arrays) for arrays in zip(*parts, strict=True))
    try:
        return scipy.linalg.svd(a, full_matrices=full_matrices, check_finite=False)
    except np.linalg.LinAlgError:  # pragma: no cover - LAPACK-dependent
        return scipy.linalg.svd(
            a, full_matrices=full_matrices, check_finite=False, lapack_driver="gesvd"
        )


def qr(a, *, overwrite_a=False):
    """Thin (economic) QR of ``a`` (or of each matrix of a stack), in its namespace.

    NumPy: SciPy's Householder QR for one matrix, which may factor a
    temporary in place (``overwrite_a``) instead of copying the data again.
    """
    if is_foreign(a):
        xp, _ = namespace(a)
        return xp.linalg.qr(a)
    if a.ndim == 2:
        return scipy.linalg.qr(
            a, mode="economic", overwrite_a=overwrite_a, check_finite=False
        )
    return np.linalg.qr(a)


# --------------------------------------------------------------- numerics


def fourth_powers(X, mean, inv_std, *, block_rows, low_precision=False):
    """``Σ ((x - mean) inv_std)⁴`` per column, as a host vector.

    The ``O(n p)`` work runs in the namespace, block by block, in place on
    one copy of each block (in float32 with ``low_precision``, summed in
    the accumulation dtype): a temporary per operation made this pass
    cost half the moments pass on CPU torch, against 3-12 % in place
    (``benchmarks/bench_sparse_check.py``).
    """
    xp, device = namespace(X)
    acc = float_dtype(xp, device)
    dtype = xp.float32 if low_precision else acc
    mean = xp.astype(from_numpy(mean, X), dtype)
    inv_std = xp.astype(from_numpy(inv_std, X), dtype)
    s4 = xp.zeros(X.shape[1], dtype=acc, device=device)
    for start, stop in _row_blocks(X.shape[0], block_rows):
        e = xp.astype(X[start:stop, ...], dtype, copy=True)
        e -= mean
        e *= inv_std
        e *= e
        e *= e
        s4 += xp.sum(e, axis=0, dtype=acc)
    return to_numpy(s4)


def all_finite(a):
    """Whether every entry of ``a`` (NumPy or namespace) is finite.

    Reduced where ``a`` lives: one boolean comes to the host.
    """
    if not is_foreign(a):
        return bool(np.all(np.isfinite(a)))
    xp, _ = namespace(a)
    return bool(xp.all(xp.isfinite(a)))


def max_abs(A):
    """Largest magnitude in ``A`` (NumPy or namespace), as a float.

    Without a temporary ``abs`` copy of the data on NumPy.
    """
    if not is_foreign(A):
        return float(max(np.max(A), -np.min(A))) if A.size else 0.0
    xp, _ = namespace(A)
    return float(xp.max(xp.abs(A)))


def ldexp(A, e):
    """``A * 2**e``, exactly, in ``A``'s namespace and dtype (a new array).

    Real or complex. ``e`` is an int, or a NumPy array of ints broadcast
    against ``A`` (one per column, say). Two factors, each a representable
    power of two, cover ``|e|`` up to 2046.
    """
    half = e // 2
    factors = [2.0**half, 2.0 ** (e - half)]
    if np.ndim(e) and is_foreign(A):
        factors = [from_numpy(np.asarray(f), A) for f in factors]
    # Overflow gives inf, without NumPy's RuntimeWarning: the callers check
    # for it and raise their own error, which says what to do.
    with np.errstate(over="ignore"):
        out = A * factors[0]
        out *= factors[1]
    return out


def project(X, mean, weights):
    """``(X - mean) @ weights`` in float64 (the widest float of X's device)."""
    if is_foreign(X):
        xp, device = namespace(X)
        acc = float_dtype(xp, device)
        return (xp.astype(X, acc) - xp.astype(mean, acc)) @ xp.astype(weights, acc)
    return (np.asarray(X, dtype=np.float64) - mean) @ weights


def centered(X):
    """``X`` in the accumulation dtype, each column centered."""
    xp, device = namespace(X)
    Xc = xp.astype(X, float_dtype(xp, device), copy=True)
    Xc -= xp.mean(Xc, axis=0)
    return Xc


# ------------------------------------------------------------- FourierCCA
# FourierCCA's maps (n_samples, height, width, channels): centering, the FFT
# and every per-frequency product over samples run in the namespace
# (complex128 where the device has float64), and the per-frequency sums stay
# there, where _fourier finishes and solves them with the same code as for
# NumPy input. Frequencies are given as host "bins" ``(index, conj, real)``: each
# solved frequency's flat position in the ``rfftn`` output over (height,
# width), whether it must be conjugated, and whether it is real.


def _row_blocks(n, block_rows):
    """``(start, stop)`` of each block, ``stop`` clipped (strict slicing)."""
    for start in range(0, n, block_rows):
        yield start, min(start + block_rows, n)


def take(a, index, axis):
    """``a`` at host integer ``index`` along ``axis``, in ``a``'s namespace."""
    xp, device = namespace(a)
    return xp.take(a, xp.asarray(index, device=device), axis=axis)


def _mask(flags, xp, device):
    """Host booleans (n_bins,) as a device mask broadcasting over (n_bins, b, c)."""
    return xp.reshape(xp.asarray(flags, device=device), (-1, 1, 1))


def map_mean(X, *, block_rows):
    """Mean map of ``X`` in the accumulation dtype, summed block by block."""
    xp, device = namespace(X)
    acc = float_dtype(xp, device)
    n = X.shape[0]
    total = xp.zeros(tuple(X.shape[1:]), dtype=acc, device=device)
    for start, stop in _row_blocks(n, block_rows):
        total += xp.sum(xp.astype(X[start:stop, ...], acc), axis=0)
    return total / n


def bin_spectra(maps, mean_map, bins):
    """Centered DFT coefficients of a block of maps at some bins, in-namespace.

    The counterpart of ``_fourier._spectra``: returns ``(Z, residual,
    sumsq)`` with ``Z`` of shape (n_bins, b, channels) (complex, each bin's
    (sample, channel) matrix), the spatial sum of the centered block and the
    per-channel sum of its squares. Self-conjugate bins are made exactly
    real, as there.
    """
    xp, device = namespace(maps)
    index, conj, real = bins
    b, h, w, c = maps.shape
    z = xp.astype(maps, float_dtype(xp, device), copy=True)
    z -= mean_map
    residual = xp.sum(z, axis=0)
    sumsq = xp.sum(z * z, axis=(0, 1, 2))
    F = xp.reshape(xp.fft.rfftn(z, axes=(1, 2)), (b, h * (w // 2 + 1), c))
    Z = xp.permute_dims(take(F, index, axis=1), (1, 0, 2))
    if np.any(conj):
        Z = xp.where(_mask(conj, xp, device), xp.conj(Z), Z)
    if np.any(real):
        Z = xp.where(_mask(real, xp, device), xp.astype(xp.real(Z), Z.dtype), Z)
    return Z, residual, sumsq


def conj_t(Z):
    """``Zᴴ`` of a matrix or of each matrix of a stack (``Zᵀ`` when real).

    In ``Z``'s namespace.
    """
    xp, _ = namespace(Z)
    t = xp.permute_dims(Z, (*range(Z.ndim - 2), Z.ndim - 1, Z.ndim - 2))
    return xp.conj(t) if xp.isdtype(Z.dtype, "complex floating") else t


def spectral_sums(X, Y, x_bins, y_bins, *, block_rows):
    """The sums FourierCCA's moments are made of, computed in ``X``'s namespace.

    Returns ``(x_map, y_map, cxx, cyy, cxy, rx, ry, ssx, ssy)``, all in
    ``X``'s namespace, on its device: the mean maps, the stacked
    cross-products ``Zᴴ Z`` of the centered spectra (complex128 where the
    device has float64; both triangles, made exactly Hermitian), the spatial
    sums of the centered data (the rounding left by centering) and the
    per-channel sums of squares. Nothing comes to the host.
    """
    xp, device = namespace(X)
    Y = move_like(Y, X)
    cplx = complex_dtype(xp, device)
    n, p, q = X.shape[0], X.shape[-1], Y.shape[-1]
    S = np.asarray(x_bins[0]).shape[0]
    x_map = map_mean(X, block_rows=block_rows)
    y_map = map_mean(Y, block_rows=block_rows)
    cxx = xp.zeros((S, p, p), dtype=cplx, device=device)
    cyy = xp.zeros((S, q, q), dtype=cplx, device=device)
    cxy = xp.zeros((S, p, q), dtype=cplx, device=device)
    rx, ry = xp.zeros_like(x_map), xp.zeros_like(y_map)
    ssx = xp.zeros((p,), dtype=x_map.dtype, device=device)
    ssy = xp.zeros((q,), dtype=y_map.dtype, device=device)
    for start, stop in _row_blocks(n, block_rows):
        zx, res_x, sq_x = bin_spectra(X[start:stop, ...], x_map, x_bins)
        zy, res_y, sq_y = bin_spectra(Y[start:stop, ...], y_map, y_bins)
        zxh = conj_t(zx)
        cxx += zxh @ zx
        cyy += conj_t(zy) @ zy
        cxy += zxh @ zy
        rx += res_x
        ry += res_y
        ssx += sq_x
        ssy += sq_y
    # A stacked matmul rounds the two triangles of Zᴴ Z independently:
    # average them, which also makes the diagonal exactly real.
    cxx = (cxx + conj_t(cxx)) / 2
    cyy = (cyy + conj_t(cyy)) / 2
    return x_map, y_map, cxx, cyy, cxy, rx, ry, ssx, ssy


def stacked_spectra(X, mean_map, bins, *, block_rows):
    """Every sample's DFT coefficients at some bins, (n_bins, n, c), on the device.

    ``mean_map`` is in ``X``'s namespace; the result stays there (it is
    data-sized: the exact route factorizes it there).
    """
    xp, _ = namespace(X)
    return xp.concat(
        [
            bin_spectra(X[start:stop, ...], mean_map, bins)[0]
            for start, stop in _row_blocks(X.shape[0], block_rows)
        ],
        axis=1,
    )


def hartley_variates(maps, mean_map, bins, A, positions, paired, *, block_rows):
    """FourierCCA's ``transform`` layout, computed in ``maps``' namespace.

    ``A`` (n_bins, c, k) holds the solved frequencies' weights and
    ``mean_map`` the fitted mean, both on the device. Per block, the complex
    variates ``z`` give ``Re z - Im z`` at each solved frequency and ``Re z +
    Im z`` at the conjugate partners (``paired``, host indices into the
    solved frequencies); ``positions`` (host, one per grid frequency) picks
    each grid frequency's column from that list. Returns (n, H * W * k) in
    the accumulation dtype.
    """
    xp, _ = namespace(maps)
    n = maps.shape[0]
    out = []
    for start, stop in _row_blocks(n, block_rows):
        Z = bin_spectra(maps[start:stop, ...], mean_map, bins)[0]
        z = xp.permute_dims(Z @ A, (1, 0, 2))
        re, im = xp.real(z), xp.imag(z)
        both = xp.concat([re - im, take(re + im, paired, axis=1)], axis=1)
        block = take(both, positions, axis=1)
        out.append(xp.reshape(block, (block.shape[0], -1)))
    return xp.concat(out, axis=0)


def pair_sums(X, Y, x_bins, y_bins, A, B, *, block_rows):
    """The sums of FourierCCA's held-out correlations, in ``X``'s namespace.

    Each view is centered at its own mean map, transformed and projected on
    the device (``A``, ``B``: (n_bins, c, k) weights there); returns
    ``(suv, suu, svv, su, sv, ssx, ssy, x_map, y_map)``, on the device, with
    ``suv = Σ ū v``, ``suu = Σ |u|²``, ``svv``, the sums ``su``, ``sv`` of
    the variates, the total sums of squares of the centered views (0-d) and
    their mean maps.
    """
    xp, device = namespace(X)
    Y = move_like(Y, X)
    n = X.shape[0]
    x_map = map_mean(X, block_rows=block_rows)
    y_map = map_mean(Y, block_rows=block_rows)
    shape = (A.shape[0], A.shape[-1])
    suv, su, sv = (xp.zeros(shape, dtype=A.dtype, device=device) for _ in range(3))
    suu, svv = (xp.zeros(shape, dtype=x_map.dtype, device=device) for _ in range(2))
    ssx = xp.zeros((), dtype=x_map.dtype, device=device)
    ssy = xp.zeros((), dtype=x_map.dtype, device=device)
    for start, stop in _row_blocks(n, block_rows):
        zx, _, sq_x = bin_spectra(X[start:stop, ...], x_map, x_bins)
        zy, _, sq_y = bin_spectra(Y[start:stop, ...], y_map, y_bins)
        u, v = zx @ A, zy @ B
        cu = xp.conj(u)
        suv += xp.sum(cu * v, axis=1)
        suu += xp.sum(xp.real(cu * u), axis=1)
        svv += xp.sum(xp.real(xp.conj(v) * v), axis=1)
        su += xp.sum(u, axis=1)
        sv += xp.sum(v, axis=1)
        ssx += xp.sum(sq_x)
        ssy += xp.sum(sq_y)
    return suv, suu, svv, su, sv, ssx, ssy, x_map, y_map
