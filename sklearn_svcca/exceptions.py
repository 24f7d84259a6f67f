"""Warnings raised by sklearn-svcca.

They subclass :class:`UserWarning`, so the usual ``warnings`` filters apply::

    import warnings
    from sklearn_svcca.exceptions import SampleSizeWarning

    warnings.simplefilter("ignore", SampleSizeWarning)
"""

import os
import sys
import warnings

__all__ = [
    "ConditioningWarning",
    "DataFormatWarning",
    "SampleSizeWarning",
    "SparseActivationWarning",
]


class SampleSizeWarning(UserWarning):
    """Too few samples for the number of neurons compared.

    With ``n`` samples and views of rank ``r_x`` and ``r_y``, at least
    ``r_x + r_y - (n - 1)`` canonical correlations equal 1 whatever the data,
    and well before that the in-sample correlations are biased upwards. The
    original SVCCA tutorial's rule of thumb is 5 to 10 times more samples
    than neurons; held-out scoring (``cross_val_score``) removes the bias.
    """


class ConditioningWarning(UserWarning):
    """A view is too ill-conditioned for the Gram (covariance) route.

    Raised when the Gram route had to be used (``solver="gram"``, or
    ``partial_fit`` / Dask input, which never hold all the data) and some
    kept direction has a squared singular value below ``1e-8`` of the
    largest: its canonical correlations may be accurate to fewer than eight
    digits. ``fit`` with ``solver="auto"`` or ``"qr"`` on in-memory data
    avoids it.
    """


class DataFormatWarning(UserWarning):
    """Convolutional maps that look like they are in the other layout.

    Maps are read channels last, ``(n_samples, height, width, channels)``,
    unless ``data_format="channels_first"`` (PyTorch's ``(N, C, H, W)``) is
    passed. Raised when channels-last maps have their last two axes equal
    and different from the second, e.g. ``(100, 32, 8, 8)``: far more often
    32 channels of 8x8 than 32x8 maps of 8 channels.
    """


class SparseActivationWarning(UserWarning):
    """Some neurons vary on only a handful of samples.

    A neuron whose variance comes from a few samples (a ReLU unit active on
    2 of 797 images) lets CCA fit a canonical direction to those samples
    alone: it is perfectly correlated in-sample and does not generalise, so
    a held-out score (``cross_val_score``) can collapse on one fold. The
    test is the neuron's effective number of samples, ``(Σ d²)² / Σ d⁴``
    for its centered values ``d``, below 5 (and below ``n_samples / 20``);
    it runs on in-memory ``fit`` (not ``partial_fit`` or Dask, whose
    statistics do not include fourth moments). Shrinkage (``reg``) or
    dropping the listed neurons helps.
    """


# ---------------------------------------------------------------------------
# Emitting warnings at the user's call.
#
# Warnings are raised deep inside a fit, which the user may reach through
# fit, partial_fit, similarity_matrix, stats.similarity_baseline, a Pipeline
# or cross_val_score: no fixed ``stacklevel`` is right for all of them. The
# warning is attributed instead to the first frame outside this package and
# the libraries that call estimators on the user's behalf (scikit-learn,
# joblib), which is the user's own line.

_INTERNAL_PACKAGES = ("sklearn_svcca", "sklearn", "joblib")


def _package_dirs():
    import importlib.util

    dirs = []
    for name in _INTERNAL_PACKAGES:
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            dirs.extend(
                os.path.join(path, "") for path in spec.submodule_search_locations
            )
    return tuple(dirs)


_SKIPPED_DIRS = _package_dirs()


def _warn(message, category=UserWarning):
    """``warnings.warn`` attributed to the user's frame (see above)."""
    if sys.version_info >= (3, 12):
        warnings.warn(message, category, skip_file_prefixes=_SKIPPED_DIRS)
        return
    # Python 3.10/3.11: count the frames to skip, as skip_file_prefixes does.
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_code.co_filename.startswith(_SKIPPED_DIRS):
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
