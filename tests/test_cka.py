"""CKA: against Kornblith's n × n formulas, exact on streams, and its invariances."""

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from test_invariances import _invertible, _orthogonal, two_views

import sklearn_svcca._kernels as kernels
from sklearn_svcca import CKA

import reference

VARIANTS = [
    ("linear", False),
    ("linear", True),
    ("rbf", False),
    ("rbf", True),
]
IDS = [f"{k}-{'debiased' if d else 'plain'}" for k, d in VARIANTS]
settings_ = settings(max_examples=30, deadline=None)


def _cka(kernel, debiased):
    return CKA(kernel=kernel, debiased=debiased)


def _random(seed, n=300, p=7, q=11):
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(n, 3))
    X = z @ rng.normal(size=(3, p)) + 0.5 * rng.normal(size=(n, p))
    Y = np.tanh(z @ rng.normal(size=(3, q))) + 0.5 * rng.normal(size=(n, q))
    return X, Y


def _rank_deficient(seed):
    X, Y = _random(seed)
    # Dead units, duplicated and dependent neurons, as in real ReLU layers.
    X = np.c_[X, np.zeros(len(X)), X[:, :2], X[:, 0] - 2 * X[:, 1]]
    Y = np.c_[np.maximum(Y, 0), np.full(len(Y), 3.0), Y[:, :1]]
    return X, Y


@pytest.mark.parametrize("kernel, debiased", VARIANTS, ids=IDS)
@pytest.mark.parametrize("data", ["random", "rank_deficient"])
def test_matches_the_gram_formulas(kernel, debiased, data):
    X, Y = (_random if data == "random" else _rank_deficient)(0)
    expected = reference.cka(X, Y, kernel, debiased)
    got = _cka(kernel, debiased).fit(X, Y).similarity_
    assert abs(got - expected) < 1e-10


@pytest.mark.parametrize("kernel, debiased", VARIANTS, ids=IDS)
def test_matches_the_gram_formulas_on_digits_activations(
    kernel, debiased, digits_activations
):
    (h1_a, _), (_, h2_b) = digits_activations["h1"], digits_activations["h2"]
    expected = reference.cka(h1_a, h2_b, kernel, debiased)
    assert abs(_cka(kernel, debiased).fit(h1_a, h2_b).similarity_ - expected) < 1e-10


@pytest.mark.parametrize("kernel, debiased", VARIANTS, ids=IDS)
def test_matches_the_gram_formulas_on_tutorial_activations(
    kernel, debiased, tutorial_activations
):
    X = tutorial_activations["svhn_model0_fc"]
    Y = tutorial_activations["svhn_model1_fc"]
    expected = reference.cka(X, Y, kernel, debiased)
    assert abs(_cka(kernel, debiased).fit(X, Y).similarity_ - expected) < 1e-10


@pytest.mark.parametrize("bandwidth", [0.3, 2.0])
def test_rbf_bandwidth_is_kornbliths_threshold(bandwidth):
    X, Y = _random(1, n=120)
    expected = reference.cka(X, Y, "rbf", threshold=bandwidth)
    got = CKA(kernel="rbf", bandwidth=bandwidth).fit(X, Y).similarity_
    assert abs(got - expected) < 1e-10


@pytest.mark.parametrize("debiased", [False, True])
@pytest.mark.parametrize("offset", [1e3, 1e6])
def test_large_offsets_cost_no_digits(debiased, offset):
    # The statistics are accumulated about the data's own mean, so a common
    # offset (a ReLU layer's large positive mean) does not cancel digits.
    X, Y = _random(2)
    expected = reference.cka(X, Y, "linear", debiased)
    got = CKA(debiased=debiased).fit(X + offset, Y - offset).similarity_
    assert abs(got - expected) < 1e-10


@pytest.mark.parametrize("debiased", [False, True])
@settings_
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(1, 299), max_size=6))
def test_partial_fit_equals_fit_in_any_split(debiased, seed, cuts):
    X, Y = _random(seed % 1000)
    rng = np.random.RandomState(seed)
    X = X + rng.normal(scale=100, size=X.shape[1])
    bounds = [0, *sorted(set(cuts)), len(X)]
    est = CKA(debiased=debiased)
    for a, b in itertools.pairwise(bounds):
        if b > a:
            est.partial_fit(X[a:b], Y[a:b])
    assert est.n_samples_seen_ == len(X)
    assert abs(est.similarity_ - reference.cka(X, Y, "linear", debiased)) < 1e-10


@settings_
@given(seed=st.integers(0, 2**32 - 1), parts=st.integers(2, 9))
def test_debiased_merge_is_associative(seed, parts):
    # Dask merges chunk summaries in a tree: any grouping gives the same sums.
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(90, 4)) * 10 + rng.normal(scale=1e3, size=4)
    Y = rng.normal(size=(90, 3))
    chunks = np.array_split(np.arange(90), parts)
    summaries = [kernels.debiased_moments(X[c], Y[c]) for c in chunks]
    left = summaries[0]
    for s in summaries[1:]:
        left = kernels.merge_debiased_moments(left, s)
    right = summaries[-1]
    for s in summaries[-2::-1]:
        right = kernels.merge_debiased_moments(s, right)
    whole = kernels.debiased_moments(X, Y)
    for a, b, c in zip(left, right, whole, strict=True):
        scale = np.max(np.abs(c)) or 1.0
        assert_allclose(np.asarray(a) / scale, np.asarray(c) / scale, atol=1e-12)
        assert_allclose(np.asarray(b) / scale, np.asarray(c) / scale, atol=1e-12)


def test_score_is_the_cka_of_the_given_data():
    X, Y = _random(3)
    Xn, Yn = _random(4)
    for kernel, debiased in VARIANTS:
        est = _cka(kernel, debiased).fit(X, Y)
        assert est.score(X, Y) == pytest.approx(est.similarity_, abs=1e-12)
        expected = reference.cka(Xn, Yn, kernel, debiased)
        assert est.score(Xn, Yn) == pytest.approx(expected, abs=1e-10)


def test_inputs_are_not_modified():
    X, Y = _random(5)
    X0, Y0 = X.copy(), Y.copy()
    for kernel, debiased in VARIANTS:
        _cka(kernel, debiased).fit(X, Y).score(X, Y)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)


# ---------------------------------------------------------------- theorems


@pytest.mark.parametrize("kernel, debiased", VARIANTS, ids=IDS)
@settings_
@given(views=two_views(), scale=st.floats(1e-3, 1e3))
def test_invariant_to_orthogonal_maps_scaling_and_translation(
    kernel, debiased, views, scale
):
    X, Y, rng = views
    est = _cka(kernel, debiased)
    before = est.fit(X, Y).similarity_
    X2 = scale * X @ _orthogonal(rng, X.shape[1]) + rng.normal(size=X.shape[1])
    assert abs(est.fit(X2, Y).similarity_ - before) < 1e-8


@pytest.mark.parametrize("kernel, debiased", VARIANTS, ids=IDS)
@settings_
@given(views=two_views())
def test_cka_of_a_view_with_itself_is_one(kernel, debiased, views):
    X, _, _ = views
    assert abs(_cka(kernel, debiased).fit(X, X).similarity_ - 1.0) < 1e-10


@pytest.mark.parametrize("debiased", [False, True])
def test_not_invariant_to_invertible_maps(debiased):
    # A counterexample: stretching one direction of X changes linear CKA
    # (CCA would not move).
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 3))
    Y = X + 0.5 * rng.normal(size=(500, 3))
    A = np.diag([100.0, 1.0, 1.0])
    before = CKA(debiased=debiased).fit(X, Y).similarity_
    after = CKA(debiased=debiased).fit(X @ A, Y).similarity_
    assert before > 0.7 and after < 0.5


@settings(max_examples=15, deadline=None)
@given(views=two_views(), log_cond=st.sampled_from([1, 2]))
def test_invertible_maps_generally_change_cka(views, log_cond):
    X, _, rng = views
    if X.shape[1] < 2:
        return
    A = _invertible(rng, X.shape[1], log_cond)
    # CKA(X, X A) = 1 only when A Aᵀ ∝ I (X has full column rank here).
    s = np.linalg.svd(A, compute_uv=False)
    if s[0] / s[-1] > 1.5:
        assert CKA().fit(X, X @ A).similarity_ < 1 - 1e-6


def test_debiased_cka_of_independent_views_is_centred_on_zero():
    rng = np.random.RandomState(0)
    plain, debiased = [], []
    for _ in range(200):
        X, Y = rng.normal(size=(40, 30)), rng.normal(size=(40, 30))
        plain.append(CKA().fit(X, Y).similarity_)
        debiased.append(CKA(debiased=True).fit(X, Y).similarity_)
    se = np.std(debiased) / np.sqrt(len(debiased))
    assert abs(np.mean(debiased)) < 4 * se
    # The plain estimator is far from 0 at this width and sample size.
    assert np.mean(plain) > 0.3


# ------------------------------------------------------------------ errors


def test_rbf_refuses_more_samples_than_it_states(monkeypatch):
    monkeypatch.setattr(kernels, "RBF_MAX_SAMPLES", 100)
    X, Y = _random(0, n=150)
    with pytest.raises(
        ValueError, match=r"above its limit of 100 samples.*kernel='linear'"
    ):
        CKA(kernel="rbf").fit(X, Y)
    est = CKA(kernel="rbf").partial_fit(X[:80], Y[:80])
    with pytest.raises(ValueError, match="subsample"):
        est.partial_fit(X[80:], Y[80:])


def test_debiased_needs_four_samples():
    X, Y = _random(0, n=3)
    with pytest.raises(ValueError, match="at least 4 samples"):
        CKA(debiased=True).fit(X, Y)


def test_debiased_is_undefined_when_a_views_hsic_is_not_positive():
    # One sample away from the rest, n = 4: every quadruple of distinct
    # samples sees at most one difference, so the unbiased HSIC(X, X) is 0.
    X = np.array([[0.0], [0.0], [0.0], [1.0]])
    Y = np.random.RandomState(0).normal(size=(4, 2))
    with pytest.raises(ValueError, match=r"Debiased CKA is undefined.*debiased=False"):
        CKA(debiased=True).fit(X, Y)
    assert 0 <= CKA().fit(X, Y).similarity_ <= 1


@pytest.mark.parametrize("kernel", ["linear", "rbf"])
def test_constant_view_is_a_clear_error(kernel):
    X, Y = _random(0)
    with pytest.raises(ValueError, match="y is constant"):
        CKA(kernel=kernel).fit(X, np.ones_like(Y))


def test_has_no_transform():
    assert not hasattr(CKA(), "transform")


# -------------------------------------------------------------------- Dask
# (Array API: tests/test_array_api.py.)


@pytest.mark.parametrize("kernel, debiased", VARIANTS, ids=IDS)
def test_dask_fit_and_score_equal_numpy(kernel, debiased):
    da = pytest.importorskip("dask.array")
    X, Y = _random(6)
    X = X + 1e3
    Xd, Yd = da.from_array(X, chunks=(37, -1)), da.from_array(Y, chunks=(37, -1))
    est = _cka(kernel, debiased).fit(Xd, Yd)
    expected = reference.cka(X, Y, kernel, debiased)
    assert abs(est.similarity_ - expected) < 1e-10
    assert abs(est.score(Xd, Yd) - expected) < 1e-10
