"""Invariances of CCA, SVCCA and PWCCA, as property tests.

Each test states a theorem about the exact quantity and checks that the
implementation honours it on data hypothesis chooses: sizes, seeds, how
many directions the views share, how noisy they are, and how badly
conditioned the maps applied to them are (within what double precision can
resolve: condition numbers up to 1e3).
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from sklearn_svcca import CCA, PWCCA, SVCCA
from sklearn_svcca.exceptions import SampleSizeWarning

ATOL = 1e-8


@pytest.fixture(autouse=True)
def _quiet_sample_size():
    # Small hypothesis examples trip the rule-of-thumb warning by design.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        yield


@st.composite
def two_views(draw, max_features=8):
    seed = draw(st.integers(0, 2**32 - 1))
    p = draw(st.integers(1, max_features))
    q = draw(st.integers(1, max_features))
    n = draw(st.integers(p + q + 3, 120))
    shared = draw(st.integers(0, min(p, q)))
    noise = draw(st.sampled_from([0.05, 0.5, 2.0]))
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(n, shared))
    X = z @ rng.normal(size=(shared, p)) + noise * rng.normal(size=(n, p))
    Y = z @ rng.normal(size=(shared, q)) + noise * rng.normal(size=(n, q))
    X += rng.normal(scale=10, size=p)  # arbitrary offsets
    return X, Y, rng


def _invertible(rng, d, max_log10_cond):
    """A random d x d matrix with condition number 10**max_log10_cond at most."""
    Q1, _ = np.linalg.qr(rng.normal(size=(d, d)))
    Q2, _ = np.linalg.qr(rng.normal(size=(d, d)))
    s = 10 ** rng.uniform(0, max_log10_cond, size=d)
    return Q1 @ np.diag(s) @ Q2


def _orthogonal(rng, d):
    Q, R = np.linalg.qr(rng.normal(size=(d, d)))
    return Q * np.sign(np.diag(R))


def _rho(est, X, Y):
    return est.fit(X, Y).canonical_correlations_


settings_ = settings(max_examples=40, deadline=None)


@settings_
@given(views=two_views(), log_cond=st.sampled_from([0, 1, 3]))
def test_cca_is_invariant_to_invertible_affine_maps(views, log_cond):
    X, Y, rng = views
    A = _invertible(rng, X.shape[1], log_cond)
    B = _invertible(rng, Y.shape[1], log_cond)
    b, c = rng.normal(size=X.shape[1]), rng.normal(size=Y.shape[1])
    assert_allclose(
        _rho(CCA(), X @ A + b, Y @ B + c), _rho(CCA(), X, Y), rtol=0, atol=ATOL
    )


@settings_
@given(views=two_views(), scale=st.floats(1e-3, 1e3), dims=st.integers(1, 8))
def test_svcca_is_invariant_to_orthogonal_maps_and_isotropic_scaling(
    views, scale, dims
):
    X, Y, rng = views
    Xt = scale * X @ _orthogonal(rng, X.shape[1]) + rng.normal(size=X.shape[1])
    Yt = Y @ _orthogonal(rng, Y.shape[1]) / scale
    for svd_dims in (min(dims, X.shape[1], Y.shape[1]), 0.9):
        svcca = SVCCA(svd_dims=svd_dims)
        expected = _rho(svcca, X, Y)
        dims_kept = (svcca.x_svd_dims_, svcca.y_svd_dims_)
        actual = _rho(svcca, Xt, Yt)
        assert (svcca.x_svd_dims_, svcca.y_svd_dims_) == dims_kept
        assert_allclose(actual, expected, rtol=0, atol=ATOL)


@settings_
@given(views=two_views())
def test_cca_and_svcca_are_symmetric(views):
    X, Y, _ = views
    assert_allclose(_rho(CCA(), X, Y), _rho(CCA(), Y, X), rtol=0, atol=ATOL)
    assert_allclose(
        _rho(SVCCA(svd_dims=0.95), X, Y),
        _rho(SVCCA(svd_dims=0.95), Y, X),
        rtol=0,
        atol=ATOL,
    )


@settings_
@given(views=two_views())
def test_pwcca_weighted_by_y_is_pwcca_of_the_swapped_views(views):
    X, Y, _ = views
    assert PWCCA(weights_from="y").fit(X, Y).similarity_ == pytest.approx(
        PWCCA().fit(Y, X).similarity_, abs=ATOL
    )


@settings_
@given(views=two_views())
def test_invariant_to_a_common_permutation_of_samples(views):
    X, Y, rng = views
    perm = rng.permutation(X.shape[0])
    for est in (CCA(), SVCCA(), PWCCA()):
        before = est.fit(X, Y).similarity_
        after = est.fit(X[perm], Y[perm]).similarity_
        assert after == pytest.approx(before, abs=ATOL)


@settings_
@given(views=two_views(), copies=st.integers(2, 4))
def test_invariant_to_duplicating_every_sample(views, copies):
    X, Y, _ = views
    for est in (CCA(), SVCCA(), PWCCA()):
        rho = _rho(est, X, Y)
        similarity = est.similarity_
        assert_allclose(
            _rho(est, np.tile(X, (copies, 1)), np.tile(Y, (copies, 1))),
            rho,
            rtol=0,
            atol=ATOL,
        )
        assert est.similarity_ == pytest.approx(similarity, abs=ATOL)


@settings_
@given(views=two_views())
def test_coefficients_lie_in_unit_interval_in_descending_order(views):
    X, Y, _ = views
    for est in (CCA(), SVCCA(), PWCCA(), CCA(reg=0.3)):
        rho = _rho(est, X, Y)
        assert rho.size == est.n_components_ >= 1
        assert np.all((rho >= 0) & (rho <= 1))
        assert np.all(np.diff(rho) <= 0)


@settings_
@given(views=two_views(), log_cond=st.sampled_from([0, 2]))
def test_a_view_and_an_invertible_map_of_it_are_identical(views, log_cond):
    X, _, rng = views
    A = _invertible(rng, X.shape[1], log_cond)
    assert_allclose(_rho(CCA(), X, X @ A), 1.0, rtol=0, atol=ATOL)
    assert PWCCA().fit(X, X @ A).similarity_ == pytest.approx(1.0, abs=ATOL)


@settings_
@given(views=two_views())
def test_dead_and_duplicated_neurons_change_nothing(views):
    X, Y, rng = views
    n = X.shape[0]
    j = rng.randint(X.shape[1])
    X_padded = np.c_[np.zeros(n), X, X[:, j] * 3.0 - 1.0, np.full(n, 0.25)]
    assert_allclose(_rho(CCA(), X_padded, Y), _rho(CCA(), X, Y), rtol=0, atol=ATOL)


@settings_
@given(views=two_views())
def test_pwcca_depends_on_neurons_only_through_their_set_and_scale(views):
    # Weights are sums of |<h_i, x_j>| over neurons: permuting neurons or
    # flipping their signs changes nothing, nor does any invertible map of y.
    X, Y, rng = views
    expected = PWCCA().fit(X, Y).similarity_
    signs = rng.choice([-1.0, 1.0], size=X.shape[1])
    Xt = X[:, rng.permutation(X.shape[1])] * signs
    Yt = Y @ _invertible(rng, Y.shape[1], 2)
    assert PWCCA().fit(Xt, Yt).similarity_ == pytest.approx(expected, abs=ATOL)


@settings_
@given(views=two_views())
def test_score_on_training_data_equals_the_fitted_similarity(views):
    X, Y, _ = views
    for est in (CCA(), SVCCA(), PWCCA(), PWCCA(weights_from="y"), CCA(reg=0.2)):
        est.fit(X, Y)
        assert est.score(X, Y) == pytest.approx(est.similarity_, abs=ATOL)
