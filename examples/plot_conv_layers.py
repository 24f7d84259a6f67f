"""
==============================
Comparing convolutional layers
==============================

Convolutional activations are maps of shape ``(n_samples, height, width,
channels)``. Flattening them into ``height·width·channels`` neurons makes
the covariance huge and needs far more samples than neurons. This example
compares the layers of two small convolutional networks on scikit-learn's
bundled digits (8×8 images, no download) with the four recipes of the SVCCA
tutorial:

- :class:`~sklearn_svcca.FourierCCA`: CCA frequency by frequency;
- :func:`~sklearn_svcca.conv.positions_as_samples`: every position a sample;
- :func:`~sklearn_svcca.conv.spatial_mean_pool`: one sample per image;
- :func:`~sklearn_svcca.conv.resize_maps`: bring two layers to one size.

The networks are random-feature networks (3×3 convolutions with random
filters, ReLU, average pooling), which is enough to show the recipes; with
real networks, pass their activations, channels last, or PyTorch's
``(N, C, H, W)`` maps with ``data_format="channels_first"``.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.model_selection import GroupKFold, KFold, cross_val_score

from sklearn_svcca import CCA, FourierCCA
from sklearn_svcca.conv import positions_as_samples, resize_maps, spatial_mean_pool
from sklearn_svcca.exceptions import SampleSizeWarning

warnings.simplefilter("ignore", SampleSizeWarning)
images = load_digits().images[..., None] / 16.0  # (1797, 8, 8, 1)


def conv_relu(maps, channels, rng):
    """A 3x3 'same' convolution with random filters, then ReLU."""
    _, h, w, c = maps.shape
    kernel = rng.normal(size=(3, 3, c, channels)) / np.sqrt(9 * c)
    padded = np.pad(maps, ((0, 0), (1, 1), (1, 1), (0, 0)))
    out = sum(
        padded[:, a : a + h, b : b + w] @ kernel[a, b]
        for a in range(3)
        for b in range(3)
    )
    return np.maximum(out + 0.1, 0.0)


def network(seed):
    """Two conv layers: (n, 8, 8, 16), then pooled to (n, 4, 4, 24)."""
    rng = np.random.RandomState(seed)
    layer1 = conv_relu(images, 16, rng)
    layer2 = conv_relu(layer1, 24, rng)
    layer2 = layer2.reshape(-1, 4, 2, 4, 2, 24).mean(axis=(2, 4))
    return layer1, layer2


a1, a2 = network(seed=0)
b1, b2 = network(seed=1)
shuffled_b1 = b1[np.random.RandomState(2).permutation(len(b1))]
cv = KFold(5, shuffle=True, random_state=0)
print(f"layer 1: {a1.shape}, layer 2: {a2.shape}")

# %%
# FourierCCA
# ----------
# After a 2-D DFT over height and width, each spatial frequency is a small
# CCA between the two layers' channel vectors. ``frequency_correlations_``
# holds them per frequency; ``similarity_`` is the mean of all of them, and
# ``score`` on held-out images removes the chance correlations (compare
# with images matched to the wrong activations).
fcca = FourierCCA().fit(a1, b1)
print(f"frequency_correlations_: {fcca.frequency_correlations_.shape}")
print(f"in-sample similarity:  {fcca.similarity_:.3f}")
print(
    f"held-out similarity:   {cross_val_score(FourierCCA(), a1, b1, cv=cv).mean():.3f}"
)
baseline = cross_val_score(FourierCCA(), a1, shuffled_b1, cv=cv).mean()
print(f"held-out, shuffled:    {baseline:.3f}")

# %%
# Layers of different spatial sizes are compared on the frequencies both
# have (``-m/2 <= f < m/2`` on each axis, ``m`` the smaller size): here the
# 4×4 second layer of one network against the 8×8 first layer of the other.
mixed = FourierCCA().fit(a2, b1)
print(f"layer 2 (4x4) vs layer 1 (8x8): grid {mixed.frequency_correlations_.shape}")
print(f"held-out: {cross_val_score(FourierCCA(), a2, b1, cv=cv).mean():.3f}")

# %%
# The mean correlation at each frequency, with the zero frequency (the
# spatial mean) in the centre. For these random-feature networks the low
# frequencies agree slightly more than the highest ones; for trained
# networks this map shows which spatial scales two layers share.
H, W = fcca.frequency_correlations_.shape[:2]
per_frequency = np.fft.fftshift(fcca.frequency_correlations_.mean(axis=-1))
freqs_h = np.fft.fftshift(np.fft.fftfreq(H, 1 / H)).astype(int)
freqs_w = np.fft.fftshift(np.fft.fftfreq(W, 1 / W)).astype(int)
fig, ax = plt.subplots(figsize=(4.5, 3.8))
im = ax.imshow(per_frequency, cmap="viridis")
ax.set_xticks(range(W), freqs_w)
ax.set_yticks(range(H), freqs_h)
ax.set_xlabel("horizontal frequency (cycles per map)")
ax.set_ylabel("vertical frequency")
ax.set_title("Mean canonical correlation per frequency")
fig.colorbar(im, ax=ax)
fig.tight_layout()

# %%
# The other recipes
# -----------------
# *Positions as samples* (same spatial size only): every position of every
# image is a row, the channels are the neurons. Rows of one image are not
# independent, so cross-validate with the returned ``groups``: no image is
# split across folds.
X_rows, Y_rows, groups = positions_as_samples(a1, b1)
positions = cross_val_score(CCA(), X_rows, Y_rows, groups=groups, cv=GroupKFold(5))
print(f"positions as samples {X_rows.shape}: held-out {positions.mean():.3f}")

# %%
# *Spatial mean pooling* works for any sizes and gives one row per image; it
# is the DC (zero-frequency) part of FourierCCA, and discards the rest.
pooled = cross_val_score(CCA(), spatial_mean_pool(a2), spatial_mean_pool(b1), cv=cv)
print(f"mean pooling: held-out {pooled.mean():.3f}")
dc = mixed.frequency_correlations_[0, 0]
pooled_cca = CCA().fit(spatial_mean_pool(a2), spatial_mean_pool(b1))
same = np.allclose(dc, pooled_cca.canonical_correlations_)
print(f"DC of FourierCCA equals CCA of the pooled maps: {same}")

# %%
# *Resizing* upsamples the smaller layer (bilinear, ``scipy.ndimage.zoom``)
# so that positions can be matched.
a2_up = resize_maps(a2, b1.shape[1:3])
X_rows, Y_rows, groups = positions_as_samples(a2_up, b1)
resized = cross_val_score(CCA(), X_rows, Y_rows, groups=groups, cv=GroupKFold(5))
print(f"resized to {a2_up.shape[1:3]}, positions: held-out {resized.mean():.3f}")

# %%
# Exactness on a translation-invariant dataset
# --------------------------------------------
# If the dataset holds every circular shift of every image, the covariance
# of the flattened layer is block-diagonal in the Fourier basis, and the
# union of FourierCCA's coefficients is exactly plain CCA of the flattened
# layers — which needs a ``(h·w·c)²`` covariance and many more samples.
rng = np.random.RandomState(3)
base_x = rng.normal(size=(30, 6, 6, 3))
base_y = np.tanh(base_x + np.roll(base_x, 1, axis=1)) @ rng.normal(size=(3, 2))
base_y += 0.3 * rng.normal(size=base_y.shape)
shifts = [(i, j) for i in range(6) for j in range(6)]
X_ti = np.concatenate([np.roll(base_x, s, axis=(1, 2)) for s in shifts])
Y_ti = np.concatenate([np.roll(base_y, s, axis=(1, 2)) for s in shifts])
fourier = FourierCCA().fit(X_ti, Y_ti).canonical_correlations_
flat = CCA().fit(X_ti.reshape(len(X_ti), -1), Y_ti.reshape(len(Y_ti), -1))
gap = np.abs(fourier - flat.canonical_correlations_).max()
print(f"{fourier.size} coefficients; largest difference from flattened CCA: {gap:.1e}")
