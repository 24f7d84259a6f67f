"""similarity_matrix: every pair equals fitting that pair, at L decompositions."""

import numpy as np
import pytest
from sklearn.base import BaseEstimator, clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_svcca import (
    CCA,
    CKA,
    PWCCA,
    SVCCA,
    Procrustes,
    SimilarityMatrixResult,
    _linalg,
    similarity_matrix,
)
from sklearn_svcca.stats import summarize_correlations

N = 300


def _reference_cca(X, Y):
    """Canonical correlations from scratch: SVD bases of the centered views."""

    def basis(A):
        A = np.asarray(A, dtype=np.float64)
        A = A - A.mean(axis=0)
        A = A[:, A.std(axis=0) > 1e-12 * (1 + np.abs(A).max())]
        U, s, _ = np.linalg.svd(A, full_matrices=False)
        return U[:, s > s[0] * max(A.shape) * np.finfo(float).eps]

    return np.clip(np.linalg.svd(basis(X).T @ basis(Y), compute_uv=False), 0, 1)


def _layers(seed=0, *, rank_deficient=True):
    """Layers of different widths, with dead, constant and duplicated neurons."""
    rng = np.random.RandomState(seed)
    inputs = rng.normal(size=(N, 8))
    relu = np.maximum(inputs @ rng.normal(size=(8, 10)) - 0.5, 0.0)
    relu[:, :2] = 0.0  # dead units
    relu[:, 2] = 3.0  # a saturated one
    layers = {
        "inputs": inputs,
        "tanh": np.tanh(inputs @ rng.normal(size=(8, 12))),
        "relu": relu,
        "noise32": rng.normal(size=(N, 6)).astype(np.float32),
    }
    if rank_deficient:
        # Duplicated and dependent neurons: solver="auto" takes the QR route.
        base = inputs[:, :3]
        layers["dup"] = np.c_[base, base @ rng.normal(size=(3, 4))]
    return layers


def _pairwise_fits(estimator, layers_a, layers_b):
    return np.array(
        [[clone(estimator).fit(a, b).similarity_ for b in layers_b] for a in layers_a]
    )


ESTIMATORS = [
    CCA(),
    CCA(n_components=2),
    CCA(solver="qr"),
    CCA(solver="gram"),
    SVCCA(svd_dims=3),
    SVCCA(svd_dims=0.9),
    SVCCA(svd_dims=(3, 0.8)),
    SVCCA(svd_dims=0.95, solver="qr"),
    PWCCA(),
    PWCCA(weights_from="y"),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_equals_fitting_every_pair(estimator):
    layers = list(_layers().values())
    result = similarity_matrix(layers, estimator=estimator)
    expected = _pairwise_fits(estimator, layers, layers)
    np.testing.assert_allclose(result.similarities, expected, rtol=0, atol=1e-10)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    "estimator", [CCA(reg=0.1), SVCCA(svd_dims=4, reg=0.3), PWCCA(reg=0.05)], ids=repr
)
def test_equals_fitting_every_pair_with_shrinkage(estimator):
    # Full-rank layers: with reg > 0 the fitted correlations of directions in
    # a view's null space are rounding noise (in fit as much as here).
    layers = list(_layers(rank_deficient=False).values())
    result = similarity_matrix(layers, estimator=estimator)
    expected = _pairwise_fits(estimator, layers, layers)
    np.testing.assert_allclose(result.similarities, expected, rtol=0, atol=1e-10)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(
    "estimator", [CCA(), SVCCA(svd_dims=(2, 5)), PWCCA()], ids=repr
)
def test_two_lists_of_layers(estimator):
    layers_a = list(_layers(0).values())
    layers_b = [*list(_layers(1).values())[:3], layers_a[1]]
    result = similarity_matrix(layers_a, layers_b, estimator=estimator)
    assert result.similarities.shape == (5, 4)
    assert not result.symmetric
    np.testing.assert_allclose(
        result.similarities,
        _pairwise_fits(estimator, layers_a, layers_b),
        rtol=0,
        atol=1e-10,
    )


def test_against_an_independent_cca():
    layers = _layers()
    result = similarity_matrix(layers, estimator=CCA())
    names = list(layers)
    for i, a in enumerate(names):
        for j, b in enumerate(names):
            expected = _reference_cca(layers[a], layers[b]).mean()
            assert result.similarities[i, j] == pytest.approx(expected, abs=1e-8)


def test_symmetric_estimators_give_an_exactly_symmetric_matrix():
    result = similarity_matrix(_layers(), estimator=CCA())
    assert result.symmetric
    np.testing.assert_array_equal(result.similarities, result.similarities.T)
    # A layer is perfectly similar to itself.
    np.testing.assert_allclose(np.diag(result.similarities), 1.0, atol=1e-12)


def test_pwcca_is_not_symmetric_and_fills_both_orders():
    layers = _layers()
    result = similarity_matrix(layers, estimator=PWCCA())
    assert not result.symmetric
    # PWCCA weights by its first view, so (a, b) and (b, a) differ.
    assert np.abs(result.similarities - result.similarities.T).max() > 0.01
    names = list(layers)
    i, j = names.index("inputs"), names.index("relu")
    assert result.similarities[i, j] == pytest.approx(
        PWCCA().fit(layers["inputs"], layers["relu"]).similarity_, abs=1e-12
    )
    assert result.similarities[j, i] == pytest.approx(
        PWCCA().fit(layers["relu"], layers["inputs"]).similarity_, abs=1e-12
    )


def test_each_layer_is_decomposed_once(monkeypatch):
    """L decompositions and L(L+1)/2 cross-products, not L² fits."""
    calls = {"view_moments": 0, "gram_basis": 0, "cross_products": 0, "fit": 0}

    def counting(name, func):
        def wrapper(*args, **kwargs):
            calls[name] += 1
            return func(*args, **kwargs)

        return wrapper

    for name in ("view_moments", "gram_basis", "cross_products", "compute_moments"):
        monkeypatch.setattr(
            _linalg,
            name,
            counting(name if name in calls else "fit", getattr(_linalg, name)),
        )
    layers = _layers(rank_deficient=False)
    n_layers = len(layers)
    for estimator in (CCA(), SVCCA(svd_dims=(3, 0.8)), PWCCA()):
        calls.update(dict.fromkeys(calls, 0))
        similarity_matrix(layers, estimator=estimator)
        assert calls == {
            "view_moments": n_layers,
            "gram_basis": n_layers,
            "cross_products": n_layers * (n_layers + 1) // 2,
            "fit": 0,
        }, estimator
        # Held out: the same, once per training fold.
        calls.update(dict.fromkeys(calls, 0))
        similarity_matrix(layers, estimator=estimator, cv=3)
        assert calls == {
            "view_moments": 3 * n_layers,
            "gram_basis": 3 * n_layers,
            "cross_products": 3 * n_layers * (n_layers + 1) // 2,
            "fit": 0,
        }, estimator


def test_qr_route_decomposes_each_layer_once(monkeypatch):
    calls = []
    original = _linalg.qr_basis

    def counting(X, *args, **kwargs):
        calls.append(X.shape)
        return original(X, *args, **kwargs)

    monkeypatch.setattr(_linalg, "qr_basis", counting)
    layers = _layers()
    similarity_matrix(layers, estimator=CCA(solver="qr"))
    assert len(calls) == len(layers)


def test_labels_from_dict_and_list():
    layers = _layers()
    result = similarity_matrix(layers, estimator=CCA())
    assert isinstance(result, SimilarityMatrixResult)
    assert result.labels_a == result.labels_b == list(layers)
    result = similarity_matrix(list(layers.values())[:2], estimator=CCA())
    assert result.labels_a == ["0", "1"]
    assert repr(result.estimator) == "CCA()"


def test_default_estimator_is_svcca():
    layers = list(_layers().values())[:3]
    result = similarity_matrix(layers)
    assert isinstance(result.estimator, SVCCA)
    np.testing.assert_allclose(
        result.similarities, _pairwise_fits(SVCCA(), layers, layers), atol=1e-10
    )


def test_scoring_callable():
    layers = list(_layers(rank_deficient=False).values())

    def top2(est, X, y):
        return summarize_correlations(est, top_k=2).top_k_mean

    result = similarity_matrix(layers, estimator=PWCCA(), scoring=top2)
    expected = [
        [np.mean(PWCCA().fit(a, b).canonical_correlations_[:2]) for b in layers]
        for a in layers
    ]
    np.testing.assert_allclose(result.similarities, expected, atol=1e-10)


_FITS = []


class _MeanAbsCorrelation(BaseEstimator):
    """A third-party similarity: mean |correlation| over all neuron pairs."""

    def fit(self, X, y):
        _FITS.append(1)
        p = X.shape[1]
        with np.errstate(invalid="ignore"):  # constant neurons count as 0
            c = np.corrcoef(np.asarray(X).T, np.asarray(y).T)[:p, p:]
        self.similarity_ = float(np.abs(np.nan_to_num(c)).mean())
        return self


def test_fallback_for_other_estimators():
    layers = list(_layers(rank_deficient=False).values())
    n_layers = len(layers)
    _FITS.clear()
    result = similarity_matrix(layers, estimator=_MeanAbsCorrelation())
    # Unknown symmetry: every ordered pair is fitted.
    assert len(_FITS) == n_layers**2
    assert not result.symmetric
    np.testing.assert_allclose(
        result.similarities, _pairwise_fits(_MeanAbsCorrelation(), layers, layers)
    )
    _FITS.clear()
    mirrored = similarity_matrix(
        layers, estimator=_MeanAbsCorrelation(), symmetric=True
    )
    assert len(_FITS) == n_layers * (n_layers + 1) // 2
    assert mirrored.symmetric
    np.testing.assert_allclose(mirrored.similarities, result.similarities, atol=1e-12)


def test_fallback_uses_score_without_similarity_attribute():
    # A pipeline has no similarity_; its in-sample score is CCA's, which is
    # invariant to the scaler.
    layers = list(_layers(rank_deficient=False).values())
    result = similarity_matrix(
        layers, estimator=make_pipeline(StandardScaler(), CCA()), symmetric=True
    )
    expected = similarity_matrix(layers, estimator=CCA())
    np.testing.assert_allclose(result.similarities, expected.similarities, atol=1e-10)


@pytest.mark.parametrize("estimator", [CCA(), PWCCA(), _MeanAbsCorrelation()], ids=repr)
def test_n_jobs_does_not_change_the_result(estimator):
    layers = _layers(rank_deficient=False)
    one = similarity_matrix(layers, estimator=estimator, n_jobs=1)
    two = similarity_matrix(layers, estimator=estimator, n_jobs=2)
    np.testing.assert_array_equal(one.similarities, two.similarities)


def test_inputs_are_not_modified():
    layers = _layers()
    copies = {k: v.copy() for k, v in layers.items()}
    similarity_matrix(layers, estimator=CCA(solver="qr"))
    similarity_matrix(layers, estimator=SVCCA())
    for key, value in layers.items():
        np.testing.assert_array_equal(value, copies[key])
        assert value.dtype == copies[key].dtype


def test_real_activations(digits_activations):
    """ReLU layers of two MLPs trained on digits (dead units included)."""
    (h1_a, h1_b), (h2_a, h2_b) = digits_activations["h1"], digits_activations["h2"]
    layers = {"a1": h1_a, "a2": h2_a, "b1": h1_b, "b2": h2_b}
    for estimator in (CCA(), SVCCA(svd_dims=0.99), PWCCA()):
        result = similarity_matrix(layers, estimator=estimator)
        expected = _pairwise_fits(estimator, layers.values(), layers.values())
        np.testing.assert_allclose(result.similarities, expected, rtol=0, atol=1e-9)
    # Corresponding layers of the two networks are more alike than others.
    result = similarity_matrix(layers, estimator=SVCCA(svd_dims=10))
    s = dict(zip(layers, result.similarities, strict=True))
    assert s["a1"][2] > s["a1"][3]
    assert s["a2"][3] > s["a2"][2]


def test_progress_line(capsys):
    layers = list(_layers().values())[:3]
    similarity_matrix(layers, estimator=CCA(), progress=True)
    err = capsys.readouterr().err
    assert "similarity: 6/6 (100%" in err
    # Off by default when stderr is not a terminal (as under pytest).
    similarity_matrix(layers, estimator=CCA())
    assert capsys.readouterr().err == ""


def test_bad_input():
    layers = _layers()
    with pytest.raises(TypeError, match="layers_a must be a list or dict"):
        similarity_matrix(layers["inputs"])
    with pytest.raises(ValueError, match="layers_b is empty"):
        similarity_matrix(layers, [])
    short = {"inputs": layers["inputs"], "short": layers["tanh"][:-1]}
    with pytest.raises(ValueError, match=r"layers_a\['short'\] has 299 samples"):
        similarity_matrix(short)
    with pytest.raises(ValueError, match=r"layers_b\['0'\] has 299 samples"):
        similarity_matrix(layers, [layers["tanh"][:-1]])
    nan = layers["tanh"].copy()
    nan[3, 4] = np.nan
    with pytest.raises(ValueError, match=r"layers_a\['bad'\] contains NaN"):
        similarity_matrix({"ok": layers["inputs"], "bad": nan}, estimator=CCA())
    with pytest.raises(ValueError, match="Expected 2D array"):
        similarity_matrix([layers["inputs"], layers["inputs"][:, 0]], estimator=CCA())
    with pytest.raises(ValueError, match="symmetric must be 'auto', True or False"):
        similarity_matrix(layers, symmetric="yes")
    with pytest.raises(ValueError, match="PWCCA weights by its first view"):
        similarity_matrix(layers, estimator=PWCCA(), symmetric=True)
    with pytest.raises(ValueError, match="SVCCA with different svd_dims"):
        similarity_matrix(layers, estimator=SVCCA(svd_dims=(2, 3)), symmetric=True)
    with pytest.raises(TypeError, match="estimator must have a fit"):
        similarity_matrix(layers, estimator="CCA")
    with pytest.raises(ValueError, match="'reg' parameter of CCA must be"):
        similarity_matrix(layers, estimator=CCA(reg=2.0))
    with pytest.raises(TypeError, match="scoring must be None"):
        similarity_matrix(layers, scoring="similarity_")
    with pytest.raises(TypeError, match="progress must be True, False or None"):
        similarity_matrix(layers, progress="yes")
    dead = {"ok": layers["inputs"], "dead": np.zeros((N, 3))}
    with pytest.raises(ValueError, match=r"layers_a\['dead'\] is constant"):
        similarity_matrix(dead, estimator=CCA())
    # Errors from a pair name the layers.
    with pytest.raises(
        ValueError,
        match=r"failed on X=layers_a\['noise32'\], y=layers_b\['0'\]: n_components=7",
    ):
        similarity_matrix(layers, [layers["tanh"]], estimator=CCA(n_components=7))
    with pytest.raises(ValueError, match=r"failed on X=layers_a\['0'\], y=layers_a"):
        similarity_matrix(
            [np.zeros((N, 2)), layers["inputs"]],
            estimator=make_pipeline(StandardScaler(), CCA()),
        )


def _cross_val_matrix(estimator, layers_a, layers_b, cv, scoring=None):
    from sklearn.model_selection import cross_val_score

    return np.array(
        [
            [
                cross_val_score(clone(estimator), a, b, cv=cv, scoring=scoring).mean()
                for b in layers_b
            ]
            for a in layers_a
        ]
    )


@pytest.mark.parametrize(
    "estimator",
    [
        CCA(),
        SVCCA(svd_dims=3),
        SVCCA(svd_dims=(2, 4)),
        PWCCA(),
        CCA(solver="qr"),
        CKA(),
        Procrustes(alpha=0.5),
    ],
    ids=repr,
)
def test_cv_equals_a_loop_over_cross_val_score(estimator):
    import warnings

    from sklearn.model_selection import KFold

    layers = _layers(1, rank_deficient=False)
    cv = KFold(4, shuffle=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _cross_val_matrix(estimator, layers.values(), layers.values(), cv)
        result = similarity_matrix(layers, estimator=estimator, cv=cv)
    np.testing.assert_allclose(result.similarities, expected, atol=1e-10)
    assert result.fold_similarities.shape == (4, len(layers), len(layers))
    np.testing.assert_allclose(result.fold_similarities.mean(axis=0), expected)


def test_cv_with_two_networks_scoring_and_a_generic_estimator():
    import warnings

    from sklearn_svcca.metrics import svd_dims_scorer

    a = _layers(2, rank_deficient=False)
    b = _layers(3, rank_deficient=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for estimator, scoring in (
            (SVCCA(svd_dims=2), svd_dims_scorer),
            (make_pipeline(StandardScaler(), CCA()), None),
        ):
            expected = _cross_val_matrix(estimator, a.values(), b.values(), 3, scoring)
            result = similarity_matrix(
                a, b, estimator=estimator, scoring=scoring, cv=3, n_jobs=2
            )
            np.testing.assert_allclose(result.similarities, expected, atol=1e-10)
    assert similarity_matrix(a, estimator=CCA()).fold_similarities is None
    assert "fold_similarities=<array of shape (3, 4, 4)>" in repr(result)
    assert "fold_similarities" not in repr(similarity_matrix(a, estimator=CCA()))


def test_cv_held_out_similarity_of_unrelated_layers_is_near_zero():
    # In sample, chance correlations make unrelated layers look similar.
    rng = np.random.RandomState(0)
    layers = [rng.normal(size=(2000, 30)) for _ in range(3)]
    in_sample = similarity_matrix(layers, estimator=CCA()).similarities
    held_out = similarity_matrix(layers, estimator=CCA(), cv=5).similarities
    off = ~np.eye(3, dtype=bool)
    assert np.all(in_sample[off] > 0.05)
    assert np.all(np.abs(held_out[off]) < 0.02)
    np.testing.assert_allclose(np.diag(held_out), 1.0)


def test_cv_bad_input():
    layers = _layers(4, rank_deficient=False)
    with pytest.raises(ValueError, match="n_splits"):
        similarity_matrix(layers, cv=1)
    with pytest.raises(ValueError, match="Cannot have number of splits"):
        similarity_matrix(layers, cv=N + 1)


def test_cv_warns_once_per_kind_over_pairs_and_folds():
    import warnings

    from sklearn_svcca.exceptions import SampleSizeWarning

    rng = np.random.RandomState(5)
    # 60 samples, 40 training ones per fold, for layers of 12 neurons: every
    # fit warns that in-sample correlations are biased.
    layers = [rng.normal(size=(60, 12)) for _ in range(3)]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        similarity_matrix(layers, estimator=CCA(), cv=3)
    sample_size = [w for w in caught if issubclass(w.category, SampleSizeWarning)]
    assert len(sample_size) == 1
    message = str(sample_size[0].message)
    assert "of 18 pairs of layers (X, y) warned" in message
    assert "on training fold 3" in message
