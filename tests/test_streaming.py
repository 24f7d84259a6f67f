"""Streaming: ``partial_fit`` over batches equals ``fit`` on all of them.

The estimators keep only sufficient statistics (count, means, centered
cross-products) and merge batches with Chan, Golub & LeVeque's pairwise
update, which is exact in exact arithmetic. So for any split of the samples
into batches, in order, the fitted attributes must equal those of one ``fit``
on the concatenation to rounding (1e-10 relative, normwise), and memory must
not grow with the number of samples streamed.
"""

import itertools
import pickle
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from sklearn_svcca import CCA, CKA, PWCCA, SVCCA, FourierCCA, Procrustes
from sklearn_svcca._base import _BaseCCA
from sklearn_svcca.exceptions import SampleSizeWarning

from estimators import CASES, Case, ids

N = 40

# Every measure (estimators.CASES), and more configurations of the CCA
# family, whose solve has the most routes.
STREAM_CASES = [
    *CASES,
    Case(CCA(n_components=2, reg=0.1)),
    Case(SVCCA(svd_dims=(0.9, 2))),
    Case(PWCCA(weights_from="y")),
]


@pytest.fixture(autouse=True)
def _quiet_sample_size():
    # FourierCCA's small maps have more values per sample than the rule of
    # thumb wants for 40 samples; the comparisons are exact regardless.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        yield


def _split(n, cuts):
    edges = [0, *sorted(set(cuts)), n]
    return [(a, b) for a, b in itertools.pairwise(edges) if b > a]


def _stream(est, X, Y, bounds):
    for a, b in bounds:
        est.partial_fit(X[a:b], Y[a:b])
    return est


@pytest.mark.parametrize("case", STREAM_CASES, ids=ids)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    seed=st.integers(0, 2**16),
    cuts=st.lists(st.integers(1, N - 1), max_size=N - 1),
    offset=st.sampled_from([0.0, 10.0, -1e3]),
)
def test_any_batch_split_equals_fit(case, seed, cuts, offset, assert_same_fit):
    # Means far from zero stress the merge: a naive update of raw sums of
    # squares loses about log10(offset² / variance) digits; Chan's does not.
    X, Y = _data(case, seed, N, offset=offset)
    ref = case.make().fit(X, Y)
    est = _stream(case.make(), X, Y, _split(N, cuts))
    if case.family == "cca":
        assert ref.solver_ == "gram"  # well-conditioned: auto kept the Gram route
    assert_same_fit(est, ref, rtol=1e-10)


def _data(case, seed, n, **kwargs):
    # FourierCCA: 2 + 2 channels of 3x4 and 4x2 maps (24 and 16 values).
    return (
        case.data(seed, n, 2, 2, **kwargs)
        if case.maps
        else case.data(seed, n, 5, 4, **kwargs)
    )


@pytest.mark.parametrize("case", STREAM_CASES, ids=ids)
def test_batches_of_one_sample(case, assert_same_fit):
    X, Y = _data(case, 1, 60, offset=3.0)
    ref = case.make().fit(X, Y)
    est = case.make()
    with warnings.catch_warnings():
        # Early batches are rank-deficient by construction: no warning.
        warnings.simplefilter("error")
        _stream(est, X, Y, [(i, i + 1) for i in range(60)])
    assert est.n_samples_seen_ == 60
    assert_same_fit(est, ref, rtol=1e-10)


def test_partial_fit_takes_the_gram_route_with_its_warning(assert_same_fit):
    # Streaming never holds the data, so it always takes the Gram route and
    # warns when that route is inaccurate. Rounding differences in the
    # moments (batch order) are then amplified by the squared condition
    # number (~1e9 here), so agreement is to the Gram route's accuracy.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 6))
    X[:, 5] = X[:, 4] + 3e-5 * rng.normal(size=500)
    Y = X[:, :3] @ rng.normal(size=(3, 4)) + rng.normal(size=(500, 4))
    from sklearn_svcca.exceptions import ConditioningWarning

    with pytest.warns(ConditioningWarning):
        ref = CCA(solver="gram").fit(X, Y)
    est = CCA()
    with warnings.catch_warnings():
        # partial_fit only accumulates: nothing is solved, nothing warns...
        warnings.simplefilter("error")
        _stream(est, X, Y, _split(500, [100, 101, 350]))
    # ... until the solution is first used.
    with pytest.warns(ConditioningWarning):
        assert est.solver_ == "gram"
    assert_same_fit(est, ref, rtol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_float32_batches_accumulate_in_float64(case, assert_same_fit):
    X, Y = _data(case, 2, 300, dtype=np.float32)
    # The fit of the same float32 values: the rank tolerance follows the
    # precision the data were stored in, which partial_fit records too.
    ref = case.make().fit(X, Y)
    assert ref.n_features_in_ == X[0].size
    ref64 = case.make().fit(X.astype(np.float64), Y.astype(np.float64))
    est = _stream(case.make(), X, Y, _split(300, [7, 8, 150]))
    if hasattr(ref, "x_weights_"):
        assert est.x_weights_.dtype in (np.float64, np.complex128)
    assert_same_fit(est, ref, rtol=1e-10)
    # Accumulated in float64: the float32 data's own fit, to rounding.
    assert abs(est.similarity_ - ref64.similarity_) < 1e-10
    if case.transform:
        assert est.transform(X[:5]).dtype == np.float32


def test_streamed_correlations_match_independent_reference(
    views, reference_correlations
):
    X, Y = views(3, 400, 6, 5)
    est = _stream(CCA(), X, Y, _split(400, [1, 2, 3, 50, 51, 399]))
    np.testing.assert_allclose(
        est.canonical_correlations_, reference_correlations(X, Y), rtol=0, atol=1e-12
    )
    np.testing.assert_allclose(est.x_mean_, X.mean(axis=0), rtol=1e-13)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_partial_fit_does_not_modify_inputs(case):
    X, Y = _data(case, 4, 50)
    X0, Y0 = X.copy(), Y.copy()
    _ = _stream(case.make(), X, Y, _split(50, [10, 11])).similarity_
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(Y, Y0)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_fit_resets_and_partial_fit_continues(case, assert_same_fit):
    X, Y = _data(case, 5, 200)
    est = case.make().partial_fit(X[:100], Y[:100])
    est.fit(X[100:], Y[100:])
    assert_same_fit(est, case.make().fit(X[100:], Y[100:]), rtol=0)
    est.partial_fit(X[:100], Y[:100])
    # Samples are exchangeable: the order of batches does not matter.
    ref = case.make().fit(X, Y)
    if case.family == "cca":
        assert ref.solver_ == "gram"  # the route streaming takes
    assert_same_fit(est, ref, rtol=1e-10)


def test_streaming_warns_when_the_data_are_rank_deficient(views):
    # Once there are more samples than neurons, a rank below n_components
    # is the data's, and partial_fit says so like fit does.
    X, Y = views(7, 40, 4, 3)
    X[:, 2] = X[:, 0] - X[:, 1]  # rank 2 < n_components
    X[:, 3] = X[:, 0] + X[:, 1]
    est = CCA(n_components=3, solver="gram")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est.partial_fit(X[:3], Y[:3])  # rank limited by 3 samples: silent
        assert est.n_components_ == 2
        est.partial_fit(X[3:], Y[3:])  # accumulates only: nothing to say yet
    # The solution, computed on first use, says so.
    with pytest.warns(UserWarning, match="n_components=3 but only"):
        assert est.n_components_ == 2
    # fit always warns (the sample-size warning is fit's too).
    with (
        pytest.warns(UserWarning, match="n_components=3 but only"),
        pytest.warns(SampleSizeWarning),
    ):
        CCA(n_components=3).fit(X[:3], Y[:3])


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_not_fitted_until_both_views_vary(case):
    est = case.make().partial_fit(np.ones((3, 2)), np.arange(3.0))
    with pytest.raises(NotFittedError, match="seen 3 sample"):
        est.score(np.ones((2, 2)), np.arange(2.0))
    if case.transform:
        with pytest.raises(NotFittedError, match="seen 3 sample"):
            est.transform(np.ones((2, 2)))
    assert not hasattr(est, "similarity_")
    est.partial_fit(np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([0.0, 1.0]))
    assert est.n_samples_seen_ == 5
    assert np.isfinite(est.similarity_)
    if case.transform:
        # One direction: y has a single column (Procrustes pads to width 2).
        assert est.transform(np.ones((2, 2))).shape == (2, est.n_components_)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_partial_fit_errors(case, views):
    X, Y = views(6, 20, 4, 3)
    if case.family == "cca":
        est = type(case.estimator)(solver="qr")
        with pytest.raises(ValueError, match=r"solver=.qr.*partial_fit"):
            est.partial_fit(X, Y)
    name = type(case.estimator).__name__
    est = case.make().partial_fit(X, Y)
    with pytest.raises(
        ValueError, match=f"X has 3 features, but {name} is expecting 4"
    ):
        est.partial_fit(X[:, :3], Y)
    with pytest.raises(ValueError, match=f"y has 2 features, but {name} was fitted"):
        est.partial_fit(X, Y[:, :2])
    with pytest.raises(ValueError, match="Input X contains NaN"):
        est.partial_fit(np.full((2, 4), np.nan), Y[:2])


def _population_correlations(A, B, noise):
    """Canonical correlations of X = Z A + noise E, Y = Z B + noise F."""

    def inv_sqrt(S):
        w, V = np.linalg.eigh(S)
        return (V / np.sqrt(w)) @ V.T

    sxx = A.T @ A + noise**2 * np.eye(A.shape[1])
    syy = B.T @ B + noise**2 * np.eye(B.shape[1])
    return np.linalg.svd(inv_sqrt(sxx) @ (A.T @ B) @ inv_sqrt(syy), compute_uv=False)


def test_streaming_a_million_samples_keeps_memory_bounded():
    # 10⁶ samples in 50 batches of 20 000: the data would take 112 MB; the
    # estimator's state is O((p + q)²). Peak traced memory must stay at the
    # scale of one batch and must not grow as batches keep coming.
    p, q, batch, n_batches = 8, 6, 20_000, 50
    rng = np.random.RandomState(0)
    A, B = rng.normal(size=(2, p)), rng.normal(size=(2, q))
    batch_bytes = batch * (p + q) * 8

    CCA().partial_fit(rng.normal(size=(10, p)), rng.normal(size=(10, q)))  # warm-up
    est = CCA()
    tracemalloc.start()
    try:
        for i in range(n_batches):
            Z = rng.normal(size=(batch, 2))
            X = Z @ A + rng.normal(size=(batch, p))
            Y = Z @ B + rng.normal(size=(batch, q))
            est.partial_fit(X, Y)
            del Z, X, Y
            if i == 4:
                _, early_peak = tracemalloc.get_traced_memory()
                tracemalloc.reset_peak()
        state, late_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert est.n_samples_seen_ == batch * n_batches == 1_000_000
    assert early_peak < 6 * batch_bytes
    assert late_peak < 1.25 * early_peak
    assert state < 1_000_000  # bytes: moments, weights; the data were 112 MB
    np.testing.assert_allclose(
        est.canonical_correlations_[:2],
        _population_correlations(A, B, 1.0)[:2],
        atol=5e-3,
    )


# --------------------------------------------------------------------------
# partial_fit only accumulates; the solution is computed once, on first use.

LAZY = [Case(CCA(n_components=2)), *CASES[1:]]


def _lazy_data(case, seed):
    if case.maps:
        return case.data(seed, 120, 3, 3)
    return case.data(seed, 120, 5, 4, latent=3)


@pytest.fixture
def count_solves(monkeypatch):
    """Count the decompositions: every solve goes through ``_fit_moments``."""
    calls = []

    def counting(cls):
        original = cls._fit_moments

        def wrapped(self, *args, **kwargs):
            calls.append(type(self).__name__)
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "_fit_moments", wrapped)

    for cls in (_BaseCCA, FourierCCA, CKA, Procrustes):
        counting(cls)
    return calls


def _first_use(est, X, Y):
    """What a user reads first after streaming: variates, or the similarity."""
    return est.transform(X) if hasattr(est, "transform") else est.similarity_


@pytest.mark.parametrize("case", LAZY, ids=ids)
def test_partial_fit_solves_once_on_first_use(case, count_solves, assert_same_fit):
    X, Y = _lazy_data(case, 0)
    estimator = case.estimator
    est = clone(estimator)
    for a, b in _split(120, [10, 40, 41, 90]):
        est.partial_fit(X[a:b], Y[a:b])
    assert count_solves == []  # five batches, no decomposition
    check_is_fitted(est)  # enough samples: fitted, still without solving
    assert count_solves == []
    assert est.n_samples_seen_ == 120 and count_solves == []
    Xt = _first_use(est, X, Y)
    assert len(count_solves) == 1
    est.score(X, Y)
    _ = est.similarity_
    if case.family == "cca":
        _ = est.canonical_correlations_
    if case.transform:
        est.get_feature_names_out()
    assert len(count_solves) == 1  # solved once, then reused
    ref = clone(estimator).fit(X, Y)
    assert_same_fit(est, ref, rtol=1e-10)
    np.testing.assert_allclose(Xt, _first_use(ref, X, Y), atol=1e-9)

    # One more batch drops the stale solution; the next use solves again.
    solves = len(count_solves)  # the reference fit solved too
    est.partial_fit(X[:30], Y[:30])
    assert "similarity_" not in vars(est)
    assert "canonical_correlations_" not in vars(est)
    assert len(count_solves) == solves
    both = clone(estimator).fit(
        np.concatenate([X, X[:30]]), np.concatenate([Y, Y[:30]])
    )
    assert_same_fit(est, both, rtol=1e-10)
    assert len(count_solves) == solves + 2  # the reference fit and the solve


@pytest.mark.parametrize("case", LAZY, ids=ids)
def test_pending_solution_survives_pickle_and_clone(case, assert_same_fit):
    X, Y = _lazy_data(case, 1)
    estimator = case.estimator
    est = clone(estimator).partial_fit(X[:60], Y[:60]).partial_fit(X[60:], Y[60:])
    assert "_pending_solve" in vars(est)
    restored = pickle.loads(pickle.dumps(est))
    assert "_pending_solve" in vars(restored)
    assert_same_fit(restored, clone(estimator).fit(X, Y), rtol=1e-10)
    fresh = clone(est)
    with pytest.raises(NotFittedError):
        fresh.score(X, Y)
    if case.transform:
        with pytest.raises(NotFittedError):
            fresh.transform(X)
    assert not hasattr(fresh, "similarity_")
    assert not hasattr(fresh, "canonical_correlations_")
    # fit discards whatever partial_fit had accumulated.
    assert_same_fit(
        est.fit(X[:70], Y[:70]), clone(estimator).fit(X[:70], Y[:70]), rtol=0
    )
    assert "_pending_solve" not in vars(est)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_missing_attributes_are_still_attribute_errors(case, views):
    X, Y = views(8, 50, 4, 3)
    est = case.make().partial_fit(X, Y)
    with pytest.raises(AttributeError, match="no attribute 'not_an_attribute_'"):
        _ = est.not_an_attribute_  # solves, then reports what is missing
    assert "similarity_" in vars(est)
    with pytest.raises(AttributeError, match="_private"):
        _ = case.make().partial_fit(X, Y)._private
    assert not hasattr(case.make(), "similarity_")
    assert not hasattr(CCA(), "x_weights_")


def test_partial_fit_reports_what_the_moments_decide_at_once(views):
    # Errors that need no decomposition are raised by the call that caused
    # them, not deferred to first use.
    X, Y = views(9, 30, 4, 3)
    with pytest.raises(ValueError, match="n_components=4 must be at most"):
        CCA(n_components=4).partial_fit(X, Y)
    est = CCA().partial_fit(X, Y)
    # A batch far from the stream's scale is refused before its products
    # are formed (it would overflow them): see test_reliability's item 5.
    with pytest.raises(ValueError, match="magnitude of the stream's first batch"):
        est.partial_fit(1e200 * X, Y)


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("block_rows", [3, 1000])
def test_moments_are_added_in_place(order, block_rows, views):
    # compute_moments(into=...) is merge_moments done in place: the running
    # matrices are updated by BLAS (whichever memory order they have) and
    # stay exactly symmetric.
    from sklearn_svcca import _linalg

    X, Y = views(10, 80, 5, 4, offset=7.0)
    a = _linalg.compute_moments(X[:30], Y[:30])
    expected = _linalg.merge_moments(a, _linalg.compute_moments(X[30:], Y[30:]))
    running = a._replace(
        **{k: np.array(getattr(a, k), order=order) for k in ("cxx", "cyy", "cxy")}
    )
    buffers = (running.cxx, running.cyy, running.cxy)
    merged = _linalg.compute_moments(
        X[30:], Y[30:], block_rows=block_rows, into=running
    )
    products = (merged.cxx, merged.cyy, merged.cxy)
    assert all(m is b for m, b in zip(products, buffers, strict=True))
    assert merged.n_samples == 80
    for name in ("x_mean", "y_mean", "cxx", "cyy", "cxy"):
        want = getattr(expected, name)
        np.testing.assert_allclose(
            getattr(merged, name), want, rtol=1e-12, atol=1e-12 * np.abs(want).max()
        )
    # Dense moments carry no sums of squares (derived from cxx and the mean).
    assert merged.x_sumsq is None and merged.y_sumsq is None
    np.testing.assert_array_equal(merged.cxx, merged.cxx.T)
    np.testing.assert_array_equal(merged.cyy, merged.cyy.T)


def test_partial_fit_never_updates_moments_it_does_not_own(views):
    # Moments set by fit may share arrays (e.g. views shared by
    # similarity_matrix); partial_fit copies them before adding in place.
    X, Y = views(11, 60, 4, 3)
    est = CCA().fit(X[:30], Y[:30])
    cxx = est._moments.cxx
    before = cxx.copy()
    est.partial_fit(X[30:], Y[30:])
    np.testing.assert_array_equal(cxx, before)
    assert est._moments.cxx is not cxx
