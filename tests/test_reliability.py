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
import reference
import sklearn
from sklearn.base import clone

from sklearn_svcca import CCA, PWCCA, SVCCA, FourierCCA, similarity_matrix
from sklearn_svcca.exceptions import ConditioningWarning


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
        with pytest.raises(ValueError, match=match):
            clone(estimator).partial_fit(X, Y)


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
    proc = subprocess.run(
        [sys.executable, "-m", "sklearn_svcca", "compare"]
        + [str(tmp_path / "a.npy"), str(tmp_path / "b.npy")],
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
def test_item5_overflowing_batch_leaves_stream_intact(estimator, bad_view):
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
    with pytest.raises(ValueError, match="overflowed float64.*not added"):
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
    rng = np.random.RandomState(0)
    X = rng.normal(size=(50, 3))
    est = CCA()
    with pytest.raises(ValueError, match="not added"):
        est.partial_fit(X * 1e200, X)
    assert not hasattr(est, "_moments") and not hasattr(est, "n_features_in_")
    est.partial_fit(X[:, :2], X)  # a different width is fine: nothing was kept
    assert est.n_features_in_ == 2
