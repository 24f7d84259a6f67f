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
