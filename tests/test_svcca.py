"""SVCCA against the independent reference and its svd_dims semantics."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.decomposition import PCA

from sklearn_svcca import CCA, SVCCA
from sklearn_svcca.exceptions import SampleSizeWarning

import reference


def _layers(rng, n=2000, p=30, q=40, latent=4, noise=0.3):
    z = rng.normal(size=(n, latent)) * [4.0, 3.0, 2.0, 1.5][:latent]
    X = z @ rng.normal(size=(latent, p)) + noise * rng.normal(size=(n, p))
    Y = z @ rng.normal(size=(latent, q)) + noise * rng.normal(size=(n, q))
    return X, Y


@pytest.mark.parametrize("solver", ["auto", "gram", "qr"])
@pytest.mark.parametrize("svd_dims", [1, 3, 10, 0.5, 0.9, 0.99, 1.0])
def test_matches_reference(rng, svd_dims, solver):
    X, Y = _layers(rng)
    svcca = SVCCA(svd_dims=svd_dims, solver=solver).fit(X, Y)
    expected = reference.svcca(X, Y, svd_dims)
    assert_allclose(svcca.canonical_correlations_, expected, atol=1e-9)


def test_pair_of_svd_dims_applies_per_view(rng):
    X, Y = _layers(rng)
    svcca = SVCCA(svd_dims=(3, 0.95)).fit(X, Y)
    assert svcca.x_svd_dims_ == 3
    assert_allclose(
        svcca.canonical_correlations_, reference.svcca(X, Y, 3, 0.95), atol=1e-9
    )
    assert svcca.n_components_ == min(3, svcca.y_svd_dims_)


def test_float_svd_dims_follows_pca(rng):
    # PCA's float n_components rule is the model: same count, same ratios.
    X, Y = _layers(rng)
    for fraction in (0.5, 0.8, 0.95, 0.999):
        svcca = SVCCA(svd_dims=fraction).fit(X, Y)
        pca = PCA(n_components=fraction, svd_solver="full").fit(X)
        assert svcca.x_svd_dims_ == pca.n_components_
        assert_allclose(
            svcca.x_explained_variance_ratio_, pca.explained_variance_ratio_, atol=1e-10
        )


def test_svd_dims_beyond_the_rank_keeps_the_rank(rng):
    X, Y = _layers(rng, p=10)
    X = np.c_[X, X[:, :3], np.zeros(len(X))]  # 14 neurons, rank 10
    svcca = SVCCA(svd_dims=12).fit(X, Y)
    assert svcca.x_svd_dims_ == svcca.x_rank_ == 10
    # Beyond the number of neurons too: one grid serves layers of any width.
    wide = SVCCA(svd_dims=50).fit(X, Y)
    assert (wide.x_svd_dims_, wide.y_svd_dims_) == (10, 40)
    assert_allclose(
        wide.canonical_correlations_, CCA().fit(X, Y).canonical_correlations_, atol=1e-9
    )


def test_keeping_everything_is_cca(rng):
    X, Y = _layers(rng)
    assert_allclose(
        SVCCA(svd_dims=1.0).fit(X, Y).canonical_correlations_,
        CCA().fit(X, Y).canonical_correlations_,
        atol=1e-9,
    )


def test_svd_is_taken_on_raw_activations(rng):
    # Unlike CCA, SVCCA depends on the scale of single neurons: blowing one
    # noise neuron up makes it the top singular direction.
    X, Y = _layers(rng)
    loud = X.copy()
    loud[:, 0] = 1e3 * rng.normal(size=len(X))
    one = SVCCA(svd_dims=1).fit(loud, Y)
    assert one.x_explained_variance_ratio_[0] > 0.99
    assert one.canonical_correlations_[0] < 0.2
    assert_allclose(
        CCA().fit(loud, Y).canonical_correlations_,
        reference.cca(loud, Y)[0],
        atol=1e-9,
    )


def test_gram_route_does_not_fall_back_for_an_ill_conditioned_tail(rng):
    # Only the kept directions need to be well conditioned.
    X, Y = _layers(rng)
    X = np.c_[X, X[:, 0] + 1e-9 * rng.normal(size=len(X))]
    assert CCA().fit(X, Y).solver_ == "qr"
    svcca = SVCCA(svd_dims=4).fit(X, Y)
    assert svcca.solver_ == "gram"
    assert_allclose(svcca.canonical_correlations_, reference.svcca(X, Y, 4), atol=1e-9)


def test_tutorial_svcca_on_mnist_logits(tutorial_activations):
    a = tutorial_activations["mnist_model0_logits"].astype(np.float64)
    b = tutorial_activations["mnist_model1_logits"].astype(np.float64)
    svcca = SVCCA(svd_dims=0.99).fit(a, b)
    assert_allclose(
        svcca.canonical_correlations_, reference.svcca(a, b, 0.99), atol=1e-9
    )


def test_svhn_layers_match_reference(tutorial_activations):
    a = tutorial_activations["svhn_model0_fc"]
    b = tutorial_activations["svhn_model1_fc"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        svcca = SVCCA(svd_dims=20).fit(a, b)
    expected = reference.svcca(a.astype(np.float64), b.astype(np.float64), 20)
    assert_allclose(svcca.canonical_correlations_, expected, atol=1e-9)


def test_svd_dims_mle_is_pcas_minka_estimate():
    rng = np.random.RandomState(0)
    for dims in (2, 5):
        z = rng.normal(size=(1000, dims))
        X = z @ rng.normal(size=(dims, 20)) + 0.5 * rng.normal(size=(1000, 20))
        Y = z @ rng.normal(size=(dims, 15)) + 0.5 * rng.normal(size=(1000, 15))
        svcca = SVCCA(svd_dims="mle").fit(X, Y)
        assert svcca.x_svd_dims_ == PCA(n_components="mle").fit(X).n_components_
        assert svcca.y_svd_dims_ == PCA(n_components="mle").fit(Y).n_components_
        assert svcca.x_svd_dims_ == dims
        pair = SVCCA(svd_dims=("mle", 1)).fit(X, Y)
        assert (pair.x_svd_dims_, pair.y_svd_dims_) == (dims, 1)
    # A view of rank 1 keeps its one direction.
    one = SVCCA(svd_dims="mle").fit(X[:, :1], Y)
    assert one.x_svd_dims_ == 1
    with pytest.raises(ValueError, match="or 'mle'"):
        SVCCA(svd_dims=("mle", "pca")).fit(X, Y)
