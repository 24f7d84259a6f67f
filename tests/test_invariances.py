"""Invariances of every measure, as property tests.

Each test states a theorem about the exact quantity and checks that the
implementation honours it on data hypothesis chooses: sizes, seeds, how
many directions the views share, how noisy they are, and how badly
conditioned the maps applied to them are (within what double precision can
resolve: condition numbers up to 1e3). Which theorems hold for which
measure is written once, as data, in ``estimators.py`` (``invariances``);
FourierCCA is checked on conv maps.
"""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from sklearn_svcca import CCA, PWCCA, SVCCA
from sklearn_svcca.exceptions import DataFormatWarning, SampleSizeWarning

import synthetic
from estimators import Case, ids, with_invariance

ATOL = 1e-8


@pytest.fixture(autouse=True)
def _quiet_sample_size():
    # Small hypothesis examples trip the rule-of-thumb warning by design.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        # Small maps may have equal last axes; the layout is as generated.
        warnings.simplefilter("ignore", DataFormatWarning)
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
    offsets = (rng.normal(scale=10, size=p), 0.0)  # arbitrary offsets
    X, Y = synthetic.views(rng, n, p, q, latent=shared, noise=noise, offset=offsets)
    return X, Y, rng


@st.composite
def two_maps(draw, max_channels=3):
    """Conv maps of two layers (3x5 and 4x3 maps) sharing a signal."""
    seed = draw(st.integers(0, 2**32 - 1))
    p = draw(st.integers(1, max_channels))
    q = draw(st.integers(1, max_channels))
    n = draw(st.integers(p + q + 3, 80))
    rng = np.random.RandomState(seed)
    offsets = (rng.normal(scale=10), rng.normal(scale=10))
    X, Y = synthetic.maps(rng, n, (3, 5, p), (4, 3, q), offset=offsets)
    return X, Y, rng


def _views_for(case):
    return two_maps() if case.maps else two_views()


def _values(est, X, Y):
    """What a theorem speaks of: the canonical correlations, or the value."""
    est.fit(X, Y)
    rho = getattr(est, "canonical_correlations_", None)
    return np.atleast_1d(est.similarity_ if rho is None else rho)


def _repeat(A, copies):
    return np.concatenate([A] * copies)


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


def _cases(theorem, *extra):
    """The measures a theorem holds for (estimators.py), plus configurations
    the suite checked before it covered every measure."""
    return [*with_invariance(theorem), *map(Case, extra)]


@pytest.mark.parametrize("case", _cases("affine"), ids=ids)
@settings_
@given(data=st.data(), log_cond=st.sampled_from([0, 1, 3]))
def test_invariant_to_invertible_affine_maps(case, data, log_cond):
    # CCA; and Procrustes with full whitening (alpha=0), which compares the
    # views' column spaces only.
    X, Y, rng = data.draw(_views_for(case))
    A = _invertible(rng, X.shape[1], log_cond)
    B = _invertible(rng, Y.shape[1], log_cond)
    b, c = rng.normal(size=X.shape[1]), rng.normal(size=Y.shape[1])
    est = case.make()
    assert_allclose(
        _values(est, X @ A + b, Y @ B + c), _values(est, X, Y), rtol=0, atol=ATOL
    )


@pytest.mark.parametrize("case", _cases("channel_affine"), ids=ids)
@settings_
@given(data=st.data(), log_cond=st.sampled_from([0, 1, 3]))
def test_fourier_is_invariant_to_invertible_maps_of_the_channels(case, data, log_cond):
    # The same invertible map of the channels at every position (a 1x1
    # convolution), plus a per-channel offset: the DFT acts on positions,
    # so every frequency's problem sees an invertible map of its columns.
    X, Y, rng = data.draw(_views_for(case))
    A = _invertible(rng, X.shape[-1], log_cond)
    B = _invertible(rng, Y.shape[-1], log_cond)
    b, c = rng.normal(size=X.shape[-1]), rng.normal(size=Y.shape[-1])
    est = case.make()
    assert_allclose(
        _values(est, X @ A + b, Y @ B + c), _values(est, X, Y), rtol=0, atol=ATOL
    )


@pytest.mark.parametrize("case", _cases("orthogonal"), ids=ids)
@settings_
@given(data=st.data(), scale=st.floats(1e-3, 1e3))
def test_invariant_to_orthogonal_maps_isotropic_scaling_and_translation(
    case, data, scale
):
    X, Y, rng = data.draw(_views_for(case))
    Xt = scale * X @ _orthogonal(rng, X.shape[1]) + rng.normal(size=X.shape[1])
    Yt = Y @ _orthogonal(rng, Y.shape[1]) / scale
    est = case.make()
    assert_allclose(_values(est, Xt, Yt), _values(est, X, Y), rtol=0, atol=ATOL)
    # A view and a rotated, scaled, shifted copy of it are identical.
    assert est.fit(X, Xt).similarity_ == pytest.approx(1.0, abs=ATOL)


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


@pytest.mark.parametrize("case", _cases("symmetric", SVCCA(svd_dims=0.95)), ids=ids)
@settings_
@given(data=st.data())
def test_symmetric_in_the_two_views(case, data):
    X, Y, _ = data.draw(_views_for(case))
    est = case.make()
    assert_allclose(_values(est, X, Y), _values(est, Y, X), rtol=0, atol=ATOL)


@settings_
@given(views=two_views())
def test_pwcca_weighted_by_y_is_pwcca_of_the_swapped_views(views):
    X, Y, _ = views
    assert PWCCA(weights_from="y").fit(X, Y).similarity_ == pytest.approx(
        PWCCA().fit(Y, X).similarity_, abs=ATOL
    )


@pytest.mark.parametrize("case", _cases("permutation", SVCCA()), ids=ids)
@settings_
@given(data=st.data())
def test_invariant_to_a_common_permutation_of_samples(case, data):
    X, Y, rng = data.draw(_views_for(case))
    perm = rng.permutation(X.shape[0])
    est = case.make()
    before = est.fit(X, Y).similarity_
    after = est.fit(X[perm], Y[perm]).similarity_
    assert after == pytest.approx(before, abs=ATOL)


@pytest.mark.parametrize("case", _cases("duplication", SVCCA()), ids=ids)
@settings_
@given(data=st.data(), copies=st.integers(2, 4))
def test_invariant_to_duplicating_every_sample(case, data, copies):
    X, Y, _ = data.draw(_views_for(case))
    est = case.make()
    rho = _values(est, X, Y)
    similarity = est.similarity_
    assert_allclose(
        _values(est, _repeat(X, copies), _repeat(Y, copies)), rho, rtol=0, atol=ATOL
    )
    assert est.similarity_ == pytest.approx(similarity, abs=ATOL)


UNIT_INTERVAL = _cases("unit_interval", SVCCA(), CCA(reg=0.3))


@pytest.mark.parametrize("case", UNIT_INTERVAL, ids=ids)
@settings_
@given(data=st.data())
def test_coefficients_lie_in_unit_interval_in_descending_order(case, data):
    X, Y, _ = data.draw(_views_for(case))
    est = case.make()
    rho = _values(est, X, Y)
    assert np.all((rho >= 0) & (rho <= 1))
    assert 0 <= est.similarity_ <= 1
    if case.family == "cca" and not case.maps:
        assert rho.size == est.n_components_ >= 1
        assert np.all(np.diff(rho) <= 0)
    if case.maps:  # descending within each frequency
        assert np.all(np.diff(est.frequency_correlations_, axis=-1) <= 0)


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
    X_padded = synthetic.with_dead_and_duplicated(X, rng)
    assert_allclose(_rho(CCA(), X_padded, Y), _rho(CCA(), X, Y), rtol=0, atol=ATOL)


@pytest.mark.parametrize("case", _cases("dead_only") + _cases("dead_neurons"), ids=ids)
@settings_
@given(views=two_views())
def test_dead_neurons_change_nothing(case, views):
    # A dead ReLU (always 0) and a saturated unit (a constant) are centered
    # away: no measure may see them, in either view.
    X, Y, _ = views
    n = X.shape[0]
    X_padded = np.c_[np.zeros(n), X, np.full(n, 0.25)]
    Y_padded = np.c_[Y, np.full(n, -3.0)]
    est = case.make()
    assert_allclose(
        _values(est, X_padded, Y_padded), _values(est, X, Y), rtol=0, atol=ATOL
    )


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


SCORE_CASES = _cases(
    "score_is_similarity", SVCCA(), PWCCA(weights_from="y"), CCA(reg=0.2)
)


@pytest.mark.parametrize("case", SCORE_CASES, ids=ids)
@settings_
@given(data=st.data())
def test_score_on_training_data_equals_the_fitted_similarity(case, data):
    X, Y, _ = data.draw(_views_for(case))
    est = case.make().fit(X, Y)
    assert est.score(X, Y) == pytest.approx(est.similarity_, abs=ATOL)
