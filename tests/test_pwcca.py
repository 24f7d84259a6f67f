"""PWCCA against the independent reference and the published MNIST value."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_svcca import PWCCA

import reference


def _views(rng, n=1500, p=12, q=8):
    z = rng.normal(size=(n, 3))
    X = np.c_[z @ rng.normal(size=(3, p - 4)), 0.3 * rng.normal(size=(n, 4))]
    Y = z @ rng.normal(size=(3, q)) + 0.5 * rng.normal(size=(n, q))
    return X, Y


@pytest.mark.parametrize("solver", ["auto", "gram", "qr"])
def test_matches_reference(rng, solver):
    X, Y = _views(rng)
    pwcca = PWCCA(solver=solver).fit(X, Y)
    expected, alpha, rho = reference.pwcca(X, Y)
    assert_allclose(pwcca.canonical_correlations_, rho, atol=1e-10)
    assert_allclose(pwcca.projection_weights_, alpha, atol=1e-10)
    assert pwcca.similarity_ == pytest.approx(expected, abs=1e-10)


def test_wider_first_view_is_fine(rng):
    # The original compute_pwcca raised IndexError here.
    X, Y = _views(rng, p=30, q=5)
    pwcca = PWCCA().fit(X, Y)
    assert pwcca.n_components_ == 5
    assert pwcca.similarity_ == pytest.approx(reference.pwcca(X, Y)[0], abs=1e-10)


def test_weights_from_y(rng):
    X, Y = _views(rng)
    by_y = PWCCA(weights_from="y").fit(X, Y)
    assert by_y.similarity_ == pytest.approx(reference.pwcca(Y, X)[0], abs=1e-10)
    assert by_y.similarity_ != pytest.approx(PWCCA().fit(X, Y).similarity_, abs=1e-3)


def test_dead_neurons_do_not_change_the_weights(rng):
    X, Y = _views(rng)
    padded = np.c_[X, np.zeros(len(X)), np.full(len(X), 2.0)]
    assert_allclose(
        PWCCA().fit(padded, Y).projection_weights_,
        PWCCA().fit(X, Y).projection_weights_,
        atol=1e-10,
    )


def test_weights_favour_directions_the_neurons_carry(rng):
    X, Y = _views(rng)
    pwcca = PWCCA().fit(X, Y)
    assert_allclose(pwcca.projection_weights_.sum(), 1.0)
    assert np.all(pwcca.projection_weights_ >= 0)
    # The three shared directions carry the high-variance neurons.
    assert pwcca.projection_weights_[:3].sum() > 0.7
    assert pwcca.similarity_ > pwcca.canonical_correlations_.mean()


def test_published_value_on_mnist_logits(tutorial_activations):
    # Issue 2: PWCCA().fit(mnist_model0_logits, mnist_model1_logits) in
    # float64 gives 0.80744493 (Morcos et al.'s definition).
    a = tutorial_activations["mnist_model0_logits"].astype(np.float64)
    b = tutorial_activations["mnist_model1_logits"].astype(np.float64)
    pwcca = PWCCA().fit(a, b)
    assert pwcca.similarity_ == pytest.approx(0.80744493, abs=1e-6)
    assert pwcca.similarity_ == pytest.approx(reference.pwcca(a, b)[0], abs=1e-12)
    # The same from the float32 activations as stored: float64 inside.
    stored = PWCCA().fit(
        tutorial_activations["mnist_model0_logits"],
        tutorial_activations["mnist_model1_logits"],
    )
    assert stored.similarity_ == pytest.approx(0.80744493, abs=1e-6)


def test_published_cca_coefficients_on_mnist_logits(tutorial_activations):
    # The original code's coefficients on the same data (issue 4), which
    # plain CCA must reproduce: it is the same mathematical quantity.
    from sklearn_svcca import CCA

    a = tutorial_activations["mnist_model0_logits"].astype(np.float64)
    b = tutorial_activations["mnist_model1_logits"].astype(np.float64)
    cca = CCA().fit(a, b)
    assert_allclose(
        cca.canonical_correlations_[:5],
        [0.946246, 0.920247, 0.905424, 0.883260, 0.847350],
        atol=1e-6,
    )
    assert cca.similarity_ == pytest.approx(0.705726314, abs=1e-6)
