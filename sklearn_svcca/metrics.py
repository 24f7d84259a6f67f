"""Held-out criteria for choosing dimensions: scorers for ``GridSearchCV``.

An estimator's ``score`` is a similarity, the mean held-out canonical
correlation. It is the number to report, but not a criterion for choosing
``svd_dims``: a mean of correlations always favours the fewest, strongest
directions, and a sum rises with every weak direction two networks share.
The scorers here are held-out log-likelihoods of the Gaussian model that
SVCCA assumes, which is what ``PCA.score`` is for PCA and why a grid search
over PCA's ``n_components`` works:

- :func:`svd_dims_scorer`: the joint model of both views (each view's top
  directions plus isotropic noise, the two related by their canonical
  correlations). Use it for ``svd_dims``, ``n_components`` and ``reg``.
- :func:`ppca_scorer`: each view's probabilistic PCA on its own, the
  canonical correlations ignored. It chooses ``svd_dims`` per view, as
  ``PCA.score`` would, and is blind to ``n_components``.
- :func:`joint_log_likelihood`: the joint model's log-density of each
  sample, from which :func:`svd_dims_scorer` takes the mean.

Without cross-validation, ``SVCCA(svd_dims="mle")`` chooses each view's
dimension by Minka's evidence approximation for the same probabilistic PCA
(Minka, 2000).

Notes
-----
**The model.** For a view ``x`` with ``p`` varying neurons, training mean
``μx`` and training covariance ``Sx = Vx Λx Vxᵀ`` (numerical rank ``Rx``),
SVCCA keeps the ``kx`` leading directions ``Vk``. Probabilistic PCA (Tipping
& Bishop, 1999) is the Gaussian model in which exactly these directions
carry signal: ``x = μx + Wx z + ε``, ``z ~ N(0, I)``, ``ε ~ N(0, σx² I)``,
whose maximum-likelihood fit is ``Wx Wxᵀ = Vk (Λk - σx² I) Vkᵀ`` with
``σx²`` the mean of the ``Rx - kx`` discarded eigenvalues, so that

    Σx = Wx Wxᵀ + σx² I = Vk Λk Vkᵀ + σx² (I - Vk Vkᵀ).

Probabilistic CCA (Bach & Jordan, 2005) relates two such subspaces: the
maximum-likelihood cross-covariance of the reduced views ``zx = Vkᵀ x`` and
``zy`` with ``m`` shared latent dimensions is
``Λx^½ P R Tᵀ Λy^½``, where ``R = diag(ρ₁..ρₘ)`` are their ``m`` leading
canonical correlations and ``P``, ``T`` the corresponding singular vectors
of the whitened cross-covariance ``Λx^-½ Vkxᵀ Sxy Vky Λy^-½``. Mapped back,
the joint model of SVCCA is ``(x, y) ~ N(μ, Σ)`` with

    Σ = [[Σx, Σxy], [Σxyᵀ, Σy]],   Σxy = Vkx Λx^½ P R Tᵀ Λy^½ Vkyᵀ:

SVCCA's reduced views, their CCA, and an isotropic residual in each view --
nothing else. ``svd_dims`` sets ``kx`` and ``ky`` and ``n_components``
sets ``m`` (``min(kx, ky)`` by default).

``reg`` shrinks the joint covariance of the reduced views towards the
estimator's target, ``(1 - reg) C + reg diag(cx I, cy I)`` with ``cx`` the
mean kept variance (SVCCA's rule; CCA and PWCCA, which keep every
direction, ``kx = Rx``, use theirs, ``tr Σx / p``): the kept variances
become ``(1 - reg) Λk + reg cx``, as the estimator whitens with, and the
cross-covariance ``(1 - reg) Sxy``. The canonical directions are the
estimator's, and the correlations ``R`` are those of its shrunk problem
times ``1 - reg``. Shrinking the variances alone would not do: shrinkage
lowers the largest variances, and the whitened cross-covariance could then
have singular values above 1, which no covariance has; a convex combination
of two covariances is one.

**The score.** In the coordinates ``wx = Λk^-½ Vkᵀ (x - μx)``,
``ux = Pᵀ wx``, ``vy = Tᵀ wy`` and the residual
``ex = ‖Px (x - μx)‖² - ‖Vkᵀ (x - μx)‖²`` (``Px`` projects on the training
data's column space), the log-density of one sample is

    log p(x, y) = -½ [ d log 2π + Σ log λx + Σ log λy + Σ log(1 - ρᵢ²)
                       + (Rx - kx) log σx² + (Ry - ky) log σy²
                       + Σᵢ (uᵢ² - 2ρᵢ uᵢ vᵢ + vᵢ²) / (1 - ρᵢ²)
                       + ‖wx‖² - ‖ux‖² + ‖wy‖² - ‖vy‖²
                       + ex / σx² + ey / σy² ],   d = Rx + Ry,

exactly the Gaussian log-density with the ``Σ`` above (the block
determinant and inverse reduce to one 2 × 2 block per canonical pair), in
``O(n (p kx + q ky))`` operations and no ``(p + q)²`` matrix. The scorers
average it over the held-out samples: higher is better, and a model with
too many directions loses on new samples what it gained on its training
ones, as with ``PCA.score``. Without the cross terms (``ρ = 0``) it is the
sum of the two views' ``PCA(n_components=k).score``: :func:`ppca_scorer`.

The density is that of the samples' projection on each view's training
column space (neurons constant during training, such as dead ReLUs, and
directions the training data never varied in carry no probability mass and
are left out), so it compares fits of one training set: the candidates of
one grid search, never different layers. Canonical correlations are capped
at ``1 - 1e-10`` so that views identical up to a linear map keep a finite
score. With a :class:`~sklearn.pipeline.Pipeline` the density is that of
the last step's input: compare grids that do not change the preprocessing.

References
----------
- M. E. Tipping, C. M. Bishop, "Probabilistic principal component
  analysis", Journal of the Royal Statistical Society B 61(3), 1999.
- F. R. Bach, M. I. Jordan, "A probabilistic interpretation of canonical
  correlation analysis", Technical Report 688, UC Berkeley, 2005.
- T. P. Minka, "Automatic choice of dimensionality for PCA", NeurIPS 2000.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from . import _array_api, _linalg, _validation
from ._cca import CCA
from ._pwcca import PWCCA
from ._svcca import SVCCA

__all__ = ["joint_log_likelihood", "ppca_scorer", "svd_dims_scorer"]

# 1 - ρ² is kept at least this large: views identical up to a linear map
# have ρ = 1, where the density is singular.
_MIN_UNEXPLAINED = 1e-10


def svd_dims_scorer(estimator, X, y) -> float:
    """Held-out log-likelihood of SVCCA's joint model: higher is better.

    The criterion for choosing ``svd_dims``, ``n_components`` or ``reg``
    with :class:`~sklearn.model_selection.GridSearchCV` (``scoring=``) or
    :func:`~sklearn.model_selection.cross_val_score`: the mean, over the
    given samples, of their log-density under the Gaussian model the
    fitted estimator defines (see the module's Notes).

    Parameters
    ----------
    estimator : fitted CCA, SVCCA or PWCCA, or a Pipeline ending in one
        The fitted model; for a pipeline, ``X`` goes through the other
        steps first.
    X : array-like of shape (n_samples, n_features)
        First view, held-out samples.
    y : array-like of shape (n_samples,) or (n_samples, n_features_y)
        Second view of the same samples.

    Returns
    -------
    score : float
        Mean log-density per sample, in nats.

    See Also
    --------
    ppca_scorer : The views' probabilistic PCA alone.
    joint_log_likelihood : The log-density of each sample.
    sklearn.decomposition.PCA.score : The same criterion for one view.

    Examples
    --------
    Two views with 4 signal directions each (2 shared, 2 of their own) in
    30 noisy neurons:

    >>> import numpy as np
    >>> from sklearn.model_selection import GridSearchCV
    >>> from sklearn_svcca import SVCCA
    >>> from sklearn_svcca.metrics import svd_dims_scorer
    >>> rng = np.random.RandomState(0)
    >>> shared = rng.normal(size=(2000, 2))
    >>> X = np.hstack([shared, 2 * rng.normal(size=(2000, 2))]) @ rng.normal(
    ...     size=(4, 30)) + rng.normal(size=(2000, 30))
    >>> Y = np.hstack([shared, 2 * rng.normal(size=(2000, 2))]) @ rng.normal(
    ...     size=(4, 30)) + rng.normal(size=(2000, 30))
    >>> grid = {"svd_dims": [1, 2, 3, 4, 5, 6, 8, 12, 20, 30]}
    >>> search = GridSearchCV(SVCCA(), grid, scoring=svd_dims_scorer).fit(X, Y)
    >>> search.best_params_
    {'svd_dims': 4}

    With ``svd_dims`` chosen, ``n_components`` counts the shared directions:

    >>> search = GridSearchCV(SVCCA(svd_dims=4), {"n_components": [1, 2, 3, 4]},
    ...                       scoring=svd_dims_scorer).fit(X, Y)
    >>> search.best_params_
    {'n_components': 2}
    """
    return float(np.mean(joint_log_likelihood(estimator, X, y)))


def ppca_scorer(estimator, X, y) -> float:
    """Held-out log-likelihood of each view's probabilistic PCA, summed.

    For SVCCA with ``reg=0`` and full-rank views this is
    ``PCA(x_svd_dims_).score(X) + PCA(y_svd_dims_).score(y)`` for PCAs
    fitted on the estimator's training data: the joint model of
    :func:`svd_dims_scorer` without its canonical correlations. It chooses
    each view's dimension as PCA would and ignores how the views relate.

    Parameters
    ----------
    estimator : fitted CCA, SVCCA or PWCCA, or a Pipeline ending in one
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_features_y)

    Returns
    -------
    score : float
        Mean log-density per sample, in nats; higher is better.

    See Also
    --------
    svd_dims_scorer : The joint model, canonical correlations included.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn_svcca import SVCCA
    >>> from sklearn_svcca.metrics import ppca_scorer
    >>> rng = np.random.RandomState(0)
    >>> X, Y = rng.normal(size=(200, 6)), rng.normal(size=(200, 5))
    >>> svcca = SVCCA(svd_dims=3).fit(X[:100], Y[:100])
    >>> pca_x, pca_y = PCA(3).fit(X[:100]), PCA(3).fit(Y[:100])
    >>> bool(np.isclose(ppca_scorer(svcca, X[100:], Y[100:]),
    ...                 pca_x.score(X[100:]) + pca_y.score(Y[100:])))
    True
    """
    model, Xc, Yc = _model_and_data(estimator, X, y)
    return float(np.mean(_log_density(model, Xc, Yc, coupled=False)))


def joint_log_likelihood(estimator, X, y):
    """Log-density of each sample under SVCCA's joint Gaussian model.

    Parameters
    ----------
    estimator : fitted CCA, SVCCA or PWCCA, or a Pipeline ending in one
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,) or (n_samples, n_features_y)

    Returns
    -------
    log_density : ndarray of shape (n_samples,)
        In nats; see the module's Notes for the model.

    See Also
    --------
    svd_dims_scorer : Its mean, as a scorer.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca import SVCCA
    >>> from sklearn_svcca.metrics import joint_log_likelihood
    >>> rng = np.random.RandomState(0)
    >>> X, Y = rng.normal(size=(100, 4)), rng.normal(size=(100, 3))
    >>> joint_log_likelihood(SVCCA(svd_dims=2).fit(X, Y), X[:3], Y[:3]).shape
    (3,)
    """
    model, Xc, Yc = _model_and_data(estimator, X, y)
    return _log_density(model, Xc, Yc, coupled=True)


# ------------------------------------------------------------------ model


@dataclass(frozen=True)
class _ViewModel:
    """One view's probabilistic PCA, in its training column space.

    ``V`` (``columns`` × ``R``) spans the column space of the training data,
    its first ``k`` columns the kept directions, of variances ``variances``;
    the other ``R - k`` share the variance ``noise``.
    """

    columns: np.ndarray
    mean: np.ndarray
    V: np.ndarray
    k: int
    variances: np.ndarray
    noise: float


@dataclass(frozen=True)
class _JointModel:
    x: _ViewModel
    y: _ViewModel
    P: np.ndarray
    T: np.ndarray
    rho: np.ndarray


def _fitted_model(estimator):
    """The joint model of a fitted CCA, SVCCA or PWCCA."""
    if not isinstance(estimator, (CCA, SVCCA, PWCCA)):
        raise TypeError(
            "The log-likelihood scorers need a CCA, SVCCA or PWCCA estimator (or "
            f"a Pipeline ending in one); got {type(estimator).__name__}. For "
            "FourierCCA or another estimator, score with its score method."
        )
    check_is_fitted(estimator)
    moments = estimator._moments
    n = moments.n_samples
    cols = [
        _linalg.nonconstant_columns(moments.cxx, moments.x_mean, n),
        _linalg.nonconstant_columns(moments.cyy, moments.y_mean, n),
    ]
    # The estimator's own rules (svd_dims, reg, column scaling) decide the
    # kept directions and their shrunk variances; the model only needs the
    # moments, so the Gram route serves every solver.
    rules = clone(estimator).set_params(solver="gram")
    rules._input_eps = estimator._input_eps
    kept = rules._route_bases(moments, None, None)[0]
    views = [
        _view_model(basis, c, col, mean, n, eps)
        for basis, c, col, mean, eps in zip(
            kept,
            (moments.cxx, moments.cyy),
            cols,
            (moments.x_mean, moments.y_mean),
            estimator._input_eps,
            strict=True,
        )
    ]
    vx, vy = views
    cxy = moments.cxy[np.ix_(vx.columns, vy.columns)] / (n - 1)
    # The cross-covariance is shrunk with the variances (see the Notes).
    cxy = cxy * (1.0 - estimator.reg)
    whitened = (vx.V[:, : vx.k] / np.sqrt(vx.variances)).T @ cxy
    whitened = whitened @ (vy.V[:, : vy.k] / np.sqrt(vy.variances))
    P, rho, Tt = _linalg.svd(whitened)
    m = min(estimator.n_components_, rho.shape[0])
    return _JointModel(vx, vy, P[:, :m], Tt[:m].T, np.clip(rho[:m], 0.0, 1.0))


def _view_model(kept, c, columns, mean, n, eps):
    m = columns.shape[0]
    unscaled = bool(np.all(kept.scale == 1.0))
    if unscaled and kept.numerical_rank == m:
        # Full column rank (the usual case): the kept directions and the
        # spectrum are all the model needs, the residual being everything
        # outside the kept directions.
        s = kept.s if kept.s_white is None else kept.s_white
        k = kept.rank
        noise = float(kept.spectrum[k:].mean()) / (n - 1) if k < m else 0.0
        return _ViewModel(columns, mean[columns], kept.V, k, s**2 / (n - 1), noise)
    # Probabilistic PCA is fitted to the raw (unscaled) covariance, in the
    # training data's column space.
    full = _linalg.gram_basis(
        c, columns=columns, n_samples=n, scale=False, mean=mean, eps=eps
    )
    if unscaled:
        V, s = kept.V, kept.s if kept.s_white is None else kept.s_white
    else:
        # Column-scaled bases come only from CCA and PWCCA without
        # shrinkage, which keep the whole view: the model is then the
        # sample covariance, whatever the scaling (CCA is scale-invariant).
        V, s = full.V[:, : kept.rank], full.s[: kept.rank]
    k = V.shape[1]
    residual = full.s[k:] ** 2
    noise = float(residual.mean()) / (n - 1) if residual.size else 0.0
    return _ViewModel(
        columns, mean[columns], np.hstack([V, full.V[:, k:]]), k, s**2 / (n - 1), noise
    )


def _model_and_data(estimator, X, y):
    if isinstance(estimator, Pipeline):
        X = estimator[:-1].transform(X)
        estimator = estimator[-1]
    model = _fitted_model(estimator)
    X, Y = _validation.check_views(estimator, X, y, reset=False, method="score")
    X, Y = _array_api.to_numpy(X), _array_api.to_numpy(Y)
    Xc = X[:, model.x.columns].astype(np.float64) - model.x.mean
    Yc = Y[:, model.y.columns].astype(np.float64) - model.y.mean
    return model, Xc, Yc


def _view_terms(view, Xc):
    """Whitened kept coordinates, and the log-density of the view alone."""
    z = Xc @ view.V[:, : view.k]
    w = z / np.sqrt(view.variances)
    quad = np.sum(w**2, axis=1)
    logdet = np.sum(np.log(view.variances))
    # The residual lives in the training column space: all of it at full
    # column rank (then V holds only the kept directions), else spanned by
    # V's other columns.
    full_rank = view.V.shape[1] == view.k and view.noise > 0
    d = Xc.shape[1] if full_rank else view.V.shape[1]
    if d > view.k:
        if full_rank:
            residual = np.sum(Xc**2, axis=1) - np.sum(z**2, axis=1)
        else:
            residual = np.sum((Xc @ view.V[:, view.k :]) ** 2, axis=1)
        quad = quad + np.maximum(residual, 0.0) / view.noise
        logdet += (d - view.k) * np.log(view.noise)
    return w, -0.5 * (d * np.log(2 * np.pi) + logdet + quad)


def _log_density(model, Xc, Yc, *, coupled):
    wx, log_x = _view_terms(model.x, Xc)
    wy, log_y = _view_terms(model.y, Yc)
    log_p = log_x + log_y
    if not coupled or model.rho.size == 0:
        return log_p
    # Each canonical pair's 2 x 2 Gaussian replaces its two independent
    # standard normals.
    u, v = wx @ model.P, wy @ model.T
    unexplained = np.maximum(1.0 - model.rho**2, _MIN_UNEXPLAINED)
    pair = (u**2 - 2 * model.rho * u * v + v**2) / unexplained - u**2 - v**2
    return log_p - 0.5 * (np.sum(pair, axis=1) + np.sum(np.log(unexplained)))
