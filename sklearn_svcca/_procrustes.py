"""Procrustes shape metric with partial whitening (Williams et al., 2021)."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import validate_params

from . import _array_api, _dask, _linalg, _validation
from ._base import _BaseCCA, _BaseMeasure


class Procrustes(_BaseCCA):
    """Angular Procrustes distance between two views, with partial whitening.

    Each view is centered and partially whitened, then one is rotated onto
    the other by the best orthogonal map; the similarity is the cosine of the
    angle left between them. ``alpha=1`` is orthogonal Procrustes on the raw
    views (invariant to rotations, reflections, translations and isotropic
    scaling only); ``alpha=0`` whitens fully, which makes it as invariant as
    CCA, and in between is Williams et al.'s regularised family, as
    netrep's ``LinearMetric(alpha, score_method="angular")`` computes it.
    The angle itself, ``angular_distance_``, is a metric.

    Read more in the :ref:`User Guide <measures>`.

    Parameters
    ----------
    alpha : float in [0, 1], default=1.0
        Partial whitening: 1 leaves the views as they are (orthogonal
        Procrustes), 0 whitens them (the angle of CCA).

    Attributes
    ----------
    similarity_ : float
        ``cos(angular_distance_)``, in [0, 1]: :meth:`score` on the training
        data. Higher is more similar.

    angular_distance_ : float
        The angle between the aligned views, in ``[0, π/2]``: the shape
        metric of Williams et al.

    x_weights_ : ndarray of shape (n_features_in_, n_components_)
        Maps the centered ``X`` into the aligned space: partial whitening
        composed with the optimal rotation. Columns past ``X``'s width are
        zero (the zero-padding of the narrower view).

    y_weights_ : ndarray of shape (n_features_y, n_components_)
        The same for ``y``.

    x_mean_ : ndarray of shape (n_features_in_,)
        Per-neuron mean of ``X`` on the training data.

    y_mean_ : ndarray of shape (n_features_y,)
        Per-neuron mean of ``y`` on the training data.

    n_components_ : int
        Dimension of the aligned space, ``max(n_features_in_, n_features_y)``.

    n_samples_seen_ : int
        Number of samples the fit is based on.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    angular_distance : The angle as a function.
    CKA : Centered kernel alignment, invariant to the same maps as
        ``alpha=1`` but not a metric.
    CCA : Invariant to every invertible linear map, like ``alpha=0``.

    Notes
    -----
    With ``Xc`` the centered view and ``Xcᵀ Xc = V Λ Vᵀ`` (a sum over
    samples, not divided by ``n``), the partially whitened view is

    .. math:: X_w = X_c \\left(\\alpha I + (1 - \\alpha) V \\Lambda^{-1/2}
              V^T\\right),

    restricted to the numerical column space for the inverse (netrep clips
    the eigenvalues at ``1e-7`` instead; on data the two agree). With the
    SVD ``X_wᵀ Y_w = P Σ Tᵀ`` (the narrower view zero-padded, which changes
    nothing but the shapes), the aligned views are ``X_w P`` and ``Y_w T``
    and

    .. math:: \\cos\\theta = \\frac{\\|X_w^T Y_w\\|_*}{\\|X_w\\|_F \\|Y_w\\|_F}
              = \\frac{\\sum_i \\sigma_i}{\\|X_w\\|_F \\|Y_w\\|_F}.

    At ``alpha=1`` this is ``‖Xcᵀ Yc‖_* / (‖Xc‖_F ‖Yc‖_F)``; at ``alpha=0``
    ``X_w`` is an orthonormal basis, ``σ`` are the canonical correlations
    and ``cos θ = Σ ρ_i / sqrt(rank X · rank y)``: the mean canonical
    correlation when both views have the same rank. For ``0 < alpha < 1``
    the whitening mixes ``Λ`` (which scales with the data) with ``I``, so
    the angle changes with the views' overall scale, exactly as netrep's.

    Everything is computed from the views' means and cross-products, so
    :meth:`partial_fit` and Dask arrays give the fit of the whole data.
    :meth:`transform` maps new data with the fitted means and weights;
    :meth:`score` is the cosine of the angle between the two mapped views
    (netrep's held-out use, with scikit-learn's higher-is-better sign).

    References
    ----------
    .. [1] A. H. Williams, E. Kunz, S. Kornblith, S. W. Linderman,
       "Generalized Shape Metrics on Neural Representations", NeurIPS 2021.
    .. [2] F. Ding, J.-S. Denain, J. Steinhardt, "Grounding Representation
       Similarity with Statistical Testing", NeurIPS 2021.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import ortho_group
    >>> from sklearn_svcca import Procrustes
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 6)) * [5, 4, 3, 2, 1, 1]
    >>> R = ortho_group.rvs(6, random_state=0)
    >>> proc = Procrustes().fit(X, 2 * X @ R + 1)
    >>> round(proc.similarity_, 6), round(proc.angular_distance_, 6)
    (1.0, 0.0)
    >>> Y = X @ rng.normal(size=(6, 6))
    >>> round(Procrustes().fit(X, Y).similarity_, 3)
    0.9
    >>> round(Procrustes(alpha=0.0).fit(X, Y).similarity_, 3)
    1.0
    >>> Xt, Yt = proc.transform(X, 2 * X @ R + 1)
    >>> Xt.shape
    (500, 6)
    """

    _parameter_constraints: dict = {
        "alpha": [_validation.Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def _check_moments(self, moments):
        # No n_components to check: only what every measure checks.
        _BaseMeasure._check_moments(self, moments)

    def _fit_moments(self, moments, X, Y, *, warn, shared=None):
        # Solved where the moments live (the input's namespace and device);
        # only the column indices and the cosine come to the host.
        cols_x, cols_y = self._varying_columns(moments)
        columns = (cols_x, cols_y)
        bases = (None, None)
        if self.alpha < 1:  # No whitening, no decomposition.
            bases = self._view_bases(
                moments, columns, (X, Y), route="gram", scale=False, shared=shared
            )
        zx, zy = (
            _linalg.partial_whitener(c, b, self.alpha, like=m)
            for c, b, m in zip(columns, bases, (moments.cxx, moments.cyy), strict=True)
        )
        cos, Wx, Wy, _ = _linalg.shape_alignment(zx, zy, moments, cols_x, cols_y)
        self._moments = moments
        self.n_samples_seen_ = moments.n_samples
        self.similarity_ = cos
        self.angular_distance_ = float(np.arccos(cos))
        self.x_weights_, self.y_weights_ = Wx, Wy
        self.x_mean_, self.y_mean_ = moments.x_mean, moments.y_mean
        self.n_components_ = self._n_features_out = Wx.shape[1]

    def transform(self, X, y=None):
        """Map the views into the aligned space.

        ``(X - x_mean_) @ x_weights_``: centering with the training means,
        the partial whitening and the optimal rotation. On the training data
        the aligned views are as close as any rotation makes them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First view.
        y : array-like of shape (n_samples,) or (n_samples, n_features_y), \
                default=None
            Second view; when given, its aligned coordinates are returned too.

        Returns
        -------
        X_t : ndarray of shape (n_samples, n_components_)
            ``X`` in the aligned space (zero columns past its width). Same
            kind of array as ``X`` (Dask: lazy; Array API: its namespace and
            device).
        (X_t, y_t) : tuple of ndarrays
            When ``y`` is given.
        """
        return super().transform(X, y)

    def _score_moments(self, moments):
        # The held-out score centers with the training means, which centered
        # moments of the held-out data no longer carry.
        raise NotImplementedError(
            "Procrustes cannot score held-out data from its moments (its score "
            "centers with the training means); record the activations "
            "(sklearn_svcca.torch.record_activations) and use cross_val_score."
        )

    def score(self, X, y):
        """Cosine of the angle between the two views once aligned.

        Both views are mapped by :meth:`transform` (the fitted means and
        weights) and ``⟨X_t, Y_t⟩_F / (‖X_t‖_F ‖Y_t‖_F)`` is returned: on the
        training data ``similarity_``, on held-out data the similarity under
        the alignment learned from the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            First view.
        y : array-like of shape (n_samples,) or (n_samples, n_features_y)
            Second view of the same samples.

        Returns
        -------
        score : float
            In [-1, 1]; higher is more similar.
        """
        self._check_is_fitted()
        X, Y = _validation.check_views(self, X, y, reset=False, method="score")
        if _dask.is_dask_array(X):
            import dask

            Xt = _dask.project(X, self.x_mean_, self.x_weights_, "X")
            Yt = _dask.project(Y, self.y_mean_, self.y_weights_, "y")
            Xt, Yt = Xt.astype(np.float64), Yt.astype(np.float64)
            xy, xx, yy = dask.compute((Xt * Yt).sum(), (Xt * Xt).sum(), (Yt * Yt).sum())
        else:
            _array_api.check_same_namespace(
                X, self, attribute="x_weights_", method="score"
            )
            Xt = _array_api.project(X, self.x_mean_, self.x_weights_)
            Yt = _array_api.project(Y, self.y_mean_, self.y_weights_)
            xp, _ = _array_api.namespace(Xt)
            xy, xx, yy = (
                float(_array_api.to_numpy(xp.sum(a * b)))
                for a, b in ((Xt, Yt), (Xt, Xt), (Yt, Yt))
            )
        if xx == 0 or yy == 0:
            raise ValueError(
                "score is undefined: on these samples a view maps to zero in the "
                "aligned space (every sample equals the training mean). Score on "
                "samples that vary."
            )
        return float(np.clip(xy / np.sqrt(xx * yy), -1.0, 1.0))


@validate_params(
    {
        "X": ["array-like"],
        "Y": ["array-like"],
        "alpha": [_validation.Interval(Real, 0, 1, closed="both")],
    },
    prefer_skip_nested_validation=True,
)
def angular_distance(X, Y, alpha=1.0):
    """Angular shape distance of Williams et al. between two views.

    ``Procrustes(alpha=alpha).fit(X, Y).angular_distance_``: the angle, in
    ``[0, π/2]``, between the centered, partially whitened views after the
    best rotation of one onto the other. A metric: symmetric, zero for views
    that differ by a rotation, translation and isotropic scaling (any
    invertible linear map at ``alpha=0``), and it satisfies the triangle
    inequality.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        First view.
    Y : array-like of shape (n_samples, n_features_y)
        Second view of the same samples.
    alpha : float in [0, 1], default=1.0
        Partial whitening; see :class:`Procrustes`.

    Returns
    -------
    distance : float
        The angle in radians.

    See Also
    --------
    Procrustes : The estimator, with the alignment and held-out scores.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca import angular_distance
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 5))
    >>> angular_distance(X, -3 * X)
    0.0
    >>> round(angular_distance(X, rng.normal(size=(200, 5))), 3)
    1.438
    """
    return Procrustes(alpha=alpha).fit(X, Y).angular_distance_
