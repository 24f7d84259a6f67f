"""
=========================================================
Which layer is which? Kornblith et al.'s sanity check
=========================================================

A similarity measure that is any use for comparing networks should at least
recognise that layer 3 of one network corresponds to layer 3 of the same
architecture trained from another seed. Kornblith et al. (ICML 2019,
Table 2) trained ten identical 10-layer CNNs on CIFAR-10 and, for each layer
of one network, asked which layer of another was most similar: linear CKA
picked the corresponding layer 99.3 % of the time, the CCA-based measures
(mean canonical correlation, SVCCA, PWCCA) at most about 15 %.

Here the same check runs on three multi-layer perceptrons with six tanh
hidden layers, trained from different seeds on scikit-learn's bundled
digits (no download), with every measure of this library:
:class:`~sklearn_svcca.CCA`, :class:`~sklearn_svcca.SVCCA`,
:class:`~sklearn_svcca.PWCCA`, :class:`~sklearn_svcca.CKA` (linear,
debiased, RBF) and :class:`~sklearn_svcca.Procrustes`.
``benchmarks/bench_layer_identification.py`` runs it with more seeds.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from threadpoolctl import threadpool_limits

from sklearn_svcca import (
    CCA,
    CKA,
    PWCCA,
    SVCCA,
    Procrustes,
    SimilarityMatrixDisplay,
    similarity_matrix,
)

# Every matrix here is small (900 x 64): multi-threaded BLAS spends more on
# synchronisation than it saves, ten times more on a busy 2-core machine.
single_thread = threadpool_limits(limits=1)

X, digit = load_digits(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(
    X / 16.0, digit, test_size=0.5, random_state=0, stratify=digit
)
DEPTH, SEEDS = 6, (0, 1, 2)


def hidden_layers(seed):
    """Train one network; its hidden activations on the test images."""
    net = MLPClassifier(
        (64,) * DEPTH, activation="tanh", max_iter=300, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        net.fit(X_train, y_train)
    print(f"seed {seed}: test accuracy {net.score(X_test, y_test):.3f}")
    layers, h = {}, X_test
    for i, (W, b) in enumerate(
        zip(net.coefs_[:-1], net.intercepts_[:-1], strict=True), 1
    ):
        h = np.tanh(h @ W + b)
        layers[f"s{seed}/h{i}"] = h
    return layers


layers = {}
for seed in SEEDS:
    layers.update(hidden_layers(seed))

# %%
# One similarity matrix per measure
# ---------------------------------
# All 18 layers (3 networks × 6) against each other in one call per measure:
# :func:`~sklearn_svcca.similarity_matrix` computes each layer's statistics
# (its moments, decomposition or RBF kernel) once. For each ordered pair of
# networks and each layer of the first, the layer of the second with the
# highest similarity is the measure's guess.

measures = {
    "CCA": CCA(),
    "SVCCA": SVCCA(),
    "PWCCA": PWCCA(),
    "CKA (linear)": CKA(),
    "CKA (debiased)": CKA(debiased=True),
    "CKA (RBF 0.4)": CKA(kernel="rbf", bandwidth=0.4),
    "Procrustes": Procrustes(),
}


def identification_accuracy(similarities):
    """Fraction of layers whose most similar layer in another net is their own."""
    hits = []
    for a in range(len(SEEDS)):
        for b in range(len(SEEDS)):
            if a != b:
                block = similarities[
                    a * DEPTH : (a + 1) * DEPTH, b * DEPTH : (b + 1) * DEPTH
                ]
                hits.extend(np.argmax(block, axis=1) == np.arange(DEPTH))
    return float(np.mean(hits))


results = {}
with warnings.catch_warnings():
    # 900 test images for 64 neurons: above the rule of thumb, but the
    # smallest layers of a saturated tanh network are near rank-deficient.
    warnings.simplefilter("ignore", UserWarning)
    for name, estimator in measures.items():
        results[name] = similarity_matrix(layers, estimator=estimator)

accuracy = {
    name: identification_accuracy(r.similarities) for name, r in results.items()
}
print(f"{'measure':<16}accuracy")
for name, value in accuracy.items():
    print(f"{name:<16}{value:6.1%}")

# %%
# The table
# ---------
# CKA and Procrustes find the corresponding layer far more often than the
# CCA-based measures, as in the paper; the exact figures depend on the
# networks (see the docs page comparing the measures for the benchmark's
# numbers over more seeds).

fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
ax.barh(list(accuracy), list(accuracy.values()), color="C0")
ax.invert_yaxis()
ax.set_xlim(0, 1)
ax.set_xlabel("layers identified (fraction)")
ax.set_title("Most similar layer of another network is the same layer")

# %%
# What the measures see
# ---------------------
# Networks 0 and 1, every layer against every layer. Both matrices peak
# near the diagonal, but differently: CCA's values fall with depth and are
# nearly flat among the deep layers (about 0.6 whatever the pair), which is
# where it picks the wrong layer; linear CKA is high everywhere (0.8-0.95)
# with its maximum on or next to the diagonal, and confuses neighbouring
# deep layers, which these small tanh networks barely change from one to
# the next.

fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
first = list(layers)[:DEPTH]
second = list(layers)[DEPTH : 2 * DEPTH]
for ax, name in zip(axes, ["CCA", "CKA (linear)"], strict=True):
    sub = similarity_matrix(
        {k: layers[k] for k in first},
        {k: layers[k] for k in second},
        estimator=measures[name],
    )
    SimilarityMatrixDisplay.from_result(sub, ax=ax)
    ax.set_title(name)
plt.show()
single_thread.restore_original_limits()
