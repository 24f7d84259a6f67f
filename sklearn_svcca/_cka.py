"""Centered kernel alignment (Kornblith et al., 2019)."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import StrOptions

from . import _dask, _kernels, _linalg, _validation
from ._base import _BaseMeasure, _DenseMoments


class CKA(_DenseMoments, _BaseMeasure):
    """Centered kernel alignment (CKA) between two views of the same samples.

    CKA compares the similarity structure of two representations: how alike
    the samples look to each other in one view and in the other. Linear CKA
    is invariant to rotations and isotropic scaling of either view (not to
    arbitrary invertible maps, unlike CCA), and it picks out corresponding
    layers of networks trained from different seeds where CCA-based measures
    often do not (Kornblith et al., 2019).

    Linear CKA, plain or debiased, depends on the data only through
    feature-space statistics, so :meth:`partial_fit`, Dask arrays and Array
    API arrays on a device give the CKA of all the data, exactly -- not an
    average of minibatch CKAs. CKA has no fitted map: ``similarity_`` is the
    value, and :meth:`score` computes it on other data.

    Read more in the :ref:`User Guide <measures>`.

    Parameters
    ----------
    kernel : {"linear", "rbf"}, default="linear"
        ``"linear"``: ``K = XXᵀ``, computed from feature-space statistics.
        ``"rbf"``: ``K_ij = exp(-‖x_i - x_j‖² / (2σ²))`` with ``σ`` a
        fraction ``bandwidth`` of the median distance between samples; needs
        the ``n × n`` kernel matrices in memory, so at most
        ``RBF_MAX_SAMPLES = 10000`` samples (a clear error beyond that).

    debiased : bool, default=False
        Use the unbiased HSIC estimator of Song et al. (2012) instead of the
        plain one, which is biased upwards on finite samples (most for wide
        layers and few samples). Needs at least 4 samples.

    bandwidth : float > 0, default=1.0
        For ``kernel="rbf"``: ``σ² = bandwidth² · median(‖x_i - x_j‖²)``,
        which keeps the kernel invariant to isotropic scaling. Ignored by
        the linear kernel.

    Attributes
    ----------
    similarity_ : float
        CKA of the training data: in [0, 1] for the plain estimator; the
        debiased one can be slightly negative for unrelated views.

    n_samples_seen_ : int
        Number of samples the fit is based on (summed over
        :meth:`partial_fit` calls).

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    Procrustes : Angular shape metric, invariant to the same maps.
    CCA : Invariant to every invertible linear map.

    Notes
    -----
    With ``H = I - 11ᵀ/n`` and kernel matrices ``K``, ``L`` of the two views,

    .. math:: \\mathrm{CKA}(K, L) = \\frac{\\mathrm{HSIC}(K, L)}
              {\\sqrt{\\mathrm{HSIC}(K, K)\\, \\mathrm{HSIC}(L, L)}}, \\qquad
              \\mathrm{HSIC}(K, L) = \\frac{\\mathrm{tr}(K H L H)}{(n-1)^2}.

    For the linear kernel this is ``‖Xcᵀ Yc‖²_F / (‖Xcᵀ Xc‖_F ‖Ycᵀ Yc‖_F)``
    with column-centered views. ``debiased=True`` replaces each HSIC by
    Song et al.'s unbiased estimator (see
    :func:`sklearn_svcca._kernels.debiased_hsic_terms` for the formula and
    the feature-space statistics it is computed from: with ``a_i`` and
    ``b_i`` the squared norms of the centered samples, ``Σ a_i b_i``,
    ``Σ a_i²``, ``Σ b_i²`` and the traces of the cross-products).

    With ``kernel="rbf"`` the "statistics" are the samples themselves:
    :meth:`partial_fit` and Dask input collect them (up to the size limit)
    and compute the kernels once all are in.

    References
    ----------
    .. [1] S. Kornblith, M. Norouzi, H. Lee, G. Hinton, "Similarity of Neural
       Network Representations Revisited", ICML 2019.
    .. [2] L. Song, A. Smola, A. Gretton, J. Bedo, K. Borgwardt, "Feature
       Selection via Dependence Maximization", JMLR 13, 2012.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import ortho_group
    >>> from sklearn_svcca import CKA
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(1000, 10))
    >>> R = ortho_group.rvs(10, random_state=0)
    >>> round(CKA().fit(X, 3 * X @ R + 1).similarity_, 6)
    1.0
    >>> Y = np.tanh(X @ rng.normal(size=(10, 20)))
    >>> round(CKA().fit(X, Y).similarity_, 3)
    0.753
    >>> round(CKA(kernel="rbf").fit(X, Y).similarity_, 3)
    0.773

    The plain estimator is biased upwards for unrelated views; the debiased
    one is centred on 0:

    >>> noise = rng.normal(size=(1000, 20))
    >>> round(CKA().fit(X, noise).similarity_, 3)
    0.015
    >>> round(CKA(debiased=True).fit(X, noise).similarity_, 3)
    0.001
    """

    _parameter_constraints: dict = {
        "kernel": [StrOptions({"linear", "rbf"})],
        "debiased": ["boolean"],
        "bandwidth": [_validation.Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, kernel="linear", *, debiased=False, bandwidth=1.0):
        self.kernel = kernel
        self.debiased = debiased
        self.bandwidth = bandwidth

    def _moment_functions(self):
        if self.kernel == "rbf":
            return _kernels.sample_summary, _kernels.merge_samples
        if self.debiased:
            return _kernels.debiased_moments, _kernels.merge_debiased_moments
        return _linalg.compute_moments, _linalg.merge_moments

    def _can_solve(self, moments):
        if moments.n_samples < (4 if self.debiased else 2):
            return False
        if self.kernel == "rbf":
            return bool(
                np.ptp(moments.X, axis=0).any() and np.ptp(moments.Y, axis=0).any()
            )
        return super()._can_solve(moments)

    def _fit_from_views(self, view_x, view_y, cxy, *, diagnostics=None):
        """Fit from two shared views (see :meth:`_BaseCCA._fit_from_views`).

        The RBF kernel of each view is computed once per view (it is the
        expensive part: distances, their median, the exponential).
        """
        self._validate_params()
        self.n_features_in_ = view_x.n_features
        self._n_features_y = view_y.n_features
        n = view_x.n_samples
        if self.kernel == "rbf":
            self._check_rbf_views(view_x.data, view_y.data, n)
            K = view_x.rbf_kernel(self.bandwidth)
            L = view_y.rbf_kernel(self.bandwidth)
            # gram_cka overwrites its arguments; the views keep theirs.
            self.similarity_ = self._kernel_cka(K.copy(), L.copy(), n)
            self.n_samples_seen_ = n
            return self
        if self.debiased:
            moments = _kernels.debiased_moments_from_views(view_x, view_y, cxy)
        else:
            moments = _linalg.Moments(
                n, view_x.mean, view_y.mean, view_x.cross, view_y.cross, cxy
            )
        # CKA's fit has no warnings to report (``diagnostics`` stays as given).
        self._fit_moments(moments, None, None, warn=True)
        return self

    def _check_moments(self, moments):
        # The RBF "summary" holds the (finite, validated) samples themselves.
        if self.kernel == "linear":
            super()._check_moments(moments)

    # partial_fit adds a batch to CCA's moments in place (BLAS updates); the
    # debiased sums and the RBF samples are merged instead.

    def _stream_moments(self):
        if self.kernel == "linear" and not self.debiased:
            return super()._stream_moments()
        return self._moments

    def _add_batch(self, moments, X, Y):
        if self.kernel == "linear" and not self.debiased:
            return super()._add_batch(moments, X, Y)
        return self._merge_moments(moments, self._batch_moments(X, Y))

    def _fit_moments(self, moments, X, Y, *, warn, shared=None):
        self.similarity_ = self._similarity(moments)
        self._moments = moments
        self.n_samples_seen_ = moments.n_samples

    def _score_moments(self, moments):
        # CKA learns no map: the score of held-out data is their own CKA.
        return self._similarity(moments)

    def _similarity(self, moments):
        """CKA from a summary (``_moment_functions``'s) of the data."""
        n = moments.n_samples
        if self.kernel == "linear" and not self.debiased:
            # Three Frobenius norms of the moments, where they live (the
            # input's device); the scalars come to the host.
            self._varying_columns(moments)
            return _kernels.linear_cka(moments)
        # The debiased sums are merged on the host (debiased_moments), the
        # RBF samples are NumPy by design: the rest finishes there.
        moments = _linalg.host_moments(moments)
        if self.kernel == "rbf":
            self._check_rbf_views(moments.X, moments.Y, n)
            K = _kernels.rbf_gram(moments.X, self.bandwidth)
            L = _kernels.rbf_gram(moments.Y, self.bandwidth)
            return self._kernel_cka(K, L, n)
        self._check_debiased_samples(n)
        self._varying_columns(moments)
        return self._debiased_ratio(_kernels.debiased_hsic_terms(moments), n)

    def _kernel_cka(self, K, L, n):
        """CKA of two kernel matrices (overwritten)."""
        terms = _kernels.gram_cka(K, L, debiased=self.debiased)
        return self._debiased_ratio(terms, n) if self.debiased else terms

    def _check_debiased_samples(self, n):
        if self.debiased and n < 4:
            raise ValueError(
                f"debiased=True needs at least 4 samples (the unbiased HSIC "
                f"estimator divides by n (n - 3)), got {n}. Use more samples or "
                "debiased=False."
            )

    def _check_rbf_views(self, X, Y, n):
        self._check_debiased_samples(n)
        for name, A in (("X", X), ("y", Y)):
            if not np.ptp(A, axis=0).any():
                raise _validation.constant_error(name, A.shape[1], n)

    @staticmethod
    def _debiased_ratio(terms, n):
        hxy, hxx, hyy = terms
        if hxx <= 0 or hyy <= 0:
            raise ValueError(
                f"Debiased CKA is undefined on these {n} samples: the unbiased "
                "estimate of a view's HSIC with itself is not positive (too few "
                "samples for the views' spread). Use more samples or "
                "debiased=False."
            )
        return float(hxy / np.sqrt(hxx * hyy))

    def score(self, X, y):
        """CKA of two views (the fit's settings, this data).

        CKA learns no map, so this is the CKA of ``X`` and ``y`` themselves:
        on the training data it equals ``similarity_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First view.
        y : array-like of shape (n_samples,) or (n_samples, n_features_y)
            Second view of the same samples.

        Returns
        -------
        score : float
            Higher means more similar; at most 1.
        """
        self._check_is_fitted()
        X, Y = _validation.check_views(self, X, y, reset=False, method="score")
        _validation.check_score_samples(X.shape[0], "CKA")
        if _dask.is_dask_array(X):
            moments = _dask.reduce_moments(X, Y, *self._moment_functions())
        else:
            moments = self._batch_moments(X, Y)
        return self._similarity(moments)
