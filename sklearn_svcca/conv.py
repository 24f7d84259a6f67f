"""Recipes for comparing convolutional layers, one call each.

A convolutional layer's activations are maps of shape ``(n_samples, height,
width, channels)`` (``data_format="channels_last"``, the default: TensorFlow's
layout and the original SVCCA code's) or ``(n_samples, channels, height,
width)`` (``data_format="channels_first"``: PyTorch's ``(N, C, H, W)``). Maps
read channels last whose last two axes are equal and differ from the second,
e.g. ``(100, 32, 8, 8)``, get a
:class:`~sklearn_svcca.exceptions.DataFormatWarning`. With
``sklearn.set_config(array_api_dispatch=True)`` every recipe takes and
returns arrays of the input's namespace and device (PyTorch, CuPy, ...). The
SVCCA tutorial compares such layers in four
ways; :class:`~sklearn_svcca.FourierCCA` is one, the other three are here:

- :func:`positions_as_samples`: every spatial position of every image is a
  sample, the channels are the neurons. For two layers of the same spatial
  size whose positions correspond.
- :func:`spatial_mean_pool`: average over space, one sample per image. For
  layers of any sizes, when the question is about what the channels encode
  regardless of where.
- :func:`resize_maps`: interpolate one layer to the other's spatial size, so
  that layers of different sizes can be compared position by position.

Which to use
------------
- Same size, positions aligned (two training runs of one architecture, two
  checkpoints): :func:`positions_as_samples` uses all the data; cross-validate
  with the returned ``groups`` and :class:`~sklearn.model_selection.GroupKFold`.
- Different sizes, or you want one number per image: :func:`spatial_mean_pool`
  (cheap; loses all spatial structure) or :class:`~sklearn_svcca.FourierCCA`
  (keeps it, frequency by frequency, exact for translation-invariant data).
- Different sizes and you need positions as samples: :func:`resize_maps` on
  the smaller layer first (the tutorial upsamples it), then
  :func:`positions_as_samples`.
"""

from __future__ import annotations

import numpy as np
import scipy.ndimage
from sklearn.utils import check_consistent_length

from . import _array_api, _validation

__all__ = ["positions_as_samples", "resize_maps", "spatial_mean_pool"]


def _as_maps(X, name, data_format):
    """``X`` validated and channels last (a view when transposed)."""
    _validation.check_data_format(data_format)
    X = _validation.check_input(X, name)
    X = _validation.check_view(X, name, estimator=None, allow_nd=True)
    if X.ndim != 4:
        raise ValueError(
            f"{name} must be an array of shape {_validation.map_layout(data_format)} "
            f"(data_format={data_format!r}); got an array of shape "
            f"{tuple(X.shape)}. PyTorch's (N, C, H, W) activations need "
            "data_format='channels_first'."
        )
    _validation.warn_if_channels_first(X, name, data_format)
    X = _validation.as_channels_last(X, data_format)
    _validation.check_map_axes(X, name, data_format)
    return X


def _namespace(X):
    """``(xp, device)`` of a validated array (NumPy's for NumPy input)."""
    if _array_api.is_foreign(X):
        return _array_api.namespace(X)
    return np, None


def positions_as_samples(X, y, *, data_format="channels_last"):
    """Treat every spatial position of every image as a sample.

    ``(n, h, w, c)`` becomes ``(n·h·w, c)``: the channels are the neurons and
    each position of each image is a datapoint, as in the SVCCA tutorial.
    Both layers must have the same spatial size, so that row ``i`` of both
    outputs is the same position of the same image.

    When to use it: two layers of the same spatial size whose positions
    correspond (the same layer in two training runs or checkpoints). It uses
    all the data and needs no translation invariance, but it asks whether the
    channel vectors *at the same position* are related, and the rows of one
    image are not independent samples: score held-out similarity with
    :class:`~sklearn.model_selection.GroupKFold` and the returned ``groups``,
    so that no image is split across folds. For layers of different sizes,
    :func:`resize_maps` first, or use :func:`spatial_mean_pool` or
    :class:`~sklearn_svcca.FourierCCA`.

    Parameters
    ----------
    X : array-like of shape (n_samples, height, width, channels_x)
        First layer (``(n_samples, channels_x, height, width)`` with
        ``data_format="channels_first"``).
    y : array-like of shape (n_samples, height, width, channels_y)
        Second layer on the same images, same spatial size, same layout.
    data_format : {"channels_last", "channels_first"}, default="channels_last"
        Layout of both layers: ``"channels_first"`` for PyTorch's
        ``(N, C, H, W)``.

    Returns
    -------
    X_rows : ndarray of shape (n_samples * height * width, channels_x)
        A view of ``X`` when it is channels last and C-contiguous (no copy);
        an array of ``X``'s namespace and device for Array API input.
    y_rows : ndarray of shape (n_samples * height * width, channels_y)
    groups : ndarray of shape (n_samples * height * width,)
        The image each row comes from, for ``groups=`` in
        :func:`~sklearn.model_selection.cross_val_score` (a NumPy array
        whatever the input).

    See Also
    --------
    spatial_mean_pool : One sample per image, averaged over space.
    resize_maps : Bring two layers to the same spatial size.
    sklearn_svcca.FourierCCA : CCA frequency by frequency.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.model_selection import GroupKFold, cross_val_score
    >>> from sklearn_svcca import CCA
    >>> from sklearn_svcca.conv import positions_as_samples
    >>> rng = np.random.RandomState(0)
    >>> acts_a = rng.normal(size=(100, 6, 6, 8))
    >>> acts_b = acts_a @ rng.normal(size=(8, 5)) + rng.normal(size=(100, 6, 6, 5))
    >>> X, Y, groups = positions_as_samples(acts_a, acts_b)
    >>> X.shape, Y.shape
    ((3600, 8), (3600, 5))
    >>> groups[:3], groups[36:38]
    (array([0, 0, 0]), array([1, 1]))
    >>> scores = cross_val_score(CCA(), X, Y, groups=groups, cv=GroupKFold(5))
    >>> round(float(scores.mean()), 2)
    0.89
    """
    X = _as_maps(X, "X", data_format)
    Y = _as_maps(y, "y", data_format)
    check_consistent_length(X, Y)
    if X.shape[1:3] != Y.shape[1:3]:
        raise ValueError(
            "positions_as_samples needs layers of the same spatial size, got "
            f"X of size {X.shape[1:3]} and y of size {Y.shape[1:3]}. Resize one "
            "with resize_maps(y, X.shape[1:3]), or compare them with "
            "spatial_mean_pool or FourierCCA, which accept different sizes."
        )
    n, h, w = (int(v) for v in X.shape[:3])
    groups = np.repeat(np.arange(n, dtype=np.int64), h * w)
    xp, _ = _namespace(X)
    rows = n * h * w
    return (
        xp.reshape(X, (rows, int(X.shape[3]))),
        xp.reshape(Y, (rows, int(Y.shape[3]))),
        groups,
    )


def spatial_mean_pool(X, *, data_format="channels_last"):
    """Average each channel over space: one sample per image.

    ``(n, h, w, c)`` becomes ``(n, c)``, accumulated in float64 and returned
    in ``X``'s float dtype.

    When to use it: to compare layers of any spatial sizes (or a conv layer
    with a dense one) on what their channels encode regardless of position,
    with ordinary cross-validation (one row per image). It is the cheapest
    recipe and discards all spatial structure; the pooled maps are the
    spatial DC component, so CCA of pooled layers equals
    :class:`~sklearn_svcca.FourierCCA`'s correlations at frequency (0, 0).

    Parameters
    ----------
    X : array-like of shape (n_samples, height, width, channels)
        A layer (``(n_samples, channels, height, width)`` with
        ``data_format="channels_first"``).
    data_format : {"channels_last", "channels_first"}, default="channels_last"
        Layout of ``X``: ``"channels_first"`` for PyTorch's ``(N, C, H, W)``.

    Returns
    -------
    pooled : ndarray of shape (n_samples, channels)
        Of ``X``'s namespace and device for Array API input.

    See Also
    --------
    positions_as_samples : Every position a sample (same sizes only).
    sklearn_svcca.FourierCCA : All spatial frequencies, not only the mean.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca.conv import spatial_mean_pool
    >>> X = np.arange(2 * 2 * 3 * 1, dtype=float).reshape(2, 2, 3, 1)
    >>> spatial_mean_pool(X)
    array([[2.5],
           [8.5]])
    """
    X = _as_maps(X, "X", data_format)
    xp, device = _namespace(X)
    if xp is np:
        return np.mean(X, axis=(1, 2), dtype=np.float64).astype(X.dtype, copy=False)
    acc = xp.astype(X, _array_api.float_dtype(xp, device))
    return xp.astype(xp.mean(acc, axis=(1, 2)), X.dtype)


def _axis_operator(m, size, order):
    """The (size, m) matrix of ``scipy.ndimage.zoom`` along one axis.

    Zoom is linear in its input and separable over axes (B-spline prefilter
    and interpolation both act axis by axis, as does ``mode="nearest"``), so
    zooming each unit vector gives the matrix, and two small products then
    resize every map and channel at once: the same numbers as zooming the
    whole 4-D array, without interpolating along the sample and channel
    axes.
    """
    eye = np.eye(m)
    cols = [
        scipy.ndimage.zoom(e, size / m, order=order, mode="nearest", grid_mode=True)
        for e in eye
    ]
    return np.stack(cols, axis=1)


def resize_maps(X, size, *, order=1, data_format="channels_last"):
    """Resize maps to a given spatial size by spline interpolation.

    Each channel of each image is interpolated with
    :func:`scipy.ndimage.zoom` (``grid_mode=True``: pixels are areas, so the
    resized map covers the same field of view; ``mode="nearest"`` at the
    border). This replaces the tutorial's ``scipy.interpolate.interp2d``,
    which SciPy removed.

    When to use it: to compare two layers of different spatial sizes
    position by position (then :func:`positions_as_samples`). Upsample the
    smaller layer to the larger one, as the tutorial does: interpolation
    adds no information, while downsampling with ``order <= 1`` aliases
    (use :func:`spatial_mean_pool` or :class:`~sklearn_svcca.FourierCCA`,
    which truncates the spectrum instead, if you need to go down).

    Parameters
    ----------
    X : array-like of shape (n_samples, height, width, channels)
        A layer (``(n_samples, channels, height, width)`` with
        ``data_format="channels_first"``).
    size : tuple of int
        ``(new_height, new_width)``, e.g. ``other.shape[1:3]``.
    order : int, default=1
        Spline order: 0 nearest neighbour, 1 bilinear, 3 cubic (0 to 5).
    data_format : {"channels_last", "channels_first"}, default="channels_last"
        Layout of ``X`` and of the result: ``"channels_first"`` for
        PyTorch's ``(N, C, H, W)``.

    Returns
    -------
    resized : ndarray of shape (n_samples, new_height, new_width, channels)
        In ``X``'s float dtype (computed in float64), its layout
        (``data_format``), and its namespace and device for Array API
        input.

    See Also
    --------
    positions_as_samples : Compare positions once the sizes match.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_svcca.conv import resize_maps
    >>> small = np.arange(4.0).reshape(1, 2, 2, 1)
    >>> resize_maps(small, (4, 4))[0, :, :, 0]
    array([[0.  , 0.25, 0.75, 1.  ],
           [0.5 , 0.75, 1.25, 1.5 ],
           [1.5 , 1.75, 2.25, 2.5 ],
           [2.  , 2.25, 2.75, 3.  ]])
    """
    X = _as_maps(X, "X", data_format)
    message = (
        f"size must be a pair of positive ints (new_height, new_width); got {size!r}."
    )
    try:
        new_h, new_w = (int(v) for v in size)
    except (TypeError, ValueError) as exc:
        raise ValueError(message) from exc
    if new_h < 1 or new_w < 1:
        raise ValueError(message)
    if not (_validation.is_int(order) and 0 <= order <= 5):
        raise ValueError(f"order must be an int from 0 to 5; got {order!r}.")
    n, h, w, c = (int(v) for v in X.shape)
    xp, device = _namespace(X)
    acc = np.float64 if xp is np else _array_api.float_dtype(xp, device)
    Mh = _axis_operator(h, new_h, order)
    Mw = _axis_operator(w, new_w, order)
    if xp is not np:
        Mh, Mw = (_array_api.from_numpy(M, like=X) for M in (Mh, Mw))
    # Rows first: (H, h) @ (n, h, w*c); then columns, batched over (n, H).
    out = xp.matmul(Mh, xp.astype(xp.reshape(X, (n, h, w * c)), acc, copy=False))
    out = xp.matmul(Mw, xp.reshape(out, (n * new_h, w, c)))
    out = xp.astype(xp.reshape(out, (n, new_h, new_w, c)), X.dtype, copy=False)
    if data_format == "channels_first":
        out = (
            xp.permute_dims(out, (0, 3, 1, 2))
            if xp is not np
            else out.transpose(0, 3, 1, 2)
        )
    return out
