"""
==========================================
Quickstart: how similar are two networks?
==========================================

Two small multi-layer perceptrons are trained with different random seeds on
scikit-learn's bundled digits data (no download). Their hidden-layer
activations on the same images are compared with CCA, SVCCA and PWCCA, in
sample and on held-out images, against a random baseline.

This is what ``sklearn-svcca demo`` prints for every pair of layers of two
deeper networks; here it is in Python, for one layer.
"""

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import cross_val_score
from sklearn.neural_network import MLPClassifier

from sklearn_svcca import CCA, PWCCA, SVCCA

X, y = load_digits(return_X_y=True)
X = X / 16.0


def hidden_activations(seed):
    """First hidden layer (64 ReLU units) of an MLP trained with ``seed``."""
    net = MLPClassifier(hidden_layer_sizes=(64,), max_iter=200, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X, y)
    return np.maximum(X @ net.coefs_[0] + net.intercepts_[0], 0.0)


acts_a = hidden_activations(seed=0)
acts_b = hidden_activations(seed=1)
rng = np.random.RandomState(0)
noise_a = rng.normal(size=acts_a.shape)
noise_b = rng.normal(size=acts_b.shape)

# %%
# Rows are images (samples), columns are neurons. ``score`` on held-out
# images (``cross_val_score``) removes the chance correlations that inflate
# the in-sample similarity of unrelated representations.
print(f"{'method':<8}{'in-sample':>11}{'held-out':>10}{'baseline':>10}")
for est in (CCA(), SVCCA(svd_dims=0.99), PWCCA()):
    in_sample = est.fit(acts_a, acts_b).similarity_
    held_out = cross_val_score(est, acts_a, acts_b, cv=5).mean()
    baseline = type(est)(**est.get_params()).fit(noise_a, noise_b).similarity_
    name = type(est).__name__
    print(f"{name:<8}{in_sample:>11.3f}{held_out:>10.3f}{baseline:>10.3f}")
