"""Bad input gets a clear error naming the problem; input is never modified.

Parametrized over every measure (``estimators.CASES``); what differs between
them (``transform``, the samples ``score`` needs, how the constant-input
message names columns) is written there as data.
"""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sklearn_svcca import CCA, CKA, PWCCA, SVCCA, FourierCCA, Procrustes

import synthetic
from estimators import CASES, ids


@pytest.fixture
def views():
    # 60 samples, 4 + 3 features, two shared factors; features exceed 1 in
    # places (the NaN/inf cases below replace those entries).
    return synthetic.views(0, 60, 4, 3)


BAD_FIT_INPUT = [
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
    (lambda X, Y: (np.ones_like(X), Y), "X is constant: {constant_x}"),
    # X * 1e200 is scaled by a power of two and fits: see
    # test_reliability.py's item 3 (Dask input still overflows there).
]


@pytest.mark.parametrize("case", CASES, ids=ids)
@pytest.mark.parametrize("make, match", BAD_FIT_INPUT)
def test_bad_fit_input_raises_a_clear_error(case, views, make, match):
    X, Y = make(*views)
    est = case.make()
    if match is None:
        # Strings of numbers in an object array are numbers: accepted.
        est.fit(X, Y)
        return
    match = match.format(constant_x=case.constant_columns.format(m=4))
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
        (FourierCCA(n_components=0), "n_components"),
        (FourierCCA(solver="svd"), "solver"),
        (FourierCCA(data_format="NHW"), "data_format"),
        (CKA(kernel="poly"), "kernel"),
        (CKA(debiased="yes"), "debiased"),
        (CKA(kernel="rbf", bandwidth=0.0), "bandwidth"),
        (Procrustes(alpha=1.5), "alpha"),
        (Procrustes(alpha=-0.1), "alpha"),
    ],
    ids=repr,
)
def test_bad_parameters(views, est, match):
    with pytest.raises(ValueError, match=match):
        est.fit(*views)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_bad_transform_and_score_input(case, views):
    X, Y = views
    est = case.make()
    with pytest.raises(NotFittedError):
        est.score(X, Y)
    if case.transform:
        with pytest.raises(NotFittedError):
            est.transform(X)
    else:
        assert not hasattr(est, "transform")
    est.fit(X, Y)
    if case.transform:
        with pytest.raises(
            ValueError, match=r"X has 3 features, but .* is expecting 4"
        ):
            est.transform(X[:, :3])
        with pytest.raises(
            ValueError, match=r"y has 2 features, but .* with y having 3"
        ):
            est.transform(X, Y[:, :2])
    with pytest.raises(ValueError, match=r"X has 3 features, but .* is expecting 4"):
        est.score(X[:, :3], Y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        est.score(X, Y[:-1])
    with pytest.raises(ValueError, match="requires y, the second view"):
        est.score(X, None)
    with pytest.raises(ValueError, match="Input y contains NaN"):
        est.score(X, np.full_like(Y, np.nan))
    few = case.min_score_samples - 1
    if few:
        with pytest.raises(
            ValueError, match=f"at least {case.min_score_samples} samples"
        ):
            est.score(X[:few], Y[:few])
    enough = case.min_score_samples
    score = est.score(X[:enough], Y[:enough])
    assert isinstance(score, float) and -1.0 <= score <= 1.0


@pytest.mark.parametrize("case", CASES, ids=ids)
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("order", ["C", "F"])
def test_inputs_are_never_modified(case, views, dtype, order):
    X, Y = (np.asarray(v, dtype=dtype, order=order) for v in views)
    X_copy, Y_copy = X.copy(), Y.copy()
    est = case.make()
    est.fit(X, Y)
    est.partial_fit(X, Y)
    if case.transform:
        est.transform(X, Y)
    est.score(X, Y)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(Y, Y_copy)


@pytest.mark.parametrize("case", CASES, ids=ids)
def test_readonly_inputs_are_accepted(case, views):
    X, Y = views
    X.setflags(write=False)
    Y.setflags(write=False)
    est = case.make().fit(X, Y)
    if case.transform:
        est.transform(X, Y)
    est.score(X, Y)
    est.partial_fit(X, Y)


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


def test_every_public_measure_is_in_the_table_of_cases():
    # The cross-cutting suites cover what estimators.CASES lists: a new
    # measure must be added there (with its expectations) to be covered.
    from sklearn.base import BaseEstimator

    import sklearn_svcca

    public = {
        name
        for name in sklearn_svcca.__all__
        if isinstance(getattr(sklearn_svcca, name), type)
        and issubclass(getattr(sklearn_svcca, name), BaseEstimator)
    }
    assert public == {type(c.estimator).__name__ for c in CASES}
