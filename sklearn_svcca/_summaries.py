"""The one-number summaries of canonical correlations that papers report."""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.utils._param_validation import validate_params
from sklearn.utils.validation import check_is_fitted

from . import _validation
from ._reprs import result_repr
from ._tables import Tabular


@dataclass(frozen=True)
class CorrelationSummary(Tabular):
    """Summaries of canonical correlations, from :func:`summarize_correlations`.

    Attributes
    ----------
    mean : float
        Mean of all canonical correlations (CCA's and SVCCA's
        ``similarity_``).
    top_k_mean : float
        Mean of the ``top_k`` largest.
    top_k : int
        Number of correlations in ``top_k_mean``: the requested ``top_k``, or
        all of them if there are fewer.
    thresholded_mean : float
        The original code's ``mean``: the mean of the first
        ``n_thresholded`` correlations, the fewest whose sum reaches
        ``threshold`` times the total.
    threshold : float
        Fraction of the total used for ``thresholded_mean``.
    n_thresholded : int
        Number of correlations in ``thresholded_mean``.
    sum : float
        Sum of all canonical correlations.
    n_components : int
        Number of canonical correlations summarised.
    """

    mean: float
    top_k_mean: float
    top_k: int
    thresholded_mean: float
    threshold: float
    n_thresholded: int
    sum: float
    n_components: int

    def _table(self):
        return None, {name: [value] for name, value in vars(self).items()}

    def __repr__(self):
        return result_repr(self, vars(self))


@validate_params(
    {
        "estimator_or_correlations": "no_validation",
        "top_k": [_validation.Interval(Integral, 1, None, closed="left")],
        "threshold": [_validation.Interval(Real, 0, 1, closed="right")],
    },
    prefer_skip_nested_validation=True,
)
def summarize_correlations(
    estimator_or_correlations, *, top_k=20, threshold=0.98
) -> CorrelationSummary:
    """Mean, top-k mean, thresholded mean and sum of canonical correlations.

    The numbers the SVCCA tutorial compares across methods, from one fit.

    Read more in the :ref:`User Guide <correlation_summaries>`.

    Parameters
    ----------
    estimator_or_correlations : fitted estimator or array-like of shape (k,)
        An estimator with ``canonical_correlations_`` (CCA, SVCCA, PWCCA or
        any other), or the correlations themselves, each in [0, 1]; they are
        sorted in decreasing order first.

    top_k : int, default=20
        How many of the largest correlations ``top_k_mean`` averages (the
        tutorial uses 20).

    threshold : float in (0, 1], default=0.98
        Fraction of the total for ``thresholded_mean``; 0.98 is the original
        ``get_cca_similarity``'s default.

    Returns
    -------
    summary : CorrelationSummary

    See Also
    --------
    bartlett_lawley_test : A principled cut-off: how many correlations are
        non-zero.

    Notes
    -----
    With correlations ``r_1 ≥ ... ≥ r_k`` and ``S_i = r_1 + ... + r_i``, the
    thresholded mean is ``S_m / m`` for the smallest ``m`` with
    ``S_m / S_k ≥ threshold``: the original code's ``sum_threshold`` and its
    ``results["mean"]``. It drops the tail of near-zero correlations that
    pulls the plain mean down. If every correlation is 0 all summaries are 0.

    For :class:`~sklearn_svcca.PWCCA` these summarise the unweighted
    correlations; its ``similarity_`` is the projection-weighted mean.

    Examples
    --------
    >>> from sklearn_svcca.stats import summarize_correlations
    >>> summary = summarize_correlations([0.9, 0.8, 0.3, 0.02], top_k=2)
    >>> round(summary.mean, 4), round(summary.top_k_mean, 4), round(summary.sum, 4)
    (0.505, 0.85, 2.02)

    ``0.9 + 0.8`` is 84 % of the total and ``0.9 + 0.8 + 0.3`` is 99 %, so
    the thresholded mean at 98 % averages the first three:

    >>> summary.n_thresholded, round(summary.thresholded_mean, 4)
    (3, 0.6667)
    """
    rho = _correlations(estimator_or_correlations)
    k = rho.shape[0]
    total = float(rho.sum())
    top = min(top_k, k)
    if total > 0:
        # Smallest m with S_m / S_k >= threshold (a count, so +1).
        m = int(np.searchsorted(np.cumsum(rho) / total, threshold, side="left")) + 1
        m = min(m, k)  # S_k / S_k can round to just below a threshold of 1
    else:
        m = k
    return CorrelationSummary(
        mean=float(rho.mean()),
        top_k_mean=float(rho[:top].mean()),
        top_k=top,
        thresholded_mean=float(rho[:m].mean()),
        threshold=float(threshold),
        n_thresholded=m,
        sum=total,
        n_components=k,
    )


def _correlations(source):
    if hasattr(source, "fit"):
        check_is_fitted(source)
        if not hasattr(source, "canonical_correlations_"):
            raise TypeError(
                f"{type(source).__name__} has no canonical_correlations_ to "
                "summarise; pass a fitted CCA, SVCCA or PWCCA, or the correlations."
            )
        source = source.canonical_correlations_
    try:
        rho = np.asarray(_validation.host_array(source), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            "summarize_correlations needs a fitted estimator with "
            "canonical_correlations_ or an array of canonical correlations; got "
            f"{type(source).__name__}."
        ) from exc
    if rho.ndim != 1 or rho.shape[0] == 0:
        raise ValueError(
            "canonical correlations must be a non-empty 1-D array; got shape "
            f"{rho.shape}."
        )
    if not np.all(np.isfinite(rho)) or np.any((rho < 0) | (rho > 1)):
        raise ValueError(
            "canonical correlations must be finite and in [0, 1]; got values in "
            f"[{np.nanmin(rho):.3g}, {np.nanmax(rho):.3g}]."
        )
    return np.sort(rho)[::-1]
