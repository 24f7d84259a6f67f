"""The estimators as scikit-learn users use them."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.linear_model import Ridge
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_svcca import CCA, PWCCA, SVCCA


def _planted(rng, n=3000, latent=5, p=40, q=50, noise=0.7):
    """Two networks sharing a latent code of dimension ``latent``."""
    z = rng.normal(size=(n, latent))
    X = z @ rng.normal(size=(latent, p)) + noise * rng.normal(size=(n, p))
    Y = z @ rng.normal(size=(latent, q)) + noise * rng.normal(size=(n, q))
    return X, Y


def test_grid_search_over_svd_dims_recovers_the_planted_dimension(rng):
    # Fewer directions than the latent code: the two networks' top
    # subspaces differ. More: noise directions with held-out correlation ~0.
    X, Y = _planted(rng)
    search = GridSearchCV(
        SVCCA(),
        {"svd_dims": [1, 2, 3, 4, 5, 6, 8, 10, 20, 50, 0.99]},
        cv=KFold(5, shuffle=True, random_state=0),
    ).fit(X, Y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_params_ == {"svd_dims": 5}
    assert search.best_score_ > 0.95
    assert search.best_estimator_.x_svd_dims_ == 5


def test_grid_search_over_reg(rng):
    # Few samples per neuron: in-sample CCA overfits, shrinkage generalises.
    X, Y = _planted(rng, n=300, p=60, q=60, latent=3, noise=3.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        search = GridSearchCV(
            CCA(n_components=3), {"reg": [0.0, 0.1, 0.5, 0.9]}, cv=3
        ).fit(X, Y)
    scores = search.cv_results_["mean_test_score"]
    assert search.best_params_["reg"] > 0
    assert scores.max() > scores[0] + 0.1


def test_cross_val_score_is_near_zero_for_independent_views(rng):
    X, Y = rng.normal(size=(2000, 50)), rng.normal(size=(2000, 40))
    for est in (CCA(), SVCCA(svd_dims=20), PWCCA()):
        scores = cross_val_score(est, X, Y, cv=5)
        assert scores.shape == (5,)
        assert abs(scores.mean()) < 0.02
        # In sample, chance correlations inflate it (0.08 to 0.2 here).
        assert est.fit(X, Y).similarity_ > 0.05


def test_cross_val_score_is_high_for_related_views(rng):
    X, Y = _planted(rng)
    scores = cross_val_score(SVCCA(svd_dims=5), X, Y, cv=5)
    assert np.all(scores > 0.95)


def test_pipeline_with_a_scaler(rng):
    X, Y = _planted(rng, n=500)
    pipe = make_pipeline(StandardScaler(), CCA(n_components=10)).fit(X, Y)
    Xt = pipe.transform(X)
    assert Xt.shape == (500, 10)
    # CCA is invariant to per-neuron scaling, so the scaler changes nothing.
    assert_allclose(
        pipe[-1].canonical_correlations_,
        CCA(n_components=10).fit(X, Y).canonical_correlations_,
        atol=1e-10,
    )
    assert pipe.score(X, Y) == pytest.approx(pipe[-1].similarity_, abs=1e-10)
    assert pipe.get_feature_names_out().tolist() == [f"cca{i}" for i in range(10)]


def test_as_an_intermediate_pipeline_step(rng):
    # fit_transform(X, y) returns X's variates alone, so CCA can feed a
    # regressor (supervised dimension reduction, like PLS).
    X, Y = _planted(rng, n=500, q=2)
    pipe = make_pipeline(SVCCA(svd_dims=(5, 1.0)), Ridge()).fit(X, Y)
    assert pipe.predict(X).shape == (500, 2)
    assert pipe.score(X, Y) > 0.5


@pytest.mark.parametrize("est", [CCA(), SVCCA(svd_dims=(4, 0.9)), PWCCA(reg=0.1)])
def test_clone_and_pickle_round_trips(rng, est):
    X, Y = _planted(rng, n=400, p=10, q=12)
    cloned = clone(est)
    assert cloned.get_params() == est.get_params()
    fitted = cloned.fit(X, Y)
    restored = pickle.loads(pickle.dumps(fitted))
    for name in ("canonical_correlations_", "x_weights_", "y_weights_"):
        assert_allclose(getattr(restored, name), getattr(fitted, name), rtol=0)
    assert restored.score(X, Y) == fitted.score(X, Y)
    # A clone of a fitted estimator is unfitted.
    assert not hasattr(clone(fitted), "canonical_correlations_")


def test_set_output_pandas_wraps_both_views(rng):
    pd = pytest.importorskip("pandas")
    X, Y = _planted(rng, n=200, p=6, q=5)
    Xdf = pd.DataFrame(X, columns=[f"a{i}" for i in range(6)], index=range(5, 205))
    cca = CCA(n_components=3).set_output(transform="pandas").fit(Xdf, Y)
    assert cca.feature_names_in_.tolist() == list(Xdf.columns)
    Xt, Yt = cca.transform(Xdf, Y)
    assert isinstance(Xt, pd.DataFrame) and isinstance(Yt, pd.DataFrame)
    assert Xt.columns.tolist() == Yt.columns.tolist() == ["cca0", "cca1", "cca2"]
    assert Xt.index.tolist() == list(range(5, 205))
    assert isinstance(cca.fit_transform(Xdf, Y), pd.DataFrame)
    assert_allclose(Xt.to_numpy(), CCA(n_components=3).fit(X, Y).transform(X))
