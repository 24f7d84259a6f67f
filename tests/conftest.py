"""Shared, seeded fixtures.

Every random draw in the suite goes through a seeded ``RandomState`` so a
failure reproduces exactly. Data from ``../shared`` is optional: tests that
use it skip cleanly when it is absent (a fresh clone has no ``../shared``).
"""

import os
import sys

# scikit-learn's Array API support (and its array API estimator checks)
# require SciPy's, which SciPy reads once, at import: set it before anything
# imports scipy. pytest loads this file before collecting any module.
if "scipy" not in sys.modules:
    os.environ.setdefault("SCIPY_ARRAY_API", "1")

from pathlib import Path

import numpy as np
import pytest

import reference
import synthetic

SHARED_DATA = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "data"
    / "svcca_tutorial_activations.npz"
)


@pytest.fixture
def rng():
    return np.random.RandomState(0)


@pytest.fixture(scope="session")
def tutorial_activations():
    """The original tutorial's activations, (samples, neurons); skip if absent."""
    if not SHARED_DATA.exists():
        pytest.skip(f"{SHARED_DATA} not found (only present beside a CI checkout)")
    with np.load(SHARED_DATA) as data:
        return {key: data[key] for key in data.files}


@pytest.fixture(scope="session")
def digits_activations():
    """Hidden-layer activations of two small MLPs trained on sklearn's digits.

    Two networks with the same architecture and different seeds, as in the
    SVCCA paper's comparisons across training runs. ReLU layers of real
    networks have dead units, so these also exercise rank deficiency.
    """
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    layers = []
    for seed in (0, 1):
        net = MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=60, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(X, y)
        h1 = np.maximum(X @ net.coefs_[0] + net.intercepts_[0], 0)
        h2 = np.maximum(h1 @ net.coefs_[1] + net.intercepts_[1], 0)
        layers.append((h1, h2))
    return {"h1": (layers[0][0], layers[1][0]), "h2": (layers[0][1], layers[1][1])}


@pytest.fixture(scope="session")
def digits_wide_activations():
    """The 256-unit ReLU layer of two one-hidden-layer MLPs trained on digits.

    Wider than the training set supports well (1797 samples, rank ~235):
    the regime where the number of kept directions matters.
    """
    import warnings

    from sklearn.datasets import load_digits
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    layers = []
    for seed in (0, 1):
        net = MLPClassifier(hidden_layer_sizes=(256,), max_iter=60, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(X, y)
        layers.append(np.maximum(X @ net.coefs_[0] + net.intercepts_[0], 0))
    return tuple(layers)


def _fitted_attributes(est):
    """Public fitted attributes (trailing underscore), by name.

    After partial_fit the solution is computed on first use: reading one
    fitted attribute (the public way) makes all of them exist.
    """
    getattr(est, "canonical_correlations_", None)
    return {
        k: v for k, v in vars(est).items() if k.endswith("_") and not k.startswith("_")
    }


def _assert_same_fit(est, ref, rtol):
    """Every fitted attribute of ``est`` equals ``ref``'s, normwise.

    Floating and complex arrays, and floats, agree to ``rtol`` relative to
    the largest magnitude of the reference attribute (a near-zero canonical
    correlation is compared on the scale of the largest one); everything
    else exactly.
    """
    got, want = _fitted_attributes(est), _fitted_attributes(ref)
    assert sorted(got) == sorted(want)
    for name, expected in want.items():
        actual = got[name]
        if isinstance(expected, np.ndarray) and expected.dtype.kind in "fc":
            actual = np.asarray(actual)
            assert actual.shape == expected.shape, name
            scale = max(float(np.max(np.abs(expected), initial=0.0)), 1e-300)
            err = float(np.max(np.abs(actual - expected), initial=0.0)) / scale
            assert err <= rtol, f"{name}: relative error {err:.2e} > {rtol:.0e}"
        elif isinstance(expected, float):
            assert abs(actual - expected) <= rtol * max(abs(expected), 1e-300), name
        elif isinstance(expected, np.ndarray):
            np.testing.assert_array_equal(actual, expected, err_msg=name)
        else:
            assert actual == expected, name


@pytest.fixture(scope="session")
def assert_same_fit():
    """``assert_same_fit(est, ref, rtol)``: compare all fitted attributes."""
    return _assert_same_fit


@pytest.fixture(scope="session")
def reference_correlations():
    """Plain-NumPy canonical correlations (QR of both views, SVD).

    ``reference.qr_correlations``: the QR reference of the accuracy targets.
    """
    return reference.qr_correlations


@pytest.fixture(scope="session")
def views():
    """``views(seed, n, p, q, latent=2, noise=1.0, offset=0.0, dtype)``.

    The suite's one generator of two related views (``synthetic.views``).
    """
    return synthetic.views
