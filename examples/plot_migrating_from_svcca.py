"""
=======================================
Migrating from the original SVCCA code
=======================================

The original research code (google/svcca) takes activations as
``(neurons, datapoints)`` and returns dicts. :mod:`sklearn_svcca.compat`
reproduces its functions and numbers; the estimators compute the textbook
and paper definitions. This example puts the two side by side on the logits
of two networks, explains the two numbers that differ, and shows what the
estimators add: held-out similarity.

It uses the original tutorial's MNIST logits when the file
``shared/data/svcca_tutorial_activations.npz`` sits beside the repository,
and otherwise the logits of two small networks trained here on scikit-learn's
bundled digits (no download).
"""

import warnings
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import KFold, cross_val_score
from sklearn.neural_network import MLPClassifier

from sklearn_svcca import CCA, PWCCA
from sklearn_svcca.compat import compute_pwcca, get_cca_similarity


def tutorial_logits():
    """The tutorial's MNIST logits, (neurons, datapoints), or None."""
    here = Path(globals().get("__file__", "examples/x.py")).resolve()
    for root in here.parents:
        path = root / "shared" / "data" / "svcca_tutorial_activations.npz"
        if path.exists():
            with np.load(path) as data:
                return (
                    data["mnist_model0_logits"].T.astype(np.float64),
                    data["mnist_model1_logits"].T.astype(np.float64),
                    "the tutorial's MNIST networks",
                )
    return None


def digits_logits():
    """Logits of two MLPs trained on digits with different seeds."""
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    logits = []
    for seed in (0, 1):
        net = MLPClassifier(hidden_layer_sizes=(32,), max_iter=100, random_state=seed)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.fit(X, y)
        hidden = np.maximum(X @ net.coefs_[0] + net.intercepts_[0], 0.0)
        logits.append((hidden @ net.coefs_[1] + net.intercepts_[1]).T)
    return logits[0], logits[1], "two MLPs trained on digits"


acts1, acts2, source = tutorial_logits() or digits_logits()
print(f"Comparing {source}: acts1 {acts1.shape}, acts2 {acts2.shape}")

# %%
# The same numbers as the original
# --------------------------------
# ``compat`` takes the original's ``(neurons, datapoints)`` arrays and returns
# its dict. Only the import changes.
results = get_cca_similarity(acts1, acts2, epsilon=0.0)
coefs = results["cca_coef1"]
pwcca_original, weights_original, _ = compute_pwcca(acts1, acts2, epsilon=0.0)
print("coefficients:", np.round(coefs, 4))

# %%
# The estimators
# --------------
# The estimators take scikit-learn's ``(samples, neurons)`` layout: transpose.
X, Y = acts1.T, acts2.T
cca = CCA().fit(X, Y)
pwcca = PWCCA().fit(X, Y)
print("same coefficients:", np.allclose(cca.canonical_correlations_, coefs))

rows = [
    ("mean of all coefficients", np.mean(coefs), cca.similarity_),
    ('original "mean" (threshold 0.98)', results["mean"][0], None),
    ("projection-weighted mean", pwcca_original, pwcca.similarity_),
]
print(f"\n{'':34}{'original/compat':>16}{'estimator':>11}")
for name, original, estimator in rows:
    right = "-" if estimator is None else f"{estimator:.6f}"
    print(f"{name:34}{original:16.6f}{right:>11}")

# %%
# Two numbers differ, by design:
#
# - The original's ``results["mean"]`` is a *thresholded* mean: it averages
#   only the leading coefficients that hold 98 % of their total mass, dropping
#   the smallest ones. ``CCA.similarity_`` (and ``score``) is the plain mean.
# - ``compute_pwcca`` applies the left singular vectors to unwhitened,
#   centered activations, adds the means back and orthonormalises with a QR
#   decomposition; ``PWCCA`` weights the canonical variates themselves, as the
#   paper defines it. The weights differ, hence the similarity.
cut = int(np.searchsorted(np.cumsum(coefs) / coefs.sum(), 0.98)) + 1
fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.8))
index = np.arange(1, coefs.size + 1)
ax1.plot(index, coefs, "o-", label="coefficients")
ax1.axhline(np.mean(coefs), color="C1", label="plain mean (CCA)")
ax1.axhline(results["mean"][0], color="C2", ls="--", label='original "mean"')
ax1.axvspan(cut + 0.5, coefs.size + 0.5, color="0.9", label="dropped by threshold")
ax1.set(xlabel="canonical pair", ylabel="correlation", ylim=(0, 1.05))
ax1.legend(loc="lower left", fontsize="small")
width = 0.4
ax2.bar(index - width / 2, weights_original, width, label="compute_pwcca")
ax2.bar(index + width / 2, pwcca.projection_weights_, width, label="PWCCA (paper)")
ax2.set(xlabel="canonical pair", ylabel="weight")
ax2.legend(fontsize="small")
fig.tight_layout()

# %%
# What the estimators add: held-out similarity
# --------------------------------------------
# In-sample canonical correlations are biased upwards by chance correlations.
# ``cross_val_score`` fits on some datapoints and scores on the others, which
# the original code could not do. Independent noise of the same shape shows
# the size of the bias. Shuffle the folds: activation files are often stored
# in dataset order (for instance sorted by class), and contiguous folds would
# then test on a different distribution than they were fitted on.
rng = np.random.RandomState(0)
noise1, noise2 = rng.normal(size=X.shape), rng.normal(size=Y.shape)
cv = KFold(n_splits=5, shuffle=True, random_state=0)
for name, (A, B) in {"logits": (X, Y), "noise": (noise1, noise2)}.items():
    in_sample = CCA().fit(A, B).similarity_
    held_out = cross_val_score(CCA(), A, B, cv=cv).mean()
    print(f"{name:7} in-sample {in_sample:.3f}  held-out {held_out:.3f}")

# %%
# Dead neurons
# ------------
# The original returns NaN or fails with "SVD did not converge" when a layer
# has a dead (constant) or duplicated neuron. ``compat`` returns the value of
# the same recipe in exact arithmetic: the rank's canonical correlations,
# then zeros.
dead = np.vstack([acts1, np.zeros((1, acts1.shape[1])), 2.0 * acts1[:1]])
results_dead = get_cca_similarity(dead, acts2)
print("with a dead and a duplicated neuron:", np.round(results_dead["cca_coef1"], 4))
print("unchanged:", np.allclose(results_dead["cca_coef1"], coefs))
plt.show()
