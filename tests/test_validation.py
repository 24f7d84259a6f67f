"""Bad input gets a clear error naming the problem; input is never modified."""

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sklearn_svcca import CCA, PWCCA, SVCCA

ESTIMATORS = [CCA(), SVCCA(), PWCCA()]


@pytest.fixture
def views(rng):
    X = rng.normal(size=(60, 4))
    return X, X[:, :2] @ rng.normal(size=(2, 3)) + rng.normal(size=(60, 3))


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize(
    "make, match",
    [
        (lambda X, Y: (np.where(X > 1, np.nan, X), Y), "Input X contains NaN"),
        (lambda X, Y: (X, np.where(Y > 1, np.inf, Y)), "Input y contains infinity"),
        (lambda X, Y: (X[:-1], Y), "inconsistent numbers of samples"),
        (lambda X, Y: (X + 1j, Y), "Complex data not supported"),
        (lambda X, Y: (X, Y + 1j), "Complex data not supported"),
        (lambda X, Y: (X.astype(str).astype(object), Y), None),
        (lambda X, Y: (np.array([["a", "b"]] * 60, dtype=object), Y), "convert"),
        (lambda X, Y: (X[:1], Y[:1]), "minimum of 2 is required"),
        (lambda X, Y: (X[:, :0], Y), "0 feature"),
        (lambda X, Y: (X, Y[:, :0]), "0 feature"),
        (lambda X, Y: (X, None), "requires y to be passed"),
        (lambda X, Y: (X[:, 0], Y), "Expected 2D array"),
        (lambda X, Y: (X, np.zeros_like(Y) + 3.0), "y is constant"),
        (lambda X, Y: (np.ones_like(X), Y), "X is constant: all 4 of its features"),
        # X * 1e200 is scaled by a power of two and fits: see
        # test_reliability.py's item 3 (Dask input still overflows there).
    ],
)
def test_bad_fit_input_raises_a_clear_error(est, views, make, match):
    X, Y = make(*views)
    if match is None:
        # Strings of numbers in an object array are numbers: accepted.
        est.fit(X, Y)
        return
    with pytest.raises(ValueError, match=match):
        est.fit(X, Y)


@pytest.mark.parametrize(
    "est, match",
    [
        (CCA(n_components=0), "n_components"),
        (CCA(n_components=2.5), "n_components"),
        (CCA(reg=-0.1), "reg"),
        (CCA(reg=1.5), "reg"),
        (CCA(solver="svd"), "solver"),
        (SVCCA(svd_dims=0), "svd_dims"),
        (SVCCA(svd_dims=1.5), "svd_dims"),
        (SVCCA(svd_dims="all"), "svd_dims"),
        (SVCCA(svd_dims=(3, 4, 5)), "pair must be"),
        (SVCCA(svd_dims=(3, 0.0)), "pair must be"),
        (PWCCA(weights_from="z"), "weights_from"),
        (CCA(n_components=4), "n_components=4 must be at most"),
        (CCA(solver="qr", reg=0.5), "does not support reg"),
    ],
)
def test_bad_parameters(views, est, match):
    with pytest.raises(ValueError, match=match):
        est.fit(*views)


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_bad_transform_and_score_input(est, views):
    X, Y = views
    est = clone(est)
    with pytest.raises(NotFittedError):
        est.transform(X)
    est.fit(X, Y)
    with pytest.raises(ValueError, match=r"X has 3 features, but .* is expecting 4"):
        est.transform(X[:, :3])
    with pytest.raises(ValueError, match=r"y has 2 features, but .* with y having 3"):
        est.transform(X, Y[:, :2])
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.score(X, Y[:-1])
    with pytest.raises(ValueError, match="requires y, the second view"):
        est.score(X, None)
    with pytest.raises(ValueError, match="at least 2 samples"):
        est.score(X[:1], Y[:1])
    with pytest.raises(ValueError, match="Input y contains NaN"):
        est.score(X, np.full_like(Y, np.nan))


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_inputs_are_never_modified(est, views, dtype, order):
    X, Y = (np.asarray(v, dtype=dtype, order=order) for v in views)
    X_copy, Y_copy = X.copy(), Y.copy()
    est.fit(X, Y)
    est.partial_fit(X, Y)
    est.transform(X, Y)
    est.score(X, Y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(Y, Y_copy)


@pytest.mark.parametrize("est", ESTIMATORS, ids=lambda e: type(e).__name__)
def test_readonly_inputs_are_accepted(est, views):
    X, Y = views
    X.setflags(write=False)
    Y.setflags(write=False)
    est.fit(X, Y).transform(X, Y)


def test_score_of_a_constant_projection_is_zero_not_nan(views):
    # On held-out data a canonical variate can be constant (here: the test
    # samples agree on X). Its correlation is undefined; it counts as 0.
    X, Y = views
    cca = CCA().fit(X, Y)
    X_test = np.repeat(X[:1], 10, axis=0)
    assert cca.score(X_test, Y[:10]) == 0.0
    assert PWCCA().fit(X, Y).score(X_test, Y[:10]) == 0.0
    # Samples that differ only along a direction the weights ignore give
    # variates constant up to rounding: also 0.
    null = np.linalg.svd(cca.x_weights_[:, :1].T)[2][1:]  # orthogonal to w_0
    X_flat = 1e3 + rng_free_offsets(null, 10)
    U = cca.transform(X_flat)
    assert np.ptp(U[:, 0]) < 1e-9 * np.abs(U[:, 0]).max()
    r0 = CCA(n_components=1).fit(X, Y).score(X_flat, Y[:10])
    assert r0 == 0.0


def rng_free_offsets(basis, n):
    # Deterministic combinations of the given rows, large enough that a
    # naive correlation of the (mathematically constant) variate would be
    # pure rounding noise.
    coef = np.linspace(-1.0, 1.0, n * basis.shape[0]).reshape(n, -1) * 100
    return coef @ basis
