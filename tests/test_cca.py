"""CCA against the independent reference, on easy and on hostile data."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_svcca import CCA
from sklearn_svcca.exceptions import SampleSizeWarning

import reference


def _two_views(rng, n=400, p=6, q=5, shared=3, noise=0.5):
    z = rng.normal(size=(n, shared))
    X = z @ rng.normal(size=(shared, p)) + noise * rng.normal(size=(n, p))
    Y = z @ rng.normal(size=(shared, q)) + noise * rng.normal(size=(n, q))
    return X, Y


@pytest.mark.parametrize("solver", ["auto", "gram", "qr"])
def test_matches_reference_on_random_data(rng, solver):
    X, Y = _two_views(rng)
    cca = CCA(solver=solver).fit(X, Y)
    expected, _, _ = reference.cca(X, Y)
    assert_allclose(cca.canonical_correlations_, expected, rtol=0, atol=1e-10)
    assert cca.n_components_ == 5
    assert cca.similarity_ == pytest.approx(expected.mean(), abs=1e-10)


def _hostile_views(rng, n=300):
    """Dead, duplicated, rescaled and linearly dependent neurons."""
    X, Y = _two_views(rng, n=n, p=6, q=5)
    X = np.c_[
        X,
        np.zeros(n),  # dead ReLU
        np.full(n, 3.7),  # saturated unit
        X[:, 0],  # exact duplicate
        2.5 * X[:, 1] - X[:, 2] + 1.0,  # linear combination (and offset)
        1e-9 * X[:, 3] + 1e-9 * rng.normal(size=n),  # tiny but real
    ]
    Y = np.c_[Y, Y[:, :2] @ [[1.0], [-2.0]], np.zeros(n), 1e6 * Y[:, 4]]
    return X, Y


@pytest.mark.parametrize("solver", ["auto", "qr"])
def test_matches_reference_on_rank_deficient_data(rng, solver):
    X, Y = _hostile_views(rng)
    cca = CCA(solver=solver).fit(X, Y)
    expected, _, _ = reference.cca(X, Y)
    # rank X = 6 + the tiny-but-real neuron, rank Y = 5.
    assert (cca.x_rank_, cca.y_rank_) == (7, 5)
    assert_allclose(cca.canonical_correlations_, expected, atol=1e-9)
    assert np.all(np.isfinite(cca.x_weights_))
    # The weights of dropped neurons are exactly zero.
    assert np.all(cca.x_weights_[6:8] == 0)


def test_auto_switches_to_the_exact_route_on_rank_deficient_data(rng):
    X, Y = _hostile_views(rng)
    assert CCA().fit(X, Y).solver_ == "qr"
    X, Y = _two_views(rng)
    assert CCA().fit(X, Y).solver_ == "gram"


def test_gram_route_drops_exact_dependencies(rng):
    # Without the near-collinear neuron, the Gram route sees a clean gap
    # between real directions and exact dependencies and gets them right.
    X, Y = _hostile_views(rng)
    X = X[:, :-1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cca = CCA(solver="gram").fit(X, Y)
    assert (cca.x_rank_, cca.y_rank_) == (6, 5)
    assert_allclose(cca.canonical_correlations_, reference.cca(X, Y)[0], atol=1e-9)


def test_matches_reference_on_trained_network_activations(digits_activations):
    for acts_a, acts_b in digits_activations.values():
        cca = CCA().fit(acts_a, acts_b)
        expected, _, _ = reference.cca(acts_a, acts_b)
        assert_allclose(cca.canonical_correlations_, expected, atol=1e-9)


def test_near_collinear_input_where_the_original_recipe_fails(rng):
    # Two neurons equal up to 1e-7: the covariance is numerically singular,
    # the original recipe's inverse square root loses all accuracy and its
    # coefficients exceed 1. The answer is still well defined.
    n = 2000
    a = rng.normal(size=n)
    X = np.c_[a, a + 1e-7 * rng.normal(size=n), rng.normal(size=n)]
    Y = np.c_[X[:, 1] - X[:, 0], rng.normal(size=n)]
    cca = CCA().fit(X, Y)
    expected, _, _ = reference.cca(X, Y)
    assert_allclose(cca.canonical_correlations_, expected, atol=1e-8)
    assert cca.canonical_correlations_[0] == pytest.approx(1.0, abs=1e-8)


def test_variates_have_unit_variance_and_the_canonical_correlations(rng):
    X, Y = _two_views(rng)
    cca = CCA().fit(X, Y)
    U, V = cca.transform(X, Y)
    assert_allclose(np.var(U, axis=0, ddof=1), 1.0, rtol=1e-10)
    assert_allclose(np.var(V, axis=0, ddof=1), 1.0, rtol=1e-10)
    C = np.corrcoef(U.T, V.T)
    k = cca.n_components_
    assert_allclose(np.diag(C[:k, k:]), cca.canonical_correlations_, atol=1e-10)
    # Canonical variates are uncorrelated within and across views.
    off = ~np.eye(k, dtype=bool)
    assert np.abs(C[:k, :k][off]).max() < 1e-10
    assert np.abs(C[:k, k:][off]).max() < 1e-10


def test_x_equal_to_invertible_map_of_itself_is_perfectly_correlated(rng):
    X = rng.normal(size=(1000, 100))
    A = rng.normal(size=(100, 100))
    cca = CCA().fit(X, X @ A)
    assert_allclose(cca.canonical_correlations_, 1.0, atol=1e-9)
    assert cca.similarity_ == pytest.approx(1.0, abs=1e-9)


def test_n_components_keeps_the_leading_pairs(rng):
    X, Y = _two_views(rng)
    full = CCA().fit(X, Y)
    two = CCA(n_components=2).fit(X, Y)
    assert two.n_components_ == 2
    assert two.x_weights_.shape == (6, 2)
    assert_allclose(two.canonical_correlations_, full.canonical_correlations_[:2])
    assert_allclose(two.x_weights_, full.x_weights_[:, :2])
    assert two.get_feature_names_out().tolist() == ["cca0", "cca1"]


def test_n_components_beyond_the_rank_keeps_the_rank_and_warns(rng):
    X, Y = _two_views(rng)
    Y = np.c_[Y, Y[:, 0]]  # rank 5, 6 features
    with pytest.warns(UserWarning, match="only 5 canonical correlations exist"):
        cca = CCA(n_components=6).fit(X, Y)
    assert cca.n_components_ == 5


def test_trivially_perfect_correlations_are_computed_and_warned(rng):
    # 30 samples, ranks 20 and 15: at least 20 + 15 - 29 = 6 correlations
    # are 1 whatever the data.
    X = rng.normal(size=(30, 20))
    Y = rng.normal(size=(30, 15))
    with pytest.warns(SampleSizeWarning, match="at least 6 canonical correlations"):
        cca = CCA().fit(X, Y)
    assert_allclose(cca.canonical_correlations_[:6], 1.0, atol=1e-8)
    assert_allclose(cca.canonical_correlations_, reference.cca(X, Y)[0], atol=1e-8)


def test_few_samples_per_neuron_warns(rng):
    with pytest.warns(SampleSizeWarning, match="biased upwards"):
        CCA().fit(rng.normal(size=(100, 30)), rng.normal(size=(100, 10)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        CCA().fit(rng.normal(size=(150, 30)), rng.normal(size=(150, 10)))


def test_float32_input_is_accurate_and_float32_comes_out(rng):
    X, Y = _two_views(rng, n=5000, p=40, q=30, shared=10)
    X32, Y32 = X.astype(np.float32), Y.astype(np.float32)
    cca = CCA().fit(X32, Y32)
    expected, _, _ = reference.cca(X32.astype(np.float64), Y32.astype(np.float64))
    # float64 accumulation: exact for the float32 numbers given.
    assert_allclose(cca.canonical_correlations_, expected, atol=1e-10)
    assert cca.x_weights_.dtype == np.float64
    U, V = cca.transform(X32, Y32)
    assert U.dtype == np.float32 and V.dtype == np.float32
    assert_allclose(U, cca.transform(X), rtol=0, atol=1e-4)


def test_score_on_training_data_is_the_fitted_similarity(rng):
    X, Y = _two_views(rng)
    for cca in (CCA(), CCA(n_components=3), CCA(reg=0.3)):
        cca.fit(X, Y)
        assert cca.score(X, Y) == pytest.approx(cca.similarity_, abs=1e-10)


def test_held_out_score_removes_chance_correlation(rng):
    # The tutorial's warning: unrelated views look similar in sample.
    from sklearn.model_selection import cross_val_score

    X = rng.normal(size=(1000, 50))
    Y = rng.normal(size=(1000, 50))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)
        in_sample = CCA().fit(X, Y).similarity_
        held_out = cross_val_score(CCA(), X, Y, cv=5)
    assert 0.15 < in_sample < 0.25
    assert abs(held_out.mean()) < 0.02


def test_reg_zero_is_exact_and_reg_is_scale_free(rng):
    X, Y = _two_views(rng)
    assert_allclose(
        CCA(reg=0.0).fit(X, Y).canonical_correlations_,
        reference.cca(X, Y)[0],
        atol=1e-10,
    )
    shrunk = CCA(reg=0.4).fit(X, Y)
    rescaled = CCA(reg=0.4).fit(1e3 * X + 5, 1e-3 * Y)
    assert_allclose(
        shrunk.canonical_correlations_, rescaled.canonical_correlations_, atol=1e-10
    )


def test_reg_correlations_are_actual_correlations_in_descending_order(rng):
    X, Y = _two_views(rng, n=200, p=20, q=20, shared=2, noise=2.0)
    cca = CCA(reg=0.5).fit(X, Y)
    rho = cca.canonical_correlations_
    assert np.all(np.diff(rho) <= 0)
    U, V = cca.transform(X, Y)
    actual = [np.corrcoef(U[:, i], V[:, i])[0, 1] for i in range(rho.size)]
    assert_allclose(rho, actual, atol=1e-10)
    assert_allclose(np.var(U, axis=0, ddof=1), 1.0, rtol=1e-10)
    # Shrinkage lowers in-sample correlations: they are not the optimum.
    assert rho[0] <= CCA().fit(X, Y).canonical_correlations_[0] + 1e-12


def test_reg_one_is_the_cross_covariance_svd(rng):
    # With reg=1 both covariances are isotropic, so the directions are the
    # singular vectors of the cross-covariance (PLS-SVD directions).
    X, Y = _two_views(rng)
    cca = CCA(reg=1.0).fit(X, Y)
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)
    u, _, _ = np.linalg.svd(Xc.T @ Yc)
    for i in range(2):
        w = cca.x_weights_[:, i] / np.linalg.norm(cca.x_weights_[:, i])
        # Compare up to sign, and allowing the reorder by actual correlation.
        assert max(abs(w @ u[:, j]) for j in range(u.shape[1])) > 1 - 1e-8


def test_signs_are_deterministic_across_solvers(rng):
    X, Y = _two_views(rng)
    gram = CCA(solver="gram").fit(X, Y)
    qr = CCA(solver="qr").fit(X, Y)
    assert_allclose(gram.x_weights_, qr.x_weights_, atol=1e-8)
    assert_allclose(gram.y_weights_, qr.y_weights_, atol=1e-8)
    idx = np.argmax(np.abs(gram.x_weights_), axis=0)
    assert np.all(gram.x_weights_[idx, range(gram.n_components_)] > 0)


def test_one_dimensional_y_is_one_neuron(rng):
    X, Y = _two_views(rng)
    cca = CCA().fit(X, Y[:, 0])
    assert cca.n_components_ == 1
    assert_allclose(
        cca.canonical_correlations_, reference.cca(X, Y[:, :1])[0], atol=1e-12
    )
    _, V = cca.transform(X, Y[:, 0])
    assert V.shape == (X.shape[0], 1)


def test_partial_fit_equals_fit_on_concatenation(rng):
    X, Y = _two_views(rng, n=500)
    full = CCA().fit(X, Y)
    streamed = CCA()
    for start in range(0, 500, 73):
        streamed.partial_fit(X[start : start + 73], Y[start : start + 73])
    assert streamed.n_samples_seen_ == 500
    for name in ("canonical_correlations_", "x_weights_", "y_weights_", "x_mean_"):
        assert_allclose(getattr(streamed, name), getattr(full, name), atol=1e-10)


def test_partial_fit_with_single_samples_waits_until_it_can_solve(rng):
    from sklearn.exceptions import NotFittedError

    X, Y = _two_views(rng, n=40)
    cca = CCA().partial_fit(X[:1], Y[:1])
    with pytest.raises(NotFittedError, match="seen 1 sample"):
        cca.transform(X)
    for i in range(1, 40):
        cca.partial_fit(X[i : i + 1], Y[i : i + 1])
    assert_allclose(cca.canonical_correlations_, reference.cca(X, Y)[0], atol=1e-10)


def test_partial_fit_rejects_the_qr_solver(rng):
    X, Y = _two_views(rng)
    with pytest.raises(ValueError, match="solver='qr' needs all samples"):
        CCA(solver="qr").partial_fit(X, Y)


def test_fit_on_10000_by_500_is_the_gram_route_and_exact(rng):
    # Size from the issue: must take seconds, not minutes (timed in the
    # benchmarks, not here); no n_samples x n_samples matrix is formed.
    X = rng.normal(size=(10000, 500))
    Y = 0.5 * X[:, :500] @ rng.normal(size=(500, 500)) / 20 + rng.normal(
        size=(10000, 500)
    )
    cca = CCA().fit(X, Y)
    assert cca.solver_ == "gram"
    expected, _, _ = reference.cca(X, Y)
    assert_allclose(cca.canonical_correlations_, expected, atol=1e-9)


@pytest.mark.parametrize("solver", ["auto", "gram", "qr"])
def test_large_offsets_do_not_turn_rounding_noise_into_directions(rng, solver):
    # 3x - 1 is x up to rounding, but that rounding is 1e4 times larger than
    # eps relative to the spread of x once the offset of 100 is removed.
    x = 100.0 + 0.01 * rng.normal(size=(50, 1))
    X = np.c_[x, 3.0 * x - 1.0]
    Y = x + 0.01 * rng.normal(size=(50, 1))
    cca = CCA(solver=solver).fit(X, Y)
    assert cca.x_rank_ == 1
    assert_allclose(
        cca.canonical_correlations_,
        CCA(solver=solver).fit(x, Y).canonical_correlations_,
        atol=1e-8,
    )


def _textbook_regularized_cca(X, Y, reg, k):
    """Regularized CCA on the full neuron space, from explicit matrices.

    Σ_r = (1 - reg) Σ + reg (tr Σ / p) I is positive definite, so its
    inverse square root exists; the first k directions are returned with
    the actual correlations of their variates, in descending order.
    """
    Xc, Yc = X - X.mean(0), Y - Y.mean(0)

    def inv_sqrt(C):
        C = (1 - reg) * C + reg * np.trace(C) / len(C) * np.eye(len(C))
        w, V = np.linalg.eigh(C)
        return V @ np.diag(w**-0.5) @ V.T

    Kx, Ky = inv_sqrt(Xc.T @ Xc), inv_sqrt(Yc.T @ Yc)
    u, _, vt = np.linalg.svd(Kx @ Xc.T @ Yc @ Ky)
    U, V = Xc @ Kx @ u[:, :k], Yc @ Ky @ vt[:k].T
    r = np.array([np.corrcoef(U[:, i], V[:, i])[0, 1] for i in range(k)])
    return np.sort(r)[::-1]


@pytest.mark.parametrize("reg", [0.01, 0.3, 0.9])
def test_reg_matches_textbook_regularized_cca(rng, reg):
    X, Y = _two_views(rng, n=300, p=8, q=6)
    assert_allclose(
        CCA(reg=reg).fit(X, Y).canonical_correlations_,
        _textbook_regularized_cca(X, Y, reg, 6),
        atol=1e-9,
    )


@pytest.mark.parametrize("reg", [0.1, 0.5])
def test_reg_on_rank_deficient_views_ignores_their_null_space(rng, reg):
    # A direction with a null-space component only spends the constraint
    # budget, so the regularized optimum lies in the column space: there are
    # min(rank X, rank y) canonical pairs, none of them rounding noise.
    X, Y = _two_views(rng, n=300, p=4, q=5)
    X = np.c_[X, X[:, :2] @ [[1.0], [2.0]], X[:, 0]]  # 6 neurons, rank 4
    cca = CCA(reg=reg).fit(X, Y)
    assert (cca.x_rank_, cca.n_components_) == (4, 4)
    assert_allclose(
        cca.canonical_correlations_,
        _textbook_regularized_cca(X, Y, reg, 4),
        atol=1e-9,
    )
    # A layer against itself: the same direction on both sides, correlation 1.
    same = CCA(reg=reg).fit(X, X)
    assert same.n_components_ == 4
    assert_allclose(same.canonical_correlations_, 1.0, atol=1e-9)


def _dependent_views(rng, n=300):
    """X has 10 neurons of rank 6: four are exact combinations of two."""
    Z = rng.normal(size=(n, 6))
    X = np.c_[Z, Z[:, :2] @ rng.normal(size=(2, 4))]
    Y = Z[:, :3] @ rng.normal(size=(3, 5)) + 0.5 * rng.normal(size=(n, 5))
    return X, Y


@pytest.mark.parametrize("solver", ["auto", "qr", "gram"])
@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_dependencies_up_to_the_input_precision_are_dependencies(rng, solver, dtype):
    # Cast to float32 (or float16), the combinations hold only up to that
    # format's rounding. The rounding is not a direction: counting it as one
    # gave rank 10, weights of 1e7 and spurious correlations.
    X, Y = _dependent_views(rng)
    exact = CCA().fit(X, Y)
    low = CCA(solver=solver).fit(X.astype(dtype), Y.astype(dtype))
    assert low.x_rank_ == exact.x_rank_ == 6
    atol = 10 * np.finfo(dtype).eps ** 0.5
    assert_allclose(
        low.canonical_correlations_, exact.canonical_correlations_, atol=atol
    )
    assert np.abs(low.x_weights_).max() < 2 * np.abs(exact.x_weights_).max()


def test_a_saturated_neuron_does_not_blunt_the_others(rng):
    # A neuron with a huge offset has few significant digits of variation;
    # its noise is its own, and must not raise the rank tolerance of the
    # other neurons, one of which carries a small but real direction.
    n = 2000
    X = rng.normal(size=(n, 4))
    small = 1e-5 * rng.normal(size=n)
    X[:, 3] = X[:, 0] + small
    saturated = 1e6 + 1e-3 * rng.normal(size=n)
    Y = np.c_[small + 1e-7 * rng.normal(size=n), rng.normal(size=n)]
    cca = CCA().fit(np.c_[X, saturated], Y)
    assert cca.x_rank_ == 5
    assert cca.canonical_correlations_[0] > 0.99
    assert_allclose(
        cca.canonical_correlations_,
        reference.cca(np.c_[X, saturated], Y)[0],
        atol=1e-8,
    )
