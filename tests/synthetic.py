"""The one data generator of the cross-cutting suites.

Seeded, small, and shaped like activations: two views of the same samples
that share a few latent factors (so the measures have something to find),
with offsets (so centering matters), optionally with the rank deficiency
real layers have (dead and duplicated neurons), in float32, or as
convolutional feature maps ``(n, height, width, channels)`` for FourierCCA.
The independent reference implementation lives in ``reference.py``.
"""

import numpy as np


def _rng(seed):
    return (
        seed if isinstance(seed, np.random.RandomState) else np.random.RandomState(seed)
    )


def _offsets(offset):
    """``offset`` for X and ``-offset`` for y, or an explicit ``(x, y)`` pair."""
    if isinstance(offset, tuple):
        return offset
    return offset, -offset


def views(
    seed,
    n,
    p,
    q,
    *,
    latent=2,
    noise=1.0,
    offset=0.0,
    rank_deficient=False,
    dtype=np.float64,
):
    """Two views sharing ``latent`` Gaussian factors, plus Gaussian noise.

    Parameters
    ----------
    seed : int or RandomState
    n, p, q : int
        Samples, and features of X and y.
    latent : int, default=2
        Shared factors; the population canonical correlations are non-zero
        for at most that many directions.
    noise : float, default=1.0
        Standard deviation of the independent noise of each feature.
    offset : float or (float, float), default=0.0
        Added to X and subtracted from y, or ``(x_offset, y_offset)``.
    rank_deficient : bool, default=False
        Make X's last feature an exact linear combination of the first two
        and its second-to-last a dead neuron (constant 3.0): what the exact
        (QR) route is for. Needs ``p >= 4``.
    dtype : dtype, default=float64
    """
    rng = _rng(seed)
    x_offset, y_offset = _offsets(offset)
    Z = rng.normal(size=(n, latent))
    X = Z @ rng.normal(size=(latent, p)) + noise * rng.normal(size=(n, p)) + x_offset
    Y = Z @ rng.normal(size=(latent, q)) + noise * rng.normal(size=(n, q)) + y_offset
    if rank_deficient:
        X[:, -1] = X[:, 0] - X[:, 1]
        X[:, -2] = 3.0
    return X.astype(dtype), Y.astype(dtype)


def with_dead_and_duplicated(X, rng):
    """X with a dead neuron, an affine copy of a random neuron and a constant.

    Neither adds a direction to X's centered column space.
    """
    n = X.shape[0]
    j = rng.randint(X.shape[1])
    return np.c_[np.zeros(n), X, X[:, j] * 3.0 - 1.0, np.full(n, 0.25)]


def maps(
    seed,
    n,
    x_shape=(5, 4, 3),
    y_shape=(4, 6, 2),
    *,
    offset=(2.0, -1.0),
    dependent=False,
    dtype=np.float64,
):
    """Two layers of conv maps ``(n, h, w, c)`` sharing a signal.

    y's first channel sees X's first channel (resized to y's map), so the
    layers are related at every frequency; the maps may differ in size and
    be non-square.

    Parameters
    ----------
    seed : int or RandomState
    n : int
    x_shape, y_shape : tuple of 3 ints
        ``(height, width, channels)`` of each layer.
    offset : float or (float, float), default=(2.0, -1.0)
        Added to X and subtracted from y, or ``(x_offset, y_offset)``.
    dependent : bool, default=False
        Make X's third channel its first plus a per-sample constant map:
        dependent at every frequency but DC, where the exact route is needed
        ("mixed"). Needs at least 3 channels.
    dtype : dtype, default=float64
    """
    rng = _rng(seed)
    x_offset, y_offset = _offsets(offset)
    X = rng.normal(size=(n, *x_shape)) + x_offset
    Y = rng.normal(size=(n, *y_shape)) + y_offset
    Y[..., 0] += np.resize(X[..., 0], (n, *y_shape[:2]))
    if dependent:
        X[..., 2] = X[..., 0] + rng.normal(size=(n, 1, 1))
    return X.astype(dtype), Y.astype(dtype)
