"""
=========================================================
Two PyTorch CNNs on digits: layers, training, classes
=========================================================

The SVCCA paper's three analyses, on real PyTorch models, each in one call
of :mod:`sklearn_svcca.torch`:

1. every layer of one network against every layer of another network of
   the same architecture trained from a different seed
   (:func:`~sklearn_svcca.torch.compare_models`);
2. the learning dynamics: each layer during training against the same
   layer at the end (:func:`~sklearn_svcca.torch.compare_checkpoints`);
3. class sensitivity: each layer against each class's logit
   (:func:`~sklearn_svcca.torch.class_sensitivity`).

The activations are never held in memory: forward hooks capture each
layer batch by batch, and only the moments of every layer and pair are
accumulated (see :ref:`torch`). The data are scikit-learn's bundled 8x8
digits (no download); the networks train on the CPU in seconds.

This example needs PyTorch (``pip install "sklearn-svcca[torch]"``).
"""

import copy

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

try:
    import torch
except ImportError as exc:  # the documentation build installs PyTorch
    raise ImportError(
        "This example needs PyTorch: pip install 'sklearn-svcca[torch]'."
    ) from exc

from sklearn_svcca import (
    CKA,
    PWCCA,
    ClassSensitivityDisplay,
    LearningDynamicsDisplay,
    SimilarityMatrixDisplay,
)
from sklearn_svcca.torch import class_sensitivity, compare_models

torch.set_num_threads(1)  # small tensors: one thread is fastest
X, digit = load_digits(return_X_y=True)
X = torch.tensor(X / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
digit = torch.tensor(digit)
train_idx, test_idx = train_test_split(
    np.arange(len(X)), test_size=700, random_state=0, stratify=digit
)
X_train, y_train = X[train_idx], digit[train_idx]
X_test, y_test = X[test_idx], digit[test_idx]


def cnn(seed):
    torch.manual_seed(seed)
    net = torch.nn.Sequential()
    net.add_module("conv1", torch.nn.Conv2d(1, 16, 3, padding=1))
    net.add_module("relu1", torch.nn.ReLU())
    net.add_module("conv2", torch.nn.Conv2d(16, 32, 3, padding=1))
    net.add_module("relu2", torch.nn.ReLU())
    net.add_module("pool", torch.nn.MaxPool2d(2))
    net.add_module("flatten", torch.nn.Flatten())
    net.add_module("fc1", torch.nn.Linear(32 * 4 * 4, 48))
    net.add_module("relu3", torch.nn.ReLU())
    net.add_module("logits", torch.nn.Linear(48, 10))
    return net


def train(seed, epochs=8, checkpoints=(0, 1, 2, 4, 8)):
    """Adam on the training digits; a state dict at each checkpoint epoch."""
    net = cnn(seed)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(seed)
    states = {0: copy.deepcopy(net.state_dict())}
    for epoch in range(1, epochs + 1):
        order = torch.randperm(len(X_train), generator=generator)
        for batch in order.split(64):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(
                net(X_train[batch]), y_train[batch]
            )
            loss.backward()
            optimizer.step()
        if epoch in checkpoints:
            states[epoch] = copy.deepcopy(net.state_dict())
    with torch.no_grad():
        accuracy = (net(X_test).argmax(1) == y_test).float().mean().item()
    print(f"seed {seed}: test accuracy {accuracy:.3f}")
    return net, states


net_a, states_a = train(seed=0)
net_b, _ = train(seed=1)
layers = ["relu1", "relu2", "relu3", "logits"]

# %%
# Every layer of A against every layer of B
# -----------------------------------------
# One pass over the held-out digits serves both measures, PWCCA and linear
# CKA. Conv maps are
# compared through their spatial mean (``conv="pool"``, one feature per
# channel); ``conv="fourier"`` would use FourierCCA for pairs of maps.
# In-sample similarities of layers this wide on 700 images are inflated by
# chance correlations, so the PWCCA matrix is also shown held out (5-fold,
# ``cv=5``): fitted on four fifths of the stream, scored on the rest.

loader = torch.utils.data.DataLoader(
    torch.utils.data.TensorDataset(X_test, y_test), batch_size=128
)
results = compare_models(
    net_a, net_b, loader, layers_a=layers, layers_b=layers,
    estimator=[PWCCA(), CKA()],
)  # fmt: skip
held_out = compare_models(
    net_a, net_b, loader, layers_a=layers, layers_b=layers, estimator=PWCCA(), cv=5
)
fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), layout="constrained")
for ax, (title, result) in zip(
    axes,
    [
        ("PWCCA", results["PWCCA"]),
        ("linear CKA", results["CKA"]),
        ("PWCCA, held out", held_out),
    ],
    strict=True,
):
    SimilarityMatrixDisplay.from_result(result, ax=ax, colorbar=False)
    ax.set(title=title, xlabel="network B (seed 1)", ylabel="network A (seed 0)")
plt.show()

# %%
# Under PWCCA the top layers of the two networks agree most: ``relu3`` and
# the logits of either network are close to linear functions of each
# other, as both read out the same class evidence. The conv layers agree
# less and lose the most when held out: the spatial mean keeps 16 and 32
# numbers per image of maps that hold far more (``conv="fourier"``
# compares the maps frequency by frequency). PWCCA weighs by the first
# network's directions, so its matrix is not symmetric.
#
# Linear CKA weighs every direction by its variance, and sees two blocks:
# the pooled conv layers agree with each other across the networks, the
# dense layers with each other, and the two groups barely at all -- the
# directions along which the pooled maps vary most are not those that
# carry the class evidence dominating the top layers. Same activations,
# one pass, two questions answered differently.

# %%
# Learning dynamics
# -----------------
# Each layer of network A at each checkpoint against the same layer after
# training (the reference, the last checkpoint), as in the paper's
# learning-dynamics figure. The paper found that layers near the input
# settle first; read the figure for what this network does. Here the
# read-out layers are close to their final state after one epoch, while
# the (pooled) conv layers keep changing: on a task this small, the top
# layers are pinned by the labels early.

display = LearningDynamicsDisplay.from_checkpoints(
    cnn(0), states_a, X_test, layers, plot_kw={"colorbar": True}
)
display.ax_.set_title("similarity to the final network (SVCCA), network A")
display.ax_.set_xlabel("epoch")
plt.show()

# %%
# Class sensitivity
# -----------------
# How much of each class's logit each layer already carries: the
# similarity (SVCCA) of each layer with each class's logit. ``relu3``
# carries them all (the logits are a linear function of it), and the
# logits layer itself scores 1; the pooled conv layers carry some classes'
# logits better than others.

result = class_sensitivity(net_a, X_test, layers, logits="logits")
display = ClassSensitivityDisplay.from_result(result, include_values=False)
display.ax_.set_title("layer vs class logit (SVCCA), network A")
plt.show()
