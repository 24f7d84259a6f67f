"""Projection-Weighted CCA (Morcos, Raghu & Bengio, 2018)."""

from __future__ import annotations

from sklearn.utils._param_validation import StrOptions

from . import _linalg
from ._base import _BaseCCA


class PWCCA(_BaseCCA):
    """Projection-Weighted CCA: canonical correlations weighted by importance.

    Plain CCA averages all canonical correlations, so the many weakly
    correlated directions of a wide layer drag the similarity down. PWCCA
    weights each canonical correlation by how much of the layer's
    activations its direction accounts for, with no dimension to choose.

    Read more in the :ref:`User Guide <pwcca>`.

    Parameters
    ----------
    n_components : int, default=None
        Number of canonical pairs to keep (and weight); None keeps all
        ``min(rank X, rank y)``.

    weights_from : {"x", "y"}, default="x"
        Which view's neurons the projection weights are computed on. The
        paper weights by the first argument (``"x"``); PWCCA is not
        symmetric.

    reg : float in [0, 1], default=0.0
        Shrinkage of each view's covariance, as in :class:`CCA`.

    solver : {"auto", "gram", "qr"}, default="auto"
        How each view is decomposed; see :class:`CCA`.

    Attributes
    ----------
    canonical_correlations_ : ndarray of shape (n_components_,)
        Canonical correlations in descending order, in [0, 1].

    projection_weights_ : ndarray of shape (n_components_,)
        The weight ``α_i`` of each canonical correlation; non-negative, sums
        to 1.

    similarity_ : float
        ``projection_weights_ @ canonical_correlations_``, the PWCCA
        similarity: :meth:`score` on the training data.

    x_weights_ : ndarray of shape (n_features_in_, n_components_)
        Maps the centered ``X`` to its canonical variates (unit variance on
        the training data).

    y_weights_ : ndarray of shape (n_features_y, n_components_)
        The same for ``y``.

    x_mean_ : ndarray of shape (n_features_in_,)
        Per-neuron mean of ``X`` on the training data.

    y_mean_ : ndarray of shape (n_features_y,)
        Per-neuron mean of ``y`` on the training data.

    n_components_ : int
        Number of canonical pairs kept.

    x_rank_ : int
        Numerical rank of the centered ``X``.

    y_rank_ : int
        Numerical rank of the centered ``y``.

    solver_ : {"gram", "qr"}
        The route actually taken.

    n_samples_seen_ : int
        Number of samples the fit is based on.

    n_features_in_ : int
        Number of features seen during :term:`fit`.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during :term:`fit`. Defined only when `X`
        has feature names that are all strings.

    See Also
    --------
    CCA : Unweighted canonical correlations.
    SVCCA : CCA after an SVD reduction of each view.
    sklearn_svcca.compat.compute_pwcca : The original code's construction.

    Notes
    -----
    With ``ρ_i`` the canonical correlations, ``h_i`` the ``i``-th canonical
    variate of ``X`` scaled to unit length and ``x_j`` the ``j``-th centered
    neuron of ``X`` (all neurons, including dropped ones), the weights are

    .. math:: \\tilde\\alpha_i = \\sum_j |\\langle h_i, x_j \\rangle|, \\qquad
              \\alpha_i = \\tilde\\alpha_i / \\sum_k \\tilde\\alpha_k,

    and PWCCA is ``Σ_i α_i ρ_i`` (Morcos et al., 2018, eq. 2). Neurons keep
    their own scale: a neuron with larger activations weighs more.

    :meth:`score` on held-out data projects both views with the fitted
    weights and computes the weights and the Pearson correlations of the
    canonical pairs on that data.

    This is the paper's definition. The original code's ``compute_pwcca``
    builds its directions differently (no whitening, means added back) and
    gives different numbers; :func:`sklearn_svcca.compat.compute_pwcca`
    reproduces it.

    References
    ----------
    .. [1] A. S. Morcos, M. Raghu, S. Bengio, "Insights on representational
       similarity in neural networks with canonical correlation", NeurIPS
       2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca import PWCCA
    >>> rng = np.random.RandomState(0)
    >>> latent = rng.normal(size=(2000, 2))
    >>> X = np.c_[latent @ rng.normal(size=(2, 5)), 0.1 * rng.normal(size=(2000, 5))]
    >>> Y = latent @ rng.normal(size=(2, 8)) + 0.1 * rng.normal(size=(2000, 8))
    >>> pwcca = PWCCA().fit(X, Y)
    >>> pwcca.canonical_correlations_.round(2)
    array([1.  , 1.  , 0.09, 0.07, 0.06, 0.05, 0.01])
    >>> pwcca.projection_weights_.round(2)
    array([0.4 , 0.51, 0.02, 0.02, 0.02, 0.02, 0.02])
    >>> round(pwcca.similarity_, 3)
    0.916

    The unweighted mean is pulled down by the five noise neurons:

    >>> round(float(pwcca.canonical_correlations_.mean()), 3)
    0.326
    """

    _parameter_constraints: dict = {
        **_BaseCCA._parameter_constraints,
        "weights_from": [StrOptions({"x", "y"})],
    }

    def __init__(self, n_components=None, *, weights_from="x", reg=0.0, solver="auto"):
        super().__init__(n_components, reg=reg, solver=solver)
        self.weights_from = weights_from

    def _set_similarity(self, moments, inner=None):
        # The fit's own inner products, read off each view's factors: the
        # moments route, C @ x_weights_, cancels on near-collinear neurons.
        inner = inner[0] if self.weights_from == "x" else inner[1]
        self.projection_weights_ = _linalg.projection_weights(inner)
        self.similarity_ = float(
            self.projection_weights_ @ self.canonical_correlations_
        )

    @property
    def _score_cross(self):
        # Held-out weights need the scored view's cross sums.
        return self.weights_from

    def _aggregate(self, r, sums):
        inner = _linalg.inner_from_sums(sums, self.weights_from)
        return float(_linalg.projection_weights(inner) @ r)
