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

from sklearn_svcca import CCA, PWCCA, SVCCA, similarity_matrix
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
