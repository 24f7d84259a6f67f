"""
=========================================================
Layer-by-layer similarity and learning dynamics
=========================================================

The SVCCA paper's learning-dynamics panes compare every layer of a network
during training with every layer of the trained network, and find that
layers close to the input settle first ("bottom-up convergence").
:func:`~sklearn_svcca.similarity_matrix` computes one such pane in one call,
decomposing each layer once however many pairs it appears in, and
:class:`~sklearn_svcca.SimilarityMatrixDisplay` draws it.

A small multi-layer perceptron is trained on scikit-learn's bundled digits
(no download) with checkpoints along the way; activations are recorded on
held-out images.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from sklearn_svcca import SVCCA, SimilarityMatrixDisplay, similarity_matrix

X, digit = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, digit, test_size=800, random_state=0, stratify=digit
)


def layer_activations(net, X):
    """The input, every hidden layer's ReLU activations and the logits."""
    layers, h = {"input": X}, X
    hidden = zip(net.coefs_[:-1], net.intercepts_[:-1], strict=True)
    for i, (W, b) in enumerate(hidden, 1):
        h = np.maximum(h @ W + b, 0.0)
        layers[f"h{i}"] = h
    layers["logits"] = h @ net.coefs_[-1] + net.intercepts_[-1]
    return layers


def train(seed, checkpoints):
    """Train for max(checkpoints) epochs; activations at each checkpoint."""
    net = MLPClassifier(hidden_layer_sizes=(64, 48, 32, 24), random_state=seed)
    history = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for epoch in range(1, max(checkpoints) + 1):
            net.partial_fit(X_train, y_train, classes=np.arange(10))
            if epoch in checkpoints:
                history[epoch] = layer_activations(net, X_test)
    print(f"seed {seed}: test accuracy {net.score(X_test, y_test):.3f}")
    return history


checkpoints = (1, 3, 10, 40)
run_a = train(seed=0, checkpoints=checkpoints)
final_a = run_a[checkpoints[-1]]

# %%
# Learning dynamics
# -----------------
# Each pane compares the layers at one checkpoint (rows) with the layers of
# the trained network (columns). SVCCA keeps the 10 leading singular
# directions of every layer, so that layers of different widths are compared
# on an equal footing (the logits have 10 units). Read the diagonal: the
# layers close to the input match their final selves early, the deeper ones
# later -- the paper's bottom-up convergence.
estimator = SVCCA(svd_dims=10)
fig, axes = plt.subplots(1, len(checkpoints), figsize=(4 * len(checkpoints), 4))
for ax, epoch in zip(axes, checkpoints, strict=True):
    result = similarity_matrix(run_a[epoch], final_a, estimator=estimator)
    SimilarityMatrixDisplay.from_result(
        result, ax=ax, colorbar=False, include_values=False, xticks_rotation=45
    )
    ax.set_title(f"epoch {epoch} vs trained")
    pairs = zip(result.labels_a, np.diag(result.similarities), strict=True)
    diagonal = "  ".join(f"{name} {value:.2f}" for name, value in pairs)
    print(f"epoch {epoch:>2}: {diagonal}")
axes[0].set_ylabel("during training")
for ax in axes:
    ax.set_xlabel("trained")
fig.tight_layout()

# %%
# One network against another
# ---------------------------
# Two training runs from different seeds. The similarity is largest near the
# diagonal and falls off with the distance between layers. With
# ``layers_b`` omitted a network is compared with itself: the matrix is
# symmetric, and only half of it is computed.
run_b = train(seed=1, checkpoints=checkpoints[-1:])
final_b = run_b[checkpoints[-1]]
fig, axes = plt.subplots(1, 2, figsize=(11, 5))
SimilarityMatrixDisplay.from_layers(
    final_a, final_b, estimator=estimator, ax=axes[0], colorbar=False
)
axes[0].set(title="network A vs network B", ylabel="network A", xlabel="network B")
self_similarity = similarity_matrix(final_a, estimator=estimator)
print(f"symmetric, half computed: {self_similarity.symmetric}")
SimilarityMatrixDisplay.from_result(self_similarity, ax=axes[1])
axes[1].set(title="network A vs itself")
fig.tight_layout()
plt.show()
