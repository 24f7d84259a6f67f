"""Canonical Correlation Analysis."""

from __future__ import annotations

from ._base import _BaseCCA


class CCA(_BaseCCA):
    """Canonical Correlation Analysis between two views of the same samples.

    Finds pairs of directions, one in each view, whose projections are
    maximally correlated, and reports those canonical correlations. Unlike
    :class:`sklearn.cross_decomposition.CCA` (an iterative, regression-oriented
    PLS variant), this computes all canonical correlations exactly in one
    pass and is robust to the constant and linearly dependent neurons real
    networks have.

    Read more in the :ref:`User Guide <cca>`.

    Parameters
    ----------
    n_components : int, default=None
        Number of canonical pairs to keep, the most correlated first. None
        keeps all ``k = min(rank X, rank y)`` of them. Must be at most
        ``min(n_features_x, n_features_y)``; if it exceeds ``k`` (rank
        deficiency), ``k`` are kept and a warning is raised.

    reg : float in [0, 1], default=0.0
        Shrinkage of each view's covariance towards a multiple of the
        identity: ``Σ ← (1 - reg) Σ + reg (tr Σ / p) I``. It is unchanged by
        rescaling a whole view; 0 is exact CCA. Shrinkage trades in-sample
        correlation for held-out correlation, so tune it with
        :class:`~sklearn.model_selection.GridSearchCV`.

    solver : {"auto", "gram", "qr"}, default="auto"
        How each view is decomposed.

        - ``"gram"``: symmetric eigendecomposition of the column-scaled
          cross-product (Gram) matrix. Costs little more than forming
          ``XᵀX``, ``yᵀy`` and ``Xᵀy``, works from sufficient statistics
          (:meth:`partial_fit`, Dask), but resolves singular values only down
          to about ``1e-6`` of the largest.
        - ``"qr"``: Householder QR of the centered data followed by an SVD of
          ``R``. Exact to working precision on any conditioning; several
          times slower and needs the data in memory.
        - ``"auto"``: ``"gram"``, switching to ``"qr"`` when the data are in
          memory, ``reg == 0`` and some squared singular value of a scaled
          view is below ``1e-8`` of the largest (ill-conditioned or
          rank-deficient views).

    Attributes
    ----------
    canonical_correlations_ : ndarray of shape (n_components_,)
        Canonical correlations in descending order, in [0, 1].

    x_weights_ : ndarray of shape (n_features_in_, n_components_)
        Maps the centered ``X`` to its canonical variates, which have unit
        variance (``ddof=1``) on the training data. Rows of constant or
        dependent neurons that were dropped are zero.

    y_weights_ : ndarray of shape (n_features_y, n_components_)
        The same for ``y``.

    x_mean_ : ndarray of shape (n_features_in_,)
        Per-neuron mean of ``X`` on the training data.

    y_mean_ : ndarray of shape (n_features_y,)
        Per-neuron mean of ``y`` on the training data.

    n_components_ : int
        Number of canonical pairs kept.

    x_rank_ : int
        Numerical rank of the centered ``X`` (non-constant, linearly
        independent neurons).

    y_rank_ : int
        Numerical rank of the centered ``y``.

    similarity_ : float
        Mean of ``canonical_correlations_``: the value of :meth:`score` on
        the training data.

    solver_ : {"gram", "qr"}
        The route actually taken (see ``solver``).

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
    SVCCA : CCA on the top singular directions of each view.
    PWCCA : CCA summarised by a projection-weighted mean.
    sklearn.cross_decomposition.CCA : Iterative CCA with a regression API.

    Notes
    -----
    Both views are centered. Neurons with zero variance are dropped, each
    remaining neuron is scaled by its uncentered norm, and each view is
    decomposed by a rank-revealing method (see ``solver``), which drops
    linearly dependent neurons: directions below what the route resolves or
    below the rounding noise of the input's dtype (float32 data are known to
    about 1e-7) count as dependencies. With ``Qx`` and ``Qy`` orthonormal
    bases of the two centered column spaces, the canonical correlations are
    the singular values of ``Qxᵀ Qy``: there are ``k = min(rank X, rank y)``
    of them, in [0, 1]. No covariance is inverted explicitly and no square
    root of a non-positive number is taken, so rank-deficient and
    near-collinear inputs give finite, correct answers.

    With ``n`` samples, at least ``rank X + rank y - (n - 1)`` correlations
    are 1 whatever the data; a
    :class:`~sklearn_svcca.exceptions.SampleSizeWarning` is raised when that
    happens or when ``n`` is under 5 times the larger rank.

    :meth:`score` projects new data with the fitted weights and averages the
    Pearson correlations of the canonical pairs on that data.

    The original SVCCA code takes arrays of shape ``(neurons, datapoints)``;
    here rows are samples, so pass ``acts.T``.

    References
    ----------
    .. [1] H. Hotelling, "Relations between two sets of variates",
       Biometrika 28(3/4), 1936.
    .. [2] M. Raghu, J. Gilmer, J. Yosinski, J. Sohl-Dickstein, "SVCCA:
       Singular Vector Canonical Correlation Analysis for Deep Learning
       Dynamics and Interpretability", NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca import CCA
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(500, 4))
    >>> Y = X[:, :2] @ rng.normal(size=(2, 3)) + 0.5 * rng.normal(size=(500, 3))
    >>> cca = CCA().fit(X, Y)
    >>> cca.canonical_correlations_.round(3)
    array([0.978, 0.881, 0.036])
    >>> round(cca.score(X, Y), 3)
    0.632
    >>> cca.transform(X).shape
    (500, 3)
    """

    def __init__(self, n_components=None, *, reg=0.0, solver="auto"):
        super().__init__(n_components, reg=reg, solver=solver)
