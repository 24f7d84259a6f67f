"""Procrustes: netrep's alpha path, its endpoints, the metric's theorems."""

import itertools
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from test_invariances import _invertible, _orthogonal, two_views

from sklearn_svcca import CCA, Procrustes, angular_distance
from sklearn_svcca.exceptions import SampleSizeWarning

import reference

ALPHAS = [0.0, 0.3, 0.9, 1.0]
settings_ = settings(max_examples=30, deadline=None)


def _random(seed, n=300, p=7, q=11):
    rng = np.random.RandomState(seed)
    z = rng.normal(size=(n, 3))
    X = z @ rng.normal(size=(3, p)) + 0.5 * rng.normal(size=(n, p))
    Y = np.tanh(z @ rng.normal(size=(3, q))) + 0.5 * rng.normal(size=(n, q))
    return X + 5.0, Y


def _rank_deficient(seed):
    X, Y = _random(seed)
    X = np.c_[X, np.zeros(len(X)), X[:, :2], X[:, 0] - 2 * X[:, 1]]
    Y = np.c_[np.maximum(Y, 0), np.full(len(Y), 3.0), Y[:, :1]]
    return X, Y


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("data", ["random", "rank_deficient", "wider_x"])
def test_matches_netreps_alpha_path(alpha, data):
    if data == "wider_x":
        X, Y = _random(1, p=12, q=4)
    else:
        X, Y = (_random if data == "random" else _rank_deficient)(0)
    est = Procrustes(alpha=alpha).fit(X, Y)
    expected = reference.procrustes_cos(X, Y, alpha)
    assert abs(est.similarity_ - expected) < 1e-10
    assert abs(est.angular_distance_ - np.arccos(expected)) < 1e-7


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_matches_on_tutorial_activations(alpha, tutorial_activations):
    X = tutorial_activations["svhn_model0_fc"]
    Y = tutorial_activations["svhn_model1_fc"]
    expected = reference.procrustes_cos(X, Y, alpha)
    assert abs(Procrustes(alpha=alpha).fit(X, Y).similarity_ - expected) < 1e-10


@pytest.mark.parametrize("alpha", [0.0, 1.0])
def test_matches_on_digits_activations(alpha, digits_activations):
    X, Y = digits_activations["h1"]
    expected = reference.procrustes_cos(X, Y, alpha)
    assert abs(Procrustes(alpha=alpha).fit(X, Y).similarity_ - expected) < 1e-10


def test_alpha_one_is_the_nuclear_norm_formula():
    X, Y = _random(2)
    Xc, Yc = X - X.mean(axis=0), Y - Y.mean(axis=0)
    nuclear = np.linalg.svd(Xc.T @ Yc, compute_uv=False).sum()
    expected = nuclear / (np.linalg.norm(Xc) * np.linalg.norm(Yc))
    assert abs(Procrustes(alpha=1.0).fit(X, Y).similarity_ - expected) < 1e-12


@settings_
@given(views=two_views())
def test_alpha_zero_is_the_angle_of_cca(views):
    # Full-rank views of equal width: cos θ is the mean canonical correlation.
    X, _, rng = views
    Y = np.tanh(X @ rng.normal(size=(X.shape[1], X.shape[1]))) + rng.normal(
        size=X.shape
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SampleSizeWarning)  # small examples
        rho = CCA().fit(X, Y).canonical_correlations_
    assert len(rho) == X.shape[1]
    est = Procrustes(alpha=0.0).fit(X, Y)
    assert abs(est.angular_distance_ - np.arccos(np.mean(rho))) < 1e-6
    assert abs(est.similarity_ - np.mean(rho)) < 1e-10


@pytest.mark.parametrize("alpha", [0.0, 0.4, 1.0])
def test_transform_gives_netreps_aligned_views(alpha):
    X, Y = _random(3, p=5, q=8)
    est = Procrustes(alpha=alpha).fit(X, Y)
    Xt, Yt = est.transform(X, Y)
    Xr, Yr = reference.procrustes_aligned(X, Y, alpha)
    # The aligned views are unique up to a common rotation of the aligned
    # space (and the singular-vector signs): compare what is invariant.
    assert_allclose(Xt @ Xt.T, Xr @ Xr.T, atol=1e-9 * np.abs(Xr @ Xr.T).max())
    assert_allclose(Yt @ Yt.T, Yr @ Yr.T, atol=1e-9 * np.abs(Yr @ Yr.T).max())
    assert_allclose(np.vdot(Xt, Yt), np.vdot(Xr, Yr), rtol=1e-10)
    assert Xt.shape == (len(X), 8)
    assert est.score(X, Y) == pytest.approx(est.similarity_, abs=1e-12)


def test_held_out_score_uses_the_learned_alignment():
    X, Y = _random(4, n=600)
    est = Procrustes(alpha=0.5).fit(X[:300], Y[:300])
    Xt, Yt = est.transform(X[300:], Y[300:])
    expected = np.vdot(Xt, Yt) / (np.linalg.norm(Xt) * np.linalg.norm(Yt))
    assert est.score(X[300:], Y[300:]) == pytest.approx(expected, abs=1e-12)
    # Unrelated held-out data score near 0 under the learned alignment.
    rng = np.random.RandomState(0)
    noise = est.score(rng.normal(size=(300, 7)), rng.normal(size=(300, 11)))
    assert abs(noise) < 0.2


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), cuts=st.lists(st.integers(1, 299), max_size=5))
def test_partial_fit_equals_fit(alpha, seed, cuts):
    X, Y = _random(seed % 1000)
    bounds = [0, *sorted(set(cuts)), len(X)]
    est = Procrustes(alpha=alpha)
    for a, b in itertools.pairwise(bounds):
        if b > a:
            est.partial_fit(X[a:b], Y[a:b])
    ref = Procrustes(alpha=alpha).fit(X, Y)
    assert abs(est.similarity_ - ref.similarity_) < 1e-10


# ---------------------------------------------------------------- theorems


@pytest.mark.parametrize("alpha", [0.0, 1.0])
@settings_
@given(views=two_views(), scale=st.floats(1e-2, 1e2))
def test_invariant_to_orthogonal_maps_translation_and_scaling(alpha, views, scale):
    X, Y, rng = views
    before = Procrustes(alpha=alpha).fit(X, Y).angular_distance_
    X2 = scale * X @ _orthogonal(rng, X.shape[1]) + rng.normal(size=X.shape[1])
    after = Procrustes(alpha=alpha).fit(X2, Y).angular_distance_
    assert abs(np.cos(after) - np.cos(before)) < 1e-8


@settings_
@given(views=two_views(), log_cond=st.sampled_from([1, 2]))
def test_alpha_zero_is_invariant_to_invertible_maps(views, log_cond):
    X, Y, rng = views
    before = Procrustes(alpha=0.0).fit(X, Y).similarity_
    after = Procrustes(alpha=0.0).fit(X @ _invertible(rng, X.shape[1], log_cond), Y)
    assert abs(after.similarity_ - before) < 1e-7


def test_alpha_one_is_not_invariant_to_invertible_maps():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(500, 3))
    A = np.diag([30.0, 1.0, 1.0])
    assert angular_distance(X, X @ A) > 0.3
    assert angular_distance(X, X @ A, alpha=0.0) < 1e-6


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
@settings_
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(10, 60))
def test_angular_distance_satisfies_the_triangle_inequality(alpha, seed, n):
    rng = np.random.RandomState(seed)
    p = rng.randint(1, 6)
    A, B, C = (
        rng.normal(size=(n, p)) @ rng.normal(size=(p, p))
        + 0.3 * rng.normal(size=(n, p))
        for _ in range(3)
    )
    B = A + rng.uniform(0, 2) * B  # related triples, not only orthogonal ones
    ab, bc, ac = (angular_distance(u, v, alpha) for u, v in ((A, B), (B, C), (A, C)))
    assert ac <= ab + bc + 1e-9
    assert abs(angular_distance(B, A, alpha) - ab) < 1e-9


def test_distance_to_a_rotated_copy_is_zero():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 4))
    assert angular_distance(X, X @ _orthogonal(rng, 4)) < 1e-7


# ------------------------------------------------------------------ errors


def test_bad_alpha_names_the_parameter():
    X, Y = _random(0)
    with pytest.raises(ValueError, match="'alpha' parameter"):
        Procrustes(alpha=1.5).fit(X, Y)
    with pytest.raises(ValueError, match="'alpha' parameter"):
        angular_distance(X, Y, alpha=-0.1)


def test_constant_view_is_a_clear_error():
    X, Y = _random(0)
    with pytest.raises(ValueError, match="X is constant"):
        Procrustes().fit(np.ones_like(X), Y)


# -------------------------------------------------------------------- Dask
# (Array API: tests/test_array_api.py.)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
def test_dask_fit_transform_score_equal_numpy(alpha):
    da = pytest.importorskip("dask.array")
    X, Y = _random(6)
    Xd, Yd = da.from_array(X, chunks=(41, -1)), da.from_array(Y, chunks=(41, -1))
    ref = Procrustes(alpha=alpha).fit(X, Y)
    est = Procrustes(alpha=alpha).fit(Xd, Yd)
    assert abs(est.similarity_ - ref.similarity_) < 1e-10
    assert abs(est.score(Xd, Yd) - ref.similarity_) < 1e-10
    Xt, _ = est.transform(Xd, Yd)
    assert_allclose(Xt.compute(), ref.transform(X), atol=1e-8)


# --------------------------------------------------------- sign convention


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0])
@pytest.mark.parametrize("p, q", [(3, 2), (2, 3), (12, 4), (4, 12)])
@pytest.mark.parametrize("seed", range(4))
def test_every_aligned_direction_follows_scikit_learns_sign_convention(
    alpha, p, q, seed
):
    # svd_flip's convention, the estimators': each paired column of
    # x_weights_ has its entry of largest magnitude positive (y's partner
    # follows), and so has each unpaired column of the wider view. The
    # unpaired columns were once left with whatever signs the SVD gave them
    # (svd_flip applied twice to the same memory).
    X, Y = _random(seed, p=p, q=q)
    est = Procrustes(alpha=alpha).fit(X, Y)
    k = min(p, q)
    unpaired = est.x_weights_[:, k:p] if p > q else est.y_weights_[:, k:q]
    for W in (est.x_weights_[:, :k], unpaired):
        largest = W[np.argmax(np.abs(W), axis=0), np.arange(W.shape[1])]
        assert np.all(largest > 0), largest
    # The paired columns keep their correlation: flipping one side alone
    # would turn a positive diagonal of Xtᵀ Yt negative.
    Xt, Yt = est.transform(X, Y)
    Xc, Yc = Xt - Xt.mean(axis=0), Yt - Yt.mean(axis=0)
    assert np.all(np.einsum("ij,ij->j", Xc[:, :k], Yc[:, :k]) > 0)
