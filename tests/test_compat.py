"""The original SVCCA code's functions (``sklearn_svcca.compat``).

Three independent sources of truth:

- the original implementation's published outputs on the tutorial's MNIST
  logits (through the ``tutorial_activations`` fixture, skipped without
  ../shared);
- ``tests/_original_recipe.py``, a plain-NumPy transcription of the original
  recipe, both live and through the committed ``tests/data/
  compat_reference.npz`` it produced (see ``make_compat_reference.py``);
- the mathematics of CCA: the estimators, complex QR, invariances.
"""

import importlib.util
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _original_recipe import original_cca, original_pwcca
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import sklearn_svcca
from sklearn_svcca import CCA, PWCCA, SVCCA
from sklearn_svcca.compat import compute_pwcca, fourier_ccas, get_cca_similarity

DATA = Path(__file__).resolve().parent / "data"
REFERENCE = DATA / "compat_reference.npz"

COEF_KEYS = {
    "coef_x",
    "invsqrt_xx",
    "full_coef_x",
    "full_invsqrt_xx",
    "coef_y",
    "invsqrt_yy",
    "full_coef_y",
    "full_invsqrt_yy",
    "neuron_means1",
    "neuron_means2",
}
ALWAYS_KEYS = {"cca_coef1", "cca_coef2", "mean", "sum", "x_idxs", "y_idxs"}


def two_layers(rng, p=6, q=5, n=400, n_latent=3, noise=0.7, offset=True):
    """Two layers sharing ``n_latent`` signals, (neurons, datapoints)."""
    latent = rng.normal(size=(n_latent, n))

    def layer(k):
        acts = rng.normal(size=(k, n_latent)) @ latent
        acts += noise * rng.normal(size=(k, n))
        if offset:
            acts += rng.uniform(-3, 3, size=(k, 1))
        return acts

    return layer(p), layer(q)


def independent_ccas(acts1, acts2):
    """Canonical correlations from orthonormal bases of the centered layers."""
    q1 = np.linalg.qr((acts1 - acts1.mean(axis=1, keepdims=True)).T)[0]
    q2 = np.linalg.qr((acts2 - acts2.mean(axis=1, keepdims=True)).T)[0]
    return np.linalg.svd(q1.conj().T @ q2, compute_uv=False)


# ------------------------------------------------- the original's own numbers


@pytest.fixture(scope="module")
def mnist(tutorial_activations):
    return (
        tutorial_activations["mnist_model0_logits"].T.astype(np.float64),
        tutorial_activations["mnist_model1_logits"].T.astype(np.float64),
    )


def test_mnist_matches_the_original_implementation(mnist):
    # Outputs of google/svcca on the tutorial's logits, epsilon=0.
    acts1, acts2 = mnist
    results = get_cca_similarity(acts1, acts2, epsilon=0.0)
    assert_allclose(
        results["cca_coef1"][:5],
        [0.946246, 0.920247, 0.905424, 0.883260, 0.847350],
        atol=1e-6,
    )
    assert_allclose(np.mean(results["cca_coef1"]), 0.705726314, atol=1e-6)
    assert_allclose(results["mean"], (0.774108329, 0.774108329), atol=1e-6)
    pwcca_mean, weights, coefs = compute_pwcca(acts1, acts2, epsilon=0.0)
    assert_allclose(pwcca_mean, 0.737200726, atol=1e-6)
    assert_allclose(weights.sum(), 1.0)
    assert_array_equal(coefs, results["cca_coef1"])


def test_mnist_estimators_agree_where_they_should(mnist):
    acts1, acts2 = mnist
    results = get_cca_similarity(acts1, acts2)
    cca = CCA().fit(acts1.T, acts2.T)
    assert_allclose(cca.canonical_correlations_, results["cca_coef1"], atol=1e-10)
    # CCA's similarity is the plain mean, not the original's thresholded one.
    assert_allclose(cca.similarity_, 0.705726314, atol=1e-6)
    # PWCCA is the paper's definition, not the original's construction.
    assert_allclose(PWCCA().fit(acts1.T, acts2.T).similarity_, 0.80744493, atol=1e-6)


def test_svhn_matches_the_reference_recipe(tutorial_activations):
    # 200 neurons per layer: the recipe at a realistic width.
    acts1 = tutorial_activations["svhn_model0_fc"].T.astype(np.float64)
    acts2 = tutorial_activations["svhn_model1_fc"].T.astype(np.float64)
    expected = original_cca(acts1, acts2)
    results = get_cca_similarity(acts1, acts2)
    assert_allclose(results["cca_coef1"], expected["coefs"], atol=1e-9)
    assert_allclose(results["mean"][0], expected["mean"], atol=1e-9)
    assert_allclose(compute_pwcca(acts1, acts2)[0], original_pwcca(acts1, acts2)[0])
    assert_allclose(
        CCA().fit(acts1.T, acts2.T).canonical_correlations_,
        results["cca_coef1"],
        atol=1e-9,
    )


# ------------------------------------------- the committed reference fixture


@pytest.fixture(scope="module")
def reference():
    with np.load(REFERENCE) as data:
        return {key: data[key] for key in data.files}


@pytest.mark.parametrize("case", ["wide", "eps", "complex"])
def test_matches_committed_reference(reference, case):
    ref = {
        key[len(case) + 1 :]: v
        for key, v in reference.items()
        if key[: len(case)] == case
    }
    acts1, acts2, epsilon = ref["acts1"], ref["acts2"], float(ref["epsilon"])
    results = get_cca_similarity(acts1, acts2, epsilon=epsilon)
    assert_allclose(results["cca_coef1"], ref["coefs"], atol=1e-10)
    assert_allclose(results["cca_coef2"], ref["coefs"], atol=1e-10)
    assert_allclose(results["mean"], (ref["mean"], ref["mean"]), atol=1e-10)
    assert_allclose(results["sum"], (ref["sum"], ref["sum"]), atol=1e-10)
    assert_array_equal(results["x_idxs"], ref["x_idxs"])
    assert_array_equal(results["y_idxs"], ref["y_idxs"])
    assert_allclose(results["invsqrt_xx"], ref["invsqrt_xx"], atol=1e-9)
    assert_allclose(results["invsqrt_yy"], ref["invsqrt_yy"], atol=1e-9)
    half = get_cca_similarity(acts1, acts2, epsilon=epsilon, threshold=0.5)
    assert_allclose(half["mean"][0], ref["mean_050"], atol=1e-10)
    if case != "complex":
        pwcca_mean, weights, coefs = compute_pwcca(acts1, acts2, epsilon=epsilon)
        assert_allclose(pwcca_mean, ref["pwcca"], atol=1e-10)
        assert_allclose(weights, ref["pwcca_weights"], atol=1e-10)
        assert_allclose(coefs, ref["coefs"], atol=1e-10)


def test_committed_reference_is_what_the_recipe_produces(reference):
    # The stored values come from tests/_original_recipe.py (see
    # tests/data/make_compat_reference.py); regenerate them and compare.
    spec = importlib.util.spec_from_file_location(
        "make_compat_reference", DATA / "make_compat_reference.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, (acts1, acts2, epsilon) in module.make_cases().items():
        fresh = module.expected(acts1, acts2, epsilon, pwcca=not np.iscomplexobj(acts1))
        for key, value in fresh.items():
            assert_allclose(reference[f"{name}_{key}"], value, atol=1e-10)


# ------------------------------------------------ independent implementations


@pytest.mark.parametrize("p, q", [(6, 5), (5, 6), (4, 4), (1, 3)])
def test_matches_reference_recipe_on_random_layers(p, q):
    rng = np.random.RandomState(p * 10 + q)
    acts1, acts2 = two_layers(rng, p, q)
    expected = original_cca(acts1, acts2)
    results = get_cca_similarity(acts1, acts2, compute_dirns=True)
    assert_allclose(results["cca_coef1"], expected["coefs"], atol=1e-12)
    assert_allclose(results["mean"][0], expected["mean"], atol=1e-12)
    assert_allclose(results["sum"][0], expected["sum"], atol=1e-12)
    assert_allclose(results["invsqrt_xx"], expected["invsqrt_xx"], atol=1e-10)
    assert_allclose(results["neuron_means1"], expected["means1"], atol=1e-12)
    assert results["coef_x"].shape == (p, p)
    assert results["coef_y"].shape == (q, q)
    # Singular vectors of the simple singular values are unique up to sign.
    k = min(p, q)
    signs = np.sign(np.sum(results["coef_x"][:k] * expected["u"].T[:k], axis=1))
    assert_allclose(
        results["coef_x"][:k], signs[:, None] * expected["u"].T[:k], atol=1e-8
    )
    # compute_pwcca depends on those signs; it reproduces the reference's.
    assert_allclose(compute_pwcca(acts1, acts2)[0], original_pwcca(acts1, acts2)[0])


@pytest.mark.parametrize("p, q", [(6, 5), (3, 7)])
def test_coefficients_are_the_estimators_canonical_correlations(p, q):
    rng = np.random.RandomState(1)
    acts1, acts2 = two_layers(rng, p, q, n=500)
    results = get_cca_similarity(acts1, acts2)
    cca = CCA().fit(acts1.T, acts2.T)
    assert_allclose(results["cca_coef1"], cca.canonical_correlations_, atol=1e-12)
    assert_allclose(np.mean(results["cca_coef1"]), cca.similarity_, atol=1e-12)
    assert_allclose(results["cca_coef1"], independent_ccas(acts1, acts2), atol=1e-12)


def test_migration_guide_relations_to_the_estimators():
    # The correspondences the migration guide states.
    rng = np.random.RandomState(26)
    acts1, acts2 = two_layers(rng, 6, 4, n=500)
    results = get_cca_similarity(acts1, acts2, compute_dirns=True)
    cca = CCA().fit(acts1.T, acts2.T)
    xmax = np.max(np.abs(np.cov(acts1)))
    k = cca.n_components_
    # x_weights_ = (full_coef_x @ full_invsqrt_xx).T up to sign and sqrt(xmax).
    W = (results["full_coef_x"] @ results["full_invsqrt_xx"]).T[:, :k]
    signs = np.sign(np.sum(W * cca.x_weights_, axis=0))
    assert_allclose(W * signs / np.sqrt(xmax), cca.x_weights_, atol=1e-10)
    # transform(X) = cca_dirns1 without the means, transposed, same scaling.
    dirns = (results["cca_dirns1"] - results["neuron_means1"]).T[:, :k]
    assert_allclose(dirns * signs / np.sqrt(xmax), cca.transform(acts1.T), atol=1e-9)


def test_tutorial_svcca_recipe_is_the_svcca_estimator():
    # The tutorial's SVCCA: SVD of the centered layers, keep the top
    # directions, then get_cca_similarity.
    rng = np.random.RandomState(27)
    acts1, acts2 = two_layers(rng, 9, 8, n=600, n_latent=4)

    def top(acts, k):
        _, s, vt = np.linalg.svd(
            acts - acts.mean(axis=1, keepdims=True), full_matrices=False
        )
        return s[:k, None] * vt[:k]

    results = get_cca_similarity(top(acts1, 5), top(acts2, 5))
    svcca = SVCCA(svd_dims=5).fit(acts1.T, acts2.T)
    assert_allclose(results["cca_coef1"], svcca.canonical_correlations_, atol=1e-12)
    assert_allclose(np.mean(results["cca_coef1"]), svcca.similarity_, atol=1e-12)


def test_directions_are_canonical_variates():
    # cca_dirns minus the means are the canonical variates: uncorrelated
    # within a layer, correlated s_i with their partner, and the covariance
    # scales of the recipe (xmax, sqrt(xmax ymax)) carried along.
    rng = np.random.RandomState(2)
    acts1, acts2 = two_layers(rng, 5, 7)
    results = get_cca_similarity(acts1, acts2, compute_dirns=True)
    d1 = results["cca_dirns1"] - results["neuron_means1"]
    d2 = results["cca_dirns2"] - results["neuron_means2"]
    xmax = np.max(np.abs(np.cov(acts1)))
    ymax = np.max(np.abs(np.cov(acts2)))
    cov = np.cov(d1, d2)
    assert_allclose(cov[:5, :5], xmax * np.eye(5), atol=1e-9 * xmax)
    assert_allclose(cov[5:, 5:], ymax * np.eye(7), atol=1e-9 * ymax)
    cross = np.zeros((5, 7))
    cross[np.diag_indices(5)] = results["cca_coef1"]
    assert_allclose(cov[:5, 5:], np.sqrt(xmax * ymax) * cross, atol=1e-9 * xmax)
    assert_allclose(results["coef_x"] @ results["coef_x"].T, np.eye(5), atol=1e-12)
    assert_allclose(results["coef_y"] @ results["coef_y"].T, np.eye(7), atol=1e-12)


def test_complex_activations_are_hermitian_cca():
    rng = np.random.RandomState(3)
    a1, b1 = two_layers(rng, 4, 5)
    a2, b2 = two_layers(rng, 4, 5)
    acts1, acts2 = a1 + 1j * a2, b1 + 1j * b2
    results = get_cca_similarity(acts1, acts2, compute_dirns=True)
    assert_allclose(results["cca_coef1"], independent_ccas(acts1, acts2), atol=1e-12)
    assert results["cca_dirns1"].dtype == np.complex128
    # A global phase on a layer changes nothing.
    rotated = get_cca_similarity(np.exp(0.7j) * acts1, acts2)
    assert_allclose(rotated["cca_coef1"], results["cca_coef1"], atol=1e-12)
    # Nor does complex conjugation of both layers.
    conj = get_cca_similarity(acts1.conj(), acts2.conj())
    assert_allclose(conj["cca_coef1"], results["cca_coef1"], atol=1e-12)


# ------------------------------------------------------------ invariances


layer_shapes = st.tuples(
    st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**31 - 1)
)


@settings(max_examples=25, deadline=None)
@given(layer_shapes)
def test_coefficients_invariant_to_invertible_affine_maps(shape):
    # CCA sees only the spans: acts1 -> A acts1 + b leaves it unchanged.
    p, q, seed = shape
    rng = np.random.RandomState(seed)
    acts1, acts2 = two_layers(rng, p, q, n=200)
    Q = np.linalg.qr(rng.normal(size=(p, p)))[0]
    A = Q * rng.uniform(0.2, 5.0, size=p)
    moved = A @ acts1 + rng.normal(scale=10.0, size=(p, 1))
    before = get_cca_similarity(acts1, acts2)["cca_coef1"]
    after = get_cca_similarity(moved, acts2)["cca_coef1"]
    assert_allclose(after, before, atol=1e-9)


@settings(max_examples=25, deadline=None)
@given(layer_shapes, st.floats(0.0, 1.0))
def test_coefficients_symmetric_bounded_and_thresholded_mean(shape, threshold):
    p, q, seed = shape
    rng = np.random.RandomState(seed)
    acts1, acts2 = two_layers(rng, p, q, n=150)
    results = get_cca_similarity(acts1, acts2, threshold=threshold)
    s = results["cca_coef1"]
    assert s.shape == (min(p, q),)
    assert np.all((s >= 0) & (s <= 1))
    assert np.all(np.diff(s) <= 1e-12)
    swapped = get_cca_similarity(acts2, acts1)["cca_coef1"]
    assert_allclose(swapped, s, atol=1e-9)
    # The thresholded mean: the first i with sum(s[:i]) >= threshold sum(s),
    # at least one coefficient, all of them if there is none.
    i = next(
        (k for k in range(len(s)) if np.sum(s[:k]) / np.sum(s) >= threshold),
        len(s),
    )
    assert_allclose(results["mean"][0], np.mean(s[: max(i, 1)]), atol=1e-12)
    assert results["mean"][0] == results["mean"][1]


# ----------------------------------------------- where the original failed


def test_dead_and_duplicated_neurons_give_the_exact_answer():
    # The original's pinv + eigh square root takes square roots of negative
    # rounding errors on such layers (NaN); on this very input the reference
    # transcription stops with "SVD did not converge" (NumPy 2.4, OpenBLAS).
    # The recipe in exact arithmetic keeps every neuron (epsilon=0) and gives
    # the rank's canonical correlations, then zeros.
    rng = np.random.RandomState(4)
    acts1, acts2 = two_layers(rng, 6, 5, offset=False)
    acts1[1] = 0.0  # dead ReLU
    acts1[4] = 3.0 * acts1[0]  # duplicated unit
    acts2[2] = np.maximum(acts2[2], 1e9)  # saturated: constant
    results = get_cca_similarity(acts1, acts2, compute_dirns=True)
    s = results["cca_coef1"]
    assert np.all(np.isfinite(s))
    assert np.all(results["x_idxs"]) and np.all(results["y_idxs"])
    cca = CCA().fit(acts1.T, acts2.T)
    k = cca.n_components_
    assert k == 4
    assert_allclose(s[:k], cca.canonical_correlations_, atol=1e-10)
    assert_allclose(s[k:], 0.0, atol=1e-10)
    for key, value in results.items():
        assert np.all(np.isfinite(value)), key
    pwcca_mean, weights, _ = compute_pwcca(acts1, acts2)
    assert np.isfinite(pwcca_mean) and 0 <= pwcca_mean <= 1
    assert_allclose(weights.sum(), 1.0)


def test_epsilon_drops_dead_neurons():
    rng = np.random.RandomState(5)
    acts1, acts2 = two_layers(rng, 6, 5)
    acts1[[1, 3]] = 0.0
    results = get_cca_similarity(acts1, acts2, epsilon=1e-6)
    assert_array_equal(results["x_idxs"], [True, False, True, False, True, True])
    assert results["coef_x"].shape == (4, 4)
    assert results["full_coef_x"].shape == (6, 6)
    assert_array_equal(results["full_coef_x"][[1, 3]], 0.0)
    assert_array_equal(
        results["full_coef_x"][np.ix_([0, 2, 4, 5], [0, 2, 4, 5])], results["coef_x"]
    )
    assert_allclose(
        results["cca_coef1"],
        CCA().fit(acts1.T, acts2.T).canonical_correlations_,
        atol=1e-5,  # the ridge epsilon I shifts them slightly
    )


def test_identical_layers_have_coefficients_exactly_one():
    rng = np.random.RandomState(6)
    acts, _ = two_layers(rng, 8, 1, n=300)
    results = get_cca_similarity(acts, acts)
    assert np.all(results["cca_coef1"] <= 1.0)
    assert_allclose(results["cca_coef1"], 1.0, atol=1e-10)


def test_compute_pwcca_with_wider_acts1_uses_acts2():
    # The original indexes acts1 with acts2's mask here: IndexError.
    rng = np.random.RandomState(7)
    acts1, acts2 = two_layers(rng, 7, 4)
    pwcca_mean, weights, coefs = compute_pwcca(acts1, acts2)
    expected = original_pwcca(acts1, acts2)
    assert weights.shape == coefs.shape == (4,)
    assert_allclose(pwcca_mean, expected[0], atol=1e-12)
    assert_allclose(weights, expected[1], atol=1e-12)


def test_compute_pwcca_tie_uses_acts1_and_differs_from_paper_pwcca():
    rng = np.random.RandomState(8)
    acts1, acts2 = two_layers(rng, 5, 5)
    pwcca_mean, weights, coefs = compute_pwcca(acts1, acts2)
    # On a tie the weights come from acts1: the construction by hand.
    r = get_cca_similarity(acts1, acts2)
    means = acts1.mean(axis=1, keepdims=True)
    P = np.linalg.qr((r["coef_x"] @ (acts1 - means) + means).T)[0]
    by_hand = np.abs(P.T @ acts1.T).sum(axis=1)
    assert_allclose(weights, by_hand / by_hand.sum(), atol=1e-12)
    assert_allclose(pwcca_mean, original_pwcca(acts1, acts2)[0], atol=1e-12)
    # Hence it is not symmetric...
    assert not np.isclose(compute_pwcca(acts2, acts1)[0], pwcca_mean, atol=1e-3)
    # ...and not the paper's definition, though the coefficients are the same.
    paper = PWCCA().fit(acts1.T, acts2.T)
    assert_allclose(paper.canonical_correlations_, coefs, atol=1e-12)
    assert not np.isclose(paper.similarity_, pwcca_mean, atol=1e-3)


def test_threshold_edges():
    rng = np.random.RandomState(9)
    acts1, acts2 = two_layers(rng, 5, 5)
    s = get_cca_similarity(acts1, acts2)["cca_coef1"]
    # threshold=0: the original averages nothing (NaN); keep one coefficient.
    assert get_cca_similarity(acts1, acts2, threshold=0.0)["mean"][0] == s[0]
    assert_allclose(
        get_cca_similarity(acts1, acts2, threshold=1.0)["mean"][0], s.mean()
    )


def test_compute_dirns_without_compute_coefs():
    # The original raises KeyError on this combination.
    rng = np.random.RandomState(10)
    acts1, acts2 = two_layers(rng, 4, 3)
    bare = get_cca_similarity(acts1, acts2, compute_coefs=False)
    assert set(bare) == ALWAYS_KEYS
    dirns = get_cca_similarity(acts1, acts2, compute_coefs=False, compute_dirns=True)
    assert set(dirns) == ALWAYS_KEYS | {"cca_dirns1", "cca_dirns2"}
    full = get_cca_similarity(acts1, acts2, compute_dirns=True)
    assert set(full) == ALWAYS_KEYS | COEF_KEYS | {"cca_dirns1", "cca_dirns2"}
    assert_allclose(dirns["cca_dirns1"], full["cca_dirns1"])
    assert full["cca_dirns1"].shape == acts1.shape
    assert full["neuron_means1"].shape == (4, 1)
    assert isinstance(full["mean"], tuple) and isinstance(full["sum"], tuple)


def test_float32_and_integer_input_are_computed_in_float64():
    rng = np.random.RandomState(11)
    acts1, acts2 = two_layers(rng, 5, 4)
    acts1 = acts1.astype(np.float32)
    acts2 = np.round(acts2 * 100).astype(np.int64)
    results = get_cca_similarity(acts1, acts2)
    exact = get_cca_similarity(acts1.astype(np.float64), acts2.astype(np.float64))
    assert results["cca_coef1"].dtype == np.float64
    assert_allclose(results["cca_coef1"], exact["cca_coef1"], atol=1e-13)
    assert_allclose(
        compute_pwcca(acts1, acts2)[0],
        compute_pwcca(acts1.astype(np.float64), acts2.astype(np.float64))[0],
        atol=1e-13,
    )
    # complex64 likewise: accumulated in float64, not in single precision.
    c1 = (acts1 + 1j * np.roll(acts1, 1, axis=1)).astype(np.complex64)
    single = get_cca_similarity(c1, acts2)
    double = get_cca_similarity(c1.astype(np.complex128), acts2)
    assert_allclose(single["cca_coef1"], double["cca_coef1"], atol=1e-13)


def test_inputs_are_not_modified():
    rng = np.random.RandomState(12)
    acts1, acts2 = two_layers(rng, 5, 4)
    acts1[0] = 0.0
    copies = acts1.copy(), acts2.copy()
    get_cca_similarity(acts1, acts2, epsilon=1e-3, compute_dirns=True)
    compute_pwcca(acts1, acts2, epsilon=1e-3)
    assert_array_equal(acts1, copies[0])
    assert_array_equal(acts2, copies[1])
    conv = rng.normal(size=(50, 3, 3, 2))
    conv_copy = conv.copy()
    fourier_ccas(conv, conv, compute_dirns=True, return_coefs=True)
    assert_array_equal(conv, conv_copy)


def test_verbose_logs_instead_of_printing(caplog, capsys):
    rng = np.random.RandomState(13)
    acts1, acts2 = two_layers(rng, 4, 3)
    with caplog.at_level(logging.INFO, logger="sklearn_svcca.compat"):
        get_cca_similarity(acts1, acts2)
        assert caplog.records == []
        get_cca_similarity(acts1, acts2, verbose=True)
    (record,) = caplog.records
    assert record.levelno == logging.INFO
    assert "kept 4 of 4 neurons of acts1" in record.getMessage()
    assert capsys.readouterr().out == ""


# ------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "acts1, acts2, kwargs, error, match",
    [
        (
            np.ones((3, 50)),
            np.ones((2, 40)),
            {},
            ValueError,
            "same number of datapoints",
        ),
        (np.ones((50, 3)), np.ones((40, 3)), {}, ValueError, "pass acts1.T"),
        (np.ones(50), np.ones((2, 50)), {}, ValueError, r"reshape\(1, -1\)"),
        (np.ones((2, 3, 50)), np.ones((2, 50)), {}, ValueError, "2-D array"),
        (np.array([["a", "b", "c"]]), np.ones((1, 3)), {}, TypeError, "numeric"),
        (np.ones((2, 0)), np.ones((2, 0)), {}, ValueError, "empty"),
        (None, None, {"nan": True}, ValueError, "NaN or infinity"),
        (None, None, {"epsilon": -1.0}, ValueError, "epsilon must be"),
        (None, None, {"epsilon": 2.0}, ValueError, "drops every neuron of acts1"),
        (
            None,
            None,
            {"threshold": 1.5},
            ValueError,
            r"threshold must be a float in \[0, 1\]",
        ),
        (None, None, {"constant": True}, ValueError, "acts2 is constant"),
        (None, None, {"huge": True}, ValueError, "overflowed float64"),
    ],
)
def test_bad_input(acts1, acts2, kwargs, error, match):
    if acts1 is None:
        rng = np.random.RandomState(14)
        acts1, acts2 = two_layers(rng, 3, 2, n=60)
        if kwargs.pop("nan", False):
            acts1[0, 5] = np.nan
        if kwargs.pop("constant", False):
            acts2 = np.full_like(acts2, 0.1)
        if kwargs.pop("huge", False):
            acts1 = acts1 * 1e300
    with pytest.raises(error, match=match):
        get_cca_similarity(acts1, acts2, **kwargs)


def test_compute_pwcca_rejects_complex():
    rng = np.random.RandomState(15)
    acts1, acts2 = two_layers(rng, 3, 2)
    with pytest.raises(ValueError, match="compute_pwcca takes real activations"):
        compute_pwcca(acts1 + 1j, acts2)


# ---------------------------------------------------------------- Fourier


def conv_layers(rng, n=120, shape1=(4, 4), shape2=(4, 4), c1=3, c2=2):
    """Two conv layers computed from a shared spatially-correlated input."""
    h, w = max(shape1[0], shape2[0]), max(shape1[1], shape2[1])
    base = rng.normal(size=(n, h, w, 3))
    base += np.roll(base, 1, axis=1) + np.roll(base, 1, axis=2)
    l1 = base[:, : shape1[0], : shape1[1]] @ rng.normal(size=(3, c1))
    l2 = base[:, : shape2[0], : shape2[1]] @ rng.normal(size=(3, c2))
    l1 += 0.5 * rng.normal(size=l1.shape)
    l2 += 0.5 * rng.normal(size=l2.shape)
    return l1, l2


def test_fourier_records_are_cca_of_each_frequency():
    rng = np.random.RandomState(16)
    conv1, conv2 = conv_layers(rng)
    records = fourier_ccas(conv1, conv2)
    assert len(records) == 16
    f1 = np.fft.fft2(conv1, axes=(1, 2))
    f2 = np.fft.fft2(conv2, axes=(1, 2))
    for record in records:
        i, j = record["location"]
        assert record["frequency"] == (
            np.fft.fftfreq(4, 0.25)[i],
            np.fft.fftfreq(4, 0.25)[j],
        )
        expected = independent_ccas(f1[:, i, j].T, f2[:, i, j].T)
        assert_allclose(record["cca_coef1"], expected, atol=1e-12)
        assert set(record) == ALWAYS_KEYS | {"location", "frequency"}
    assert [r["location"] for r in records[:5]] == [
        (0, 0),
        (0, 1),
        (0, 2),
        (0, 3),
        (1, 0),
    ]


def test_fourier_non_square_maps_of_different_sizes():
    # The original asserted square maps; crop both to the common low
    # frequencies, matched by their signed frequency.
    rng = np.random.RandomState(17)
    conv1, conv2 = conv_layers(rng, shape1=(6, 4), shape2=(5, 3))
    records = fourier_ccas(conv1, conv2)
    assert len(records) == 15
    freqs = [r["frequency"] for r in records]
    assert sorted(freqs) == sorted(
        (a, b) for a in (-2, -1, 0, 1, 2) for b in (-1, 0, 1)
    )
    f1 = np.fft.fft2(conv1, axes=(1, 2))
    f2 = np.fft.fft2(conv2, axes=(1, 2))

    def bin_of(freq, size):
        return int(np.flatnonzero(np.rint(np.fft.fftfreq(size, 1 / size)) == freq)[0])

    for record in records:
        fa, fb = record["frequency"]
        x = f1[:, bin_of(fa, 6), bin_of(fb, 4)].T
        y = f2[:, bin_of(fa, 5), bin_of(fb, 3)].T
        assert_allclose(record["cca_coef1"], independent_ccas(x, y), atol=1e-12)


@pytest.mark.parametrize("shift", [(1, 0), (2, 3), (0, 1)])
def test_fourier_translated_and_mixed_channels_are_perfectly_similar(shift):
    # A circular translation multiplies each frequency by a unit phase and a
    # 1x1 convolution mixes the channels: both leave every frequency's
    # channels spanning the same space, so every coefficient is 1.
    rng = np.random.RandomState(18)
    conv1, _ = conv_layers(rng, shape1=(4, 5))
    conv2 = np.roll(conv1, shift, axis=(1, 2)) @ rng.normal(size=(3, 3))
    for record in fourier_ccas(conv1, conv2):
        assert_allclose(record["cca_coef1"], 1.0, atol=1e-9)


def test_fourier_conjugate_frequencies_agree_for_real_input():
    rng = np.random.RandomState(19)
    conv1, conv2 = conv_layers(rng, shape1=(3, 4), shape2=(3, 4))
    by_freq = {r["frequency"]: r for r in fourier_ccas(conv1, conv2)}
    for (a, b), record in by_freq.items():
        partner = by_freq.get((-a, -b))
        if partner is not None:
            assert_allclose(record["cca_coef1"], partner["cca_coef1"], atol=1e-12)


def test_fourier_computes_in_complex128():
    # The original cast to complex64: about three digits lost.
    rng = np.random.RandomState(20)
    conv1, conv2 = conv_layers(rng)
    conv1 = conv1.astype(np.float32)
    single = fourier_ccas(conv1, conv2.astype(np.float32), compute_dirns=True)
    double = fourier_ccas(
        conv1.astype(np.float64), conv2.astype(np.float32).astype(np.float64)
    )
    for a, b in zip(single, double, strict=True):
        assert_allclose(a["cca_coef1"], b["cca_coef1"], atol=1e-13)
    assert single[1]["cca_dirns1"].dtype == np.complex128


def test_fourier_agrees_with_the_fourier_cca_estimator():
    # FourierCCA (the estimator form) is built separately; once it is part of
    # the package, its per-frequency coefficients must be those of the
    # original recipe, whatever order it stores the frequencies in.
    FourierCCA = getattr(sklearn_svcca, "FourierCCA", None)
    if FourierCCA is None:
        pytest.skip("sklearn_svcca.FourierCCA is not available in this version")
    rng = np.random.RandomState(28)
    conv1, conv2 = conv_layers(rng, n=150, shape1=(4, 5), shape2=(3, 5))
    est = FourierCCA().fit(conv1, conv2)
    ours = np.concatenate([r["cca_coef1"] for r in fourier_ccas(conv1, conv2)])
    assert_allclose(
        np.sort(np.ravel(est.frequency_correlations_)), np.sort(ours), atol=1e-8
    )


def test_fourier_return_coefs_and_dirns():
    rng = np.random.RandomState(21)
    conv1, conv2 = conv_layers(rng, n=60, shape1=(2, 2), shape2=(2, 2))
    records = fourier_ccas(conv1, conv2, return_coefs=True, compute_dirns=True)
    for record in records:
        assert set(record) == ALWAYS_KEYS | COEF_KEYS | {
            "cca_dirns1",
            "cca_dirns2",
            "location",
            "frequency",
        }
        assert record["cca_dirns1"].shape == (3, 60)
        assert record["coef_x"].shape == (3, 3)


def test_fourier_as_frame_with_pandas():
    pd = pytest.importorskip("pandas")
    rng = np.random.RandomState(22)
    conv1, conv2 = conv_layers(rng, n=60, shape1=(2, 3), shape2=(2, 3))
    frame = fourier_ccas(conv1, conv2, as_frame=True)
    records = fourier_ccas(conv1, conv2)
    assert isinstance(frame, pd.DataFrame)
    assert len(frame) == len(records) == 6
    assert list(frame["location"]) == [r["location"] for r in records]
    for row, record in zip(frame["cca_coef1"], records, strict=True):
        assert_array_equal(row, record["cca_coef1"])


def test_fourier_as_frame_without_pandas(monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    rng = np.random.RandomState(23)
    conv1, conv2 = conv_layers(rng, n=60, shape1=(2, 2), shape2=(2, 2))
    with pytest.raises(ImportError, match="requires pandas"):
        fourier_ccas(conv1, conv2, as_frame=True)
    assert isinstance(fourier_ccas(conv1, conv2), list)


def test_compat_imports_and_runs_without_pandas():
    # pandas is optional: with it made unimportable before anything is
    # imported, the module imports and returns records. (scikit-learn itself
    # imports pandas when it is installed, so absence from sys.modules after
    # a normal import cannot be asserted.)
    code = (
        "import sys; sys.modules['pandas'] = None; import numpy as np; "
        "from sklearn_svcca.compat import fourier_ccas; "
        "r = fourier_ccas(np.random.RandomState(0).normal(size=(20, 2, 2, 1)), "
        "np.random.RandomState(1).normal(size=(20, 2, 2, 1))); "
        "assert isinstance(r, list) and len(r) == 4"
    )
    root = Path(__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


@pytest.mark.parametrize(
    "shape1, shape2, match",
    [
        ((60, 4, 4), (60, 4, 4, 2), "4-D array"),
        ((60, 4, 4, 2), (50, 4, 4, 2), "same number of datapoints"),
        ((3, 4, 4, 5), (3, 4, 4, 2), "more datapoints than channels"),
    ],
)
def test_fourier_bad_shapes(shape1, shape2, match):
    rng = np.random.RandomState(24)
    with pytest.raises(ValueError, match=match):
        fourier_ccas(rng.normal(size=shape1), rng.normal(size=shape2))


def test_fourier_constant_frequency_names_it():
    # Maps constant over space have nothing at non-zero frequencies.
    rng = np.random.RandomState(25)
    flat = np.broadcast_to(rng.normal(size=(60, 1, 1, 2)), (60, 2, 2, 2))
    with pytest.raises(ValueError, match=r"At frequency \(0, -1\).*acts1 is constant"):
        fourier_ccas(flat, rng.normal(size=(60, 2, 2, 2)))
