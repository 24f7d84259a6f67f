"""Regression tests for the reliability defects of issue 11 (the numerical core).

One test (or a few) per item, named after it. Each states the behaviour the
issue asks for: a number that matches the independent reference in
``tests/reference.py``, a clear error, or a warning that points at the
caller.
"""

import os
import warnings

import numpy as np
import pytest
import sklearn
from sklearn.base import clone

from sklearn_svcca import CCA, PWCCA, SVCCA, FourierCCA, similarity_matrix
from sklearn_svcca.exceptions import (
    ConditioningWarning,
    SampleSizeWarning,
    SparseActivationWarning,
)

import reference


def _near_collinear(noise, seed=0):
    """The issue's setting: 300 x 6 against 300 x 5, X[:, 4] = X[:, 0] + noise."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(300, 6))
    Y = X[:, :5] @ rng.normal(size=(5, 5)) + rng.normal(size=(300, 5))
    X[:, 4] = X[:, 0] + noise * rng.normal(size=300)
    return X, Y


# --------------------------------------------------------------- item 1


@pytest.mark.parametrize("solver", ["auto", "qr"])
@pytest.mark.parametrize("noise", [1e-6, 1e-7, 1e-8, 1e-9])
def test_item1_pwcca_weights_near_collinear(noise, solver):
    X, Y = _near_collinear(noise)
    expected, alpha, _ = reference.pwcca(X, Y)
    est = PWCCA(solver=solver).fit(X, Y)
    assert est.solver_ == "qr"
    assert est.similarity_ == pytest.approx(expected, abs=1e-8)
    np.testing.assert_allclose(est.projection_weights_, alpha, atol=1e-8)
    if noise >= 1e-8:
        # score recomputes the variates from the data, X @ x_weights_, which
        # itself cancels to eps / noise: at 1e-9 it is good to ~1e-7 only.
        assert est.score(X, Y) == pytest.approx(est.similarity_, abs=1e-8)


@pytest.mark.parametrize("noise", [1e-7, 1e-9])
def test_item1_pwcca_weights_near_collinear_shared_views(noise):
    # similarity_matrix decomposes each layer once and fits through
    # _fit_from_views: the same numbers as fit.
    X, Y = _near_collinear(noise)
    expected = reference.pwcca(X, Y)[0]
    result = similarity_matrix([X], [Y], estimator=PWCCA())
    assert result.similarities[0, 0] == pytest.approx(expected, abs=1e-8)


def test_item1_pwcca_weights_near_collinear_streaming_and_dask():
    # The Gram route (partial_fit, Dask) resolves the near-collinear
    # direction at noise 1e-4 (with a ConditioningWarning: its squared
    # singular values span 1e8); the weights match the definition as closely
    # as the canonical correlations themselves do there.
    da = pytest.importorskip("dask.array")
    X, Y = _near_collinear(1e-4)
    expected = reference.pwcca(X, Y)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConditioningWarning)
        stream = PWCCA().partial_fit(X[:150], Y[:150]).partial_fit(X[150:], Y[150:])
        lazy = PWCCA().fit(da.from_array(X, chunks=100), da.from_array(Y, chunks=100))
    assert stream.similarity_ == pytest.approx(expected, abs=1e-8)
    assert lazy.similarity_ == pytest.approx(expected, abs=1e-8)


@pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported",
)
def test_item1_pwcca_weights_near_collinear_array_api():
    xp = pytest.importorskip("array_api_strict")
    X, Y = _near_collinear(1e-8)
    expected = reference.pwcca(X, Y)[0]
    with sklearn.config_context(array_api_dispatch=True):
        est = PWCCA().fit(xp.asarray(X), xp.asarray(Y))
    assert est.similarity_ == pytest.approx(expected, abs=1e-8)


def test_item1_pwcca_weights_y_and_shrinkage():
    # weights_from="y" reads y's factors; with reg > 0 the weights come from
    # the moments (the shrunk directions are bounded): both match the data.
    X, Y = _near_collinear(1e-8)
    est = PWCCA(weights_from="y").fit(Y, X)
    assert est.score(Y, X) == pytest.approx(est.similarity_, abs=1e-8)
    shrunk = PWCCA(reg=0.1).fit(X, Y)
    assert shrunk.score(X, Y) == pytest.approx(shrunk.similarity_, abs=1e-10)


# --------------------------------------------------------------- item 4

ALL_ESTIMATORS = [CCA(), SVCCA(), PWCCA(), FourierCCA()]


def _unresolvable_views(kind, seed=0):
    """A float32 view whose variation is all below its own rounding."""
    rng = np.random.RandomState(seed)
    Y = rng.normal(size=(200, 4))
    if kind == "offset":
        # float32 spacing at 1e8 is 8: a spread of ~8 survives as a few
        # ulps, far below the view's relative precision (1.2e-7 of 1e8).
        X = (1e8 + 8 * rng.normal(size=(200, 5))).astype(np.float32)
    else:
        # Each neuron takes two values one float32 ulp apart.
        X = np.repeat(rng.uniform(1, 5, size=(1, 5)).astype(np.float32), 200, axis=0)
        X[::2] = np.nextafter(X[::2], np.float32(np.inf))
    return X, Y


@pytest.mark.parametrize("kind", ["offset", "ulp"])
@pytest.mark.parametrize("estimator", ALL_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_item4_unresolvable_view_raises(estimator, kind):
    X, Y = _unresolvable_views(kind)
    # It passes the constant-neuron test: the values do differ.
    assert np.all(np.ptp(X, axis=0) > 0)
    match = "X has no variation resolvable at its precision.*float64"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning on the way
        with pytest.raises(ValueError, match=match):
            clone(estimator).fit(X, Y)
        with pytest.raises(ValueError, match=match.replace("X ", "y ")):
            clone(estimator).fit(Y, X)
        # partial_fit solves on first use: the error comes from there.
        stream = clone(estimator).partial_fit(X, Y)
        with pytest.raises(ValueError, match=match):
            stream.similarity_  # noqa: B018


@pytest.mark.parametrize("kind", ["offset", "ulp"])
def test_item4_unresolvable_layer_in_similarity_matrix(kind):
    X, Y = _unresolvable_views(kind)
    for estimator in (CCA(), SVCCA(), PWCCA()):
        with pytest.raises(ValueError, match=r"layers_a\['0'\].*no variation"):
            similarity_matrix([X, Y], estimator=estimator)


def test_item4_unresolvable_view_cli(tmp_path):
    import subprocess
    import sys

    X, Y = _unresolvable_views("offset")
    np.save(tmp_path / "a.npy", X)
    np.save(tmp_path / "b.npy", Y)
    files = [str(tmp_path / "a.npy"), str(tmp_path / "b.npy")]
    proc = subprocess.run(
        [sys.executable, "-m", "sklearn_svcca", "compare", *files],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert "no variation resolvable at its precision" in proc.stderr


# --------------------------------------------------------------- item 5


def _fitted_state(est):
    return {
        key: value
        for key, value in vars(est).items()
        if key.endswith("_") or key == "_moments"
    }


def _assert_same_state(a, b):
    assert a.keys() == b.keys()
    for key in a:
        va, vb = a[key], b[key]
        if key == "_moments":
            for x, y in zip(va, vb, strict=True):
                np.testing.assert_array_equal(x, y)
        elif isinstance(va, np.ndarray):
            np.testing.assert_array_equal(va, vb)
        else:
            assert va == vb, key


@pytest.mark.parametrize("estimator", ALL_ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("bad_view", ["X", "y"])
@pytest.mark.parametrize("kind", ["numpy", "dask"])
def test_item5_overflowing_batch_leaves_stream_intact(estimator, bad_view, kind):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 6))
    Y = X[:, :4] + rng.normal(size=(300, 4))
    est = clone(estimator).partial_fit(X[:100], Y[:100])
    before = _fitted_state(est)
    bad_X, bad_Y = X[100:200], Y[100:200]
    if bad_view == "X":
        bad_X = bad_X * 1e200
    else:
        bad_Y = bad_Y * 1e200
    if kind == "dask":
        # Dask batches are summarised as they are: their moments overflow.
        da = pytest.importorskip("dask.array")
        bad_X, bad_Y = da.from_array(bad_X, chunks=50), da.from_array(bad_Y, chunks=50)
        match = r"overflowed float64.*not added"
    else:
        # In memory, the batch cannot share the stream's scale.
        match = r"magnitude of the stream's first batch.*not added"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=match):
            est.partial_fit(bad_X, bad_Y)
    _assert_same_state(before, _fitted_state(est))
    est.partial_fit(X[200:], Y[200:])
    good = clone(estimator).partial_fit(X[:100], Y[:100]).partial_fit(X[200:], Y[200:])
    assert est.n_samples_seen_ == 200
    _assert_same_state(_fitted_state(good), _fitted_state(est))
    both = np.r_[X[:100], X[200:]], np.r_[Y[:100], Y[200:]]
    in_memory = clone(estimator).set_params(solver="gram").fit(*both)
    assert est.similarity_ == pytest.approx(in_memory.similarity_, abs=1e-12)


def test_item5_failed_first_batch_leaves_estimator_unfitted():
    da = pytest.importorskip("dask.array")
    X, Y = _related_views()
    est = CCA()
    with pytest.raises(ValueError, match="not added"):
        est.partial_fit(da.from_array(X * 1e200, chunks=100), Y)
    assert not hasattr(est, "_moments") and not hasattr(est, "n_features_in_")
    est.partial_fit(Y[:, :2], Y)  # a different width is fine: nothing was kept
    assert est.n_features_in_ == 2


def test_item5_dask_fit_overflow_is_a_clear_error():
    da = pytest.importorskip("dask.array")
    X, Y = _related_views()
    with pytest.raises(ValueError, match="overflowed float64"):
        CCA().fit(da.from_array(X * 1e200, chunks=100), Y)


# --------------------------------------------------------------- item 2


def _ill_conditioned_neurons(noise=1e-6, seed=0):
    """10 neurons: 8 independent ones and near-copies of two of them."""
    rng = np.random.RandomState(seed)
    Z = rng.normal(size=(1000, 8))
    X = np.c_[Z, Z[:, :2] + noise * rng.normal(size=(1000, 2))]
    Y = X @ rng.normal(size=(10, 10)) + 0.01 * rng.normal(size=(1000, 10))
    return X, Y


@pytest.mark.parametrize("estimator", [CCA(), PWCCA(), SVCCA(svd_dims=10)])
def test_item2_gram_route_warns_when_it_drops_directions(estimator):
    X, Y = _ill_conditioned_neurons()
    exact = clone(estimator).fit(X, Y)
    assert (exact.solver_, exact.x_rank_) == ("qr", 10)
    assert reference.cca(X, Y)[0].shape == (10,)  # the data hold 10
    with pytest.warns(ConditioningWarning, match="dropped 2 direction.*of X") as rec:
        gram = clone(estimator).set_params(solver="gram").fit(X, Y)
    assert gram.x_rank_ == 8
    assert "solver='auto' or 'qr'" in str(rec[0].message)
    stream = clone(estimator).partial_fit(X, Y)
    with pytest.warns(ConditioningWarning, match="dropped 2"):
        stream.x_rank_  # noqa: B018 - partial_fit solves on first use


def test_item2_no_warning_for_exact_duplicates_or_svcca_tail():
    # An exact copy is a real dependency: the Gram route cuts it silently, as
    # the QR route does. SVCCA's variance threshold never reaches the cut
    # directions, so they cannot matter.
    X, Y = _ill_conditioned_neurons(noise=0.0)
    X2, Y2 = _ill_conditioned_neurons()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert CCA(solver="gram").fit(X, Y).x_rank_ == 8
        SVCCA(svd_dims=0.99, solver="gram").fit(X2, Y2)


def test_item2_fourier_gram_route_warns_when_it_drops_directions():
    X, Y = _ill_conditioned_neurons()
    with pytest.warns(ConditioningWarning, match="1 of 1 frequencies.*dropped"):
        FourierCCA(solver="gram").fit(X, Y)
    assert FourierCCA().fit(X, Y).x_rank_ == 10


# --------------------------------------------------------------- item 13


def _small_layers(n_layers=4, seed=0):
    rng = np.random.RandomState(seed)
    return [rng.normal(size=(40, 12)) for _ in range(n_layers)]


def test_item13_similarity_matrix_aggregates_warnings():
    layers = _small_layers()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        similarity_matrix(layers, layers, estimator=PWCCA())
    assert len(rec) == 1
    message = str(rec[0].message)
    assert rec[0].category is SampleSizeWarning
    assert message.startswith("16 of 16 pairs of layers (X, y) warned")
    assert "(layers_a['3'], layers_b['2'])" in message
    assert rec[0].filename == __file__


def _entry_points():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from sklearn_svcca.stats import similarity_baseline

    X, Y = _small_layers(2)
    ill = _ill_conditioned_neurons()
    return {
        "fit": lambda: CCA().fit(X, Y),
        # partial_fit solves, and warns, where a result is first used.
        "partial_fit": lambda: CCA().partial_fit(*ill).x_rank_,
        "fourier_fit": lambda: FourierCCA().fit(X, Y),
        "fourier_partial_fit": lambda: FourierCCA().partial_fit(*ill).x_rank_,
        "similarity_matrix": lambda: similarity_matrix([X, Y], estimator=CCA()),
        "similarity_baseline": lambda: similarity_baseline(
            CCA(), X, Y, n_resamples=3, random_state=0
        ),
        "pipeline": lambda: make_pipeline(StandardScaler(), SVCCA(svd_dims=12)).fit(
            X, Y
        ),
        "gram_route": lambda: CCA(solver="gram").fit(*ill),
    }


@pytest.mark.parametrize("entry", list(_entry_points()))
def test_item13_warnings_point_at_the_callers_line(entry):
    call = _entry_points()[entry]
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        call()
    ours = [w for w in rec if issubclass(w.category, UserWarning)]
    assert ours, "the entry point should warn"
    for w in ours:
        assert w.filename == __file__, (w.filename, str(w.message))


# --------------------------------------------------------------- item 12


def _relu_layers_with_rare_unit(seed=0):
    """797 samples; X's unit 7 is active on 2 of them (the issue's case)."""
    rng = np.random.RandomState(seed)
    Z = rng.normal(size=(797, 5))
    X = np.maximum(Z @ rng.normal(size=(5, 30)), 0)
    X[:, 7] = 0.0
    X[[10, 500], 7] = [1.0, 2.0]
    Y = np.maximum(Z @ rng.normal(size=(5, 20)), 0) + 0.5 * rng.normal(size=(797, 20))
    return X, Y


def test_item12_effective_samples_matches_definition():
    from sklearn_svcca import _linalg

    X, _ = _relu_layers_with_rare_unit()
    d = X - X.mean(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = (d**2).sum(axis=0) ** 2 / (d**4).sum(axis=0)
    n_eff = _linalg.effective_samples(
        X, X.mean(axis=0), (d**2).sum(axis=0), block_rows=100
    )
    np.testing.assert_allclose(n_eff, expected, rtol=1e-12)
    assert n_eff[7] < 2  # two samples, one of them dominant
    np.testing.assert_array_equal(_linalg.few_sample_columns(n_eff, 797), [7])


@pytest.mark.parametrize("estimator", [CCA(), SVCCA(), PWCCA()])
def test_item12_rare_unit_warns_once_naming_it(estimator):
    pd = pytest.importorskip("pandas")
    X, Y = _relu_layers_with_rare_unit()
    with pytest.warns(SparseActivationWarning) as rec:
        clone(estimator).fit(X, Y)
    assert len(rec) == 1
    message = str(rec[0].message)
    assert "1 of X's neurons (7)" in message and "reg" in message
    frame = pd.DataFrame(X, columns=[f"unit{i}" for i in range(30)])
    with pytest.warns(SparseActivationWarning, match=r"\(unit7\)"):
        clone(estimator).fit(frame, Y)
    with pytest.warns(SparseActivationWarning, match="1 of y's neurons"):
        clone(estimator).fit(Y, X)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("namespace", ["torch", "array_api_strict"])
def test_item12_array_api_input_warns_as_numpy(namespace, dtype):
    # The fourth-power pass runs in the input's namespace (in place, in
    # float32 for float32 input, as NumPy's): the same effective sample
    # sizes to float32 rounding, and the same warning.
    from sklearn_svcca import _linalg

    xp = pytest.importorskip(namespace)
    X, Y = (a.astype(dtype) for a in _relu_layers_with_rare_unit())
    mean = X.mean(axis=0, dtype=np.float64)
    sum_squares = ((X - mean) ** 2).sum(axis=0)
    want = _linalg.effective_samples(X, mean, sum_squares, block_rows=100)
    got = _linalg.effective_samples(xp.asarray(X), mean, sum_squares, block_rows=100)
    finite = np.isfinite(want)
    np.testing.assert_array_equal(np.isfinite(got), finite)
    rtol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(got[finite], want[finite], rtol=rtol)
    with (
        sklearn.config_context(array_api_dispatch=True),
        pytest.warns(SparseActivationWarning) as rec,
    ):
        CCA().fit(xp.asarray(X), xp.asarray(Y))
    assert len(rec) == 1 and "1 of X's neurons (7)" in str(rec[0].message)


def test_item12_no_false_positives_on_dense_data():
    rng = np.random.RandomState(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", SparseActivationWarning)
        for n in (40, 100, 1000):
            Z = rng.normal(size=(n, 8))
            gaussian = Z @ rng.normal(size=(8, 30))
            relu = np.maximum(Z @ rng.normal(size=(8, 30)), 0)
            CCA(reg=0.1).fit(gaussian, relu)
            PWCCA(reg=0.1).fit(relu, gaussian)


def test_item12_real_activations_do_not_warn(tutorial_activations):
    acts = tutorial_activations
    with warnings.catch_warnings():
        warnings.simplefilter("error", SparseActivationWarning)
        SVCCA().fit(acts["svhn_model0_fc"], acts["svhn_model1_fc"])
        CCA().fit(acts["mnist_model0_logits"], acts["mnist_model1_logits"])


# --------------------------------------------------------------- item 3


def _related_views(seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(300, 6))
    Y = X[:, :4] @ rng.normal(size=(4, 5)) + rng.normal(size=(300, 5))
    return X, Y


@pytest.mark.parametrize("scale", [1e-160, 1e-300, 1e150, 1e160, 2.0**-1000])
@pytest.mark.parametrize("estimator", ALL_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_item3_extreme_magnitudes_give_the_same_numbers(estimator, scale):
    X, Y = _related_views()
    unit = clone(estimator).fit(X, Y)
    Xs = X * scale
    Xs_before = Xs.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy over/underflow warnings
        est = clone(estimator).fit(Xs, Y)
        score = est.score(Xs, Y)
        variates = est.transform(Xs)
    np.testing.assert_array_equal(Xs, Xs_before)  # the input is not modified
    assert est.similarity_ == pytest.approx(unit.similarity_, abs=1e-12)
    assert score == pytest.approx(unit.similarity_, abs=1e-12)
    np.testing.assert_allclose(
        est.canonical_correlations_, unit.canonical_correlations_, atol=1e-12
    )
    np.testing.assert_allclose(variates, unit.transform(X), atol=1e-9)
    if scale > 1e-300:  # 2**-1000 * mean is subnormal: exact to 2**-52 only
        np.testing.assert_allclose(est.x_mean_, unit.x_mean_ * scale, rtol=1e-12)


def test_item3_reference_at_tiny_magnitudes():
    X, Y = _related_views()
    expected = reference.pwcca(X, Y)[0]
    assert PWCCA().fit(X * 1e-160, Y * 1e-300).similarity_ == pytest.approx(
        expected, abs=1e-10
    )


@pytest.mark.parametrize("estimator", ALL_ESTIMATORS, ids=lambda e: type(e).__name__)
def test_item3_streaming_tiny_magnitudes(estimator):
    X, Y = _related_views()
    Xs = X * 1e-160
    est = clone(estimator).partial_fit(Xs[:150], Y[:150]).partial_fit(Xs[150:], Y[150:])
    unit = clone(estimator).set_params(solver="gram").fit(X, Y)
    assert est.similarity_ == pytest.approx(unit.similarity_, abs=1e-12)
    # A later batch at another scale cannot share the stream's: refused, and
    # the stream is unchanged.
    before = _fitted_state(est)
    with pytest.raises(ValueError, match="magnitude of the stream's first batch"):
        est.partial_fit(X[:10], Y[:10])
    _assert_same_state(before, _fitted_state(est))


def test_item3_shared_views_scale_too():
    X, Y = _related_views()
    expected = CCA().fit(X, Y).similarity_
    result = similarity_matrix([X * 1e-300], [Y * 1e160], estimator=CCA())
    assert result.similarities[0, 0] == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("estimator", [CCA(), FourierCCA()], ids=["CCA", "Fourier"])
def test_item3_dask_tiny_magnitudes_clear_error(estimator):
    da = pytest.importorskip("dask.array")
    X, Y = _related_views()
    for scale in (1e-160, 1e-300):
        lazy = da.from_array(X * scale, chunks=100)
        with pytest.raises(ValueError, match="X's activations are too small"):
            clone(estimator).fit(lazy, Y)


@pytest.mark.skipif(
    os.environ.get("SCIPY_ARRAY_API") != "1",
    reason="array API dispatch needs SCIPY_ARRAY_API=1 before scipy is imported",
)
def test_item3_array_api_tiny_magnitudes():
    xp = pytest.importorskip("array_api_strict")
    X, Y = _related_views()
    expected = CCA().fit(X, Y).similarity_
    with sklearn.config_context(array_api_dispatch=True):
        est = CCA().fit(xp.asarray(X * 1e-160), xp.asarray(Y))
        assert est.score(xp.asarray(X * 1e-160), xp.asarray(Y)) == pytest.approx(
            expected, abs=1e-12
        )
    assert est.similarity_ == pytest.approx(expected, abs=1e-12)


def test_item3_refit_with_dask_forgets_the_scale():
    da = pytest.importorskip("dask.array")
    X, Y = _related_views()
    est = CCA().fit(X * 1e-160, Y)
    est.fit(da.from_array(X, chunks=100), Y)
    np.testing.assert_allclose(est.x_mean_, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(est.transform(X), CCA().fit(X, Y).transform(X))
