"""The original SVCCA code's functions, computed with this library's numerics.

Hundreds of papers report similarities computed with the research code of
Raghu et al. (google/svcca). This module reproduces its three entry points
with the same names, argument order, ``(neurons, datapoints)`` layout and
return structures, so that those numbers can be reproduced and old scripts
ported by changing one import:

- :func:`get_cca_similarity` (``cca_core.get_cca_similarity``),
- :func:`compute_pwcca` (``pwcca.compute_pwcca``),
- :func:`fourier_ccas` (``dft_ccas.fourier_ccas``).

The numbers are those of the original recipe; the estimators
(:class:`~sklearn_svcca.CCA`, :class:`~sklearn_svcca.PWCCA`, ...) compute the
textbook and paper definitions instead, which differ in documented ways (see
the migration guide). Where the original crashes or returns garbage -- NaN on
dead or duplicated neurons, "SVD did not converge", coefficients above 1, an
IndexError in ``compute_pwcca`` when ``acts1`` is wider, Python 2 code in
``fourier_ccas`` -- these functions return the numerically correct value of
the same recipe or raise a ValueError that says what to do.

Array API arrays (PyTorch tensors, CuPy arrays, ...) are accepted and copied
to the host: these functions compute with NumPy, as the original does, and
return NumPy arrays. A tensor that requires grad is used detached.

Unlike the original, nothing is printed: ``verbose=True`` logs a one-line
summary per call at INFO level on the ``"sklearn_svcca.compat"`` logger
(shown once logging is configured, e.g. ``logging.basicConfig(level="INFO")``).
"""

from __future__ import annotations

import logging
from numbers import Real

import numpy as np
import scipy.fft

from . import _linalg, _validation

__all__ = ["compute_pwcca", "fourier_ccas", "get_cca_similarity"]

_logger = logging.getLogger(__name__)

# The entries of get_cca_similarity's result that describe the coefficients
# over neurons; fourier_ccas keeps them only when return_coefs=True.
_COEF_KEYS = (
    "coef_x",
    "invsqrt_xx",
    "full_coef_x",
    "full_invsqrt_xx",
    "coef_y",
    "invsqrt_yy",
    "full_coef_y",
    "full_invsqrt_yy",
    "neuron_means1",
    "neuron_means2",
)


# ------------------------------------------------------------ validation


def _check_acts(acts, name, *, ndim=2, layout="(neurons, datapoints)"):
    """A finite floating-point array with ``ndim`` dimensions.

    float32 and complex64 are kept as they are (the cross-products are
    accumulated in float64 block by block, so a float64 copy of large
    activations is never needed); other numeric types become float64. The
    result may share memory with ``acts``: nothing downstream writes to it.
    """
    arr = np.asarray(
        _validation.host_array(acts, name, what=f"an array of shape {layout}")
    )
    if arr.dtype.kind not in "biufc":
        raise TypeError(
            f"{name} must be a numeric array, got dtype {arr.dtype}. Convert the "
            "activations with np.asarray(..., dtype=float)."
        )
    if arr.ndim != ndim:
        hint = (
            " For a single neuron, use acts.reshape(1, -1)."
            if ndim == 2 and arr.ndim == 1
            else ""
        )
        raise ValueError(
            f"{name} must be a {ndim}-D array of shape {layout}, got an array "
            f"of shape {arr.shape}.{hint}"
        )
    if arr.dtype not in (np.float32, np.float64, np.complex64, np.complex128):
        arr = arr.astype(np.complex128 if arr.dtype.kind == "c" else np.float64)
    if arr.size == 0:
        raise ValueError(f"{name} of shape {arr.shape} {layout} is empty.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinity.")
    return arr


def _check_pair(acts1, acts2):
    if acts1.shape[1] != acts2.shape[1]:
        raise ValueError(
            f"acts1 and acts2 must have the same number of datapoints (columns), "
            f"got shapes {acts1.shape} and {acts2.shape}. Both are (neurons, "
            "datapoints); if yours are (datapoints, neurons), pass acts1.T and "
            "acts2.T."
        )
    numx, n = acts1.shape
    if numx >= n:
        # The original asserts this to catch arrays passed the wrong way round.
        raise ValueError(
            f"acts1 has {numx} neurons (rows) and only {n} datapoints (columns). "
            "The layout is (neurons, datapoints): if yours is (datapoints, "
            "neurons), pass acts1.T; otherwise record activations on more "
            "datapoints than there are neurons (5-10x more)."
        )


# ------------------------------------------------------------ numerics


def _covariances(acts1, acts2):
    """Covariances of the stacked views, with the (n - 1) normalisation.

    For complex activations ``Σxy[i, j] = E[(x_i - μ_i) conj(y_j - μ_j)]``, as
    :func:`numpy.cov` computes it. The cross-products come from
    :func:`sklearn_svcca._linalg.compute_moments` (float64 accumulation with
    its mean correction); complex views are split into real and imaginary
    parts, whose real cross-products assemble into the Hermitian ones:
    ``(a + ib)(c - id) = (ac + bd) + i(bc - ad)``.

    Neurons that are constant to working precision get exactly zero rows and
    columns: the rounding residue of their centering would otherwise pass for
    variance (the original's ``np.cov`` leaves it in).

    Returns
    -------
    n, mean1, mean2, sxx, syy, sxy
    """
    n = acts1.shape[1]
    if np.iscomplexobj(acts1) or np.iscomplexobj(acts2):
        p, q = acts1.shape[0], acts2.shape[0]
        X = np.concatenate([acts1.real, acts1.imag]).T
        Y = np.concatenate([acts2.real, acts2.imag]).T
        # Overflow is reported below, with what to do about it.
        with np.errstate(over="ignore", invalid="ignore"):
            m = _linalg.compute_moments(X, Y)

        def hermitian(c, k, ell):
            re = c[:k, :ell] + c[k:, ell:]
            im = c[k:, :ell] - c[:k, ell:]
            return re + 1j * im

        mean1 = m.x_mean[:p] + 1j * m.x_mean[p:]
        mean2 = m.y_mean[:q] + 1j * m.y_mean[q:]
        cxx, cyy = hermitian(m.cxx, p, p), hermitian(m.cyy, q, q)
        cxy = hermitian(m.cxy, p, q)
        ssx, ssy = cxx.real, cyy.real
    else:
        with np.errstate(over="ignore", invalid="ignore"):
            m = _linalg.compute_moments(acts1.T, acts2.T)
        mean1, mean2, cxx, cyy, cxy = m.x_mean, m.y_mean, m.cxx, m.cyy, m.cxy
        ssx, ssy = cxx, cyy
    if not (np.all(np.isfinite(cxx)) and np.all(np.isfinite(cyy))):
        raise _validation.overflow_error(
            "CCA", views="acts1 or acts2", what="covariances"
        )
    live_x = np.zeros(cxx.shape[0], dtype=bool)
    live_y = np.zeros(cyy.shape[0], dtype=bool)
    live_x[_linalg.nonconstant_columns(ssx, mean1, n)] = True
    live_y[_linalg.nonconstant_columns(ssy, mean2, n)] = True
    for name, live in (("acts1", live_x), ("acts2", live_y)):
        if not live.any():
            raise _validation.constant_error(
                name,
                live.size,
                n,
                values="neurons",
                unit=None,
                note=" (The original code returns a dict of zeros here.)",
            )
    cxx = cxx * np.outer(live_x, live_x)
    cyy = cyy * np.outer(live_y, live_y)
    cxy = cxy * np.outer(live_x, live_y)
    return n, mean1, mean2, cxx / (n - 1), cyy / (n - 1), cxy / (n - 1)


def _pinv_sqrt(sigma, n_samples):
    """Square root of the pseudo-inverse of a positive semi-definite matrix.

    One symmetric (Hermitian) eigendecomposition, ``Σ = V Λ Vᴴ``, gives
    ``(Σ⁺)^{1/2} = V Λ^{-1/2} Vᴴ`` over the eigenvalues above the rank cut of
    :func:`sklearn_svcca._linalg.gram_basis`; the others are zero to working
    precision and count as exactly zero. The original inverts first and then
    takes the square roots of the inverse's eigenvalues, which on a singular
    ``Σ`` include negative rounding errors: NaN.

    Returns
    -------
    invsqrt : ndarray of shape (m, m)
    rank : int
    """
    m = sigma.shape[0]
    basis = _linalg.gram_basis(
        sigma, columns=np.arange(m), n_samples=n_samples, scale=False
    )
    W = basis.whitener()
    return W @ basis.V.conj().T, basis.rank


def _threshold_index(s, threshold):
    """How many leading coefficients the original's ``mean`` averages.

    The original takes the first ``i`` in ``0 .. len(s) - 1`` with
    ``sum(s[:i]) / sum(s) >= threshold``, or all of them when there is none.
    At ``i = 0`` (``threshold=0``) that is the mean of nothing, NaN; here at
    least one coefficient is kept.
    """
    total = np.sum(s)
    if not total > 0:
        return s.shape[0]
    ratio = np.concatenate([[0.0], np.cumsum(s)[:-1]]) / total
    hits = np.flatnonzero(ratio >= threshold)
    i = int(hits[0]) if hits.size else s.shape[0]
    return max(i, 1)


def _embed(block, mask):
    """A square matrix of mask's size holding ``block`` on the kept rows and
    columns, zeros elsewhere (the original's ``np.place`` on an outer mask)."""
    full = np.zeros((mask.size, mask.size), dtype=block.dtype)
    full[np.ix_(mask, mask)] = block
    return full


# --------------------------------------------------------- public API


def get_cca_similarity(
    acts1,
    acts2,
    epsilon: float = 0.0,
    threshold: float = 0.98,
    compute_coefs: bool = True,
    compute_dirns: bool = False,
    verbose: bool = False,
) -> dict:
    """CCA similarity of two layers, as the original ``cca_core`` computes it.

    Parameters
    ----------
    acts1 : array-like of shape (num_neurons1, datapoints)
        Activations of the first layer: entry ``(i, j)`` is neuron ``i`` on
        datapoint ``j``. This is the transpose of the estimators' layout.
        Real or complex. Must have more datapoints than neurons.
    acts2 : array-like of shape (num_neurons2, datapoints)
        The second layer, on the same datapoints in the same order.
    epsilon : float, default=0.0
        Neurons whose variance, after the covariance of each layer is divided
        by its largest entry, is below ``epsilon`` are dropped, and
        ``epsilon`` is added to the diagonal of both (scaled) covariances.
    threshold : float in [0, 1], default=0.98
        ``mean`` averages the fewest leading coefficients whose sum reaches
        this fraction of the total (see Notes).
    compute_coefs : bool, default=True
        Whether to return the directions over neurons (``coef_x``,
        ``invsqrt_xx``, ``full_*``, ``neuron_means*``).
    compute_dirns : bool, default=False
        Whether to return the canonical directions over datapoints,
        ``cca_dirns1`` and ``cca_dirns2``. Unlike the original, this works
        with ``compute_coefs=False`` too.
    verbose : bool, default=False
        Log a one-line summary (neurons kept, ranks, how many coefficients
        ``mean`` averages) at INFO level on the ``"sklearn_svcca.compat"``
        logger. Nothing is printed.

    Returns
    -------
    return_dict : dict
        The original's keys. With ``k = min(kx, ky)`` and ``kx``, ``ky`` the
        numbers of kept neurons:

        - ``"cca_coef1"``, ``"cca_coef2"`` : ndarray of shape (k,), the same
          coefficients, descending, in [0, 1].
        - ``"mean"`` : pair of equal floats, the thresholded mean.
        - ``"sum"`` : pair of equal floats, the sum of all coefficients.
        - ``"x_idxs"``, ``"y_idxs"`` : boolean ndarrays of shape
          (num_neurons1,) and (num_neurons2,), the kept neurons.
        - ``"coef_x"`` : ndarray of shape (kx, kx), ``uᵀ``; ``"coef_y"`` :
          ndarray of shape (ky, ky), ``v`` (rows are the singular vectors).
        - ``"invsqrt_xx"``, ``"invsqrt_yy"`` : the whitening matrices of the
          kept neurons, shapes (kx, kx) and (ky, ky).
        - ``"full_coef_x"``, ``"full_invsqrt_xx"`` : shape (num_neurons1,
          num_neurons1), the same placed on the kept rows and columns,
          zeros elsewhere; ``"full_coef_y"``, ``"full_invsqrt_yy"`` likewise.
        - ``"neuron_means1"``, ``"neuron_means2"`` : shapes (num_neurons1, 1)
          and (num_neurons2, 1).
        - ``"cca_dirns1"``, ``"cca_dirns2"`` : shapes (num_neurons1,
          datapoints) and (num_neurons2, datapoints), when ``compute_dirns``.

    Raises
    ------
    ValueError
        If a layer is constant, ``epsilon`` drops every neuron of a layer,
        the layout looks transposed, or the input is not finite.

    See Also
    --------
    sklearn_svcca.CCA : The estimator; ``CCA().fit(acts1.T, acts2.T)``.
    compute_pwcca : The original's projection-weighted mean.

    Notes
    -----
    The original recipe, step by step. ``Σ`` is the covariance of the
    stacked activations ``[acts1; acts2]`` with the ``1 / (n - 1)``
    normalisation. ``Σxx`` is divided by ``xmax = max |Σxx|``, ``Σyy`` by
    ``ymax = max |Σyy|`` and ``Σxy`` by ``sqrt(xmax ymax)``. Neurons with a
    scaled variance below ``ε`` are dropped and ``ε I`` is added to ``Σxx``
    and ``Σyy``. With ``Wx = (Σxx⁺)^{1/2}`` and ``Wy = (Σyy⁺)^{1/2}``, the
    full SVD ``Wx Σxy Wy = u diag(s) v`` gives the coefficients ``|s|``,
    ``coef_x = uᵀ`` and ``coef_y = v``. The directions are
    ``cca_dirns1 = full_coef_x · full_invsqrt_xx · (acts1 - μ1) + μ1`` (the
    neuron means added back; likewise for ``acts2``).

    ``mean`` is **not** the mean of the coefficients: it is the mean of
    ``s[:i]`` for the first ``i`` with ``sum(s[:i]) / sum(s) >= threshold``
    (all of them if there is none, at least one). On the tutorial's MNIST
    logits it is 0.7741 where the plain mean, which
    :class:`~sklearn_svcca.CCA` reports, is 0.7057.

    Where the original's numerics fail, these give the value of the same
    recipe in exact arithmetic:

    - The pseudo-inverse square root comes from one eigendecomposition of
      ``Σ``, with eigenvalues below ``100 max(m, sqrt(n)) eps λ_max`` treated
      as zero (the original takes square roots of negative rounding errors
      on dead or duplicated neurons and returns NaN). A rank-deficient layer
      thus gives ``k`` coefficients of which the trailing ones are 0.
    - Neurons that are constant get exactly zero covariance; a layer that is
      all constant is an error rather than a dict of zeros.
    - The SVD falls back from LAPACK's gesdd to gesvd rather than failing
      with "SVD did not converge", and the coefficients are clipped to 1.

    This is the covariance route: its accuracy degrades as ``eps`` times the
    condition number of ``Σ``. For exact canonical correlations on
    ill-conditioned activations, use :class:`~sklearn_svcca.CCA`.

    References
    ----------
    .. [1] M. Raghu, J. Gilmer, J. Yosinski, J. Sohl-Dickstein, "SVCCA:
       Singular Vector Canonical Correlation Analysis for Deep Learning
       Dynamics and Interpretability", NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca.compat import get_cca_similarity
    >>> rng = np.random.RandomState(0)
    >>> latent = rng.normal(size=(2, 1000))
    >>> acts1 = rng.normal(size=(5, 2)) @ latent + 0.5 * rng.normal(size=(5, 1000))
    >>> acts2 = rng.normal(size=(4, 2)) @ latent + 0.5 * rng.normal(size=(4, 1000))
    >>> results = get_cca_similarity(acts1, acts2)
    >>> results["cca_coef1"].round(3)
    array([0.939, 0.81 , 0.048, 0.025])
    >>> round(float(results["mean"][0]), 4)  # the first 3 of 4 coefficients
    0.599
    >>> round(float(results["cca_coef1"].mean()), 4)  # what CCA reports
    0.4555
    """
    acts1 = _check_acts(acts1, "acts1")
    acts2 = _check_acts(acts2, "acts2")
    _check_pair(acts1, acts2)
    if not isinstance(epsilon, Real) or not (0 <= epsilon < np.inf):
        raise ValueError(
            f"epsilon must be a non-negative float, got {epsilon!r}; the "
            "original's default is 0.0."
        )
    if not isinstance(threshold, Real) or not (0 <= threshold <= 1):
        raise ValueError(
            f"threshold must be a float in [0, 1], got {threshold!r}; the "
            "original's default is 0.98."
        )
    numx, numy = acts1.shape[0], acts2.shape[0]

    n, mean1, mean2, sxx, syy, sxy = _covariances(acts1, acts2)
    xmax = np.max(np.abs(sxx))
    ymax = np.max(np.abs(syy))
    sxx = sxx / xmax
    syy = syy / ymax
    sxy = sxy / np.sqrt(xmax * ymax)

    x_idxs = np.abs(np.diagonal(sxx)) >= epsilon
    y_idxs = np.abs(np.diagonal(syy)) >= epsilon
    for name, idxs in (("acts1", x_idxs), ("acts2", y_idxs)):
        if not idxs.any():
            raise ValueError(
                f"epsilon={epsilon} drops every neuron of {name}: after "
                "scaling, the largest variance is 1. Use a smaller epsilon "
                "(the original's default is 0.0)."
            )
    kx, ky = int(x_idxs.sum()), int(y_idxs.sum())
    sxx = sxx[np.ix_(x_idxs, x_idxs)] + epsilon * np.eye(kx)
    syy = syy[np.ix_(y_idxs, y_idxs)] + epsilon * np.eye(ky)
    sxy = sxy[np.ix_(x_idxs, y_idxs)]

    invsqrt_xx, rank_x = _pinv_sqrt(sxx, n)
    invsqrt_yy, rank_y = _pinv_sqrt(syy, n)
    u, s, v = _linalg.svd(invsqrt_xx @ sxy @ invsqrt_yy, full_matrices=True)
    # Singular values are non-negative already; the clip removes the rounding
    # that takes a perfect correlation a few ulps above 1.
    s = np.clip(np.abs(s), 0.0, 1.0)

    i = _threshold_index(s, threshold)
    return_dict = {}
    if compute_coefs or compute_dirns:
        full_coef_x = _embed(u.T, x_idxs)
        full_invsqrt_xx = _embed(invsqrt_xx, x_idxs)
        full_coef_y = _embed(v, y_idxs)
        full_invsqrt_yy = _embed(invsqrt_yy, y_idxs)
        neuron_means1 = mean1.reshape(-1, 1)
        neuron_means2 = mean2.reshape(-1, 1)
    if compute_coefs:
        return_dict.update(
            coef_x=u.T,
            invsqrt_xx=invsqrt_xx,
            full_coef_x=full_coef_x,
            full_invsqrt_xx=full_invsqrt_xx,
            coef_y=v,
            invsqrt_yy=invsqrt_yy,
            full_coef_y=full_coef_y,
            full_invsqrt_yy=full_invsqrt_yy,
            neuron_means1=neuron_means1,
            neuron_means2=neuron_means2,
        )
    return_dict["cca_coef1"] = s
    return_dict["cca_coef2"] = s
    return_dict["x_idxs"] = x_idxs
    return_dict["y_idxs"] = y_idxs
    mean = np.mean(s[:i])
    total = np.sum(s)
    return_dict["mean"] = (mean, mean)
    return_dict["sum"] = (total, total)
    if compute_dirns:
        return_dict["cca_dirns1"] = (full_coef_x @ full_invsqrt_xx) @ (
            acts1 - neuron_means1
        ) + neuron_means1
        return_dict["cca_dirns2"] = (full_coef_y @ full_invsqrt_yy) @ (
            acts2 - neuron_means2
        ) + neuron_means2

    if verbose:
        _logger.info(
            "get_cca_similarity: kept %d of %d neurons of acts1 and %d of %d of "
            "acts2 (epsilon=%g); ranks %d and %d over %d datapoints; 'mean' "
            "%.6f averages the first %d of %d coefficients (plain mean %.6f).",
            kx,
            numx,
            ky,
            numy,
            epsilon,
            rank_x,
            rank_y,
            n,
            mean,
            i,
            s.shape[0],
            np.mean(s),
        )
    return return_dict


def compute_pwcca(acts1, acts2, epsilon: float = 0.0):
    """Projection-weighted CCA, as the original ``pwcca.compute_pwcca`` does it.

    This reproduces the original code's numbers, which differ from the
    paper's definition implemented by :class:`~sklearn_svcca.PWCCA` (see
    Notes).

    Parameters
    ----------
    acts1 : array-like of shape (num_neurons1, datapoints)
        Activations of the first layer, real. Must have more datapoints than
        neurons.
    acts2 : array-like of shape (num_neurons2, datapoints)
        The second layer, on the same datapoints.
    epsilon : float, default=0.0
        As in :func:`get_cca_similarity`.

    Returns
    -------
    pwcca_mean : float
        ``Σ_i weights[i] coefs[i]``.
    weights : ndarray of shape (k,)
        Non-negative, sums to 1.
    coefs : ndarray of shape (k,)
        The canonical correlation coefficients of :func:`get_cca_similarity`.

    See Also
    --------
    sklearn_svcca.PWCCA : The paper's definition, as an estimator.
    get_cca_similarity : The coefficients and directions used here.

    Notes
    -----
    The weights come from the layer with fewer kept neurons (``acts1`` on a
    tie); say it is ``acts1``, with kept neurons ``a_j`` and means ``μ_j``.
    Its directions are ``d_i = Σ_j u_ji (a_j - μ_j) + μ_i``: the left
    singular vectors of :func:`get_cca_similarity` applied to the centered
    activations *without* the whitening ``invsqrt_xx``, with the means added
    back. A QR decomposition ``[d_1 … d_k] = P R`` orthonormalises them and
    ``weights_i ∝ Σ_j |⟨P_i, a_j⟩|`` over the raw (uncentered) activations.

    The paper (and :class:`~sklearn_svcca.PWCCA`) uses the canonical
    variates themselves, centered and whitened, against centered neurons. On
    the tutorial's MNIST logits the original construction gives 0.7372 and
    the paper's 0.8074. Because the means are added back, the result depends
    on the sign of each singular vector; the signs are kept exactly as the
    SVD returns them, as in the original.

    When the layer used for the weights is rank-deficient (dead or
    duplicated neurons kept with ``epsilon=0``), the singular vectors of its
    zero coefficients are not unique, and the QR of directions that are
    linearly dependent completes them arbitrarily: the result is finite, but
    the weights of those directions, hence the normalisation, can depend on
    rounding. This is a property of the construction, not of its numerics;
    drop dead neurons with a small ``epsilon``, or use
    :class:`~sklearn_svcca.PWCCA`.

    The original raises an IndexError when ``acts1`` has more kept neurons
    than ``acts2`` (it indexes ``acts1`` with ``acts2``'s mask) and a
    broadcasting error when ``epsilon`` drops neurons; here ``acts2``'s
    activations are used in the first case and the kept neurons' means in
    the second.

    References
    ----------
    .. [1] A. S. Morcos, M. Raghu, S. Bengio, "Insights on representational
       similarity in neural networks with canonical correlation", NeurIPS
       2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca.compat import compute_pwcca
    >>> rng = np.random.RandomState(0)
    >>> latent = rng.normal(size=(2, 1000))
    >>> acts1 = rng.normal(size=(5, 2)) @ latent + 0.5 * rng.normal(size=(5, 1000))
    >>> acts2 = rng.normal(size=(4, 2)) @ latent + 0.5 * rng.normal(size=(4, 1000))
    >>> pwcca_mean, weights, coefs = compute_pwcca(acts1, acts2)
    >>> round(float(pwcca_mean), 4)
    0.751
    >>> weights.shape, coefs.shape
    ((4,), (4,))

    The paper's definition weighs the same coefficients differently:

    >>> from sklearn_svcca import PWCCA
    >>> round(PWCCA().fit(acts1.T, acts2.T).similarity_, 4)
    0.7184
    """
    acts1 = _check_acts(acts1, "acts1")
    acts2 = _check_acts(acts2, "acts2")
    for name, acts in (("acts1", acts1), ("acts2", acts2)):
        if np.iscomplexobj(acts):
            raise ValueError(
                f"compute_pwcca takes real activations, but {name} is complex. "
                "For Fourier-domain activations use get_cca_similarity or "
                "fourier_ccas."
            )
    sresults = get_cca_similarity(
        acts1, acts2, epsilon=epsilon, compute_dirns=False, compute_coefs=True
    )
    x_idxs, y_idxs = sresults["x_idxs"], sresults["y_idxs"]
    if x_idxs.sum() <= y_idxs.sum():
        coef, means, acts = sresults["coef_x"], sresults["neuron_means1"], acts1
        idxs, coefs = x_idxs, sresults["cca_coef1"]
    else:
        coef, means, acts = sresults["coef_y"], sresults["neuron_means2"], acts2
        idxs, coefs = y_idxs, sresults["cca_coef2"]
    kept = acts[idxs]
    kept_means = means[idxs]
    dirns = coef @ (kept - kept_means) + kept_means
    P = np.linalg.qr(dirns.T, mode="reduced")[0]
    weights = np.sum(np.abs(P.T @ kept.T), axis=1)
    weights = weights / np.sum(weights)
    return np.sum(weights * coefs), weights, coefs


# -------------------------------------------------------------- Fourier


def _kept_frequencies(size, new_size):
    """Indices (and integer frequencies) of the ``new_size`` lowest DFT bins.

    The original keeps the bins whose frequency ``f`` (in cycles per map)
    satisfies ``-new_size / 2 <= f < new_size / 2``, in the DFT's own order;
    for ``new_size == size`` that is every bin.
    """
    freqs = np.fft.fftfreq(size, d=1.0 / size)
    idx = np.flatnonzero((freqs >= -new_size / 2.0) & (freqs < new_size / 2.0))
    return idx, np.rint(freqs[idx]).astype(int)


def fourier_ccas(
    conv_acts1,
    conv_acts2,
    return_coefs: bool = False,
    compute_dirns: bool = False,
    verbose: bool = False,
    *,
    as_frame: bool = False,
):
    """CCA of two convolutional layers at each spatial frequency.

    The original ``dft_ccas.fourier_ccas``, on Python 3: the 2-D discrete
    Fourier transform is taken over each map's height and width, the maps
    are cropped to their common low frequencies when their sizes differ, and
    :func:`get_cca_similarity` is computed between the channels at each
    frequency. If the dataset is translation invariant, the CCA of the whole
    layers is block-diagonal in this basis and these results are exact.

    Parameters
    ----------
    conv_acts1 : array-like of shape (datapoints, height1, width1, channels1)
        Activations of the first convolutional layer, channels last. Real or
        complex; computed in complex128.
    conv_acts2 : array-like of shape (datapoints, height2, width2, channels2)
        The second layer, on the same datapoints. Its map may have another
        height and width (and need not be square): both are cropped to
        ``min(height1, height2) × min(width1, width2)`` frequencies.
    return_coefs : bool, default=False
        Whether each record keeps the coefficient entries of
        :func:`get_cca_similarity` (``coef_x``, ``invsqrt_xx``, ``full_*``,
        ``neuron_means*``).
    compute_dirns : bool, default=False
        Whether each record holds ``cca_dirns1`` and ``cca_dirns2``, the
        canonical directions at that frequency (complex, over datapoints).
    verbose : bool, default=False
        Log a summary per frequency at INFO level on the
        ``"sklearn_svcca.compat"`` logger.
    as_frame : bool, default=False
        Return a :class:`pandas.DataFrame` (one row per frequency) instead
        of a list of dicts, as the original did. Requires pandas, which is
        not a dependency of this library.

    Returns
    -------
    all_results : list of dict or pandas.DataFrame
        One record per frequency, row-major over the cropped grid: the
        entries of :func:`get_cca_similarity` plus ``"location"``, the
        ``(i, j)`` index in the cropped frequency grid, and ``"frequency"``,
        the signed integer frequencies ``(f_height, f_width)`` in cycles per
        map (``(0, 0)`` is the mean over positions).

    Raises
    ------
    ValueError
        If the arrays are not 4-D, have different numbers of datapoints, no
        more datapoints than channels, or a layer is constant at some
        frequency.

    See Also
    --------
    get_cca_similarity : The CCA computed at each frequency.

    Notes
    -----
    Differences from the original: it ran only on Python 2 (``xrange``,
    ``DataFrame.append``) and its ``return_coefs`` branch looked up keys that
    :func:`get_cca_similarity` never returns, so it crashed whatever the
    flag; it required square maps when resizing; it cast to complex64, which
    costs about three digits of the correlations; and it applied
    ``np.fft.ifft2`` over the (neurons, datapoints) axes of each frequency's
    directions, which has no meaning. Here ``return_coefs`` keeps or drops
    the coefficient entries, the directions are returned in the Fourier
    domain, and the records carry their frequency.

    For real activations, the results at frequencies ``f`` and ``-f`` are
    complex conjugates of each other and have the same coefficients.

    References
    ----------
    .. [1] M. Raghu, J. Gilmer, J. Yosinski, J. Sohl-Dickstein, "SVCCA:
       Singular Vector Canonical Correlation Analysis for Deep Learning
       Dynamics and Interpretability", NeurIPS 2017, section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca.compat import fourier_ccas
    >>> rng = np.random.RandomState(0)
    >>> conv1 = rng.normal(size=(200, 4, 3, 2))
    >>> conv2 = np.roll(conv1, 1, axis=1) @ rng.normal(size=(2, 3))
    >>> records = fourier_ccas(conv1, conv2)
    >>> len(records), records[0]["location"], records[0]["frequency"]
    (12, (0, 0), (0, 0))
    >>> [round(float(r["mean"][0]), 6) for r in records[:3]]
    [1.0, 1.0, 1.0]
    """
    layout = "(datapoints, height, width, channels)"
    a1 = _check_acts(conv_acts1, "conv_acts1", ndim=4, layout=layout)
    a2 = _check_acts(conv_acts2, "conv_acts2", ndim=4, layout=layout)
    if a1.shape[0] != a2.shape[0]:
        raise ValueError(
            f"conv_acts1 and conv_acts2 must have the same number of datapoints "
            f"(first axis), got shapes {a1.shape} and {a2.shape}."
        )
    if a1.shape[3] >= a1.shape[0]:
        raise ValueError(
            f"conv_acts1 has {a1.shape[3]} channels and only {a1.shape[0]} "
            f"datapoints. The layout is {layout}, channels last; CCA at each "
            "frequency needs more datapoints than channels."
        )
    if as_frame:
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "fourier_ccas(..., as_frame=True) requires pandas, which is not "
                "installed; pip install pandas, or use as_frame=False for a list "
                "of dicts."
            ) from exc

    height = min(a1.shape[1], a2.shape[1])
    width = min(a1.shape[2], a2.shape[2])
    crops = []
    for a in (a1, a2):
        # Both maps keep the same signed frequencies in the same order: those
        # of a map of the smaller size.
        rows, f_rows = _kept_frequencies(a.shape[1], height)
        cols, f_cols = _kept_frequencies(a.shape[2], width)
        # Double precision throughout (the original used complex64); a real
        # input is transformed as such, which is faster than casting it.
        wide = np.complex128 if np.iscomplexobj(a) else np.float64
        fa = scipy.fft.fft2(a.astype(wide, copy=False), axes=(1, 2))
        if rows.size < a.shape[1]:
            fa = fa[:, rows]
        if cols.size < a.shape[2]:
            fa = fa[:, :, cols]
        crops.append(fa)
    fft1, fft2 = crops

    all_results = []
    for i in range(height):
        for j in range(width):
            try:
                record = get_cca_similarity(
                    fft1[:, i, j, :].T,
                    fft2[:, i, j, :].T,
                    compute_coefs=return_coefs,
                    compute_dirns=compute_dirns,
                    verbose=verbose,
                )
            except ValueError as exc:
                raise ValueError(
                    f"At frequency {(int(f_rows[i]), int(f_cols[j]))} (location "
                    f"{(i, j)}): {exc}"
                ) from exc
            record["location"] = (i, j)
            record["frequency"] = (int(f_rows[i]), int(f_cols[j]))
            all_results.append(record)
    if as_frame:
        return pd.DataFrame(all_results)
    return all_results
