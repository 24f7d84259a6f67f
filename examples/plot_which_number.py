"""
======================================================
Which number to report: one pair of layers, seven ways
======================================================

The library can give several similarities for one pair of layers, and they
differ a lot. This example computes each one on the same pair -- the first
ReLU convolutional layer of two small CNNs trained on scikit-learn's digits
from different seeds -- with its baseline (its value on data where there is
nothing to find) and what it means. The guide :ref:`reporting` explains how
to choose; the numbers it refers to are the ones printed here.

The networks are trained with PyTorch when it is installed. Without it, the
layers are those of random-feature networks (random 3x3 filters), which
shows the same recipes on untrained layers.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GroupKFold, KFold, cross_val_score, train_test_split

from sklearn_svcca import CCA, SVCCA, FourierCCA
from sklearn_svcca.conv import positions_as_samples, spatial_mean_pool
from sklearn_svcca.exceptions import SampleSizeWarning
from sklearn_svcca.metrics import svd_dims_scorer
from sklearn_svcca.stats import similarity_baseline

images, labels = load_digits(return_X_y=True)
images = images.reshape(-1, 8, 8, 1) / 16.0
train, test = train_test_split(
    np.arange(len(images)), test_size=0.4, stratify=labels, random_state=0
)

# %%
# Two networks
# ------------
# conv 3x3 (16 channels) -> ReLU -> conv 3x3 (32) -> ReLU -> average pool
# -> linear, trained on 1078 images; the layers compared are the first ReLU's
# activations on the other 719 images, ``(719, 8, 8, 16)``, channels last.

try:
    import torch

    # Small networks: threads only contend on a shared machine.
    torch.set_num_threads(1)
except ImportError:
    torch = None


def relu1_trained(seed):
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 16, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.Conv2d(16, 32, 3, padding=1),
        torch.nn.ReLU(),
        torch.nn.AvgPool2d(2),
        torch.nn.Flatten(),
        torch.nn.Linear(32 * 16, 10),
    )
    x = torch.tensor(images.transpose(0, 3, 1, 2), dtype=torch.float32)
    y = torch.tensor(labels)
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    generator = torch.Generator().manual_seed(seed)
    for _ in range(15):
        for batch in torch.randperm(len(train), generator=generator).split(64):
            rows = torch.as_tensor(train)[batch]
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(net(x[rows]), y[rows]).backward()
            optimizer.step()
    with torch.no_grad():
        accuracy = (net(x[test]).argmax(1) == y[test]).float().mean().item()
        relu1 = net[1](net[0](x[test])).numpy().transpose(0, 2, 3, 1)
    return relu1.astype(np.float64), accuracy


def relu1_random(seed):
    rng = np.random.RandomState(seed)
    kernel = rng.normal(size=(3, 3, 1, 16)) / 3.0
    padded = np.pad(images[test], ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = sum(
        padded[:, a : a + 8, b : b + 8] @ kernel[a, b]
        for a in range(3)
        for b in range(3)
    )
    return np.maximum(out + 0.1, 0.0), float("nan")


make = relu1_trained if torch is not None else relu1_random
(A, acc_a), (B, acc_b) = make(0), make(1)
n, h, w, c = A.shape
print(f"relu1: {A.shape}; test accuracy {acc_a:.3f} (A), {acc_b:.3f} (B)")

# %%
# Seven numbers
# --------------
# Each row: the recipe, in-sample or held-out, the value, its baseline (the
# mean over B's images shuffled, which keeps each layer's statistics and
# destroys only the pairing; for held-out values the same held-out
# similarity on shuffled data) and the baseline's spread.

warnings.simplefilter("ignore", SampleSizeWarning)
rows = []
cv = KFold(5, shuffle=True, random_state=0)


def add(recipe, kind, value, baseline):
    rows.append((recipe, kind, value, baseline.null_mean, baseline.null_std))


# 1. FourierCCA: CCA frequency by frequency, averaged.
fourier = FourierCCA().fit(A, B).similarity_
add(
    "FourierCCA",
    "in-sample",
    fourier,
    similarity_baseline(FourierCCA(), A, B, n_resamples=5, random_state=0),
)

# 2. Mean over positions, then SVCCA: one 16-channel sample per image.
pa, pb = spatial_mean_pool(A), spatial_mean_pool(B)
add(
    "pooled SVCCA",
    "held-out",
    cross_val_score(SVCCA(), pa, pb, cv=cv).mean(),
    similarity_baseline(SVCCA(), pa, pb, cv=cv, n_resamples=20, random_state=0),
)


# 3. and 4. Positions as samples: every (image, position) a 16-channel
# sample. Positions of one image are not independent, so folds and
# shuffles move whole images.
XA, XB, groups = positions_as_samples(A, B)
folds = GroupKFold(5)


def shuffled_images(estimator, held_out, n_resamples=5):
    """The baseline with B's images shuffled, then split into positions."""
    rng = np.random.RandomState(0)
    values = []
    for _ in range(n_resamples):
        X, Y, _ = positions_as_samples(A, B[rng.permutation(n)])
        if held_out:
            score = cross_val_score(estimator, X, Y, cv=folds, groups=groups)
            values.append(score.mean())
        else:
            values.append(estimator.fit(X, Y).similarity_)
    return Baseline(np.mean(values), np.std(values))


class Baseline:
    def __init__(self, null_mean, null_std):
        self.null_mean, self.null_std = null_mean, null_std


add(
    "positions as samples, CCA",
    "in-sample",
    CCA().fit(XA, XB).similarity_,
    shuffled_images(CCA(), held_out=False),
)
add(
    "positions as samples, SVCCA",
    "held-out",
    cross_val_score(SVCCA(), XA, XB, cv=folds, groups=groups).mean(),
    shuffled_images(SVCCA(), held_out=True),
)

# 5., 6. and 7. Flattened: every (position, channel) a neuron, 1024 of them
# for 719 images. CCA in sample is meaningless there (more neurons than
# images); SVCCA(50) in sample is what a first try gives; held out, with
# svd_dims chosen by the likelihood, is what generalises.
FA, FB = A.reshape(n, -1), B.reshape(n, -1)
add(
    "flattened CCA",
    "in-sample",
    CCA().fit(FA, FB).similarity_,
    similarity_baseline(CCA(), FA, FB, n_resamples=3, random_state=0),
)
add(
    "flattened SVCCA(50)",
    "in-sample",
    SVCCA(svd_dims=50).fit(FA, FB).similarity_,
    similarity_baseline(SVCCA(svd_dims=50), FA, FB, n_resamples=20, random_state=0),
)
grid = [10, 50, 100, 200]
cv3 = KFold(3, shuffle=True, random_state=0)
scores = [
    cross_val_score(SVCCA(svd_dims=d), FA, FB, cv=cv3, scoring=svd_dims_scorer).mean()
    for d in grid
]
best = grid[int(np.argmax(scores))]
add(
    f"flattened SVCCA({best}), svd_dims by likelihood",
    "held-out",
    cross_val_score(SVCCA(svd_dims=best), FA, FB, cv=cv3).mean(),
    similarity_baseline(
        SVCCA(svd_dims=best), FA, FB, cv=cv3, n_resamples=5, random_state=0
    ),
)

print(f"{'recipe':<46}{'':>10}{'value':>7}{'baseline':>10}{'± std':>7}")
for recipe, kind, value, base, spread in rows:
    print(f"{recipe:<46}{kind:>10}{value:>7.3f}{base:>10.3f}{spread:>7.3f}")

# %%
# What each number means
# ----------------------
# - **FourierCCA** compares what the two layers compute at each spatial
#   frequency and averages over all of them, including the high
#   frequencies where 8x8 maps carry little shared structure; it assumes
#   the layers are translation-equivariant (convolutions are, up to the
#   borders) and is exact then.
# - **Pooled SVCCA** compares what is present anywhere in the image,
#   ignoring where: high whenever both layers detect the same features.
# - **Positions as samples** compares the channels as functions of a local
#   patch: the same filters, wherever they fire; folds must split by image.
#   Its baseline is well above 0 even held out: with B's images shuffled,
#   row ``i`` of both layers is still the same *position*, and where a
#   position is in the image (border or centre of a digit) is shared
#   structure. Read the value against that baseline, not against 0.
# - **Flattened** treats each position of each channel as a neuron: 1024
#   neurons for 719 images. In sample, CCA matches anything in that many
#   dimensions: its value and its baseline are both 1, and the number is
#   meaningless. SVCCA(50) keeps 50 directions per layer, few enough for
#   719 images that its in-sample value is far above its baseline. Held
#   out, with ``svd_dims`` chosen by
#   :func:`~sklearn_svcca.metrics.svd_dims_scorer`, it measures how well one
#   layer's dominant spatial patterns predict the other's on new images.
#
# None is "the" similarity: each answers a different question, which is why
# a report should name the recipe, say in-sample or held-out, and give the
# baseline next to the value.

fig, ax = plt.subplots(figsize=(7, 3), layout="constrained")
y = np.arange(len(rows))[::-1]
ax.barh(y, [r[2] for r in rows], color="C0", label="value")
ax.errorbar(
    [r[3] for r in rows],
    y,
    xerr=[r[4] for r in rows],
    fmt="o",
    color="k",
    label="baseline",
)
ax.set_yticks(y, [f"{r[0]} ({r[1]})" for r in rows], fontsize="small")
ax.set_xlabel("similarity")
ax.legend(fontsize="small", loc="lower right")
plt.show()
