"""CKA and Procrustes everywhere the other measures go.

similarity_matrix (per-layer statistics computed once), the baselines, the
Displays and the command line give the numbers of a plain ``fit``.
"""

import json

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, KFold, cross_val_score

from sklearn_svcca import CKA, Procrustes, similarity_matrix
from sklearn_svcca._views import SharedView, fit_pair, supports_shared_views
from sklearn_svcca.stats import similarity_baseline

ESTIMATORS = [
    CKA(),
    CKA(debiased=True),
    CKA(kernel="rbf"),
    Procrustes(),
    Procrustes(alpha=0.0),
    Procrustes(alpha=0.5),
]


def _layers(seed=0, n=200):
    rng = np.random.RandomState(seed)
    x = rng.normal(size=(n, 6))
    h1 = np.maximum(x @ rng.normal(size=(6, 10)) + 3.0, 0)
    h2 = np.tanh(h1 @ rng.normal(size=(10, 5)))
    return {"x": x, "h1": h1, "h2": h2, "noise": rng.normal(size=(n, 4))}


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_similarity_matrix_equals_pairwise_fits(estimator):
    layers = _layers()
    result = similarity_matrix(layers, estimator=estimator)
    names = list(layers)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            expected = clone(estimator).fit(layers[a], layers[b]).similarity_
            assert abs(result.similarities[i, j] - expected) < 1e-10


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_fit_from_shared_views_equals_fit(estimator):
    layers = _layers(1)
    X, Y = layers["h1"], layers["h2"]
    fitted = fit_pair(estimator, SharedView(X), SharedView(Y))
    assert abs(fitted.similarity_ - clone(estimator).fit(X, Y).similarity_) < 1e-10


def test_shared_views_are_used_for_cka_and_procrustes(monkeypatch):
    for est in ESTIMATORS:
        assert supports_shared_views(est)
    # Each layer's RBF kernel is computed once, however many pairs it is in.
    import sklearn_svcca._kernels as kernels

    calls = []
    original = kernels.rbf_gram
    monkeypatch.setattr(
        kernels, "rbf_gram", lambda X, bw: calls.append(X.shape) or original(X, bw)
    )
    similarity_matrix(_layers(), estimator=CKA(kernel="rbf"))
    assert len(calls) == len(_layers())


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
@pytest.mark.parametrize("null", ["permutation", "gaussian"])
def test_baselines_separate_related_from_unrelated_views(estimator, null):
    layers = _layers(2)
    related = similarity_baseline(
        estimator, layers["x"], layers["h1"], n_resamples=30, null=null, random_state=0
    )
    assert related.pvalue == pytest.approx(1 / 31)
    assert related.observed > related.null_mean + 3 * related.null_std
    unrelated = similarity_baseline(
        estimator,
        layers["x"],
        layers["noise"],
        n_resamples=30,
        null=null,
        random_state=0,
    )
    assert unrelated.pvalue > 0.05
    assert related.observed_correlations is None


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_permutation_baseline_equals_refits(estimator):
    layers = _layers(3, n=120)
    X, Y = layers["h1"], layers["h2"]
    result = similarity_baseline(estimator, X, Y, n_resamples=5, random_state=0)
    seeds = np.random.RandomState(0).randint(np.iinfo(np.int32).max, size=5)
    for value, seed in zip(result.null_distribution, seeds, strict=True):
        perm = np.random.RandomState(seed).permutation(len(Y))
        expected = clone(estimator).fit(X, Y[perm]).similarity_
        assert abs(value - expected) < 1e-10


def test_cross_validation_and_grid_search():
    layers = _layers(4)
    X, Y = layers["x"], layers["h1"]
    folds = KFold(4, shuffle=True, random_state=0)
    for est in ESTIMATORS:
        scores = cross_val_score(est, X, Y, cv=folds)
        assert np.all(np.isfinite(scores))
    # Sign convention: GridSearchCV picks the alpha with the best held-out
    # similarity, the highest score.
    grid = GridSearchCV(Procrustes(), {"alpha": [0.0, 0.5, 1.0]}, cv=folds).fit(X, Y)
    means = grid.cv_results_["mean_test_score"]
    assert grid.best_params_["alpha"] == [0.0, 0.5, 1.0][int(np.argmax(means))]


def test_similarity_matrix_display():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_svcca import SimilarityMatrixDisplay

    layers = _layers(5)
    display = SimilarityMatrixDisplay.from_layers(layers, estimator=CKA())
    expected = similarity_matrix(layers, estimator=CKA()).similarities
    np.testing.assert_array_equal(display.similarities, expected)


def test_canonical_correlation_display_says_cka_has_none():
    pytest.importorskip("matplotlib")
    from sklearn_svcca import CanonicalCorrelationDisplay

    layers = _layers(5)
    with pytest.raises(TypeError, match="CKA has no canonical correlations"):
        CanonicalCorrelationDisplay.from_estimator(CKA().fit(layers["x"], layers["h1"]))


def test_canonical_variates_display_takes_procrustes_not_cka():
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from sklearn_svcca import CanonicalVariatesDisplay

    layers = _layers(5)
    X, Y = layers["x"], layers["h1"]
    labels = np.repeat(np.arange(4), len(X) // 4)
    display = CanonicalVariatesDisplay.from_estimator(
        Procrustes().fit(X, Y), X, Y, labels=labels
    )
    assert display is not None
    with pytest.raises(TypeError, match="CKA learns no map"):
        CanonicalVariatesDisplay.from_estimator(CKA().fit(X, Y), X, Y, labels=labels)


@pytest.mark.parametrize(
    "method, estimator",
    [
        ("cka", CKA()),
        ("cka-debiased", CKA(debiased=True)),
        ("procrustes", Procrustes()),
    ],
)
def test_cli_compare(method, estimator, tmp_path, capsys):
    from sklearn_svcca._cli import main

    layers = _layers(6)
    np.save(tmp_path / "a.npy", layers["x"])
    np.save(tmp_path / "b.npy", layers["h1"])
    args = ["compare", str(tmp_path / "a.npy"), str(tmp_path / "b.npy")]
    assert main([*args, "--method", method, "--json", "--cv", "3"]) == 0
    result = json.loads(capsys.readouterr().out)
    fitted = clone(estimator).fit(layers["x"], layers["h1"])
    assert result["similarity"] == pytest.approx(fitted.similarity_, abs=1e-12)
    assert result["canonical_correlations"] is None
    assert len(result["held_out"]["scores"]) == 3
    if method == "procrustes":
        assert result["angular_distance"] == pytest.approx(fitted.angular_distance_)
    assert main([*args, "--method", method]) == 0
    text = capsys.readouterr().out
    assert f"{fitted.similarity_:.4f}" in text
    assert "canonical correlations" not in text


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_moments_protocol_streams_and_pickles(estimator):
    """The protocol a streaming driver (Dask, a torch hook) uses.

    ``_moment_functions()`` gives picklable ``(batch, merge)``; merged batch
    summaries handed to ``_fit_moments`` give the fit of all the data.
    """
    import pickle

    layers = _layers(7)
    X, Y = layers["x"], layers["h1"]
    batch, merge = pickle.loads(pickle.dumps(estimator._moment_functions()))
    summary = merge(
        merge(batch(X[:50], Y[:50]), batch(X[50:120], Y[50:120])),
        batch(X[120:], Y[120:]),
    )
    fitted = clone(estimator)
    fitted._fit_moments(summary, None, None, warn=False)
    assert abs(fitted.similarity_ - clone(estimator).fit(X, Y).similarity_) < 1e-10
