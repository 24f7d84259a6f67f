"""
==============================================================
Choosing ``svd_dims`` by grid search: a criterion that selects
==============================================================

SVCCA keeps the top ``svd_dims`` singular directions of each layer before
CCA. Choosing that number by :class:`~sklearn.model_selection.GridSearchCV`
needs a criterion with a peak. The estimator's ``score`` -- the mean held-out
canonical correlation -- has none on real activations: it always prefers the
fewest, strongest directions. :func:`sklearn_svcca.metrics.svd_dims_scorer`
is the held-out log-likelihood of the Gaussian model SVCCA assumes (each
layer's top directions plus isotropic noise, the two related by their
canonical correlations; the derivation is in :mod:`sklearn_svcca.metrics`),
which is what ``PCA.score`` is for PCA. Adding directions raises it while
they describe new samples better than noise does, and lowers it once they
only fit the training samples.

This example shows both criteria on the hidden layers of two networks
trained on scikit-learn's digits, on synthetic layers of known dimension,
and on the SVCCA tutorial's SVHN layers when they are available.
"""

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.neural_network import MLPClassifier

from sklearn_svcca import SVCCA
from sklearn_svcca.metrics import svd_dims_scorer

# %%
# Two networks trained on digits
# ------------------------------
# Two MLPs with one hidden layer of 256 ReLU units, trained from different
# seeds; their hidden layers on all 1797 images are the two views. The
# layers have rank about 235, for 1797 samples: the regime where keeping
# every direction overfits.

X, y = load_digits(return_X_y=True)
X = X / 16
layers = []
for seed in (0, 1):
    net = MLPClassifier((256,), max_iter=60, random_state=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X, y)
    layers.append(np.maximum(X @ net.coefs_[0] + net.intercepts_[0], 0))
A, B = layers

grid = [1, 2, 5, 10, 20, 50, 100, 150, 200, 256]


def search(scoring, seed, X, Y, grid=grid):
    cv = KFold(5, shuffle=True, random_state=seed)
    gs = GridSearchCV(SVCCA(), {"svd_dims": grid}, cv=cv, scoring=scoring)
    with warnings.catch_warnings():
        # Wide candidates warn that in-sample correlations are biased: the
        # point of scoring them on held-out samples.
        warnings.simplefilter("ignore")
        return gs.fit(X, Y)


by_similarity = search(None, 0, A, B)
by_likelihood = search(svd_dims_scorer, 0, A, B)
print("held-out similarity picks   svd_dims =", by_similarity.best_params_["svd_dims"])
print("held-out likelihood picks   svd_dims =", by_likelihood.best_params_["svd_dims"])

fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
ax1.plot(grid, by_similarity.cv_results_["mean_test_score"], "o-")
ax1.set_ylabel("held-out mean correlation")
ax2.plot(grid, by_likelihood.cv_results_["mean_test_score"], "o-", color="C1")
ax2.axvline(by_likelihood.best_params_["svd_dims"], color="k", lw=0.8)
ax2.set_ylabel("held-out log-likelihood (nats/sample)")
for ax in (ax1, ax2):
    ax.set_xscale("log")
    ax.set_xlabel("svd_dims")
    ax.grid()

# %%
# The similarity is highest for a handful of directions, the strongest two
# networks share, and falls as soon as weaker ones join: it would have us
# keep almost nothing of 256-unit layers. The likelihood rises
# while new directions carry variance that new images share, and falls past
# the peak, where the last directions' variances are mostly estimation
# noise. The choice is stable across shuffled splits:

picks = [search(svd_dims_scorer, s, A, B).best_params_["svd_dims"] for s in (1, 2)]
print("on two more shuffled 5-fold splits:", picks)

# %%
# What the selected dimension means
# ---------------------------------
# It is the number of directions of each layer whose variances the data
# estimate well enough to predict new samples better than isotropic noise
# does: the layer's effective dimension *at this number of samples*. With
# more images it grows (more directions become reliable); it is not a count
# of "what the two networks share". That count is ``n_components`` once
# ``svd_dims`` is fixed -- the canonical pairs whose correlations improve
# the held-out likelihood:

dims = by_likelihood.best_params_["svd_dims"]
gs = GridSearchCV(
    SVCCA(svd_dims=dims),
    {"n_components": [1, 10, 50, 100, dims]},
    cv=KFold(5, shuffle=True, random_state=0),
    scoring=svd_dims_scorer,
)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    gs.fit(A, B)
print(f"with svd_dims={dims}: n_components =", gs.best_params_["n_components"])

# %%
# Here every canonical pair of the kept directions improves the held-out
# likelihood: networks trained on the same task from different seeds share
# most of what their layers represent, weakly for most directions.

# %%
# Then report the similarity of the chosen model, held out, as usual
# (``by_likelihood.cv_results_`` keeps the similarity too if you pass
# ``scoring={"ll": svd_dims_scorer, "similarity": None}`` with
# ``refit="ll"``).

# %%
# Synthetic layers of known dimension
# -----------------------------------
# Each layer is a low-rank signal plus isotropic noise: 2 directions shared
# by both layers and, stronger, 4 of each layer's own (6 signal directions
# per layer), in 40 and 50 neurons. The likelihood finds the 6.

rng = np.random.RandomState(0)
n = 2000
shared = rng.normal(size=(n, 2))


def layer(width):
    own = 3 * rng.normal(size=(n, 4))
    loadings = rng.normal(size=(6, width)) * 2 / np.sqrt(width)
    return np.hstack([shared, own]) @ loadings + rng.normal(size=(n, width))


X_syn, Y_syn = layer(40), layer(50)
small_grid = [1, 2, 3, 4, 5, 6, 7, 8, 10, 15, 20, 40]
found = search(svd_dims_scorer, 0, X_syn, Y_syn, small_grid).best_params_
print("synthetic layers, 6 signal directions each:", found)

# %%
# The SVCCA tutorial's SVHN layers
# --------------------------------
# When the tutorial's activations are beside the checkout, the same search
# on its two SVHN networks' fully connected layers (1000 images, 200 units):

DATA = "shared/data/svcca_tutorial_activations.npz"
paths = [d / DATA for d in (Path.cwd(), *Path.cwd().parents) if (d / DATA).exists()]
if paths:
    with np.load(paths[0]) as data:
        fc0, fc1 = data["svhn_model0_fc"], data["svhn_model1_fc"]
    svhn_grid = [1, 2, 3, 5, 10, 20, 50, 100, 150, 200]
    for seed in (0, 1, 2):
        best = search(svd_dims_scorer, seed, fc0, fc1, svhn_grid).best_params_
        print(f"SVHN fc layers, split {seed}:", best)
else:
    print("(the tutorial's activations are not available here)")

plt.show()
