"""The log-likelihood scorers: the model, and that they select dimensions."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy.stats import multivariate_normal, ortho_group
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_svcca import CCA, PWCCA, SVCCA, FourierCCA
from sklearn_svcca.metrics import joint_log_likelihood, ppca_scorer, svd_dims_scorer

import reference


def _planted(seed, n=1500, p=30, q=40, dims_x=5, dims_y=5, shared=2):
    """Low-rank signal plus isotropic noise, ``dims_*`` signal directions.

    ``shared`` directions are common to both views; the view-specific ones
    are stronger (variance 9 against 1 before mixing), so the most
    correlated directions are not the loudest ones.
    """
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(n, shared))

    def view(width, dims):
        own = 3.0 * rng.normal(size=(n, dims - shared))
        loadings = rng.normal(size=(dims, width)) * 2.0 / np.sqrt(width)
        return np.hstack([z, own]) @ loadings + rng.normal(size=(n, width))

    return view(p, dims_x), view(q, dims_y)


def _split(X, Y, n_train):
    return X[:n_train], Y[:n_train], X[n_train:], Y[n_train:]


@pytest.mark.parametrize(
    "estimator, dims",
    [
        (SVCCA(svd_dims=3), (3, 3, None)),
        (SVCCA(svd_dims=(2, 4), n_components=1), (2, 4, 1)),
        (SVCCA(svd_dims=5, reg=0.3), (5, 5, None)),
        (SVCCA(svd_dims=(6, 1)), (6, 1, None)),
        (SVCCA(svd_dims=8, solver="qr"), (8, 5, None)),
        (CCA(), (8, 5, None)),
        (CCA(n_components=2), (8, 5, 2)),
        (PWCCA(), (8, 5, None)),
    ],
    ids=str,
)
def test_joint_log_likelihood_is_the_dense_gaussian(estimator, dims, rng):
    X, Y = _planted(0, n=300, p=8, q=5, dims_x=4, dims_y=3)
    Xtr, Ytr, Xte, Yte = _split(X, Y, 200)
    fitted = estimator.fit(Xtr, Ytr)
    dims_x, dims_y, m = dims
    mean, cov = reference.svcca_joint_gaussian(
        Xtr, Ytr, min(dims_x, 8), min(dims_y, 5), m, reg=estimator.reg
    )
    expected = multivariate_normal(mean, cov).logpdf(np.hstack([Xte, Yte]))
    assert_allclose(joint_log_likelihood(fitted, Xte, Yte), expected, rtol=1e-10)
    assert svd_dims_scorer(fitted, Xte, Yte) == pytest.approx(expected.mean())


def _loud_shared_direction(seed):
    # A loud direction of X that Y follows closely: shrinking the variances
    # alone would give it a "correlation" above 1.
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(300, 6)) * [5.0, 1, 1, 1, 1, 1]
    Y = X[:, :3] @ rng.normal(size=(3, 4)) + 0.1 * rng.normal(size=(300, 4))
    return X, Y


@pytest.mark.parametrize("data", ["planted", "loud"])
def test_cca_shrinkage_is_the_dense_gaussian_of_the_shrunk_covariance(data):
    # CCA shrinks the covariance towards (tr Σ / p) I, all directions kept;
    # the model shrinks the joint covariance towards that block diagonal.
    if data == "planted":
        X, Y = _planted(1, n=300, p=6, q=4, dims_x=3, dims_y=3)
    else:
        X, Y = _loud_shared_direction(1)
    Xtr, Ytr, Xte, Yte = _split(X, Y, 200)
    reg = 0.4
    fitted = CCA(reg=reg).fit(Xtr, Ytr)

    def shrunk(A):
        c = np.cov(A, rowvar=False)
        return (1 - reg) * c + reg * np.trace(c) / c.shape[0] * np.eye(c.shape[0])

    Sx, Sy = shrunk(Xtr), shrunk(Ytr)
    Sxy = (1 - reg) * np.cov(np.hstack([Xtr, Ytr]), rowvar=False)[:6, 6:]
    cov = np.block([[Sx, Sxy], [Sxy.T, Sy]])
    mean = np.concatenate([Xtr.mean(0), Ytr.mean(0)])
    expected = multivariate_normal(mean, cov).logpdf(np.hstack([Xte, Yte]))
    assert_allclose(joint_log_likelihood(fitted, Xte, Yte), expected, rtol=1e-10)
    if data == "loud":
        whitened = np.linalg.solve(np.linalg.cholesky(Sx), Sxy / (1 - reg))
        whitened = np.linalg.solve(np.linalg.cholesky(Sy), whitened.T)
        assert np.linalg.norm(whitened, 2) > 1


def test_constant_neurons_carry_no_probability_mass():
    # A dead unit (constant in training) is left out of the density.
    X, Y = _planted(2, n=300, p=6, q=4, dims_x=3, dims_y=3)
    X_dead = np.hstack([X, np.zeros((300, 1))])
    Xtr, Ytr, Xte, Yte = _split(X, Y, 200)
    fitted = SVCCA(svd_dims=2).fit(X_dead[:200], Ytr)
    mean, cov = reference.svcca_joint_gaussian(Xtr, Ytr, 2, 2)
    expected = multivariate_normal(mean, cov).logpdf(np.hstack([Xte, Yte]))
    assert_allclose(joint_log_likelihood(fitted, X_dead[200:], Yte), expected)


def test_duplicated_neurons_give_the_density_on_the_column_space():
    # A duplicated neuron makes X rank-deficient: the model lives in the
    # training column space, where it is the model of the data's coordinates
    # in any orthonormal basis of that space.
    X, Y = _planted(7, n=300, p=6, q=4, dims_x=3, dims_y=3)
    X_dup = np.hstack([X, X[:, :2] @ np.ones((2, 1))])
    fitted = SVCCA(svd_dims=(2, 3)).fit(X_dup[:200], Y[:200])
    centered = X_dup[:200] - X_dup[:200].mean(axis=0)
    basis = np.linalg.svd(centered, full_matrices=False)[2][:6].T
    coords = X_dup @ basis
    mean, cov = reference.svcca_joint_gaussian(coords[:200], Y[:200], 2, 3)
    expected = multivariate_normal(mean, cov).logpdf(np.hstack([coords[200:], Y[200:]]))
    got = joint_log_likelihood(fitted, X_dup[200:], Y[200:])
    assert_allclose(got, expected, rtol=1e-8)


@pytest.mark.parametrize("dims", [1, 3, 7])
def test_ppca_scorer_is_pca_score_of_both_views(dims):
    X, Y = _planted(3, n=400, p=12, q=9, dims_x=4, dims_y=4)
    Xtr, Ytr, Xte, Yte = _split(X, Y, 250)
    fitted = SVCCA(svd_dims=dims).fit(Xtr, Ytr)
    expected = PCA(dims).fit(Xtr).score(Xte) + PCA(dims).fit(Ytr).score(Yte)
    assert ppca_scorer(fitted, Xte, Yte) == pytest.approx(expected, rel=1e-12)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), scale=st.floats(0.01, 100.0))
def test_density_is_equivariant_under_rotation_and_scaling(seed, scale):
    # x -> c Q x maps densities by the Jacobian |c|^-p: SVCCA's model is
    # invariant to orthogonal maps and to rescaling a whole view.
    X, Y = _planted(seed % 1000, n=150, p=5, q=4, dims_x=3, dims_y=3)
    Q = ortho_group.rvs(5, random_state=seed % 1000)
    base = joint_log_likelihood(SVCCA(svd_dims=2).fit(X, Y), X, Y)
    Xt = scale * X @ Q
    moved = joint_log_likelihood(SVCCA(svd_dims=2).fit(Xt, Y), Xt, Y)
    assert_allclose(moved, base - 5 * np.log(scale), rtol=1e-7, atol=1e-7)


def test_recovers_the_planted_dimension_in_at_least_9_of_10_seeds():
    grid = {"svd_dims": [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 15, 20, 30]}
    hits = 0
    for seed in range(10):
        dims = 3 + seed % 5
        X, Y = _planted(seed, dims_x=dims, dims_y=dims)
        cv = KFold(3, shuffle=True, random_state=seed)
        search = GridSearchCV(SVCCA(), grid, cv=cv, scoring=svd_dims_scorer)
        best = search.fit(X, Y).best_params_["svd_dims"]
        hits += abs(best - dims) <= 1
    assert hits >= 9


def test_recovers_different_dimensions_per_view():
    X, Y = _planted(11, dims_x=4, dims_y=7, shared=2)
    pairs = [(a, b) for a in range(2, 10) for b in range(2, 10)]
    search = GridSearchCV(
        SVCCA(),
        {"svd_dims": pairs},
        cv=KFold(3, shuffle=True, random_state=0),
        scoring=svd_dims_scorer,
    ).fit(X, Y)
    kx, ky = search.best_params_["svd_dims"]
    assert abs(kx - 4) <= 1 and abs(ky - 7) <= 1


def test_n_components_recovers_the_shared_dimension():
    hits = 0
    for seed in range(5):
        X, Y = _planted(seed, dims_x=6, dims_y=6, shared=1 + seed % 4)
        search = GridSearchCV(
            SVCCA(svd_dims=6),
            {"n_components": [1, 2, 3, 4, 5, 6]},
            cv=KFold(3, shuffle=True, random_state=seed),
            scoring=svd_dims_scorer,
        ).fit(X, Y)
        # Past the shared dimension the score is flat (chance correlations
        # of ~0.07 gain or lose ~1e-3 nats): allow one step, as for svd_dims.
        hits += abs(search.best_params_["n_components"] - (1 + seed % 4)) <= 1
    assert hits >= 4


def test_reg_is_chosen_when_samples_are_few():
    # 120 samples for 60 + 60 neurons: the unshrunk covariances are
    # singular-looking and their held-out likelihood collapses.
    X, Y = _planted(4, n=180, p=60, q=60, dims_x=8, dims_y=8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = GridSearchCV(
            CCA(),
            {"reg": [0.0, 0.01, 0.1, 0.3, 0.6, 0.9]},
            cv=KFold(3, shuffle=True, random_state=0),
            scoring=svd_dims_scorer,
        ).fit(X, Y)
    scores = search.cv_results_["mean_test_score"]
    assert 0 < search.best_params_["reg"] < 0.9
    assert scores.max() > scores[0]


def _selected(X, Y, grid, seed):
    search = GridSearchCV(
        SVCCA(),
        {"svd_dims": grid},
        cv=KFold(3, shuffle=True, random_state=seed),
        scoring=svd_dims_scorer,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search.fit(X, Y)
    return grid.index(search.best_params_["svd_dims"])


def _assert_inside_and_stable(X, Y, grid):
    picks = [_selected(X, Y, grid, seed) for seed in range(3)]
    assert all(0 < i < len(grid) - 1 for i in picks), picks
    assert max(picks) - min(picks) <= 1, picks


def test_selects_inside_a_wide_grid_on_a_digits_network(digits_wide_activations):
    grid = [1, 3, 10, 30, 100, 150, 200, 256]
    _assert_inside_and_stable(*digits_wide_activations, grid)


def test_selects_inside_a_wide_grid_on_svhn_layers(tutorial_activations):
    X = tutorial_activations["svhn_model0_fc"]
    Y = tutorial_activations["svhn_model1_fc"]
    grid = [1, 2, 3, 5, 10, 20, 50, 100, 150, 200]
    _assert_inside_and_stable(X, Y, grid)


def test_works_on_a_pipeline():
    X, Y = _planted(5, n=600, dims_x=4, dims_y=4)
    pipe = make_pipeline(StandardScaler(), SVCCA(svd_dims=4)).fit(X[:400], Y[:400])
    Xs = pipe[0].transform(X[400:])
    assert svd_dims_scorer(pipe, X[400:], Y[400:]) == svd_dims_scorer(
        pipe[-1], Xs, Y[400:]
    )


def test_errors():
    X, Y = _planted(6, n=200, p=6, q=5, dims_x=3, dims_y=3)
    with pytest.raises(NotFittedError):
        svd_dims_scorer(SVCCA(), X, Y)
    with pytest.raises(TypeError, match="need a CCA, SVCCA or PWCCA"):
        svd_dims_scorer(PCA(2).fit(X), X, Y)
    maps = np.random.RandomState(0).normal(size=(40, 4, 4, 3))
    with pytest.raises(TypeError, match="FourierCCA"):
        svd_dims_scorer(FourierCCA().fit(maps, maps), maps, maps)
    fitted = SVCCA(svd_dims=2).fit(X, Y)
    with pytest.raises(ValueError, match="y has 4 features"):
        svd_dims_scorer(fitted, X, Y[:, :4])
    with pytest.raises(ValueError, match="requires y"):
        svd_dims_scorer(fitted, X, None)
    before = X.copy()
    svd_dims_scorer(fitted, X, Y)
    np.testing.assert_array_equal(X, before)
