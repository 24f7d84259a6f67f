"""Checks every public entry point makes on its inputs; each message once.

scikit-learn's ``validate_data`` / ``check_array`` do most of the work; this
module holds what they leave out, for all of the library's entry points
(estimators, :func:`~sklearn_svcca.similarity_matrix`, :mod:`~sklearn_svcca.stats`,
:mod:`~sklearn_svcca.conv`, :mod:`~sklearn_svcca.compat`):

- :func:`check_views`: both views of every estimator call (and of
  :mod:`~sklearn_svcca.metrics`), NumPy, Array API or Dask alike, through
  :func:`check_view` and the one message per defect written below it
  (:func:`missing_y_error`, :func:`constant_error`, :func:`scale_error`,
  :func:`check_score_samples`, :func:`check_solver`, ...).
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
from sklearn.utils import check_array, check_consistent_length
from sklearn.utils._array_api import get_namespace
from sklearn.utils._param_validation import Interval as _SklearnInterval
from sklearn.utils.validation import validate_data

from . import _array_api
from ._dask import as_dask, is_dask_array, whole_samples

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


# ------------------------------------------------------------------- views
# One checker for the views of every estimator, whatever their kind: NumPy
# (and array-likes), Array API arrays (``array_api_dispatch=True``) and
# Dask arrays. In-memory views go through scikit-learn's ``check_array`` /
# ``validate_data``; a Dask view gets the same checks from its shape and
# dtype (see :func:`_stand_in`), so each defect has one message whatever
# the kind of array.

_FLOAT_DTYPES = (np.float64, np.float32)


def float_dtypes(a):
    """float64 and float32 of ``a``'s namespace (NumPy's unless dispatching)."""
    xp, is_array_api = get_namespace(a)
    return (xp.float64, xp.float32) if is_array_api else _FLOAT_DTYPES


def missing_y_error(owner, method="fit"):
    """The error for a missing second view.

    A fit says it as scikit-learn does (its estimator checks expect "requires
    y to be passed"); ``transform`` never needs ``y``; other methods name
    themselves.
    """
    if method == "fit":
        return ValueError(
            f"This {owner} estimator requires y to be passed, but the target y is None."
        )
    return ValueError(
        f"{owner}.{method} requires y, the second view, but the target y is None."
    )


def check_score_samples(n, what="correlations"):
    """``score`` on fewer than 2 samples has nothing to correlate."""
    if n < 2:
        raise ValueError(f"score needs at least 2 samples to compute {what}, got {n}.")


def constant_error(name, count, n_samples, *, values="features", unit="view", note=""):
    """The error for a view none of whose ``count`` values vary.

    ``values`` says what was counted ("features", "neurons", "values (maps
    of shape ...)"); ``unit`` what the user may drop ("view", "layer"), or
    None where dropping is not an option; ``note`` is appended.
    """
    advice = "Check that the activations were recorded"
    advice += "." if unit is None else f", or drop this {unit}."
    return ValueError(
        f"{name} is constant: all {count} of its {values} have zero variance "
        f"over the {n_samples} samples, so there is nothing to correlate. "
        f"{advice}{note}"
    )


RESCALE = "Rescale them (e.g. divide by their maximum absolute value)"
BATCH_NOT_ADDED = (
    "This batch was not added: the estimator is as it was before this call "
    "and accepts further batches."
)


def scale_error(problem, consequence, *, owner=None, remedy=RESCALE, batch=False):
    """The error for activations whose magnitude float64 cannot hold.

    ``problem: consequence. remedy``, then, with ``owner``, that the measure
    is invariant to scaling (so rescaling changes nothing but the error),
    and, for a ``partial_fit`` ``batch``, that the stream is intact.
    """
    message = f"{problem}: {consequence}. {remedy}"
    message += "." if owner is None else f"; {owner} is invariant to scaling."
    if batch:
        message += f" {BATCH_NOT_ADDED}"
    return ValueError(message)


def overflow_error(owner, *, batch=False, views="X or y", what="cross-products"):
    """The error for statistics that overflowed float64."""
    return scale_error(
        f"The {what} of {views} overflowed float64",
        "the activations are too large in magnitude",
        owner=owner,
        batch=batch,
    )


def too_small_error(name, size, consequence, *, owner, remedy=RESCALE):
    """The error for a view whose activations are too small for float64.

    ``size`` says about how small, as text ("1e-160", "2**-600").
    """
    return scale_error(
        f"{name}'s activations are too small in magnitude (about {size})",
        consequence,
        owner=owner,
        remedy=remedy,
    )


def _dtype_kind(a):
    """NumPy's kind letter of ``a``'s dtype, or None when it has none."""
    dtype = getattr(a, "dtype", None)
    if dtype is None:
        return None
    if _array_api.is_foreign(a):
        xp, _ = _array_api.namespace(a)
        return "c" if xp.isdtype(dtype, "complex floating") else "f"
    try:
        return np.dtype(dtype).kind
    except TypeError:  # e.g. a pandas extension dtype: scikit-learn decides
        return None


def check_dtype(a, name, *, lazy=False):
    """Refuse complex and non-numeric views by their dtype, not their values.

    Object arrays in memory are left to ``check_array``, which converts
    numbers (as scikit-learn's estimator checks require) and refuses the
    rest; a lazy (Dask) object array cannot be judged without computing it.
    """
    kind = _dtype_kind(a)
    if kind is None:
        return
    # "complex64" whatever the library ("torch.complex64", ...).
    dtype = str(a.dtype).rsplit(".", 1)[-1]
    if kind == "c":
        raise ValueError(
            f"Complex data not supported: {name} has dtype {dtype}. Pass real "
            "activations (for complex features, stack the real and imaginary "
            "parts as separate neurons)."
        )
    if kind not in ("fiub" if lazy else "fiubO"):
        raise ValueError(
            f"dtype='{dtype}' is not supported: {name} must be numeric "
            "(float32 or float64 activations)."
        )


def _stand_in(a):
    """A zero-strided NumPy array of ``a``'s shape: no memory, no values.

    scikit-learn's size and dimension checks, run on it, judge a Dask array
    exactly as they judge data in memory, with their own messages.
    """
    return np.broadcast_to(np.zeros((), dtype=np.float64), tuple(a.shape))


def check_view(a, name, *, estimator, min_samples=1, ensure_2d=True, allow_nd=False):
    """One view (``X`` or ``y``) of any kind, validated; a clear error if bad.

    In memory, scikit-learn's ``check_array`` (float32 or float64 of the
    array's namespace); a Dask array gets the same checks from its shape
    and dtype and comes back as a lazy floating array (its values are
    checked where its chunks are summarised). ``estimator`` names the
    caller in messages; recording or checking feature counts is
    :func:`check_features`'s.
    """
    check_dtype(a, name, lazy=is_dask_array(a))
    checks = {
        "ensure_2d": ensure_2d,
        "allow_nd": allow_nd,
        "ensure_min_samples": min_samples,
        "input_name": name,
        "estimator": estimator,
    }
    if not is_dask_array(a):
        return check_array(a, dtype=float_dtypes(a), **checks)
    if np.isnan(a.shape[0]):
        raise ValueError(
            f"{name} has unknown chunk sizes (e.g. after boolean indexing); "
            f"call {name}.compute_chunk_sizes() before fitting."
        )
    if ensure_2d and (a.ndim < 2 or (a.ndim > 2 and not allow_nd)):
        # check_array's own message would print the stand-in's zeros.
        raise ValueError(
            f"Expected a 2D Dask array for {name}, got {a.ndim}D array instead. "
            "Reshape your data: one row per sample, one column per neuron."
        )
    check_array(_stand_in(a), dtype=None, ensure_all_finite=False, **checks)
    return a if a.dtype in _FLOAT_DTYPES else a.astype(np.float64)


def check_features(estimator, X, *, reset):
    """Record (``reset``) or check ``X``'s feature count and names.

    ``validate_data``'s bookkeeping for a view validated by
    :func:`check_view`; ``X`` as the user passed it (a DataFrame keeps its
    column names).
    """
    validate_data(estimator, X, reset=reset, skip_check_array=True)


def check_n_features_y(estimator, Y, *, reset):
    """:func:`check_features` for the second view (no names, a count)."""
    if reset:
        estimator._n_features_y = int(Y.shape[1])
    elif Y.shape[1] != estimator._n_features_y:
        raise ValueError(
            f"y has {Y.shape[1]} features, but {type(estimator).__name__} was "
            f"fitted with y having {estimator._n_features_y} features."
        )


def as_column_view(Y, like):
    """A validated second view as 2-D, floating, with ``like``'s kind.

    A 1-D ``y`` is one neuron; an Array API ``y`` follows ``like``'s (X's)
    namespace and device.
    """
    if _array_api.is_foreign(like) or _array_api.is_foreign(Y):
        return _array_api.as_view(Y, like)
    if Y.ndim == 1:
        Y = Y[:, None]
    return Y


def check_views(estimator, X, y, *, reset, min_samples=1, method="fit", allow_nd=False):
    """Both views of a call; ``y`` may be None for ``method="transform"``.

    The one checker of every estimator and entry point: a missing, sparse,
    complex or non-numeric view, too few samples or features, different
    numbers of samples, and the feature counts recorded at fit (``reset``)
    or expected since. When either view is a Dask array both come back as
    Dask arrays chunked alike by rows and in one chunk along every other
    axis; else as arrays of ``X``'s namespace (a 1-D ``y`` as one column).
    ``allow_nd`` lets views have more axes (FourierCCA's maps, whose shapes
    the caller checks; feature counts are checked here for 2-D views only).
    """
    owner = type(estimator).__name__
    X = X_given = check_input(
        X, "X", what="the first view, an array of shape (n_samples, n_features)"
    )
    if y is None and method != "transform":
        raise missing_y_error(owner, method)
    y = None if y is None else check_input(y, "y")
    lazy = is_dask_array(X) or is_dask_array(y)
    if lazy:
        chunks = (X if is_dask_array(X) else y).chunks[0]
        X = as_dask(X, "X", row_chunks=chunks)
        y = None if y is None else as_dask(y, "y", row_chunks=chunks)
    X = check_view(X, "X", estimator=owner, min_samples=min_samples, allow_nd=allow_nd)
    if X.ndim == 2:
        # The names are those of X as given (a DataFrame's columns).
        check_features(estimator, X if lazy else X_given, reset=reset)
    if y is None:
        return (whole_samples(X) if lazy else X), None
    # y's sample count is X's (checked next): its own minimum is 1.
    Y = check_view(y, "y", estimator=owner, ensure_2d=False, allow_nd=allow_nd)
    Y = as_column_view(Y, like=X)
    check_consistent_length(X, Y)
    if Y.ndim == 2:
        check_n_features_y(estimator, Y, reset=reset)
    if lazy:
        X = whole_samples(X)
        Y = whole_samples(Y, X.chunks[0])
    return X, Y


def check_solver(solver, *, where, instead):
    """``solver='qr'`` factorizes all the samples, in memory, at once."""
    if solver == "qr":
        raise ValueError(
            "solver='qr' needs all samples in memory at once and cannot be used "
            f"with {where}; use solver='auto' or 'gram' (the Gram route, from "
            f"the data's moments), or {instead}."
        )


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
