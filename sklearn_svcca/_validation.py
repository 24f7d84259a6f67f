"""Checks every public entry point makes on its inputs; each message once.

scikit-learn's ``validate_data`` / ``check_array`` do most of the work; this
module holds what they leave out, for all of the library's entry points
(estimators, :func:`~sklearn_svcca.similarity_matrix`, :mod:`~sklearn_svcca.stats`,
:mod:`~sklearn_svcca.conv`, :mod:`~sklearn_svcca.compat`):

- :func:`check_input`: a missing view (``None``) is named, a sparse matrix
  gets scikit-learn's "dense data is required" ``TypeError`` whichever
  argument it is (``check_X_y`` lets a sparse ``y`` through to NumPy, which
  fails with "setting an array element with a sequence"), and a PyTorch
  tensor that requires grad is used detached: similarity needs no gradient,
  and NumPy refuses to read such a tensor.
- :class:`Interval`: scikit-learn's parameter constraint, without booleans
  (``True`` is an ``int`` to Python, so ``svd_dims=True`` would keep one
  direction).
- ``data_format``: :func:`as_channels_last` reads 4-D convolutional maps
  in either layout, :func:`check_map_axes` refuses an empty axis and
  :func:`warn_if_channels_first` warns about channels-last maps that look
  like PyTorch's, at the caller's line (:func:`exceptions._warn`).
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval as _SklearnInterval

from . import _array_api

_BOOLS = (bool, np.bool_)


def is_int(value):
    """An integer that is not a boolean."""
    return isinstance(value, (Integral, np.integer)) and not isinstance(value, _BOOLS)


def is_real(value):
    """A real number that is not a boolean."""
    return isinstance(value, (Real, np.floating, np.integer)) and not isinstance(
        value, _BOOLS
    )


class Interval(_SklearnInterval):
    """:class:`sklearn.utils._param_validation.Interval` that refuses booleans.

    The error scikit-learn generates then reads "must be an int in the range
    [1, inf) ... Got True instead".
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, _BOOLS) and super().is_satisfied_by(val)


# ------------------------------------------------------------------ arrays


def check_input(a, name, *, what="an array of shape (n_samples, n_features)"):
    """``a`` ready for scikit-learn's validation, or a clear error.

    ``name`` is the argument as the user knows it (``"X"``, ``"y"``,
    ``"layers_a['conv1']"``).
    """
    if a is None:
        raise ValueError(f"{name} is None: pass {what}.")
    if scipy.sparse.issparse(a):
        # scikit-learn's own TypeError, the one a sparse X gets.
        check_array(a, accept_sparse=False, input_name=name)
    if _array_api.is_foreign(a):
        _array_api.check_scipy_array_api()
    return detached(a)


def host_array(a, name=None, **kwargs):
    """``a`` as a host (NumPy) array when it is an Array API array.

    For the functions whose work is small or NumPy-only (the statistics of
    canonical correlations, the original recipe of :mod:`~sklearn_svcca.compat`)
    and those that share each view's decomposition on the host
    (:func:`~sklearn_svcca.similarity_matrix`,
    :func:`~sklearn_svcca.stats.similarity_baseline`): they then compute
    exactly what they compute for NumPy input. Anything else is returned
    as it is (detached), for scikit-learn's validation to judge.
    """
    a = detached(a) if name is None else check_input(a, name, **kwargs)
    return _array_api.to_numpy(a) if _array_api.is_foreign(a) else a


def detached(a):
    """``a`` without its autograd graph when it is a tensor that requires grad."""
    if getattr(a, "requires_grad", False) is True and callable(
        getattr(a, "detach", None)
    ):
        return a.detach()
    return a


# -------------------------------------------------------------------- maps

DATA_FORMATS = ("channels_last", "channels_first")
# The axes of one map in each layout; maps are computed channels last.
_AXES = {
    "channels_last": ("height", "width", "channels"),
    "channels_first": ("channels", "height", "width"),
}


def check_data_format(data_format):
    """Validate a ``data_format`` argument of a function (not an estimator)."""
    if data_format not in DATA_FORMATS:
        raise ValueError(
            "data_format must be 'channels_last' (n_samples, height, width, "
            "channels: TensorFlow/Keras, the original SVCCA code) or "
            "'channels_first' (n_samples, channels, height, width: PyTorch); "
            f"got {data_format!r}."
        )
    return data_format


def map_layout(data_format, *, samples=True):
    """``"(n_samples, height, width, channels)"`` or its ``data_format`` order."""
    axes = (("n_samples",) if samples else ()) + _AXES[data_format]
    return f"({', '.join(axes)})"


def in_layout(shape, data_format):
    """A channels-last shape, (h, w, c) or (n, h, w, c), in ``data_format``."""
    shape = tuple(int(v) for v in shape)
    if data_format == "channels_last":
        return shape
    return (*shape[:-3], shape[-1], *shape[-3:-1])


def as_channels_last(maps, data_format):
    """4-D ``maps`` as (n, height, width, channels): a transposed view, no copy."""
    if data_format == "channels_last":
        return maps
    if not _array_api.is_foreign(maps):  # NumPy and Dask arrays
        return maps.transpose(0, 2, 3, 1)
    xp, _ = _array_api.namespace(maps)
    return xp.permute_dims(maps, (0, 2, 3, 1))


def check_map_axes(maps, name, data_format):
    """Refuse 4-D maps with an empty spatial or channel axis, naming it.

    ``maps`` is channels last (after :func:`as_channels_last`); the message
    speaks of the axes as the user passed them.
    """
    for size, axis in zip(maps.shape[1:], _AXES["channels_last"], strict=True):
        if size == 0:
            at = 1 + _AXES[data_format].index(axis)
            raise ValueError(
                f"{name} has shape {in_layout(maps.shape, data_format)}: its "
                f"{axis} axis (axis {at} of {map_layout(data_format)}) has "
                "length 0, so there is nothing to compare. Check how the "
                "activations were recorded."
            )


def warn_if_channels_first(maps, name, data_format):
    """Warn when channels-last maps look like PyTorch's (N, C, H, W).

    Called on maps as the user passed them. Square feature maps whose last
    two axes are equal and differ from the second, e.g. (100, 32, 8, 8), are
    most likely 32 channels of 8x8 read as 32x8 maps of 8 channels.
    """
    if data_format != "channels_last" or not looks_channels_first(maps.shape):
        return
    from .exceptions import DataFormatWarning, _warn

    _, a, b, c = (int(v) for v in maps.shape)
    _warn(
        f"{name} has shape {tuple(int(v) for v in maps.shape)}, read as "
        f"{map_layout('channels_last')}: {a}x{b} maps of {c} channels. Its "
        f"last two axes are equal, as in PyTorch's (N, C, H, W) layout ({a} "
        f"channels of {b}x{c}). If so, pass data_format='channels_first'. "
        "To silence this warning, filter sklearn_svcca.exceptions."
        "DataFormatWarning.",
        DataFormatWarning,
    )


def looks_channels_first(shape):
    """Whether 4-D channels-last ``shape`` looks like (N, C, H, W)."""
    if len(shape) != 4:
        return False
    _, a, b, c = (int(v) for v in shape)
    return b == c and a != b
