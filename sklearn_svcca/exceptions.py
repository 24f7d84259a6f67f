"""Warnings raised by sklearn-svcca.

They subclass :class:`UserWarning`, so the usual ``warnings`` filters apply::

    import warnings
    from sklearn_svcca.exceptions import SampleSizeWarning

    warnings.simplefilter("ignore", SampleSizeWarning)
"""

__all__ = ["ConditioningWarning", "DataFormatWarning", "SampleSizeWarning"]


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
