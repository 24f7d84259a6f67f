"""Shared views: per-view statistics computed once give the same fit."""

import numpy as np
import pytest
from sklearn.base import clone

from sklearn_svcca import CCA, PWCCA, SVCCA, _linalg
from sklearn_svcca._views import SharedView, fit_pair, supports_shared_views

FITTED = [
    "canonical_correlations_",
    "x_weights_",
    "y_weights_",
    "x_mean_",
    "y_mean_",
    "n_components_",
    "x_rank_",
    "y_rank_",
    "similarity_",
    "solver_",
    "n_samples_seen_",
    "n_features_in_",
]


def _views(seed=0, dtype=np.float64):
    rng = np.random.RandomState(seed)
    latent = rng.normal(size=(400, 3))
    X = np.c_[latent @ rng.normal(size=(3, 7)), rng.normal(size=(400, 2))] + 5.0
    Y = latent @ rng.normal(size=(3, 5)) + 0.5 * rng.normal(size=(400, 5))
    return X.astype(dtype), Y.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("block_rows", [None, 37])
def test_view_moments_and_cross_products_are_the_centered_sums(dtype, block_rows):
    X, Y = _views(dtype=dtype)
    x64, y64 = X.astype(np.float64), Y.astype(np.float64)
    xc, yc = x64 - x64.mean(axis=0), y64 - y64.mean(axis=0)
    mean, c = _linalg.view_moments(X, block_rows=block_rows)
    np.testing.assert_allclose(mean, x64.mean(axis=0), rtol=1e-14)
    np.testing.assert_allclose(c, xc.T @ xc, rtol=1e-12, atol=1e-10)
    cxy = _linalg.cross_products(X, Y, mean, y64.mean(axis=0), block_rows=block_rows)
    np.testing.assert_allclose(cxy, xc.T @ yc, rtol=1e-12, atol=1e-10)
    # And they agree with the joint computation of fit.
    m = _linalg.compute_moments(X, Y, block_rows=block_rows)
    np.testing.assert_allclose(c, m.cxx, rtol=1e-13, atol=1e-11)
    np.testing.assert_allclose(cxy, m.cxy, rtol=1e-13, atol=1e-11)


ESTIMATORS = [
    CCA(),
    CCA(solver="qr"),
    CCA(reg=0.2, n_components=2),
    SVCCA(svd_dims=(3, 0.9)),
    PWCCA(weights_from="y"),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_fit_from_views_sets_the_attributes_fit_sets(estimator):
    X, Y = _views()
    expected = clone(estimator).fit(X, Y)
    fitted = fit_pair(estimator, SharedView(X), SharedView(Y))
    extra = ("x_svd_dims_", "y_svd_dims_", "projection_weights_")
    for name in FITTED + [a for a in extra if hasattr(expected, a)]:
        value, reference = getattr(fitted, name), getattr(expected, name)
        if isinstance(reference, str):
            assert value == reference, name
        else:
            assert np.shape(value) == np.shape(reference), name
            np.testing.assert_allclose(
                value, reference, rtol=1e-9, atol=1e-10, err_msg=name
            )
    # The result is a usable estimator.
    np.testing.assert_allclose(fitted.transform(X), expected.transform(X), atol=1e-8)
    assert fitted.score(X, Y) == pytest.approx(expected.score(X, Y), abs=1e-10)
    assert not hasattr(fitted, "_shared_views")


def test_a_view_is_decomposed_once_per_rule():
    X, Y = _views()
    vx, vy = SharedView(X), SharedView(Y)
    fit_pair(CCA(), vx, vy)
    fit_pair(PWCCA(), vx, vy)
    fit_pair(CCA(), vy, vx)

    def rules(kind):
        return sum(key[0] == kind for key in vx._memo)

    # CCA and PWCCA share the scaled Gram basis and, X being rank-deficient,
    # the QR basis of the exact route.
    assert (rules("gram"), rules("qr")) == (1, 1)
    fit_pair(SVCCA(svd_dims=2), vx, vy)  # unscaled: a second rule
    fit_pair(CCA(reg=0.1), vx, vy)  # shrunk: a third
    assert (rules("gram"), rules("qr")) == (3, 1)


def test_permuted_view_reuses_the_gram_basis_and_permutes_q():
    X, Y = _views()
    Y = np.c_[Y, Y[:, :2]]  # dependent neurons: the exact route
    vy = SharedView(Y)
    perm = np.random.RandomState(0).permutation(400)
    permuted = vy.permuted(perm)
    fitted = fit_pair(CCA(), SharedView(X), permuted)
    expected = CCA().fit(X, Y[perm])
    assert fitted.solver_ == expected.solver_ == "qr"
    np.testing.assert_allclose(
        fitted.canonical_correlations_, expected.canonical_correlations_, atol=1e-12
    )
    cols = np.arange(Y.shape[1])
    assert permuted.gram_basis(columns=cols, scale=True) is vy.gram_basis(
        columns=cols, scale=True
    )


def test_only_our_exact_classes_take_the_shared_path():
    class MyCCA(CCA):
        pass

    assert supports_shared_views(CCA()) and supports_shared_views(PWCCA())
    assert supports_shared_views(SVCCA())
    assert not supports_shared_views(MyCCA())
