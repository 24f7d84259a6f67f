"""Baselines, Bartlett–Lawley tests and summaries (sklearn_svcca.stats)."""

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import KFold, permutation_test_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_svcca import CCA, PWCCA, SVCCA
from sklearn_svcca.stats import (
    BartlettLawleyResult,
    BaselineResult,
    CorrelationSummary,
    bartlett_lawley_test,
    similarity_baseline,
    summarize_correlations,
)


def _planted(rng, n, p, q, rhos):
    """Views whose population canonical correlations are ``rhos``, then 0.

    Pairs of unit Gaussians ``(u_i, v_i)`` with correlation ``rho_i``, the
    other coordinates independent, each view then mixed by a random
    invertible map (CCA is invariant to it).
    """
    U = rng.normal(size=(n, p))
    V = rng.normal(size=(n, q))
    for i, rho in enumerate(rhos):
        V[:, i] = rho * U[:, i] + np.sqrt(1 - rho**2) * V[:, i]
    return U @ rng.normal(size=(p, p)), V @ rng.normal(size=(q, q))


def _seeds(random_state, n_resamples):
    """The documented seeding: one seed per resample, in order."""
    return np.random.RandomState(random_state).randint(
        np.iinfo(np.int32).max, size=n_resamples
    )


# --------------------------------------------------------------- baselines


@pytest.mark.parametrize(
    "estimator",
    [CCA(), CCA(solver="qr"), SVCCA(svd_dims=0.9), SVCCA(svd_dims=(2, 3)), PWCCA()],
    ids=repr,
)
def test_permutation_null_equals_refitting_permuted_data(estimator):
    rng = np.random.RandomState(0)
    X, Y = _planted(rng, 200, 6, 5, (0.8, 0.4))
    result = similarity_baseline(estimator, X, Y, n_resamples=8, random_state=3)
    expected, rhos = [], []
    for seed in _seeds(3, 8):
        perm = np.random.RandomState(seed).permutation(200)
        fitted = clone(estimator).fit(X, Y[perm])
        expected.append(fitted.similarity_)
        rhos.append(fitted.canonical_correlations_)
    np.testing.assert_allclose(result.null_distribution, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(result.null_correlations, rhos, rtol=0, atol=1e-12)
    fitted = clone(estimator).fit(X, Y)
    assert result.observed == fitted.similarity_
    np.testing.assert_array_equal(
        result.observed_correlations, fitted.canonical_correlations_
    )


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_permutation_null_on_the_exact_route():
    """Duplicated neurons send solver="auto" to QR; permuted Q rows follow."""
    rng = np.random.RandomState(1)
    X, Y = _planted(rng, 150, 4, 4, (0.7,))
    X = np.c_[X, X[:, :2] @ rng.normal(size=(2, 3))]
    assert CCA().fit(X, Y).solver_ == "qr"
    result = similarity_baseline(CCA(), X, Y, n_resamples=5, random_state=0)
    expected = [
        CCA().fit(X, Y[np.random.RandomState(s).permutation(150)]).similarity_
        for s in _seeds(0, 5)
    ]
    np.testing.assert_allclose(result.null_distribution, expected, rtol=0, atol=1e-12)


def test_result_fields_follow_their_definitions():
    rng = np.random.RandomState(0)
    X, Y = _planted(rng, 100, 5, 4, (0.3,))
    result = similarity_baseline(CCA(), X, Y, n_resamples=30, random_state=0)
    assert isinstance(result, BaselineResult)
    null = result.null_distribution
    assert null.shape == (30,) == (result.n_resamples,)
    assert result.null_mean == pytest.approx(null.mean())
    assert result.null_std == pytest.approx(null.std())
    assert result.pvalue == pytest.approx(
        (1 + np.sum(null >= result.observed)) / (1 + 30)
    )
    assert result.null == "permutation"


def test_related_views_get_the_smallest_pvalue():
    rng = np.random.RandomState(0)
    X, Y = _planted(rng, 300, 6, 5, (0.7, 0.5))
    result = similarity_baseline(CCA(), X, Y, n_resamples=19, random_state=0)
    assert result.pvalue == pytest.approx(1 / 20)
    assert result.observed > result.null_distribution.max()


def test_permutation_pvalue_is_calibrated_for_independent_views():
    """P(p <= k / (B + 1)) = k / (B + 1) under independence (exchangeability)."""
    pvalues = []
    for seed in range(60):
        rng = np.random.RandomState(seed)
        X, Y = rng.normal(size=(60, 3)), rng.normal(size=(60, 2))
        result = similarity_baseline(CCA(), X, Y, n_resamples=19, random_state=seed)
        pvalues.append(result.pvalue)
    rate = np.mean(np.array(pvalues) <= 5 / 20)
    # Binomial(60, 0.25): mean 0.25, sd 0.056.
    assert 0.08 <= rate <= 0.42
    assert min(pvalues) >= 1 / 20


def test_gaussian_null_reproduces_the_tutorials_baseline():
    """i.i.d. Gaussian 100 vs 50 neurons on 2000 samples: mean CCA ≈ 0.207."""
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(2000, 100)), rng.normal(size=(2000, 50))
    result = similarity_baseline(
        CCA(), X, Y, null="gaussian", n_resamples=4, random_state=0
    )
    assert result.null == "gaussian"
    assert result.null_mean == pytest.approx(0.207, abs=0.006)
    assert result.null_std < 0.005
    # The data are themselves Gaussian: the observed value is at the null.
    assert abs(result.observed - result.null_mean) < 0.01


def test_gaussian_null_draws_fresh_data_of_the_same_shape():
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(120, 5)), rng.normal(size=(120, 4))
    result = similarity_baseline(
        CCA(), X, Y, null="gaussian", n_resamples=3, random_state=7
    )
    expected = []
    for seed in _seeds(7, 3):
        g = np.random.RandomState(seed)
        Xg = g.standard_normal(size=X.shape)
        Yg = g.standard_normal(size=Y.shape)
        expected.append(CCA().fit(Xg, Yg).similarity_)
    np.testing.assert_allclose(result.null_distribution, expected, rtol=0, atol=1e-14)


def test_null_correlations_are_padded_when_svcca_keeps_fewer():
    rng = np.random.RandomState(0)
    X, Y = _planted(rng, 200, 8, 8, (0.9, 0.9))
    result = similarity_baseline(
        SVCCA(svd_dims=0.5), X, Y, null="gaussian", n_resamples=6, random_state=0
    )
    rhos = result.null_correlations
    assert rhos.shape[0] == 6
    lengths = np.sum(~np.isnan(rhos), axis=1)
    assert lengths.max() == rhos.shape[1]
    # Trailing NaN only.
    for row, k in zip(rhos, lengths, strict=True):
        assert not np.isnan(row[:k]).any() and np.isnan(row[k:]).all()


@pytest.mark.parametrize("null", ["permutation", "gaussian"])
@pytest.mark.parametrize("estimator", [PWCCA(), make_pipeline(StandardScaler(), CCA())])
def test_n_jobs_and_random_state(estimator, null):
    rng = np.random.RandomState(0)
    X, Y = _planted(rng, 100, 4, 3, (0.5,))
    one = similarity_baseline(
        estimator, X, Y, null=null, n_resamples=6, random_state=0, n_jobs=1
    )
    two = similarity_baseline(
        estimator, X, Y, null=null, n_resamples=6, random_state=0, n_jobs=2
    )
    np.testing.assert_array_equal(one.null_distribution, two.null_distribution)
    other = similarity_baseline(
        estimator, X, Y, null=null, n_resamples=6, random_state=1
    )
    assert not np.array_equal(one.null_distribution, other.null_distribution)


def test_other_estimators_use_score():
    # A pipeline has no similarity_ or canonical_correlations_; its in-sample
    # score is CCA's similarity (CCA is invariant to the scaler).
    rng = np.random.RandomState(0)
    X, Y = _planted(rng, 100, 4, 3, (0.6,))
    pipe = make_pipeline(StandardScaler(), CCA())
    result = similarity_baseline(pipe, X, Y, n_resamples=5, random_state=0)
    reference = similarity_baseline(CCA(), X, Y, n_resamples=5, random_state=0)
    assert result.observed == pytest.approx(reference.observed, abs=1e-12)
    np.testing.assert_allclose(
        result.null_distribution, reference.null_distribution, atol=1e-12
    )
    assert result.observed_correlations is None
    assert result.null_correlations is None


def test_scoring_callable_top_k_mean():
    rng = np.random.RandomState(0)
    X, Y = _planted(rng, 150, 6, 6, (0.8,))

    def top2(est, X, y):
        return summarize_correlations(est, top_k=2).top_k_mean

    result = similarity_baseline(
        CCA(), X, Y, scoring=top2, n_resamples=4, random_state=0
    )
    assert result.observed == pytest.approx(
        CCA().fit(X, Y).canonical_correlations_[:2].mean()
    )
    np.testing.assert_allclose(
        result.null_distribution, np.mean(result.null_correlations[:, :2], axis=1)
    )


def test_one_dimensional_y_and_inputs_not_modified():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 3))
    y = X[:, 0] + rng.normal(size=80)
    X_copy, y_copy = X.copy(), y.copy()
    result = similarity_baseline(CCA(), X, y, n_resamples=9, random_state=0)
    assert result.pvalue == pytest.approx(0.1)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)


def test_baseline_bad_input():
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(50, 3)), rng.normal(size=(50, 2))
    with pytest.raises(ValueError, match="'null' parameter"):
        similarity_baseline(CCA(), X, Y, null="shuffle")
    with pytest.raises(ValueError, match="'n_resamples' parameter"):
        similarity_baseline(CCA(), X, Y, n_resamples=0)
    with pytest.raises(ValueError, match="'estimator' parameter"):
        similarity_baseline("CCA", X, Y)
    with pytest.raises(ValueError, match="'scoring' parameter"):
        similarity_baseline(CCA(), X, Y, scoring="mean")
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        similarity_baseline(CCA(), X, Y[:-1])
    with pytest.raises(ValueError, match="contains NaN"):
        similarity_baseline(CCA(), np.where(X > 2, np.nan, X), Y)


@pytest.mark.parametrize("estimator", [CCA(), SVCCA(svd_dims=2), PWCCA()], ids=repr)
def test_permutation_test_score_works_with_our_estimators(estimator):
    """scikit-learn's cross-validated permutation test, unchanged."""
    rng = np.random.RandomState(0)
    X, Y = _planted(rng, 200, 5, 4, (0.8, 0.6))
    cv = KFold(5, shuffle=True, random_state=0)
    score, null, pvalue = permutation_test_score(
        estimator, X, Y, cv=cv, n_permutations=19, random_state=0
    )
    assert pvalue == pytest.approx(1 / 20)
    assert score > null.max()
    # Held-out similarities of permuted data are centered near 0, unlike the
    # in-sample baseline.
    assert abs(null.mean()) < 0.1
    noise = rng.normal(size=Y.shape)
    score, null, pvalue = permutation_test_score(
        estimator, X, noise, cv=cv, n_permutations=19, random_state=0
    )
    assert abs(score) < 0.15
    assert pvalue > 0.05


# ---------------------------------------------------------- Bartlett–Lawley


def _bartlett_lawley_reference(rho, n, p, q):
    """The statistic written out term by term."""
    rho = sorted(rho, reverse=True)
    stats, dfs = [], []
    for j in range(min(p, q)):
        lawley = sum(1 / r**2 for r in rho[:j])
        log_lambda = sum(np.log(1 - r**2) for r in rho[j:])
        stats.append(-(n - 1 - j - (p + q + 1) / 2 + lawley) * log_lambda)
        dfs.append((p - j) * (q - j))
    return np.array(stats), np.array(dfs)


def test_bartlett_lawley_against_the_formula():
    rho = [0.9, 0.6, 0.25, 0.1]
    result = bartlett_lawley_test(
        canonical_correlations=rho, n_samples=120, n_features_x=4, n_features_y=6
    )
    stats, dfs = _bartlett_lawley_reference(rho, 120, 4, 6)
    np.testing.assert_allclose(result.statistics, stats, rtol=1e-12)
    np.testing.assert_array_equal(result.df, dfs)
    np.testing.assert_allclose(result.pvalues, scipy.stats.chi2.sf(stats, dfs))
    assert isinstance(result, BartlettLawleyResult)
    # The first j whose p-value exceeds alpha.
    first = int(np.flatnonzero(result.pvalues > 0.05)[0])
    assert result.n_significant == first
    assert result.n_samples == 120
    assert (result.n_features_x, result.n_features_y) == (4, 6)


def test_bartlett_lawley_j0_is_bartletts_independence_test():
    """For j = 0: -(N - 1 - (p + q + 1) / 2) log Π (1 - r²), df = p q."""
    rho = np.array([0.5, 0.3, 0.1])
    result = bartlett_lawley_test(
        canonical_correlations=rho, n_samples=50, n_features_x=3, n_features_y=3
    )
    expected = -(50 - 1 - 3.5) * np.log(np.prod(1 - rho**2))
    assert result.statistics[0] == pytest.approx(expected, rel=1e-12)
    assert result.df[0] == 9


@pytest.mark.parametrize("rhos", [(), (0.6, 0.3), (0.5, 0.4, 0.3)])
def test_bartlett_lawley_recovers_the_planted_number_of_directions(rhos):
    found = []
    for seed in range(40):
        rng = np.random.RandomState(seed)
        X, Y = _planted(rng, 450, 6, 5, rhos)
        found.append(bartlett_lawley_test(CCA().fit(X, Y)).n_significant)
    assert np.mean(np.array(found) == len(rhos)) >= 0.85


@pytest.mark.parametrize("rhos", [(), (0.9,)])
def test_bartlett_lawley_is_calibrated_under_its_hypothesis(rhos):
    """Under H_d (exactly d non-zero correlations) p_d is about uniform."""
    d = len(rhos)
    pvalues = []
    for seed in range(300):
        rng = np.random.RandomState(1000 + seed)
        X, Y = _planted(rng, 200, 4, 3, rhos)
        pvalues.append(bartlett_lawley_test(CCA().fit(X, Y)).pvalues[d])
    pvalues = np.array(pvalues)
    # Binomial(300, 0.05): mean 15, sd 3.8.
    assert 4 <= np.sum(pvalues <= 0.05) <= 28
    assert scipy.stats.kstest(pvalues, "uniform").pvalue > 1e-3


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_bartlett_lawley_reads_the_estimator():
    rng = np.random.RandomState(0)
    X, Y = _planted(rng, 300, 5, 4, (0.8,))
    # A dead neuron and a duplicated one: p is the rank, 5, not 7.
    Xd = np.c_[X, np.zeros(300), X[:, 0]]
    cca = CCA().fit(Xd, Y)
    result = bartlett_lawley_test(cca)
    assert (result.n_samples, result.n_features_x, result.n_features_y) == (300, 5, 4)
    np.testing.assert_array_equal(
        result.canonical_correlations, cca.canonical_correlations_
    )
    svcca = SVCCA(svd_dims=(3, 2)).fit(X, Y)
    result = bartlett_lawley_test(svcca)
    assert (result.n_features_x, result.n_features_y) == (3, 2)
    result = bartlett_lawley_test(PWCCA().fit(X, Y))
    assert result.n_significant == 1
    # Overrides: fewer effective samples weaken the evidence.
    fewer = bartlett_lawley_test(cca, n_samples=30)
    stats, _ = _bartlett_lawley_reference(cca.canonical_correlations_, 30, 5, 4)
    np.testing.assert_allclose(fewer.statistics, stats, rtol=1e-10)


def test_bartlett_lawley_degenerate_correlations():
    result = bartlett_lawley_test(
        canonical_correlations=[1.0, 0.5, 0.0],
        n_samples=40,
        n_features_x=3,
        n_features_y=3,
    )
    assert result.statistics[0] == np.inf and result.pvalues[0] == 0.0
    # Only zeros left: no evidence at all.
    assert result.statistics[2] == 0.0 and result.pvalues[2] == 1.0
    assert not np.isnan(result.statistics).any()
    assert result.n_significant == 2


def test_bartlett_lawley_bad_input():
    rng = np.random.RandomState(0)
    X, Y = rng.normal(size=(100, 4)), rng.normal(size=(100, 3))
    with pytest.raises(NotFittedError):
        bartlett_lawley_test(CCA())
    with pytest.raises(ValueError, match="refit it with n_components=None"):
        bartlett_lawley_test(CCA(n_components=2).fit(X, Y))
    with pytest.raises(ValueError, match=r"reg=0\.1"):
        bartlett_lawley_test(CCA(reg=0.1).fit(X, Y))
    with pytest.raises(ValueError, match="needs n_samples, n_features_x"):
        bartlett_lawley_test(canonical_correlations=[0.5])
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        bartlett_lawley_test(
            canonical_correlations=[1.2], n_samples=9, n_features_x=1, n_features_y=1
        )
    with pytest.raises(ValueError, match="all min"):
        bartlett_lawley_test(
            canonical_correlations=[0.5], n_samples=90, n_features_x=2, n_features_y=3
        )
    with pytest.raises(ValueError, match="n_samples=4 is too small"):
        bartlett_lawley_test(
            canonical_correlations=[0.5, 0.2],
            n_samples=4,
            n_features_x=2,
            n_features_y=3,
        )
    with pytest.raises(ValueError, match="'alpha' parameter"):
        bartlett_lawley_test(CCA().fit(X, Y), alpha=1.5)
    with pytest.raises(TypeError, match="must be a fitted CCA"):
        bartlett_lawley_test("CCA")


# ---------------------------------------------------------------- summaries


def _sum_threshold(array, threshold):
    """The original ``cca_core.sum_threshold``: index where the mass first reaches."""
    for i in range(len(array)):
        if np.sum(array[:i]) / np.sum(array) >= threshold:
            return i
    return None


unit_floats = st.floats(0.0, 1.0, allow_nan=False, allow_subnormal=False)


@settings(max_examples=60, deadline=None)
@given(
    rho=arrays(np.float64, st.integers(1, 30), elements=unit_floats),
    top_k=st.integers(1, 40),
    threshold=st.floats(0.01, 1.0),
)
def test_summaries_match_their_definitions(rho, top_k, threshold):
    summary = summarize_correlations(rho, top_k=top_k, threshold=threshold)
    s = np.sort(rho)[::-1]
    assert summary.mean == pytest.approx(s.mean())
    assert summary.sum == pytest.approx(s.sum())
    assert summary.top_k == min(top_k, len(s))
    assert summary.top_k_mean == pytest.approx(s[:top_k].mean())
    assert summary.n_components == len(s)
    if s.sum() > 0:
        idx = _sum_threshold(s, threshold)
        m = len(s) if idx is None else idx
        # Ties at the threshold can differ by rounding of the partial sums.
        ratio = np.cumsum(s) / s.sum()
        if not np.any(np.isclose(ratio, threshold, rtol=0, atol=1e-12)):
            assert summary.n_thresholded == m
            assert summary.thresholded_mean == pytest.approx(s[:m].mean())
    # Averages of a prefix of a decreasing sequence are at least the mean.
    assert summary.top_k_mean >= summary.mean - 1e-12
    assert summary.thresholded_mean >= summary.mean - 1e-12


def test_summaries_of_a_fitted_estimator():
    rng = np.random.RandomState(0)
    X, Y = _planted(rng, 300, 8, 6, (0.9, 0.7))
    pwcca = PWCCA().fit(X, Y)
    summary = summarize_correlations(pwcca, top_k=2, threshold=0.5)
    assert isinstance(summary, CorrelationSummary)
    rho = pwcca.canonical_correlations_
    assert summary.top_k_mean == pytest.approx(rho[:2].mean())
    assert summary.mean == pytest.approx(CCA().fit(X, Y).similarity_)
    assert summary.n_thresholded == 1 + np.searchsorted(np.cumsum(rho) / rho.sum(), 0.5)


def test_summaries_edge_cases():
    zero = summarize_correlations([0.0, 0.0])
    assert (zero.mean, zero.thresholded_mean, zero.sum) == (0.0, 0.0, 0.0)
    assert zero.n_thresholded == 2
    # Unsorted input is sorted first.
    assert summarize_correlations([0.1, 0.9], top_k=1).top_k_mean == 0.9
    full = summarize_correlations([0.5, 0.5, 0.5, 0.5], threshold=1.0)
    assert full.n_thresholded == 4


def test_summaries_bad_input():
    with pytest.raises(NotFittedError):
        summarize_correlations(CCA())
    with pytest.raises(ValueError, match=r"finite and in \[0, 1\]"):
        summarize_correlations([0.5, 1.5])
    with pytest.raises(ValueError, match=r"finite and in \[0, 1\]"):
        summarize_correlations([0.5, np.nan])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        summarize_correlations([])
    with pytest.raises(ValueError, match="non-empty 1-D"):
        summarize_correlations([[0.5]])
    with pytest.raises(TypeError, match="needs a fitted estimator"):
        summarize_correlations(["a", object()])
    with pytest.raises(ValueError, match="'top_k' parameter"):
        summarize_correlations([0.5], top_k=0)
    with pytest.raises(ValueError, match="'threshold' parameter"):
        summarize_correlations([0.5], threshold=0)


class _NoCorrelations(BaseEstimator):
    def fit(self, X, y):
        self.similarity_ = 0.0
        return self


def test_summaries_need_canonical_correlations():
    fitted = _NoCorrelations().fit(np.ones((3, 2)), np.ones(3))
    with pytest.raises(TypeError, match="_NoCorrelations has no canonical_corr"):
        summarize_correlations(fitted)
    with pytest.raises(TypeError, match="_NoCorrelations has no canonical_corr"):
        bartlett_lawley_test(fitted)


def test_on_the_tutorials_activations(tutorial_activations):
    """Real activations: the published PWCCA value, far above its baseline."""
    m0 = tutorial_activations["mnist_model0_logits"]
    m1 = tutorial_activations["mnist_model1_logits"]
    result = similarity_baseline(PWCCA(), m0, m1, n_resamples=9, random_state=0)
    assert result.observed == pytest.approx(0.80744493, abs=1e-6)
    assert result.pvalue == pytest.approx(0.1)
    assert result.null_mean < 0.05
    s0 = tutorial_activations["svhn_model0_fc"]
    s1 = tutorial_activations["svhn_model1_fc"]
    test = bartlett_lawley_test(SVCCA(svd_dims=20).fit(s0, s1))
    # All 20 reduced directions are shared (the smallest correlation is 0.42
    # over 1000 images: chi2 with 1 df of about 190).
    assert test.n_significant == 20
    assert test.pvalues[0] < 1e-10


@pytest.mark.parametrize("null", ["permutation", "gaussian"])
def test_cv_null_is_the_held_out_similarity_of_each_resample(null):
    from sklearn.model_selection import cross_val_score

    rng = np.random.RandomState(0)
    X, Y = _planted(rng, 300, 6, 5, [0.8, 0.5])
    cv = KFold(3, shuffle=True, random_state=0)
    result = similarity_baseline(
        SVCCA(svd_dims=3), X, Y, null=null, n_resamples=4, cv=cv, random_state=1
    )
    assert result.observed == pytest.approx(
        cross_val_score(SVCCA(svd_dims=3), X, Y, cv=cv).mean()
    )
    seeds = np.random.RandomState(1).randint(np.iinfo(np.int32).max, size=4)
    for value, seed in zip(result.null_distribution, seeds, strict=True):
        draw = np.random.RandomState(seed)
        if null == "permutation":
            Xn, Yn = X, Y[draw.permutation(300)]
        else:
            Xn, Yn = draw.standard_normal(size=X.shape), draw.standard_normal(Y.shape)
        assert value == pytest.approx(
            cross_val_score(SVCCA(svd_dims=3), Xn, Yn, cv=cv).mean()
        )
    assert result.observed_correlations is None
    assert result.null_correlations is None


def test_cv_null_is_centered_near_zero_and_calibrated():
    rng = np.random.RandomState(1)
    X, Y = rng.normal(size=(400, 8)), rng.normal(size=(400, 6))
    held_out = similarity_baseline(CCA(), X, Y, n_resamples=30, cv=4, random_state=0)
    in_sample = similarity_baseline(CCA(), X, Y, n_resamples=30, random_state=0)
    assert abs(held_out.null_mean) < 0.03
    assert in_sample.null_mean > 0.1
    assert held_out.pvalue > 0.05
    related = similarity_baseline(
        CCA(), X, X[:, :6] + rng.normal(size=(400, 6)), n_resamples=30, cv=4
    )
    assert related.pvalue == pytest.approx(1 / 31)


def test_cv_bad_input():
    rng = np.random.RandomState(2)
    X, Y = rng.normal(size=(50, 3)), rng.normal(size=(50, 2))
    with pytest.raises(ValueError, match="cv"):
        similarity_baseline(CCA(), X, Y, cv="five")
